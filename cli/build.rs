//! Embeds the project templates (`../templates/<template>/**`) into the `spn` binary, so an
//! installed `spn new` renders them anywhere: writes `$OUT_DIR/templates.rs`, one
//! `TemplateFile` per file, its bytes included from the repository.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() {
    // Read when the script runs, not when it is compiled: one compiled build script serves
    // every checkout that shares the target directory.
    let manifest = std::env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR");
    let root = Path::new(&manifest).join("../templates");
    // A directory is scanned as a whole: any file added, removed or edited re-embeds.
    println!("cargo:rerun-if-changed={}", root.display());
    let mut files = Vec::new();
    let mut templates: Vec<PathBuf> = read_dir(&root).into_iter().filter(|p| p.is_dir()).collect();
    templates.sort();
    for template in &templates {
        collect(template, template, &mut files);
    }
    let mut out = String::from("/// Every file of every template, embedded at build time.\n");
    out.push_str("pub static FILES: &[TemplateFile] = &[\n");
    for (template, relative, absolute) in &files {
        let executable = is_executable(absolute);
        writeln!(
            out,
            "    TemplateFile {{ template: {template:?}, path: {relative:?}, contents: include_bytes!({absolute:?}), executable: {executable} }},",
        )
        .expect("write to a String");
    }
    out.push_str("];\n");
    let dest = Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR")).join("templates.rs");
    std::fs::write(&dest, out).expect("write templates.rs");
}

fn read_dir(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .collect()
}

/// (template name, path inside the template with `/`, absolute path) of every file.
fn collect(template: &Path, dir: &Path, files: &mut Vec<(String, String, String)>) {
    let mut entries = read_dir(dir);
    entries.sort();
    for path in entries {
        if path.is_dir() {
            collect(template, &path, files);
            continue;
        }
        let relative = path
            .strip_prefix(template)
            .expect("inside the template")
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join("/");
        let name = template
            .file_name()
            .expect("template name")
            .to_string_lossy()
            .into_owned();
        let absolute = path
            .canonicalize()
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        files.push((name, relative, absolute.to_string_lossy().into_owned()));
    }
}

#[cfg(unix)]
fn is_executable(path: &str) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(_: &str) -> bool {
    false
}
