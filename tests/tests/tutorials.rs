//! The tutorials run as written: docs/tutorials/launch-your-spn.md (a devnet, `spn new`, the
//! project built and tested, registered, restaked, run, its app deployed and sent a message
//! from another SPN) and then docs/tutorials/run-a-relayer.md (a relayer for that SPN, a
//! message from it to another SPN, the relayer's metrics). One shell runs every ```sh block
//! in order, as a reader pasting them would, in a fresh folder, with the checkout's `spn`
//! and `pharos-node` on the PATH and its build cache as CARGO_TARGET_DIR. They use the
//! tutorials' fixed ports (8545, 9545, 9546, 9600, 9300): nothing else may hold them.

mod common;

use common::docs::doc_blocks;
use common::project::target_dir;
use common::*;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Marks the end of block `n` on stdout with the shell's clock, for the timings.
fn mark(n: usize) -> String {
    format!("echo \"@@ block {n} done at $SECONDS s\"\n")
}

#[test]
fn the_launch_and_relayer_tutorials_run_as_written() {
    let launch = doc_blocks("tutorials/launch-your-spn.md");
    let relayer = doc_blocks("tutorials/run-a-relayer.md");
    assert!(launch.len() >= 7 && relayer.len() >= 4, "{launch:?}");
    // Which block runs `spn new`, and which ends with the delivered message.
    let new_block = launch.iter().position(|b| b.contains("spn new")).unwrap();
    let delivered_block = launch.len() - 1;
    assert!(launch[delivered_block].contains("spn trace"));

    let mut script = String::from(
        "set -euo pipefail\n\
         # Stop what the tutorials left running (spn devnet stops its own processes).\n\
         trap 'kill $(jobs -p) 2>/dev/null; wait' EXIT\n",
    );
    for (n, block) in launch.iter().chain(&relayer).enumerate() {
        script.push_str(block);
        script.push_str(&mark(n));
    }

    // A fixed folder, emptied first: the tutorial's project builds at the same path every
    // run (its build artifacts are overwritten, not piled up in the shared cache).
    let dir = common::project::fixed_dir("tutorials");
    let bin_dir = sibling_binary("spn").parent().unwrap().to_path_buf();
    let path = format!("{}:{}", bin_dir.display(), std::env::var("PATH").unwrap());
    let stdout_file = dir.join("stdout");
    let stderr_file = dir.join("stderr");
    let started = Instant::now();
    let mut child = Command::new("bash")
        .arg("-c")
        .arg(&script)
        .current_dir(&dir)
        .env("PATH", path)
        .env("CARGO_TARGET_DIR", target_dir())
        .env("CARGO_TERM_COLOR", "never")
        .env_remove("SPN_RPC")
        .env_remove("SPN_PRIVATE_KEY")
        .env_remove("SPN_RELAYER_KEY")
        .stdout(std::fs::File::create(&stdout_file).unwrap())
        .stderr(std::fs::File::create(&stderr_file).unwrap())
        .stdin(Stdio::null())
        .process_group(0)
        .spawn()
        .expect("bash");
    let limit = Duration::from_secs(20 * 60);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > limit {
            // The whole group: the shell and what it started in the background.
            let _ = Command::new("kill")
                .args(["-TERM", &format!("-{}", child.id())])
                .status();
            std::thread::sleep(Duration::from_secs(20));
            let _ = child.kill();
            break child.wait().unwrap();
        }
        std::thread::sleep(Duration::from_millis(500));
    };
    let stdout = std::fs::read_to_string(&stdout_file).unwrap_or_default();
    let stderr = std::fs::read_to_string(&stderr_file).unwrap_or_default();
    let logs = ["devnet.log", "my-dex/validator-1.log", "my-dex/relayer.log"]
        .iter()
        .map(|f| {
            let text = std::fs::read_to_string(dir.join(f)).unwrap_or_default();
            let lines: Vec<&str> = text.lines().collect();
            format!(
                "--- {f} (end)\n{}",
                lines[lines.len().saturating_sub(30)..].join("\n")
            )
        })
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        status.success(),
        "the tutorials failed ({status}) after {:.0?}:\n{stdout}\n{stderr}\n{logs}",
        started.elapsed()
    );

    // Both messages were delivered, and the relayer counted what it relayed.
    assert_eq!(
        stdout.matches("✓ delivered").count(),
        2,
        "{stdout}\n{stderr}"
    );
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("spn_relayer_messages_relayed_total{") && !l.ends_with(" 0")),
        "{stdout}"
    );

    // How long from `spn new` to the delivered message, for docs/performance.md.
    let done_at = |n: usize| -> u64 {
        let marker = format!("@@ block {n} done at ");
        stdout
            .lines()
            .find_map(|l| l.strip_prefix(&marker))
            .and_then(|rest| rest.trim_end_matches(" s").parse().ok())
            .unwrap_or_else(|| panic!("no mark for block {n}:\n{stdout}"))
    };
    let before_new = done_at(new_block - 1);
    let delivered = done_at(delivered_block);
    eprintln!(
        "spn new → delivered message: {} s ({} blocks of commands); whole run {:.0?}",
        delivered - before_new,
        delivered_block - new_block + 1,
        started.elapsed()
    );
    for n in 0..launch.len() + relayer.len() {
        eprintln!("block {n} done at {} s", done_at(n));
    }
}
