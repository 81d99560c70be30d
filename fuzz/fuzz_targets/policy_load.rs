//! Arbitrary bytes as a workspace: `accord.yaml` and policy files, loaded from memory by the
//! loader `accord validate` uses, and every diagnostic rendered as the CLI renders it. Any
//! panic, hang or runaway allocation is a bug; errors are the expected outcome.
//!
//! The input is split on NUL bytes (never valid in YAML): the first part is `accord.yaml`,
//! each later part a policy file, `p0.yaml`, `p1.yaml`, … with every third one in a
//! sub-folder (`teams/`) and every fifth one a `.yml`, so globs, merging across files and
//! per-file limits are all reached.

#![no_main]

use std::path::{Path, PathBuf};

use accord::policy::load_from_memory;
use libfuzzer_sys::fuzz_target;
use miette::{GraphicalReportHandler, GraphicalTheme};

fn files(data: &[u8]) -> Vec<(PathBuf, &[u8])> {
    let mut parts = data.split(|b| *b == 0);
    let mut out = vec![(
        PathBuf::from("accord.yaml"),
        parts.next().unwrap_or_default(),
    )];
    for (i, part) in parts.enumerate() {
        let ext = if i % 5 == 4 { "yml" } else { "yaml" };
        let name = if i % 3 == 2 {
            format!("teams/p{i}.{ext}")
        } else {
            format!("p{i}.{ext}")
        };
        out.push((PathBuf::from(name), part));
    }
    out
}

fuzz_target!(|data: &[u8]| {
    let files = files(data);
    match load_from_memory(Path::new("workspace"), &files, &accord::services::builtin()) {
        Ok(ws) => {
            // Every origin the model hands on must point inside its file.
            for f in &ws.files {
                assert!(f.text.len() <= accord::policy::limits::MAX_FILE_BYTES as usize);
            }
        }
        Err(diags) => {
            assert!(!diags.is_empty());
            let _ = diags.to_string();
            let handler = GraphicalReportHandler::new_themed(GraphicalTheme::unicode_nocolor())
                .with_width(100)
                .with_links(false);
            let _ = diags.render(&handler);
        }
    }
});
