//! Run the `bft` engine in a node: every validator batches the transactions it owns, batches
//! are acked and certified over libp2p, the round's leader orders the certified batches into a
//! block that every validator rebuilds and checks before voting, and each block is committed
//! with its finality certificate. Signed messages go to a write-ahead log on disk before they
//! are sent; lagging nodes catch up by block sync; transactions submitted to a validator that
//! does not own their sender are forwarded to the owner.

mod actions;
mod batches;
mod driver;
pub(crate) mod rpc;
mod sync;
mod wal;

pub(crate) use driver::drive_bft;
pub use rpc::{certified_header, CertificateSignature, CertificateValidator, CertifiedHeader};

use ed25519_dalek::SigningKey;
use spn_consensus::bft::{BftConfig, Evidence, StakeSet};
use spn_network::NetworkConfig;
use spn_primitives::{Address, Header, RecoveredTx};
use spn_storage::Store;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

/// A `bft` validator set: stake-weighted keys and, by the same position, the account each
/// validator's blocks pay fees to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BftValidators {
    /// Keys and stakes, in the order the Staking contract lists them.
    pub set: StakeSet,
    /// Fee recipients by position (the validators' Staking accounts).
    pub accounts: Vec<Address>,
}

impl BftValidators {
    /// A set whose validators are paid at `accounts` (one per key, same order).
    pub fn new(set: StakeSet, accounts: Vec<Address>) -> Result<Self, String> {
        if accounts.len() != set.len() {
            return Err(format!(
                "{} fee accounts for {} validators",
                accounts.len(),
                set.len()
            ));
        }
        Ok(Self { set, accounts })
    }

    /// The stored form: per validator its key (32 bytes), stake (8) and account (20).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.set.len() * 60);
        for (i, key) in self.set.keys().iter().enumerate() {
            out.extend_from_slice(key.as_bytes());
            out.extend_from_slice(&self.set.stake(i as u32).to_be_bytes());
            out.extend_from_slice(self.accounts[i].as_slice());
        }
        out
    }

    /// Reads the stored form.
    pub fn decode(bytes: &[u8]) -> Result<Self, String> {
        if bytes.is_empty() || !bytes.len().is_multiple_of(60) {
            return Err(format!("a stored validator set of {} bytes", bytes.len()));
        }
        let mut members = Vec::new();
        let mut accounts = Vec::new();
        for chunk in bytes.chunks(60) {
            let key: [u8; 32] = chunk[..32].try_into().expect("32 bytes");
            let stake = u64::from_be_bytes(chunk[32..40].try_into().expect("8 bytes"));
            members.push((key, stake));
            accounts.push(Address::from_slice(&chunk[40..]));
        }
        let set = StakeSet::new(&members).map_err(|e| e.to_string())?;
        Self::new(set, accounts)
    }

    /// The fee recipient of validator `index` (zero when out of range).
    pub fn account(&self, index: u32) -> Address {
        self.accounts
            .get(index as usize)
            .copied()
            .unwrap_or(Address::ZERO)
    }
}

/// What [`BftSchedule::set_after`] answers with.
pub type BftSetFuture<'a> =
    Pin<Box<dyn Future<Output = Result<Option<BftValidators>, String>> + Send + 'a>>;

/// Where a `bft` chain's later validator sets come from (the mainnet: its Staking contract,
/// read at epoch boundaries; an SPN: its mainnet Registry epochs).
pub trait BftSchedule: Send + Sync {
    /// Called after block `header` is committed, with the store holding its state: the set
    /// that decides heights from `header.number + SET_LAG` on, if it changes there (`None`:
    /// the current set goes on). Must be deterministic in the committed chain, so every node
    /// installs the same set at the same height. The chain waits while it runs (a schedule
    /// reading another chain retries there); an error stops the node: it cannot know who
    /// decides the next blocks.
    fn set_after<'a>(&'a self, header: &'a Header, store: &'a Store) -> BftSetFuture<'a>;
}

/// What a node does with proof that a validator equivocated (e.g. the mainnet signs a
/// `Staking.slashDoubleSign` transaction).
pub trait EvidenceHandler: Send + Sync {
    /// Transactions to submit for `evidence` (as if sent over RPC); the store holds the latest
    /// committed state (for nonces). Errors are logged, never fatal.
    fn on_evidence(&self, evidence: &Evidence, store: &Store) -> Result<Vec<RecoveredTx>, String>;
}

/// Everything a node needs to run `bft`: chosen in one line with
/// [`NodeBuilder::with_consensus`](crate::NodeBuilder::with_consensus).
#[derive(Clone)]
pub struct BftSetup {
    /// Engine tuning (the chain id is bound into every signature).
    pub config: BftConfig,
    /// This validator's ed25519 key; `None` runs a follower that only commits certified blocks.
    pub signing_key: Option<SigningKey>,
    /// The validator set from height 1 (the genesis Staking snapshot).
    pub validators: BftValidators,
    /// Later sets, read as the chain grows; `None` keeps `validators` for good.
    pub schedule: Option<Arc<dyn BftSchedule>>,
    /// What to do with evidence of equivocation; `None` only logs it.
    pub evidence: Option<Arc<dyn EvidenceHandler>>,
    /// The peer-to-peer network (its identity should be the validator key, so peers know
    /// which validator they talk to).
    pub network: NetworkConfig,
}

impl std::fmt::Debug for BftSetup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BftSetup")
            .field("chain_id", &self.config.chain_id)
            .field("validators", &self.validators.set.len())
            .field("schedule", &self.schedule.is_some())
            .field("evidence", &self.evidence.is_some())
            .field("validator", &self.signing_key.is_some())
            .field("listen", &self.network.listen)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validator_sets_round_trip_and_bad_bytes_are_refused() {
        let keys: Vec<([u8; 32], u64)> = (1..=3u8)
            .map(|i| {
                let key = SigningKey::from_bytes(&[i; 32]).verifying_key().to_bytes();
                (key, u64::from(i) * 10)
            })
            .collect();
        let set = StakeSet::new(&keys).unwrap();
        let accounts = vec![
            Address::repeat_byte(1),
            Address::repeat_byte(2),
            Address::ZERO,
        ];
        let v = BftValidators::new(set.clone(), accounts).unwrap();
        assert_eq!(BftValidators::decode(&v.encode()).unwrap(), v);
        assert_eq!(v.account(1), Address::repeat_byte(2));
        assert_eq!(v.account(9), Address::ZERO);
        assert!(BftValidators::decode(&v.encode()[1..]).is_err());
        assert!(BftValidators::decode(&[]).is_err());
        assert!(BftValidators::new(set, vec![]).is_err());
    }
}
