//! An in-memory EVM with a chain's precompiles: runs genesis initializers of predeployed
//! contracts, and lets tests drive compiled contracts with the chain's real precompiles.

use crate::ChainExtensions;
use alloy_sol_types::SolCall;
use revm::bytecode::Bytecode;
use revm::context::result::{EVMError, ExecutionResult};
use revm::context::{BlockEnv, CfgEnv, Context, TxEnv};
use revm::database::{CacheDB, EmptyDB};
use revm::handler::EthPrecompiles;
use revm::primitives::hardfork::SpecId;
use revm::primitives::TxKind;
use revm::state::AccountInfo;
use revm::{ExecuteCommitEvm, ExecuteEvm, MainBuilder, MainContext};
use spn_primitives::{Address, Bytes, GenesisAccount, Log, B256, U256};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Gas each sandbox transaction may use.
const TX_GAS: u64 = 30_000_000;

/// What a transaction or call did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// True if it did not revert or halt.
    pub success: bool,
    /// Gas used, including the intrinsic cost.
    pub gas_used: u64,
    /// Return data, or revert data.
    pub output: Bytes,
    /// Logs emitted (empty unless successful).
    pub logs: Vec<Log>,
}

impl Outcome {
    /// Decode a successful call's return value; on failure, the revert data as an error.
    pub fn decode<C: SolCall>(&self) -> Result<C::Return, Bytes> {
        if !self.success {
            return Err(self.output.clone());
        }
        C::abi_decode_returns(&self.output).map_err(|_| self.output.clone())
    }
}

/// A one-chain EVM over an in-memory database, with the chain's precompile set.
#[derive(Clone)]
pub struct Sandbox {
    db: CacheDB<EmptyDB>,
    chain_id: u64,
    number: u64,
    timestamp: u64,
    extensions: Arc<dyn ChainExtensions>,
}

impl std::fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sandbox")
            .field("chain_id", &self.chain_id)
            .field("number", &self.number)
            .field("timestamp", &self.timestamp)
            .finish_non_exhaustive()
    }
}

impl Sandbox {
    /// An empty chain with `chain_id` and `extensions`, at block 0 and time `timestamp`.
    pub fn new(chain_id: u64, timestamp: u64, extensions: Arc<dyn ChainExtensions>) -> Self {
        Self {
            db: CacheDB::new(EmptyDB::default()),
            chain_id,
            number: 0,
            timestamp,
            extensions,
        }
    }

    /// A chain starting from a genesis allocation.
    pub fn from_alloc(
        chain_id: u64,
        timestamp: u64,
        extensions: Arc<dyn ChainExtensions>,
        alloc: &BTreeMap<Address, GenesisAccount>,
    ) -> Self {
        let mut sandbox = Self::new(chain_id, timestamp, extensions);
        for (address, account) in alloc {
            sandbox.put_account(*address, account);
        }
        sandbox
    }

    /// Set an account's balance, nonce, code and storage.
    pub fn put_account(&mut self, address: Address, account: &GenesisAccount) {
        let mut info = AccountInfo {
            balance: account.balance,
            nonce: account.nonce,
            ..Default::default()
        };
        if let Some(code) = account.code.as_ref().filter(|c| !c.is_empty()) {
            info = info.with_code(Bytecode::new_raw(code.clone()));
        }
        self.db.insert_account_info(address, info);
        for (slot, value) in &account.storage {
            let _ = self.db.insert_account_storage(
                address,
                U256::from_be_bytes(slot.0),
                U256::from_be_bytes(value.0),
            );
        }
    }

    /// Give `address` `balance` wei.
    pub fn fund(&mut self, address: Address, balance: U256) {
        let mut info = self
            .db
            .cache
            .accounts
            .get(&address)
            .map(|a| a.info.clone())
            .unwrap_or_default();
        info.balance = balance;
        self.db.insert_account_info(address, info);
    }

    /// An account's balance.
    pub fn balance(&self, address: Address) -> U256 {
        self.db
            .cache
            .accounts
            .get(&address)
            .map(|a| a.info.balance)
            .unwrap_or_default()
    }

    /// An account's full storage (non-zero slots), as genesis stores it.
    pub fn storage(&self, address: Address) -> BTreeMap<B256, B256> {
        self.db
            .cache
            .accounts
            .get(&address)
            .map(|a| {
                a.storage
                    .iter()
                    .filter(|(_, v)| !v.is_zero())
                    .map(|(k, v)| (B256::from(*k), B256::from(*v)))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Every account that exists in the sandbox (non-zero nonce or balance, code or storage),
    /// as a genesis stores it: what a genesis built by running transactions writes.
    pub fn accounts(&self) -> BTreeMap<Address, GenesisAccount> {
        let mut out = BTreeMap::new();
        for (address, account) in &self.db.cache.accounts {
            let info = &account.info;
            let code = info
                .code
                .as_ref()
                .or_else(|| self.db.cache.contracts.get(&info.code_hash))
                .map(|c| c.original_bytes())
                .filter(|c| !c.is_empty());
            let storage = self.storage(*address);
            if info.nonce == 0 && info.balance.is_zero() && code.is_none() && storage.is_empty() {
                continue;
            }
            let genesis = GenesisAccount {
                balance: info.balance,
                nonce: info.nonce,
                code,
                storage,
            };
            out.insert(*address, genesis);
        }
        out
    }

    /// Advance the clock by `seconds` and the height by one block.
    pub fn warp(&mut self, seconds: u64) {
        self.timestamp += seconds;
        self.number += 1;
    }

    /// The current block timestamp.
    pub fn timestamp(&self) -> u64 {
        self.timestamp
    }

    /// Run a transaction from `from` to `to` and keep its effects.
    pub fn transact(&mut self, from: Address, to: Address, value: U256, data: Bytes) -> Outcome {
        self.run(from, to, value, data, true)
    }

    /// Run a call from `from` to `to` and discard its effects.
    pub fn call(&mut self, from: Address, to: Address, data: Bytes) -> Outcome {
        self.run(from, to, U256::ZERO, data, false)
    }

    /// [`Sandbox::transact`] with a typed call.
    pub fn send<C: SolCall>(&mut self, from: Address, to: Address, call: &C) -> Outcome {
        self.transact(from, to, U256::ZERO, call.abi_encode().into())
    }

    /// [`Sandbox::call`] with a typed call, decoded.
    pub fn view<C: SolCall>(&mut self, to: Address, call: &C) -> Result<C::Return, Bytes> {
        self.call(Address::ZERO, to, call.abi_encode().into())
            .decode::<C>()
    }

    fn run(
        &mut self,
        from: Address,
        to: Address,
        value: U256,
        data: Bytes,
        commit: bool,
    ) -> Outcome {
        let spec = SpecId::PRAGUE;
        let mut cfg = CfgEnv::new_with_spec(spec);
        cfg.chain_id = self.chain_id;
        cfg.disable_nonce_check = true;
        cfg.disable_base_fee = true;
        cfg.disable_eip3607 = true;
        let block = BlockEnv {
            number: U256::from(self.number),
            timestamp: U256::from(self.timestamp),
            gas_limit: TX_GAS,
            basefee: 0,
            prevrandao: Some(B256::ZERO),
            ..Default::default()
        };
        let tx = TxEnv {
            caller: from,
            gas_limit: TX_GAS,
            gas_price: 0,
            kind: TxKind::Call(to),
            value,
            data,
            chain_id: Some(self.chain_id),
            ..Default::default()
        };
        let mut evm = Context::mainnet()
            .with_db(&mut self.db)
            .with_cfg(cfg)
            .with_block(block)
            .build_mainnet();
        evm.precompiles = EthPrecompiles {
            precompiles: self.extensions.precompiles(spec),
            spec,
        };
        let result = if commit {
            evm.transact_commit(tx)
        } else {
            evm.transact(tx).map(|r| r.result)
        };
        match result {
            Ok(result) => outcome(result),
            Err(EVMError::Transaction(e)) => failed(format!("invalid transaction: {e}")),
            Err(e) => failed(format!("evm error: {e}")),
        }
    }
}

fn outcome(result: ExecutionResult) -> Outcome {
    let gas_used = result.tx_gas_used();
    match result {
        ExecutionResult::Success { output, logs, .. } => Outcome {
            success: true,
            gas_used,
            output: output.into_data(),
            logs,
        },
        ExecutionResult::Revert { output, .. } => Outcome {
            success: false,
            gas_used,
            output,
            logs: Vec::new(),
        },
        ExecutionResult::Halt { reason, .. } => Outcome {
            gas_used,
            ..failed(format!("halted: {reason:?}"))
        },
    }
}

fn failed(reason: String) -> Outcome {
    Outcome {
        success: false,
        gas_used: 0,
        output: Bytes::from(reason.into_bytes()),
        logs: Vec::new(),
    }
}

/// A contract a genesis predeploys: runtime code at a fixed address, then an initializer.
#[derive(Debug, Clone)]
pub struct Predeploy {
    /// Its name, for errors.
    pub name: &'static str,
    /// Where it lives.
    pub address: Address,
    /// Its runtime code.
    pub code: Bytes,
    /// Calldata of its initializer, run once from the zero address; `None` if it has none.
    pub init: Option<Bytes>,
}

/// The genesis accounts of `contracts` on `chain_id`: their code, and the storage their
/// initializers wrote (run in order, so later ones may call earlier ones).
pub fn predeploy(
    chain_id: u64,
    timestamp: u64,
    extensions: Arc<dyn ChainExtensions>,
    contracts: &[Predeploy],
) -> Result<BTreeMap<Address, GenesisAccount>, String> {
    let mut sandbox = Sandbox::new(chain_id, timestamp, extensions);
    let account = |code: &Bytes| GenesisAccount {
        nonce: 1,
        code: Some(code.clone()),
        ..Default::default()
    };
    for c in contracts {
        sandbox.put_account(c.address, &account(&c.code));
    }
    for c in contracts {
        if let Some(data) = &c.init {
            let out = sandbox.transact(Address::ZERO, c.address, U256::ZERO, data.clone());
            if !out.success {
                return Err(format!("{}: initializer failed: {}", c.name, out.output));
            }
        }
    }
    Ok(contracts
        .iter()
        .map(|c| {
            let mut a = account(&c.code);
            a.storage = sandbox.storage(c.address);
            (c.address, a)
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::NoExtensions;

    #[test]
    fn accounts_hold_what_transactions_left_and_skip_empty_ones() {
        let funded = Address::repeat_byte(1);
        let payee = Address::repeat_byte(2);
        // Runtime code that stores CALLVALUE at slot 0: CALLVALUE PUSH1 0 SSTORE STOP.
        let store_value = Address::repeat_byte(3);
        let code = Bytes::from_static(&[0x34, 0x60, 0x00, 0x55, 0x00]);
        let alloc = BTreeMap::from([
            (
                funded,
                GenesisAccount {
                    balance: U256::from(100),
                    ..Default::default()
                },
            ),
            (
                store_value,
                GenesisAccount {
                    code: Some(code.clone()),
                    ..Default::default()
                },
            ),
        ]);
        let mut sandbox = Sandbox::from_alloc(1, 0, Arc::new(NoExtensions), &alloc);
        assert!(
            sandbox
                .transact(funded, payee, U256::from(30), Bytes::new())
                .success
        );
        assert!(
            sandbox
                .transact(funded, store_value, U256::from(5), Bytes::new())
                .success
        );
        let accounts = sandbox.accounts();
        assert_eq!(accounts[&funded].balance, U256::from(65));
        assert_eq!(accounts[&funded].nonce, 2);
        assert_eq!(accounts[&payee].balance, U256::from(30));
        let contract = &accounts[&store_value];
        assert_eq!(contract.code.as_ref(), Some(&code));
        assert_eq!(contract.balance, U256::from(5));
        assert_eq!(
            contract.storage.get(&B256::ZERO),
            Some(&B256::from(U256::from(5)))
        );
        // The block's (zero) beneficiary was touched but holds nothing: it does not exist.
        assert!(!accounts.contains_key(&Address::ZERO));
        assert_eq!(accounts.len(), 3);
    }
}
