//! The relayer's Prometheus metrics, labelled by SPN.

use prometheus_client::encoding::{text::encode, EncodeLabelSet};
use prometheus_client::metrics::{counter::Counter, family::Family, gauge::Gauge};
use prometheus_client::registry::Registry;
use std::sync::atomic::AtomicU64;

/// The `spn` label.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct SpnLabel {
    /// The SPN id.
    pub spn: u32,
}

/// What the relayer counts.
#[derive(Debug)]
pub struct RelayerMetrics {
    registry: Registry,
    /// Messages found in SPN outboxes.
    pub seen: Family<SpnLabel, Counter>,
    /// Messages relayed by this relayer or found already relayed.
    pub relayed: Family<SpnLabel, Counter>,
    /// Failed relay attempts.
    pub failed: Family<SpnLabel, Counter>,
    /// Messages given up on after the attempt cap.
    pub gave_up: Family<SpnLabel, Counter>,
    /// Relay transactions sent (a batch of messages, or one message).
    pub relay_transactions: Family<SpnLabel, Counter>,
    /// Checkpoints this relayer finalized.
    pub checkpoints: Family<SpnLabel, Counter>,
    /// Forced withdrawals this relayer proved processed on the mainnet.
    pub forced_confirmed: Family<SpnLabel, Counter>,
    /// SPN blocks between the SPN head and the relayed cursor.
    pub lag_blocks: Family<SpnLabel, Gauge>,
    /// Messages waiting for a retry.
    pub retrying: Family<SpnLabel, Gauge>,
    /// The relayer account's mainnet balance, in ether.
    pub balance: Gauge<f64, AtomicU64>,
}

impl Default for RelayerMetrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("spn_relayer");
        let m = Self {
            registry: Registry::default(),
            seen: Family::default(),
            relayed: Family::default(),
            failed: Family::default(),
            gave_up: Family::default(),
            relay_transactions: Family::default(),
            checkpoints: Family::default(),
            forced_confirmed: Family::default(),
            lag_blocks: Family::default(),
            retrying: Family::default(),
            balance: Gauge::default(),
        };
        registry.register(
            "messages_seen",
            "Messages found in SPN outboxes",
            m.seen.clone(),
        );
        registry.register(
            "messages_relayed",
            "Messages relayed (or found already relayed)",
            m.relayed.clone(),
        );
        registry.register("messages_failed", "Failed relay attempts", m.failed.clone());
        registry.register(
            "messages_gave_up",
            "Messages given up on after the attempt cap",
            m.gave_up.clone(),
        );
        registry.register(
            "relay_transactions",
            "Relay transactions sent (each a batch of messages, or one)",
            m.relay_transactions.clone(),
        );
        registry.register(
            "checkpoints_submitted",
            "Checkpoints finalized by this relayer",
            m.checkpoints.clone(),
        );
        registry.register(
            "forced_withdrawals_confirmed",
            "Forced withdrawals proven processed on the mainnet (their bonds returned)",
            m.forced_confirmed.clone(),
        );
        registry.register(
            "lag_blocks",
            "SPN blocks between the SPN head and the relayed cursor",
            m.lag_blocks.clone(),
        );
        registry.register(
            "messages_retrying",
            "Messages waiting for a retry",
            m.retrying.clone(),
        );
        registry.register(
            "balance_ether",
            "The relayer account's mainnet balance",
            m.balance.clone(),
        );
        Self { registry, ..m }
    }
}

impl RelayerMetrics {
    /// Prometheus text format.
    pub fn render(&self) -> String {
        let mut out = String::new();
        if encode(&mut out, &self.registry).is_err() {
            out.clear();
        }
        out
    }

    /// The label of `spn`.
    pub fn spn(spn: u32) -> SpnLabel {
        SpnLabel { spn }
    }
}
