//! Hostile names in policy files, file names and live data: every text output shows their
//! control characters escaped (even with `NO_COLOR`), markdown keeps its structure and brings
//! in no HTML, JSON keeps the values as they are, and nothing outside the workspace is shown.

mod common;

use std::path::Path;

use common::{accord, assert_inert, run, write_embedded};

/// A name from a policy file: a terminal escape, a title change, markdown and HTML syntax, a
/// bidi override and a newline forging a top-level line.
const POLICY_NAME: &str =
    "evil\x1b[2J\x1b]0;pwned\x07|</details>`x`<img src=x>\u{202e}\nsafety: {}";
/// The same in YAML (a double-quoted key).
const POLICY_NAME_YAML: &str =
    r#""evil\e[2J\e]0;pwned\a|</details>`x`<img src=x>\u202E\nsafety: {}""#;
/// A path in the live data (in YAML), on an undeclared rule the plan removes: markdown and
/// HTML syntax, an escape, a C1 CSI and a bidi isolate.
const LIVE_PATH_YAML: &str = r#""/x|</details>``<img src=x onerror=alert(1)>\e[31m\x9b\u2066/""#;
/// The policy file's name.
const FILE_NAME: &str = "p\x1b]0;file\x07.yaml";

const ENDPOINT: &str = "e56c36e4-1063-11e6-a747-22000bf2d559";

/// An embedded workspace whose plan creates a group of [`POLICY_NAME`] (declared in
/// [`FILE_NAME`]) and removes carol's rule on [`LIVE_PATH_YAML`].
fn hostile_workspace() -> (tempfile::TempDir, String) {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path().join("ws");
    std::fs::create_dir(&ws).unwrap();
    let seed = format!(
        "clients:\n  - {{ client_id: 0b1e4d5c-6f7a-4b8c-9d0e-1f2a3b4c5d6e, client_secret: s, name: accord }}\n\
         identities:\n  - {{ id: 5a6b7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c8d, username: carol@uni.edu, name: Carol }}\n\
         endpoints:\n  - id: {ENDPOINT}\n    display_name: share\n    roles: {{ access_manager: [0b1e4d5c-6f7a-4b8c-9d0e-1f2a3b4c5d6e] }}\n    acl:\n      \
         - {{ principal_type: identity, principal: carol@uni.edu, path: {LIVE_PATH_YAML}, permissions: rw }}\n",
    );
    write_embedded(&ws, &seed, "");
    std::fs::write(
        ws.join("accord.yaml"),
        "policies: [\"*.yaml\"]\ntargets:\n  t: { embedded: true, seed: live.yaml }\n\
         default_target: t\n",
    )
    .unwrap();
    std::fs::remove_file(ws.join("policy.yaml")).unwrap();
    std::fs::write(
        ws.join(FILE_NAME),
        format!("groups:\n  {POLICY_NAME_YAML}: {{ description: \"d\\e[31m\" }}\nendpoints:\n  {ENDPOINT}:\n    acl: []\n"),
    )
    .unwrap();
    let dir = ws.to_str().unwrap().to_string();
    (tmp, dir)
}

/// The parts of a markdown line outside its code spans; a span left open fails.
fn outside_code(line: &str, md: &str) -> String {
    let b = line.as_bytes();
    let run_at = |i: usize| b[i..].iter().take_while(|c| **c == b'`').count();
    let (mut out, mut i, mut last) = (String::new(), 0, 0);
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'`' => {
                let run = run_at(i);
                let mut j = i + run;
                let close = loop {
                    if j >= b.len() {
                        panic!("an open code span: {line}\n{md}");
                    }
                    if b[j] == b'`' {
                        let r = run_at(j);
                        if r == run {
                            break j;
                        }
                        j += r;
                    } else {
                        j += 1;
                    }
                };
                out.push_str(&line[last..i]);
                i = close + run;
                last = i;
            }
            _ => i += 1,
        }
    }
    out.push_str(&line[last.min(line.len())..]);
    out
}

/// Markdown's structure holds: each table row has its header's columns, every code span
/// closes on its line, and outside code only our own `<br>` is HTML.
fn assert_markdown_holds(md: &str) {
    let unescaped_pipes = |l: &str| {
        let b = l.as_bytes();
        (0..b.len())
            .filter(|&i| b[i] == b'|' && (i == 0 || b[i - 1] != b'\\'))
            .count()
    };
    let mut in_fence: Option<String> = None;
    let mut columns: Option<usize> = None;
    for line in md.lines() {
        let ticks: String = line.chars().take_while(|c| *c == '`').collect();
        if let Some(fence) = &in_fence {
            if line == fence {
                in_fence = None;
            }
            continue;
        }
        if ticks.len() >= 3 {
            in_fence = Some(ticks);
            continue;
        }
        if line.starts_with('|') {
            let n = unescaped_pipes(line);
            match columns {
                None => columns = Some(n),
                Some(c) => assert_eq!(n, c, "a row with other columns: {line}\n{md}"),
            }
        } else {
            columns = None;
        }
        // Outside code spans, only escaped `<` or our `<br>`.
        let outside = outside_code(line, md);
        for (i, _) in outside.match_indices('<') {
            assert!(
                outside[i..].starts_with("<br>") || outside[..i].ends_with('\\'),
                "raw HTML from data: {line}\n{md}"
            );
        }
    }
    assert!(in_fence.is_none(), "an open fence:\n{md}");
}

#[test]
fn hostile_names_are_escaped_in_text_and_markdown_and_kept_in_json() {
    let (_tmp, dir) = hostile_workspace();

    let (code, text, err) = run(&["plan", &dir]);
    assert_eq!(code, 0, "{text}\n{err}");
    assert_inert("the text plan", &text);
    assert_inert("stderr", &err);
    assert!(
        text.contains("+ globus.group evil\\u{1b}[2J\\u{1b}]0;pwned\\u{7}|</details>`x`<img src=x>\\u{202e}\\u{a}safety: {}"),
        "{text}"
    );
    assert!(text.contains("p\\u{1b}]0;file\\u{7}.yaml:2"), "{text}");
    assert!(
        text.contains("\\u{1b}[31m\\u{9b}\\u{2066}/ carol@uni.edu (rw)"),
        "{text}"
    );
    // The forged line stays inside its label.
    assert!(!text.lines().any(|l| l.starts_with("safety")), "{text}");

    let (code, md, _) = run(&["plan", &dir, "--format", "markdown"]);
    assert_eq!(code, 0);
    assert_inert("the markdown plan", &md);
    assert_markdown_holds(&md);
    assert!(md.contains("\\u{202e}"), "{md}");

    let (code, js, _) = run(&["plan", &dir, "--format", "json"]);
    assert_eq!(code, 0);
    let doc: serde_json::Value = serde_json::from_str(&js).unwrap();
    let addresses: Vec<String> = doc["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["address"].as_str().unwrap().to_string())
        .collect();
    let all = serde_json::to_string(&doc).unwrap();
    assert!(
        all.contains(&serde_json::to_string(POLICY_NAME).unwrap()[1..]),
        "the name is kept as it is: {addresses:?}"
    );

    for format in ["text", "markdown"] {
        let (code, out, _) = run(&["drift", &dir, "--format", format]);
        assert_eq!(code, 2, "{out}");
        assert_inert("drift", &out);
        if format == "markdown" {
            assert_markdown_holds(&out);
        } else {
            assert!(!out.lines().any(|l| l.starts_with("safety")), "{out}");
        }
    }

    let (code, out, err) = run(&["apply", &dir, "--auto-approve"]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert_inert("apply", &out);
    assert!(
        out.contains("applied  globus.group evil\\u{1b}[2J"),
        "{out}"
    );
}

#[test]
fn diagnostics_escape_what_the_policy_file_holds() {
    let (_tmp, dir) = hostile_workspace();
    std::fs::write(
        Path::new(&dir).join(FILE_NAME),
        "groups:\n  g:\n    members: { \"\\e]0;pwned\\a\u{202e}x\": member }\n",
    )
    .unwrap();
    let (code, out, err) = run(&["validate", &dir]);
    assert_eq!(code, 1, "{out}");
    assert_inert("validate's diagnostics", &err);
    assert!(err.contains("p\\u{1b}]0;file\\u{7}.yaml:3:"), "{err}");
    assert!(err.contains("\\u{202e}x"), "{err}");
}

#[cfg(unix)]
#[test]
fn a_seed_outside_the_workspace_is_refused_and_never_shown() {
    let tmp = tempfile::tempdir().unwrap();
    let secret = tmp.path().join("passwd");
    std::fs::write(&secret, "root:x:0:0:SECRET-FIRST-LINE:/root:/bin/bash\n").unwrap();
    let ws = tmp.path().join("ws");
    std::fs::create_dir(&ws).unwrap();
    write_embedded(&ws, "", "groups: { lab: {} }\n");
    std::fs::remove_file(ws.join("live.yaml")).unwrap();
    let dir = ws.to_str().unwrap();
    for seed in [secret.to_str().unwrap(), "../passwd", "live.yaml"] {
        let accord_yaml = format!(
            "policies: [\"policy.yaml\"]\ntargets:\n  t: {{ embedded: true, seed: {seed} }}\ndefault_target: t\n"
        );
        std::fs::write(ws.join("accord.yaml"), accord_yaml).unwrap();
        let _ = std::fs::remove_file(ws.join("live.yaml"));
        std::os::unix::fs::symlink(&secret, ws.join("live.yaml")).unwrap();
        for command in ["validate", "plan", "apply"] {
            let out = accord()
                .args(common::with_clock(&[command, dir]))
                .args(if command == "apply" {
                    &["--auto-approve"][..]
                } else {
                    &[]
                })
                .output()
                .unwrap();
            let (stdout, stderr) = (
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr),
            );
            assert_eq!(
                out.status.code(),
                Some(1),
                "{seed} {command}: {stdout}\n{stderr}"
            );
            assert!(
                stderr.contains("accord.yaml:3:30: the seed")
                    && stderr.contains("outside the workspace"),
                "{seed} {command}: {stderr}"
            );
            assert!(
                !stderr.contains("SECRET") && !stdout.contains("SECRET"),
                "{stderr}"
            );
        }
        assert!(!ws.join(".accord").exists(), "nothing ran");
    }
}
