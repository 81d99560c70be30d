//! Records the commit the binary is built from, for `accord --version`: `git rev-parse` when
//! the source is a git checkout; nothing when it is not (a source package), and the version
//! then prints alone.

use std::process::Command;

fn main() {
    // Only this crate's own checkout: a source package unpacked inside another repository
    // must not print that repository's commit.
    let manifest = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default();
    let checkout = std::path::Path::new(&manifest).join(".git").exists();
    let commit = Command::new("git")
        .args(["rev-parse", "--short=7", "HEAD"])
        .output()
        .ok()
        .filter(|o| checkout && o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty() && s.chars().all(|c| c.is_ascii_hexdigit()));
    let version = std::env::var("CARGO_PKG_VERSION").unwrap_or_default();
    match commit {
        Some(commit) => println!("cargo:rustc-env=ACCORD_VERSION={version} ({commit})"),
        None => println!("cargo:rustc-env=ACCORD_VERSION={version}"),
    }
    // Rebuilt when HEAD moves (a worktree's HEAD lives elsewhere: ask git where).
    for what in ["HEAD", "index"] {
        if let Some(path) = Command::new("git")
            .args(["rev-parse", "--git-path", what])
            .output()
            .ok()
            .filter(|o| o.status.success())
            .and_then(|o| String::from_utf8(o.stdout).ok())
        {
            println!("cargo:rerun-if-changed={}", path.trim());
        }
    }
    println!("cargo:rerun-if-changed=build.rs");
}
