//! Its section of the policy files, `groups:`: the types as written (`ast`), merged and
//! checked (`validate` into `model`), and compiled into desired objects (`compile`). The
//! groups it declares are the workspace's managed groups, which `group:NAME` names anywhere.

pub mod ast;
pub mod compile;
pub mod model;
pub mod validate;

#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, HashSet};

use schemars::{JsonSchema, Schema, SchemaGenerator};
use uuid::Uuid;

use crate::state::Kind;

use crate::policy::ast::SpannedMap;
use crate::policy::limits::ObjectCounter;
use crate::policy::{
    Checker, Compiler, FileSection, Located, ParsedValue, PolicySection, PrincipalRef,
    ServicePolicy, Summary, Yaml, YamlError, property_schema, values,
};

pub use model::*;

/// The top-level key it reads.
const KEY: &str = "groups";

/// `groups:`, as the JSON Schema documents it.
#[derive(JsonSchema)]
#[allow(dead_code)]
struct Keys {
    /// Globus groups by name. The name is the group's name on the service.
    #[serde(default)]
    groups: SpannedMap<ast::Group>,
}

/// `groups:` of every file, merged and checked.
#[derive(Debug, Clone, Default)]
pub struct GroupsPolicy {
    /// Groups by policy name.
    pub groups: BTreeMap<String, GroupPolicy>,
}

/// Globus Groups' part of the policy files.
pub struct Policy;

impl ServicePolicy for Policy {
    fn keys(&self) -> &'static [&'static str] {
        &[KEY]
    }

    fn position(&self) -> u32 {
        10
    }

    fn parse(&self, _key: &str, yaml: Yaml<'_, '_>) -> Result<ParsedValue, YamlError> {
        yaml.boxed::<SpannedMap<ast::Group>>()
    }

    fn schema(&self, key: &str, generator: &mut SchemaGenerator) -> Schema {
        property_schema::<Keys>(key, generator)
    }

    fn count(&self, section: &FileSection<'_>, objects: &mut ObjectCounter) {
        for (k, g) in section
            .get::<SpannedMap<ast::Group>>()
            .into_iter()
            .flat_map(|m| m.iter())
        {
            objects.one(&k.referenced);
            objects.many(g.members.iter().map(|(k, _)| &k.referenced));
        }
    }

    fn declare(&self, sections: &[FileSection<'_>], checker: &mut Checker<'_>) {
        // A group's first `id` is its pin (a second one is "defined twice"); an id already
        // pinned by another group stays that group's.
        let mut has_id = HashSet::new();
        for (file, groups) in values::<SpannedMap<ast::Group>>(sections) {
            for (k, g) in groups.iter() {
                let absent_at = g
                    .absent
                    .as_ref()
                    .filter(|a| a.value)
                    .map(|a| checker.at(file, a));
                checker.declare_group(&k.value, absent_at);
                if let Some(id) = &g.id
                    && has_id.insert(k.value.clone())
                    && let Ok(u) = Uuid::parse_str(&id.value)
                {
                    checker.pin_group(u, &k.value);
                }
            }
        }
    }

    fn check(
        &self,
        sections: &[FileSection<'_>],
        checker: &mut Checker<'_>,
    ) -> Box<dyn PolicySection> {
        let mut groups = validate::Check(checker).groups(sections);
        // The model lives for the whole run: drop the growth slack of its long lists (tens of
        // thousands of members at institution scale).
        for g in groups.values_mut() {
            g.members.shrink_to_fit();
        }
        Box::new(GroupsPolicy { groups })
    }

    fn managed_group_kind(&self) -> Option<Kind> {
        Some(super::GROUP)
    }

    fn describe(&self, key: &str) -> Option<String> {
        let rest = key.split_once('.').map_or("", |(_, r)| r);
        Some(format!("group `{rest}`"))
    }
}

impl PolicySection for GroupsPolicy {
    fn principals(&self, each: &mut dyn FnMut(&Located<PrincipalRef>)) {
        for g in self.groups.values() {
            g.members.iter().for_each(|m| each(&m.principal));
        }
    }

    fn compile(&self, compiler: &mut Compiler<'_>) {
        let mut c = compile::Compile(compiler);
        for group in self.groups.values() {
            c.group(group);
        }
    }

    fn summary(&self) -> Option<Summary> {
        Some(Summary {
            title: None,
            counts: vec![format!("{} group(s)", self.groups.len())],
        })
    }
}
