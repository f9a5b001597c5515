//! The relayer's cursor: how far each SPN's outbox was relayed, and the messages being
//! retried or given up on. Saved atomically (write, fsync, rename), so a crash at any instant
//! leaves the previous or the new state, never a torn one.

use alloy::primitives::{Bytes, B256};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

/// Everything the relayer remembers across restarts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RelayerState {
    /// Per SPN id.
    pub spns: BTreeMap<u32, SpnCursor>,
}

/// How far one SPN was relayed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpnCursor {
    /// Every message dispatched at or below this SPN block was relayed (or is in `retry` or
    /// `gave_up`).
    pub scanned_to: u64,
    /// Messages that failed and will be tried again.
    #[serde(default)]
    pub retry: BTreeMap<B256, PendingMessage>,
    /// Messages the relayer stopped trying, with the last reason.
    #[serde(default)]
    pub gave_up: BTreeMap<B256, PendingMessage>,
    /// Forced-withdrawal requests to this SPN were read from the mainnet up to this block.
    #[serde(default)]
    pub forced_scanned_to: u64,
    /// Forced-withdrawal requests not yet proven processed (request ids).
    #[serde(default)]
    pub forced_pending: std::collections::BTreeSet<u64>,
}

/// A message that failed to relay.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingMessage {
    /// The message (Hyperlane format).
    pub message: Bytes,
    /// SPN block it was dispatched in.
    pub block: u64,
    /// Attempts so far.
    pub attempts: u32,
    /// Why the last attempt failed.
    pub last_error: String,
    /// Unix milliseconds before which it is not tried again.
    pub next_at_ms: u64,
}

/// Milliseconds to wait after `attempts` failures: 500 ms doubling, at most one minute.
pub fn backoff_ms(attempts: u32) -> u64 {
    let exp = attempts.saturating_sub(1).min(20);
    (500u64 << exp).min(60_000)
}

impl RelayerState {
    /// Loads the state, or an empty one if the file does not exist yet.
    pub fn load(path: &Path) -> Result<Self, String> {
        match std::fs::read(path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
                format!(
                    "relayer state {} is unreadable ({e}); move it away to start over \
                     (already relayed messages are skipped, not sent twice)",
                    path.display()
                )
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(e) => Err(format!("cannot read {}: {e}", path.display())),
        }
    }

    /// Saves the state atomically.
    pub fn save(&self, path: &Path) -> Result<(), String> {
        let fail = |e: std::io::Error| format!("cannot save {}: {e}", path.display());
        let dir = path.parent().filter(|p| !p.as_os_str().is_empty());
        if let Some(dir) = dir {
            std::fs::create_dir_all(dir).map_err(fail)?;
        }
        let tmp = path.with_extension("tmp");
        let bytes = serde_json::to_vec_pretty(self).map_err(|e| e.to_string())?;
        let mut file = std::fs::File::create(&tmp).map_err(fail)?;
        file.write_all(&bytes).map_err(fail)?;
        file.sync_all().map_err(fail)?;
        std::fs::rename(&tmp, path).map_err(fail)?;
        if let Some(dir) = dir {
            if let Ok(d) = std::fs::File::open(dir) {
                let _ = d.sync_all();
            }
        }
        Ok(())
    }

    /// The cursor of `spn_id`.
    pub fn spn(&mut self, spn_id: u32) -> &mut SpnCursor {
        self.spns.entry(spn_id).or_default()
    }
}

impl SpnCursor {
    /// Records a failed attempt: retried later with backoff, or given up after `max_attempts`.
    /// Returns whether the relayer gave up.
    pub fn failed(
        &mut self,
        id: B256,
        message: Bytes,
        block: u64,
        error: String,
        now_ms: u64,
        max_attempts: u32,
    ) -> bool {
        let attempts = self.retry.remove(&id).map_or(0, |p| p.attempts) + 1;
        let pending = PendingMessage {
            message,
            block,
            attempts,
            last_error: error,
            next_at_ms: now_ms + backoff_ms(attempts),
        };
        if attempts >= max_attempts {
            self.gave_up.insert(id, pending);
            true
        } else {
            self.retry.insert(id, pending);
            false
        }
    }

    /// A message that was not tried (its transaction was never sent, e.g. the pool was
    /// full): due again at `now_ms`, its attempts unchanged.
    pub fn deferred(&mut self, id: B256, message: Bytes, block: u64, reason: String, now_ms: u64) {
        let attempts = self.retry.get(&id).map_or(0, |p| p.attempts);
        self.retry.insert(
            id,
            PendingMessage {
                message,
                block,
                attempts,
                last_error: reason,
                next_at_ms: now_ms,
            },
        );
    }

    /// Messages due for another attempt at `now_ms`.
    pub fn due(&self, now_ms: u64) -> Vec<(B256, PendingMessage)> {
        self.retry
            .iter()
            .filter(|(_, p)| p.next_at_ms <= now_ms)
            .map(|(id, p)| (*id, p.clone()))
            .collect()
    }

    /// A message was relayed (or found already relayed): forget its failures.
    pub fn done(&mut self, id: &B256) {
        self.retry.remove(id);
        self.gave_up.remove(id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_a_minute() {
        assert_eq!(backoff_ms(1), 500);
        assert_eq!(backoff_ms(2), 1_000);
        assert_eq!(backoff_ms(5), 8_000);
        assert_eq!(backoff_ms(30), 60_000);
    }

    #[test]
    fn failures_retry_with_backoff_then_give_up_at_the_cap() {
        let mut c = SpnCursor::default();
        let id = B256::repeat_byte(1);
        let msg = Bytes::from_static(b"m");
        assert!(!c.failed(id, msg.clone(), 5, "a".into(), 1_000, 3));
        assert!(c.due(1_499).is_empty());
        assert_eq!(c.due(1_500).len(), 1);
        assert!(!c.failed(id, msg.clone(), 5, "b".into(), 2_000, 3));
        assert_eq!(c.retry[&id].attempts, 2);
        assert!(c.failed(id, msg, 5, "c".into(), 3_000, 3));
        assert!(c.retry.is_empty());
        assert_eq!(c.gave_up[&id].last_error, "c");
        c.done(&id);
        assert!(c.gave_up.is_empty());
    }

    #[test]
    fn a_message_never_sent_is_due_again_without_using_an_attempt() {
        let mut c = SpnCursor::default();
        let id = B256::repeat_byte(2);
        let msg = Bytes::from_static(b"m");
        assert!(!c.failed(id, msg.clone(), 5, "reverted".into(), 1_000, 3));
        c.deferred(id, msg.clone(), 5, "pool full".into(), 2_000);
        c.deferred(id, msg.clone(), 5, "pool full".into(), 2_100);
        assert_eq!(c.retry[&id].attempts, 1, "deferrals are not attempts");
        assert_eq!(c.due(2_100).len(), 1);
        assert!(!c.failed(id, msg, 5, "reverted".into(), 3_000, 3));
        assert_eq!(c.retry[&id].attempts, 2);
    }

    #[test]
    fn state_survives_a_save_and_load_and_a_torn_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested/state.json");
        assert_eq!(RelayerState::load(&path).unwrap(), RelayerState::default());
        let mut s = RelayerState::default();
        s.spn(7).scanned_to = 42;
        s.spn(7)
            .failed(B256::ZERO, Bytes::new(), 3, "x".into(), 0, 5);
        s.save(&path).unwrap();
        assert_eq!(RelayerState::load(&path).unwrap(), s);
        std::fs::write(&path, b"{\"spns\": {").unwrap();
        assert!(RelayerState::load(&path)
            .unwrap_err()
            .contains("move it away"));
    }
}
