//! What a devnet is made of and where it keeps it: the example SPNs (ids, deterministic dev
//! keys, operator accounts), the relayer's account, and the files under the data directory.
//!
//! ```text
//! DIR/mainnet/            the dev mainnet's chain (pharos-node --dev)
//! DIR/spn-1001/spn.toml   an example SPN's config (written at every start)
//! DIR/spn-1001/data/      its chain
//! DIR/relayer/            the relayer's config and its saved cursor (state.json)
//! DIR/logs/*.log          every process's log
//! DIR/ready.json          the endpoints, once the devnet is ready
//! ```

use alloy::primitives::keccak256;
use pharos_mainnet::{DevAccount, DEV_ACCOUNTS, DEV_CHAIN_ID};
use std::path::{Path, PathBuf};

/// Each dev account's balance on the example SPNs: 10 000 ether, as on the mainnet.
const SPN_DEV_BALANCE: &str = "10000000000000000000000";
/// What each example SPN's operator restakes, in ether (its whole minimum stake).
pub const RESTAKE_ETHER: u64 = 5;

/// An example SPN of the devnet.
#[derive(Debug, Clone, Copy)]
pub struct ExampleSpn {
    /// Its id (and chain id).
    pub id: u32,
    /// The dev account that restakes for it and runs its only validator.
    pub operator: DevAccount,
}

/// The example SPNs: 1001 and 1002, operated by dev accounts 8 and 9.
pub const EXAMPLE_SPNS: [ExampleSpn; 2] = [
    ExampleSpn {
        id: 1001,
        operator: DEV_ACCOUNTS[8],
    },
    ExampleSpn {
        id: 1002,
        operator: DEV_ACCOUNTS[9],
    },
];

/// The dev account that registers the example SPNs.
pub const OWNER: DevAccount = DEV_ACCOUNTS[0];
/// The dev account the relayer pays from.
pub const RELAYER: DevAccount = DEV_ACCOUNTS[7];

impl ExampleSpn {
    /// Its validator's ed25519 secret: derived from its id, so every devnet has the same
    /// (public, dev-only) keys and a resumed devnet keeps them.
    pub fn signing_key(&self) -> String {
        keccak256(format!("pharos-devnet/spn-{}/validator", self.id)).to_string()
    }

    /// `spn.toml`: 250 ms blocks, a checkpoint every 8 blocks, the ten dev accounts funded,
    /// 5 ether of restaked stake to activate; on a validator mainnet, its spec
    /// (`mainnet_chain`), so the SPN checks what it derives from by certificates and proofs.
    pub fn config(&self, mainnet_rpc: &str, mainnet_chain: Option<&Path>) -> String {
        let mut text = format!(
            "# Written by `spn devnet` at every start.\n\
             spn_id = {id}\nname = \"example-{id}\"\nmainnet_rpc = \"{mainnet_rpc}\"\n\
             mainnet_chain_id = {DEV_CHAIN_ID}\nblock_time_ms = 250\ncheckpoint_interval = 8\n\
             signing_key = \"{key}\"\n",
            id = self.id,
            key = self.signing_key(),
        );
        if let Some(spec) = mainnet_chain {
            let spec = toml::Value::String(spec.display().to_string());
            text.push_str(&format!("mainnet_chain = {spec}\n"));
        }
        text.push_str("\n[alloc]\n");
        for account in DEV_ACCOUNTS {
            text.push_str(&format!(
                "\"{}\" = \"{SPN_DEV_BALANCE}\"\n",
                account.address
            ));
        }
        text.push_str(&format!(
            "\n[register]\nconsensus = \"solo\"\nmin_stake = \"{}000000000000000000\"\n",
            RESTAKE_ETHER
        ));
        text
    }
}

/// The relayer's config: the example SPNs, their nodes asked for checkpoint signatures.
pub fn relayer_config(mainnet_rpc: &str, state_file: &Path, spn_rpcs: &[(u32, String)]) -> String {
    let mut text = format!(
        "# Written by `spn devnet` at every start.\nmainnet_rpc = \"{mainnet_rpc}\"\n\
         private_key = \"{}\"\nstate_file = \"{}\"\npoll_ms = 500\n",
        RELAYER.private_key,
        state_file.display()
    );
    for (id, rpc) in spn_rpcs {
        text.push_str(&format!(
            "\n[[spn]]\nspn_id = {id}\nrpc = \"{rpc}\"\nvalidators = []\n"
        ));
    }
    text
}

/// The files of a devnet under its data directory.
#[derive(Debug, Clone)]
pub struct Layout {
    /// The data directory.
    pub dir: PathBuf,
}

impl Layout {
    /// The mainnet's chain.
    pub fn mainnet(&self) -> PathBuf {
        self.dir.join("mainnet")
    }

    /// An example SPN's folder.
    pub fn spn(&self, id: u32) -> PathBuf {
        self.dir.join(format!("spn-{id}"))
    }

    /// The relayer's folder.
    pub fn relayer(&self) -> PathBuf {
        self.dir.join("relayer")
    }

    /// Where processes log.
    pub fn logs(&self) -> PathBuf {
        self.dir.join("logs")
    }

    /// Where processes write their bound addresses.
    pub fn run(&self) -> PathBuf {
        self.dir.join("run")
    }

    /// The endpoints, written once the devnet is ready.
    pub fn ready_file(&self) -> PathBuf {
        self.dir.join("ready.json")
    }

    /// Creates the folders.
    pub fn create(&self) -> std::io::Result<()> {
        for dir in [self.logs(), self.run(), self.relayer()] {
            std::fs::create_dir_all(dir)?;
        }
        for spn in EXAMPLE_SPNS {
            std::fs::create_dir_all(self.spn(spn.id))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn example_spn_configs_are_valid_and_fund_every_dev_account() {
        for spn in EXAMPLE_SPNS {
            let config =
                spn_chain::SpnConfig::from_toml(&spn.config("http://127.0.0.1:8545", None))
                    .unwrap();
            assert_eq!(config.spn_id, spn.id);
            assert_eq!(config.mainnet_chain, None);
            let spec = Path::new("/tmp/a \"devnet\"/mainnet/genesis.toml");
            let proving =
                spn_chain::SpnConfig::from_toml(&spn.config("http://127.0.0.1:8545", Some(spec)))
                    .unwrap();
            assert_eq!(proving.mainnet_chain.as_deref(), Some(spec));
            assert_eq!(proving.alloc.len(), DEV_ACCOUNTS.len());
            assert_eq!(config.alloc.len(), DEV_ACCOUNTS.len());
            assert!(config.signing_key.is_some());
            assert_eq!(
                config.register.unwrap().min_stake,
                alloy::primitives::U256::from(RESTAKE_ETHER)
                    * alloy::primitives::U256::from(10u64).pow(alloy::primitives::U256::from(18))
            );
        }
        assert_ne!(EXAMPLE_SPNS[0].signing_key(), EXAMPLE_SPNS[1].signing_key());
    }

    #[test]
    fn the_relayer_config_is_valid() {
        let text = relayer_config(
            "http://127.0.0.1:8545",
            Path::new("/tmp/state.json"),
            &[(1001, "http://127.0.0.1:9545".into())],
        );
        let config = spn_relayer::RelayerConfig::from_toml(&text).unwrap();
        assert_eq!(config.spns.len(), 1);
    }
}
