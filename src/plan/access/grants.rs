//! The grants objects make by themselves, as their kinds say, borrowed from the objects.

use chrono::{DateTime, Utc};

use crate::state::access::{Level, On, ResourceType};
use crate::state::{Address, Object, Principal};

/// A grant one object makes by itself, before managed groups are expanded. It borrows from
/// the object: a plan over a hundred thousand objects copies none of them.
#[derive(Debug, Clone, Copy)]
pub(super) struct Grant<'a> {
    /// The granting object's address.
    pub(super) address: &'a Address,
    /// The granting object (its provenance and expiry, for `accord access`).
    pub(super) object: &'a Object,
    /// The principal's canonical key, parsed only for the pairs computed.
    pub(super) principal: &'a str,
    /// What the access is on.
    pub(super) on: On<'a>,
    /// The level granted.
    pub(super) level: &'a str,
    /// Its position in the kind's access order.
    pub(super) rank: usize,
    /// For a grant another implies (a flow's administrator manages its runs): the level of
    /// the grant implying it, which the object makes itself.
    pub(super) implied_by: Option<&'a str>,
}

/// Whether an object's `expires` is at or before `now`.
pub(super) fn expired(o: &Object, now: DateTime<Utc>) -> bool {
    o.str_attr("expires")
        .and_then(|e| DateTime::parse_from_rfc3339(e).ok())
        .is_some_and(|e| e <= now)
}

/// Each grant an object makes directly, as its kind says, to `each`; none once it has
/// expired at `now` (`None`: expired grants are kept, for `accord access` to flag).
fn direct_grants<'a>(o: &'a Object, now: Option<DateTime<Utc>>, each: &mut impl FnMut(Grant<'a>)) {
    if now.is_some_and(|now| expired(o, now)) {
        return;
    }
    o.address.kind.semantics().grants(o, &mut |spec| {
        if let Some((level, rank)) = level_of(o, spec.level) {
            each(Grant {
                address: &o.address,
                object: o,
                principal: spec.principal,
                on: spec.on,
                level,
                rank,
                implied_by: None,
            });
        }
    });
}

/// A grant's level and its rank: read from the object's field and ranked by the field's
/// access order (kept in one place, the kind's field schema), or as the kind read them.
pub(super) fn level_of<'a>(o: &'a Object, level: Level<'a>) -> Option<(&'a str, usize)> {
    match level {
        Level::Named { level, rank } => Some((level, rank)),
        Level::Field { field, default } => {
            let level = o.str_attr(field).unwrap_or(default);
            let order = o.address.kind.field(field)?.access_order;
            Some((level, order.iter().position(|l| *l == level)?))
        }
    }
}

/// The grants of a set of objects.
pub(super) fn grants<'a>(
    objects: impl Iterator<Item = &'a Object>,
    now: DateTime<Utc>,
) -> Vec<Grant<'a>> {
    grants_kept(objects, Some(now))
}

/// The grants of a set of objects, expired ones dropped at `now` (`None`: kept), each followed
/// by what its resource says it implies.
pub(super) fn grants_kept<'a>(
    objects: impl Iterator<Item = &'a Object>,
    now: Option<DateTime<Utc>>,
) -> Vec<Grant<'a>> {
    let mut out: Vec<Grant<'a>> = Vec::new();
    for o in objects {
        direct_grants(o, now, &mut |g| {
            out.push(g);
            out.extend(implied(&g));
        });
    }
    // A hundred thousand grants: the growth slack would be megabytes.
    out.shrink_to_fit();
    out
}

/// The managed group a principal key names, as its membership resource's prefix and the
/// group's name (`group:lab`, `boss-group:readers`), if it names one whose members accord
/// sees: not a Globus group written by UUID.
pub(super) fn managed_group(key: &str) -> Option<(&'static str, &str)> {
    let (prefix, name) = key.split_once(':')?;
    let prefix = ResourceType::members_prefix(prefix)?;
    if matches!(key.parse(), Ok(Principal::Group(_))) {
        return None;
    }
    Some((prefix, name))
}

/// The managed group an object *is*, if it is one a change may delete (with its
/// memberships): its prefix and name, the name being its address's first key.
pub(super) fn group_object(address: &Address) -> Option<(&'static str, &str)> {
    let key = address.kind.semantics().is_principal(address)?.to_string();
    let (prefix, _) = managed_group(&key)?;
    Some((prefix, address.keys.first()?.as_str()))
}

impl<'a> Grant<'a> {
    /// The managed group this grant makes its principal a member of, if it does.
    pub(super) fn member_of(&self) -> Option<(&'static str, &'a str)> {
        let group = self.on.group()?;
        self.on
            .resource
            .def()
            .semantics
            .makes_member(self.level)
            .then_some(group)
    }
}

/// Each grant these objects make, expired ones included, as (granting address, principal,
/// level): what is live, for `accord access` to compare a declared grant with.
pub fn grant_levels<'a>(
    objects: impl Iterator<Item = &'a Object>,
) -> Vec<(&'a Address, &'a str, &'a str)> {
    grants_kept(objects, None)
        .into_iter()
        .map(|g| (g.address, g.principal, g.level))
        .collect()
}

/// The grants a grant implies, as its resource says (a flow's administrator manages its runs),
/// on the resource of the same parts of each type named. The implied level ranks by the
/// granting kind's access order holding it.
pub(super) fn implied<'a>(g: &Grant<'a>) -> impl Iterator<Item = Grant<'a>> + use<'a> {
    let g = *g;
    g.on.resource
        .def()
        .semantics
        .implies(g.level)
        .iter()
        .filter_map(move |(to, level)| {
            let rank = g
                .address
                .kind
                .fields()
                .iter()
                .find_map(|f| f.access_order.iter().position(|l| l == level))?;
            Some(Grant {
                on: On::new(ResourceType::of(to), g.on.parts),
                level,
                rank,
                implied_by: Some(g.level),
                ..g
            })
        })
}

/// The resources an object's grants imply access on: a change to it moves them too.
pub(super) fn implied_on(o: &Object) -> Vec<On<'_>> {
    let mut out = Vec::new();
    direct_grants(o, None, &mut |g| out.extend(implied(&g).map(|i| i.on)));
    out
}
