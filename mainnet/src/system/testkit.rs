//! A mainnet in memory with its actors, for tests, gas reports and rehearsals: operators with
//! real ed25519 keys, SPNs registered and activated through the real contracts, signed
//! checkpoints, SPN states whose storage proofs verify against the real precompile, and
//! chain specs with validators staked and registered at genesis.

use super::{
    registration_digest, system_alloc, with_genesis_validators, with_system_contracts,
    GenesisValidator, Outcome, Sandbox, SystemParams,
};
use crate::dev::DEV_CHAIN_ID;
use alloy_sol_types::{SolCall, SolValue};
use ed25519_dalek::{Signer, SigningKey};
use pharos_contracts::{self as sc, adaptor::Adaptor, management, CheckpointData};
use spn_primitives::{keccak256, Address, Bytes, ChainSpec, GenesisAccount, B256, U256};
use spn_trie::{MemoryNodeStore, ACCOUNT_TRIE};
use std::collections::BTreeMap;

const ETHER: u128 = 1_000_000_000_000_000_000;

/// `n` ether in wei.
pub fn ether(n: u64) -> U256 {
    U256::from(n) * U256::from(ETHER)
}

/// An operator: an account and the ed25519 key it restakes under.
#[derive(Debug, Clone)]
pub struct Operator {
    /// Its mainnet account.
    pub address: Address,
    /// Its ed25519 signing key.
    pub key: SigningKey,
}

impl Operator {
    /// The public key as the contracts store it.
    pub fn public_key(&self) -> B256 {
        B256::from(self.key.verifying_key().to_bytes())
    }

    /// Sign a 32-byte digest.
    pub fn sign(&self, digest: B256) -> Bytes {
        Bytes::from(self.key.sign(digest.as_slice()).to_bytes().to_vec())
    }
}

/// The mainnet system contracts in a [`Sandbox`], with helpers for the usual steps.
pub struct World {
    /// The EVM and its state.
    pub sandbox: Sandbox,
    /// The mainnet chain id.
    pub chain_id: u64,
    /// The parameters the contracts were initialized with.
    pub params: SystemParams,
}

impl Default for World {
    fn default() -> Self {
        Self::new()
    }
}

impl World {
    /// The dev mainnet (chain id 31337, dev parameters) at a fixed time.
    pub fn new() -> Self {
        let params = SystemParams::dev();
        let timestamp = 1_700_000_000;
        let alloc = system_alloc(DEV_CHAIN_ID, timestamp, &params)
            .expect("the committed system contracts initialize");
        Self {
            sandbox: Sandbox::from_alloc(
                DEV_CHAIN_ID,
                timestamp,
                std::sync::Arc::new(crate::precompiles::MainnetExtensions),
                &alloc,
            ),
            chain_id: DEV_CHAIN_ID,
            params,
        }
    }

    /// A deterministic funded account (1 000 000 ether).
    pub fn account(&mut self, seed: u64) -> Address {
        let address = Address::from_word(keccak256(format!("pharos-testkit-account-{seed}")));
        self.sandbox.fund(address, ether(1_000_000));
        address
    }

    /// A funded operator with a deterministic key, `stake` native staked (LST minted) and
    /// registered in Restaking with a proof of possession of its key.
    pub fn operator(&mut self, seed: u64, stake: U256) -> Operator {
        let address = self.account(1_000_000 + seed);
        let key = SigningKey::from_bytes(&keccak256(format!("pharos-testkit-key-{seed}")).0);
        let op = Operator { address, key };
        let out = self.sandbox.transact(
            address,
            sc::STAKING,
            stake,
            sc::staking::Staking::stakeCall {}.abi_encode().into(),
        );
        assert!(out.success, "stake: {}", out.output);
        let digest = self
            .sandbox
            .view(
                sc::RESTAKING,
                &sc::restaking::Restaking::registrationDigestCall { operator: address },
            )
            .expect("registrationDigest");
        let register = sc::restaking::Restaking::registerOperatorCall {
            key: op.public_key(),
            signature: op.sign(digest),
        };
        self.expect_ok(address, sc::RESTAKING, &register, "registerOperator");
        op
    }

    /// The parameters SPNs get by default here: checkpoint every 10 blocks, 2/3 quorum,
    /// a 5-minute force delay, 4-minute epochs (two must fit in the dev unbonding delay),
    /// the network minimum stake.
    pub fn default_spn_params(&self) -> management::Registry::Params {
        default_spn_params(self.params.min_spn_stake)
    }

    /// Register SPN `spn_id` owned by `owner`.
    pub fn register_spn(&mut self, owner: Address, spn_id: u32) -> Outcome {
        let call = management::Management::registerCall {
            spnId: spn_id,
            name: format!("spn-{spn_id}"),
            consensus: 1, // poa
            params: self.default_spn_params(),
        };
        self.sandbox.send(owner, sc::MANAGEMENT, &call)
    }

    /// Approve and restake `amount` LST from `op` to `spn_id`.
    pub fn restake(&mut self, op: &Operator, spn_id: u32, amount: U256) -> Outcome {
        let approve = sc::liquid_stake::LiquidStake::approveCall {
            spender: sc::RESTAKING,
            value: amount,
        };
        self.expect_ok(op.address, sc::LST, &approve, "approve");
        let call = sc::restaking::Restaking::restakeCall {
            spnId: spn_id,
            amount,
        };
        self.sandbox.send(op.address, sc::RESTAKING, &call)
    }

    /// Activate `spn_id` (snapshots epoch 1).
    pub fn activate(&mut self, spn_id: u32) -> Outcome {
        let owner = self.account(0);
        self.sandbox.send(
            owner,
            sc::MANAGEMENT,
            &management::Management::activateCall { spnId: spn_id },
        )
    }

    /// Register, restake to and activate `spn_id` with one operator per stake (in ether);
    /// operator seeds start at `first_seed`. Returns the operators in epoch-set order.
    pub fn active_spn(&mut self, spn_id: u32, first_seed: u64, stakes: &[u64]) -> Vec<Operator> {
        let owner = self.account(0);
        assert!(
            self.register_spn(owner, spn_id).success,
            "register SPN {spn_id}"
        );
        let mut ops = Vec::new();
        for (i, stake) in stakes.iter().enumerate() {
            let op = self.operator(first_seed + i as u64, ether(*stake));
            let out = self.restake(&op, spn_id, ether(*stake));
            assert!(out.success, "restake: {}", out.output);
            ops.push(op);
        }
        let out = self.activate(spn_id);
        assert!(out.success, "activate: {}", out.output);
        ops
    }

    /// The digest validators sign for `c` here.
    pub fn digest(&self, c: &CheckpointData) -> B256 {
        sc::checkpoint_digest(self.chain_id, sc::ADAPTOR, c)
    }

    /// Submit `c` signed by `signers` (epoch-set index, operator), in that order.
    pub fn submit_checkpoint(
        &mut self,
        c: &CheckpointData,
        signers: &[(usize, &Operator)],
    ) -> Outcome {
        let digest = self.digest(c);
        let call = Adaptor::submitCheckpointCall {
            c: c.to_sol(),
            signerIndices: signers.iter().map(|(i, _)| U256::from(*i)).collect(),
            signatures: signers.iter().map(|(_, op)| op.sign(digest)).collect(),
        };
        let relayer = self.account(7);
        self.sandbox.send(relayer, sc::ADAPTOR, &call)
    }

    /// Run a typed call from `from` and panic with `what` if it fails.
    pub fn expect_ok<C: SolCall>(&mut self, from: Address, to: Address, call: &C, what: &str) {
        let out = self.sandbox.send(from, to, call);
        assert!(out.success, "{what} failed: {}", out.output);
    }
}

/// SPN parameters that fit the dev chain: checkpoint every 10 blocks, 2/3 quorum, a 5-minute
/// force delay, 4-minute epochs (two fit in the dev unbonding delay), `min_stake`; a freeze
/// slashes all restaked stake and burns it.
pub fn default_spn_params(min_stake: U256) -> management::Registry::Params {
    management::Registry::Params {
        checkpointInterval: 10,
        quorumBps: 6667,
        forceDelay: 300,
        epochLength: 240,
        minStake: min_stake,
        slashBps: 10_000,
        slashTo: Address::ZERO,
    }
}

/// An SPN's state, built as a real Merkle Patricia trie: accounts with storage, its root,
/// and `eth_getProof`-style proofs of single slots.
#[derive(Debug, Clone, Default)]
pub struct SpnState {
    accounts: BTreeMap<Address, BTreeMap<B256, U256>>,
}

impl SpnState {
    /// An SPN state with the Mailbox and Bridge accounts and 16 bystanders.
    pub fn new() -> Self {
        Self::with_bystanders(16)
    }

    /// An SPN state with the Mailbox and Bridge accounts and `n` other accounts (deeper
    /// proofs, as on a busy chain).
    pub fn with_bystanders(n: u64) -> Self {
        let mut state = Self::default();
        for i in 0..n {
            let filler = Address::from_word(keccak256(format!("bystander-{i}")));
            state.set(filler, B256::with_last_byte(1), U256::from(i + 1));
        }
        state.accounts.entry(sc::SPN_MAILBOX).or_default();
        state.accounts.entry(sc::SPN_BRIDGE).or_default();
        state
    }

    /// Set a storage slot (zero deletes it).
    pub fn set(&mut self, account: Address, slot: B256, value: U256) {
        let slots = self.accounts.entry(account).or_default();
        if value.is_zero() {
            slots.remove(&slot);
        } else {
            slots.insert(slot, value);
        }
    }

    /// Record message `id` in the SPN Mailbox's outbox.
    pub fn dispatch(&mut self, id: B256) {
        self.set(sc::SPN_MAILBOX, sc::layout::outbox_slot(id), U256::from(1));
    }

    /// The state root.
    pub fn root(&self) -> B256 {
        self.build().1
    }

    /// Proof of `account`'s `slot` against [`SpnState::root`].
    pub fn proof(&self, account: Address, slot: B256) -> Adaptor::SlotProof {
        let (store, _, leaves) = self.build();
        let account_key = keccak256(account);
        Adaptor::SlotProof {
            accountRlp: leaves[&account].clone(),
            accountProof: spn_trie::proof(&store, ACCOUNT_TRIE, account_key)
                .expect("account proof"),
            storageProof: spn_trie::proof(&store, account_key, keccak256(slot))
                .expect("slot proof"),
        }
    }

    fn build(&self) -> (MemoryNodeStore, B256, BTreeMap<Address, Bytes>) {
        let mut store = MemoryNodeStore::new();
        let mut account_changes = Vec::new();
        let mut leaves = BTreeMap::new();
        for (address, slots) in &self.accounts {
            let owner = keccak256(address);
            let changes = slots
                .iter()
                .map(|(slot, value)| (keccak256(slot), Some(alloy_rlp::encode(value))));
            let update = spn_trie::update(&store, owner, changes).expect("storage trie");
            store.apply(update.writes);
            let account = alloy_trie::TrieAccount {
                nonce: 1,
                balance: U256::ZERO,
                storage_root: update.root,
                code_hash: keccak256(address.abi_encode()),
            };
            let leaf = alloy_rlp::encode(account);
            leaves.insert(*address, Bytes::from(leaf.clone()));
            account_changes.push((owner, Some(leaf)));
        }
        let update = spn_trie::update(&store, ACCOUNT_TRIE, account_changes).expect("account trie");
        store.apply(update.writes);
        (store, update.root, leaves)
    }
}

/// Genesis validator `seed` of chain `chain_id`: a deterministic account and ed25519 key, and
/// the key's proof for that account, bonding `stake`.
pub fn genesis_validator(chain_id: u64, seed: u64, stake: U256) -> (GenesisValidator, SigningKey) {
    let account = Address::from_word(keccak256(format!("pharos-testkit-validator-{seed}")));
    let key = SigningKey::from_bytes(&keccak256(format!("pharos-testkit-key-{seed}")).0);
    let proof = key.sign(registration_digest(chain_id, account).as_slice());
    let entry = GenesisValidator {
        account,
        key: B256::from(key.verifying_key().to_bytes()),
        stake,
        proof: Bytes::from(proof.to_bytes().to_vec()),
    };
    (entry, key)
}

/// The block-0 spec of chain `chain_id` with the production system parameters, each of
/// `funded` holding 100 ether, and `validators` staked and registered.
pub fn chain_with_validators(
    chain_id: u64,
    funded: &[Address],
    validators: &[GenesisValidator],
) -> eyre::Result<ChainSpec> {
    let mut spec = ChainSpec::from_toml(&format!("chain_id = {chain_id}\n"))?;
    for account in funded {
        let genesis = GenesisAccount {
            balance: ether(100),
            ..Default::default()
        };
        spec.alloc.insert(*account, genesis);
    }
    let spec = with_system_contracts(spec, &SystemParams::production())?;
    with_genesis_validators(spec, validators)
}
