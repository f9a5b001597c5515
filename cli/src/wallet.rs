//! The account that signs (`--private-key`) on the chain at `--rpc`: connecting, sending a
//! transaction and waiting for it with progress on stderr, and errors that say what to do.

use crate::revert;
use alloy::contract::Error as ContractError;
use alloy::network::{Ethereum, EthereumWallet};
use alloy::primitives::{Address, U256};
use alloy::providers::{DynProvider, PendingTransactionBuilder, Provider, ProviderBuilder};
use alloy::rpc::types::TransactionReceipt;
use alloy::signers::local::PrivateKeySigner;
use alloy::sol_types::SolEvent;
use eyre::{bail, eyre, Result};
use std::future::Future;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How long a sent transaction may take to be mined before the command gives up waiting.
const MINE_TIMEOUT: Duration = Duration::from_secs(120);

/// A connection to the chain at `--rpc`.
pub struct Chain {
    /// The endpoint.
    pub url: String,
    /// Its chain id.
    pub chain_id: u64,
    /// The provider.
    pub provider: DynProvider,
}

impl Chain {
    /// Asks the chain id, so an unreachable node fails here, clearly.
    async fn with(url: &str, provider: DynProvider) -> Result<Self> {
        let chain_id = provider.get_chain_id().await.map_err(|e| {
            eyre!(
                "cannot reach {url} ({e}); is a node running there? Pass --rpc URL or set \
                 SPN_RPC"
            )
        })?;
        Ok(Self {
            url: url.to_string(),
            chain_id,
            provider,
        })
    }

    /// A read-only connection to `url`.
    pub async fn connect(url: &str) -> Result<Self> {
        let provider = ProviderBuilder::new()
            .connect_http(parse_url(url)?)
            .erased();
        Self::with(url, provider).await
    }

    /// True if `address` holds code on this chain.
    pub async fn has_code(&self, address: Address) -> Result<bool> {
        let code = self
            .provider
            .get_code_at(address)
            .await
            .map_err(|e| eyre!("eth_getCode of {address} at {} failed: {e}", self.url))?;
        Ok(!code.is_empty())
    }
}

/// The signing account on the chain at `--rpc`.
pub struct Wallet {
    /// The account.
    pub address: Address,
    /// The chain, with a provider that signs as `address`.
    pub chain: Chain,
}

impl Wallet {
    /// Reads the key (before any network traffic) and connects to `url`.
    pub async fn connect(url: &str, key: &KeySource) -> Result<Self> {
        let signer = signer(key)?;
        let address = signer.address();
        let provider = ProviderBuilder::new()
            .wallet(EthereumWallet::from(signer))
            .connect_http(parse_url(url)?)
            .erased();
        Ok(Self {
            address,
            chain: Chain::with(url, provider).await?,
        })
    }

    /// The provider that signs as this account.
    pub fn provider(&self) -> &DynProvider {
        &self.chain.provider
    }

    /// The account's native balance.
    pub async fn balance(&self) -> Result<U256> {
        self.provider()
            .get_balance(self.address)
            .await
            .map_err(|e| eyre!("eth_getBalance at {} failed: {e}", self.chain.url))
    }
}

/// Where the signing key comes from: `--private-key` / `SPN_PRIVATE_KEY`, or an encrypted
/// `--keystore` / `SPN_KEYSTORE` (or the settings file's `private_key` / `keystore`).
#[derive(Debug, Clone)]
pub enum KeySource {
    /// No key given.
    None,
    /// A secp256k1 secret, hex.
    PrivateKey(String),
    /// An Ethereum V3 JSON keystore (what `cast wallet import`, geth and most wallets write).
    Keystore {
        /// The keystore file.
        path: PathBuf,
        /// A file holding its password (else `SPN_KEYSTORE_PASSWORD`).
        password_file: Option<PathBuf>,
    },
}

impl KeySource {
    /// The secret as hex, if a key was given (a keystore is decrypted).
    pub fn secret_hex(&self) -> Result<Option<String>> {
        match self {
            Self::None => Ok(None),
            _ => Ok(Some(alloy::primitives::hex::encode_prefixed(
                signer(self)?.to_bytes(),
            ))),
        }
    }
}

/// The signing key, from wherever it was given.
pub fn signer(key: &KeySource) -> Result<PrivateKeySigner> {
    match key {
        KeySource::None => bail!(
            "this command sends transactions and needs the sending account's key: pass \
             --private-key 0x… or set SPN_PRIVATE_KEY, or use an encrypted keystore with \
             --keystore FILE (or SPN_KEYSTORE)"
        ),
        KeySource::PrivateKey(key) => private_key(key),
        KeySource::Keystore {
            path,
            password_file,
        } => keystore(path, password_file.as_deref()),
    }
}

/// Parses a secp256k1 secret given as hex.
fn private_key(key: &str) -> Result<PrivateKeySigner> {
    let key = key.trim();
    if key.is_empty() {
        return signer(&KeySource::None);
    }
    // Never echo the key back: it is a secret even when it is malformed.
    key.parse::<PrivateKeySigner>().map_err(|_| {
        eyre!(
            "--private-key (or SPN_PRIVATE_KEY) is not a secp256k1 private key: expected 32 \
             bytes as 64 hex digits, with or without 0x"
        )
    })
}

/// Decrypts a V3 keystore with the password from `password_file` or `SPN_KEYSTORE_PASSWORD`,
/// else asks for it on the terminal.
fn keystore(path: &Path, password_file: Option<&Path>) -> Result<PrivateKeySigner> {
    if !path.is_file() {
        bail!(
            "keystore {} does not exist: pass the file `cast wallet import` (or geth) wrote, \
             e.g. ~/.foundry/keystores/<name>",
            path.display()
        );
    }
    let password = match password_file {
        Some(file) => std::fs::read_to_string(file)
            .map_err(|e| eyre!("cannot read the password file {}: {e}", file.display()))?
            .trim_end_matches(['\n', '\r'])
            .to_string(),
        None => match std::env::var("SPN_KEYSTORE_PASSWORD") {
            Ok(password) => password,
            Err(_) => {
                crate::prompt::password(&format!("password for keystore {}: ", path.display()))?
                    .ok_or_else(|| {
                        eyre!(
                    "keystore {} is encrypted: give its password in SPN_KEYSTORE_PASSWORD, in \
                     a file with --password-file FILE, or run from a terminal to be asked",
                    path.display()
                )
                    })?
            }
        },
    };
    let secret = eth_keystore::decrypt_key(path, password).map_err(|e| match e {
        eth_keystore::KeystoreError::MacMismatch => eyre!(
            "wrong password for keystore {} (SPN_KEYSTORE_PASSWORD or --password-file)",
            path.display()
        ),
        other => eyre!(
            "{} is not a readable Ethereum JSON keystore ({other}); pass a V3 keystore file",
            path.display()
        ),
    })?;
    PrivateKeySigner::from_slice(&secret)
        .map_err(|_| eyre!("keystore {} does not hold a secp256k1 key", path.display()))
}

fn parse_url(url: &str) -> Result<alloy::transports::http::reqwest::Url> {
    url.parse()
        .map_err(|e| eyre!("--rpc {url} is not a URL ({e}); e.g. http://127.0.0.1:8545"))
}

/// Waits for the transaction `what` sent by `sent` to be mined and requires it to succeed.
/// Says on stderr what it waits for if that takes more than a second; a send that the chain
/// refused comes back as the contract's reason.
pub async fn confirm(
    what: &str,
    sent: Result<PendingTransactionBuilder<Ethereum>, ContractError>,
) -> Result<TransactionReceipt> {
    let pending = sent.map_err(|e| explain(what, &e))?;
    let hash = *pending.tx_hash();
    let mined = pending.with_timeout(Some(MINE_TIMEOUT)).get_receipt();
    let receipt = with_progress(
        mined,
        &format!("waiting for transaction {hash} to be mined ({what})"),
    )
    .await
    .map_err(|e| {
        eyre!(
            "{what}: transaction {hash} was sent but not seen mined ({e}); it may still be: look \
             it up by its hash before sending again"
        )
    })?;
    if !receipt.status() {
        bail!(
            "{what}: transaction {hash} reverted in block {}; the chain changed since it was \
             checked: run the command again to see why",
            receipt.block_number.unwrap_or_default()
        );
    }
    Ok(receipt)
}

/// Runs `work`; if it takes more than a second, prints `message` on stderr once.
pub async fn with_progress<T>(work: impl Future<Output = T>, message: &str) -> T {
    tokio::pin!(work);
    tokio::select! {
        done = &mut work => done,
        () = tokio::time::sleep(Duration::from_secs(1)) => {
            eprintln!("{message}");
            work.await
        }
    }
}

/// The error of a call or send that failed: the contract's reason when it reverted.
pub fn explain(what: &str, err: &ContractError) -> eyre::Report {
    if let Some(data) = err.as_revert_data() {
        return match revert::describe(&data) {
            Some(reason) => eyre!("{what} refused: {reason}"),
            None => eyre!("{what} reverted (revert data {data})"),
        };
    }
    let text = err.to_string();
    if text.contains("insufficient funds") {
        return eyre!("{what}: the account cannot pay for it ({text}); fund it or send less");
    }
    if text.contains("error sending request") || text.contains("connection") {
        return eyre!("{what}: the node stopped answering ({text}); check --rpc");
    }
    eyre!("{what} failed: {text}")
}

/// The first event `E` that `emitter` logged in `receipt`.
pub fn event<E: SolEvent>(receipt: &TransactionReceipt, emitter: Address) -> Option<E> {
    receipt
        .logs()
        .iter()
        .filter(|log| log.address() == emitter)
        .find_map(|log| log.log_decode::<E>().ok())
        .map(|log| log.inner.data)
}

/// Runs a read-only contract call, with the contract's reason if it fails.
pub async fn read<T>(
    what: &str,
    call: impl std::future::IntoFuture<Output = Result<T, ContractError>>,
) -> Result<T> {
    call.await.map_err(|e| explain(what, &e))
}

/// A step done, on stderr (stdout carries the command's result).
pub fn progress(line: String) {
    eprintln!("{line}");
}
