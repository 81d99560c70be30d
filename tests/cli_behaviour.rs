//! The CLI as people expect it (issue 18 §3): errors naming their cause, completions and a
//! man page, the version with its commit, help, colour and progress.

mod common;

use common::{run, workspace};

#[test]
fn an_unreachable_target_url_says_it_cannot_connect() {
    let (_tmp, ws) = workspace("policies/lab");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let t0 = std::time::Instant::now();
    let (code, out, err) = run(&["plan", ws.to_str().unwrap(), "--target", &url]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        err.contains(&format!("--target {url}: cannot connect")),
        "{err}"
    );
    assert!(!err.contains("ACCORD_GLOBUS_CLIENT_ID"), "{err}");
    assert!(t0.elapsed() < std::time::Duration::from_secs(15));
}

#[test]
fn a_retry_is_named_by_a_line_with_v() {
    let live = common::Live::from_seed_file("policies/lab/live.yaml");
    let (_tmp, ws) = workspace("policies/lab");
    let rules: Vec<accord::emulator::FaultRule> = serde_json::from_value(serde_json::json!([
        {"service": "all", "method": "GET", "error_rate": 1.0, "status": 503, "count": 1}
    ]))
    .unwrap();
    live.emulator().add_faults(rules).unwrap();
    let (code, out, err) = run(&["plan", ws.to_str().unwrap(), "--target", live.url(), "-v"]);
    assert_eq!(code, 0, "{out}{err}");
    let retries: Vec<_> = err
        .lines()
        .filter(|l| l.contains("retrying after"))
        .collect();
    assert_eq!(retries.len(), 1, "{err}");
    assert!(
        retries[0].contains("retry=1") && retries[0].contains("503"),
        "{err}"
    );
}

#[test]
fn completions_for_every_shell_name_the_subcommands() {
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let (code, out, err) = run(&["completions", shell]);
        assert_eq!(code, 0, "{shell}: {err}");
        for sub in ["plan", "apply", "drift", "access", "completions", "man"] {
            assert!(out.contains(sub), "{shell} completion lacks {sub}");
        }
    }
    let (code, _, err) = run(&["completions", "tcsh"]);
    assert_eq!(code, 1, "{err}");
}

#[test]
fn the_man_page_is_roff_naming_the_subcommands() {
    let (code, out, err) = run(&["man"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains(".TH accord 1"), "{out}");
    for sub in ["plan", "apply", "drift", "completions"] {
        assert!(out.contains(sub), "the man page lacks {sub}");
    }
}

#[test]
fn the_version_is_semver_and_maybe_a_commit() {
    let (code, out, err) = run(&["--version"]);
    assert_eq!(code, 0, "{err}");
    let line = out.trim_end();
    let rest = line.strip_prefix("accord ").expect(line);
    let (version, commit) = match rest.split_once(' ') {
        Some((v, c)) => (v, Some(c)),
        None => (rest, None),
    };
    let parts: Vec<&str> = version.split('.').collect();
    assert_eq!(parts.len(), 3, "{line}");
    assert!(parts.iter().all(|p| p.parse::<u32>().is_ok()), "{line}");
    if let Some(c) = commit {
        let hex = c
            .strip_prefix('(')
            .and_then(|c| c.strip_suffix(')'))
            .expect(line);
        assert!(
            hex.len() >= 7 && hex.chars().all(|c| c.is_ascii_hexdigit()),
            "{line}"
        );
    }
}
