//! The devnet's processes: started in their own process group (so a terminal's Ctrl-C
//! reaches only `spn devnet`, which stops them in order), logging to files, watched while
//! they run, and stopped with SIGTERM (SIGKILL after a grace period).

use eyre::{bail, eyre, Result, WrapErr};
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::time::{Duration, Instant};
use tokio::process::{Child, Command};

/// How long a process may take to start listening.
const START_TIMEOUT: Duration = Duration::from_secs(120);
/// How long a process may take to stop after SIGTERM before it is killed.
const STOP_GRACE: Duration = Duration::from_secs(20);

/// A process the devnet started.
pub struct Process {
    /// What it is (`mainnet`, `spn 1001`, `relayer`).
    pub name: String,
    /// Its log file.
    pub log: PathBuf,
    child: Child,
}

/// The devnet's processes, stopped in reverse start order.
#[derive(Default)]
pub struct Supervisor {
    processes: Vec<Process>,
}

impl Supervisor {
    /// Starts `binary args` as `name`, its stdout and stderr appended to `log`.
    pub fn spawn(&mut self, name: &str, binary: &Path, args: &[String], log: &Path) -> Result<()> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .wrap_err_with(|| format!("cannot open {}", log.display()))?;
        let err = file.try_clone()?;
        let child = Command::new(binary)
            .args(args)
            .env(
                "RUST_LOG",
                std::env::var("RUST_LOG").unwrap_or("info".into()),
            )
            .stdin(Stdio::null())
            .stdout(file)
            .stderr(err)
            .process_group(0)
            .kill_on_drop(true)
            .spawn()
            .wrap_err_with(|| format!("cannot start {name} ({})", binary.display()))?;
        self.processes.push(Process {
            name: name.to_string(),
            log: log.to_path_buf(),
            child,
        });
        Ok(())
    }

    /// Waits until the last started process writes its address to `addr_file`; returns it.
    pub async fn wait_for_address(&mut self, addr_file: &Path) -> Result<String> {
        self.wait_until(|| {
            std::fs::read_to_string(addr_file)
                .ok()
                .filter(|a| !a.trim().is_empty())
        })
        .await
    }

    /// Waits until the last started process logs `line`.
    pub async fn wait_for_log(&mut self, line: &str) -> Result<()> {
        let log = self.last()?.log.clone();
        self.wait_until(|| {
            std::fs::read_to_string(&log)
                .ok()
                .filter(|text| text.contains(line))
                .map(|_| ())
        })
        .await
    }

    async fn wait_until<T>(&mut self, mut ready: impl FnMut() -> Option<T>) -> Result<T> {
        let started = Instant::now();
        let mut told = false;
        loop {
            if let Some(value) = ready() {
                return Ok(value);
            }
            let process = self
                .processes
                .last_mut()
                .ok_or_else(|| eyre!("no process started"))?;
            if let Some(status) = process.child.try_wait()? {
                bail!(
                    "{}\nif it says an address is in use or a data directory is locked, another \
                     devnet or node is running (a devnet killed with SIGKILL leaves its \
                     processes behind): stop it, or pass other --port, --spn-port or --datadir",
                    died(process, status)
                );
            }
            if started.elapsed() > START_TIMEOUT {
                bail!(
                    "{} did not start within {} s; the end of its log ({}):\n{}",
                    process.name,
                    START_TIMEOUT.as_secs(),
                    process.log.display(),
                    log_tail(process)
                );
            }
            if !told && started.elapsed() > Duration::from_secs(1) {
                eprintln!("waiting for {} to start ...", process.name);
                told = true;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    fn last(&self) -> Result<&Process> {
        self.processes
            .last()
            .ok_or_else(|| eyre!("no process started"))
    }

    /// Returns when a process exits on its own: why, and where its log is.
    pub async fn first_exit(&mut self) -> String {
        loop {
            for process in &mut self.processes {
                if let Ok(Some(status)) = process.child.try_wait() {
                    return died(process, status);
                }
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    /// Stops every process, the last started first: SIGTERM, then SIGKILL after a grace.
    pub async fn stop_all(&mut self) {
        while let Some(mut process) = self.processes.pop() {
            if let Ok(Some(_)) = process.child.try_wait() {
                continue;
            }
            eprintln!("stopping {} ...", process.name);
            if let Some(pid) = process.child.id().and_then(|id| i32::try_from(id).ok()) {
                let _ = kill(Pid::from_raw(pid), Signal::SIGTERM);
            }
            match tokio::time::timeout(STOP_GRACE, process.child.wait()).await {
                Ok(_) => {}
                Err(_) => {
                    eprintln!(
                        "{} did not stop within {} s: killing it",
                        process.name,
                        STOP_GRACE.as_secs()
                    );
                    let _ = process.child.kill().await;
                }
            }
        }
    }
}

/// "`name` exited with …; the end of its log: …".
fn died(process: &Process, status: ExitStatus) -> String {
    format!(
        "{} exited ({status}); the end of its log ({}):\n{}",
        process.name,
        process.log.display(),
        log_tail(process)
    )
}

/// The last ten lines of a process's log.
fn log_tail(process: &Process) -> String {
    let text = std::fs::read_to_string(&process.log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(10)..].join("\n")
}
