//! Run an SPN node: the engine with the SPN's genesis, its consensus (`solo`, or `poa`/`bft`
//! with the validator set of the SPN's Registry epoch) and the inbound-message extension,
//! following its mainnet.

use crate::{
    epoch_members, follow_final_mainnet, follow_mainnet, spn_chain_spec, wait_for_validators,
    Checkpointer, InboundFeed, RegistrySchedule, SpnConfig, SpnConsensus, SpnExtensions,
};
use alloy::providers::{DynProvider, Provider, ProviderBuilder};
use ed25519_dalek::SigningKey;
use pharos_contracts::{layout, SPN_BRIDGE, SPN_MAILBOX};
use spn_consensus::bft::BftConfig;
use spn_consensus::poa::PoaConfig;
use spn_network::{NetworkConfig, PeerAddr};
use spn_node::{BftSetup, Engine, PoaSetup};
use spn_node::{NodeBuilder, NodeConfig, NodeHandle, RpcConfig, Solo, SoloConfig, StoreOptions};
use spn_primitives::{ChainSpec, StateView};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Where an SPN node keeps its data and serves RPC.
#[derive(Debug, Clone)]
pub struct SpnNodeOptions {
    /// Data directory (locked while the node runs).
    pub datadir: PathBuf,
    /// JSON-RPC address (port 0 picks a free one).
    pub http_addr: SocketAddr,
    /// Prometheus `/metrics` address, if any.
    pub metrics_addr: Option<SocketAddr>,
    /// Rehearsal only: a sequencer that censors forced withdrawals
    /// ([`SpnExtensions::censoring_forced_withdrawals`]).
    pub censor_forced_withdrawals: bool,
}

/// A running SPN node and its mainnet follower.
pub struct SpnNode {
    /// The engine's node.
    pub node: NodeHandle,
    /// Inbound messages fetched and not yet delivered.
    pub feed: Arc<InboundFeed>,
    follower: tokio::task::JoinHandle<()>,
}

impl SpnNode {
    /// Start the SPN described by `config`, with the genesis [`spn_chain_spec`] builds from it.
    pub async fn launch(config: &SpnConfig, options: SpnNodeOptions) -> Result<Self, String> {
        Self::launch_with_spec(config, spn_chain_spec(config)?, options).await
    }

    /// Start the SPN described by `config` with a chain spec of the caller's: a project's own
    /// genesis, built on [`spn_chain_spec`] (the SPN Mailbox and Bridge twins must be in it,
    /// as initialized there, and the chain id must be the SPN id). Every node of the SPN must
    /// use the same spec.
    pub async fn launch_with_spec(
        config: &SpnConfig,
        spec: ChainSpec,
        options: SpnNodeOptions,
    ) -> Result<Self, String> {
        check_spec(config, &spec)?;
        let feed = match config.mainnet_chain {
            Some(_) => InboundFeed::proving(0),
            None => InboundFeed::starting_at(0),
        };
        let node_config = NodeConfig {
            datadir: options.datadir,
            rpc: RpcConfig {
                addr: options.http_addr,
                ..RpcConfig::default()
            },
            metrics_addr: options.metrics_addr,
            // Outbound messages and bridge balances are proven against finalized checkpoints,
            // which lag the head: keep the twins' past states provable.
            store: StoreOptions {
                proof_history: vec![SPN_MAILBOX, SPN_BRIDGE],
                ..Default::default()
            },
            pool: Default::default(),
            beneficiary: Default::default(),
        };
        let mainnet = ProviderBuilder::new()
            .connect_http(
                config
                    .mainnet_rpc
                    .parse()
                    .map_err(|e| format!("mainnet_rpc: {e}"))?,
            )
            .erased();
        // Loaded before the node starts, so a spec the follower could not use is refused now.
        let light_client = match &config.mainnet_chain {
            Some(spec) => Some(
                crate::MainnetFinality::from_spec_file(spec, mainnet.clone())
                    .map_err(|e| format!("mainnet_chain: {e}"))?,
            ),
            None => None,
        };
        let mut extensions = SpnExtensions::new(feed.clone());
        if options.censor_forced_withdrawals {
            tracing::warn!("censoring forced withdrawals: this node misbehaves on purpose");
            extensions = extensions.censoring_forced_withdrawals();
        }
        let mut builder = NodeBuilder::new(spec, node_config)
            .with_consensus(consensus(config, &mainnet).await?)
            .with_extensions(Arc::new(extensions));
        let checkpointer = match config.signing_key {
            Some(secret) => {
                let c = Checkpointer::new(
                    SigningKey::from_bytes(&secret.0),
                    config.spn_id,
                    config.checkpoint_interval,
                    config.mainnet_chain_id,
                    mainnet,
                );
                builder = builder.with_rpc_methods(c.rpc_methods()?);
                Some(c)
            }
            None => None,
        };
        let node = builder.launch().await.map_err(|e| e.to_string())?;
        if let Some(c) = &checkpointer {
            c.attach(node.shared_store());
        }
        // Resume where the SPN Mailbox is: fetch from its next inbound index on.
        let next = node
            .store()
            .storage(&SPN_MAILBOX, &layout::SPN_MAILBOX_INBOUND_COUNT_SLOT)
            .map_err(|e| e.to_string())?;
        let named = node
            .store()
            .storage(&SPN_MAILBOX, &layout::SPN_MAILBOX_MAINNET_BLOCK_SLOT)
            .map_err(|e| e.to_string())?;
        feed.resume_at(
            next.saturating_to(),
            layout::spn_mailbox_mainnet_block(named),
        );
        let interval = Duration::from_millis(config.block_time_ms.clamp(100, 2_000));
        let follower = match light_client {
            Some(light_client) => tokio::spawn(follow_final_mainnet(
                feed.clone(),
                light_client,
                config.mainnet_rpc.clone(),
                config.spn_id,
                interval,
            )),
            None => tokio::spawn(follow_mainnet(
                feed.clone(),
                config.mainnet_rpc.clone(),
                config.spn_id,
                config.confirmations,
                interval,
            )),
        };
        Ok(Self {
            node,
            feed,
            follower,
        })
    }

    /// The JSON-RPC address.
    pub fn rpc_addr(&self) -> SocketAddr {
        self.node.rpc_addr
    }

    /// The validator network's address (`poa`).
    pub fn p2p_addr(&self) -> Option<SocketAddr> {
        self.node.p2p_addr
    }

    /// Run until the node stops or `shutdown` resolves.
    pub async fn run_until(
        self,
        shutdown: impl std::future::Future<Output = ()>,
    ) -> Result<(), String> {
        let result = self
            .node
            .run_until(shutdown)
            .await
            .map_err(|e| e.to_string());
        self.follower.abort();
        result
    }
}

/// Refuses a chain spec the SPN's mainnet could not serve: another chain id, or the twins
/// missing or replaced.
fn check_spec(config: &SpnConfig, spec: &ChainSpec) -> Result<(), String> {
    if spec.chain_id != u64::from(config.spn_id) {
        return Err(format!(
            "the chain spec's chain id {} is not the SPN id {}: an SPN's chain id is its id",
            spec.chain_id, config.spn_id
        ));
    }
    let twins = spn_chain_spec(config)?;
    for (name, address) in [("SpnMailbox", SPN_MAILBOX), ("SpnBridge", SPN_BRIDGE)] {
        if spec.alloc.get(&address) != twins.alloc.get(&address) {
            return Err(format!(
                "the chain spec must keep the {name} twin at {address} as spn_chain_spec \
                 initializes it: relayers and the mainnet rely on it"
            ));
        }
    }
    spec.validate().map_err(|e| e.to_string())
}

/// The consensus `config` asks for: `solo`, or `poa`/`bft` with their validator sets from the
/// mainnet Registry (waiting until the SPN has one): epoch 1's for the first blocks, then
/// whichever epoch was current at the mainnet block an earlier block names.
async fn consensus(config: &SpnConfig, mainnet: &DynProvider) -> Result<Engine, String> {
    let kind = config.consensus();
    if kind == SpnConsensus::Solo {
        return Ok(Solo::new(SoloConfig {
            block_time_ms: config.block_time_ms,
            on_demand: true,
        })
        .into());
    }
    let (Some(secret), Some(p2p)) = (config.signing_key, config.p2p.as_ref()) else {
        return Err(format!(
            "a {} validator needs signing_key (its vote and network key) and a [p2p] section \
             (listen address and peers) in its config",
            kind.name()
        ));
    };
    let key = SigningKey::from_bytes(&secret.0);
    let current = wait_for_validators(mainnet, config.spn_id).await?;
    // The first blocks are epoch 1's; later sets follow the chain (RegistrySchedule).
    let first = match current.epoch {
        1 => current.clone(),
        _ => epoch_members(mainnet, config.spn_id, 1).await?,
    };
    if !current.keys.contains(&key.verifying_key().to_bytes()) {
        tracing::warn!(
            epoch = current.epoch,
            "this node's signing key is not in the SPN's current validator set: it follows, it does not vote"
        );
    }
    tracing::info!(
        epoch = current.epoch,
        validators = current.keys.len(),
        first_epoch_validators = first.keys.len(),
        consensus = kind.name(),
        "validator sets from the mainnet Registry"
    );
    let mut network = NetworkConfig::new(
        p2p.listen,
        secret.0,
        format!("pharos/spn/{}/{}", config.spn_id, kind.name()),
    );
    network.peers = p2p
        .peers
        .iter()
        .map(|p| p.parse::<PeerAddr>().map_err(|e| format!("p2p.peers: {e}")))
        .collect::<Result<_, _>>()?;
    let schedule = Arc::new(RegistrySchedule::new(mainnet.clone(), config.spn_id));
    if kind == SpnConsensus::Bft {
        let mut bft = BftConfig::new(u64::from(config.spn_id));
        // Blocks even without transactions, so inbound messages are delivered.
        bft.idle_block_ms = Some(config.block_time_ms.max(100));
        bft.propose_timeout_ms = (p2p.round_timeout_ms / 2).max(100);
        return Ok(BftSetup {
            config: bft,
            signing_key: Some(key),
            validators: first.bft()?,
            schedule: Some(schedule),
            evidence: None,
            network,
        }
        .into());
    }
    let mut poa = PoaConfig::new(config.spn_id);
    poa.round_timeout_ms = p2p.round_timeout_ms;
    Ok(PoaSetup {
        config: poa,
        signing_key: Some(key),
        validators: first.poa()?,
        schedule: Some(schedule),
        network,
        block_time_ms: config.block_time_ms,
    }
    .into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use spn_primitives::{Address, Bytes, GenesisAccount, U256};

    fn config() -> SpnConfig {
        SpnConfig::from_toml(
            "spn_id = 1003\nname = \"demo\"\nmainnet_rpc = \"http://127.0.0.1:8545\"\nmainnet_chain_id = 31337\n",
        )
        .unwrap()
    }

    #[test]
    fn a_project_spec_may_add_genesis_accounts_but_not_change_the_twins_or_chain_id() {
        let config = config();
        let mut spec = spn_chain_spec(&config).unwrap();
        spec.alloc.insert(
            Address::repeat_byte(0x42),
            GenesisAccount {
                balance: U256::from(7),
                ..Default::default()
            },
        );
        assert_eq!(check_spec(&config, &spec), Ok(()));

        let mut other_chain = spec.clone();
        other_chain.chain_id = 1004;
        let e = check_spec(&config, &other_chain).unwrap_err();
        assert!(e.contains("chain id 1004"), "{e}");

        let mut replaced = spec.clone();
        if let Some(mailbox) = replaced.alloc.get_mut(&SPN_MAILBOX) {
            mailbox.code = Some(Bytes::from_static(&[0x00]));
        }
        let e = check_spec(&config, &replaced).unwrap_err();
        assert!(e.contains("SpnMailbox"), "{e}");

        let mut missing = spec;
        missing.alloc.remove(&SPN_BRIDGE);
        let e = check_spec(&config, &missing).unwrap_err();
        assert!(e.contains("SpnBridge"), "{e}");
    }
}
