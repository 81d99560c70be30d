//! The README is a contract: each of its examples works as printed, or the README says what
//! is not accepted (issue 18, section 2).

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Runs accord in `dir` with the fixed clock: (exit code, stdout, stderr).
fn run_in(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = common::accord()
        .current_dir(dir)
        .args(common::with_clock(args))
        .output()
        .expect("run accord");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A copy of the lab workspace, and an empty folder beside it to run from.
fn lab() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let (tmp, ws) = common::workspace("policies/lab");
    let elsewhere = tmp.path().join("elsewhere");
    std::fs::create_dir(&elsewhere).unwrap();
    (tmp, ws, elsewhere)
}

fn embedded_state(ws: &Path) -> Option<String> {
    std::fs::read_to_string(ws.join(".accord/demo/state.json")).ok()
}

#[test]
fn apply_planfile_works_from_any_folder() {
    let (_tmp, ws, elsewhere) = lab();
    let plan = elsewhere.join("plan.json");
    let (code, out, err) = run_in(
        &elsewhere,
        &["plan", ws.to_str().unwrap(), "--out", "plan.json"],
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        err.contains("Apply it with: accord apply plan.json"),
        "{err}"
    );
    // The hint, as printed, from the folder it was printed in: not the workspace.
    let (code, out, err) = run_in(&elsewhere, &["apply", "plan.json"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("Apply: 10 applied, 0 failed"), "{out}");
    // Then, from a third folder, the workspace has nothing left to change.
    let third = tempfile::tempdir().unwrap();
    let (code, out, err) = run_in(
        third.path(),
        &["plan", ws.to_str().unwrap(), "--detailed-exitcode"],
    );
    assert_eq!(code, 0, "the apply converged: {out}{err}");
    assert!(plan.exists());
}

#[test]
fn apply_planfile_from_elsewhere_keeps_the_stale_check() {
    let (_tmp, ws, elsewhere) = lab();
    let (code, _, err) = run_in(
        &elsewhere,
        &["plan", ws.to_str().unwrap(), "--out", "plan.json"],
    );
    assert_eq!(code, 0, "{err}");
    let groups = ws.join("groups.yaml");
    let text = std::fs::read_to_string(&groups).unwrap();
    std::fs::write(&groups, format!("{text}\n# edited after the plan\n")).unwrap();
    // The embedded target's state, as the plan saved it.
    let before = embedded_state(&ws);
    assert!(before.is_some());
    let (code, out, err) = run_in(&elsewhere, &["apply", "plan.json"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        err.contains("the workspace changed since the plan was made"),
        "{err}"
    );
    assert_eq!(embedded_state(&ws), before, "nothing was applied");
}

#[test]
fn apply_planfile_whose_workspace_moved_says_so() {
    let (tmp, ws, elsewhere) = lab();
    let (code, _, err) = run_in(
        &elsewhere,
        &["plan", ws.to_str().unwrap(), "--out", "plan.json"],
    );
    assert_eq!(code, 0, "{err}");
    let moved = tmp.path().join("moved");
    std::fs::rename(&ws, &moved).unwrap();
    let before = embedded_state(&moved);
    assert!(before.is_some());
    let (code, out, err) = run_in(&elsewhere, &["apply", "plan.json"]);
    assert_eq!(code, 1, "{out}{err}");
    let recorded = std::fs::canonicalize(tmp.path()).unwrap().join("lab");
    assert!(
        err.contains(&format!(
            "the plan was made from the workspace {}, which no longer exists",
            recorded.display()
        )),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(embedded_state(&moved), before, "nothing was applied");
    // From the moved workspace itself, the plan applies (the digest is the same).
    let (code, out, err) = run_in(&moved, &["apply", "../elsewhere/plan.json"]);
    assert_eq!(code, 0, "{out}{err}");
}

#[test]
fn only_matching_nothing_is_an_error_and_writes_nothing() {
    let (_tmp, ws, _) = lab();
    // A plan saves the embedded target's state: the state no write may change.
    let (code, _, err) = run_in(&ws, &["plan"]);
    assert_eq!(code, 0, "{err}");
    let before = embedded_state(&ws);
    assert!(before.is_some());
    for command in [
        &["plan"][..],
        &["apply", ".", "--auto-approve"][..],
        &["plan", "--format", "json"][..],
    ] {
        let mut args = command.to_vec();
        args.extend(["--only", r#"globus.member["lab-admin"]"#]);
        let (code, out, err) = run_in(&ws, &args);
        assert_eq!(code, 1, "{args:?}: {out}{err}");
        assert!(
            err.contains(r#"--only matched nothing"#)
                && err.contains(r#"`globus.member["lab-admin"]`"#),
            "{err}"
        );
        assert!(!out.contains("No changes"), "{out}");
    }
    assert_eq!(embedded_state(&ws), before, "no write");
}

#[test]
fn the_readme_address_forms() {
    let (_tmp, ws, _) = lab();
    // The README's prefix example selects what is under it.
    let (code, out, err) = run_in(&ws, &["plan", "--only", r#"globus.member["lab-admins"]"#]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("Plan: 0 to add, 1 to change, 1 to remove."),
        "{out}"
    );
    // A bare kind selects every object of that kind.
    let (code, out, err) = run_in(&ws, &["plan", "--only", "globus.member"]);
    assert_eq!(code, 0, "{out}{err}");
    // An address of objects in sync: nothing to do, and it says so (exit 0).
    let (code, out, err) = run_in(&ws, &["plan", "--only", r#"globus.group["lab-admins"]"#]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("No changes"), "{out}");
    // The README's elided forms (`…`) are not addresses, as it says: an error naming them.
    let elided = r#"globus.member["lab-admins"]["identity:2d7a4c6e-…"]"#;
    let (code, _, err) = run_in(&ws, &["plan", "--only", elided]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains(elided), "{err}");
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let readme = readme.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        readme.contains("`--only` never takes a shortened form"),
        "the README says elided addresses are not accepted"
    );
}

#[test]
fn drift_json_validates_against_the_drift_schema() {
    let (_tmp, ws, _) = lab();
    let (code, out, err) = run_in(&ws, &["drift", "--format", "json"]);
    assert_eq!(code, 2, "the lab drifts: {out}{err}");
    let drift: serde_json::Value = serde_json::from_str(&out).unwrap();
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/schemas/drift.schema.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&drift)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    assert!(!drift["items"].as_array().unwrap().is_empty());
    // The plan schema is not the drift's: it rejects a drift report.
    let plan_schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/schemas/plan.schema.json"
        ))
        .unwrap(),
    )
    .unwrap();
    assert!(!jsonschema::is_valid(&plan_schema, &drift));
}

#[test]
fn the_emulate_banner_names_every_emulated_service() {
    let port = common::free_port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_accord"))
        .args(["emulate", "--listen", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut banner = String::new();
    std::io::BufRead::read_line(&mut stderr, &mut banner).unwrap();
    let _ = child.kill();
    let _ = child.wait();
    let services = accord::services::builtin();
    let names: Vec<&str> = services
        .iter()
        .filter_map(|s| s.emulator().map(|e| e.banner_name()))
        .collect();
    assert!(names.len() >= 7, "{names:?}");
    assert!(names.contains(&"Search"), "{names:?}");
    for name in names {
        assert!(banner.contains(name), "{name} missing from: {banner}");
    }
}

/// Runs accord with a standard output whose reader is already gone, as `| head -1` leaves it.
fn with_closed_stdout(dir: &Path, args: &[&str]) -> (i32, String) {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let out = Command::new(env!("CARGO_BIN_EXE_accord"))
        .current_dir(dir)
        .args(common::with_clock(args))
        .env("NO_COLOR", "1")
        .env("RUST_BACKTRACE", "1")
        .stdout(writer)
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_closed_stdout_ends_the_output_quietly() {
    let (_tmp, ws, _) = lab();
    for args in [
        &["schema"][..],
        &["plan"][..],
        &["plan", "--format", "json"][..],
        &["drift"][..],
        &["validate"][..],
    ] {
        let (code, err) = with_closed_stdout(&ws, args);
        let expected = if args[0] == "drift" { 2 } else { 0 };
        assert_eq!(code, expected, "{args:?}: {err}");
        assert!(
            !err.contains("panicked") && !err.contains("backtrace") && !err.contains("error"),
            "{args:?}: {err}"
        );
    }
    // The run's lock was released as usual.
    assert!(!ws.join(".accord/lock").exists());
    // `accord schema | head -1` in a shell, as the issue ran it.
    let out = Command::new("bash")
        .args([
            "-c",
            &format!(
                "{} schema | head -1; exit ${{PIPESTATUS[0]}}",
                env!("CARGO_BIN_EXE_accord")
            ),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{:?}", out);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "{\n");
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The README's `accord serve` example, run as printed (ports and temporary paths swapped for
/// fresh ones, `cargo run --` for the binary under test): it prints the plan's summary.
#[test]
fn the_serve_example_runs_as_printed() {
    for tool in ["curl", "jq"] {
        let found = Command::new(tool).arg("--version").output().is_ok();
        assert!(found, "the README's serve example needs {tool}: install it");
    }
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let start = readme
        .find("Try it against the emulator:\n\n```sh\n")
        .expect("the serve example");
    let block = &readme[start..];
    let block = &block[block.find("```sh\n").unwrap() + 6..];
    let block = &block[..block.find("```").unwrap()];
    let tmp = tempfile::tempdir().unwrap();
    let (emulator, provider) = (common::free_port(), common::free_port());
    let script = block
        .replace("cargo run --", env!("CARGO_BIN_EXE_accord"))
        .replace("8470", &emulator.to_string())
        .replace("8480", &provider.to_string())
        .replace("/tmp/ws", &tmp.path().join("ws").display().to_string())
        .replace(
            "/tmp/ap.db",
            &tmp.path().join("ap.db").display().to_string(),
        );
    let script =
        format!("trap 'kill $(jobs -p) 2>/dev/null; wait' EXIT\ntrap 'exit 1' TERM\n{script}");
    let out = Command::new("timeout")
        .args(["120", "bash", "-c", &script])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("ACCORD_GLOBUS_CLIENT_ID")
        .env_remove("ACCORD_GLOBUS_CLIENT_SECRET")
        .env("NO_COLOR", "1")
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let last = stdout.lines().last().unwrap_or_default();
    assert_eq!(
        last,
        "\"Plan: 4 to add, 3 to change, 3 to remove.\"",
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let readme = readme.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        readme.contains("It prints `\"Plan: 4 to add, 3 to change, 3 to remove.\"`"),
        "the README shows what the example prints"
    );
}

/// The install lines name the published package, and the example workflows install the
/// version of this crate from the wheel (issue 20): one name for the crate and the wheel, the
/// command `accord`, and the README's fresh-clone commands as they were.
#[test]
fn the_install_lines_name_the_published_package() {
    let root = env!("CARGO_MANIFEST_DIR");
    let read = |path: &str| std::fs::read_to_string(format!("{root}/{path}")).unwrap();
    let (name, version) = (env!("CARGO_PKG_NAME"), env!("CARGO_PKG_VERSION"));
    assert_eq!(name, "accord-permissions");
    assert!(read("pyproject.toml").contains(&format!("name = \"{name}\"")));
    for workflow in ["plan.yml", "apply.yml", "schedule.yml"] {
        let text = read(&format!("examples/workflows/{workflow}"));
        assert!(
            text.contains(&format!("\n  ACCORD_VERSION: {version} #")),
            "{workflow} pins {version}"
        );
        assert!(
            text.contains(&format!("pipx install \"{name}==$ACCORD_VERSION\"")),
            "{workflow} installs the wheel"
        );
        let mut code = text.lines().filter(|l| !l.trim_start().starts_with('#'));
        assert!(
            !code.any(|l| l.contains("cargo install")),
            "{workflow} builds nothing"
        );
    }
    let readme = read("README.md");
    assert!(readme.contains("```sh\ncargo run -- plan policies/lab\n```"));
    assert!(readme.contains("wheel that carries the binary (*available from the first release*"));
    assert!(readme.contains(&format!("pipx install {name}\naccord plan policies/lab")));
    assert!(!readme.contains("ACCORD_REF"), "the old variables are gone");
}
