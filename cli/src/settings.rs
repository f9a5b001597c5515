//! The global flags every command shares, resolved in one place: flags, then environment,
//! then `spn`'s settings file (`--settings FILE`, `SPN_SETTINGS`, or
//! `~/.config/spn/settings.toml` when it exists), then defaults. The signing key comes from
//! `--private-key` or an encrypted `--keystore`, whichever was given with the higher
//! precedence.

use crate::wallet::KeySource;
use clap::parser::ValueSource;
use clap::ArgMatches;
use eyre::{bail, Result, WrapErr};
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// The mainnet (or chain) a command talks to when nothing else says.
pub const DEFAULT_RPC: &str = "http://127.0.0.1:8545";

/// `settings.toml`: defaults for the global flags.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// `--rpc`.
    pub rpc: Option<String>,
    /// `--private-key` (prefer `keystore`: this file then holds a secret).
    pub private_key: Option<String>,
    /// `--keystore`, relative to the settings file's folder.
    pub keystore: Option<PathBuf>,
    /// `--password-file`, relative to the settings file's folder.
    pub password_file: Option<PathBuf>,
    /// `--json`.
    pub json: Option<bool>,
}

impl Settings {
    /// Reads `path`, naming it in every error; relative paths in it are made relative to
    /// its folder.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .wrap_err_with(|| format!("cannot read the settings file {}", path.display()))?;
        let mut settings: Self = toml::from_str(&text).wrap_err_with(|| {
            format!(
                "in the settings file {} (fields: rpc, private_key, keystore, password_file, json)",
                path.display()
            )
        })?;
        let dir = path.parent().unwrap_or(Path::new("."));
        for file in [&mut settings.keystore, &mut settings.password_file]
            .into_iter()
            .flatten()
        {
            if file.is_relative() {
                *file = dir.join(&*file);
            }
        }
        Ok(settings)
    }
}

/// The settings file to read: the one given (which must exist), else the default one if
/// it exists.
pub fn settings_file(given: Option<&Path>) -> Option<PathBuf> {
    if let Some(path) = given {
        return Some(path.to_path_buf());
    }
    let config_home = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))?;
    Some(config_home.join("spn/settings.toml")).filter(|p| p.is_file())
}

/// The flags every command shares.
#[derive(Debug)]
pub struct Globals {
    /// `--rpc`.
    pub rpc: String,
    /// True if `--rpc`, `SPN_RPC` or the settings file named it (not the default).
    pub rpc_given: bool,
    /// `--json`.
    pub json: bool,
    /// Where the signing key comes from.
    pub key: KeySource,
    /// True if the key came from the settings file (a command's own config may override it).
    pub key_from_settings: bool,
}

/// How strongly a value was given: a flag beats the environment beats the settings file.
fn rank(matches: &ArgMatches, id: &str) -> u8 {
    match matches.value_source(id) {
        Some(ValueSource::CommandLine) => 3,
        Some(ValueSource::EnvVariable) => 2,
        _ => 0,
    }
}

impl Globals {
    /// Resolves the global flags from the parsed command line and the settings file.
    pub fn resolve(matches: &ArgMatches) -> Result<Self> {
        let given: Option<&PathBuf> = matches.get_one("settings");
        let settings = match settings_file(given.map(PathBuf::as_path)) {
            Some(path) => Settings::load(&path)?,
            None => Settings::default(),
        };
        let flag_rpc: &String = matches.get_one("rpc").expect("--rpc has a default");
        let (rpc, rpc_given) = match (rank(matches, "rpc"), settings.rpc) {
            (0, Some(rpc)) => (rpc, true),
            (0, None) => (flag_rpc.clone(), false),
            _ => (flag_rpc.clone(), true),
        };
        let json = matches.get_flag("json") || settings.json.unwrap_or(false);

        let private_key: Option<&String> = matches.get_one("private_key");
        let keystore: Option<&PathBuf> = matches.get_one("keystore");
        let password_file = matches
            .get_one::<PathBuf>("password_file")
            .cloned()
            .or(settings.password_file);
        let from_keystore = |path: PathBuf| KeySource::Keystore {
            path,
            password_file: password_file.clone(),
        };
        let (key_rank, store_rank) = (rank(matches, "private_key"), rank(matches, "keystore"));
        let key_from_settings = private_key.is_none() && keystore.is_none();
        let key = match (private_key, keystore) {
            (Some(_), Some(_)) if key_rank == store_rank => bail!(
                "both a private key and a keystore were given ({}): pass one of --private-key or \
                 --keystore",
                if key_rank == 3 {
                    "as flags"
                } else {
                    "in SPN_PRIVATE_KEY and SPN_KEYSTORE"
                }
            ),
            (Some(k), Some(s)) => {
                if key_rank > store_rank {
                    KeySource::PrivateKey(k.clone())
                } else {
                    from_keystore(s.clone())
                }
            }
            (Some(k), None) => KeySource::PrivateKey(k.clone()),
            (None, Some(s)) => from_keystore(s.clone()),
            (None, None) => match (settings.private_key, settings.keystore) {
                (Some(_), Some(_)) => {
                    bail!("the settings file has both private_key and keystore: keep one")
                }
                (Some(k), None) => KeySource::PrivateKey(k),
                (None, Some(s)) => from_keystore(s),
                (None, None) => KeySource::None,
            },
        };
        Ok(Self {
            rpc,
            rpc_given,
            json,
            key,
            key_from_settings,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    fn resolve(args: &[&str]) -> Result<Globals> {
        let matches = crate::Cli::command()
            .try_get_matches_from(["spn"].iter().chain(args).chain(&["status"]))
            .unwrap();
        Globals::resolve(&matches)
    }

    #[test]
    fn flags_beat_the_settings_file_which_beats_the_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("settings.toml");
        std::fs::write(
            &file,
            "rpc = \"http://10.0.0.1:8545\"\nkeystore = \"keys/dev.json\"\npassword_file = \"pw\"\njson = true\n",
        )
        .unwrap();
        let settings = file.display().to_string();

        let g = resolve(&["--settings", &settings]).unwrap();
        assert_eq!(
            (g.rpc.as_str(), g.rpc_given, g.json),
            ("http://10.0.0.1:8545", true, true)
        );
        let KeySource::Keystore {
            path,
            password_file,
        } = &g.key
        else {
            panic!("{:?}", g.key);
        };
        assert_eq!(
            path,
            &dir.path().join("keys/dev.json"),
            "relative to the file"
        );
        assert_eq!(
            password_file.as_deref(),
            Some(dir.path().join("pw").as_path())
        );
        assert!(g.key_from_settings);

        let g = resolve(&[
            "--settings",
            &settings,
            "--rpc",
            "http://127.0.0.1:1",
            "--key",
            "0x01",
        ])
        .unwrap();
        assert_eq!(g.rpc, "http://127.0.0.1:1");
        assert!(matches!(g.key, KeySource::PrivateKey(ref k) if k == "0x01"));
        assert!(!g.key_from_settings);

        let g = resolve(&["--settings", "/no/such/file"]);
        assert!(g.unwrap_err().to_string().contains("/no/such/file"));

        std::fs::write(&file, "rpc = \"x\"\nprivate_ky = \"0x01\"\n").unwrap();
        let e = format!("{:#}", resolve(&["--settings", &settings]).unwrap_err());
        assert!(e.contains("private_ky"), "{e}");
    }

    #[test]
    fn a_key_and_a_keystore_given_alike_are_refused() {
        let e = resolve(&["--private-key", "0x01", "--keystore", "k.json"]).unwrap_err();
        assert!(e.to_string().contains("pass one of"), "{e}");
    }
}
