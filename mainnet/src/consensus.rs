//! Set up what a mainnet node runs when genesis registers validators: `bft` with the Staking
//! contract's set, as a validator (with `--validator.key`) or a follower, on the chain's
//! validator network, slashing double votes with the evidence account's key.

use crate::evidence::SlashingReporter;
use crate::keys::{read_ed25519, read_secret, write_secret, AccountKey};
use crate::spec::BftParams;
use crate::validators::{Epochs, KnownKeys, StakingSchedule};
use ed25519_dalek::SigningKey;
use eyre::{eyre, Result, WrapErr};
use spn_consensus::bft::BftConfig;
use spn_network::{NetworkConfig, PeerAddr};
use spn_node::{BftSetup, BftValidators, EvidenceHandler};
use spn_primitives::B256;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The validator network's topic of mainnet `chain_id`: peers on another never meet.
pub fn network_topic(chain_id: u64) -> String {
    format!("pharos/mainnet/{chain_id}/bft")
}

/// The file next to a validator key where `pharos-node testnet` writes the validator's
/// account key, used for slashing reports when `--evidence.key` is not given.
pub const ACCOUNT_KEY_FILE: &str = "account.key";
/// A follower's network identity, kept in its data directory so peers can name it.
pub const NODE_KEY_FILE: &str = "p2p.key";

/// How this node takes part in `bft`, from its flags and config file.
#[derive(Debug, Clone)]
pub struct ValidatorOptions {
    /// The ed25519 consensus key file; `None` follows the chain without voting.
    pub validator_key: Option<PathBuf>,
    /// The secp256k1 key file that signs slashing transactions.
    pub evidence_key: Option<PathBuf>,
    /// Where the validator network listens.
    pub p2p_listen: SocketAddr,
    /// Static peers, `<hex ed25519 key>@<ip>:<port>`.
    pub peers: Vec<String>,
    /// With no transactions, a block after this many milliseconds.
    pub idle_block_ms: u64,
}

/// A node's `bft` setup and what to tell its operator about it.
pub struct BftNode {
    /// What the node builder runs.
    pub setup: BftSetup,
    /// One line: validator or follower, its key and position.
    pub role: String,
    /// The network identity peers name this node by.
    pub peer_key: [u8; 32],
}

/// The `bft` setup of chain `chain_id` whose genesis set is `validators`.
pub fn bft_node(
    chain_id: u64,
    params: BftParams,
    validators: BftValidators,
    options: &ValidatorOptions,
    datadir: &Path,
) -> Result<BftNode> {
    let epochs = Epochs::new(params.epoch_blocks).map_err(|e| eyre!("bft.epoch_blocks: {e}"))?;
    let known = Arc::new(KnownKeys::default());
    known.remember(&validators);
    let signing_key = options
        .validator_key
        .as_deref()
        .map(read_ed25519)
        .transpose()?;
    let role = role(signing_key.as_ref(), &validators);
    let identity = match &signing_key {
        Some(key) => key.to_bytes(),
        None => follower_identity(datadir)?,
    };
    let evidence = evidence_handler(chain_id, options, known.clone())?;
    let mut config = BftConfig::new(chain_id);
    if options.idle_block_ms > 0 {
        config.idle_block_ms = Some(options.idle_block_ms);
    }
    let mut network = NetworkConfig::new(options.p2p_listen, identity, network_topic(chain_id));
    network.peers = parse_peers(&options.peers)?;
    let peer_key = SigningKey::from_bytes(&identity).verifying_key().to_bytes();
    Ok(BftNode {
        setup: BftSetup {
            config,
            signing_key,
            validators,
            schedule: Some(Arc::new(StakingSchedule::new(chain_id, epochs, known))),
            evidence,
            network,
        },
        role,
        peer_key,
    })
}

fn role(key: Option<&SigningKey>, validators: &BftValidators) -> String {
    let n = validators.set.len();
    match key {
        None => format!("bft follower of {n} validators (no --validator.key)"),
        Some(key) => {
            let public = B256::from(key.verifying_key().to_bytes());
            match validators.set.index_of(&key.verifying_key()) {
                Some(i) => format!("bft validator {public} ({} of {n})", i + 1),
                None => {
                    tracing::warn!(
                        %public,
                        "this validator key is not in the genesis validator set: the node \
                         follows, and votes once the Staking contract lists it"
                    );
                    format!("bft validator {public} (not in the genesis set of {n})")
                }
            }
        }
    }
}

/// The follower's network identity: `datadir/p2p.key`, created on first start.
fn follower_identity(datadir: &Path) -> Result<[u8; 32]> {
    let path = datadir.join(NODE_KEY_FILE);
    if !path.exists() {
        std::fs::create_dir_all(datadir)
            .wrap_err_with(|| format!("cannot create {}", datadir.display()))?;
        write_secret(&path, &B256::from(rand::random::<[u8; 32]>()))?;
    }
    Ok(read_secret(&path, "network identity")?.0)
}

/// The slashing reporter: `--evidence.key`, else the validator's `account.key` beside its
/// validator key, else none (evidence is only logged).
fn evidence_handler(
    chain_id: u64,
    options: &ValidatorOptions,
    known: Arc<KnownKeys>,
) -> Result<Option<Arc<dyn EvidenceHandler>>> {
    let beside_validator_key = options
        .validator_key
        .as_deref()
        .and_then(Path::parent)
        .map(|dir| dir.join(ACCOUNT_KEY_FILE))
        .filter(|p| p.exists());
    let Some(path) = options.evidence_key.clone().or(beside_validator_key) else {
        tracing::info!(
            "no --evidence.key: evidence of double signing is logged, not submitted for slashing"
        );
        return Ok(None);
    };
    let account = AccountKey::read(&path).wrap_err("--evidence.key")?;
    tracing::info!(account = %account.address, "double votes are reported for slashing from this account");
    Ok(Some(Arc::new(SlashingReporter::new(
        chain_id, account, known,
    ))))
}

/// `key@ip:port` peers; an error names the entry.
pub fn parse_peers(peers: &[String]) -> Result<Vec<PeerAddr>> {
    peers
        .iter()
        .map(|p| p.trim())
        .filter(|p| !p.is_empty())
        .map(|p| {
            p.parse::<PeerAddr>().map_err(|e| {
                eyre!("p2p.peers: `{p}`: {e} (expected <64 hex ed25519 key>@<ip>:<port>)")
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::write_secret;
    use spn_consensus::bft::StakeSet;
    use spn_primitives::{keccak256, Address};

    fn validators(keys: &[SigningKey]) -> BftValidators {
        let members: Vec<_> = keys
            .iter()
            .map(|k| (k.verifying_key().to_bytes(), 1))
            .collect();
        let accounts = (0..keys.len())
            .map(|i| Address::repeat_byte(i as u8))
            .collect();
        BftValidators::new(StakeSet::new(&members).unwrap(), accounts).unwrap()
    }

    fn options() -> ValidatorOptions {
        ValidatorOptions {
            validator_key: None,
            evidence_key: None,
            p2p_listen: "127.0.0.1:0".parse().unwrap(),
            peers: Vec::new(),
            idle_block_ms: 500,
        }
    }

    #[test]
    fn a_validator_is_its_key_on_the_network_and_reports_with_its_account_key() {
        let dir = tempfile::tempdir().unwrap();
        let key = SigningKey::from_bytes(&keccak256("v0").0);
        let key_file = dir.path().join("validator.key");
        write_secret(&key_file, &B256::from(key.to_bytes())).unwrap();
        let other = SigningKey::from_bytes(&keccak256("v1").0);
        let mut opts = options();
        opts.validator_key = Some(key_file);
        let set = validators(&[other.clone(), key.clone()]);
        let node = bft_node(7, BftParams::default(), set.clone(), &opts, dir.path()).unwrap();
        assert_eq!(node.setup.network.identity, key.to_bytes());
        assert_eq!(node.peer_key, key.verifying_key().to_bytes());
        assert_eq!(node.setup.network.topic, "pharos/mainnet/7/bft");
        assert_eq!(node.setup.config.idle_block_ms, Some(500));
        assert!(node.role.contains("(2 of 2)"), "{}", node.role);
        assert!(node.setup.evidence.is_none(), "no account key beside it");

        write_secret(&dir.path().join(ACCOUNT_KEY_FILE), &keccak256("account")).unwrap();
        let node = bft_node(7, BftParams::default(), set, &opts, dir.path()).unwrap();
        assert!(
            node.setup.evidence.is_some(),
            "the account key beside it reports"
        );
    }

    #[test]
    fn a_follower_keeps_one_network_identity_across_restarts() {
        let dir = tempfile::tempdir().unwrap();
        let set = validators(&[SigningKey::from_bytes(&[1; 32])]);
        let opts = options();
        let first = bft_node(7, BftParams::default(), set.clone(), &opts, dir.path()).unwrap();
        let again = bft_node(7, BftParams::default(), set, &opts, dir.path()).unwrap();
        assert!(first.setup.signing_key.is_none());
        assert!(first.role.contains("follower"));
        assert_eq!(first.peer_key, again.peer_key);
    }

    #[test]
    fn bad_peers_and_epochs_are_named() {
        let e = parse_peers(&["nope@127.0.0.1:1".into()]).unwrap_err();
        assert!(
            e.to_string().contains("p2p.peers: `nope@127.0.0.1:1`"),
            "{e}"
        );
        let dir = tempfile::tempdir().unwrap();
        let set = validators(&[SigningKey::from_bytes(&[1; 32])]);
        let params = BftParams { epoch_blocks: 1 };
        let e = bft_node(7, params, set, &options(), dir.path())
            .err()
            .unwrap();
        assert!(e.to_string().contains("bft.epoch_blocks"), "{e}");
    }
}
