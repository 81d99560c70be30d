//! The same principal written two ways is one principal, in every form a policy may write
//! it: an alias (of a username or of an identity UUID), a username in any case, an identity
//! UUID in any case or as a URN; `group:NAME`, and a managed group's UUID (pinned or not) as
//! `group:<uuid>` or a URN; an unmanaged group's UUID either way. Written any of these ways,
//! a principal matches its live grants (Transfer ACL rules, Search roles, `visible_to`,
//! principal sets) and its `safety.protect` entry keeps its access; written two ways in one
//! container, it is refused, citing both places, before any write.

mod common;

use std::fmt::Write as _;

use common::{Live, run};

const CLIENT: &str = "0b1e4d5c-6f7a-4b8c-9d0e-1f2a3b4c5d6e";
const ENDPOINT: &str = "e56c36e4-1063-11e6-a747-22000bf2d559";
const INDEX: &str = "4de2f3a1-5b7c-4d8e-9f0a-1b2c3d4e5f60";
const ALICE: &str = "8f3e2a1b-4c5d-4e6f-8a9b-0c1d2e3f4a5b";
/// `lab-members`, which the policy manages.
const MANAGED: &str = "7b2a0d1f-9e3c-4f4b-8a5d-6c7e8f9a0b1c";
/// `other-team`, which it does not.
const UNMANAGED: &str = "8b7d57bc-1666-11ec-88b2-f50515619d57";

/// Every way a policy may write alice.
fn alice_forms() -> Vec<String> {
    vec![
        "alice".into(),
        "alice-id".into(),
        "alice@uchicago.edu".into(),
        "Alice@UChicago.EDU".into(),
        ALICE.into(),
        ALICE.to_uppercase(),
        format!("urn:globus:auth:identity:{ALICE}"),
    ]
}

/// Every way a policy may write a group by name or id.
fn group_forms(name: Option<&str>, id: &str) -> Vec<String> {
    name.map(|n| format!("group:{n}"))
        .into_iter()
        .chain([
            format!("group:{id}"),
            format!("group:{}", id.to_uppercase()),
            format!("urn:globus:groups:id:{id}"),
        ])
        .collect()
}

/// One principal's forms and where it holds live grants: the ACL path its rules are on.
struct Subject {
    forms: Vec<String>,
    path: &'static str,
}

impl Subject {
    /// Whether the managed group is pinned by `id:`: both ways for the managed group, whose
    /// id is known before reading only when pinned; either way for the others.
    fn pins(&self) -> &'static [bool] {
        if self.path == "/m/" {
            &[false, true]
        } else {
            &[false]
        }
    }
}

/// Alice, the managed group and the unmanaged one.
fn subjects() -> [Subject; 3] {
    [
        Subject {
            forms: alice_forms(),
            path: "/a/",
        },
        Subject {
            forms: group_forms(Some("lab-members"), MANAGED),
            path: "/m/",
        },
        Subject {
            forms: group_forms(None, UNMANAGED),
            path: "/u/",
        },
    ]
}

/// The live state: each subject holds an ACL rule on its path (and a second one on
/// `/keep<path>`, which only `safety.protect` keeps), the writer role and a place in the
/// document's `visible_to` and principal set.
fn live() -> Live {
    let mut seed = format!(
        "clients: [{{ client_id: {CLIENT}, client_secret: s }}]\n\
         identities: [{{ id: {ALICE}, username: alice@uchicago.edu }}]\ngroups:\n"
    );
    for (name, id) in [("lab-members", MANAGED), ("other-team", UNMANAGED)] {
        writeln!(
            seed,
            "  - {{ id: {id}, name: {name}, members: [{{ identity: {CLIENT}, role: admin }}] }}"
        )
        .unwrap();
    }
    write!(
        seed,
        "endpoints:\n  - id: {ENDPOINT}\n    display_name: share\n    roles: {{ access_manager: [{CLIENT}] }}\n    acl:\n"
    )
    .unwrap();
    let urns = [
        format!("urn:globus:auth:identity:{ALICE}"),
        format!("urn:globus:groups:id:{MANAGED}"),
        format!("urn:globus:groups:id:{UNMANAGED}"),
    ];
    for ((ty, id), path) in [
        ("identity", ALICE),
        ("group", MANAGED),
        ("group", UNMANAGED),
    ]
    .into_iter()
    .zip(["/a/", "/m/", "/u/"])
    {
        for at in [path.to_string(), format!("/keep{path}")] {
            writeln!(
                seed,
                "      - {{ principal_type: {ty}, principal: {id}, path: {at}, permissions: r }}"
            )
            .unwrap();
        }
    }
    let list = urns.join(", ");
    write!(
        seed,
        "search:\n  indexes:\n    {INDEX}:\n      display_name: forms\n      roles:\n        owner: [{CLIENT}]\n        writer: [{list}]\n      entries:\n        - {{ subject: doc, visible_to: [{list}], principal_sets: {{ curator: [{list}] }} }}\n"
    )
    .unwrap();
    Live::from_seed(
        accord::emulator::Seed::from_yaml_str(&accord::services::builtin(), &seed).expect("seed"),
    )
}

/// A workspace naming the three subjects as `written` (in the order of [`subjects`]), the
/// managed group pinned or not; `protect` adds them to `safety.protect`.
fn workspace(written: &[String; 3], pinned: bool, protect: bool) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let quoted: Vec<String> = written.iter().map(|w| format!("\"{w}\"")).collect();
    let list = quoted.join(", ");
    let mut accord = String::from("policies: [\"policy.yaml\"]\n");
    if protect {
        writeln!(accord, "safety: {{ protect: [{list}] }}").unwrap();
    }
    std::fs::write(tmp.path().join("accord.yaml"), accord).unwrap();
    let pin = if pinned {
        format!("{{ id: {MANAGED} }}")
    } else {
        "{}".into()
    };
    let mut policy = format!(
        "identities:\n  accord: {CLIENT}\n  alice: alice@uchicago.edu\n  alice-id: {ALICE}\n\
         groups:\n  lab-members: {pin}\nendpoints:\n  {ENDPOINT}:\n    acl:\n"
    );
    for (w, path) in quoted.iter().zip(["/a/", "/m/", "/u/"]) {
        writeln!(
            policy,
            "      - {{ principal: {w}, path: {path}, permissions: r }}"
        )
        .unwrap();
        if !protect {
            // Unprotected, the second rule is declared too.
            writeln!(
                policy,
                "      - {{ principal: {w}, path: /keep{path}, permissions: r }}"
            )
            .unwrap();
        }
    }
    write!(
        policy,
        "search:\n  indexes:\n    {INDEX}:\n      roles:\n        owner: [accord]\n        writer: [{list}]\n      documents:\n        doc:\n          visible_to: [{list}]\n          principal_sets: {{ curator: [{list}] }}\n"
    )
    .unwrap();
    std::fs::write(tmp.path().join("policy.yaml"), policy).unwrap();
    tmp
}

/// The canonical forms, with subject `s` written as `form`.
fn written(s: usize, form: &str) -> [String; 3] {
    let mut out = [
        "alice".to_string(),
        "group:lab-members".into(),
        format!("group:{UNMANAGED}"),
    ];
    out[s] = form.to_string();
    out
}

#[test]
fn every_form_of_a_principal_matches_its_live_grants() {
    let live = live();
    for (s, subject) in subjects().iter().enumerate() {
        for form in &subject.forms {
            for &pinned in subject.pins() {
                for protect in [false, true] {
                    let tmp = workspace(&written(s, form), pinned, protect);
                    let dir = tmp.path().to_str().unwrap();
                    let (code, out, err) =
                        run(&["plan", dir, "--target", live.url(), "--detailed-exitcode"]);
                    assert_eq!(
                        code, 0,
                        "`{form}` (pinned: {pinned}, protect: {protect}) is not the live principal:\n{out}{err}"
                    );
                    if protect {
                        // The undeclared rule on /keep<path> is kept for its protection.
                        assert!(
                            out.contains(&format!("/keep{}", subject.path))
                                && out.contains("listed in safety.protect"),
                            "`{form}` protects nothing:\n{out}"
                        );
                    }
                }
            }
        }
    }
    assert!(common::writes(&live).is_empty());
}

/// A workspace listing `first` and `second` in one container: the ACL on one path, or the
/// document's principal set. Returns it with the two lines they are written on.
fn twice(first: &str, second: &str, in_acl: bool, pinned: bool) -> (tempfile::TempDir, [usize; 2]) {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("accord.yaml"),
        "policies: [\"policy.yaml\"]\n",
    )
    .unwrap();
    let mut lines = vec![
        "identities:".to_string(),
        "  alice: alice@uchicago.edu".into(),
        format!("  alice-id: {ALICE}"),
        "groups:".into(),
        if pinned {
            format!("  lab-members: {{ id: {MANAGED} }}")
        } else {
            "  lab-members: {}".into()
        },
    ];
    if in_acl {
        lines.push(format!("endpoints:\n  {ENDPOINT}:\n    acl:"));
        let rule = |w: &str| format!("      - {{ principal: \"{w}\", path: /a/, permissions: r }}");
        lines.extend([rule(first), rule(second)]);
    } else {
        lines.push(format!(
            "search:\n  indexes:\n    {INDEX}:\n      documents:\n        doc:\n          principal_sets:\n            curator:"
        ));
        lines.extend([
            format!("              - \"{first}\""),
            format!("              - \"{second}\""),
        ]);
    }
    let text = lines.join("\n") + "\n";
    std::fs::write(tmp.path().join("policy.yaml"), &text).unwrap();
    // The two are the last two lines.
    let last = text.lines().count();
    (tmp, [last - 1, last])
}

#[test]
fn two_forms_of_one_principal_in_one_container_are_refused() {
    let live = live();
    for subject in subjects() {
        for (i, first) in subject.forms.iter().enumerate() {
            for second in &subject.forms[i + 1..] {
                for (in_acl, &pinned) in
                    [true, false].into_iter().zip(subject.pins().iter().cycle())
                {
                    let (tmp, [l1, l2]) = twice(first, second, in_acl, pinned);
                    let dir = tmp.path().to_str().unwrap();
                    let (code, out, err) = run(&["plan", dir, "--target", live.url()]);
                    let case = format!(
                        "`{first}` and `{second}` (in the ACL: {in_acl}, pinned: {pinned})"
                    );
                    assert_eq!(code, 1, "{case} are refused:\n{out}{err}");
                    assert!(out.is_empty(), "{case}: nothing is planned:\n{out}");
                    assert!(
                        err.contains(&format!("× policy.yaml:{l2}:"))
                            && err.contains(&format!("policy.yaml:{l1}:")),
                        "{case}: both places are named:\n{err}"
                    );
                }
            }
        }
    }
    assert!(common::writes(&live).is_empty());
}
