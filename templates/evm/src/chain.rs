//! This SPN's chain: the genesis every one of its nodes starts from.
//!
//! What the chain is lives in `spn.toml` (id, block time, genesis balances) and here. The
//! consensus is the one line `consensus = "…"` in its `[register]` section: the mainnet
//! records it when the SPN registers, and every node runs it. Everything else a chain can
//! add at genesis (contracts, balances, storage, the block gas limit) goes in
//! [`chain_spec`]; every validator must build the same spec, so keep it deterministic.

use spn_chain::{ChainSpec, SpnConfig};

/// The chain spec: the SPN twins (the SPN Mailbox at 0x…2001, the SPN Bridge at 0x…2002,
/// initialized for this SPN and its mainnet), the balances of `spn.toml`'s `[alloc]`, and
/// this project's own additions below.
pub fn chain_spec(config: &SpnConfig) -> Result<ChainSpec, String> {
    let mut spec = spn_chain::spn_chain_spec(config)?;
    // This project's additions. For example, predeploy a contract:
    //   spec.alloc.insert(address, GenesisAccount { code: Some(runtime_bytecode), ..Default::default() });
    spec.name = config.name.clone();
    Ok(spec)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validator::node_config;
    use spn_chain::{Address, SpnNode, SpnNodeOptions};
    use std::path::{Path, PathBuf};

    fn project_file(path: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
    }

    #[test]
    fn the_genesis_holds_the_twins_and_the_funded_accounts() {
        let node = node_config(
            &project_file("spn.toml"),
            &project_file("validators/validator-1.toml"),
        )
        .unwrap();
        let spec = chain_spec(&node.config).unwrap();
        assert_eq!(spec.chain_id, u64::from(node.config.spn_id));
        assert!(spec.validate().is_ok());
        for twin in [
            "0x0000000000000000000000000000000000002001",
            "0x0000000000000000000000000000000000002002",
        ] {
            let account = &spec.alloc[&twin.parse::<Address>().unwrap()];
            assert!(
                account.code.as_ref().is_some_and(|c| !c.is_empty()),
                "{twin} has code"
            );
        }
        assert!(!node.config.alloc.is_empty());
        for (address, balance) in &node.config.alloc {
            assert_eq!(&spec.alloc[address].balance, balance);
        }
    }

    /// Nodes start on this genesis, and two of them start from the same genesis block: the
    /// spec is deterministic, as every validator needs. (Blocks follow once a node reads its
    /// mainnet; the README runs them against one.)
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn nodes_start_on_this_genesis_with_the_same_genesis_block() {
        let mut node = node_config(
            &project_file("spn.toml"),
            &project_file("validators/validator-1.toml"),
        )
        .unwrap();
        // As single sequencers: a validator set would wait for the mainnet Registry.
        if let Some(register) = node.config.register.as_mut() {
            register.consensus = spn_chain::SpnConsensus::Solo;
        }
        node.config.p2p = None;
        let dir = std::env::temp_dir().join(format!(
            "{}-chain-test-{}",
            env!("CARGO_PKG_NAME"),
            std::process::id()
        ));
        let mut genesis = Vec::new();
        let mut running = Vec::new();
        for i in 0..2 {
            let options = SpnNodeOptions {
                datadir: dir.join(format!("node-{i}")),
                http_addr: "127.0.0.1:0".parse().unwrap(),
                metrics_addr: None,
                censor_forced_withdrawals: false,
            };
            let spec = chain_spec(&node.config).unwrap();
            let started = SpnNode::launch_with_spec(&node.config, spec, options)
                .await
                .unwrap();
            genesis.push(started.node.store().head().unwrap());
            running.push(started);
        }
        drop(running);
        let _ = std::fs::remove_dir_all(dir);
        assert_eq!(genesis[0].map(|(number, _)| number), Some(0));
        assert_eq!(genesis[0], genesis[1], "one genesis block");
    }
}
