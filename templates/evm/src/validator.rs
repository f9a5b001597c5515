//! A validator's file (`validators/*.toml`): what is this validator's own (its signing key,
//! RPC port and validator network), merged with `spn.toml` into the node's config.

use eyre::{bail, eyre, Result, WrapErr};
use spn_chain::SpnConfig;
use std::path::Path;

/// The config a validator's node runs with.
#[derive(Debug)]
pub struct NodeConfig {
    /// `spn.toml` with the validator's `signing_key` and `[p2p]`.
    pub config: SpnConfig,
    /// The JSON-RPC port the validator file asks for.
    pub http_port: u16,
    /// The validator file's name without `.toml` (`validator-1`).
    pub validator_name: String,
}

/// The keys a validator file may hold.
const VALIDATOR_KEYS: [&str; 3] = ["signing_key", "http_port", "p2p"];

/// Reads `spn.toml` and a validator file and merges them, naming the file in every error.
pub fn node_config(spn_toml: &Path, validator_file: &Path) -> Result<NodeConfig> {
    let mut spn = read_table(spn_toml)?;
    let mut validator = read_table(validator_file)?;
    for key in ["signing_key", "p2p"] {
        if spn.contains_key(key) {
            bail!(
                "{} has `{key}`: that belongs in each validator's own file (validators/*.toml)",
                spn_toml.display()
            );
        }
    }
    if let Some(key) = validator
        .keys()
        .find(|k| !VALIDATOR_KEYS.contains(&k.as_str()))
    {
        bail!(
            "{}: unknown field `{key}` (a validator file holds {})",
            validator_file.display(),
            VALIDATOR_KEYS.join(", ")
        );
    }
    let http_port = match validator.remove("http_port") {
        Some(toml::Value::Integer(port)) => u16::try_from(port).map_err(|_| {
            eyre!(
                "{}: http_port {port} is not a port",
                validator_file.display()
            )
        })?,
        Some(other) => bail!(
            "{}: http_port must be a number, not {other}",
            validator_file.display()
        ),
        None => bail!("{}: http_port is missing", validator_file.display()),
    };
    if !validator.contains_key("signing_key") {
        bail!(
            "{}: signing_key is missing (the validator's ed25519 secret, 32 bytes hex)",
            validator_file.display()
        );
    }
    spn.extend(validator);
    let config = SpnConfig::from_toml(&toml::to_string(&spn)?).wrap_err_with(|| {
        format!(
            "in {} with {}",
            spn_toml.display(),
            validator_file.display()
        )
    })?;
    let validator_name = validator_file
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "validator".into());
    Ok(NodeConfig {
        config,
        http_port,
        validator_name,
    })
}

fn read_table(path: &Path) -> Result<toml::Table> {
    let text = std::fs::read_to_string(path).wrap_err_with(|| {
        format!(
            "cannot read {} (run from the project's folder)",
            path.display()
        )
    })?;
    text.parse::<toml::Table>()
        .wrap_err_with(|| format!("{} is not valid TOML", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;
    use std::path::PathBuf;

    fn validator_files() -> Vec<PathBuf> {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("validators");
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "toml"))
            .collect();
        files.sort();
        files
    }

    #[test]
    fn every_validator_file_makes_a_valid_node_config_with_its_own_key() {
        let spn_toml = Path::new(env!("CARGO_MANIFEST_DIR")).join("spn.toml");
        let files = validator_files();
        assert!(!files.is_empty());
        let mut keys = BTreeSet::new();
        let mut ports = BTreeSet::new();
        for file in &files {
            let node = node_config(&spn_toml, file).unwrap();
            assert!(
                keys.insert(node.config.signing_key.unwrap()),
                "{} reuses a key",
                file.display()
            );
            assert!(
                ports.insert(node.http_port),
                "{} reuses a port",
                file.display()
            );
            // Validators of a networked consensus dial each other.
            if let Some(p2p) = &node.config.p2p {
                assert_eq!(p2p.peers.len(), files.len() - 1, "{}", file.display());
            }
        }
    }

    #[test]
    fn bad_validator_files_are_refused_with_the_field_named() {
        let dir = std::env::temp_dir().join(format!("validator-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let spn_toml = Path::new(env!("CARGO_MANIFEST_DIR")).join("spn.toml");
        for (text, field) in [
            ("http_port = 1\n", "signing_key"),
            ("signing_key = \"0x01\"\n", "http_port"),
            ("signing_key = \"0x01\"\nhttp_port = 70000\n", "http_port"),
            (
                "signing_key = \"0x01\"\nhttp_port = 1\nbogus = 2\n",
                "bogus",
            ),
        ] {
            let file = dir.join("v.toml");
            std::fs::write(&file, text).unwrap();
            let e = format!("{:#}", node_config(&spn_toml, &file).unwrap_err());
            assert!(e.contains(field), "{text}: {e}");
        }
        let _ = std::fs::remove_dir_all(dir);
    }
}
