//! `search:` merged across files, with the groups it names.

use crate::policy::validate::merge_tests::check;

#[test]
fn references_see_tombstones_in_other_files() {
    let (_, errs) = check(&[
        ("a.yaml", "groups:\n  old: { absent: true }\n"),
        (
            "b.yaml",
            "search:\n  indexes:\n    4de2f3a1-5b7c-4d8e-9f0a-1b2c3d4e5f60:\n      roles: { admin: [group:old] }\n",
        ),
    ]);
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(
        errs[0].starts_with("b.yaml:4:24: `group:old` refers to a group marked `absent: true`"),
        "{errs:?}"
    );
    assert!(errs[0].contains("see also a.yaml:2:18"), "{errs:?}");
}
