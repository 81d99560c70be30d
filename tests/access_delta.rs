//! The access delta end to end through the binary: who gains and who loses effective access,
//! through managed groups included, with escalations flagged, in text, markdown and JSON.

mod common;

use common::{run, snapshots, workspace};

/// The lab workspace plus a policy file that opens a path to everyone and gives a managed
/// group write access: both must be flagged, the second for each member of the group.
fn escalating_lab() -> (tempfile::TempDir, String) {
    let (tmp, ws) = workspace("policies/lab");
    std::fs::write(
        ws.join("open.yaml"),
        "endpoints:\n  e56c36e4-1063-11e6-a747-22000bf2d559:\n    acl:\n      \
         - { principal: anonymous, path: /public/, permissions: r }\n      \
         - { principal: group:lab-members, path: /scratch/, permissions: rw }\n",
    )
    .unwrap();
    let dir = ws.to_str().unwrap().to_string();
    (tmp, dir)
}

/// The `Effective access:` section of a text plan.
fn section(text: &str) -> String {
    let start = text
        .find("Effective access:")
        .expect("an Effective access section");
    let end = text[start..].find("\n\n").map_or(text.len(), |e| start + e);
    text[start..end].to_string()
}

#[test]
fn lab_plan_lists_gains_and_losses_through_groups() {
    let (_tmp, ws) = workspace("policies/lab");
    let (code, out, err) = run(&["plan", ws.to_str().unwrap()]);
    assert_eq!(code, 0, "stderr: {err}");
    let delta = section(&out);
    for needle in [
        // Through a group created in the same plan, and a membership created in it.
        "+ alice gains r on e56c36e4… /shared/ (via group:lab-readers)",
        "+ alice gains rw on e56c36e4… /disthome/alice/ (was r)",
        "⚠ escalation: new rw",
        "+ bob gains admin of group lab-admins (was manager)",
        "⚠ escalation: new admin",
        // Dave's expired membership takes the group's rule with it.
        "− dave loses member of group lab-members",
        "− dave loses r on e56c36e4… /projects/ (via group:lab-members)",
        "− carol@uni.edu loses rw on e56c36e4… /disthome/carol/",
    ] {
        assert!(delta.contains(needle), "missing `{needle}` in:\n{delta}");
    }
    // The section sits between the changes and the summary.
    let at = out.find("Effective access:").unwrap();
    assert!(out.find("+ globus.group lab-readers").unwrap() < at);
    assert!(at < out.find("\nAccess:").unwrap());
}

#[test]
fn escalations_are_flagged_in_text_markdown_and_json() {
    let (_tmp, dir) = escalating_lab();
    let (code, text, err) = run(&["plan", &dir]);
    assert_eq!(code, 0, "stderr: {err}");
    let (code, md, _) = run(&["plan", &dir, "--format", "markdown"]);
    assert_eq!(code, 0);
    let md_section = &md[md.find("#### Who gains").expect("a markdown section")..];
    let md_section = &md_section[..md_section
        .find("\n\n**Access:**")
        .unwrap_or(md_section.len())];
    snapshots().bind(|| {
        insta::assert_snapshot!("access_delta__escalations_text", section(&text));
        insta::assert_snapshot!("access_delta__escalations_markdown", md_section);
    });

    let (code, out, _) = run(&["plan", &dir, "--format", "json"]);
    assert_eq!(code, 0);
    let plan: serde_json::Value = serde_json::from_str(&out).unwrap();
    let schema_path = concat!(env!("CARGO_MANIFEST_DIR"), "/schemas/plan.schema.json");
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(schema_path).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    assert!(
        validator.is_valid(&plan),
        "the plan validates against the schema"
    );
    let gains = plan["access_delta"]["gains"].as_array().unwrap();
    let on = |resource_end: &str| -> Vec<&serde_json::Value> {
        gains
            .iter()
            .filter(|g| g["resource"].as_str().unwrap().ends_with(resource_end))
            .collect()
    };
    let public = on(":/public/");
    assert_eq!(public.len(), 1);
    assert_eq!(public[0]["principal"], "anonymous");
    assert_eq!(public[0]["escalation"], "everyone");
    // Every active member of lab-members gains rw on /scratch/: alice and the accord
    // client (its admin); dave's expired membership is revoked by the same plan.
    let scratch = on(":/scratch/");
    assert_eq!(scratch.len(), 2, "{scratch:#?}");
    for g in scratch {
        assert_eq!(g["via"], serde_json::json!(["group:lab-members"]));
        assert_eq!(g["escalation"], "new_rw");
        assert_eq!(g["after"], "rw");
    }
    assert!(
        plan["access_delta"]["losses"]
            .as_array()
            .unwrap()
            .iter()
            .all(|l| l["escalation"].is_null())
    );
}
