//! Resolution runs before planning: every unknown username, identity and every person listed
//! twice in one container is reported together, with spans, and nothing is written.

mod common;

use accord::emulator::{Emulator, Seed, spawn};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_principals_are_reported_together_and_nothing_is_written() {
    let seed_text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/policies/lab/live.yaml"
    ))
    .unwrap();
    let running = spawn(Emulator::new(
        Seed::from_yaml_str(&accord::services::builtin(), &seed_text).unwrap(),
    ))
    .await
    .unwrap();
    let (_tmp, ws) = common::workspace("tests/resolution/unknown");
    let url = running.base_url.clone();
    let out = tokio::task::spawn_blocking(move || {
        common::accord()
            .args([
                "plan",
                ws.to_str().unwrap(),
                "--target",
                &url,
                "--now",
                common::NOW,
            ])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        out.stdout.is_empty(),
        "nothing is planned: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    for needle in [
        "policy.yaml:9:7: alice-id is listed twice",
        "policy.yaml:12:7: unknown Globus username `zed@nowhere.example`",
        "policy.yaml:13:7: unknown Globus username `yolanda@nowhere.example`",
        "policy.yaml:18:22: unknown Globus identity `00000000-0000-4000-8000-000000000000`",
        "4 errors in the workspace",
    ] {
        assert!(stderr.contains(needle), "missing `{needle}` in:\n{stderr}");
    }
    let writes: Vec<_> = running
        .emulator
        .request_log()
        .into_iter()
        .filter(|r| r.method != "GET" && !r.path.starts_with("/auth/"))
        .collect();
    assert!(
        writes.is_empty(),
        "no write may reach a service: {writes:?}"
    );
    common::snapshots().bind(|| insta::assert_snapshot!("cli_resolution__unknown", stderr));
}
