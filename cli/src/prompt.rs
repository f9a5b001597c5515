//! Ask for a secret on the terminal, without echoing it (like `cast wallet` and geth do).

use eyre::{eyre, Result};
use nix::sys::termios::{self, LocalFlags, SetArg};
use std::io::{BufRead, BufReader, IsTerminal, Write};

/// Reads one line from the controlling terminal with echo off, after printing `prompt` there.
/// `None` when stdin is not a terminal (scripts and CI): then the secret must come from the
/// environment or a file, never from a prompt that would hang.
pub fn password(prompt: &str) -> Result<Option<String>> {
    if !std::io::stdin().is_terminal() {
        return Ok(None);
    }
    let tty = match std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/tty")
    {
        Ok(tty) => tty,
        Err(_) => return Ok(None),
    };
    let original = termios::tcgetattr(&tty).map_err(|e| eyre!("cannot read the terminal: {e}"))?;
    let mut silent = original.clone();
    silent.local_flags.remove(LocalFlags::ECHO);
    silent.local_flags.insert(LocalFlags::ECHONL);
    termios::tcsetattr(&tty, SetArg::TCSANOW, &silent)
        .map_err(|e| eyre!("cannot turn terminal echo off: {e}"))?;
    let mut out = &tty;
    let _ = write!(out, "{prompt}");
    let _ = out.flush();
    let mut line = String::new();
    let read = BufReader::new(&tty).read_line(&mut line);
    // Echo back on whatever happened.
    let _ = termios::tcsetattr(&tty, SetArg::TCSANOW, &original);
    read.map_err(|e| eyre!("cannot read the password: {e}"))?;
    Ok(Some(line.trim_end_matches(['\n', '\r']).to_string()))
}
