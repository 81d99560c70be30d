//! Every emulator refusal is classified in `docs/refusals.md`: caught by `validate` (a bad
//! workspace fails to load with that diagnostic), by `plan` (a workspace applied against its
//! seed is refused before any write, naming the policy line, or applies without meeting the
//! refusal), or explained (`docs`). A refusal the table misses, or lists twice, fails here.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use accord::emulator::refusal;
use accord::policy::load_workspace;

/// One row of the table.
struct Row {
    id: String,
    stage: String,
    how: String,
}

fn rows() -> Vec<Row> {
    let text = std::fs::read_to_string("docs/refusals.md").expect("docs/refusals.md");
    text.lines()
        .filter(|l| l.starts_with("| `"))
        .map(|l| {
            let cells: Vec<&str> = l.trim_matches('|').split(" | ").map(str::trim).collect();
            assert_eq!(cells.len(), 4, "a row has 4 cells: {l}");
            Row {
                id: cells[0].trim_matches('`').to_string(),
                stage: cells[2].to_string(),
                how: cells[3].to_string(),
            }
        })
        .collect()
}

/// The backquoted words of a cell.
fn quoted(cell: &str) -> Vec<&str> {
    cell.split('`').skip(1).step_by(2).collect()
}

#[test]
fn ids_are_unique_and_well_formed() {
    let mut seen = std::collections::BTreeSet::new();
    for r in refusal::all(&accord::services::builtin()) {
        assert!(seen.insert(r.id), "{} declared twice", r.id);
        let parts: Vec<&str> = r.id.split('.').collect();
        assert!(parts.len() >= 2, "{}", r.id);
        assert!(
            r.id.chars()
                .all(|c| c.is_ascii_lowercase() || c == '.' || c == '_'),
            "{}",
            r.id
        );
        assert!(!r.what.is_empty(), "{}", r.id);
    }
}

#[test]
fn every_refusal_is_classified_once() {
    let ids: BTreeSet<&str> = refusal::all(&accord::services::builtin())
        .map(|r| r.id)
        .collect();
    let mut seen = BTreeSet::new();
    for row in rows() {
        assert!(
            ids.contains(row.id.as_str()),
            "`{}` in docs/refusals.md is no refusal of the emulator",
            row.id
        );
        assert!(seen.insert(row.id.clone()), "`{}` is listed twice", row.id);
        assert!(
            matches!(row.stage.as_str(), "validate" | "plan" | "docs"),
            "`{}`: caught by `{}`",
            row.id,
            row.stage
        );
        if row.stage == "docs" {
            assert!(row.how.len() > 20, "`{}` needs its reason", row.id);
        }
    }
    let missing: Vec<&&str> = ids.iter().filter(|id| !seen.contains(**id)).collect();
    assert!(
        missing.is_empty(),
        "refusals docs/refusals.md does not classify: {missing:?}"
    );
}

#[test]
fn validate_rows_fail_to_load_with_their_diagnostic() {
    for row in rows().into_iter().filter(|r| r.stage == "validate") {
        let [dir, place, code] = quoted(&row.how)[..] else {
            panic!("`{}`: `tests/bad/DIR` `FILE:LINE` `CODE`", row.id);
        };
        assert!(dir.starts_with("tests/bad/"), "{}", row.id);
        let (file, line) = place.split_once(':').expect("FILE:LINE");
        let diags = load_workspace(Path::new(dir), &accord::services::builtin())
            .map(|_| ())
            .expect_err(&format!("{dir} loads"));
        let found = diags
            .0
            .iter()
            .any(|d| d.code == code && d.path == Path::new(file) && d.line.to_string() == line);
        assert!(
            found,
            "`{}`: {dir} has no {code} at {place}:\n{diags}",
            row.id
        );
    }
}

/// What an apply of a `plan` workspace showed: exit code, output, the writes the emulator
/// saw and the refusals it answered them with (a read may meet one: the plan's read of an
/// endpoint without access rules is how the plan knows).
struct Applied {
    code: i32,
    output: String,
    writes: Vec<String>,
    refusals: BTreeSet<String>,
}

fn apply(dir: &str) -> Applied {
    let live = common::Live::from_seed_file(&format!("{dir}/live.yaml"));
    let (_tmp, ws) = common::workspace(dir);
    let (code, out, err) = common::run(&[
        "apply",
        ws.to_str().unwrap(),
        "--target",
        live.url(),
        "--auto-approve",
    ]);
    let log = live.emulator().request_log();
    Applied {
        code,
        output: format!("{out}\n{err}"),
        writes: log
            .iter()
            .filter(|r| r.is_write() && !r.path.starts_with("/auth/"))
            .filter(|r| !r.path.starts_with("/search/") || !r.path.ends_with("/search"))
            .map(|r| format!("{} {}", r.method, r.path))
            .collect(),
        refusals: log
            .into_iter()
            .filter(|r| r.is_write())
            .flat_map(|r| r.refusals)
            .collect(),
    }
}

#[test]
fn plan_rows_are_refused_before_any_write_or_withheld() {
    let mut by_dir: BTreeMap<String, Vec<Row>> = BTreeMap::new();
    for row in rows().into_iter().filter(|r| r.stage == "plan") {
        let dir = quoted(&row.how)[0].to_string();
        assert!(dir.starts_with("tests/refusals/"), "{}", row.id);
        by_dir.entry(dir).or_default().push(row);
    }
    for (dir, rows) in by_dir {
        let applied = apply(&dir);
        if applied.code != 0 {
            let name = dir.trim_start_matches("tests/refusals/");
            common::snapshots().bind(|| {
                insta::assert_snapshot!(format!("refusals__{name}"), applied.output.trim());
            });
        }
        for row in rows {
            if row.how.contains("refused at") {
                let place = quoted(&row.how)[1];
                assert_eq!(
                    applied.code, 1,
                    "`{}`: {dir} applied:\n{}",
                    row.id, applied.output
                );
                assert!(
                    applied.output.contains(&format!("{place}:")),
                    "`{}`: {dir} does not name {place}:\n{}",
                    row.id,
                    applied.output
                );
                assert!(
                    applied.writes.is_empty(),
                    "`{}`: {dir} wrote {:?}",
                    row.id,
                    applied.writes
                );
            } else {
                assert!(row.how.ends_with("withheld"), "`{}`: {}", row.id, row.how);
                assert_eq!(applied.code, 0, "`{}`: {dir}:\n{}", row.id, applied.output);
            }
            assert!(
                !applied.refusals.contains(&row.id),
                "`{}`: {dir} met the refusal:\n{}",
                row.id,
                applied.output
            );
        }
    }
}
