//! What Search refuses that a loaded policy already shows: a subject over 500 bytes, more
//! than 100 `visible_to` values, and `public` or `all_authenticated_users` in a principal set
//! (Search takes only identity and group URNs there).

use std::collections::BTreeMap;

use super::super::{MAX_SUBJECT_BYTES, MAX_VISIBLE_TO};
use super::SearchIndexPolicy;
use crate::policy::diagnostics::codes;
use crate::policy::{PolicyDiagnostic, PrincipalRef, SourceFile};

/// The diagnostics of every Search document of the merged `indexes`.
pub fn policy(
    files: &[SourceFile],
    indexes: &BTreeMap<String, SearchIndexPolicy>,
) -> Vec<PolicyDiagnostic> {
    let mut out = Vec::new();
    for index in indexes.values() {
        for doc in index.documents.values() {
            let what = format!("document `{}` of Search index `{}`", doc.subject, index.id);
            if doc.subject.len() > MAX_SUBJECT_BYTES {
                out.push(
                    PolicyDiagnostic::new(
                        codes::INVALID_VALUE,
                        files,
                        &doc.origin,
                        format!(
                            "a subject of Search index `{}` is {} bytes long; Search takes at most {MAX_SUBJECT_BYTES}",
                            index.id,
                            doc.subject.len()
                        ),
                    )
                    .with_label("subject too long")
                    .with_help("Search refuses the ingest (400 ValidationError): use a shorter subject"),
                );
            }
            if let Some(v) = &doc.visible_to
                && v.value.len() > MAX_VISIBLE_TO
            {
                out.push(
                    PolicyDiagnostic::new(
                        codes::INVALID_VALUE,
                        files,
                        &v.origin,
                        format!(
                            "`visible_to` of {what} lists {} principals; Search takes at most {MAX_VISIBLE_TO}",
                            v.value.len()
                        ),
                    )
                    .with_label("too many principals")
                    .with_help("Search refuses the ingest (400 ValidationError): grant a group instead of its members"),
                );
            }
            let sets = doc.principal_sets.iter().flat_map(|s| s.value.iter());
            for (set, members) in sets {
                for p in members {
                    let literal = match p.value {
                        PrincipalRef::Public => "public",
                        PrincipalRef::AllAuthenticatedUsers => "all_authenticated_users",
                        _ => continue,
                    };
                    out.push(
                        PolicyDiagnostic::new(
                            codes::BAD_PRINCIPAL,
                            files,
                            &p.origin,
                            format!("`{literal}` is not allowed in principal set `{set}` of {what}"),
                        )
                        .with_label("not allowed here")
                        .with_help("a principal set takes identities and groups only; `public` and `all_authenticated_users` belong in `visible_to`"),
                    );
                }
            }
        }
    }
    out
}
