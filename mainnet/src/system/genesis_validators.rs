//! Stake and register the genesis validators: for each validator a chain spec lists, genesis
//! runs `Staking.stake{value: stake}()` and then `Staking.registerValidator(key, proof)` from
//! its account, so block 0 holds the validators (bonds, keys, LST balances, the accounts'
//! reduced balances and nonces) exactly as if each account had sent those two transactions.
//!
//! Every entry is checked before anything runs, and a bad one is refused with an error that
//! names it: a key that is not an ed25519 public key, a proof that is not the key's signature
//! of `Staking.registrationDigest(account)` on this chain, a stake below the contract's
//! minimum, an account the allocation does not fund for its stake, a repeated account or key.

use crate::precompiles::MainnetExtensions;
use alloy_sol_types::{SolCall, SolInterface};
use ed25519_dalek::{Signature, VerifyingKey};
use eyre::{eyre, Result};
use pharos_contracts::{self as sc, staking::Staking};
use spn_execution::Sandbox;
use spn_primitives::{keccak256, Address, Bytes, ChainSpec, B256, U256};
use std::collections::BTreeSet;
use std::sync::Arc;

/// A validator a chain spec stakes and registers at genesis.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenesisValidator {
    /// The account that stakes (funded in the spec's `alloc`) and receives the blocks' fees.
    pub account: Address,
    /// Its ed25519 consensus public key.
    pub key: B256,
    /// Bonded stake, in wei.
    pub stake: U256,
    /// The key's ed25519 signature of `Staking.registrationDigest(account)` (64 bytes).
    pub proof: Bytes,
}

/// `spec` (holding the system contracts already) with `validators` staked and registered, in
/// order. Fails on the first entry the Staking contract would refuse, naming it.
pub fn with_genesis_validators(
    mut spec: ChainSpec,
    validators: &[GenesisValidator],
) -> Result<ChainSpec> {
    if validators.is_empty() {
        return Ok(spec);
    }
    let mut sandbox = Sandbox::from_alloc(
        spec.chain_id,
        spec.genesis_timestamp,
        Arc::new(MainnetExtensions),
        &spec.alloc,
    );
    let min_stake = sandbox
        .view(sc::STAKING, &Staking::minValidatorStakeCall {})
        .map_err(|e| eyre!("genesis: the Staking contract is not initialized: {e}"))?;
    let mut accounts = BTreeSet::new();
    let mut keys = BTreeSet::new();
    for (i, v) in validators.iter().enumerate() {
        let entry = |reason: String| eyre!("genesis validator {i} ({}): {reason}", v.account);
        if !accounts.insert(v.account) {
            return Err(entry("the account is listed twice".into()));
        }
        if !keys.insert(v.key) {
            return Err(entry(format!("the key {} is listed twice", v.key)));
        }
        check_entry(&mut sandbox, spec.chain_id, min_stake, v).map_err(entry)?;
        stake_and_register(&mut sandbox, v).map_err(entry)?;
    }
    for (address, account) in sandbox.accounts() {
        spec.alloc.insert(address, account);
    }
    Ok(spec)
}

/// What `registerValidator` would refuse, said in the spec's words.
fn check_entry(
    sandbox: &mut Sandbox,
    chain_id: u64,
    min_stake: U256,
    v: &GenesisValidator,
) -> Result<(), String> {
    let key = VerifyingKey::from_bytes(&v.key.0)
        .map_err(|_| format!("key {} is not an ed25519 public key", v.key))?;
    let proof = Signature::from_slice(&v.proof).map_err(|_| {
        format!(
            "proof must be a 64-byte ed25519 signature, got {} bytes",
            v.proof.len()
        )
    })?;
    let digest = sandbox
        .view(
            sc::STAKING,
            &Staking::registrationDigestCall {
                validator: v.account,
            },
        )
        .map_err(|e| format!("Staking.registrationDigest failed: {e}"))?;
    if key.verify_strict(digest.as_slice(), &proof).is_err() {
        return Err(format!(
            "proof is not key {}'s signature of Staking.registrationDigest({}) = {digest} on \
             chain id {chain_id}: sign that digest with the validator's ed25519 key",
            v.key, v.account
        ));
    }
    if v.stake < min_stake {
        return Err(format!(
            "stake {} wei is below the minimum validator stake {min_stake} wei",
            v.stake
        ));
    }
    let balance = sandbox.balance(v.account);
    if balance < v.stake {
        return Err(format!(
            "the account holds {balance} wei in [alloc], not enough to stake {} wei: fund it",
            v.stake
        ));
    }
    Ok(())
}

fn stake_and_register(sandbox: &mut Sandbox, v: &GenesisValidator) -> Result<(), String> {
    let stake = Staking::stakeCall {}.abi_encode();
    let register = Staking::registerValidatorCall {
        key: v.key,
        signature: v.proof.clone(),
    }
    .abi_encode();
    for (name, value, data) in [
        ("Staking.stake", v.stake, stake),
        ("Staking.registerValidator", U256::ZERO, register),
    ] {
        let out = sandbox.transact(v.account, sc::STAKING, value, data.into());
        if !out.success {
            return Err(format!("{name} reverted: {}", revert_reason(&out.output)));
        }
    }
    Ok(())
}

/// The Staking error a revert carries, by name, or the raw data.
fn revert_reason(output: &Bytes) -> String {
    match Staking::StakingErrors::abi_decode(output) {
        Ok(e) => format!("{e:?}"),
        Err(_) => String::from_utf8(output.to_vec()).unwrap_or_else(|_| output.to_string()),
    }
}

/// `Staking.registrationDigest(account)` on chain `chain_id`, computed off chain: the message a
/// validator's ed25519 key signs as the `proof` of its genesis entry.
pub fn registration_digest(chain_id: u64, account: Address) -> B256 {
    let typehash =
        keccak256("PharosSPN.RegisterValidator(uint256 chainId,address staking,address validator)");
    let mut data = Vec::with_capacity(4 * 32);
    data.extend_from_slice(typehash.as_slice());
    data.extend_from_slice(&U256::from(chain_id).to_be_bytes::<32>());
    data.extend_from_slice(B256::left_padding_from(sc::STAKING.as_slice()).as_slice());
    data.extend_from_slice(B256::left_padding_from(account.as_slice()).as_slice());
    keccak256(data)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::system::testkit::{chain_with_validators, ether, genesis_validator};
    use ed25519_dalek::Signer;

    const CHAIN: u64 = 7447;

    fn entry(seed: u64, stake: U256) -> GenesisValidator {
        genesis_validator(CHAIN, seed, stake).0
    }

    fn error(validators: &[GenesisValidator]) -> String {
        let funded: Vec<_> = validators.iter().map(|v| v.account).collect();
        chain_with_validators(CHAIN, &funded, validators)
            .unwrap_err()
            .to_string()
    }

    fn sandbox(spec: &ChainSpec) -> Sandbox {
        Sandbox::from_alloc(CHAIN, 0, Arc::new(MainnetExtensions), &spec.alloc)
    }

    #[test]
    fn genesis_holds_the_validators_as_if_they_had_staked_and_registered() {
        let validators: Vec<_> = (0..4).map(|i| entry(i, ether(32 + i))).collect();
        let funded: Vec<_> = validators.iter().map(|v| v.account).collect();
        let genesis = chain_with_validators(CHAIN, &funded, &validators).unwrap();
        let mut sandbox = sandbox(&genesis);
        let set = sandbox
            .view(sc::STAKING, &Staking::validatorsCall {})
            .unwrap();
        let keys: Vec<_> = validators.iter().map(|v| v.key).collect();
        let stakes: Vec<_> = validators.iter().map(|v| v.stake).collect();
        assert_eq!((set.accounts, set.keys, set.stakes), (funded, keys, stakes));
        for v in &validators {
            let account = &genesis.alloc[&v.account];
            assert_eq!(account.balance, ether(100) - v.stake);
            assert_eq!(account.nonce, 2, "two transactions' worth");
            let lst = sandbox.view(
                sc::LST,
                &pharos_contracts::liquid_stake::LiquidStake::balanceOfCall { account: v.account },
            );
            assert_eq!(lst.unwrap(), v.stake);
        }
        assert_eq!(
            genesis.alloc[&sc::STAKING].balance,
            ether(32 + 33 + 34 + 35)
        );
    }

    #[test]
    fn the_off_chain_registration_digest_is_the_contracts() {
        let genesis = chain_with_validators(CHAIN, &[], &[]).unwrap();
        let account = Address::repeat_byte(7);
        let digest = sandbox(&genesis)
            .view(
                sc::STAKING,
                &Staking::registrationDigestCall { validator: account },
            )
            .unwrap();
        assert_eq!(registration_digest(CHAIN, account), digest);
    }

    #[test]
    fn a_forged_proof_is_refused_naming_the_entry() {
        let mut forged = entry(1, ether(32));
        // Signed for another account: a proof cannot be replayed to claim someone's key.
        forged.proof = entry(2, ether(32)).proof;
        let e = error(&[entry(0, ether(32)), forged]);
        assert!(
            e.contains("genesis validator 1") && e.contains("proof is not"),
            "{e}"
        );

        let (mut other_chain, key) = genesis_validator(CHAIN, 0, ether(32));
        let digest = registration_digest(CHAIN + 1, other_chain.account);
        other_chain.proof = Bytes::from(key.sign(digest.as_slice()).to_bytes().to_vec());
        let e = error(&[other_chain]);
        assert!(e.contains("proof is not"), "{e}");

        let mut short = entry(0, ether(32));
        short.proof = Bytes::from_static(&[1; 10]);
        assert!(error(&[short]).contains("64-byte"));
    }

    #[test]
    fn zero_or_too_small_stakes_are_refused() {
        for stake in [U256::ZERO, ether(31)] {
            let e = error(&[entry(0, stake)]);
            assert!(e.contains("below the minimum validator stake"), "{e}");
        }
    }

    #[test]
    fn bad_keys_unfunded_accounts_and_repeats_are_refused() {
        let mut bad_key = entry(0, ether(32));
        // Some small y has no point on the curve.
        let off_curve = (2u8..=255)
            .map(|y| {
                let mut k = [0u8; 32];
                k[0] = y;
                k
            })
            .find(|k| VerifyingKey::from_bytes(k).is_err())
            .unwrap();
        bad_key.key = B256::from(off_curve);
        let e = error(&[bad_key]);
        assert!(e.contains("not an ed25519 public key"), "{e}");

        let v = entry(0, ether(32));
        let e = chain_with_validators(CHAIN, &[], std::slice::from_ref(&v))
            .unwrap_err()
            .to_string();
        assert!(e.contains("fund it"), "{e}");

        let e = error(&[v.clone(), v]);
        assert!(e.contains("listed twice"), "{e}");
    }
}
