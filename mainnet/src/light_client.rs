//! A light client of the mainnet: it holds no state, only validator sets, and checks that a
//! block is final from what any node serves (`bft_getCertificate`, `eth_getProof`), trusting
//! nothing but the chain spec.
//!
//! It starts from the genesis set (the chain spec's validators) and follows the sets as the
//! nodes do ([`crate::validators`]): after each set-read block `h` (`h + SET_LAG` opens an
//! epoch) it checks `h`'s certificate with the set it holds, proves the Staking contract's
//! storage against `h`'s state root, rebuilds what `Staking.validators()` returns from the
//! proven slots, and installs the set from `h + SET_LAG` exactly when a node would. A block
//! is final when its header hashes to the certificate's block hash and precommits of more
//! than two thirds of its height's stake sign it. The core is pure: callers fetch, it checks.

use crate::validators::{validators_from, Epochs};
use alloy_trie::{proof::verify_proof, Nibbles, TrieAccount};
use pharos_contracts::{self as sc, staking::Staking};
use spn_consensus::bft::{verify_commit_certificate, BftCertificateError};
use spn_node::{BftValidators, CertifiedHeader, SET_LAG};
use spn_primitives::rlp::Decodable;
use spn_primitives::{keccak256, Address, Header, B256, U256};
use std::collections::{BTreeMap, BTreeSet};

/// Accounts whose past states a mainnet node keeps provable: the Staking contract, so a
/// light client can prove the set read at any epoch boundary (`eth_getProof` at that block),
/// and the Mailbox, so an SPN node can prove its inbound queue at any certified block.
pub const PROOF_HISTORY: [Address; 2] = [sc::STAKING, sc::MAILBOX];

/// The storage layout of `Staking` (solc's `storageLayout`; a test reads it back through
/// `Staking.validators()` on a real genesis, so a change to the contract shows up there).
pub mod slots {
    use super::*;

    /// `uint256 minValidatorStake`.
    pub const MIN_VALIDATOR_STAKE: u64 = 1;
    /// `mapping(address => uint256) bonded`.
    pub const BONDED: u64 = 3;
    /// `mapping(address => bytes32) validatorKey`.
    pub const VALIDATOR_KEY: u64 = 4;
    /// `address[] _validators` (its length; elements from `keccak(slot)`).
    pub const VALIDATORS: u64 = 6;

    /// A plain slot's key.
    pub fn plain(slot: u64) -> B256 {
        B256::from(U256::from(slot))
    }

    /// The key of element `index` of the array at `slot`.
    pub fn element(slot: u64, index: u64) -> B256 {
        let base = U256::from_be_bytes(keccak256(plain(slot)).0);
        B256::from(base.wrapping_add(U256::from(index)))
    }

    /// The key of `mapping[account]` for the mapping at `slot`.
    pub fn mapping(slot: u64, account: Address) -> B256 {
        let mut preimage = [0u8; 64];
        preimage[12..32].copy_from_slice(account.as_slice());
        preimage[32..].copy_from_slice(plain(slot).as_slice());
        keccak256(preimage)
    }
}

/// Why the light client refuses what it was served.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LightClientError {
    /// The header bytes do not decode.
    #[error("the header of block {number} does not decode: {reason}")]
    BadHeader {
        /// The block asked for.
        number: u64,
        /// The decoder's complaint.
        reason: String,
    },
    /// The header is of another height than the certificate's.
    #[error("the certificate is for block {certified} but the header is block {header}")]
    WrongHeight {
        /// The certificate's height.
        certified: u64,
        /// The header's.
        header: u64,
    },
    /// The header does not hash to the block the certificate finalizes.
    #[error(
        "block {number}'s header hashes to {header}, but the certificate finalizes {certified}"
    )]
    HeaderMismatch {
        /// The height.
        number: u64,
        /// keccak of the served header.
        header: B256,
        /// The certificate's block hash.
        certified: B256,
    },
    /// The certificate's signatures do not prove the block final under the client's set.
    #[error("block {number}'s certificate does not verify against the validator set of its height: {source}")]
    Certificate {
        /// The height.
        number: u64,
        /// What failed.
        source: BftCertificateError,
    },
    /// The certificate is malformed (e.g. a signature of the wrong length).
    #[error("block {number}'s certificate is malformed: {reason}")]
    Malformed {
        /// The height.
        number: u64,
        /// What is wrong.
        reason: String,
    },
    /// The client must first follow the set read after an earlier block.
    #[error("the validator set of block {number} is not known yet: follow the set read after block {read} first")]
    SetUnknown {
        /// The height asked for.
        number: u64,
        /// The set-read block to apply first.
        read: u64,
    },
    /// A storage proof does not verify against the block's state root.
    #[error("the Staking proof at block {number} does not verify: {reason}")]
    BadProof {
        /// The set-read block.
        number: u64,
        /// What failed.
        reason: String,
    },
    /// Block `number` is not the set-read block the client expects next.
    #[error("block {number} is not the next set-read block ({expected:?} is)")]
    NotNextRead {
        /// The block given.
        number: u64,
        /// The one expected.
        expected: Option<u64>,
    },
}

/// Proven storage values of the Staking contract at one block.
pub type ProvenSlots = BTreeMap<B256, U256>;

/// The light client: the validator sets it has proven, by first height.
#[derive(Debug, Clone)]
pub struct LightClient {
    chain_id: u64,
    epochs: Epochs,
    sets: BTreeMap<u64, BftValidators>,
    /// Every set read after a block up to this height has been applied.
    read_through: u64,
}

impl LightClient {
    /// A client of chain `chain_id` with `epochs`, trusting `genesis` (the chain spec's set).
    pub fn new(chain_id: u64, epochs: Epochs, genesis: BftValidators) -> Self {
        Self {
            chain_id,
            epochs,
            sets: BTreeMap::from([(1, genesis)]),
            read_through: 0,
        }
    }

    /// The chain id certificates are checked for.
    pub fn chain_id(&self) -> u64 {
        self.chain_id
    }

    /// The set deciding `height`, as far as the client has followed.
    pub fn set_at(&self, height: u64) -> &BftValidators {
        self.sets
            .range(..=height)
            .next_back()
            .map(|(_, s)| s)
            .expect("the genesis set decides height 1")
    }

    /// Every set the client holds, by first height.
    pub fn sets(&self) -> &BTreeMap<u64, BftValidators> {
        &self.sets
    }

    /// The next set-read block to follow before block `target` can be checked, if any.
    pub fn pending_read(&self, target: u64) -> Option<u64> {
        let blocks = self.epochs.blocks();
        // Read blocks are h ≡ 1 − SET_LAG (mod E), h ≥ 1.
        let residue = (1 + blocks - SET_LAG % blocks) % blocks;
        let after = self.read_through + 1;
        let h = after + (residue + blocks - after % blocks) % blocks;
        debug_assert!(self.epochs.reads_set_after(h));
        (h.saturating_add(SET_LAG) <= target).then_some(h)
    }

    /// Checks that `certified` proves its block final; returns the header.
    pub fn verify(&self, certified: &CertifiedHeader) -> Result<Header, LightClientError> {
        let number = certified.number;
        if let Some(read) = self.pending_read(number) {
            return Err(LightClientError::SetUnknown { number, read });
        }
        let header = Header::decode(&mut certified.header.as_ref()).map_err(|e| {
            LightClientError::BadHeader {
                number,
                reason: e.to_string(),
            }
        })?;
        if header.number != number {
            return Err(LightClientError::WrongHeight {
                certified: number,
                header: header.number,
            });
        }
        let hash = keccak256(&certified.header);
        if hash != certified.block_hash {
            return Err(LightClientError::HeaderMismatch {
                number,
                header: hash,
                certified: certified.block_hash,
            });
        }
        let certificate = certified
            .certificate()
            .map_err(|reason| LightClientError::Malformed { number, reason })?;
        verify_commit_certificate(self.chain_id, &self.set_at(number).set, &certificate)
            .map_err(|source| LightClientError::Certificate { number, source })?;
        Ok(header)
    }

    /// Applies the set read after block `header` (checked by [`Self::verify`], the next
    /// [`Self::pending_read`]) from `proofs` of the Staking contract's storage, each checked
    /// against the header's state root. Returns the new set's first height if the set
    /// changes. On any error nothing changes.
    pub fn apply_set_read(
        &mut self,
        header: &Header,
        proofs: &[StakingProof],
    ) -> Result<Option<u64>, LightClientError> {
        let number = header.number;
        let expected = self.pending_read(u64::MAX);
        if expected != Some(number) {
            return Err(LightClientError::NotNextRead { number, expected });
        }
        let mut slots = ProvenSlots::new();
        for proof in proofs {
            add_proven_slots(header.state_root, proof, &mut slots)
                .map_err(|reason| LightClientError::BadProof { number, reason })?;
        }
        let list = staking_validators_from_slots(&slots)
            .map_err(|reason| LightClientError::BadProof { number, reason })?;
        self.read_through = number;
        let from = number + SET_LAG;
        // As the node's schedule: an empty or unusable list keeps the current set.
        match validators_from(list) {
            Ok(Some(set)) if self.set_at(from) != &set => {
                self.sets.insert(from, set);
                Ok(Some(from))
            }
            _ => Ok(None),
        }
    }
}

/// The Staking slots to prove, in three rounds: first the array length and minimum stake,
/// then the array's elements, then each listed account's bond and key. Returns the slots
/// still missing from `known` (empty once everything `Staking.validators()` reads is there).
pub fn slots_to_prove(known: &ProvenSlots) -> Result<Vec<B256>, String> {
    let head = [
        slots::plain(slots::MIN_VALIDATOR_STAKE),
        slots::plain(slots::VALIDATORS),
    ];
    let missing: Vec<B256> = head
        .into_iter()
        .filter(|k| !known.contains_key(k))
        .collect();
    if !missing.is_empty() {
        return Ok(missing);
    }
    let count = array_length(known)?;
    let elements: Vec<B256> = (0..count)
        .map(|i| slots::element(slots::VALIDATORS, i))
        .filter(|k| !known.contains_key(k))
        .collect();
    if !elements.is_empty() {
        return Ok(elements);
    }
    let mut rest = BTreeSet::new();
    for i in 0..count {
        let account = address_in(known[&slots::element(slots::VALIDATORS, i)]);
        for key in [
            slots::mapping(slots::BONDED, account),
            slots::mapping(slots::VALIDATOR_KEY, account),
        ] {
            if !known.contains_key(&key) {
                rest.insert(key);
            }
        }
    }
    Ok(rest.into_iter().collect())
}

fn array_length(known: &ProvenSlots) -> Result<u64, String> {
    let length = known[&slots::plain(slots::VALIDATORS)];
    if length > U256::from(MAX_LISTED) {
        return Err(format!(
            "Staking lists {length} validator accounts, more than {MAX_LISTED}"
        ));
    }
    Ok(length.to::<u64>())
}

/// At most this many accounts in `Staking._validators` (its `MAX_VALIDATORS`).
const MAX_LISTED: u64 = 128;

fn address_in(word: U256) -> Address {
    Address::from_slice(&word.to_be_bytes::<32>()[12..])
}

fn slot(known: &ProvenSlots, key: &B256) -> Result<U256, String> {
    known
        .get(key)
        .copied()
        .ok_or_else(|| format!("Staking slot {key} was not proven"))
}

/// What `Staking.validators()` returns, rebuilt from proven storage: the listed accounts
/// whose bond reaches `minValidatorStake`, in list order, with their keys and bonds.
pub fn staking_validators_from_slots(
    known: &ProvenSlots,
) -> Result<Staking::validatorsReturn, String> {
    let min = slot(known, &slots::plain(slots::MIN_VALIDATOR_STAKE))?;
    slot(known, &slots::plain(slots::VALIDATORS))?;
    let count = array_length(known)?;
    let mut out = Staking::validatorsReturn {
        accounts: Vec::new(),
        keys: Vec::new(),
        stakes: Vec::new(),
    };
    for i in 0..count {
        let account = address_in(slot(known, &slots::element(slots::VALIDATORS, i))?);
        let bonded = slot(known, &slots::mapping(slots::BONDED, account))?;
        if bonded >= min {
            let key = slot(known, &slots::mapping(slots::VALIDATOR_KEY, account))?;
            out.accounts.push(account);
            out.keys.push(B256::from(key));
            out.stakes.push(bonded);
        }
    }
    Ok(out)
}

/// One `eth_getProof` answer for the Staking contract, as the light client reads it.
pub type StakingProof = AccountProof;

/// One `eth_getProof` answer for a contract: its account leaf and some of its slots.
#[derive(Debug, Clone)]
pub struct AccountProof {
    /// The account's nonce, balance, storage root and code hash (its trie leaf).
    pub account: TrieAccount,
    /// The account-trie nodes from the state root to the account.
    pub account_proof: Vec<spn_primitives::Bytes>,
    /// (slot, value, storage-trie nodes from the account's storage root).
    pub storage: Vec<(B256, U256, Vec<spn_primitives::Bytes>)>,
}

/// Checks a Staking `proof` against `state_root` and adds its slots to `known`.
pub fn add_proven_slots(
    state_root: B256,
    proof: &StakingProof,
    known: &mut ProvenSlots,
) -> Result<(), String> {
    add_proven_slots_of(sc::STAKING, state_root, proof, known)
}

/// Checks `proof` of `contract`'s storage against `state_root` and adds its slots to `known`.
/// On any error `known` is unchanged.
pub fn add_proven_slots_of(
    contract: Address,
    state_root: B256,
    proof: &AccountProof,
    known: &mut ProvenSlots,
) -> Result<(), String> {
    verify_proof(
        state_root,
        Nibbles::unpack(keccak256(contract)),
        Some(spn_primitives::rlp::encode(proof.account)),
        &proof.account_proof,
    )
    .map_err(|e| format!("the account {contract}: {e}"))?;
    for (key, value, nodes) in &proof.storage {
        let leaf = (!value.is_zero()).then(|| spn_primitives::rlp::encode(value));
        verify_proof(
            proof.account.storage_root,
            Nibbles::unpack(keccak256(key)),
            leaf,
            nodes,
        )
        .map_err(|e| format!("slot {key}: {e}"))?;
    }
    for (key, value, _) in &proof.storage {
        known.insert(*key, *value);
    }
    Ok(())
}
