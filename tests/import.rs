//! `accord import` writes a workspace from the live state that plans to no change, with id
//! pins and readable aliases; it refuses unknown groups, bad identifiers and non-empty folders
//! before writing anything, and only reads the services.

mod common;

use std::path::Path;

use common::{Live, accord, run, snapshots, workspace};

const ENDPOINT: &str = "e56c36e4-1063-11e6-a747-22000bf2d559";
const LAB_MEMBERS: &str = "7b2a0d1f-9e3c-4f4b-8a5d-6c7e8f9a0b1c";

fn read(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// Plans `dir` against `url`, expecting no change.
fn assert_no_change(dir: &Path, url: &str) {
    let (code, out, err) = run(&[
        "plan",
        dir.to_str().unwrap(),
        "--target",
        url,
        "--detailed-exitcode",
    ]);
    assert_eq!(
        code, 0,
        "planning the import right after shows a change:\n{out}\n{err}"
    );
    assert!(out.contains("No changes."), "{out}");
}

#[test]
fn import_writes_a_workspace_that_plans_to_no_change() {
    let live = Live::from_seed_file("policies/lab/live.yaml");
    let url = live.url();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("imported");
    live.emulator().clear_request_log();
    let (code, stdout, err) = run(&[
        "import",
        "--group",
        "lab-admins",
        "--group",
        "lab-members",
        "--endpoint",
        ENDPOINT,
        "--out",
        out.to_str().unwrap(),
        "--target",
        url,
    ]);
    assert_eq!(code, 0, "{stdout}\n{err}");
    assert!(
        stdout.contains("Imported 2 group(s) and 1 endpoint(s)"),
        "{stdout}"
    );

    // Import only reads: besides Auth's token and introspection POSTs, only GETs.
    let writes: Vec<_> = live
        .emulator()
        .request_log()
        .into_iter()
        .filter(|r| {
            r.is_write()
                && r.path != "/auth/v2/oauth2/token"
                && r.path != "/auth/v2/oauth2/token/introspect"
        })
        .collect();
    assert!(writes.is_empty(), "import wrote: {writes:?}");

    // The emulator's port changes from run to run; the snapshots name it [URL].
    let settings = snapshots();
    for name in [
        "accord.yaml",
        "identities.yaml",
        "groups.yaml",
        "endpoints.yaml",
    ] {
        let text = read(&out, name).replace(url, "[URL]");
        assert!(
            text.starts_with("# yaml-language-server: $schema=schemas/"),
            "{name}:\n{text}"
        );
        settings.bind(|| insta::assert_snapshot!(format!("import__{name}"), text));
    }
    // The schemas the comments name are written beside the files, so editors find them.
    let schema: serde_json::Value =
        serde_json::from_str(&read(&out, "schemas/policy.schema.json")).unwrap();
    assert_eq!(
        schema,
        accord::policy::schema::policy_file_schema(&accord::services::builtin())
    );
    assert!(out.join("schemas/accord.schema.json").is_file());

    // The rule on /projects/ names the imported group by its policy name.
    assert!(
        read(&out, "endpoints.yaml").contains("principal: group:lab-members, path: /projects/"),
    );
    assert_no_change(&out, url);
}

#[test]
fn import_by_group_id_pins_the_group_and_names_it_once() {
    let live = Live::from_seed_file("policies/lab/live.yaml");
    let url = live.url();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("by-id");
    // The same group by id and by name is imported once.
    let (code, stdout, err) = run(&[
        "import",
        "--group",
        LAB_MEMBERS,
        "--group",
        "lab-members",
        "--out",
        out.to_str().unwrap(),
        "--target",
        url,
    ]);
    assert_eq!(code, 0, "{stdout}\n{err}");
    let groups = read(&out, "groups.yaml");
    assert!(
        groups.contains(&format!("  lab-members:\n    id: {LAB_MEMBERS}\n")),
        "{groups}"
    );
    assert_eq!(groups.matches("lab-members:").count(), 1, "{groups}");
    assert!(!out.join("endpoints.yaml").exists());
    assert_no_change(&out, url);
}

#[test]
fn import_after_apply_round_trips_expiry_and_groups_accord_created() {
    let live = Live::from_seed_file("policies/lab/live.yaml");
    let url = live.url();
    let (_ws_tmp, ws) = workspace("policies/lab");
    let (code, out, err) = run(&[
        "apply",
        ws.to_str().unwrap(),
        "--target",
        url,
        "--auto-approve",
    ]);
    assert_eq!(code, 0, "{out}\n{err}");

    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("after-apply");
    let (code, stdout, err) = run(&[
        "import",
        "--group",
        "lab-admins",
        "--group",
        "lab-members",
        "--group",
        "lab-readers",
        "--endpoint",
        ENDPOINT,
        "--out",
        out.to_str().unwrap(),
        "--target",
        url,
    ]);
    assert_eq!(code, 0, "{stdout}\n{err}");
    let endpoints = read(&out, "endpoints.yaml");
    for needle in [
        "- { principal: alice, path: /disthome/alice/, permissions: rw }",
        "- { principal: bob, path: /disthome/bob/, permissions: r, expires: 2027-12-31T00:00:00Z }",
        "- { principal: group:lab-readers, path: /shared/, permissions: r }",
    ] {
        assert!(
            endpoints.contains(needle),
            "missing `{needle}` in:\n{endpoints}"
        );
    }
    let groups = read(&out, "groups.yaml");
    assert!(groups.contains("  lab-readers:\n    id: "), "{groups}");
    assert_no_change(&out, url);
}

#[test]
fn import_from_a_named_embedded_target_explains_the_missing_target() {
    let (_ws_tmp, ws) = workspace("policies/lab");
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("from-demo");
    let result = accord()
        .current_dir(&ws)
        .args(["import", "--group", "lab-admins", "--out"])
        .arg(&out)
        .args(["--now", common::NOW])
        .output()
        .unwrap();
    assert!(result.status.success(), "{result:?}");
    let config = read(&out, "accord.yaml");
    assert!(
        config.contains("from the embedded target `demo`"),
        "{config}"
    );
    assert!(config.contains("# No target: this was imported from the embedded target `demo`"));
    assert!(!config.contains("targets:"), "{config}");
    let (code, stdout, err) = run(&["validate", out.to_str().unwrap()]);
    assert_eq!(code, 0, "{stdout}\n{err}");
}

#[test]
fn unknown_groups_are_named_together_and_nothing_is_written() {
    let live = Live::from_seed_file("policies/lab/live.yaml");
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("never");
    let (code, stdout, err) = run(&[
        "import",
        "--group",
        "lab-admins",
        "--group",
        "no-such-group",
        "--group",
        "11111111-2222-4333-8444-555555555555",
        "--group",
        "nope\nerror: forged\x1b[2J",
        "--out",
        out.to_str().unwrap(),
        "--target",
        live.url(),
    ]);
    assert_eq!(code, 1, "{stdout}\n{err}");
    assert!(
        err.contains("group `no-such-group` is not among your groups"),
        "{err}"
    );
    // A name stays on its line, its control characters escaped.
    common::assert_inert("stderr", &err);
    assert!(
        err.contains("group `nope\\u{a}error: forged\\u{1b}[2J` is not among your groups"),
        "{err}"
    );
    assert!(
        !err.lines().any(|l| l.starts_with("error: forged")),
        "{err}"
    );
    assert!(
        err.contains("group 11111111-2222-4333-8444-555555555555 does not exist"),
        "{err}"
    );
    assert!(
        !out.exists(),
        "an import that failed wrote {}",
        out.display()
    );
    let left: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().collect();
    assert!(left.is_empty(), "staging left behind: {left:?}");
}

#[test]
fn a_non_empty_out_folder_is_refused_and_left_alone() {
    let live = Live::from_seed_file("policies/lab/live.yaml");
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("notes.txt"), "mine").unwrap();
    let (code, stdout, err) = run(&[
        "import",
        "--group",
        "lab-admins",
        "--out",
        tmp.path().to_str().unwrap(),
        "--target",
        live.url(),
    ]);
    assert_eq!(code, 1, "{stdout}\n{err}");
    assert!(err.contains("is not empty"), "{err}");
    let entries: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(entries, vec![std::ffi::OsString::from("notes.txt")]);
    assert_eq!(read(tmp.path(), "notes.txt"), "mine");
    // An existing empty folder is fine.
    let empty = tmp.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let (code, stdout, err) = run(&[
        "import",
        "--group",
        "lab-admins",
        "--out",
        empty.to_str().unwrap(),
        "--target",
        live.url(),
    ]);
    assert_eq!(code, 0, "{stdout}\n{err}");
    assert!(empty.join("groups.yaml").is_file());
}

#[test]
fn bad_identifiers_and_missing_endpoints_exit_1() {
    let live = Live::from_seed_file("policies/lab/live.yaml");
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("never");
    let out = out.to_str().unwrap();
    let (code, _, err) = run(&[
        "import",
        "--endpoint",
        "lab-share",
        "--out",
        out,
        "--target",
        live.url(),
    ]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("`lab-share` is not a collection or endpoint UUID"),
        "{err}"
    );

    let (code, _, err) = run(&["import", "--out", out, "--target", live.url()]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("--group"), "{err}");

    let missing = "11111111-2222-4333-8444-555555555555";
    let (code, _, err) = run(&[
        "import",
        "--endpoint",
        missing,
        "--out",
        out,
        "--target",
        live.url(),
    ]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains(&format!("collection or endpoint {missing}")),
        "{err}"
    );
    assert!(!Path::new(out).exists());
}

/// As the README writes it (no workspace, no `--target`), import reads the real services: here
/// it stops at their missing client credentials, before any call, and writes nothing.
#[test]
fn without_a_target_or_workspace_import_reads_the_real_services() {
    let tmp = tempfile::tempdir().unwrap();
    let result = accord()
        .current_dir(tmp.path())
        .args(["import", "--group", "lab-admins", "--out", "x"])
        .output()
        .unwrap();
    assert_eq!(result.status.code(), Some(1));
    let err = String::from_utf8_lossy(&result.stderr);
    assert!(!err.contains("no target"), "{err}");
    assert!(err.contains("ACCORD_GLOBUS_CLIENT_ID"), "{err}");
    assert!(!tmp.path().join("x").exists());
}

/// Live group names no YAML writer may trust: each must import as it is and round-trip.
fn hostile_group_names() -> Vec<String> {
    vec![
        "line\nbreak".into(),
        "x\nsafety: { max_deletes: 0 }".into(),
        "a # hash: and colon".into(),
        "quote \" and ' marks, \\ backslash".into(),
        "ctl\x1b[2J\x07\x7f\u{9b}\u{202e}\r".into(),
        "ünïcode ✓ 日本語".into(),
        "- dash, [flow] {map} &anchor *alias !tag".into(),
        "g".repeat(2000),
        format!("long {}", "é".repeat(1995)),
    ]
}

#[test]
fn every_live_name_imports_as_it_is_and_round_trips() {
    use serde_json::json;
    let client = "0b1e4d5c-6f7a-4b8c-9d0e-1f2a3b4c5d6e";
    let names = hostile_group_names();
    let ids: Vec<String> = (0..names.len())
        .map(|i| format!("{:08x}-0000-4000-8000-{:012x}", i + 1, i + 1))
        .collect();
    let groups: Vec<serde_json::Value> = names
        .iter()
        .zip(&ids)
        .map(|(name, id)| {
            json!({"id": id, "name": name, "description": format!("about {name}"),
                   "members": [{"identity": client, "role": "admin"},
                               {"identity": "alice@uchicago.edu", "role": "member"}]})
        })
        .collect();
    let seed = json!({
        "clients": [{"client_id": client, "client_secret": "s", "name": "accord"}],
        "identities": [{"id": "8f3e2a1b-4c5d-4e6f-8a9b-0c1d2e3f4a5b",
                        "username": "alice@uchicago.edu", "name": "Alice"}],
        "groups": groups,
        "endpoints": [{"id": ENDPOINT, "display_name": "share",
                       "roles": {"access_manager": [client]},
                       "acl": [{"principal_type": "group", "principal": names[1],
                                "path": "/a: b #c 'q' \"d\" ü/", "permissions": "r"},
                               {"principal_type": "group", "principal": names[7],
                                "path": "/long/", "permissions": "rw"}]}],
    });
    let live = Live::from_seed(
        accord::emulator::Seed::from_json_str(&accord::services::builtin(), &seed.to_string())
            .expect("seed"),
    );
    let url = live.url();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("hostile");
    let mut args = vec!["import".to_string()];
    for id in &ids {
        args.extend(["--group".into(), id.clone()]);
    }
    args.extend(["--endpoint".into(), ENDPOINT.into()]);
    args.extend(["--out".into(), out.to_str().unwrap().into()]);
    args.extend(["--target".into(), url.into()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (code, stdout, err) = run(&args);
    assert_eq!(code, 0, "{stdout}\n{err}");
    for file in [
        "accord.yaml",
        "groups.yaml",
        "endpoints.yaml",
        "identities.yaml",
    ] {
        let text = read(&out, file);
        // Nothing a name holds reaches the file raw, nor starts a line of its own.
        common::assert_inert(file, &text);
        assert!(
            !text.lines().any(|l| l.starts_with("safety")),
            "{file}:\n{text}"
        );
    }
    let groups = read(&out, "groups.yaml");
    assert!(
        groups.contains(&format!("  ? {}\n  :\n", "g".repeat(2000))),
        "{groups}"
    );
    assert!(groups.contains("# Groups "), "{groups}");
    // Read back, every name is the live one.
    let loaded = accord::policy::load_workspace(&out, &accord::services::builtin())
        .unwrap_or_else(|d| panic!("{d}"));
    let mut want = names.clone();
    want.sort();
    let got: Vec<String> = loaded
        .policy
        .section::<accord::services::groups::policy::GroupsPolicy>()
        .unwrap()
        .groups
        .keys()
        .cloned()
        .collect();
    assert_eq!(got, want);
    assert_no_change(&out, url);
}
