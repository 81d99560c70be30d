//! Boss names and permission sets.
use super::*;
#[test]
fn boss_names() {
    assert!(boss_name_ok("JHUAPL"));
    assert!(boss_name_ok("mouse17_frame-2"));
    assert!(!boss_name_ok(""));
    assert!(!boss_name_ok("a.b"));
    assert!(!boss_name_ok("a b"));
    assert!(!boss_name_ok(&"a".repeat(256)));
}

#[test]
fn sets_expand_through_nesting_and_cycles() {
    let o = Origin {
        file: 0,
        path: std::path::Path::new("p.yaml").into(),
        line: 1,
        column: 1,
        offset: 0,
        len: 1,
    };
    let mut sets = BTreeMap::new();
    sets.insert(
        "reader".to_string(),
        (
            o.clone(),
            vec![
                ("read".to_string(), o.clone()),
                ("writer".to_string(), o.clone()),
            ],
        ),
    );
    sets.insert(
        "writer".to_string(),
        (
            o.clone(),
            vec![
                ("reader".to_string(), o.clone()),
                ("update".to_string(), o.clone()),
            ],
        ),
    );
    let got = expand_set("writer", &sets);
    assert_eq!(got, ["read".to_string(), "update".to_string()].into());
}
