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

/// `accord SUBCOMMAND --help`'s text.
fn help(args: &[&str]) -> String {
    let out = common::accord().args(args).arg("--help").output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{args:?} --help");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn shared_flags_appear_only_on_the_commands_they_affect() {
    let validate = help(&["validate"]);
    for flag in ["--parallelism", "--target", "--now", "--ca-file"] {
        assert!(!validate.contains(flag), "validate --help lists {flag}");
    }
    assert!(validate.contains("--no-color") && validate.contains("--verbose"));
    let plan = help(&["plan"]);
    for flag in ["--target", "--now", "--ca-file"] {
        assert!(plan.contains(flag), "plan --help lacks {flag}");
    }
    assert!(!plan.contains("--parallelism"), "plan applies nothing");
    // Reads at a width of their own, on every command that reads the services.
    assert!(plan.contains("--read-parallelism") && !validate.contains("--read-parallelism"));
    let apply = help(&["apply"]);
    for flag in ["--target", "--now", "--ca-file", "--parallelism"] {
        assert!(apply.contains(flag), "apply --help lacks {flag}");
    }
    for cmd in [
        &["drift"][..],
        &["access", "who"],
        &["access", "review"],
        &["import"],
    ] {
        assert!(
            help(cmd).contains("--target"),
            "{cmd:?} --help lacks --target"
        );
    }
    for cmd in [&["show"][..], &["schema"], &["force-unlock"], &["man"]] {
        assert!(
            !help(cmd).contains("--target"),
            "{cmd:?} --help lists --target"
        );
    }
    // A flag a command does not take is a usage error (exit 1: 2 means "changes").
    let out = common::accord()
        .args(["validate", "--parallelism", "3"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--parallelism"));
    let out = common::accord()
        .args(["plan", "--read-parallelism", "0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "no read at all is refused");
    // After the subcommand, where the README writes them.
    let (_tmp, ws) = workspace("policies/lab");
    let (code, out, err) = run(&["-v", "plan", ws.to_str().unwrap(), "--target", "demo"]);
    assert_eq!(code, 0, "{out}{err}");
}

#[test]
fn plan_notes_line_up_by_display_width_with_cjk_names() {
    let (_tmp, ws) = workspace("policies/lab");
    let add = |file: &str, text: &str| {
        let path = ws.join(file);
        let old = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, old + text).unwrap();
    };
    add("people.yaml", "  山田: carol@uni.edu\n");
    add(
        "groups.yaml",
        "  研究室:\n    description: 研究室のデータ\n    members:\n      山田: member\n",
    );
    let (code, out, err) = run(&["plan", ws.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("研究室") && out.contains("山田"), "{out}");
    // Each change line's note starts after a run of spaces: at the same column on every line.
    let columns: Vec<(usize, &str)> = out
        .lines()
        .take_while(|l| !l.starts_with("Effective access"))
        .filter(|l| (l.starts_with("  ") || l.starts_with("! ")) && !l[2..].starts_with(' '))
        .filter_map(|l| {
            let at = l.rfind("   ")? + 3;
            Some((unicode_width::UnicodeWidthStr::width(&l[..at]), l))
        })
        .collect();
    assert!(columns.iter().any(|(_, l)| l.contains("研究室")), "{out}");
    let first = columns[0].0;
    for (column, line) in &columns {
        assert_eq!(*column, first, "misaligned: {line}\n{out}");
    }
}
