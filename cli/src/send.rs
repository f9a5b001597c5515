//! `spn send`: dispatch a message from the chain at `--rpc`, through its SPN Mailbox if it is
//! an SPN, else through the mainnet Mailbox.

use crate::revert::{status_name, ACTIVE};
use crate::wallet::{confirm, event, read, Wallet};
use crate::Globals;
use alloy::primitives::{Address, Bytes, B256};
use alloy::rpc::types::TransactionReceipt;
use clap::Args;
use eyre::{bail, eyre, Result};
use pharos_contracts::{
    self as sc, mailbox::Mailbox, message::Message, registry::Registry, spn_mailbox::SpnMailbox,
};
use serde_json::json;

/// The largest body a Mailbox takes.
const MAX_BODY: usize = 8192;

/// `spn send` options.
#[derive(Debug, Args)]
pub struct SendArgs {
    /// Destination domain: an active SPN's id, or (sending from an SPN) the mainnet's chain id
    /// or another SPN's id.
    #[arg(long, value_name = "DOMAIN")]
    pub destination: u32,
    /// The recipient contract on the destination chain; it implements
    /// `handle(uint32 origin, bytes32 sender, bytes body)`.
    #[arg(long, value_name = "0xADDRESS")]
    pub recipient: Address,
    /// The message body: 0x-prefixed hex, or text sent as its UTF-8 bytes.
    #[arg(long, default_value = "")]
    pub body: String,
}

/// Dispatches the message and prints its id.
pub async fn run(args: SendArgs, g: &Globals) -> Result<()> {
    let body = parse_body(&args.body)?;
    let wallet = Wallet::connect(&g.rpc, &g.key).await?;
    let from_spn = wallet.chain.has_code(sc::SPN_MAILBOX).await?;
    let d = args.destination;
    let recipient = args.recipient.into_word();
    let (mailbox, receipt) = if from_spn {
        if d == 0 || u64::from(d) == wallet.chain.chain_id {
            bail!(
                "destination {d} is {}: send to the mainnet's chain id or another SPN's id",
                if d == 0 {
                    "no domain"
                } else {
                    "this SPN itself"
                }
            );
        }
        let spn_mailbox = SpnMailbox::new(sc::SPN_MAILBOX, wallet.provider());
        let sent = spn_mailbox
            .dispatch(d, recipient, body.clone())
            .send()
            .await;
        (sc::SPN_MAILBOX, confirm("SpnMailbox.dispatch", sent).await?)
    } else {
        if u64::from(d) == wallet.chain.chain_id {
            bail!(
                "the mainnet Mailbox sends to SPNs, not to the mainnet itself: a message to a \
                 mainnet contract starts on an SPN (run `spn send` with --rpc <the SPN's RPC URL>)"
            );
        }
        let registry = Registry::new(sc::REGISTRY, wallet.provider());
        let status = read("Registry.status", registry.status(d).call()).await?;
        if status != ACTIVE {
            bail!(
                "SPN {d} is {} on {}: the mainnet Mailbox sends only to active SPNs",
                status_name(status),
                wallet.chain.url
            );
        }
        let mailbox = Mailbox::new(sc::MAILBOX, wallet.provider());
        let sent = mailbox.dispatch(d, recipient, body.clone()).send().await;
        (sc::MAILBOX, confirm("Mailbox.dispatch", sent).await?)
    };
    let dispatched = Dispatched::from_receipt(&receipt, mailbox)?;

    if g.json {
        let mut out = json!({
            "message_id": dispatched.id,
            "tx_hash": receipt.transaction_hash,
            "block": receipt.block_number,
            "mailbox": if from_spn { "spn" } else { "mainnet" },
            "origin": dispatched.message.origin,
            "nonce": dispatched.message.nonce,
            "sender": wallet.address,
            "destination": d,
            "recipient": args.recipient,
            "body": body,
        });
        if let Some(index) = dispatched.queue_index {
            out["queue_index"] = json!(index);
        }
        println!("{out}");
    } else {
        println!(
            "message    {} (nonce {}, domain {} → {d}, to {})",
            dispatched.id, dispatched.message.nonce, dispatched.message.origin, args.recipient
        );
        println!("tx         {}", receipt.transaction_hash);
        match dispatched.queue_index {
            Some(index) => println!(
                "queued     for SPN {d} at index {index}; its block producers deliver it in order"
            ),
            None => println!(
                "outbox     in the SPN Mailbox since block {}; a relayer proves it to the mainnet \
                 once a checkpoint covers that block",
                receipt.block_number.unwrap_or_default()
            ),
        }
    }
    Ok(())
}

/// A message a Mailbox dispatched: its id, its packed form, and where the mainnet queued it.
pub struct Dispatched {
    /// The message id.
    pub id: B256,
    /// The message.
    pub message: Message,
    /// Its index in the destination SPN's queue (mainnet Mailbox only).
    pub queue_index: Option<u64>,
}

impl Dispatched {
    /// Reads the message `mailbox` dispatched in `receipt` from its events.
    pub fn from_receipt(receipt: &TransactionReceipt, mailbox: Address) -> Result<Self> {
        let missing = || {
            eyre!(
                "transaction {} logged no message from {mailbox}",
                receipt.transaction_hash
            )
        };
        // Both Mailboxes log the same events (Hyperlane's).
        let id = event::<Mailbox::DispatchId>(receipt, mailbox)
            .ok_or_else(missing)?
            .messageId;
        let packed = event::<Mailbox::Dispatch>(receipt, mailbox)
            .ok_or_else(missing)?
            .message;
        let message = Message::decode(&packed).ok_or_else(missing)?;
        let queue_index = event::<Mailbox::Queued>(receipt, mailbox)
            .filter(|q| q.messageId == id)
            .map(|q| q.index.saturating_to::<u64>());
        Ok(Self {
            id,
            message,
            queue_index,
        })
    }
}

/// `0x…` as hex bytes, anything else as its UTF-8 bytes.
fn parse_body(text: &str) -> Result<Bytes> {
    let body = match text.strip_prefix("0x") {
        Some(hex) => alloy::primitives::hex::decode(hex).map_err(|e| {
            eyre!("--body starts with 0x but is not hex ({e}); give hex bytes, or text without 0x")
        })?,
        None => text.as_bytes().to_vec(),
    };
    if body.len() > MAX_BODY {
        bail!(
            "--body is {} bytes; a message body holds at most {MAX_BODY}",
            body.len()
        );
    }
    Ok(body.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_are_hex_or_text() {
        assert_eq!(parse_body("0x0102").unwrap(), Bytes::from(vec![1, 2]));
        assert_eq!(parse_body("hello").unwrap(), Bytes::from_static(b"hello"));
        assert!(parse_body("").unwrap().is_empty());
        assert!(parse_body("0xzz")
            .unwrap_err()
            .to_string()
            .contains("not hex"));
        assert!(parse_body(&"a".repeat(MAX_BODY + 1)).is_err());
    }
}
