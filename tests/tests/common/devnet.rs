//! `spn devnet` as a user runs it: started (through the README's `./scripts/devnet.sh`, or
//! the `spn` binary), read until it prints its ready line (`--json`), stopped with a signal.
#![allow(dead_code)]

use super::project::{target_dir, workspace};
use super::sibling_binary;
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// A running `spn devnet`, killed (with its process group's children stopped by it) on drop.
pub struct Devnet {
    pub child: Child,
    /// The ready line.
    pub ready: Value,
    /// Where its stderr goes.
    pub log: PathBuf,
}

/// How to start it.
pub enum Launcher {
    /// `./scripts/devnet.sh` (builds first, then execs `spn devnet`).
    Script,
    /// The `spn` binary next to the tests.
    Binary,
}

impl Devnet {
    /// Starts a devnet on `datadir` with free ports and waits (up to 5 minutes, the script
    /// may build) for its ready line.
    pub fn start(launcher: Launcher, datadir: &Path) -> Self {
        Self::start_with(launcher, datadir, &[])
    }

    /// [`Devnet::start`] with more `spn devnet` flags.
    pub fn start_with(launcher: Launcher, datadir: &Path, flags: &[&str]) -> Self {
        let log = datadir.with_extension(format!("log.{}", std::process::id()));
        let log_file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .expect("log file");
        let mut cmd = match launcher {
            Launcher::Script => {
                let mut c = Command::new("bash");
                c.arg(workspace().join("scripts/devnet.sh"))
                    .env("CARGO_TARGET_DIR", target_dir());
                c
            }
            Launcher::Binary => {
                let mut c = Command::new(sibling_binary("spn"));
                c.arg("devnet");
                c
            }
        };
        let mut child = cmd
            .args(["--datadir", &datadir.display().to_string()])
            .args(["--port", "0", "--spn-port", "0", "--json"])
            .args(flags)
            .env_remove("SPN_RPC")
            .stdout(Stdio::piped())
            .stderr(log_file)
            .spawn()
            .expect("start spn devnet");
        let stdout = child.stdout.take().expect("stdout");
        let (lines, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if lines.send(line).is_err() {
                    break;
                }
            }
        });
        let started = Instant::now();
        let ready = loop {
            match rx.recv_timeout(Duration::from_millis(500)) {
                Ok(line) => {
                    if let Ok(v) = serde_json::from_str::<Value>(&line) {
                        if v["status"] == "ready" {
                            break v;
                        }
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => panic!(
                    "spn devnet exited before it was ready:\n{}",
                    std::fs::read_to_string(&log).unwrap_or_default()
                ),
            }
            assert!(
                started.elapsed() < Duration::from_secs(300),
                "spn devnet not ready after 5 minutes:\n{}",
                std::fs::read_to_string(&log).unwrap_or_default()
            );
        };
        eprintln!("devnet ready in {:.1?}", started.elapsed());
        Self { child, ready, log }
    }

    /// The mainnet's RPC URL.
    pub fn mainnet(&self) -> String {
        self.ready["mainnet"]["rpc"]
            .as_str()
            .expect("mainnet rpc")
            .into()
    }

    /// Example SPN `id`'s RPC URL.
    pub fn spn(&self, id: u32) -> String {
        self.ready["spns"]
            .as_array()
            .expect("spns")
            .iter()
            .find(|s| s["spn_id"] == id)
            .and_then(|s| s["rpc"].as_str())
            .unwrap_or_else(|| panic!("no SPN {id} in {}", self.ready))
            .into()
    }

    /// What it printed on stderr so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Sends `signal` (`INT`, `TERM`) and waits (up to a minute) for it to exit.
    pub fn stop(mut self, signal: &str) -> ExitStatus {
        let sent = Command::new("kill")
            .args([format!("-{signal}"), self.child.id().to_string()])
            .status()
            .expect("kill");
        assert!(sent.success());
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status;
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "spn devnet did not stop within a minute of SIG{signal}:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Devnet {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            // SIGTERM lets it stop its children; then make sure.
            let _ = Command::new("kill")
                .args(["-TERM", &self.child.id().to_string()])
                .status();
            let started = Instant::now();
            while started.elapsed() < Duration::from_secs(30) {
                if let Ok(Some(_)) = self.child.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
