//! Read and write the node's secret key files: one hex secret (`0x` + 64 hex digits) per file,
//! written readable by its owner only. The same format holds an ed25519 consensus key and a
//! secp256k1 account key; which one a file is depends on the flag that names it.

use ed25519_dalek::SigningKey;
use eyre::{eyre, Result, WrapErr};
use spn_primitives::consensus::crypto::secp256k1::{recover_signer, sign_message};
use spn_primitives::{Address, B256};
use std::io::Write;
use std::path::Path;

/// Reads a 32-byte hex secret from `path`; `what` names the key in errors.
pub fn read_secret(path: &Path, what: &str) -> Result<B256> {
    let text = std::fs::read_to_string(path)
        .wrap_err_with(|| format!("cannot read the {what} file {}", path.display()))?;
    let trimmed = text.trim();
    let hex = trimmed.strip_prefix("0x").unwrap_or(trimmed);
    if hex.len() != 64 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(eyre!(
            "{} is not a valid {what} file: it must hold one 32-byte hex secret (0x + 64 hex digits)",
            path.display()
        ));
    }
    hex.parse::<B256>()
        .map_err(|e| eyre!("{}: {e}", path.display()))
}

/// Writes `secret` as hex to a new file `path` readable by its owner only (0600); refuses to
/// overwrite an existing key.
pub fn write_secret(path: &Path, secret: &B256) -> Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .wrap_err_with(|| format!("cannot create key file {}", path.display()))?;
    writeln!(file, "{secret}").wrap_err_with(|| format!("cannot write {}", path.display()))
}

/// The ed25519 key in `path`.
pub fn read_ed25519(path: &Path) -> Result<SigningKey> {
    Ok(SigningKey::from_bytes(
        &read_secret(path, "ed25519 validator key")?.0,
    ))
}

/// A secp256k1 account key: its secret and its address.
#[derive(Clone)]
pub struct AccountKey {
    /// The secret.
    pub secret: B256,
    /// Its address.
    pub address: Address,
}

impl std::fmt::Debug for AccountKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccountKey")
            .field("address", &self.address)
            .finish_non_exhaustive()
    }
}

impl AccountKey {
    /// The account of `secret`, or an error if it is not a valid secp256k1 secret key.
    pub fn new(secret: B256) -> Result<Self> {
        let probe = B256::repeat_byte(1);
        let address = sign_message(secret, probe)
            .ok()
            .and_then(|sig| recover_signer(&sig, probe).ok())
            .ok_or_else(|| eyre!("not a secp256k1 secret key"))?;
        Ok(Self { secret, address })
    }

    /// The account key in `path`.
    pub fn read(path: &Path) -> Result<Self> {
        Self::new(read_secret(path, "secp256k1 account key")?)
            .wrap_err_with(|| format!("in {}", path.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn key_files_round_trip_owner_only_and_never_overwrite() {
        let dir = std::env::temp_dir().join(format!("pharos-keys-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("k");
        let _ = std::fs::remove_file(&path);
        let secret = B256::repeat_byte(0x42);
        write_secret(&path, &secret).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        assert_eq!(read_secret(&path, "k").unwrap(), secret);
        assert!(write_secret(&path, &B256::ZERO).is_err(), "no overwrite");
        std::fs::write(&path, "0x1234").unwrap();
        let e = read_secret(&path, "ed25519 validator key").unwrap_err();
        assert!(
            e.to_string()
                .contains("not a valid ed25519 validator key file"),
            "{e}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn account_keys_give_their_address() {
        // Dev account 0 of the test mnemonic.
        let secret: B256 = crate::DEV_ACCOUNTS[0].private_key.parse().unwrap();
        let key = AccountKey::new(secret).unwrap();
        assert_eq!(
            key.address,
            crate::DEV_ACCOUNTS[0].address.parse::<Address>().unwrap()
        );
        assert!(AccountKey::new(B256::ZERO).is_err());
    }
}
