//! `endpoints:` merged across files.

use super::EndpointsPolicy;
use crate::policy::validate::merge_tests::check;

#[test]
fn acl_rules_are_keyed_by_principal_and_path() {
    let ep = "e56c36e4-1063-11e6-a747-22000bf2d559";
    let (p, errs) = check(&[
        (
            "a.yaml",
            &format!(
                "identities: {{ alice: alice@uni.edu }}\nendpoints:\n  {ep}:\n    acl:\n      - {{ principal: alice, path: /a/, permissions: r }}\n"
            ),
        ),
        (
            "b.yaml",
            &format!(
                "endpoints:\n  {ep}:\n    acl:\n      - {{ principal: alice, path: /b/, permissions: rw }}\n      - {{ principal: alice@UNI.edu, path: /a/, permissions: r }}\n"
            ),
        ),
    ]);
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(
        errs[0].contains("`alice@UNI.edu` and `alice` are the same principal"),
        "{errs:?}"
    );
    assert!(errs[0].contains("see also a.yaml:5:22"), "{errs:?}");
    let endpoints = &p.section::<EndpointsPolicy>().unwrap().endpoints;
    assert_eq!(endpoints.values().next().unwrap().acl.len(), 2);
}
