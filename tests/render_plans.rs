//! Renderings of hand-built plans, pinned with insta under `snapshots/`, and the JSON
//! output checked against the plan schema.

mod common;

use std::collections::BTreeMap;

use accord::plan::render::{self, RenderOptions};
use accord::plan::{
    AccessDelta, AccessEntry, AccessSummary, Action, Blocked, Change, Direction, Escalation,
    FORMAT_VERSION, FieldChange, Kept, Pending, Plan, Step, TargetInfo, Violation,
};
use accord::state::{Address, Kind, Object, Provenance};
use serde_json::{Value, json};

const ALICE: &str = "8f3e2b1c-4d5a-4e6f-9a0b-1c2d3e4f5a6b";
const BOB: &str = "2d7a4c6e-0a8e-4d8f-9d1e-5f6a7b8c9d0e";
const CAROL: &str = "c4a1e7f2-3b5d-4c6e-8f90-a1b2c3d4e5f6";
const DAN: &str = "d0e1f2a3-b4c5-4d6e-8f70-8192a3b4c5d6";
const ERIN: &str = "e7f8a9b0-c1d2-4e3f-9a4b-5c6d7e8f9a0b";
const FRANK: &str = "f1a2b3c4-d5e6-4f70-8a9b-0c1d2e3f4a5b";
const GINA: &str = "a9b8c7d6-e5f4-4a3b-9c2d-1e0f9a8b7c6d";
const HANK: &str = "b1c2d3e4-f5a6-4b7c-8d9e-0f1a2b3c4d5e";
const BOT: &str = "6f1c0d2e-3a4b-4c5d-8e6f-7a8b9c0d1e2f";
const ENDPOINT: &str = "e56c36e4-1063-11e6-a747-22000bf2d559";
const GCS: &str = "1405823f-0597-4a16-b296-46d4f0ae4b15";

fn id(uuid: &str) -> String {
    format!("identity:{uuid}")
}

fn at(file: &str, line: u32) -> Option<Provenance> {
    Some(Provenance {
        file: std::path::Path::new(file).into(),
        line,
        column: 5,
    })
}

fn target() -> TargetInfo {
    TargetInfo {
        name: "demo".into(),
        kind: "embedded".into(),
        description: "demo (embedded emulator, no real service is touched)".into(),
    }
}

fn empty_plan() -> Plan {
    Plan {
        format_version: FORMAT_VERSION,
        target: target(),
        workspace_digest: "sha256:4a5f0c1d9e8b7a6f5e4d3c2b1a09f8e7d6c5b4a39281706f5e4d3c2b1a098f7e"
            .into(),
        workspace: None,
        live_checks: Default::default(),
        now: "2026-03-01T12:00:00Z".parse().unwrap(),
        changes: Vec::new(),
        steps: Vec::new(),
        kept: Vec::new(),
        blocked: Vec::new(),
        pending: Vec::new(),
        violations: Vec::new(),
        rails: Default::default(),
        expiring: Vec::new(),
        expiring_window: None,
        access: AccessSummary::default(),
        access_delta: AccessDelta::default(),
    }
}

/// A change builder that keeps the fixtures readable.
struct C(Change);

impl C {
    fn new(kind: Kind, keys: &[&str], action: Action, direction: Direction) -> C {
        C(Change {
            address: Address::new(kind, keys.iter().copied()),
            action,
            fields: Vec::new(),
            before: None,
            after: None,
            direction,
            reason: String::new(),
            provenance: None,
            labels: BTreeMap::new(),
            deleted_with: None,
        })
    }
    fn label(mut self, key: &str, name: &str) -> C {
        self.0.labels.insert(key.into(), name.into());
        self
    }
    fn at(mut self, file: &str, line: u32) -> C {
        self.0.provenance = at(file, line);
        if let Some(after) = &mut self.0.after {
            after.provenance = at(file, line);
        }
        self
    }
    fn reason(mut self, reason: &str) -> C {
        self.0.reason = reason.into();
        self
    }
    fn before(mut self, attrs: Value) -> C {
        self.0.before = Some(object(&self.0.address, attrs, Some("srv-1")));
        self
    }
    fn after(mut self, attrs: Value) -> C {
        self.0.after = Some(object(&self.0.address, attrs, None));
        self
    }
    fn field(mut self, name: &str, before: Value, after: Value) -> C {
        self.0.fields.push(FieldChange {
            name: name.into(),
            before,
            after,
        });
        self
    }
}

fn object(address: &Address, attrs: Value, server_id: Option<&str>) -> Object {
    let mut o = Object::new(address.clone());
    for (k, v) in attrs.as_object().expect("attrs are an object") {
        o = o.with(k, v.clone());
    }
    o.server_id = server_id.map(Into::into);
    o
}

/// Every kind of line the renderers know: creates with notable fields, updates of a role
/// and of free text, ACL rules added, widened and removed, an expired grant revoked, a
/// replace, plus kept, blocked and pending entries.
fn rich_plan() -> Plan {
    use Action::*;
    use Direction::*;
    let groups = "policies/lab/groups.yaml";
    let shares = "policies/lab/shares.yaml";
    let changes = vec![
        C::new(
            accord::services::groups::GROUP,
            &["lab-readers"],
            Create,
            Neutral,
        )
        .after(json!({"name": "lab-readers", "description": "Read access to the lab share"}))
        .at(groups, 4),
        C::new(
            accord::services::groups::MEMBER,
            &["lab-readers", &id(ALICE)],
            Create,
            Grant,
        )
        .after(json!({"role": "member"}))
        .label(&id(ALICE), "alice")
        .at(groups, 9),
        C::new(
            accord::services::groups::MEMBER,
            &["lab-readers", &id(DAN)],
            Create,
            Grant,
        )
        .after(json!({"role": "admin", "expires": "2027-06-30T00:00:00Z"}))
        .label(&id(DAN), "dan@uni.edu")
        .at(groups, 10),
        C::new(
            accord::services::groups::MEMBER,
            &["lab-admins", &id(BOB)],
            Update,
            Grant,
        )
        .before(json!({"role": "manager", "status": "active"}))
        .after(json!({"role": "admin"}))
        .field("role", json!("manager"), json!("admin"))
        .label(&id(BOB), "bob")
        .at(groups, 3),
        C::new(
            accord::services::groups::GROUP,
            &["lab-admins"],
            Update,
            Neutral,
        )
        .before(json!({"name": "lab-admins", "description": "Lab admins"}))
        .after(json!({"name": "lab-admins", "description": "Administrators of the lab share"}))
        .field(
            "description",
            json!("Lab admins"),
            json!("Administrators of the lab share"),
        )
        .at(groups, 1),
        C::new(
            accord::services::transfer::DIRECTORY,
            &[ENDPOINT, "/disthome/alice/"],
            Create,
            Neutral,
        )
        .after(json!({}))
        .at(shares, 4),
        C::new(
            accord::services::transfer::ACL,
            &[ENDPOINT, "/disthome/alice/", &id(ALICE)],
            Create,
            Grant,
        )
        .after(json!({"permissions": "r", "expires": "2026-12-31T00:00:00Z"}))
        .label(&id(ALICE), "alice")
        .at(shares, 6),
        C::new(
            accord::services::transfer::ACL,
            &[ENDPOINT, "/shared/", "group:lab-readers"],
            Update,
            Grant,
        )
        .before(json!({"permissions": "r", "expires": "2026-12-31T00:00:00Z"}))
        .after(json!({"permissions": "rw", "expires": "2026-12-31T00:00:00Z"}))
        .field("permissions", json!("r"), json!("rw"))
        .at(shares, 9),
        C::new(
            accord::services::gcs::CREDENTIAL,
            &[GCS, "lab-share"],
            Replace,
            Neutral,
        )
        .before(json!({"username": "labshare", "policies": {"token": "s3cr3t-live"}}))
        .after(json!({"username": "lab-share", "policies": {"token": "s3cr3t-desired"}}))
        .field("username", json!("labshare"), json!("lab-share"))
        .field(
            "policies",
            json!({"token": "s3cr3t-live"}),
            json!({"token": "s3cr3t-desired"}),
        )
        .at("policies/lab/collections.yaml", 7),
        C::new(
            accord::services::groups::MEMBER,
            &["lab-admins", &id(ERIN)],
            Delete,
            Revoke,
        )
        .before(json!({"role": "member", "status": "active"}))
        .label(&id(ERIN), "erin")
        .reason("not in policy; members of lab-admins are authoritative")
        .at(groups, 1),
        C::new(
            accord::services::transfer::ACL,
            &[ENDPOINT, "/disthome/carol/", &id(CAROL)],
            Delete,
            Revoke,
        )
        .before(json!({"permissions": "rw"}))
        .label(&id(CAROL), "carol@uni.edu")
        .reason(&format!(
            "not in policy; /disthome/ on {}… is authoritative",
            &ENDPOINT[..8]
        )),
        C::new(
            accord::services::transfer::ACL,
            &[ENDPOINT, "/disthome/frank/", &id(FRANK)],
            Delete,
            Revoke,
        )
        .before(json!({"permissions": "r", "expires": "2026-01-01T00:00:00Z"}))
        .label(&id(FRANK), "frank")
        .reason("expired 2026-01-01T00:00:00Z")
        .at(shares, 12),
    ]
    .into_iter()
    .map(|c| c.0)
    .collect::<Vec<_>>();
    let steps = vec![
        Step {
            changes: vec![0],
            batch: None,
            depends_on: vec![],
        },
        Step {
            changes: vec![1, 2],
            batch: Some("globus.member lab-readers add".into()),
            depends_on: vec![0],
        },
        Step {
            changes: vec![3],
            batch: Some("globus.member lab-admins add".into()),
            depends_on: vec![],
        },
        Step {
            changes: vec![4],
            batch: None,
            depends_on: vec![],
        },
        Step {
            changes: vec![5],
            batch: None,
            depends_on: vec![],
        },
        Step {
            changes: vec![6],
            batch: None,
            depends_on: vec![4],
        },
        Step {
            changes: vec![7],
            batch: None,
            depends_on: vec![0],
        },
        Step {
            changes: vec![8],
            batch: None,
            depends_on: vec![],
        },
        Step {
            changes: vec![9],
            batch: Some("globus.member lab-admins remove".into()),
            depends_on: vec![1, 2, 5, 6],
        },
        Step {
            changes: vec![10],
            batch: None,
            depends_on: vec![1, 2, 5, 6],
        },
        Step {
            changes: vec![11],
            batch: None,
            depends_on: vec![1, 2, 5, 6],
        },
    ];
    Plan {
        changes,
        steps,
        kept: vec![Kept {
            address: Address::new(accord::services::groups::MEMBER, ["lab-admins", &id(BOT)]),
            label: "accord-bot".into(),
            reason: "the running identity".into(),
        }],
        blocked: vec![Blocked {
            address: Address::new(accord::services::groups::MEMBER, ["lab-readers", &id(GINA)]),
            label: "gina".into(),
            reason: "the identity left the group and cannot be re-added".into(),
            provenance: at(groups, 11),
        }],
        pending: vec![Pending {
            address: Address::new(accord::services::groups::MEMBER, ["lab-readers", &id(HANK)]),
            label: "hank@uni.edu".into(),
            status: "invited".into(),
        }],
        access: AccessSummary {
            grants: vec![
                "alice: member of lab-readers".into(),
                "dan@uni.edu: admin of lab-readers".into(),
                "bob: admin of lab-admins".into(),
                "alice r /disthome/alice/".into(),
                "group:lab-readers rw /shared/".into(),
            ],
            escalations: vec![
                "dan@uni.edu: admin of lab-readers".into(),
                "bob: admin of lab-admins".into(),
                "group:lab-readers rw /shared/".into(),
            ],
            revocations: vec![
                "erin: member of lab-admins".into(),
                "carol@uni.edu rw /disthome/carol/".into(),
                "frank r /disthome/frank/".into(),
            ],
        },
        access_delta: rich_delta(),
        ..empty_plan()
    }
}

/// One entry of an access delta.
fn entry(
    principal: &str,
    label: Option<&str>,
    resource: &str,
    levels: (Option<&str>, Option<&str>),
    via: &[&str],
    escalation: Option<Escalation>,
) -> AccessEntry {
    // Resources parse by the prefixes their services register.
    accord::services::builtin();
    AccessEntry {
        principal: principal.into(),
        label: label.map(Into::into),
        resource: resource.parse().expect("a resource"),
        before: levels.0.map(Into::into),
        after: levels.1.map(Into::into),
        via: via.iter().map(|v| v.to_string()).collect(),
        escalation,
    }
}

/// Every kind of access-delta line: escalations of each reason (through a group, a role,
/// a grant to everyone), a gain by two routes, a raise from `r`, an unlabelled principal,
/// a partial loss and losses through a group.
fn rich_delta() -> AccessDelta {
    let path = |p: &str| format!("transfer:{ENDPOINT}:{p}");
    AccessDelta {
        gains: vec![
            entry(
                "all_authenticated_users",
                None,
                &path("/public/"),
                (None, Some("r")),
                &["direct"],
                Some(Escalation::Everyone),
            ),
            entry(
                &id(ALICE),
                Some("alice"),
                &path("/shared/"),
                (Some("r"), Some("rw")),
                &["direct", "group:lab-readers"],
                Some(Escalation::NewRw),
            ),
            entry(
                &id(BOB),
                Some("bob"),
                "group:lab-admins",
                (Some("manager"), Some("admin")),
                &["direct"],
                Some(Escalation::NewAdmin),
            ),
            entry(
                &id(DAN),
                Some("dan@uni.edu"),
                &path("/shared/"),
                (None, Some("rw")),
                &["group:lab-readers"],
                Some(Escalation::NewRw),
            ),
            entry(
                &id(ALICE),
                Some("alice"),
                &path("/disthome/alice/"),
                (None, Some("r")),
                &["direct"],
                None,
            ),
            entry(
                &id(BOT),
                None,
                &path("/reports/"),
                (None, Some("r")),
                &["group:lab-readers"],
                None,
            ),
        ],
        losses: vec![
            entry(
                &id(CAROL),
                Some("carol@uni.edu"),
                &path("/disthome/carol/"),
                (Some("rw"), Some("r")),
                &["direct"],
                None,
            ),
            entry(
                &id(ERIN),
                Some("erin"),
                "group:lab-admins",
                (Some("member"), None),
                &["direct"],
                None,
            ),
            entry(
                &id(ERIN),
                Some("erin"),
                &path("/projects/"),
                (Some("r"), None),
                &["group:lab-admins"],
                None,
            ),
        ],
    }
}

/// A plan two rails refuse: members of one group removed past the share limit, and a
/// collection holding data destroyed. One unrelated removal stays unmarked.
fn refused_plan() -> Plan {
    use Action::*;
    use Direction::*;
    let groups = "policies/lab/groups.yaml";
    let members = [(ALICE, "alice"), (BOB, "bob"), (CAROL, "carol@uni.edu")];
    let mut changes: Vec<Change> = members
        .iter()
        .map(|(uuid, name)| {
            C::new(
                accord::services::groups::MEMBER,
                &["lab-readers", &id(uuid)],
                Delete,
                Revoke,
            )
            .before(json!({"role": "member", "status": "active"}))
            .label(&id(uuid), name)
            .reason("not in policy; members of lab-readers are authoritative")
            .at(groups, 7)
            .0
        })
        .collect();
    changes.insert(
        0,
        C::new(
            accord::services::groups::MEMBER,
            &["lab-readers", &id(DAN)],
            Create,
            Grant,
        )
        .after(json!({"role": "member"}))
        .label(&id(DAN), "dan@uni.edu")
        .at(groups, 9)
        .0,
    );
    changes.push(
        C::new(
            accord::services::gcs::COLLECTION,
            &[GCS, "lab-share"],
            Delete,
            Neutral,
        )
        .before(json!({"display_name": "Lab share", "collection_base_path": "/lab/"}))
        .reason("tombstone (absent: true)")
        .at("policies/lab/collections.yaml", 2)
        .0,
    );
    changes.push(
        C::new(
            accord::services::transfer::ACL,
            &[ENDPOINT, "/disthome/frank/", &id(FRANK)],
            Delete,
            Revoke,
        )
        .before(json!({"permissions": "r"}))
        .label(&id(FRANK), "frank")
        .reason("expired 2026-01-01T00:00:00Z")
        .0,
    );
    let steps = (0..changes.len())
        .map(|i| Step {
            changes: vec![i],
            batch: None,
            depends_on: if i == 0 { vec![] } else { vec![0] },
        })
        .collect();
    Plan {
        changes,
        steps,
        violations: vec![
            Violation {
                rail: "max_delete_share".into(),
                message: "removes 3 of 10 members of lab-readers (30%, limit 25%)".into(),
                address: Some(Address::new(
                    accord::services::groups::GROUP,
                    ["lab-readers"],
                )),
            },
            Violation {
                rail: "prevent_destroy".into(),
                message: "gcs.collection lab-share holds data and may not be destroyed".into(),
                address: Some(Address::new(
                    accord::services::gcs::COLLECTION,
                    [GCS, "lab-share"],
                )),
            },
        ],
        access: AccessSummary {
            grants: vec!["dan@uni.edu: member of lab-readers".into()],
            escalations: vec![],
            revocations: vec![
                "alice: member of lab-readers".into(),
                "bob: member of lab-readers".into(),
                "carol@uni.edu: member of lab-readers".into(),
                "frank r /disthome/frank/".into(),
            ],
        },
        ..empty_plan()
    }
}

fn settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_snapshot_path("../snapshots");
    s.set_prepend_module_to_snapshot(false);
    s
}

fn plain() -> RenderOptions {
    RenderOptions {
        color: false,
        verbose: false,
    }
}

/// Escapes shown visibly, so the coloured snapshot is readable and diffable.
fn visible_escapes(s: &str) -> String {
    s.replace('\x1b', "\\e")
}

fn validate(value: &Value) -> Result<(), String> {
    let schema = render::plan_schema();
    let validator = jsonschema::validator_for(&schema).expect("the plan schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(value)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors.join("\n"))
    }
}

fn snapshot_all(case: &str, plan: &Plan) {
    let text = render::text(plan, &plain());
    assert!(!text.contains('\x1b'), "no escapes without colour");
    let colored = render::text(
        plan,
        &RenderOptions {
            color: true,
            verbose: false,
        },
    );
    let md = render::markdown(plan, &plain());
    let json = render::json_string(plan);
    validate(&render::json(plan)).expect("the JSON output validates against the schema");
    settings().bind(|| {
        insta::assert_snapshot!(format!("render__{case}_text"), text);
        insta::assert_snapshot!(
            format!("render__{case}_text_color"),
            visible_escapes(&colored)
        );
        insta::assert_snapshot!(format!("render__{case}_markdown"), md);
        insta::assert_snapshot!(format!("render__{case}_json"), json);
    });
}

#[test]
fn rich_plan_renders() {
    snapshot_all("rich", &rich_plan());
}

#[test]
fn refused_plan_renders_in_full_with_violations() {
    let plan = refused_plan();
    snapshot_all("refused", &plan);
    let text = render::text(&plan, &plain());
    // The plan is still shown whole, above the refusal.
    let refused_at = text.find("REFUSED:").expect("a REFUSED block");
    for label in render::change_labels(&plan) {
        let at = text.find(&label).unwrap_or_else(|| panic!("{label} shown"));
        assert!(at < refused_at);
    }
    // Only the changes a rail is about are marked.
    let marked: Vec<&str> = text.lines().filter(|l| l.starts_with('!')).collect();
    assert_eq!(marked.len(), 4, "{text}");
    assert!(
        !marked
            .iter()
            .any(|l| l.contains("frank") || l.contains("dan"))
    );
    assert!(render::markdown(&plan, &plain()).contains("⛔ Plan refused"));
}

#[test]
fn empty_plan_renders() {
    let plan = empty_plan();
    snapshot_all("empty", &plan);
    let text = render::text(&plan, &plain());
    assert!(text.ends_with("No changes. The live state matches the policy.\n"));
    assert!(!text.contains("Plan:"));
}

#[test]
fn verbose_text_shows_addresses_and_all_fields() {
    let plan = rich_plan();
    let out = render::text(
        &plan,
        &RenderOptions {
            color: false,
            verbose: true,
        },
    );
    settings().bind(|| insta::assert_snapshot!("render__rich_text_verbose", out));
    for c in &plan.changes {
        assert!(out.contains(&format!("address: {}", c.address)));
    }
}

#[test]
fn colour_only_when_asked() {
    let plan = rich_plan();
    let colored = render::text(
        &plan,
        &RenderOptions {
            color: true,
            verbose: false,
        },
    );
    assert!(colored.contains("\x1b[32m+\x1b[0m"));
    assert!(colored.contains("\x1b[31m-\x1b[0m"));
    assert!(colored.contains("\x1b[33m~\x1b[0m"));
    // Stripping the escapes gives exactly the plain text: colour never moves a column.
    let stripped = strip_ansi(&colored);
    assert_eq!(stripped, render::text(&plan, &plain()));
}

#[test]
fn with_colour_the_only_escapes_are_accords_own() {
    let mut plan = rich_plan();
    plan.target.description = "demo\u{202e} (embedded)".into();
    plan.changes[1]
        .labels
        .insert(id(ALICE), "alice\x1b]0;pwned\x07\x1b[2J".into());
    plan.changes[2].provenance = at("p\x1b[8m.yaml", 3);
    plan.kept[0].reason.push_str("\u{9b}31m\r");
    let colored = render::text(
        &plan,
        &RenderOptions {
            color: true,
            verbose: false,
        },
    );
    let ours = [
        "\x1b[32m",
        "\x1b[33m",
        "\x1b[31m",
        "\x1b[1;31m",
        "\x1b[1m",
        "\x1b[0m",
    ];
    for (i, _) in colored.match_indices('\x1b') {
        assert!(
            ours.iter().any(|o| colored[i..].starts_with(o)),
            "an escape accord did not write: {:?}",
            &colored[i..(i + 12).min(colored.len())]
        );
    }
    let stripped = strip_ansi(&colored);
    common::assert_inert("the plan without accord's colours", &stripped);
    for shown in [
        "alice\\u{1b}]0;pwned\\u{7}\\u{1b}[2J",
        "p\\u{1b}[8m.yaml:3",
        "\\u{9b}31m\\u{d}",
        "demo\\u{202e} (embedded)",
    ] {
        assert!(stripped.contains(shown), "`{shown}` not in:\n{stripped}");
    }
}

fn strip_ansi(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            for c in chars.by_ref() {
                if c == 'm' {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[test]
fn secrets_never_reach_any_rendering() {
    let plan = rich_plan();
    let outputs = [
        render::text(&plan, &plain()),
        render::text(
            &plan,
            &RenderOptions {
                color: true,
                verbose: true,
            },
        ),
        render::markdown(
            &plan,
            &RenderOptions {
                color: false,
                verbose: true,
            },
        ),
        render::json_string(&plan),
        render::json(&plan).to_string(),
    ];
    for out in outputs {
        assert!(!out.contains("s3cr3t"), "{out}");
    }
    assert!(render::json_string(&plan).contains("(sensitive)"));
}

#[test]
fn json_puts_format_version_first_and_round_trips() {
    accord::services::builtin();
    let plan = rich_plan();
    let s = render::json_string(&plan);
    assert!(s.starts_with("{\n  \"format_version\": 1,"), "{s}");
    let back: Plan = serde_json::from_str(&s).unwrap();
    assert_eq!(back, render::redact(&plan).into_owned());
    assert_eq!(back.steps, plan.steps);
}

#[test]
fn schema_rejects_broken_plans() {
    let schema = render::plan_schema();
    assert_eq!(schema["title"], "accord plan");
    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    assert!(schema.get("$id").is_none());

    let good = render::json(&rich_plan());
    validate(&good).unwrap();

    let mut bad_action = good.clone();
    bad_action["changes"][0]["action"] = json!("explode");
    assert!(validate(&bad_action).is_err());

    let mut missing = good.clone();
    missing.as_object_mut().unwrap().remove("changes");
    assert!(validate(&missing).is_err());

    let mut bad_address = good.clone();
    bad_address["changes"][1]["address"] = json!("not an address");
    assert!(validate(&bad_address).is_err());

    let mut bad_version = good;
    bad_version["format_version"] = json!("one");
    assert!(validate(&bad_version).is_err());
}

#[test]
fn counts_replace_as_add_and_remove() {
    let counts = render::Counts::of(&rich_plan());
    assert_eq!(
        counts.summary(),
        "Plan: 6 to add, 3 to change, 4 to remove."
    );
}

#[test]
fn access_delta_lists_every_escalation_and_caps_the_rest_unless_verbose() {
    let mut plan = rich_plan();
    let path = format!("transfer:{ENDPOINT}:/bulk/");
    plan.access_delta.gains = (0..13u128)
        .map(|n| {
            let who = format!("identity:{}", uuid::Uuid::from_u128(n + 1));
            entry(&who, None, &path, (None, Some("r")), &["direct"], None)
        })
        .chain(std::iter::once(entry(
            "anonymous",
            None,
            &path,
            (None, Some("r")),
            &["direct"],
            Some(Escalation::Everyone),
        )))
        .collect();
    let text = render::text(&plan, &plain());
    let gains = text.lines().filter(|l| l.contains(" gains ")).count();
    assert_eq!(gains, 11, "the escalation and 10 others:\n{text}");
    assert!(
        text.contains("anonymous gains r on e56c36e4… /bulk/"),
        "{text}"
    );
    assert!(text.contains("  … and 3 more\n"), "{text}");
    let md = render::markdown(&plan, &plain());
    // The comment lists every row (it summarises only past its character budget).
    assert_eq!(md.matches("| **+** gains |").count(), 13, "{md}");
    assert!(
        md.contains("| — | anonymous | `none → r` on `e56c36e4… /bulk/` | grant to everyone |"),
        "{md}"
    );
    let verbose = render::text(
        &plan,
        &RenderOptions {
            color: false,
            verbose: true,
        },
    );
    assert_eq!(
        verbose.lines().filter(|l| l.contains(" gains ")).count(),
        14
    );
    assert!(!verbose.contains("more\n"));
}
