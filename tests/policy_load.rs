//! Loading workspaces: DESIGN.md's example, merging across files, file discovery, and the
//! JSON Schemas agreeing with the loader.

use std::fs;
use std::path::Path;

use std::collections::BTreeMap;

use accord::policy::{
    Diagnostics, Policy, PrincipalRef, TargetConfig, Workspace, error_at, workspace_file_schema,
};
use accord::services::boss::policy::{BossPolicy, BossSection};
use accord::services::gcs::policy::{CollectionPolicy, CollectionsPolicy};
use accord::services::groups::policy::{GroupPolicy, GroupRole, GroupsPolicy};
use accord::services::search::policy::{SearchIndexPolicy, SearchPolicy};
use accord::services::transfer::policy::{EndpointPolicy, EndpointsPolicy, Permissions};
use accord::state::ContainerMode;
use uuid::Uuid;

/// Loads a workspace with the built-in services.
fn load_workspace(dir: &Path) -> Result<Workspace, Diagnostics> {
    accord::policy::load_workspace(dir, &accord::services::builtin())
}

/// The policy file schema of the built-in services.
fn policy_file_schema() -> serde_json::Value {
    accord::policy::policy_file_schema(&accord::services::builtin())
}

/// The built-in services' sections of a policy.
struct Sections<'a> {
    identities: &'a BTreeMap<String, accord::policy::Located<PrincipalRef>>,
    groups: &'a BTreeMap<String, GroupPolicy>,
    endpoints: &'a BTreeMap<Uuid, EndpointPolicy>,
    collections: &'a BTreeMap<String, CollectionPolicy>,
    search_indexes: &'a BTreeMap<String, SearchIndexPolicy>,
    boss: &'a Option<BossPolicy>,
}

fn sections(p: &Policy) -> Sections<'_> {
    Sections {
        identities: &p.identities,
        groups: &p.section::<GroupsPolicy>().unwrap().groups,
        endpoints: &p.section::<EndpointsPolicy>().unwrap().endpoints,
        collections: &p.section::<CollectionsPolicy>().unwrap().collections,
        search_indexes: &p.section::<SearchPolicy>().unwrap().indexes,
        boss: &p.section::<BossSection>().unwrap().boss,
    }
}

const DESIGN: &str = "tests/fixtures/design-example";

fn write(dir: &Path, rel: &str, text: &str) {
    let p = dir.join(rel);
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    fs::write(p, text).unwrap();
}

#[test]
fn design_example_lowers_to_the_expected_model() {
    let ws = load_workspace(Path::new(DESIGN)).unwrap_or_else(|d| panic!("{d}"));
    let p = sections(&ws.policy);
    assert_eq!(&*ws.files[0].path, Path::new("accord.yaml"));
    assert_eq!(ws.files.len(), 2, "accord.yaml and policy.yaml");

    assert_eq!(
        p.identities["alice"].value,
        PrincipalRef::Username("alice@uchicago.edu".into())
    );
    assert_eq!(
        p.identities["bob"].value,
        PrincipalRef::IdentityId("2d7a4c6e-0a8e-4d8f-9d1e-5f6a7b8c9d0e".parse().unwrap())
    );

    let names: Vec<&str> = p.groups.keys().map(String::as_str).collect();
    assert_eq!(names, ["lab-admins", "lab-readers", "old-project"]);
    let admins = &p.groups["lab-admins"];
    assert_eq!(admins.members.len(), 1);
    assert_eq!(
        admins.members[0].principal.value,
        PrincipalRef::Alias("bob".into())
    );
    assert_eq!(admins.members[0].role, GroupRole::Admin);

    let readers = &p.groups["lab-readers"];
    assert_eq!(
        readers.id.as_ref().unwrap().value.to_string(),
        "8b7d57bc-1666-11ec-88b2-f50515619d57"
    );
    assert_eq!(
        readers.description.as_ref().unwrap().value,
        "Read access to the lab share"
    );
    let pol = &readers.policies.as_ref().unwrap().value;
    assert_eq!(pol.group_visibility.as_deref(), Some("private"));
    assert_eq!(pol.group_members_visibility.as_deref(), Some("managers"));
    assert_eq!(pol.join_requests, None, "only the keys written are managed");
    let members: Vec<(String, GroupRole, Option<String>, u32)> = readers
        .members
        .iter()
        .map(|m| {
            (
                format!("{:?}", m.principal.value),
                m.role,
                m.expires.map(|e| e.to_rfc3339()),
                m.origin.line,
            )
        })
        .collect();
    assert_eq!(
        members,
        [
            ("Alias(\"alice\")".to_string(), GroupRole::Member, None, 15),
            (
                "Alias(\"bob\")".to_string(),
                GroupRole::Admin,
                Some("2027-06-30T00:00:00+00:00".to_string()),
                16
            ),
        ]
    );
    assert!(p.groups["old-project"].absent);
    assert!(p.groups["old-project"].members.is_empty());

    let ep = &p.endpoints[&"e56c36e4-1063-11e6-a747-22000bf2d559".parse().unwrap()];
    assert_eq!(ep.manage_paths.len(), 1);
    assert_eq!(ep.manage_paths[0].value, "/disthome/");
    assert_eq!(ep.directories[0].path.value, "/disthome/alice/");
    assert_eq!(ep.acl.len(), 1);
    let rule = &ep.acl[0];
    assert_eq!(rule.principal.value, PrincipalRef::Alias("alice".into()));
    assert_eq!(rule.path.value, "/disthome/alice/");
    assert_eq!(rule.permissions, Permissions::Read);
    assert_eq!(
        rule.expires.unwrap().to_rfc3339(),
        "2026-12-31T00:00:00+00:00"
    );
    assert_eq!(&*rule.origin.path, Path::new("policy.yaml"));
    assert_eq!((rule.origin.line, rule.origin.column), (34, 9));
    assert_eq!(
        (rule.principal.origin.line, rule.principal.origin.column),
        (34, 22)
    );
    assert_eq!(rule.origin.provenance().line, 34);
    assert_eq!(ep.ownership.mode, None);

    assert_eq!(p.collections.keys().collect::<Vec<_>>(), ["lab-share"]);
    assert_eq!(
        p.search_indexes.keys().collect::<Vec<_>>(),
        ["4de2f3a1-5b7c-4d8e-9f0a-1b2c3d4e5f60"]
    );
    assert!(p.boss.is_some());

    let cfg = &ws.config;
    assert_eq!(cfg.policies, ["**/*.yaml"]);
    assert_eq!(
        cfg.targets["demo"],
        TargetConfig::Embedded {
            seed: "live.yaml".into()
        }
    );
    assert_eq!(cfg.targets["prod"], TargetConfig::Globus);
    assert_eq!(cfg.service_urls["prod"]["boss"], "https://api.theboss.io");
    assert_eq!(cfg.default_target.as_deref(), Some("demo"));
    assert_eq!(cfg.safety.max_deletes, 20);
    assert_eq!(cfg.safety.max_delete_share, 0.25);
    assert_eq!(cfg.safety.protect.len(), 1);
    assert_eq!(cfg.safety.allow.len(), 1);
    assert_eq!(cfg.safety.allow[0].reason, "retire the 2025 cohort");
    assert_eq!(
        cfg.safety.allow[0].until.to_rfc3339(),
        "2026-12-16T00:00:00+00:00"
    );
}

#[test]
fn containers_merge_across_files() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "accord.yaml", "policies: [\"**/*.yaml\"]\n");
    write(
        d,
        "team-a/policy.yaml",
        "identities: { alice: alice@uni.edu }\n\
         groups:\n  lab:\n    description: Lab\n    members: { alice: member }\n\
         endpoints:\n  E56C36E4-1063-11E6-A747-22000BF2D559:\n    manage_paths: [/home/]\n    \
         acl:\n      - { principal: alice, path: /home/alice/, permissions: r }\n",
    );
    write(
        d,
        "team-b/policy.yaml",
        "groups:\n  lab:\n    mode: additive\n    members: { bob@uni.edu: admin }\n\
         endpoints:\n  e56c36e4-1063-11e6-a747-22000bf2d559:\n    \
         acl:\n      - { principal: alice, path: /home/shared/, permissions: rw }\n      \
         - { principal: group:lab, path: /home/alice/, permissions: r }\n",
    );
    let ws = load_workspace(d).unwrap_or_else(|e| panic!("{e}"));
    let lab = &sections(&ws.policy).groups["lab"];
    assert_eq!(lab.members.len(), 2);
    assert_eq!(
        &*lab.members[1].origin.path,
        Path::new("team-b/policy.yaml")
    );
    assert_eq!(
        lab.ownership.mode.as_ref().unwrap().value,
        ContainerMode::Additive
    );
    assert_eq!(
        sections(&ws.policy).endpoints.len(),
        1,
        "UUID keys merge whatever their case"
    );
    let ep = sections(&ws.policy).endpoints.values().next().unwrap();
    assert_eq!(ep.acl.len(), 3);
    assert_eq!(&*ep.origin.path, Path::new("team-a/policy.yaml"));
}

#[test]
fn dot_folders_seeds_and_accord_yaml_are_not_policy() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "accord.yaml",
        "targets:\n  demo: { embedded: true, seed: ./seeds/live.yaml }\n",
    );
    write(d, "seeds/live.yaml", "auth: { clients: [] }\n");
    write(d, ".accord/state.yaml", "not: [policy\n");
    write(d, ".github/workflows/plan.yml", "on: push\n");
    write(d, "empty.yaml", "# nothing yet\n");
    write(
        d,
        "groups.yml",
        "groups:\n  lab: { members: { a@b.org: member } }\n",
    );
    let ws = load_workspace(d).unwrap_or_else(|e| panic!("{e}"));
    let paths: Vec<_> = ws
        .files
        .iter()
        .map(|f| f.path.to_string_lossy().into_owned())
        .collect();
    assert_eq!(paths, ["accord.yaml", "empty.yaml", "groups.yml"]);
    assert_eq!(ws.config.policies, ["**/*.yaml", "**/*.yml"]);
}

#[test]
fn error_at_points_at_a_policy_origin() {
    let ws = load_workspace(Path::new(DESIGN)).unwrap();
    let alice = &ws.policy.identities["alice"];
    let d = error_at(
        &ws.files,
        &alice.origin,
        "unknown username `alice@uchicago.edu`",
        Some("check the spelling".into()),
    );
    assert!(
        d.to_string()
            .starts_with("policy.yaml:3:10: unknown username"),
        "{d}"
    );
    let mut out = String::new();
    miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor())
        .render_report(&mut out, &d)
        .unwrap();
    assert!(out.contains("alice: alice@uchicago.edu"), "{out}");
    assert!(out.contains("check the spelling"), "{out}");
}

/// Reads a YAML file into JSON, as an editor using the schema would see it.
fn yaml_json(path: &str) -> serde_json::Value {
    let text = fs::read_to_string(path).unwrap();
    serde_saphyr::from_str(&text).unwrap()
}

#[test]
fn design_example_matches_the_json_schemas() {
    for (schema, file) in [
        (policy_file_schema(), "policy.yaml"),
        (
            workspace_file_schema(&accord::services::builtin()),
            "accord.yaml",
        ),
    ] {
        let validator = jsonschema::validator_for(&schema).expect("a valid schema");
        let doc = yaml_json(&format!("{DESIGN}/{file}"));
        let errors: Vec<String> = validator.iter_errors(&doc).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{file}: {errors:#?}");
    }
}

#[test]
fn schemas_reject_unknown_fields_and_bad_values() {
    let validator = jsonschema::validator_for(&policy_file_schema()).unwrap();
    let bad = serde_json::json!({ "groups": { "g": { "memberz": {} } } });
    assert!(!validator.is_valid(&bad));
    let bad = serde_json::json!({ "groups": { "g": { "members": { "alice": "owner" } } } });
    assert!(!validator.is_valid(&bad));
    let good = serde_json::json!({ "groups": { "g": { "members": { "alice": { "role": "admin", "expires": "2027-06-30T00:00:00Z" } } } } });
    assert!(validator.is_valid(&good));
    let described = policy_file_schema().to_string();
    assert!(described.contains("Short names for Globus principals"));
}

#[test]
fn example_workspaces_in_the_repository_load() {
    let Ok(entries) = fs::read_dir("policies") else {
        return;
    };
    for e in entries {
        let dir = e.unwrap().path();
        if dir.join("accord.yaml").exists()
            && let Err(d) = load_workspace(&dir)
        {
            panic!("{}: {d}", dir.display());
        }
    }
}

/// A workspace with `accord.yaml` (default globs) in a fresh folder, and a folder beside it,
/// outside the workspace, holding `secret.yaml`.
#[cfg(unix)]
fn workspace_beside_outside() -> (tempfile::TempDir, std::path::PathBuf, std::path::PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let (ws, outside) = (tmp.path().join("ws"), tmp.path().join("outside"));
    write(&ws, "accord.yaml", "");
    write(
        &outside,
        "secret.yaml",
        "groups: { SECRET-LINE-FROM-OUTSIDE: {} }\n",
    );
    (tmp, ws, outside)
}

#[cfg(unix)]
#[test]
fn symlinks_inside_the_workspace_are_followed_and_each_file_read_once() {
    use std::os::unix::fs::symlink;
    let (_tmp, ws, _) = workspace_beside_outside();
    write(&ws, ".shared/common.yaml", "groups: { common: {} }\n");
    write(&ws, "teams/a.yaml", "groups: { team-a: {} }\n");
    // A file in a dot-folder, reached only through a link.
    symlink(".shared/common.yaml", ws.join("common.yaml")).unwrap();
    // A second path to a file the walk reaches anyway: sorted first, yet not the one kept.
    symlink("teams/a.yaml", ws.join("a-link.yaml")).unwrap();
    // A linked folder, and a link back up to the root: neither reads anything twice.
    symlink("teams", ws.join("current")).unwrap();
    symlink(".", ws.join("teams/loop")).unwrap();
    let loaded = load_workspace(&ws).unwrap_or_else(|d| panic!("{d}"));
    let paths: Vec<String> = loaded
        .files
        .iter()
        .map(|f| f.path.to_string_lossy().into_owned())
        .collect();
    assert_eq!(paths, ["accord.yaml", "common.yaml", "teams/a.yaml"]);
    let groups: Vec<&str> = sections(&loaded.policy)
        .groups
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(groups, ["common", "team-a"]);
}

#[cfg(unix)]
#[test]
fn symlinks_out_of_the_workspace_are_refused_by_name_and_never_read() {
    use std::os::unix::fs::symlink;
    let (_tmp, ws, outside) = workspace_beside_outside();
    write(&ws, "groups.yaml", "groups: { lab: {} }\n");
    symlink(outside.join("secret.yaml"), ws.join("evil.yaml")).unwrap();
    symlink("../outside", ws.join("linked-folder")).unwrap();
    symlink("nowhere.yaml", ws.join("dangling.yaml")).unwrap();
    // Not selected by the globs: never looked at.
    symlink(outside.join("secret.yaml"), ws.join("notes.txt")).unwrap();
    let diags = load_workspace(&ws).map(|_| ()).unwrap_err();
    let places: Vec<(String, &str)> = diags
        .0
        .iter()
        .map(|d| (d.path.to_string_lossy().into_owned(), d.code.as_str()))
        .collect();
    assert_eq!(
        places,
        [
            ("dangling.yaml".to_string(), "accord::policy::refused_file"),
            ("evil.yaml".to_string(), "accord::policy::refused_file"),
            ("linked-folder".to_string(), "accord::policy::refused_file"),
        ],
        "{diags}"
    );
    let text = diags.to_string();
    assert!(
        text.contains("evil.yaml:1:1: this symlink resolves to `"),
        "{text}"
    );
    assert!(text.contains("outside the workspace"), "{text}");
    assert!(
        text.contains("dangling.yaml:1:1: this symlink leads nowhere"),
        "{text}"
    );
    let handler =
        miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor());
    let rendered = diags.render(&handler);
    assert!(!rendered.contains("SECRET-LINE"), "{rendered}");
}

#[cfg(unix)]
#[test]
fn fifos_and_sockets_are_refused_without_being_opened() {
    let (_tmp, ws, _) = workspace_beside_outside();
    write(&ws, "groups.yaml", "groups: { lab: {} }\n");
    // Opening a FIFO for reading would wait for a writer forever.
    let made = std::process::Command::new("mkfifo")
        .arg(ws.join("pipe.yaml"))
        .status()
        .unwrap();
    assert!(made.success());
    let _socket = std::os::unix::net::UnixListener::bind(ws.join("socket.yaml")).unwrap();
    let diags = load_workspace(&ws).map(|_| ()).unwrap_err();
    assert_eq!(
        diags.to_string(),
        "pipe.yaml:1:1: this policy file is a FIFO, not a regular file: accord never reads it\n\
         socket.yaml:1:1: this policy file is a socket, not a regular file: accord never reads it"
    );
    // `accord.yaml` itself is checked alike.
    std::fs::remove_file(ws.join("accord.yaml")).unwrap();
    std::os::unix::fs::symlink("pipe.yaml", ws.join("accord.yaml")).unwrap();
    let diags = load_workspace(&ws).map(|_| ()).unwrap_err();
    assert_eq!(
        diags.to_string(),
        "accord.yaml:1:1: accord.yaml is a FIFO, not a regular file: accord never reads it"
    );
}

#[cfg(unix)]
#[test]
fn a_seed_must_be_a_file_inside_the_workspace() {
    use std::os::unix::fs::symlink;
    let (_tmp, ws, outside) = workspace_beside_outside();
    let secret = outside.join("secret.yaml");
    let config = |seed: &str| {
        format!("policies: [\"*.yaml\"]\ntargets:\n  demo: {{ embedded: true, seed: {seed} }}\n")
    };
    write(&ws, "groups.yaml", "groups: { lab: {} }\n");
    for (seed, message) in [
        (secret.to_str().unwrap(), "is outside the workspace"),
        ("../outside/secret.yaml", "is outside the workspace"),
        ("link.yaml", "is outside the workspace"),
        ("missing.yaml", "does not exist in the workspace"),
        (".accord", "is a folder, not a file"),
    ] {
        write(&ws, "accord.yaml", &config(seed));
        let _ = std::fs::remove_file(ws.join("link.yaml"));
        symlink(&secret, ws.join("link.yaml")).unwrap();
        std::fs::create_dir_all(ws.join(".accord")).unwrap();
        let diags = load_workspace(&ws).map(|_| ()).unwrap_err();
        let d = &diags.0[0];
        assert_eq!(
            (d.path.to_str().unwrap(), d.line, d.column, d.code.as_str()),
            ("accord.yaml", 3, 33, "accord::policy::bad_target"),
            "{diags}"
        );
        assert!(
            d.message.ends_with(&format!("of target `demo` {message}")),
            "{seed}: {diags}"
        );
    }
    // A seed in a dot-folder, through a symlink inside the workspace, is fine.
    write(&ws, ".seeds/live.yaml", "clients: []\n");
    std::fs::remove_file(ws.join("link.yaml")).unwrap();
    symlink(".seeds/live.yaml", ws.join("link.yaml")).unwrap();
    write(&ws, "accord.yaml", &config("link.yaml"));
    let loaded = load_workspace(&ws).unwrap_or_else(|d| panic!("{d}"));
    assert_eq!(loaded.files.len(), 2, "the seed is never policy");
}
