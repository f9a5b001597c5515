//! `spn register --dev-restake`: on a dev mainnet, restake for every validator of a project
//! `spn new` made, from the dev accounts it chose as their operators, so registering and
//! activating a new SPN is one command.

use crate::restake::{restake_as, RestakeArgs, Restaked};
use crate::wallet::KeySource;
use eyre::{bail, eyre, Result, WrapErr};
use pharos_mainnet::{DEV_ACCOUNTS, DEV_CHAIN_ID};
use spn_chain::U256;
use std::path::{Path, PathBuf};

/// What each validator restakes at least (what `spn new` sizes `min_stake` for).
const DEV_STAKE_WEI: u128 = 5_000_000_000_000_000_000;

/// A validator file `spn new` wrote: `validators/validator-<index>.toml`.
#[derive(Debug, PartialEq, Eq)]
pub struct DevValidator {
    /// The file.
    pub file: PathBuf,
    /// Its index (its operator is dev account `index`).
    pub index: usize,
    /// Its `signing_key`.
    pub signing_key: String,
}

/// The validator files in `validators/` beside `config`, by index.
pub fn dev_validators(config: &Path) -> Result<Vec<DevValidator>> {
    let dir = config.parent().unwrap_or(Path::new(".")).join("validators");
    let entries = std::fs::read_dir(&dir).wrap_err_with(|| {
        format!(
            "--dev-restake reads the validator files `spn new` wrote in {}; there is no such \
             folder (restake for each validator with `spn restake` instead)",
            dir.display()
        )
    })?;
    let mut found = Vec::new();
    for entry in entries {
        let file = entry?.path();
        let name = file.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let Some(index) = name
            .strip_prefix("validator-")
            .and_then(|n| n.strip_suffix(".toml"))
            .and_then(|n| n.parse::<usize>().ok())
        else {
            continue;
        };
        let text = std::fs::read_to_string(&file)
            .wrap_err_with(|| format!("cannot read {}", file.display()))?;
        let table: toml::Table = text
            .parse()
            .wrap_err_with(|| format!("{} is not TOML", file.display()))?;
        let signing_key = table
            .get("signing_key")
            .and_then(|v| v.as_str())
            .ok_or_else(|| eyre!("{} has no signing_key", file.display()))?
            .to_string();
        if index == 0 || index >= DEV_ACCOUNTS.len() {
            bail!(
                "{}: dev operators are dev accounts 1 to {}",
                file.display(),
                DEV_ACCOUNTS.len() - 1
            );
        }
        found.push(DevValidator {
            file,
            index,
            signing_key,
        });
    }
    if found.is_empty() {
        bail!("no validator-<n>.toml files in {}", dir.display());
    }
    found.sort_by_key(|v| v.index);
    Ok(found)
}

/// Refuses any mainnet but a dev one: the dev accounts' keys are public.
pub fn check_dev_chain(chain_id: u64) -> Result<()> {
    if chain_id != DEV_CHAIN_ID {
        bail!(
            "--dev-restake spends the public dev accounts, so it runs only against a dev \
             mainnet (chain {DEV_CHAIN_ID}), not chain {chain_id}: have each operator run \
             `spn restake` instead"
        );
    }
    Ok(())
}

/// Restakes for each of `validators` on the dev mainnet at `rpc` (chain `chain_id`) so the
/// SPN reaches `min_stake`: each from dev account `index`, under its signing key.
pub async fn dev_restake(
    rpc: &str,
    chain_id: u64,
    spn: u32,
    min_stake: U256,
    validators: &[DevValidator],
) -> Result<Vec<Restaked>> {
    check_dev_chain(chain_id)?;
    let count = U256::from(validators.len());
    let share = min_stake.div_ceil(count).max(U256::from(DEV_STAKE_WEI));
    let mut done = Vec::new();
    for v in validators {
        crate::wallet::progress(format!(
            "restaking {} lsPHRS for {} from dev account {}",
            crate::amount::ether(share),
            v.file.display(),
            v.index
        ));
        let args = RestakeArgs {
            spn,
            amount: format!("{share}wei").parse()?,
            operator_key: Some(v.signing_key.clone()),
            skip_stake: false,
        };
        let signer = KeySource::PrivateKey(DEV_ACCOUNTS[v.index].private_key.to_string());
        done.push(
            restake_as(&args, rpc, &signer)
                .await
                .wrap_err_with(|| format!("restaking for {}", v.file.display()))?,
        );
    }
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_validator_files_by_index_and_refuses_bad_ones() {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("spn.toml");
        assert!(dev_validators(&config).is_err(), "no folder");
        let validators = dir.path().join("validators");
        std::fs::create_dir(&validators).unwrap();
        assert!(dev_validators(&config).is_err(), "no files");
        for i in [2, 1] {
            std::fs::write(
                validators.join(format!("validator-{i}.toml")),
                format!("signing_key = \"0x{i:064x}\"\n"),
            )
            .unwrap();
        }
        std::fs::write(validators.join("notes.md"), "ignored").unwrap();
        let found = dev_validators(&config).unwrap();
        assert_eq!(found.iter().map(|v| v.index).collect::<Vec<_>>(), [1, 2]);
        assert!(found[1].signing_key.ends_with('2'));
        std::fs::write(validators.join("validator-3.toml"), "http_port = 1\n").unwrap();
        let e = dev_validators(&config).unwrap_err().to_string();
        assert!(e.contains("signing_key"), "{e}");
    }

    #[test]
    fn only_a_dev_mainnet_is_restaked_for_with_the_dev_accounts() {
        assert!(check_dev_chain(DEV_CHAIN_ID).is_ok());
        let e = check_dev_chain(7447).unwrap_err().to_string();
        assert!(e.contains("spn restake"), "{e}");
    }
}
