//! The global flags every `spn` command shares, as a user meets them: a key from an
//! encrypted keystore that Foundry's `cast wallet import` wrote (password from a file, the
//! environment, or asked on the terminal), a settings file supplying the RPC and the keystore
//! (flags still win), clear refusals, and shell completions.

mod common;

use common::cli::spn;
use common::*;
use std::path::{Path, PathBuf};
use std::process::Command;

/// `cast wallet import NAME` of `key` into `dir` with `password`; the keystore's path.
fn import_keystore(dir: &Path, name: &str, key: &str, password: &str) -> PathBuf {
    let cast = Path::new(env!("CARGO_MANIFEST_DIR")).join("../contracts/node_modules/.bin/cast");
    assert!(
        cast.exists(),
        "{} is missing: run `bash contracts/scripts/install.sh`",
        cast.display()
    );
    let out = Command::new(cast)
        .args(["wallet", "import", name, "--keystore-dir"])
        .arg(dir)
        .args(["--private-key", key, "--unsafe-password", password])
        .output()
        .expect("run cast");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    dir.join(name)
}

/// An SPN config to register (`spn register` sends one transaction as the key's account).
fn spn_config(dir: &Path, mainnet: &str, id: u32) -> String {
    let path = dir.join(format!("spn-{id}.toml"));
    std::fs::write(
        &path,
        format!(
            "spn_id = {id}\nname = \"flags-{id}\"\nmainnet_rpc = \"{mainnet}\"\nmainnet_chain_id = {DEV_CHAIN_ID}\n"
        ),
    )
    .unwrap();
    path.display().to_string()
}

fn json_of(out: &std::process::Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("json")
}

#[test]
fn keystores_settings_files_and_flag_precedence() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let mainnet = NodeProcess::start_dev(&d.join("mainnet"), &[]);
    let keystore = import_keystore(d, "dev1", DEV_KEY_1, "correct horse");
    let keystore_arg = keystore.display().to_string();
    let dev1 = address_of(DEV_KEY_1).to_string();

    // --keystore with the password in the environment.
    let config = spn_config(d, &mainnet.url, 1101);
    let out = spn(
        &mainnet.url,
        None,
        &[
            "register",
            "--config",
            &config,
            "--keystore",
            &keystore_arg,
            "--json",
        ],
    );
    // (spn() clears SPN_* variables: this run has no password.)
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("SPN_KEYSTORE_PASSWORD"), "{err}");
    let out = Command::new(sibling_binary("spn"))
        .args(["register", "--config", &config, "--json"])
        .args(["--keystore", &keystore_arg, "--rpc", &mainnet.url])
        .env("SPN_KEYSTORE_PASSWORD", "correct horse")
        .env_remove("SPN_PRIVATE_KEY")
        .output()
        .unwrap();
    let registered = json_of(&out);
    assert!(
        registered["owner"]
            .as_str()
            .unwrap()
            .eq_ignore_ascii_case(&dev1),
        "{registered}"
    );

    // From a terminal, with no password given, spn asks for it (echo off) and goes on.
    let config = spn_config(d, &mainnet.url, 1103);
    let command = format!(
        "{} register --config {config} --keystore {keystore_arg} --rpc {} --json",
        sibling_binary("spn").display(),
        mainnet.url
    );
    let mut asked = Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .env_remove("SPN_PRIVATE_KEY")
        .env_remove("SPN_KEYSTORE_PASSWORD")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("script(1) gives spn a terminal");
    // Typed once the prompt is up (the terminal only hides what arrives after it).
    std::thread::sleep(std::time::Duration::from_secs(1));
    use std::io::Write;
    asked
        .stdin
        .take()
        .unwrap()
        .write_all(b"correct horse\n")
        .unwrap();
    let out = asked.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("password for keystore"), "{text}");
    assert!(
        text.to_lowercase().contains(&dev1.to_lowercase()),
        "registered by the keystore's account: {text}"
    );

    // A wrong password is named as such and sends nothing.
    let wrong = d.join("wrong");
    std::fs::write(&wrong, "battery staple\n").unwrap();
    let config = spn_config(d, &mainnet.url, 1102);
    let out = spn(
        &mainnet.url,
        None,
        &[
            "register",
            "--config",
            &config,
            "--keystore",
            &keystore_arg,
            "--password-file",
            &wrong.display().to_string(),
        ],
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("wrong password"));

    // A settings file: the RPC, the keystore and its password file (paths relative to it).
    std::fs::write(d.join("password"), "correct horse\n").unwrap();
    let settings = d.join("settings.toml");
    std::fs::write(
        &settings,
        format!(
            "rpc = \"{}\"\nkeystore = \"dev1\"\npassword_file = \"password\"\n",
            mainnet.url
        ),
    )
    .unwrap();
    let settings_arg = settings.display().to_string();
    let status = json_of(&spn(
        "",
        None,
        &["status", "--settings", &settings_arg, "--json"],
    ));
    assert_eq!(status["chain_id"], DEV_CHAIN_ID, "{status}");
    let registered = json_of(&spn(
        "",
        None,
        &[
            "register",
            "--config",
            &config,
            "--settings",
            &settings_arg,
            "--json",
        ],
    ));
    assert!(registered["owner"]
        .as_str()
        .unwrap()
        .eq_ignore_ascii_case(&dev1));
    // A flag beats the file: this --rpc has no node behind it.
    let out = spn(
        "http://127.0.0.1:9",
        None,
        &["status", "--settings", &settings_arg],
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("127.0.0.1:9"));

    // Refusals that say what to do.
    let both = common::cli::spn_fails(
        &mainnet.url,
        None,
        &[
            "register",
            "--config",
            &config,
            "--private-key",
            DEV_KEY_0,
            "--keystore",
            &keystore_arg,
        ],
    );
    assert!(both.contains("pass one of"), "{both}");
    let missing = common::cli::spn_fails(
        &mainnet.url,
        None,
        &[
            "register",
            "--config",
            &config,
            "--keystore",
            "/no/such/keystore",
        ],
    );
    assert!(missing.contains("does not exist"), "{missing}");
}

#[test]
fn completions_for_each_shell() {
    for (shell, marker) in [
        ("bash", "_spn()"),
        ("zsh", "#compdef spn"),
        ("fish", "complete -c spn"),
    ] {
        let out = spn("", None, &["completions", shell]);
        assert!(out.status.success());
        let script = String::from_utf8_lossy(&out.stdout);
        assert!(script.contains(marker), "{shell}: {script:.200}");
        assert!(script.contains("devnet"), "{shell} completes subcommands");
    }
    let bad = common::cli::spn_fails("", None, &["completions", "tcsh"]);
    assert!(bad.contains("possible values"), "{bad}");
}
