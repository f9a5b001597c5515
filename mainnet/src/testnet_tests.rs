//! A generated testnet is one a node runs: keys private to their owner, a genesis whose
//! Staking set is exactly the generated keys and accounts, configs naming each other as peers.

use super::*;
use crate::cli::load_spec;
use crate::config::FileConfig;
use crate::consensus::parse_peers;
use crate::keys::{read_ed25519, read_secret};
use crate::validators::genesis_validators;
use std::collections::BTreeSet;
use std::os::unix::fs::PermissionsExt;

fn args(out: &Path) -> TestnetArgs {
    TestnetArgs {
        validators: 4,
        out: out.to_path_buf(),
        chain_id: 7001,
        base_port: 40000,
        host: "127.0.0.1".parse().unwrap(),
        epoch_blocks: 10,
        stake: "32".into(),
        block_time_ms: 500,
        json: false,
        dev_params: false,
    }
}

#[test]
fn dev_params_give_the_genesis_the_dev_chains_minimums() {
    let dir = tempfile::tempdir().unwrap();
    let mut dev = args(&dir.path().join("dev"));
    dev.dev_params = true;
    dev.stake = "1".into();
    let net = generate(&dev).unwrap();
    let (mainnet, _) = load_spec(&net.genesis).unwrap();
    assert!(mainnet.dev_params);
    assert_eq!(mainnet.system_params(), crate::system::SystemParams::dev());
    // Without them a 1-ether stake is below the minimum.
    let mut production = args(&dir.path().join("production"));
    production.stake = "1".into();
    let err = generate(&production).unwrap_err().to_string();
    assert!(err.contains("below the Staking minimum"), "{err}");
    let text = std::fs::read_to_string(&net.genesis).unwrap();
    let bad = text.replace("system_params = \"dev\"", "system_params = \"fast\"");
    assert!(crate::spec::MainnetSpec::from_toml(&bad).is_err());
}

#[test]
fn a_generated_testnet_is_a_network_of_its_own_keys() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("net");
    let net = generate(&args(&out)).unwrap();
    assert_eq!(net.validators.len(), 4);

    let (mainnet, genesis) = load_spec(&net.genesis).unwrap();
    assert_eq!((genesis.chain_id, mainnet.bft.epoch_blocks), (7001, 10));
    let set = genesis_validators(&genesis).unwrap().unwrap();
    let mut ports = BTreeSet::new();
    for (i, v) in net.validators.iter().enumerate() {
        for file in [VALIDATOR_KEY_FILE, ACCOUNT_KEY_FILE] {
            let mode = std::fs::metadata(v.dir.join(file))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600, "{file} is private");
        }
        let key = read_ed25519(&v.dir.join(VALIDATOR_KEY_FILE)).unwrap();
        let index = u32::try_from(i).unwrap();
        assert_eq!(set.set.key(index), Some(&key.verifying_key()));
        let account = AccountKey::new(read_secret(&v.dir.join(ACCOUNT_KEY_FILE), "k").unwrap());
        assert_eq!(account.unwrap().address, set.accounts[i]);

        let config = FileConfig::load(&v.config).unwrap();
        assert_eq!(config.chain.as_deref(), Some(net.genesis.as_path()));
        assert_eq!(
            config.datadir.as_deref(),
            Some(v.dir.join("data").as_path())
        );
        assert_eq!(config.validator.key, Some(v.dir.join(VALIDATOR_KEY_FILE)));
        let peers = parse_peers(&config.p2p.peers).unwrap();
        assert_eq!(peers.len(), 3, "everyone but itself");
        assert!(peers
            .iter()
            .all(|p| p.key != key.verifying_key().to_bytes()));
        ports.extend([config.http.port.unwrap(), config.p2p.port.unwrap()]);
    }
    assert_eq!(ports.len(), 8, "no port twice");
    for dev in DEV_ACCOUNTS {
        let address: Address = dev.address.parse().unwrap();
        assert!(
            genesis.alloc[&address].balance > U256::ZERO,
            "dev accounts funded"
        );
    }
    // The folder is never written over.
    let e = generate(&args(&out)).unwrap_err();
    assert!(e.to_string().contains("not empty"), "{e}");
}

#[test]
fn a_stake_below_the_minimum_is_refused_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("net");
    let mut low = args(&out);
    low.stake = "31.9".into();
    let e = generate(&low).unwrap_err();
    assert!(e.to_string().contains("below the Staking minimum"), "{e}");
    assert!(!out.exists());
}
