//! What the Boss refuses that a loaded policy already shows: a resource declared under a
//! tombstoned parent (the Boss deletes an experiment or collection only once it is empty:
//! 400 4003), and a channel's `sources`/`related` naming itself, a tombstoned channel, or
//! one channel in both lists (400 1003, or 4003 when the tombstoned source is deleted).

use super::{BossLevel, BossPolicy, BossResourcePolicy};
use crate::policy::diagnostics::codes;
use crate::policy::{PolicyDiagnostic, SourceFile};

/// A channel's `sources` or `related` the Boss refuses.
pub const CHANNEL_LINK: &str = "accord::policy::boss_channel_link";

/// The parent path of a resource path (`C/E` of `C/E/CH`).
pub fn parent(path: &str) -> Option<&str> {
    path.rsplit_once('/').map(|(p, _)| p)
}

/// The diagnostics of every Boss resource of the merged `boss:`.
pub fn policy(files: &[SourceFile], boss: &BossPolicy) -> Vec<PolicyDiagnostic> {
    let mut out = Vec::new();
    for r in boss.resources.values().filter(|r| !r.absent) {
        if let Some(p) = parent(&r.path)
            .and_then(|p| boss.resources.get(p))
            .filter(|p| p.absent)
        {
            out.push(under_tombstone(files, r, p));
        }
        if r.level == BossLevel::Channel {
            out.extend(links(files, boss, r));
        }
    }
    out
}

/// A resource declared under a parent marked `absent: true`.
fn under_tombstone(
    files: &[SourceFile],
    r: &BossResourcePolicy,
    p: &BossResourcePolicy,
) -> PolicyDiagnostic {
    let (level, parent_level) = (r.level.word(), p.level.word());
    PolicyDiagnostic::new(
        codes::ABSENT_WITH_CONTENT,
        files,
        &r.origin,
        format!(
            "Boss {level} `{}` is declared in {parent_level} `{}`, which is marked `absent: true`",
            r.path, p.path
        ),
    )
    .with_label(format!("{level} of a deleted {parent_level}"))
    .also_at(files, &p.origin, "marked absent here")
    .with_help(format!(
        "the Boss deletes a {parent_level} only once it holds no {level} (400 4003): mark this {level} `absent: true` too, or keep the {parent_level}"
    ))
}

/// The diagnostics of one channel's `sources` and `related`.
fn links(files: &[SourceFile], boss: &BossPolicy, r: &BossResourcePolicy) -> Vec<PolicyDiagnostic> {
    let mut out = Vec::new();
    let (experiment, name) = r.path.rsplit_once('/').unwrap_or(("", &r.path));
    let diag = |at, msg: String, label: &str| {
        PolicyDiagnostic::new(CHANNEL_LINK, files, at, msg).with_label(label.to_string())
    };
    for (field, names) in &r.links {
        for n in names {
            let what = format!("`{}` in `{field}` of Boss channel `{}`", n.value, r.path);
            if n.value == name {
                out.push(
                    diag(&n.origin, format!("{what} is the channel itself"), "itself")
                        .with_help("a channel's sources and related channels are other channels of its experiment"),
                );
            } else if let Some(t) = boss
                .resources
                .get(&format!("{experiment}/{}", n.value))
                .filter(|t| t.absent)
            {
                out.push(
                    diag(&n.origin, format!("{what} is marked `absent: true`, which accord deletes"), "a deleted channel")
                        .also_at(files, &t.origin, "marked absent here")
                        .with_help("the Boss refuses a link to a deleted channel, and the deletion of a channel still a source (400 4003): remove the link, or keep the channel"),
                );
            }
        }
    }
    let sources = r.links.get("sources").into_iter().flatten();
    for s in sources {
        let related = r.links.get("related").into_iter().flatten();
        if let Some(again) = related.into_iter().find(|x| x.value == s.value) {
            out.push(
                diag(
                    &again.origin,
                    format!(
                        "`{}` is both a source and a related channel of Boss channel `{}`",
                        s.value, r.path
                    ),
                    "also a source",
                )
                .also_at(files, &s.origin, "source here")
                .with_help(
                    "the Boss takes a channel in `sources` or in `related`, not in both (400 1003)",
                ),
            );
        }
    }
    out
}
