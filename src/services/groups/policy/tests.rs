//! `groups:` merged across files.

use super::GroupsPolicy;
use crate::policy::validate::merge_tests::check;

#[test]
fn a_group_spreads_over_files() {
    let (p, errs) = check(&[
        (
            "a.yaml",
            "groups:\n  lab:\n    description: Lab\n    policies: { group_visibility: private }\n",
        ),
        (
            "b.yaml",
            "groups:\n  lab:\n    members: { a@b.org: member }\n    policies: { join_requests: true }\n",
        ),
    ]);
    assert!(errs.is_empty(), "{errs:?}");
    let lab = &p.section::<GroupsPolicy>().unwrap().groups["lab"];
    assert_eq!(lab.description.as_ref().unwrap().value, "Lab");
    assert_eq!(lab.members.len(), 1);
    let pol = &lab.policies.as_ref().unwrap().value;
    assert_eq!(pol.group_visibility.as_deref(), Some("private"));
    assert_eq!(pol.join_requests, Some(true));
    assert_eq!(&*lab.origin.path, std::path::Path::new("a.yaml"));
}
#[test]
fn a_leaf_defined_twice_cites_both_places() {
    let (_, errs) = check(&[
        (
            "a.yaml",
            "groups:\n  lab:\n    members: { a@b.org: member }\n",
        ),
        (
            "b.yaml",
            "groups:\n  lab:\n    members:\n      a@b.org: admin\n",
        ),
    ]);
    assert_eq!(
        errs,
        ["b.yaml:4:7: member `a@b.org` of group `lab` is defined twice (see also a.yaml:3:16)"]
    );
    let (_, errs) = check(&[
        (
            "a.yaml",
            "groups:\n  lab:\n    policies: { join_requests: true }\n",
        ),
        (
            "b.yaml",
            "groups:\n  lab:\n    policies: { join_requests: false }\n",
        ),
    ]);
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(errs[0].contains("`policies.join_requests` of group `lab` is defined twice"));
}
