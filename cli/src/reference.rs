//! The CLI reference (`docs/cli-reference.md`), generated from the clap definitions so it
//! cannot drift: every command with its description, usage and arguments. A test fails when
//! the file differs from what `spn cli-reference` prints.

use clap::{Arg, ArgAction, Command};
use std::fmt::Write as _;

/// The command that regenerates the reference.
pub const REGENERATE: &str =
    "cargo run --release -p spn-cli -- cli-reference > docs/cli-reference.md";

/// The whole reference, as Markdown.
pub fn markdown(root: &Command) -> String {
    let mut root = root.clone();
    root.build();
    let mut out = String::new();
    let _ = writeln!(out, "# `spn` command reference\n");
    let _ = writeln!(
        out,
        "Generated from the command definitions; do not edit. Regenerate with\n`{REGENERATE}`\n\
         (a test fails while this file is stale). The guide is [cli.md](cli.md).\n"
    );
    let _ = writeln!(out, "## Global flags\n");
    let _ = writeln!(
        out,
        "Every command takes these, before or after its name. Each is read from the flag, \
         else its environment variable, else the settings file (`--settings`), else its \
         default.\n"
    );
    let globals: Vec<&Arg> = root
        .get_arguments()
        .filter(|a| a.is_global_set() && !a.is_hide_set())
        .collect();
    table(&mut out, &globals);
    let _ = writeln!(out, "\n## Commands\n");
    for sub in visible(&root) {
        command(&mut out, sub, &format!("spn {}", sub.get_name()), 3);
    }
    out
}

fn visible(cmd: &Command) -> impl Iterator<Item = &Command> {
    cmd.get_subcommands()
        .filter(|c| !c.is_hide_set() && c.get_name() != "help")
}

fn command(out: &mut String, cmd: &Command, path: &str, level: usize) {
    let _ = writeln!(out, "{} `{path}`\n", "#".repeat(level.min(6)));
    if let Some(about) = cmd.get_long_about().or(cmd.get_about()) {
        let _ = writeln!(out, "{}\n", about.to_string().trim());
    }
    let mut cmd = cmd.clone();
    let usage = cmd.render_usage().to_string();
    let usage = usage.trim_start_matches("Usage: ").trim();
    let _ = writeln!(out, "```text\n{usage}\n```\n");
    let args: Vec<&Arg> = cmd
        .get_arguments()
        .filter(|a| !a.is_global_set() && !a.is_hide_set())
        .filter(|a| !matches!(a.get_id().as_str(), "help" | "version"))
        .collect();
    if !args.is_empty() {
        table(out, &args);
        out.push('\n');
    }
    for sub in visible(&cmd) {
        command(out, sub, &format!("{path} {}", sub.get_name()), level + 1);
    }
}

fn table(out: &mut String, args: &[&Arg]) {
    let _ = writeln!(out, "| argument | environment | default | meaning |");
    let _ = writeln!(out, "|---|---|---|---|");
    for arg in args {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} |",
            name(arg),
            arg.get_env()
                .map(|e| format!("`{}`", e.to_string_lossy()))
                .unwrap_or_default(),
            arg.get_default_values()
                .iter()
                .filter(|_| arg.get_action().takes_values())
                .map(|v| format!("`{}`", v.to_string_lossy()))
                .collect::<Vec<_>>()
                .join(", "),
            help(arg),
        );
    }
}

/// `--flag VALUE`, `-s, --flag`, or `<NAME>` for a positional argument.
fn name(arg: &Arg) -> String {
    let value = arg
        .get_value_names()
        .map(|names| names.iter().map(|n| n.to_string()).collect::<Vec<_>>())
        .unwrap_or_else(|| vec![arg.get_id().as_str().to_uppercase()]);
    let Some(long) = arg.get_long() else {
        return format!("`<{}>`", value.join(" "));
    };
    let mut text = format!("`--{long}");
    let takes_value = matches!(arg.get_action(), ArgAction::Set | ArgAction::Append);
    if takes_value {
        let _ = write!(text, " {}", value.join(" "));
    }
    text.push('`');
    if let Some(aliases) = arg.get_visible_aliases() {
        for alias in aliases {
            let _ = write!(text, " (`--{alias}`)");
        }
    }
    text
}

fn help(arg: &Arg) -> String {
    let mut text = arg
        .get_long_help()
        .or(arg.get_help())
        .map(|h| h.to_string())
        .unwrap_or_default()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace('|', "\\|");
    let choices: Vec<String> = arg
        .get_possible_values()
        .iter()
        .filter(|v| !v.is_hide_set())
        .map(|v| format!("`{}`", v.get_name()))
        .collect();
    if !choices.is_empty() && arg.get_action().takes_values() {
        if !text.ends_with(['.', '!', '?', ')']) {
            text.push('.');
        }
        let _ = write!(text, " One of {}.", choices.join(", "));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn docs_cli_reference_is_current() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/cli-reference.md");
        let expected = markdown(&crate::Cli::command());
        let found = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            found == expected,
            "docs/cli-reference.md is stale: regenerate it with `{REGENERATE}`"
        );
    }

    #[test]
    fn the_reference_names_every_visible_command_and_flag() {
        let text = markdown(&crate::Cli::command());
        for needle in [
            "`spn new`",
            "`spn devnet`",
            "`spn devnet warp`",
            "`spn relayer run`",
            "`spn completions`",
            "`--consensus CONSENSUS`",
            "`--keystore FILE`",
            "`--private-key 0xKEY` (`--key`)",
            "`SPN_RPC`",
        ] {
            assert!(text.contains(needle), "{needle} missing");
        }
        assert!(
            !text.contains("### `spn cli-reference`"),
            "hidden commands stay out"
        );
    }
}
