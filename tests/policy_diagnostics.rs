//! The corpus of bad workspaces under `tests/bad/`: each must fail to load, and its
//! diagnostics (plain text and the miette rendering) are pinned as insta snapshots.

use std::path::{Path, PathBuf};

use accord::policy::load_workspace;
use miette::{GraphicalReportHandler, GraphicalTheme};

fn corpus() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir("tests/bad")
        .expect("tests/bad exists")
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs
}

/// The plain `Display` text, then the graphical report, as one snapshot.
fn render(dir: &Path) -> String {
    let diags = match load_workspace(dir, &accord::services::builtin()) {
        Ok(_) => panic!("{} loaded without error", dir.display()),
        Err(d) => d,
    };
    assert!(!diags.is_empty());
    for d in &diags.0 {
        let place = format!("{}:{}:{}: ", d.path.display(), d.line, d.column);
        assert!(d.to_string().starts_with(&place), "{d}");
        assert!(d.code.starts_with("accord::policy::"), "{}", d.code);
    }
    let handler = GraphicalReportHandler::new_themed(GraphicalTheme::unicode_nocolor())
        .with_width(100)
        .with_links(false);
    format!(
        "{diags}\n\n----------------------------------------------------------------\n\n{}",
        diags.render(&handler)
    )
}

#[test]
fn corpus_is_large_enough() {
    assert!(
        corpus().len() >= 30,
        "the corpus has {} workspaces",
        corpus().len()
    );
}

#[test]
fn every_bad_workspace_is_pinned() {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("../snapshots");
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| {
        for dir in corpus() {
            let name = dir.file_name().unwrap().to_string_lossy().into_owned();
            insta::assert_snapshot!(format!("policy_bad__{name}"), render(&dir));
        }
    });
}
