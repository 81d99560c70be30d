//! Progress on a terminal (issue 18 §3): under a pseudo-terminal (`script`), apply shows each
//! service's read and each change's result as it settles, before the summary; off a terminal,
//! or with TERM=dumb, nothing of it and no control character.

mod common;

use std::process::Command;

use common::{NOW, workspace};

/// Runs `accord ARGS` under a pseudo-terminal made by `script`; None when there is no `script`.
fn on_a_terminal(args: &str, term: &str) -> Option<String> {
    let bin = env!("CARGO_BIN_EXE_accord");
    let out = Command::new("script")
        .args(["-qec", &format!("'{bin}' {args} --now {NOW}"), "/dev/null"])
        .env("TERM", term)
        .env("NO_COLOR", "1")
        .env_remove("ACCORD_GLOBUS_CLIENT_ID")
        .env_remove("ACCORD_GLOBUS_CLIENT_SECRET")
        .output()
        .ok()?;
    assert!(out.status.success(), "{out:?}");
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn apply_on_a_terminal_shows_reads_and_each_change_before_the_summary() {
    let (_tmp, ws) = workspace("policies/lab");
    let Some(out) = on_a_terminal(&format!("apply '{}' --auto-approve", ws.display()), "xterm")
    else {
        eprintln!("no `script` here: skipped");
        return;
    };
    let read = out.find("Read ").expect(&out);
    let line = &out[read..];
    assert!(
        line.contains("groups") && line.contains("requests"),
        "{out}"
    );
    let first = out.find("[1/10] applied").expect(&out);
    let last = out.find("[10/10] ").expect(&out);
    let summary = out.find("Apply: 10 applied").expect(&out);
    assert!(read < first && first < last && last < summary, "{out}");
    assert!(out.contains("changes/s"), "the bar's rate: {out}");
}

#[test]
fn a_dumb_terminal_gets_no_progress() {
    let (_tmp, ws) = workspace("policies/lab");
    let Some(out) = on_a_terminal(&format!("apply '{}' --auto-approve", ws.display()), "dumb")
    else {
        return;
    };
    assert!(!out.contains("Read ") && !out.contains("[1/10]"), "{out}");
    assert!(!out.contains('\x1b'), "{out:?}");
}

#[test]
fn off_a_terminal_nothing_but_the_usual_output() {
    let (_tmp, ws) = workspace("policies/lab");
    let out = common::accord()
        .args([
            "apply",
            ws.to_str().unwrap(),
            "--auto-approve",
            "--now",
            NOW,
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    for text in [&stdout, &stderr] {
        assert!(!text.contains('\r') && !text.contains('\x1b'), "{text:?}");
    }
    assert!(
        !stderr.contains("Read ") && !stdout.contains("[1/10]"),
        "{stderr}"
    );
    assert!(
        stdout.contains("  applied  globus.group lab-readers\n"),
        "{stdout}"
    );
}
