//! `flows:` validated and merged across files: ids, special principals, every principal form,
//! lists written twice; the summary and the object count.

use crate::policy::PolicySection;
use crate::policy::validate::merge_tests::check;

const F: &str = "2f3a0000-0000-4000-8000-000000000001";

fn one(text: &str) -> Vec<String> {
    check(&[("p.yaml", text)]).1
}

#[test]
fn every_principal_form_is_accepted() {
    let errs = one(&format!(
        "identities:\n  bob: bob@uni.edu\ngroups:\n  lab: {{}}\nflows:\n  {F}:\n    flow_administrators: [group:lab, bob]\n    flow_starters: [alice@uni.edu, all_authenticated_users]\n    flow_viewers: [public, urn:globus:auth:identity:a1a1a1a1-0000-4000-8000-000000000001]\n    run_managers: [group:9a000000-0000-4000-8000-000000000002, urn:globus:groups:id:9a000000-0000-4000-8000-000000000003]\n    run_monitors: [b0b0b0b0-0000-4000-8000-000000000002]\n"
    ));
    assert!(errs.is_empty(), "{errs:?}");
}

#[test]
fn a_flow_id_must_be_a_uuid() {
    let errs = one("flows:\n  my-flow:\n    flow_viewers: [public]\n");
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(
        errs[0].starts_with("p.yaml:2:3: flow id `my-flow` is not a UUID"),
        "{errs:?}"
    );
}

#[test]
fn special_principals_only_in_their_own_list() {
    let errs = one(&format!(
        "flows:\n  {F}:\n    flow_administrators: [public]\n    flow_starters: [public]\n    flow_viewers: [all_authenticated_users]\n    run_managers: [all_authenticated_users]\n    run_monitors: [anonymous]\n"
    ));
    assert_eq!(errs.len(), 5, "{errs:?}");
    let expect = [
        "p.yaml:3:27: `public` is not allowed in `flow_administrators` of flow",
        "p.yaml:4:21: `public` is not allowed in `flow_starters` of flow",
        "p.yaml:5:20: `all_authenticated_users` is not allowed in `flow_viewers` of flow",
        "p.yaml:6:20: `all_authenticated_users` is not allowed in `run_managers` of flow",
        "p.yaml:7:20: `anonymous` is not allowed in `run_monitors` of flow",
    ];
    for (e, want) in errs.iter().zip(expect) {
        assert!(e.starts_with(want), "{e}\nwanted {want}");
    }
}

#[test]
fn the_help_says_where_flows_takes_a_special_principal() {
    let (_, errs) = check(&[(
        "p.yaml",
        &format!("flows:\n  {F}:\n    flow_starters: [public]\n"),
    )]);
    // The rendered diagnostic carries the help.
    let text = render(&format!("flows:\n  {F}:\n    flow_starters: [public]\n"));
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(
        text.contains("Flows takes `public` only in `flow_viewers`"),
        "{text}"
    );
}

/// The diagnostics of one file with their help, as `accord validate` shows them.
fn render(text: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("accord.yaml"), "policies: [\"*.yaml\"]\n").unwrap();
    std::fs::write(dir.path().join("p.yaml"), text).unwrap();
    match crate::policy::load_workspace(dir.path(), &crate::services::builtin()) {
        Ok(_) => String::new(),
        Err(d) => format!("{d:?}"),
    }
}

#[test]
fn unknown_principals_and_groups_are_reported_where_written() {
    let errs = one(&format!(
        "flows:\n  {F}:\n    run_monitors: [carol, group:nope]\n"
    ));
    assert_eq!(errs.len(), 2, "{errs:?}");
    assert!(
        errs[0].starts_with("p.yaml:3:20: unknown principal `carol`"),
        "{errs:?}"
    );
    assert!(
        errs[1].starts_with("p.yaml:3:27: group `nope` is not declared"),
        "{errs:?}"
    );
}

#[test]
fn an_unknown_list_is_refused() {
    let text = render(&format!("flows:\n  {F}:\n    flow_owner: [bob@uni.edu]\n"));
    assert!(text.contains("line: 3, column: 5"), "{text}");
    assert!(text.contains("flow_owner"), "{text}");
}

#[test]
fn a_flow_merges_across_files_but_a_list_is_written_once() {
    let (policy, errs) = check(&[
        (
            "a.yaml",
            &format!("flows:\n  {F}:\n    flow_viewers: [public]\n"),
        ),
        (
            "b.yaml",
            &format!(
                "flows:\n  {F}:\n    flow_starters: [all_authenticated_users]\n    flow_viewers: []\n"
            ),
        ),
    ]);
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(
        errs[0].starts_with(&format!(
            "b.yaml:4:19: `flow_viewers` of flow `{F}` is defined twice"
        )),
        "{errs:?}"
    );
    let flows = &policy.section::<super::FlowsPolicy>().unwrap().flows;
    let lists: Vec<&str> = flows[F].lists.keys().copied().collect();
    assert_eq!(lists, ["flow_starters", "flow_viewers"]);
    // The first place wins.
    assert_eq!(flows[F].lists["flow_viewers"].value.len(), 1);
}

#[test]
fn one_person_twice_in_a_list_is_reported() {
    let errs = one(&format!(
        "identities:\n  bob: b0b0b0b0-0000-4000-8000-000000000002\nflows:\n  {F}:\n    run_managers: [bob, b0b0b0b0-0000-4000-8000-000000000002]\n"
    ));
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(errs[0].starts_with("p.yaml:5:25:"), "{errs:?}");
    assert!(errs[0].contains("same principal"), "{errs:?}");
}

#[test]
fn the_summary_counts_flows() {
    let (policy, errs) = check(&[(
        "p.yaml",
        &format!(
            "flows:\n  {F}:\n    flow_viewers: [public]\n  2f3a0000-0000-4000-8000-000000000002: {{}}\n"
        ),
    )]);
    assert!(errs.is_empty(), "{errs:?}");
    let s = policy
        .section::<super::FlowsPolicy>()
        .unwrap()
        .summary()
        .unwrap();
    assert_eq!(s.title, Some("Flows"));
    assert_eq!(s.counts, ["2 flow(s)"]);
    let (policy, _) = check(&[("p.yaml", "groups:\n  lab: {}\n")]);
    let none = policy.section::<super::FlowsPolicy>().unwrap().summary();
    assert_eq!(none, None, "no flow, no line");
}
