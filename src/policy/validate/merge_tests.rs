//! Merging across files, through the whole checker: [`check`] runs it over in-memory files
//! with the built-in services, for the services' own tests too.

use super::*;
use crate::policy::ast::PolicyFileSeed;
use serde::de::DeserializeSeed;

/// Parses in-memory files and runs the merge and checks over them, with the built-in
/// services.
pub(crate) fn check(files: &[(&str, &str)]) -> (Policy, Vec<String>) {
    let sources: Vec<SourceFile> = files
        .iter()
        .map(|(p, t)| SourceFile {
            path: std::path::Path::new(p).into(),
            text: t.to_string(),
        })
        .collect();
    let services = crate::services::builtin();
    let registry = Registry::new(&services);
    let parsed: Vec<(usize, ast::PolicyFile)> = sources
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let pf = serde_saphyr::with_deserializer_from_str(&f.text, |de| {
                PolicyFileSeed {
                    registry: &registry,
                }
                .deserialize(de)
            })
            .expect("valid YAML");
            (i, pf)
        })
        .collect();
    let refs: Vec<(usize, &ast::PolicyFile)> = parsed.iter().map(|(i, p)| (*i, p)).collect();
    let mut c = Checker::new(&sources, &registry);
    let policy = c.policy(&refs);
    (policy, c.diags.iter().map(|d| d.to_string()).collect())
}

#[test]
fn aliases_are_leaves_too() {
    let (_, errs) = check(&[
        ("a.yaml", "identities: { alice: alice@uni.edu }\n"),
        ("b.yaml", "identities: { alice: alice@other.edu }\n"),
    ]);
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(
        errs[0].starts_with("b.yaml:1:15: alias `alice` is defined twice"),
        "{errs:?}"
    );
}
