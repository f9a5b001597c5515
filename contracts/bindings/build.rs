//! Rebuild the bindings whenever a committed artifact changes: `sol!` reads the JSON files
//! at compile time but does not tell cargo about them.

fn main() {
    println!("cargo:rerun-if-changed=../artifacts");
    if let Ok(entries) = std::fs::read_dir("../artifacts") {
        for entry in entries.flatten() {
            println!("cargo:rerun-if-changed={}", entry.path().display());
        }
    }
}
