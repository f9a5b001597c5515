//! Say in words why a mainnet call reverted, from the system contracts' custom errors.

use pharos_contracts::{adaptor::Adaptor, mailbox::Mailbox, management::Management};

/// The revert reason of `err`, decoded against the Adaptor, Mailbox and Management errors.
pub fn describe(err: &alloy::contract::Error) -> String {
    use Adaptor::AdaptorErrors as A;
    if let Some(e) = err.as_decoded_interface_error::<A>() {
        return match e {
            A::AlreadyRelayed(e) => format!("message {} was already relayed", e.messageId),
            A::UnknownCheckpoint(e) => format!(
                "no finalized checkpoint of SPN {} at height {}",
                e.spnId, e.height
            ),
            A::NoQuorum(e) => format!(
                "checkpoint lacks quorum: {} of {} stake signed",
                e.signed, e.total
            ),
            A::InvalidSignature(_) => "a checkpoint signature does not verify".into(),
            A::StaleHeight(e) => format!(
                "checkpoint height {} is not above the finalized {}",
                e.height, e.finalized
            ),
            A::WrongEpoch(e) => format!("epoch {} is not the current epoch {}", e.epoch, e.current),
            A::EpochExpired(e) => format!(
                "epoch {} expired at {}; the SPN's epoch must be rotated",
                e.epoch, e.expiredAt
            ),
            A::WrongOrigin(e) => format!("message origin {} is not SPN {}", e.origin, e.spnId),
            A::SpnNotCheckpointing(e) => {
                format!("SPN {} does not checkpoint (status {})", e.spnId, e.status)
            }
            A::InvalidStorageProof(_) => "the storage proof does not verify against the \
                 checkpointed state root: the message is not in the SPN's outbox at that height"
                .into(),
            A::InvalidAccountProof(_) => "the SPN Mailbox account proof does not verify against \
                 the checkpointed state root"
                .into(),
            A::MalformedMessage(_) => "the message is malformed".into(),
            A::MalformedRlp(_) => "a proof node is malformed RLP".into(),
            other => format!("Adaptor refused: {other:?}"),
        };
    }
    if let Some(e) = err.as_decoded_interface_error::<Mailbox::MailboxErrors>() {
        return format!("Mailbox refused: {e:?}");
    }
    if let Some(e) = err.as_decoded_interface_error::<Management::ManagementErrors>() {
        return format!("Management refused: {e:?}");
    }
    if let Some(data) = err.as_revert_data() {
        // The proof libraries revert without a custom error when a proof does not verify.
        return format!(
            "reverted ({data}): the storage proof does not verify against the checkpoint, or the message is malformed"
        );
    }
    err.to_string()
}

/// Whether `err` says the message was already relayed (by us earlier, or another relayer).
pub fn already_relayed(err: &alloy::contract::Error) -> bool {
    err.as_decoded_error::<Adaptor::AlreadyRelayed>().is_some()
}
