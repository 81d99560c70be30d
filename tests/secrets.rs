//! No client secret and no access token ever reaches stdout, stderr, a saved plan or `.accord/`.

mod common;

use std::path::Path;

use base64::Engine;
use common::{Live, accord, workspace};

/// The lab seed's client (`policies/lab/live.yaml`).
const CLIENT_ID: &str = "0b1e4d5c-6f7a-4b8c-9d0e-1f2a3b4c5d6e";
const SECRET: &str = "demo-secret-not-for-production";

/// Everything a run leaves for people and disk: (what it is, its text).
struct Exposed(Vec<(String, String)>);

impl Exposed {
    fn run(&mut self, ws: &Path, envs: &[(&str, &str)], args: &[&str]) -> i32 {
        let out = accord()
            .envs(envs.iter().copied())
            .args(common::with_clock(args))
            .current_dir(ws)
            .output()
            .expect("run accord");
        let what = args.join(" ");
        self.0.push((
            format!("stdout of `{what}`"),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        ));
        self.0.push((
            format!("stderr of `{what}`"),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        ));
        out.status.code().unwrap_or(-1)
    }

    /// Adds a file, or every file under a folder.
    fn files(&mut self, path: &Path) {
        if path.is_dir() {
            for e in walkdir::WalkDir::new(path).into_iter().map(Result::unwrap) {
                if e.file_type().is_file() {
                    self.files(e.path());
                }
            }
        } else {
            let bytes = std::fs::read(path).expect("read output file");
            self.0.push((
                path.display().to_string(),
                String::from_utf8_lossy(&bytes).into_owned(),
            ));
        }
    }

    /// Asserts none of `needles` occurs anywhere.
    fn assert_absent(&self, needles: &[String]) {
        assert!(self.0.iter().any(|(_, text)| !text.is_empty()));
        for (what, text) in &self.0 {
            for n in needles {
                assert!(!text.contains(n.as_str()), "{what} leaks `{n}`:\n{text}");
            }
        }
    }

    /// Asserts no emulator-shaped token (64 lowercase hex digits) occurs, digests aside.
    fn assert_no_token_shapes(&self) {
        for (what, text) in &self.0 {
            if let Some(t) = token_shapes(text).first() {
                panic!("{what} holds a token-like string `{t}`:\n{text}");
            }
        }
    }
}

/// Runs of exactly 64 lowercase hex digits not introduced by `sha256:`.
fn token_shapes(text: &str) -> Vec<&str> {
    let b = text.as_bytes();
    let hex = |c: u8| c.is_ascii_digit() || (b'a'..=b'f').contains(&c);
    let mut found = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if !hex(b[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && hex(b[i]) {
            i += 1;
        }
        if i - start == 64 && !text[..start].ends_with("sha256:") {
            found.push(&text[start..i]);
        }
    }
    found
}

/// The secret, and the HTTP Basic credentials that carry it.
fn secret_needles() -> Vec<String> {
    vec![
        SECRET.to_string(),
        base64::engine::general_purpose::STANDARD.encode(format!("{CLIENT_ID}:{SECRET}")),
    ]
}

/// `-v plan`, `plan --out`, `-v apply --auto-approve`; answers the exposed texts and the plan file.
fn plan_and_apply(ws: &Path, envs: &[(&str, &str)], target: &[&str]) -> Exposed {
    let mut ex = Exposed(Vec::new());
    let dir = ws.to_str().unwrap();
    let planfile = ws.join("lab.plan");
    let with = |a: &[&'static str]| {
        let mut v: Vec<&str> = a.to_vec();
        v.extend_from_slice(target);
        v
    };
    let mut args = with(&["-v", "plan"]);
    args.push(dir);
    assert_eq!(ex.run(ws, envs, &args), 0, "{:#?}", ex.0);
    let mut args = with(&["plan"]);
    args.extend([dir, "--out", planfile.to_str().unwrap()]);
    assert_eq!(ex.run(ws, envs, &args), 0, "{:#?}", ex.0);
    let mut args = with(&["-v", "apply", "--auto-approve"]);
    args.push(dir);
    assert_eq!(ex.run(ws, envs, &args), 0, "{:#?}", ex.0);
    assert!(
        ex.0.iter().any(|(_, t)| t.contains("applied")),
        "apply did something"
    );
    ex.files(&planfile);
    ex
}

#[test]
fn embedded_target_with_trace_logs_leaks_no_secret_or_token() {
    let (_tmp, ws) = workspace("policies/lab");
    let envs = [
        ("ACCORD_GLOBUS_CLIENT_ID", CLIENT_ID),
        ("ACCORD_GLOBUS_CLIENT_SECRET", SECRET),
        ("ACCORD_LOG", "accord=trace"),
    ];
    let mut ex = plan_and_apply(&ws, &envs, &[]);
    let state_dir = ws.join(".accord");
    assert!(state_dir.is_dir(), "the embedded target keeps its state");
    ex.files(&state_dir);
    // The log is on: the check is meaningful only if it shows the token requests.
    assert!(
        ex.0.iter()
            .any(|(w, t)| w.starts_with("stderr") && t.contains("/v2/oauth2/token")),
        "the log shows the token requests"
    );
    ex.assert_absent(&secret_needles());
    // The embedded emulator's tokens die with the process: look for their shape instead.
    ex.assert_no_token_shapes();
}

#[test]
fn loopback_emulator_target_leaks_no_secret_or_token() {
    let live = Live::from_seed_file("policies/lab/live.yaml");
    let (_tmp, ws) = workspace("policies/lab");
    let envs = [("ACCORD_LOG", "accord=trace")];
    let mut ex = plan_and_apply(&ws, &envs, &["--target", live.url()]);
    let state_dir = ws.join(".accord");
    if state_dir.exists() {
        ex.files(&state_dir);
    }
    let tokens = live.emulator().issued_tokens();
    assert!(!tokens.is_empty(), "the runs fetched tokens");
    // The embedded test's shape check relies on what tokens look like.
    for t in &tokens {
        assert_eq!(
            token_shapes(t),
            vec![t.as_str()],
            "token shape changed: {t}"
        );
    }
    let mut needles = secret_needles();
    needles.extend(tokens);
    ex.assert_absent(&needles);
    ex.assert_no_token_shapes();
}

#[test]
fn token_shapes_finds_tokens_but_not_digests() {
    let t = "0123456789abcdef".repeat(4);
    assert_eq!(token_shapes(&format!("Bearer {t}\n")), vec![t.as_str()]);
    assert!(token_shapes(&format!("sha256:{t}")).is_empty());
    assert!(token_shapes(&format!("{t}0")).is_empty());
}

#[test]
fn embedded_target_state_holds_no_boss_token() {
    let (_tmp, ws) = workspace("policies/lab");
    let seed = ws.join("live.yaml");
    let mut text = std::fs::read_to_string(&seed).unwrap();
    text.push_str(
        "boss:\n  accord_user: labbot\n  users:\n    - { username: labbot, token: b0ss-t0ken-of-labbot, roles: [resource-manager] }\n    - { username: intern1, token: b0ss-t0ken-of-intern1 }\n",
    );
    std::fs::write(&seed, text).unwrap();
    let mut ex = Exposed(Vec::new());
    let dir = ws.to_str().unwrap();
    let envs = [("ACCORD_LOG", "accord=trace")];
    for _ in 0..2 {
        // The second run restores the saved state (tokens from the seed) and saves it again.
        assert_eq!(ex.run(&ws, &envs, &["-v", "plan", dir]), 0, "{:#?}", ex.0);
    }
    let state = ws.join(".accord/demo/state.json");
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&state).unwrap()).unwrap();
    assert!(
        saved["state"]["boss"]["users"]["labbot"].is_object(),
        "the Boss users are saved: {saved}"
    );
    ex.files(&ws.join(".accord"));
    ex.assert_absent(&[
        "b0ss-t0ken-of-labbot".to_string(),
        "b0ss-t0ken-of-intern1".to_string(),
    ]);
}
