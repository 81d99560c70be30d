//! Renderings of standing access: the review as HTML and markdown (`html`, `markdown`), and
//! one `who`/`what` answer's chains as a graph (`graph`: Mermaid, Graphviz dot, and markdown
//! embedding the Mermaid block).

pub mod graph;
pub mod html;
pub mod markdown;

use super::query::{Chain, Link};

/// Where a link comes from, for people: its policy line and status, or `live only`.
pub fn link_origin(l: &Link) -> String {
    match (&l.at, &l.status) {
        (Some(at), Some(status)) => format!("{at}, {status}"),
        (Some(at), None) => at.clone(),
        (None, Some(status)) => status.clone(),
        (None, None) => "live only".into(),
    }
}

/// A link's level for people: `viewer (as monitor)` for an implied one.
pub fn link_level(l: &Link) -> String {
    match &l.implied_by {
        Some(by) => format!("{} (as {by})", l.level),
        None => l.level.clone(),
    }
}

/// One chain on one line, as `accord access who` prints it:
/// `alice —member→ group lab-members (groups.yaml:11) —r→ e56c36e4… /projects/ (shares.yaml:7)`.
pub fn chain_text(who: &str, chain: &Chain) -> String {
    let mut s = who.to_string();
    for l in &chain.links {
        s.push_str(&format!(
            " —{}→ {} ({})",
            link_level(l),
            l.label,
            link_origin(l)
        ));
        match (&l.expires, l.expired) {
            (Some(e), true) => s.push_str(&format!(" [EXPIRED {e}, still there]")),
            (Some(e), false) => s.push_str(&format!(" [expires {e}]")),
            _ => {}
        }
    }
    s
}
