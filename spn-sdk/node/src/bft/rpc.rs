//! `bft_getCertificate`: a committed block's header and finality certificate, with the
//! validator set of its height as this node knows it, so light clients, SPN nodes and
//! explorers can check that the block is final without trusting the node that serves it
//! (they check the header's hash, the signatures, and the set against their own copy).

use super::BftValidators;
use spn_consensus::bft::CommitCertificate;
use spn_primitives::{Address, Bytes, B256};
use spn_rpc::{ErrorObjectOwned, Methods, RpcModule};
use spn_storage::Store;
use std::sync::Arc;

/// What `bft_getCertificate` answers.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CertifiedHeader {
    /// The block's height.
    pub number: u64,
    /// The round whose precommits finalized it.
    pub round: u32,
    /// The block hash the precommits sign (keccak of `header`).
    pub block_hash: B256,
    /// The block header, RLP-encoded as Ethereum encodes it.
    pub header: Bytes,
    /// The precommits: the signer's position in `validators` and its ed25519 signature.
    pub signatures: Vec<CertificateSignature>,
    /// The validator set deciding this height, in Staking order, as this node has it.
    pub validators: Vec<CertificateValidator>,
}

/// One precommit of a certificate.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CertificateSignature {
    /// The signer's position in the height's validator set.
    pub validator: u32,
    /// The 64-byte ed25519 signature over the vote bytes.
    pub signature: Bytes,
}

/// One member of a height's validator set.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CertificateValidator {
    /// Its ed25519 public key.
    pub key: B256,
    /// Its stake, as consensus weighs it (gwei on the mainnet).
    pub stake: u64,
    /// The account its blocks pay fees to.
    pub account: Address,
}

impl CertifiedHeader {
    /// The certificate these fields carry (signatures must be 64 bytes each).
    pub fn certificate(&self) -> Result<CommitCertificate, String> {
        let signatures = self
            .signatures
            .iter()
            .map(|s| {
                let bytes: [u8; 64] = s.signature.as_ref().try_into().map_err(|_| {
                    format!(
                        "the signature of validator {} is {} bytes, not 64",
                        s.validator,
                        s.signature.len()
                    )
                })?;
                Ok((s.validator, bytes))
            })
            .collect::<Result<_, String>>()?;
        Ok(CommitCertificate {
            height: self.number,
            round: self.round,
            block_hash: self.block_hash.0,
            signatures,
        })
    }
}

/// The set deciding `height`: the newest stored set starting at or below it, else genesis.
fn set_at(store: &Store, genesis: &BftValidators, height: u64) -> Result<BftValidators, String> {
    let stored = store.validator_sets().map_err(|e| e.to_string())?;
    match stored.into_iter().rev().find(|(from, _)| *from <= height) {
        Some((from, bytes)) => BftValidators::decode(&bytes)
            .map_err(|e| format!("the stored validator set of height {from}: {e}")),
        None => Ok(genesis.clone()),
    }
}

/// The answer for block `number`, `None` if the node has no certificate for it.
pub fn certified_header(
    store: &Store,
    genesis: &BftValidators,
    number: u64,
) -> Result<Option<CertifiedHeader>, String> {
    let Some(bytes) = store.certificate(number).map_err(|e| e.to_string())? else {
        return Ok(None);
    };
    let certificate = CommitCertificate::decode(&bytes)
        .map_err(|e| format!("the stored certificate of block {number}: {e}"))?;
    let header = store
        .header(number)
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("block {number} has a certificate but no header"))?;
    let set = set_at(store, genesis, number)?;
    Ok(Some(CertifiedHeader {
        number,
        round: certificate.round,
        block_hash: B256::from(certificate.block_hash),
        header: spn_primitives::rlp::encode(&header).into(),
        signatures: certificate
            .signatures
            .iter()
            .map(|(validator, signature)| CertificateSignature {
                validator: *validator,
                signature: Bytes::copy_from_slice(signature),
            })
            .collect(),
        validators: set
            .set
            .keys()
            .iter()
            .enumerate()
            .map(|(i, key)| CertificateValidator {
                key: B256::from(key.to_bytes()),
                stake: set.set.stake(i as u32),
                account: set.account(i as u32),
            })
            .collect(),
    }))
}

/// Reads a block parameter: a number (JSON, 0x hex or decimal string) or a tag that means
/// the head (`latest`, `finalized`, `safe`: on `bft` every committed block is final).
fn block_param(value: &serde_json::Value, head: u64) -> Result<u64, String> {
    if let Some(tag) = value.as_str() {
        if matches!(tag, "latest" | "finalized" | "safe") {
            return Ok(head);
        }
    }
    crate::dev_rpc::parse_seconds(value).map_err(|_| {
        format!("the block must be a number or latest / finalized / safe, got {value}")
    })
}

fn rpc_error(code: i32, message: impl Into<String>) -> ErrorObjectOwned {
    ErrorObjectOwned::owned(code, message.into(), None::<()>)
}

/// The `bft_*` methods of a node whose genesis set is `genesis`.
pub(crate) fn methods(store: Arc<Store>, genesis: BftValidators) -> Result<Methods, String> {
    let mut module = RpcModule::new((store, genesis));
    module
        .register_blocking_method("bft_getCertificate", |params, ctx, _| {
            let (store, genesis) = &*ctx;
            let value: serde_json::Value = params.sequence().next().map_err(|_| {
                rpc_error(
                    -32602,
                    "bft_getCertificate takes one parameter: a block number or tag",
                )
            })?;
            let head = store
                .head()
                .map_err(|e| rpc_error(-32603, e.to_string()))?
                .map_or(0, |(n, _)| n);
            let number = block_param(&value, head).map_err(|e| rpc_error(-32602, e))?;
            if number == 0 {
                return Err(rpc_error(
                    -32602,
                    "the genesis block has no certificate: it is fixed by the chain spec",
                ));
            }
            if number > head {
                return Err(rpc_error(
                    -32000,
                    format!("block {number} is not final yet (the head is {head})"),
                ));
            }
            certified_header(store, genesis, number)
                .map_err(|e| rpc_error(-32603, e))?
                .ok_or_else(|| {
                    rpc_error(
                        -32000,
                        format!(
                            "this node holds no certificate for block {number}; ask a node \
                             that committed it with bft"
                        ),
                    )
                })
        })
        .map_err(|e| e.to_string())?;
    Ok(module.into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn block_parameters_are_numbers_or_head_tags() {
        assert_eq!(block_param(&json!("latest"), 9), Ok(9));
        assert_eq!(block_param(&json!("finalized"), 9), Ok(9));
        assert_eq!(block_param(&json!("0x5"), 9), Ok(5));
        assert_eq!(block_param(&json!(7), 9), Ok(7));
        for bad in [json!("pending"), json!(-1), json!(null), json!({})] {
            assert!(block_param(&bad, 9).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_short_signature_is_refused() {
        let header = CertifiedHeader {
            number: 1,
            round: 0,
            block_hash: B256::ZERO,
            header: Bytes::new(),
            signatures: vec![CertificateSignature {
                validator: 0,
                signature: Bytes::from(vec![0; 63]),
            }],
            validators: vec![],
        };
        assert!(header.certificate().unwrap_err().contains("63 bytes"));
    }
}
