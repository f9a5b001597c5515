//! Send the relayer's mainnet transactions: local nonce tracking that resyncs after any error,
//! many transactions in flight, and fee bumps (same nonce, higher fees) for stuck ones.

use alloy::consensus::{SignableTransaction, TxEip1559, TxEnvelope};
use alloy::eips::{BlockNumberOrTag, Encodable2718};
use alloy::primitives::{Address, Bytes, TxKind, B256, U256};
use alloy::providers::{DynProvider, Provider};
use alloy::rpc::types::TransactionReceipt;
use alloy::signers::{local::PrivateKeySigner, SignerSync};
use std::time::{Duration, Instant};
use tracing::{debug, warn};

/// A contract call to send.
#[derive(Debug, Clone)]
pub struct Call {
    /// The contract.
    pub to: Address,
    /// ABI-encoded call.
    pub input: Bytes,
    /// Gas limit.
    pub gas: u64,
}

/// A call sent at a nonce, with every hash it was broadcast under (fee bumps add hashes).
#[derive(Debug, Clone)]
pub struct Sent {
    /// What was sent.
    pub call: Call,
    /// Its nonce.
    pub nonce: u64,
    /// Hashes of every broadcast version, oldest first.
    pub hashes: Vec<B256>,
    max_fee: u128,
    tip: u128,
    since: Instant,
}

/// How a sent call ended.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// Mined (successfully or not: check `status()`).
    Mined(Box<TransactionReceipt>),
    /// Never mined: dropped, replaced by another transaction, or timed out.
    Lost(String),
}

/// Signs and sends mainnet transactions from one account.
pub struct TxSender {
    provider: DynProvider,
    signer: PrivateKeySigner,
    chain_id: u64,
    next_nonce: Option<u64>,
    stuck_after: Duration,
}

/// Below this tip the pool may refuse a transaction.
const MIN_TIP: u128 = 1_000_000_000;

impl TxSender {
    /// A sender for `signer` on the chain behind `provider`.
    pub async fn new(
        provider: DynProvider,
        signer: PrivateKeySigner,
        stuck_after: Duration,
    ) -> Result<Self, String> {
        let chain_id = provider
            .get_chain_id()
            .await
            .map_err(|e| format!("cannot reach the mainnet: {e}"))?;
        Ok(Self {
            provider,
            signer,
            chain_id,
            next_nonce: None,
            stuck_after,
        })
    }

    /// The paying account.
    pub fn address(&self) -> Address {
        self.signer.address()
    }

    /// The account's balance.
    pub async fn balance(&self) -> Result<U256, String> {
        self.provider
            .get_balance(self.address())
            .await
            .map_err(|e| e.to_string())
    }

    /// Forget the local nonce; the next send reads it from the node.
    pub fn resync(&mut self) {
        self.next_nonce = None;
    }

    async fn nonce(&mut self) -> Result<u64, String> {
        if let Some(n) = self.next_nonce {
            return Ok(n);
        }
        let n = self
            .provider
            .get_transaction_count(self.address())
            .block_id(BlockNumberOrTag::Pending.into())
            .await
            .map_err(|e| format!("cannot read the relayer's nonce: {e}"))?;
        self.next_nonce = Some(n);
        Ok(n)
    }

    async fn fees(&self) -> Result<(u128, u128), String> {
        let block = self
            .provider
            .get_block_by_number(BlockNumberOrTag::Latest)
            .await
            .map_err(|e| format!("cannot read the mainnet head: {e}"))?
            .ok_or("the mainnet has no blocks")?;
        let base = u128::from(block.header.base_fee_per_gas.unwrap_or(1_000_000_000));
        Ok((base * 2 + MIN_TIP, MIN_TIP))
    }

    fn sign(
        &self,
        call: &Call,
        nonce: u64,
        max_fee: u128,
        tip: u128,
    ) -> Result<TxEnvelope, String> {
        let tx = TxEip1559 {
            chain_id: self.chain_id,
            nonce,
            gas_limit: call.gas,
            max_fee_per_gas: max_fee,
            max_priority_fee_per_gas: tip,
            to: TxKind::Call(call.to),
            input: call.input.clone(),
            ..Default::default()
        };
        let sig = self
            .signer
            .sign_hash_sync(&tx.signature_hash())
            .map_err(|e| e.to_string())?;
        Ok(tx.into_signed(sig).into())
    }

    async fn broadcast(&self, envelope: &TxEnvelope) -> Result<B256, String> {
        let hash = *envelope.tx_hash();
        match self
            .provider
            .send_raw_transaction(&envelope.encoded_2718())
            .await
        {
            Ok(_) => Ok(hash),
            // The same bytes again (a retry after a lost answer) is not an error.
            Err(e) if e.to_string().contains("already known") => Ok(hash),
            Err(e) => Err(e.to_string()),
        }
    }

    /// Sends `calls` in order at consecutive nonces. Stops at the first refusal (later
    /// nonces would only queue behind the gap): the rest come back unsent, with the reason.
    pub async fn send_all(&mut self, calls: Vec<Call>) -> (Vec<Sent>, Vec<(Call, String)>) {
        let mut sent = Vec::with_capacity(calls.len());
        let mut calls = calls.into_iter();
        let fees = self.fees().await;
        let mut unsent = Vec::new();
        for call in calls.by_ref() {
            let result = async {
                let (max_fee, tip) = fees.clone()?;
                let nonce = self.nonce().await?;
                let envelope = self.sign(&call, nonce, max_fee, tip)?;
                let hash = self.broadcast(&envelope).await?;
                Ok::<_, String>((nonce, hash, max_fee, tip))
            }
            .await;
            match result {
                Ok((nonce, hash, max_fee, tip)) => {
                    self.next_nonce = Some(nonce + 1);
                    sent.push(Sent {
                        call,
                        nonce,
                        hashes: vec![hash],
                        max_fee,
                        tip,
                        since: Instant::now(),
                    });
                }
                Err(e) => {
                    warn!(error = %e, "send refused; resyncing the nonce");
                    self.resync();
                    unsent.push((call, e));
                    break;
                }
            }
        }
        unsent.extend(calls.map(|c| (c, "not sent: an earlier send was refused".to_string())));
        (sent, unsent)
    }

    /// Waits until every sent call is mined or lost, re-sending stuck ones with fees raised
    /// by a quarter (the pool wants at least a tenth) at the same nonce.
    pub async fn wait_all(&mut self, mut pending: Vec<Sent>) -> Vec<(Sent, Outcome)> {
        let mut done = Vec::with_capacity(pending.len());
        let deadline = Instant::now() + self.stuck_after * 8;
        let mut last_block = 0;
        while !pending.is_empty() {
            let head = self.provider.get_block_number().await.unwrap_or(last_block);
            if head != last_block || pending.iter().any(|s| s.since.elapsed() > self.stuck_after) {
                last_block = head;
                let mut still = Vec::with_capacity(pending.len());
                for mut s in pending {
                    match self.receipt_of(&s).await {
                        Some(r) => done.push((s, Outcome::Mined(Box::new(r)))),
                        None if Instant::now() > deadline => {
                            self.resync();
                            done.push((s, Outcome::Lost("not mined in time".into())));
                        }
                        None if s.since.elapsed() > self.stuck_after => {
                            match self.bump(&mut s).await {
                                Ok(()) => still.push(s),
                                Err(e) => {
                                    // The nonce is used: by this transaction (its receipt may
                                    // be a moment away) or by another one.
                                    if let Some(r) = self.receipt_of(&s).await {
                                        done.push((s, Outcome::Mined(Box::new(r))));
                                    } else if e.contains("nonce too low") {
                                        self.resync();
                                        done.push((s, Outcome::Lost(e)));
                                    } else {
                                        still.push(s);
                                    }
                                }
                            }
                        }
                        None => still.push(s),
                    }
                }
                pending = still;
            }
            if !pending.is_empty() {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
        done
    }

    async fn receipt_of(&self, s: &Sent) -> Option<TransactionReceipt> {
        for hash in s.hashes.iter().rev() {
            if let Ok(Some(r)) = self.provider.get_transaction_receipt(*hash).await {
                return Some(r);
            }
        }
        None
    }

    async fn bump(&mut self, s: &mut Sent) -> Result<(), String> {
        let (floor, _) = self.fees().await?;
        s.max_fee = (s.max_fee * 5 / 4 + 1).max(floor);
        s.tip = s.tip * 5 / 4 + 1;
        let envelope = self.sign(&s.call, s.nonce, s.max_fee, s.tip)?;
        let hash = self.broadcast(&envelope).await?;
        debug!(nonce = s.nonce, %hash, max_fee = s.max_fee, "stuck transaction re-sent with higher fees");
        s.hashes.push(hash);
        s.since = Instant::now();
        Ok(())
    }
}
