//! One `who` or `what` answer's chains drawn as a graph: principal → group → resource, each
//! edge labelled with the level it grants and its policy line. Past [`MAX_EDGES`] edges the
//! members of each group are summarised into the group's node (`group lab-members (12
//! members)`) instead of each drawn. Rendered as Mermaid (which GitHub draws in markdown),
//! Graphviz dot, or markdown embedding the Mermaid block and the text answer. Node ids are
//! `n0`, `n1`, …; every label is escaped for its language.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;

use super::markdown::cell;
use super::{link_level, link_origin};
use crate::escape::escape_markup;
use crate::plan::access::query::Answer;

/// Past this many edges, the members of each group are summarised.
pub const MAX_EDGES: usize = 40;

/// What a node stands for, which sets its style.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeKind {
    /// A principal holding access.
    Principal,
    /// Everyone (`public`, `anonymous`, `all_authenticated_users`).
    Everyone,
    /// A managed group that a chain passes through.
    Group,
    /// A resource access is on.
    Resource,
}

/// A node: its key (a principal or resource, canonical), label and kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    /// The principal or resource it stands for.
    pub key: String,
    /// For people.
    pub label: String,
    /// What it stands for.
    pub kind: NodeKind,
}

/// An edge between two nodes (by index), labelled for people.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Edge {
    /// The node it leaves.
    pub from: usize,
    /// The node it reaches.
    pub to: usize,
    /// The level and where it comes from: `r · shares.yaml:7`.
    pub label: String,
    /// Whether it is a membership leading into a group a later link grants through.
    member: bool,
}

/// The graph of one answer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Graph {
    /// Its nodes, in the order first met.
    pub nodes: Vec<Node>,
    /// Its edges, each once.
    pub edges: Vec<Edge>,
    /// The groups whose members were summarised, with how many members each has.
    pub summarised: BTreeMap<String, usize>,
    /// Each node's index by its key, and each edge's by its ends and label: answers with
    /// thousands of members are not searched for each.
    index: HashMap<String, usize>,
    edge_index: HashMap<(usize, usize, String), usize>,
}

impl Graph {
    /// The node keyed `key`, added if new.
    fn node(&mut self, key: &str, label: &str, kind: NodeKind) -> usize {
        if let Some(&i) = self.index.get(key) {
            if kind == NodeKind::Group && self.nodes[i].kind == NodeKind::Resource {
                self.nodes[i].kind = NodeKind::Group;
            }
            return i;
        }
        self.nodes.push(Node {
            key: key.to_string(),
            label: label.to_string(),
            kind,
        });
        self.index.insert(key.to_string(), self.nodes.len() - 1);
        self.nodes.len() - 1
    }

    /// Adds an edge unless it is there.
    fn edge(&mut self, from: usize, to: usize, label: String, member: bool) {
        // One edge per pair and label: a membership drawn for itself and on the way to a
        // group's grant is one edge.
        match self.edge_index.get(&(from, to, label.clone())) {
            Some(&i) => self.edges[i].member |= member,
            None => {
                self.edge_index
                    .insert((from, to, label.clone()), self.edges.len());
                self.edges.push(Edge {
                    from,
                    to,
                    label,
                    member,
                });
            }
        }
    }

    /// The graph of `answer`'s chains, members summarised per group past [`MAX_EDGES`].
    pub fn of(answer: &Answer) -> Graph {
        let mut g = Graph::default();
        for h in &answer.holdings {
            let kind = if h.everyone {
                NodeKind::Everyone
            } else {
                NodeKind::Principal
            };
            let holder = g.node(
                &h.principal,
                h.label.as_deref().unwrap_or(&h.principal),
                kind,
            );
            for c in &h.chains {
                let mut from = holder;
                for (i, l) in c.links.iter().enumerate() {
                    let through = i + 1 < c.links.len();
                    let kind = if through {
                        NodeKind::Group
                    } else {
                        NodeKind::Resource
                    };
                    let to = g.node(&l.to, &l.label, kind);
                    let mut label = format!("{} · {}", link_level(l), link_origin(l));
                    if let Some(e) = &l.expires {
                        let state = if l.expired { "expired" } else { "expires" };
                        let _ = write!(label, " · {state} {e}");
                    }
                    g.edge(from, to, label, through);
                    from = to;
                }
                // `who`: the resource granted covers the one asked (a folder, a path in it).
                if answer.question == "who" && c.links.last().is_some_and(|l| l.to != h.resource) {
                    let asked = g.node(&h.resource, &h.resource_label, NodeKind::Resource);
                    g.edge(from, asked, "covers".into(), false);
                }
            }
        }
        if g.nodes.is_empty() && !answer.subject.is_empty() {
            let kind = if answer.question == "who" {
                NodeKind::Resource
            } else {
                NodeKind::Principal
            };
            g.node(&answer.subject, &answer.subject, kind);
        }
        if g.edges.len() > MAX_EDGES {
            g.summarise();
        }
        g
    }

    /// Draws the members of the largest groups (two members or more) as a count on the
    /// group's node instead of an edge each, until [`MAX_EDGES`] edges are left or no group
    /// is; drops the nodes left with no edge.
    fn summarise(&mut self) {
        let mut members: BTreeMap<usize, BTreeSet<usize>> = BTreeMap::new();
        for e in self.edges.iter().filter(|e| e.member) {
            members.entry(e.to).or_default().insert(e.from);
        }
        // The largest groups first, until the graph is small enough.
        let mut by_size: Vec<(usize, usize)> = members
            .iter()
            .filter(|(_, m)| m.len() > 1)
            .map(|(g, m)| (m.len(), *g))
            .collect();
        by_size.sort_by(|a, b| b.cmp(a));
        let mut left = self.edges.len();
        let mut chosen = BTreeSet::new();
        for (n, group) in by_size {
            if left <= MAX_EDGES {
                break;
            }
            chosen.insert(group);
            left -= n;
        }
        members.retain(|g, _| chosen.contains(g));
        self.edges
            .retain(|e| !(e.member && members.contains_key(&e.to)));
        for (group, m) in &members {
            let node = &mut self.nodes[*group];
            let n = m.len();
            node.label = format!(
                "{} ({n} member{})",
                node.label,
                if n == 1 { "" } else { "s" }
            );
            self.summarised.insert(node.key.clone(), n);
        }
        // Renumber the nodes still reached by an edge.
        let used: BTreeSet<usize> = self.edges.iter().flat_map(|e| [e.from, e.to]).collect();
        let mut index = BTreeMap::new();
        let nodes = std::mem::take(&mut self.nodes);
        for (i, n) in nodes.into_iter().enumerate() {
            if used.contains(&i) {
                index.insert(i, self.nodes.len());
                self.nodes.push(n);
            }
        }
        for e in &mut self.edges {
            e.from = index[&e.from];
            e.to = index[&e.to];
        }
        self.index = (self.nodes.iter().enumerate())
            .map(|(i, n)| (n.key.clone(), i))
            .collect();
        self.edge_index = (self.edges.iter().enumerate())
            .map(|(i, e)| ((e.from, e.to, e.label.clone()), i))
            .collect();
    }

    /// The graph as a Mermaid flowchart.
    pub fn mermaid(&self) -> String {
        let mut out = String::from("flowchart LR\n");
        for (i, n) in self.nodes.iter().enumerate() {
            let label = mermaid_text(&n.label);
            // Resources are rounded, groups are subroutine boxes, principals rectangles.
            let shape = match n.kind {
                NodeKind::Resource => format!("(\"{label}\")"),
                NodeKind::Group => format!("[[\"{label}\"]]"),
                NodeKind::Principal | NodeKind::Everyone => format!("[\"{label}\"]"),
            };
            let _ = writeln!(out, "  n{i}{shape}");
        }
        for e in &self.edges {
            let _ = writeln!(
                out,
                "  n{} -->|\"{}\"| n{}",
                e.from,
                mermaid_text(&e.label),
                e.to
            );
        }
        let classes = [
            (
                NodeKind::Everyone,
                "everyone",
                "fill:#fde8e8,stroke:#a4161a",
            ),
            (NodeKind::Group, "group", "fill:#eef3fc,stroke:#2b59c3"),
            (
                NodeKind::Resource,
                "resource",
                "fill:#eefaf2,stroke:#1f6f43",
            ),
        ];
        for (kind, class, style) in classes {
            let ids: Vec<String> = (0..self.nodes.len())
                .filter(|i| self.nodes[*i].kind == kind)
                .map(|i| format!("n{i}"))
                .collect();
            if !ids.is_empty() {
                let _ = writeln!(out, "  classDef {class} {style}");
                let _ = writeln!(out, "  class {} {class}", ids.join(","));
            }
        }
        out
    }

    /// The graph in Graphviz's dot language.
    pub fn dot(&self) -> String {
        let mut out = String::from(
            "digraph access {\n  rankdir=LR;\n  node [shape=box, style=\"rounded,filled\", \
             fillcolor=\"#ffffff\", fontname=\"Helvetica\"];\n  edge [fontname=\"Helvetica\", \
             fontsize=10];\n",
        );
        for (i, n) in self.nodes.iter().enumerate() {
            let style = match n.kind {
                NodeKind::Principal => "",
                NodeKind::Everyone => ", fillcolor=\"#fde8e8\"",
                NodeKind::Group => ", shape=box3d, fillcolor=\"#eef3fc\"",
                NodeKind::Resource => ", shape=folder, fillcolor=\"#eefaf2\"",
            };
            let _ = writeln!(out, "  n{i} [label=\"{}\"{style}];", dot_text(&n.label));
        }
        for e in &self.edges {
            let _ = writeln!(
                out,
                "  n{} -> n{} [label=\"{}\"];",
                e.from,
                e.to,
                dot_text(&e.label)
            );
        }
        out.push_str("}\n");
        out
    }
}

/// Text for a Mermaid label in double quotes: control characters escaped as `\u{…}`, and
/// every character Mermaid or the HTML it renders to would read as its own (`" # < > & |`,
/// backticks) as an entity code.
pub fn mermaid_text(s: &str) -> String {
    escape_markup(s, |c| match c {
        '"' => Some("#quot;"),
        '#' => Some("#35;"),
        '<' => Some("#lt;"),
        '>' => Some("#gt;"),
        '&' => Some("#amp;"),
        '|' => Some("#124;"),
        '`' => Some("#96;"),
        _ => None,
    })
}

/// Text for a dot string in double quotes: control characters escaped as `\u{…}`, then
/// backslashes and quotes behind a backslash (so `\N`, `\l` and the like stay text).
pub fn dot_text(s: &str) -> String {
    escape_markup(s, |c| match c {
        '\\' => Some("\\\\"),
        '"' => Some("\\\""),
        _ => None,
    })
}

/// A fence of backticks longer than any run of them in `text` (three at least).
fn fence(text: &str) -> String {
    let mut longest = 0;
    let mut run = 0;
    for c in text.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    "`".repeat((longest + 1).max(3))
}

/// One answer as markdown: a heading, the Mermaid block (GitHub draws it), and the text
/// answer.
pub fn markdown(answer: &Answer) -> String {
    let graph = Graph::of(answer);
    let subject = cell(&answer.subject);
    let mut out = match answer.question.as_str() {
        "who" => format!("### Who can reach {subject}\n\n"),
        _ => format!("### What {subject} can reach\n\n"),
    };
    out.push_str("```mermaid\n");
    out.push_str(&graph.mermaid());
    out.push_str("```\n\n");
    if !graph.summarised.is_empty() {
        let groups: Vec<String> = graph
            .summarised
            .iter()
            .map(|(g, n)| format!("{} ({n})", cell(g)))
            .collect();
        let _ = writeln!(
            out,
            "Members drawn as a count per group past {MAX_EDGES} edges: {}.\n",
            groups.join(", ")
        );
    }
    let text = answer.text();
    let fence = fence(&text);
    let _ = write!(out, "{fence}text\n{text}{fence}\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_escaped_for_each_language() {
        assert_eq!(
            mermaid_text("a \"b\" <c> | `d` & #e"),
            "a #quot;b#quot; #lt;c#gt; #124; #96;d#96; #amp; #35;e"
        );
        assert_eq!(dot_text("a \"b\" \\N"), "a \\\"b\\\" \\\\N");
        assert_eq!(dot_text("x\ny"), "x\\\\u{a}y");
    }

    #[test]
    fn a_fence_outruns_the_text() {
        assert_eq!(fence("plain"), "```");
        assert_eq!(fence("a ```` b"), "`````");
    }
}
