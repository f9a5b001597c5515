//! `spn new <name>`: scaffold an SPN project from a template (`templates/`, embedded in the
//! binary): a Cargo project that builds the SPN's node on the SDK, its validators' files,
//! a Foundry app that sends and receives cross-SPN messages, tests and a README.

use crate::settings::DEFAULT_RPC;
use crate::template::{self, RenderedFile, Values};
use crate::Globals;
use clap::{Args, ValueEnum};
use ed25519_dalek::SigningKey;
use eyre::{bail, eyre, Result, WrapErr};
use pharos_mainnet::DEV_ACCOUNTS;
use serde_json::json;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Most validators a dev project gets: each restakes from its own dev account (1 to 6).
const MAX_VALIDATORS: u8 = 6;
/// Restaked stake per validator in the rendered `spn.toml` and README, in ether.
const STAKE_PER_VALIDATOR: u64 = 5;
/// Names `spn new` refuses: Rust keywords and names the toolchain or this SDK take.
const RESERVED: &[&str] = &[
    "as",
    "async",
    "await",
    "break",
    "const",
    "continue",
    "crate",
    "dyn",
    "else",
    "enum",
    "extern",
    "false",
    "fn",
    "for",
    "if",
    "impl",
    "in",
    "let",
    "loop",
    "match",
    "mod",
    "move",
    "mut",
    "pub",
    "ref",
    "return",
    "self",
    "static",
    "struct",
    "super",
    "trait",
    "true",
    "type",
    "unsafe",
    "use",
    "where",
    "while",
    "abstract",
    "become",
    "box",
    "do",
    "final",
    "macro",
    "override",
    "priv",
    "typeof",
    "unsized",
    "virtual",
    "yield",
    "try",
    "gen",
    "std",
    "core",
    "alloc",
    "proc_macro",
    "test",
    "build",
    "spn",
    "pharos-node",
    "pharos-bench",
];

/// The consensus kinds `spn new` knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Consensus {
    /// One sequencer: blocks on an interval.
    Solo,
    /// A validator set with a rotating proposer; a block is final with >2/3 of the votes.
    Poa,
    /// The mainnet's multi-proposer BFT: every validator proposes a batch each round, votes
    /// weigh by restaked stake; a block is final with its certificate.
    Bft,
}

impl Consensus {
    /// The name `spn.toml` uses.
    fn name(self) -> &'static str {
        match self {
            Self::Solo => "solo",
            Self::Poa => "poa",
            Self::Bft => "bft",
        }
    }

    /// Whether its validators talk over a validator network (`[p2p]` in their files).
    fn networked(self) -> bool {
        self != Self::Solo
    }

    /// How many validators a project gets when `--validators` is not given.
    fn default_validators(self) -> u8 {
        match self {
            Self::Solo => 1,
            Self::Poa | Self::Bft => 3,
        }
    }
}

/// `spn new` options.
#[derive(Debug, Args)]
pub struct NewArgs {
    /// The project's name: also the SPN's name and its node's binary (lowercase letters,
    /// digits, `-` and `_`, starting with a letter; at most 64).
    pub name: String,
    /// How the SPN's validators agree on blocks.
    #[arg(long, value_enum, default_value_t = Consensus::Solo)]
    pub consensus: Consensus,
    /// How many validators (solo: 1; poa and bft: 3 unless given, at most 6).
    #[arg(long, value_name = "N")]
    pub validators: Option<u8>,
    /// The SPN id: its id in the mainnet Registry, its chain id and its Mailbox domain.
    #[arg(long, value_name = "ID", default_value_t = 1003)]
    pub spn_id: u32,
    /// The mainnet's chain id (a dev mainnet's is 31337).
    #[arg(long, value_name = "ID", default_value_t = 31337)]
    pub mainnet_chain_id: u64,
    /// The template to render.
    #[arg(long, default_value = "evm")]
    pub template: String,
    /// The Pharos SPN checkout the project builds against (a path dependency; its
    /// Cargo.lock is copied). Default: the checkout this `spn` was built from.
    #[arg(long, value_name = "PATH")]
    pub sdk: Option<PathBuf>,
    /// The first validator's RPC port on 127.0.0.1; the next ones follow. Validator networks
    /// listen 100 ports higher.
    #[arg(long, value_name = "PORT", default_value_t = 9600)]
    pub base_port: u16,
    /// Where to create the project's folder.
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub dir: PathBuf,
}

/// Renders the project and prints what to do next.
pub fn run(args: NewArgs, g: &Globals) -> Result<()> {
    let plan = Plan::from_args(&args, g)?;
    let files = template::render_template(&args.template, &plan.values).map_err(|e| eyre!(e))?;
    let root = args.dir.join(&args.name);
    write_project(&root, &files, &plan.sdk)?;
    let shown = if args.dir == Path::new(".") {
        args.name.clone()
    } else {
        root.display().to_string()
    };
    let next = [
        format!("cd {shown}"),
        "cargo build --release && cargo test --release".to_string(),
        "(cd app && npm ci && npm test)".to_string(),
        "then README.md: register the SPN, restake, run its validators and send it a message \
         (against `spn devnet`)"
            .to_string(),
    ];
    if g.json {
        let out = json!({
            "name": args.name,
            "path": shown,
            "template": args.template,
            "spn_id": args.spn_id,
            "consensus": args.consensus.name(),
            "validators": plan.validators,
            "sdk": plan.sdk,
            "files": files.iter().map(|f| &f.path).collect::<Vec<_>>(),
            "next": next,
        });
        println!("{out}");
    } else {
        println!(
            "created    {shown}/ (template {}, SPN {}, {} with {} validator{})",
            args.template,
            args.spn_id,
            args.consensus.name(),
            plan.validators.len(),
            if plan.validators.len() == 1 { "" } else { "s" }
        );
        println!(
            "sdk        {} (path dependency; its Cargo.lock copied)",
            plan.sdk.display()
        );
        for (i, step) in next.iter().enumerate() {
            println!(
                "{}{step}",
                if i == 0 { "next       " } else { "           " }
            );
        }
    }
    Ok(())
}

/// What a project is rendered with, checked before anything is written.
struct Plan {
    values: Values,
    sdk: PathBuf,
    validators: Vec<serde_json::Value>,
}

impl Plan {
    fn from_args(args: &NewArgs, g: &Globals) -> Result<Self> {
        check_name(&args.name)?;
        if !template::names().contains(&args.template.as_str()) {
            bail!(
                "there is no template `{}`; the templates are: {}",
                args.template,
                template::names().join(", ")
            );
        }
        if args.spn_id == 0 || u64::from(args.spn_id) == args.mainnet_chain_id {
            bail!(
                "--spn-id {} cannot be used: an SPN id is not 0 and not the mainnet's chain id \
                 ({}); e.g. --spn-id 1003",
                args.spn_id,
                args.mainnet_chain_id
            );
        }
        let count = validator_count(args.consensus, args.validators)?;
        let last_port = u32::from(args.base_port) + 100 + u32::from(count);
        if args.base_port == 0 || last_port > u32::from(u16::MAX) {
            bail!(
                "--base-port {} leaves no room for {count} validators' ports (RPC from it, \
                 validator network 100 above); e.g. --base-port 9600",
                args.base_port
            );
        }
        let sdk = find_sdk(args.sdk.as_deref())?;
        let mainnet_rpc = if g.rpc_given {
            g.rpc.clone()
        } else {
            DEFAULT_RPC.to_string()
        };
        if !(mainnet_rpc.starts_with("http://") || mainnet_rpc.starts_with("https://")) {
            bail!("--rpc {mainnet_rpc} is not an http(s) URL of the mainnet");
        }

        let mut values = Values::default();
        values
            .set("name", &args.name)
            .set("spn_id", args.spn_id)
            .set("consensus", args.consensus.name())
            .set("validator_count", count)
            .set(
                "min_stake",
                u128::from(count) * u128::from(STAKE_PER_VALIDATOR) * 10u128.pow(18),
            )
            .set("mainnet_rpc", toml_safe(&mainnet_rpc, "--rpc")?)
            .set("mainnet_chain_id", args.mainnet_chain_id)
            .set("sdk", toml_safe(&sdk.display().to_string(), "--sdk")?)
            .set("rpc_port", args.base_port);
        values
            .flags
            .insert("p2p".into(), args.consensus.networked());

        let keys: Vec<SigningKey> = (0..count)
            .map(|_| SigningKey::from_bytes(&rand::random::<[u8; 32]>()))
            .collect();
        let public = |k: &SigningKey| hex(&k.verifying_key().to_bytes());
        let mut summary = Vec::new();
        for (i, key) in keys.iter().enumerate() {
            let index = i + 1;
            let port = |offset: u16| args.base_port + offset + i as u16;
            let peers: Vec<String> = keys
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .map(|(j, k)| {
                    format!(
                        "\"{}@127.0.0.1:{}\"",
                        public(k),
                        args.base_port + 100 + j as u16
                    )
                })
                .collect();
            let operator = DEV_ACCOUNTS[index];
            let mut v = BTreeMap::new();
            v.insert("index".to_string(), index.to_string());
            v.insert(
                "signing_key".to_string(),
                format!("0x{}", hex(&key.to_bytes())),
            );
            v.insert("public_key".to_string(), format!("0x{}", public(key)));
            v.insert("http_port".to_string(), port(0).to_string());
            v.insert("p2p_port".to_string(), port(100).to_string());
            v.insert("peers".to_string(), peers.join(", "));
            v.insert("operator_key".to_string(), operator.private_key.to_string());
            v.insert("operator_address".to_string(), operator.address.to_string());
            summary.push(json!({
                "file": format!("validators/validator-{index}.toml"),
                "public_key": format!("0x{}", public(key)),
                "http_port": port(0),
                "operator": operator.address,
            }));
            values.validators.push(v);
        }
        Ok(Self {
            values,
            sdk,
            validators: summary,
        })
    }
}

fn hex(bytes: &[u8]) -> String {
    alloy::primitives::hex::encode(bytes)
}

/// Checks a project name: a Cargo package name that is also a valid SPN name.
pub fn check_name(name: &str) -> Result<()> {
    let valid_chars = name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    let starts_with_letter = name.starts_with(|c: char| c.is_ascii_lowercase());
    if name.is_empty() || name.len() > 64 || !valid_chars || !starts_with_letter {
        bail!(
            "`{name}` cannot name an SPN project: use 1 to 64 lowercase letters, digits, `-` or \
             `_`, starting with a letter (e.g. my-dex)"
        );
    }
    if name.ends_with('-') || name.ends_with('_') {
        bail!("`{name}` cannot name an SPN project: it may not end with `-` or `_` (e.g. my-dex)");
    }
    if RESERVED.contains(&name) {
        bail!("`{name}` is reserved (a Rust keyword, or a name the toolchain or the SDK uses): choose another, e.g. my-{name}");
    }
    Ok(())
}

fn validator_count(consensus: Consensus, asked: Option<u8>) -> Result<u8> {
    let count = asked.unwrap_or_else(|| consensus.default_validators());
    if consensus == Consensus::Solo && count != 1 {
        bail!(
            "a solo SPN has one sequencer, not {count}: drop --validators, or choose --consensus \
             poa for a validator set"
        );
    }
    if count == 0 || count > MAX_VALIDATORS {
        bail!(
            "--validators {count}: a new project has 1 to {MAX_VALIDATORS} validators (each \
             restakes from its own dev account); add more later by restaking from your own \
             accounts"
        );
    }
    Ok(count)
}

/// The SDK checkout: `--sdk`, else the one this binary was built from, if it is still there.
fn find_sdk(given: Option<&Path>) -> Result<PathBuf> {
    let built_from = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let (dir, source) = match given {
        Some(dir) => (dir.to_path_buf(), "--sdk"),
        None => (built_from, "the checkout this spn was built from"),
    };
    let is_sdk = dir.join("spn-sdk/spn/Cargo.toml").is_file();
    if !is_sdk {
        bail!(
            "{} ({source}) is not a Pharos SPN checkout (no spn-sdk/spn/Cargo.toml): pass --sdk \
             PATH to one",
            dir.display()
        );
    }
    dir.canonicalize()
        .wrap_err_with(|| format!("cannot resolve {}", dir.display()))
}

/// `text` if it can stand inside a TOML string as it is.
fn toml_safe(text: &str, what: &str) -> Result<String> {
    if text.contains(['"', '\\', '\n', '\r']) {
        bail!("{what} `{text}` has a quote, backslash or line break, which the project's TOML files cannot hold");
    }
    Ok(text.to_string())
}

/// Creates `root` (refusing one that exists) and writes the files and the SDK's Cargo.lock;
/// on a failure, removes what it created.
fn write_project(root: &Path, files: &[RenderedFile], sdk: &Path) -> Result<()> {
    if let Some(parent) = root.parent().filter(|p| !p.as_os_str().is_empty()) {
        if !parent.is_dir() {
            bail!(
                "{} is not a folder: create it first, or pass --dir",
                parent.display()
            );
        }
    }
    std::fs::create_dir(root).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            eyre!(
                "{} already exists: spn new never overwrites; choose another name, or move it away",
                root.display()
            )
        } else {
            eyre!("cannot create {}: {e}", root.display())
        }
    })?;
    let written = write_files(root, files, sdk);
    if written.is_err() {
        let _ = std::fs::remove_dir_all(root);
    }
    written
}

fn write_files(root: &Path, files: &[RenderedFile], sdk: &Path) -> Result<()> {
    for file in files {
        let path = root.join(&file.path);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .wrap_err_with(|| format!("cannot create {}", dir.display()))?;
        }
        std::fs::write(&path, &file.contents)
            .wrap_err_with(|| format!("cannot write {}", path.display()))?;
        #[cfg(unix)]
        if file.executable {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))
                .wrap_err_with(|| format!("cannot make {} executable", path.display()))?;
        }
    }
    // The SDK's exact dependency versions, so the project builds what the SDK was tested with.
    let lock = sdk.join("Cargo.lock");
    if lock.is_file() {
        std::fs::copy(&lock, root.join("Cargo.lock"))
            .wrap_err_with(|| format!("cannot copy {}", lock.display()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn globals() -> Globals {
        Globals {
            rpc: DEFAULT_RPC.into(),
            rpc_given: false,
            json: false,
            key: crate::wallet::KeySource::None,
            key_from_settings: false,
        }
    }

    fn args(name: &str, consensus: Consensus, validators: Option<u8>) -> NewArgs {
        NewArgs {
            name: name.into(),
            consensus,
            validators,
            spn_id: 1003,
            mainnet_chain_id: 31337,
            template: "evm".into(),
            sdk: None,
            base_port: 9600,
            dir: ".".into(),
        }
    }

    /// Every file under templates/evm/, as found on disk now.
    fn files_on_disk() -> BTreeSet<String> {
        fn walk(root: &Path, dir: &Path, out: &mut BTreeSet<String>) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    walk(root, &path, out);
                } else {
                    let rel = path.strip_prefix(root).unwrap();
                    out.insert(rel.to_string_lossy().replace('\\', "/"));
                }
            }
        }
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../templates/evm");
        let mut out = BTreeSet::new();
        walk(&root, &root, &mut out);
        out
    }

    #[test]
    fn every_template_file_is_embedded_and_rendered_for_each_consensus() {
        let embedded: BTreeSet<String> = template::FILES
            .iter()
            .filter(|f| f.template == "evm")
            .map(|f| f.path.to_string())
            .collect();
        assert_eq!(
            embedded,
            files_on_disk(),
            "the binary embeds templates/evm as it is"
        );
        for (consensus, validators) in [(Consensus::Solo, None), (Consensus::Poa, Some(4))] {
            let plan = Plan::from_args(&args("demo", consensus, validators), &globals()).unwrap();
            let rendered = template::render_template("evm", &plan.values).unwrap();
            let count = usize::from(validators.unwrap_or(1));
            assert_eq!(rendered.len(), embedded.len() - 1 + count, "{consensus:?}");
            let paths: BTreeSet<&str> = rendered.iter().map(|f| f.path.as_str()).collect();
            for file in &embedded {
                if file.contains("{{index}}") {
                    for i in 1..=count {
                        let path = file.replace("{{index}}", &i.to_string());
                        assert!(paths.contains(path.as_str()), "{path}");
                    }
                } else {
                    assert!(paths.contains(file.as_str()), "{file} rendered");
                }
            }
            for file in &rendered {
                let text = String::from_utf8_lossy(&file.contents);
                assert!(!text.contains("{{"), "{} keeps a placeholder", file.path);
            }
            let spn_toml = rendered.iter().find(|f| f.path == "spn.toml").unwrap();
            let text = String::from_utf8_lossy(&spn_toml.contents);
            assert!(
                text.contains(&format!("consensus = \"{}\"", consensus.name())),
                "{text}"
            );
            let forge = rendered.iter().find(|f| f.path == "app/bin/forge").unwrap();
            assert!(forge.executable);
        }
    }

    #[test]
    fn poa_validators_name_each_other_as_peers_and_get_distinct_keys_and_ports() {
        let plan = Plan::from_args(&args("demo", Consensus::Poa, Some(3)), &globals()).unwrap();
        let rendered = template::render_template("evm", &plan.values).unwrap();
        let validators: Vec<String> = rendered
            .iter()
            .filter(|f| f.path.starts_with("validators/"))
            .map(|f| String::from_utf8_lossy(&f.contents).into_owned())
            .collect();
        assert_eq!(validators.len(), 3);
        let keys: BTreeSet<&String> = plan
            .values
            .validators
            .iter()
            .map(|v| &v["signing_key"])
            .collect();
        assert_eq!(keys.len(), 3, "distinct keys");
        for (i, text) in validators.iter().enumerate() {
            let own = &plan.values.validators[i];
            assert!(text.contains(&format!("listen = \"127.0.0.1:{}\"", 9700 + i)));
            assert!(text.contains(&format!("http_port = {}", 9600 + i)));
            for (j, other) in plan.values.validators.iter().enumerate() {
                let peer = format!("{}@127.0.0.1:{}", &other["public_key"][2..], 9700 + j);
                assert_eq!(
                    text.contains(&peer),
                    i != j,
                    "validator {i} and peer {j}: {text}"
                );
            }
            assert!(text.contains(&own["signing_key"]));
        }
    }

    #[test]
    fn names_are_checked() {
        for good in ["my-dex", "dex2", "a", "zk_verifier"] {
            assert!(check_name(good).is_ok(), "{good}");
        }
        for bad in [
            "", "My-Dex", "2dex", "-dex", "dex-", "my dex", "dex!", "../x", "fn", "spn",
        ] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
        assert!(check_name(&"a".repeat(65)).is_err());
    }

    #[test]
    fn consensus_and_validator_counts_are_checked() {
        let bft = Plan::from_args(&args("demo", Consensus::Bft, None), &globals()).unwrap();
        assert_eq!(bft.validators.len(), 3, "bft defaults to three validators");
        let e = Plan::from_args(&args("demo", Consensus::Solo, Some(3)), &globals())
            .err()
            .unwrap();
        assert!(e.to_string().contains("one sequencer"), "{e}");
        let e = Plan::from_args(&args("demo", Consensus::Poa, Some(7)), &globals())
            .err()
            .unwrap();
        assert!(e.to_string().contains("1 to 6"), "{e}");
        let mut bad_id = args("demo", Consensus::Solo, None);
        bad_id.spn_id = 31337;
        assert!(Plan::from_args(&bad_id, &globals()).is_err());
    }

    #[test]
    fn an_existing_folder_is_never_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("demo");
        std::fs::create_dir(&root).unwrap();
        std::fs::write(root.join("keep.txt"), "mine").unwrap();
        let files = [RenderedFile {
            path: "keep.txt".into(),
            contents: b"theirs".to_vec(),
            executable: false,
        }];
        let e = write_project(&root, &files, dir.path()).unwrap_err();
        assert!(e.to_string().contains("already exists"), "{e}");
        assert_eq!(
            std::fs::read_to_string(root.join("keep.txt")).unwrap(),
            "mine"
        );
    }
}
