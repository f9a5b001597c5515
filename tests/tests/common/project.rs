//! A project made by `spn new`, handled as its README says: built and tested (Cargo with a
//! path dependency on this workspace, reusing its build cache; the app with its own npm
//! toolchain), registered and restaked for on a mainnet, its validators run, its example app
//! deployed.
#![allow(dead_code)]

use super::cli::spn;
use super::{sibling_binary, NodeProcess};
use pharos_mainnet::DEV_ACCOUNTS;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

alloy::sol! {
    #[sol(rpc)]
    interface IMessenger {
        function send(uint32 destination, address recipient, bytes calldata body) external returns (bytes32);
        function received() external view returns (uint256);
        function lastOrigin() external view returns (uint32);
        function lastSender() external view returns (bytes32);
        function lastBody() external view returns (bytes);
    }
}

/// A rendered project.
pub struct Project {
    /// Its folder.
    pub dir: PathBuf,
    /// Its name (also its node binary's).
    pub name: String,
    /// What `spn new --json` printed.
    pub created: Value,
}

/// The workspace's build cache: where the test binaries are (`…/release/deps/..`).
pub fn target_dir() -> PathBuf {
    sibling_binary("spn")
        .parent()
        .and_then(Path::parent)
        .expect("target dir")
        .to_path_buf()
}

/// A fresh folder at a fixed place in the build cache for projects a test renders: the
/// same path every run keeps the project crate's build artifacts at one name (overwritten,
/// not piling up: a package's path is part of its artifacts' hash).
pub fn fixed_dir(name: &str) -> PathBuf {
    let dir = target_dir().join("e2e-projects").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("project folder");
    dir
}

/// The workspace root.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .canonicalize()
        .expect("workspace root")
}

/// Runs `cmd`, requiring success; prints how long it took.
pub fn run_ok(what: &str, cmd: &mut Command) -> Output {
    let started = Instant::now();
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("{what}: cannot run: {e}"));
    assert!(
        out.status.success(),
        "{what} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    eprintln!("{what}: {:.1?}", started.elapsed());
    out
}

impl Project {
    /// `spn new NAME ARGS --json` in `parent`, for the mainnet at `mainnet_url`.
    pub fn new(parent: &Path, name: &str, mainnet_url: &str, args: &[&str]) -> Self {
        let dir_arg = parent.display().to_string();
        let mut all = vec!["new", name, "--json", "--dir", &dir_arg];
        all.extend_from_slice(args);
        let out = spn(mainnet_url, None, &all);
        assert!(
            out.status.success(),
            "spn new failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let created: Value = serde_json::from_slice(&out.stdout).expect("spn new --json");
        Self {
            dir: parent.join(name),
            name: name.to_string(),
            created,
        }
    }

    /// `cargo ARGS` in the project, with the workspace's build cache.
    pub fn cargo(&self, args: &[&str]) -> Output {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        run_ok(
            &format!("cargo {}", args.join(" ")),
            Command::new(cargo)
                .args(args)
                .current_dir(&self.dir)
                .env("CARGO_TARGET_DIR", target_dir())
                .env("CARGO_TERM_COLOR", "never"),
        )
    }

    /// The node binary `cargo build --release` made.
    pub fn binary(&self) -> PathBuf {
        target_dir().join("release").join(&self.name)
    }

    /// `npm ci` and the app's forge tests, in `app/`.
    pub fn install_and_test_app(&self) {
        let app = self.dir.join("app");
        run_ok(
            "npm ci (app)",
            Command::new("npm")
                .args(["ci", "--no-audit", "--no-fund", "--prefer-offline"])
                .current_dir(&app),
        );
        let out = run_ok(
            "forge test (app)",
            Command::new(app.join("bin/forge"))
                .arg("test")
                .current_dir(&app),
        );
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("0 failed"), "{text}");
    }

    /// The validators `spn new` made: (file, ed25519 secret, operator account key).
    pub fn validators(&self) -> Vec<(PathBuf, String, &'static str)> {
        self.created["validators"]
            .as_array()
            .expect("validators")
            .iter()
            .map(|v| {
                let file = self.dir.join(v["file"].as_str().expect("file"));
                let text = std::fs::read_to_string(&file).expect("validator file");
                let table: toml::Table = text.parse().expect("validator TOML");
                let secret = table["signing_key"].as_str().expect("key").to_string();
                let operator = v["operator"].as_str().expect("operator");
                let account = DEV_ACCOUNTS
                    .iter()
                    .find(|a| a.address.eq_ignore_ascii_case(operator))
                    .expect("a dev account");
                (file, secret, account.private_key)
            })
            .collect()
    }

    /// `spn register --dev-restake`: registers the SPN as dev account 0, then restakes for
    /// every validator from the dev account `spn new` made its operator; the SPN is active.
    pub fn register_and_restake(&self, mainnet_url: &str) {
        let config = self.dir.join("spn.toml").display().to_string();
        let out = spn(
            mainnet_url,
            Some(DEV_ACCOUNTS[0].private_key),
            &["register", "--config", &config, "--dev-restake", "--json"],
        );
        assert!(
            out.status.success(),
            "spn register --dev-restake: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let registered: Value = serde_json::from_slice(&out.stdout).expect("register json");
        assert_eq!(registered["status"], "Active", "{registered}");
        let restaked = registered["restaked"].as_array().expect("restaked");
        let validators = self.validators();
        assert_eq!(restaked.len(), validators.len(), "{registered}");
        for (i, ((_, _, operator), r)) in validators.iter().zip(restaked).enumerate() {
            let key = &self.created["validators"][i]["public_key"];
            assert_eq!(&r["operator_key"], key, "validator {i}'s key: {r}");
            assert_eq!(
                r["operator"]
                    .as_str()
                    .unwrap()
                    .parse::<alloy::primitives::Address>()
                    .unwrap(),
                super::address_of(operator),
                "restaked from its operator: {r}"
            );
            assert_eq!(
                r["activated"],
                i + 1 == validators.len(),
                "the SPN activates with its last validator's stake: {r}"
            );
        }
    }

    /// Starts every validator's node (`NAME run --validator FILE`), each on a free port.
    pub fn start_validators(&self, dir: &Path) -> Vec<NodeProcess> {
        let config = self.dir.join("spn.toml").display().to_string();
        self.validators()
            .iter()
            .enumerate()
            .map(|(i, (file, _, _))| {
                let file = file.display().to_string();
                NodeProcess::spawn(
                    &self.binary(),
                    &[
                        "run",
                        "--validator",
                        &file,
                        "--config",
                        &config,
                        "--http.port",
                        "0",
                    ],
                    &dir.join(format!("{}-validator-{}", self.name, i + 1)),
                    &[],
                )
            })
            .collect()
    }

    /// Deploys the example app's `Messenger` on the SPN at `url` with `forge create`, as the
    /// README does; returns its address.
    pub fn deploy_messenger(&self, url: &str) -> alloy::primitives::Address {
        let app = self.dir.join("app");
        let out = run_ok(
            "forge create Messenger",
            Command::new(app.join("bin/forge"))
                .args([
                    "create",
                    "--rpc-url",
                    url,
                    "--private-key",
                    DEV_ACCOUNTS[0].private_key,
                    "--broadcast",
                    "src/Messenger.sol:Messenger",
                ])
                .current_dir(&app),
        );
        let text = String::from_utf8_lossy(&out.stdout);
        let line = text
            .lines()
            .find_map(|l| l.strip_prefix("Deployed to: "))
            .unwrap_or_else(|| panic!("no address in forge create's output:\n{text}"));
        line.trim().parse().expect("an address")
    }
}

/// Waits up to `limit` for `check` to pass, polling every 200 ms.
pub async fn wait_for<F, Fut>(what: &str, limit: Duration, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let started = Instant::now();
    while !check().await {
        assert!(started.elapsed() < limit, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
