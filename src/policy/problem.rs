//! Problems found after loading (resolution, compilation): rendered at the edge with spans.

use super::origin::Origin;

/// One problem at a policy origin, possibly citing other places.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}:{}:{}: {message}", origin.path.display(), origin.line, origin.column)]
pub struct Problem {
    /// Where the policy is at fault.
    pub origin: Origin,
    /// What is wrong.
    pub message: String,
    /// A hint, if any.
    pub help: Option<String>,
    /// Other places involved (the first definition of a duplicate, …).
    pub related: Vec<(Origin, String)>,
}

impl Problem {
    /// A problem at one place.
    pub fn at(origin: &Origin, message: impl Into<String>) -> Self {
        Problem {
            origin: origin.clone(),
            message: message.into(),
            help: None,
            related: Vec::new(),
        }
    }

    /// Adds a hint.
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Cites another place.
    pub fn also(mut self, origin: &Origin, label: impl Into<String>) -> Self {
        self.related.push((origin.clone(), label.into()));
        self
    }
}

/// Every problem found by a stage, reported together.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{} problem(s) in the policy", .0.len())]
pub struct Problems(pub Vec<Problem>);

impl Problems {
    /// The problems in file, line and column order.
    pub fn sorted(mut self) -> Self {
        self.0.sort_by(|a, b| {
            let at = |p: &Problem| (p.origin.path.clone(), p.origin.line, p.origin.column);
            at(a).cmp(&at(b))
        });
        self
    }
}
