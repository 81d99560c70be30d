//! Standing access, with the chains that grant it: `accord access who` and `accord access what`.
//!
//! The same model as the access delta ([`super::delta`]): each object grants what its kind
//! says, a grant to a managed group is access for each of its members, and a level ranks by
//! its kind's access order. Here every route is kept as a **chain** of links, each with the
//! policy line of the object making it (`None`: live only):
//! `alice —member→ group:lab-members —r→ e56c36e4… /projects/`.

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::Resource;
use super::grants::{Grant, expired, grants_kept, managed_group};
use crate::escape::escape_line;
use crate::state::access::On;
use crate::state::{Address, Object, Principal};

/// One link of a chain: a level on a resource (a group's role, a rule's permissions), as one
/// object grants it.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema,
)]
pub struct Link {
    /// The level this link grants (`member`, `r`, `administrator`, …).
    pub level: String,
    /// For a level another implies (a run monitor views the flow): that level, which the
    /// object grants itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub implied_by: Option<String>,
    /// What it is on, canonical: `group:<name>`, `transfer:<collection>:<path>`, `flow:<id>`.
    pub to: String,
    /// That resource for people.
    pub label: String,
    /// The policy line declaring it (`shares.yaml:7`); `null`: live only.
    pub at: Option<String>,
    /// The principal the object grants it to (the member, or the group), canonical.
    #[serde(skip)]
    #[schemars(skip)]
    pub holder: String,
    /// The granting object's address.
    pub address: String,
    /// With `--from live` or `both`: `live` (declared and live), `live as <level>` (declared,
    /// live at another level), `not yet live` (declared only), `live only` (not declared) or
    /// `system-managed` (the service's own grant); `<file:line>, expired <when>, still live`
    /// for a declared grant whose `expires` has passed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// When it expires, if it does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
    /// Whether it has expired and is still there (live: accord revokes it at the next apply).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub expired: bool,
    /// Since when it has been held, where its service reports it (a Transfer rule's creation
    /// time), read live.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<String>,
}

/// One route from a principal to a resource: a direct grant (one link), or a managed
/// group's membership then a grant to the group (two links).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Chain {
    /// The links, from the principal to the resource.
    pub links: Vec<Link>,
    /// The level the chain ends in (its last link's).
    pub level: String,
    /// Its rank in the resource's access order: levels compare by it.
    #[serde(skip)]
    pub rank: usize,
}

/// One principal's access to one resource, and every chain giving it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Holding {
    /// The principal, canonical (`identity:<uuid>`, `group:<name>`, `public`, …), or as
    /// written when it was matched by spelling.
    pub principal: String,
    /// Its name for people, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// What the access is on: the resource asked about (`who`), or the one granted (`what`).
    pub resource: String,
    /// The resource for people.
    pub resource_label: String,
    /// The highest level any chain gives.
    pub level: String,
    /// That level on the resource, for people: `admin of group lab-admins`.
    pub phrase: String,
    /// Whether the principal stands for everyone (`all_authenticated_users`, `anonymous`,
    /// `public`).
    pub everyone: bool,
    /// Every chain, the highest levels first.
    pub chains: Vec<Chain>,
}

/// The answer to one `who` or `what` question.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Answer {
    /// `who` or `what`.
    pub question: String,
    /// The resource or principal asked about, as read.
    pub subject: String,
    /// Where the answer comes from: `policy`, `live` or `both`.
    pub from: String,
    /// Who holds what: by principal (`who`) or by resource (`what`).
    pub holdings: Vec<Holding>,
    /// What the reader must know to read the answer right (principals matched by spelling,
    /// groups whose members accord cannot see).
    pub notes: Vec<String>,
    /// With `--from both`: how many of the grants behind the answer (each granting object
    /// and principal once) are `live` as declared, `live at another level`, `not yet live`,
    /// `live only` (not explained by the policy), `system-managed`, or `expired but still live`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub summary: BTreeMap<String, usize>,
}

/// A managed group: the prefix of the principals naming it, and its name.
type GroupKey<'a> = (&'static str, &'a str);

/// A grant, and for one another implies, the level implying it.
type Implied<'a> = (Grant<'a>, Option<&'a str>);

/// The grants of a set of objects with their memberships, to answer questions from.
pub struct Model<'a> {
    /// Each grant, and for a grant another implies (its resource's `implies`), the level
    /// implying it.
    grants: Vec<Implied<'a>>,
    /// Each managed group's memberships.
    members: BTreeMap<GroupKey<'a>, Vec<Grant<'a>>>,
    /// The clock, to flag expired grants kept.
    now: DateTime<Utc>,
}

impl<'a> Model<'a> {
    /// The model of these objects at time `now`: expired grants give nothing, unless
    /// `keep_expired` (what is still live although expired, for the answer to flag).
    pub fn new(
        objects: impl Iterator<Item = &'a Object>,
        now: DateTime<Utc>,
        keep_expired: bool,
    ) -> Self {
        Model::of_grants(grants_kept(objects, (!keep_expired).then_some(now)), now)
    }

    /// The model of what a policy declares and what is live, expired grants kept: each
    /// declared grant (with its policy line), and each live grant the policy does not
    /// declare, an object granting one principal (a document's reader) at a time.
    pub fn union(
        declared: impl Iterator<Item = &'a Object>,
        live: impl Iterator<Item = &'a Object>,
        now: DateTime<Utc>,
    ) -> Self {
        let mut direct = grants_kept(declared, None);
        let known: HashSet<(&Address, &str, On<'_>)> = direct
            .iter()
            .map(|g| (g.address, g.principal, g.on))
            .collect();
        let live = grants_kept(live, None);
        direct.extend(
            live.into_iter()
                .filter(|g| !known.contains(&(g.address, g.principal, g.on))),
        );
        Model::of_grants(direct, now)
    }

    fn of_grants(direct: Vec<Grant<'a>>, now: DateTime<Utc>) -> Self {
        let mut members: BTreeMap<GroupKey<'a>, Vec<Grant<'a>>> = BTreeMap::new();
        for g in &direct {
            if let Some(group) = g.member_of() {
                members.entry(group).or_default().push(*g);
            }
        }
        let grants = direct.into_iter().map(|g| (g, g.implied_by)).collect();
        Model {
            grants,
            members,
            now,
        }
    }

    /// Each route of one grant, with the principal it ends at: a grant to a managed group
    /// is one route per member (noted when there is none); any other grant is its own
    /// route (noted when it is to a group whose members accord cannot read).
    fn routes<'b>(
        &'b self,
        g: &Grant<'b>,
        by: Option<&'b str>,
        notes: &mut Vec<String>,
        mut route: impl FnMut(&str, Chain),
    ) {
        match (g.on.group(), managed_group(g.principal)) {
            (None, Some(name)) => {
                let members = self.members.get(&name).map(Vec::as_slice).unwrap_or(&[]);
                if members.is_empty() {
                    notes.push(format!(
                        "{} grants {} but has no active members",
                        g.principal, g.level
                    ));
                }
                for m in members {
                    route(m.principal, chain(&[(m, None), (g, by)], self.now));
                }
            }
            _ => {
                unexpandable(g, notes);
                route(g.principal, chain(&[(g, by)], self.now));
            }
        }
    }

    /// Every principal with access to `asked`, through every chain.
    pub fn who(&self, asked: &Resource, labels: &BTreeMap<Principal, String>) -> Answer {
        let mut out = Collect::default();
        let mut notes = Vec::new();
        for (g, by) in &self.grants {
            // Compared in place: a hundred thousand grants are not copied to be asked.
            let of = g.on.resource;
            if of == asked.of && of.def().semantics.covers(g.on.parts, &asked.parts) {
                self.routes(g, *by, &mut notes, |p, c| out.add(p, asked, c));
            } else if of != asked.of
                && let Some(level) =
                    of.def()
                        .semantics
                        .reaches(g.on.parts, g.level, asked.of, &asked.parts)
            {
                // The level it gives there, as a grant of the same object.
                let there = Grant {
                    on: On::new(asked.of, &asked.parts),
                    level,
                    rank: 0,
                    ..*g
                };
                self.routes(&there, Some(g.level), &mut notes, |p, c| {
                    out.add(p, asked, c)
                });
            }
        }
        notes.sort();
        notes.dedup();
        let mut answer = out.answer("who", &asked.to_string(), labels, notes);
        // People by name, then everyone.
        answer.holdings.sort_by_cached_key(|h| {
            let name = h.label.clone().unwrap_or_else(|| h.principal.clone());
            (h.everyone, name, h.principal.clone())
        });
        answer
    }

    /// Everything `principal` can reach, through every chain; for a person, with what
    /// everyone gets.
    pub fn what(&self, principal: &Principal, labels: &BTreeMap<Principal, String>) -> Answer {
        let key = principal.to_string();
        let person = matches!(
            principal,
            Principal::Identity(_) | Principal::Namespaced(..)
        );
        let mut out = Collect::default();
        let mut notes = Vec::new();
        // One walk over the grants: one's own, everyone's, and those to each managed group.
        let mut to_groups: BTreeMap<GroupKey<'_>, Vec<&Implied<'a>>> = BTreeMap::new();
        for entry in &self.grants {
            let (g, by) = entry;
            if g.principal == key || (person && is_everyone(g.principal)) {
                unexpandable(g, &mut notes);
                out.add(
                    g.principal,
                    &Resource::from(g.on),
                    chain(&[(g, *by)], self.now),
                );
            }
            if g.on.group().is_none()
                && let Some(name) = managed_group(g.principal)
            {
                to_groups.entry(name).or_default().push(entry);
            }
        }
        // The groups one is a member of: their grants are one's own.
        let groups = self
            .members
            .iter()
            .filter_map(|(group, ms)| Some((*group, ms.iter().find(|m| m.principal == key)?)));
        for (group, m) in groups {
            for (g, by) in to_groups.get(&group).into_iter().flatten() {
                out.add(
                    &key,
                    &Resource::from(g.on),
                    chain(&[(m, None), (g, *by)], self.now),
                );
            }
        }
        notes.sort();
        notes.dedup();
        let mut answer = out.answer("what", &key, labels, notes);
        // One's own access before everyone's, each by resource (already so).
        answer.holdings.sort_by_key(|h| h.everyone);
        answer
    }
}

impl<'a> Model<'a> {
    /// Every holding on every resource granted on (as granted: a rule on `/a/` is not listed
    /// again under `/a/b/`), in one walk: the report of `accord access review`. Question
    /// `review`, subject empty.
    pub fn everything(&self, labels: &BTreeMap<Principal, String>) -> Answer {
        let mut out = Collect::default();
        let mut notes = Vec::new();
        for (g, by) in &self.grants {
            let on = Resource::from(g.on);
            self.routes(g, *by, &mut notes, |p, c| out.add(p, &on, c));
        }
        notes.sort();
        notes.dedup();
        out.answer("review", "", labels, notes)
    }
}

/// The JSON Schema of an answer of `accord access who|what --format json`.
pub fn answer_schema() -> serde_json::Value {
    let mut schema = schemars::schema_for!(Answer);
    schema.insert("title".into(), "accord access answer".into());
    schema.insert(
        "description".into(),
        "Who can reach a resource, or what a principal can reach, with every chain granting \
         it, as printed by `accord access who|what --format json`."
            .into(),
    );
    schema.to_value()
}

/// Whether a principal key stands for everyone.
fn is_everyone(key: &str) -> bool {
    key.parse::<Principal>().is_ok_and(|p| p.is_public())
}

/// Notes a grant to a group accord does not manage: its members cannot be listed.
fn unexpandable(g: &Grant<'_>, notes: &mut Vec<String>) {
    if let Ok(Principal::Group(_)) = g.principal.parse::<Principal>() {
        notes.push(format!(
            "{} is not managed here: accord may not read its members, who hold what it holds",
            g.principal
        ));
    }
}

/// The chain of these grants (each with the level implying it, if implied), in order from
/// the principal.
fn chain(grants: &[(&Grant<'_>, Option<&str>)], now: DateTime<Utc>) -> Chain {
    let (last, _) = grants.last().expect("a chain has a link");
    Chain {
        links: grants
            .iter()
            .map(|(g, by)| {
                let on = Resource::from(g.on);
                Link {
                    level: g.level.to_string(),
                    implied_by: by.map(str::to_string),
                    to: on.to_string(),
                    label: on.label(),
                    at: g.object.provenance.as_ref().map(ToString::to_string),
                    holder: g.principal.to_string(),
                    address: g.address.to_string(),
                    status: None,
                    expires: g.object.str_attr("expires").map(str::to_string),
                    expired: expired(g.object, now),
                    since: g
                        .address
                        .kind
                        .semantics()
                        .granted_since(g.object)
                        .map(str::to_string),
                }
            })
            .collect(),
        level: last.level.to_string(),
        rank: last.rank,
    }
}

/// Chains gathered per principal and resource.
#[derive(Default)]
struct Collect {
    by: BTreeMap<(String, Resource), Vec<Chain>>,
}

impl Collect {
    fn add(&mut self, principal: &str, on: &Resource, chain: Chain) {
        let chains = self
            .by
            .entry((principal.to_string(), on.clone()))
            .or_default();
        if !chains.contains(&chain) {
            chains.push(chain);
        }
    }

    fn answer(
        self,
        question: &str,
        subject: &str,
        labels: &BTreeMap<Principal, String>,
        notes: Vec<String>,
    ) -> Answer {
        let holdings = self
            .by
            .into_iter()
            .map(|((principal, on), mut chains)| {
                chains.sort_by(|a, b| b.rank.cmp(&a.rank).then_with(|| a.links.cmp(&b.links)));
                let parsed = principal.parse::<Principal>().ok();
                Holding {
                    label: parsed.as_ref().and_then(|p| labels.get(p).cloned()),
                    everyone: parsed.as_ref().is_some_and(Principal::is_public),
                    principal,
                    resource: on.to_string(),
                    resource_label: on.label(),
                    level: chains[0].level.clone(),
                    phrase: on.phrase(&chains[0].level),
                    chains,
                }
            })
            .collect();
        Answer {
            question: question.to_string(),
            subject: subject.to_string(),
            from: String::new(),
            holdings,
            notes,
            summary: BTreeMap::new(),
        }
    }
}

impl Answer {
    /// Dates each link `since` says of (by its granting object's address) that has no date.
    pub fn date(&mut self, since: impl Fn(&str) -> Option<String>) {
        let links = self.holdings.iter_mut().flat_map(|h| &mut h.chains);
        for l in links.flat_map(|c| &mut c.links) {
            if l.since.is_none() {
                l.since = since(&l.address);
            }
        }
    }

    /// Marks each link with what `status` says of it, and counts the grants by status.
    pub fn mark(&mut self, status: impl Fn(&Link) -> Option<String>) {
        let mut seen = HashSet::new();
        let links = self.holdings.iter_mut().flat_map(|h| &mut h.chains);
        for l in links.flat_map(|c| &mut c.links) {
            l.status = status(l);
            let Some(s) = &l.status else { continue };
            if seen.insert((l.address.clone(), l.holder.clone())) {
                let class = if s.starts_with("live as ") {
                    "live at another level"
                } else if s.ends_with(", still live") {
                    "expired but still live"
                } else {
                    s.as_str()
                };
                *self.summary.entry(class.to_string()).or_default() += 1;
            }
        }
    }

    /// The answer for people: each holding, then each chain under it, each link with its
    /// policy line or `live only`.
    pub fn text(&self) -> String {
        let mut out = String::new();
        let subject = escape_line(&self.subject);
        let head = match self.question.as_str() {
            "who" => format!("Who can reach {subject}"),
            _ => format!("What {subject} can reach"),
        };
        out.push_str(&format!("{head} (from {}):\n", self.from));
        if self.holdings.is_empty() {
            out.push_str("  nobody\n");
        }
        let mut everyone_header = false;
        for h in &self.holdings {
            let who = escape_line(h.label.as_deref().unwrap_or(&h.principal));
            if self.question == "what" && h.everyone && !everyone_header {
                out.push_str("What everyone gets:\n");
                everyone_header = true;
            }
            let line = match self.question.as_str() {
                "who" => format!("{who}: {}", h.level),
                _ if h.everyone => format!("{who}: {}", h.phrase),
                _ => h.phrase.clone(),
            };
            out.push_str(&format!("  {}\n", escape_line(&line)));
            for c in &h.chains {
                let mut s = who.to_string();
                for l in &c.links {
                    let at = match (&l.at, &l.status) {
                        (Some(at), Some(status)) => format!("{at}, {status}"),
                        (Some(at), None) => at.clone(),
                        (None, Some(status)) => status.clone(),
                        (None, None) => "live only".into(),
                    };
                    let level = match &l.implied_by {
                        Some(by) => format!("{} (as {by})", l.level),
                        None => l.level.clone(),
                    };
                    s.push_str(&format!(" —{level}→ {} ({at})", l.label));
                    match (&l.expires, l.expired) {
                        (Some(e), true) => s.push_str(&format!(" [EXPIRED {e}, still there]")),
                        (Some(e), false) => s.push_str(&format!(" [expires {e}]")),
                        _ => {}
                    }
                }
                out.push_str(&format!("    {}\n", escape_line(&s)));
            }
        }
        if !self.summary.is_empty() {
            let counts: Vec<String> = self
                .summary
                .iter()
                .map(|(status, n)| format!("{n} {status}"))
                .collect();
            out.push_str(&format!("Grants: {}.\n", counts.join(", ")));
        }
        for n in &self.notes {
            out.push_str(&format!("note: {}\n", escape_line(n)));
        }
        out
    }
}
