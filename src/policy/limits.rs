//! Limits on what a workspace may hold, so that bad or hostile input (a huge file, deep
//! nesting, a YAML alias bomb, millions of files) is refused with a clear diagnostic
//! instead of exhausting memory, stack or time. Every limit is here, in one place; the
//! README's policy format section lists them.
//!
//! The values leave real workspaces far inside: a 100,000-object workspace is about
//! 10 MB of YAML and 1,000,000 YAML nodes; a 1,000,000-object one fits with room to spare.

use std::cell::Cell;
use std::rc::Rc;

use serde_saphyr::budget::BudgetBreach;
use serde_saphyr::granit_parser::ErrorKind;
use serde_saphyr::{Error, ExternalMessageSource, Location};

use super::ast::PolicyFile;
use super::section::{FileSection, Registry};

/// Largest policy file (or `accord.yaml`), in bytes; refused before it is read.
pub const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// Largest workspace: the sum of its policy files' sizes, in bytes.
pub const MAX_WORKSPACE_BYTES: u64 = 256 * 1024 * 1024;

/// Most policy files a workspace's globs may select.
pub const MAX_FILES: usize = 10_000;

/// Deepest nesting of YAML lists and mappings in one file. The format itself nests at
/// most 10 levels (`boss.collections.C.experiments.E.channels.H.permissions.G: [..]`).
pub const MAX_DEPTH: usize = 32;

/// Most YAML nodes (scalars, lists and mappings, aliases expanded) across every file of a
/// workspace: the memory bound of parsing.
pub const MAX_YAML_NODES: usize = 40_000_000;

/// Most YAML events one file's aliases may replay: an alias bomb ("billion laughs") stops here.
pub const MAX_ALIAS_EXPANSION: usize = 100_000;

/// Most objects a workspace may declare: identities, groups, members, collections,
/// endpoints, ACL rules, directories, roles, documents, Boss groups, frames and resources
/// and every permission entry — each key or list item that becomes something accord manages.
/// Twice `bench/scale-objects`' largest workspace (1,000,000 managed objects and 105,000
/// identities), as the node limit is twice what that workspace parses to.
pub const MAX_OBJECTS: usize = 2_000_000;

/// The limits one load applies: [`Limits::DEFAULT`] (the constants above) everywhere but in
/// tests, which lower them to reach them cheaply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// [`MAX_FILE_BYTES`].
    pub file_bytes: u64,
    /// [`MAX_WORKSPACE_BYTES`].
    pub workspace_bytes: u64,
    /// [`MAX_FILES`].
    pub files: usize,
    /// [`MAX_DEPTH`].
    pub depth: usize,
    /// [`MAX_YAML_NODES`].
    pub yaml_nodes: usize,
    /// [`MAX_ALIAS_EXPANSION`].
    pub alias_expansion: usize,
    /// [`MAX_OBJECTS`].
    pub objects: usize,
}

impl Limits {
    /// The limits every workspace is loaded with.
    pub const DEFAULT: Limits = Limits {
        file_bytes: MAX_FILE_BYTES,
        workspace_bytes: MAX_WORKSPACE_BYTES,
        files: MAX_FILES,
        depth: MAX_DEPTH,
        yaml_nodes: MAX_YAML_NODES,
        alias_expansion: MAX_ALIAS_EXPANSION,
        objects: MAX_OBJECTS,
    };
}

impl Default for Limits {
    fn default() -> Self {
        Limits::DEFAULT
    }
}

/// The code of every limit diagnostic.
pub const CODE: &str = super::diagnostics::codes::LIMIT;

/// `n` with thousands separators: `1,000,000`.
pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A size in bytes for people: `16 MiB`, `16.5 MiB`, `812 KiB`, `35 bytes`.
pub fn human_bytes(n: u64) -> String {
    const KIB: u64 = 1024;
    const MIB: u64 = 1024 * 1024;
    let (unit, size) = if n >= MIB {
        ("MiB", MIB)
    } else if n >= KIB {
        ("KiB", KIB)
    } else {
        return format!("{n} bytes");
    };
    let whole = n / size;
    let tenth = (n % size) * 10 / size;
    if tenth == 0 {
        format!("{whole} {unit}")
    } else {
        format!("{whole}.{tenth} {unit}")
    }
}

/// The parser options for one file, given how many YAML nodes the workspace has left, and a
/// cell the parser sets to the nodes this file used.
pub(crate) fn yaml_options(
    limits: &Limits,
    nodes_left: usize,
    used: &Rc<Cell<usize>>,
) -> serde_saphyr::Options {
    let used = Rc::clone(used);
    let report: serde_saphyr::options::BudgetReportCallback = Rc::new(std::cell::RefCell::new(
        move |r: serde_saphyr::budget::BudgetReport| {
            used.set(r.nodes);
        },
    ));
    serde_saphyr::options! {
        budget: serde_saphyr::budget! {
            max_depth: limits.depth,
            flow_nesting_limit: limits.depth,
            max_nodes: nodes_left,
            // Every node is at most two events (start and end), plus the stream's own.
            max_events: nodes_left.saturating_mul(2).saturating_add(16),
            max_aliases: limits.alias_expansion,
            max_anchors: limits.alias_expansion,
            max_recorded_anchor_events: limits.alias_expansion,
            max_total_scalar_bytes: usize::try_from(limits.file_bytes).unwrap_or(usize::MAX),
            max_documents: 16,
            // One anchor used by many groups is fine: expansion is what the two limits above
            // bound, not the ratio of aliases to anchors.
            enforce_alias_anchor_ratio: false,
        },
        // Merges of merges cost time quadratic in their expansion, within any event budget.
        merge_keys: serde_saphyr::MergeKeyPolicy::Error,
        alias_limits: serde_saphyr::alias_limits! {
            max_total_replayed_events: limits.alias_expansion,
            max_replay_stack_depth: limits.depth,
        },
        budget_report_cb: Some(report),
    }
}

/// A parser error that is a limit breach (or a merge key, refused for the same reason).
pub(crate) struct Breach {
    /// [`CODE`], or the syntax code for a merge key.
    pub code: &'static str,
    /// What was over which limit.
    pub message: String,
    /// The text under the place.
    pub label: &'static str,
    /// What to do about it.
    pub help: String,
    /// Where the parser stopped.
    pub location: Location,
    /// A workspace-wide limit: loading stops, as every later file would breach it too.
    pub workspace: bool,
}

/// The breach a parser error stands for, or `None` for any other error. `nodes_budget` is
/// the node budget the file was parsed with.
pub(crate) fn breach(err: &Error, limits: &Limits, nodes_budget: usize) -> Option<Breach> {
    let mut e = err;
    while let Error::AliasError { error, .. } | Error::WithSnippet { error, .. } = e {
        e = error;
    }
    let alias_help = format!(
        "aliases (`*name`) may expand to at most {} YAML events per file; aliases of aliases \
         multiplying each other (an \"alias bomb\") are refused",
        thousands(limits.alias_expansion as u64)
    );
    let depth_help =
        "the policy format nests about 10 levels; look for runaway `[`, `{` or indentation";
    let split_help = "split the workspace: each workspace is planned and applied on its own";
    let mut workspace = false;
    let (message, help, location) = match e {
        Error::Budget { breach, location } => {
            let (m, h) = match breach {
                BudgetBreach::Depth { .. } => (
                    format!(
                        "YAML nested deeper than {} levels (the limit)",
                        limits.depth
                    ),
                    depth_help.to_string(),
                ),
                BudgetBreach::Nodes { .. } | BudgetBreach::Events { .. } => {
                    workspace = true;
                    let m = if nodes_budget < limits.yaml_nodes {
                        format!(
                            "the workspace's files hold more than {} YAML nodes (the limit, aliases expanded); this file crosses it",
                            thousands(limits.yaml_nodes as u64)
                        )
                    } else {
                        format!(
                            "this file holds more than {} YAML nodes (the limit per workspace, aliases expanded)",
                            thousands(limits.yaml_nodes as u64)
                        )
                    };
                    (m, split_help.to_string())
                }
                BudgetBreach::RecordedAnchorEvents { .. }
                | BudgetBreach::RecordedAnchorBytes { .. } => (
                    format!(
                        "aliases expand to more than {} YAML events (the limit per file)",
                        thousands(limits.alias_expansion as u64)
                    ),
                    alias_help.clone(),
                ),
                BudgetBreach::Aliases { .. }
                | BudgetBreach::Anchors { .. }
                | BudgetBreach::AliasAnchorRatio { .. } => (
                    format!(
                        "too many YAML anchors or aliases (the limit is {} per file)",
                        thousands(limits.alias_expansion as u64)
                    ),
                    alias_help,
                ),
                BudgetBreach::ScalarBytes { .. } | BudgetBreach::InputBytes { .. } => (
                    format!(
                        "this file's values add up to more than {} (the limit per file, aliases expanded)",
                        human_bytes(limits.file_bytes)
                    ),
                    alias_help,
                ),
                BudgetBreach::Documents { .. } => (
                    "too many YAML documents (`---`) in one file".to_string(),
                    "a policy file is one YAML document".to_string(),
                ),
                other => (
                    format!("YAML over a parsing limit: {other:?}"),
                    split_help.to_string(),
                ),
            };
            (m, h, *location)
        }
        Error::AliasReplayLimitExceeded { location, .. }
        | Error::AliasReplayCounterOverflow { location }
        | Error::AliasExpansionLimitExceeded { location, .. } => (
            format!(
                "aliases expand to more than {} YAML events (the limit per file)",
                thousands(limits.alias_expansion as u64)
            ),
            alias_help,
            *location,
        ),
        // The scanner runs ahead of the budget on flow collections (`[[[[…`).
        Error::ExternalMessage {
            source, location, ..
        } if matches!(
            source.as_ref(),
            ExternalMessageSource::Parser(scan) if matches!(scan.kind(), ErrorKind::RecursionLimitExceeded)
        ) =>
        {
            (
                format!(
                    "YAML nested deeper than {} levels (the limit)",
                    limits.depth
                ),
                depth_help.to_string(),
                *location,
            )
        }
        Error::AliasReplayStackDepthExceeded { location, .. } => (
            format!(
                "aliases nested deeper than {} levels (the limit)",
                limits.depth
            ),
            alias_help,
            *location,
        ),
        Error::MergeKeyNotAllowed { location } => {
            return Some(Breach {
                code: super::diagnostics::codes::SYNTAX,
                message: "YAML merge keys (`<<`) are not allowed in policy files".to_string(),
                help: "write the entries out, or use an alias for a whole value (`members: *admins`); \
                       merges of merges grow without bound"
                    .to_string(),
                location: *location,
                label: "merge key",
                workspace: false,
            });
        }
        _ => return None,
    };
    let label = if message.starts_with("aliases") {
        "being expanded through an alias when the limit was reached"
    } else {
        "over the limit"
    };
    Some(Breach {
        code: CODE,
        label,
        message,
        help,
        location,
        workspace,
    })
}

/// Counts the objects of parsed policy files against a limit ([`MAX_OBJECTS`]), and remembers where
/// the first object over the limit is written. Services count their own values
/// ([`ServicePolicy::count`](super::ServicePolicy::count)): each key or list item that becomes
/// something accord manages is one object.
pub struct ObjectCounter {
    /// The limit.
    max: usize,
    /// Objects counted so far.
    pub count: usize,
    /// Where the first object over the limit is, once there is one.
    pub over: Option<Location>,
}

impl ObjectCounter {
    /// A counter up to `max` objects.
    pub(crate) fn new(max: usize) -> Self {
        ObjectCounter {
            max,
            count: 0,
            over: None,
        }
    }

    /// Counts one object, written at `at`.
    pub fn one(&mut self, at: &Location) {
        self.count += 1;
        if self.count > self.max && self.over.is_none() {
            self.over = Some(*at);
        }
    }

    /// Counts one object per location.
    pub fn many<'a>(&mut self, items: impl IntoIterator<Item = &'a Location>) {
        for at in items {
            self.one(at);
        }
    }

    /// Counts one file's objects (its keys in the registry's order); returns where the first
    /// object over the limit is, if this file crosses it.
    pub(crate) fn file(
        &mut self,
        file: usize,
        pf: &PolicyFile,
        registry: &Registry<'_>,
    ) -> Option<Location> {
        if self.over.is_some() {
            return None;
        }
        self.many(pf.identities.iter().map(|(k, _)| &k.referenced));
        for (index, value) in &pf.sections {
            let section = FileSection::new(file, registry.keys[*index].0, &**value);
            registry.service_of(*index).count(&section, self);
        }
        self.over
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_numbers_and_sizes() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000), "1,000");
        assert_eq!(thousands(20_000_000), "20,000,000");
        assert_eq!(human_bytes(35), "35 bytes");
        assert_eq!(human_bytes(MAX_FILE_BYTES), "16 MiB");
        assert_eq!(human_bytes(MAX_FILE_BYTES + MAX_FILE_BYTES / 2), "24 MiB");
        assert_eq!(human_bytes(17 * 1024 * 1024 + 512 * 1024), "17.5 MiB");
        assert_eq!(human_bytes(2048), "2 KiB");
    }

    #[test]
    fn the_limits_leave_a_100k_object_workspace_inside() {
        // About 100 bytes and 10 nodes per object, and objects counted once each.
        const {
            assert!(100_000 * 100 * 10 <= MAX_WORKSPACE_BYTES);
            assert!(100_000 * 10 * 10 <= MAX_YAML_NODES);
            assert!(100_000 * 10 <= MAX_OBJECTS);
        }
    }
}
