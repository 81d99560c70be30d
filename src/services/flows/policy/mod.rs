//! Its section of the policy files, `flows:`: the types as written (`ast`), merged and
//! checked (`validate` into `model`), and compiled into desired objects (`compile`).
//!
//! ```yaml
//! flows:
//!   2f3a0000-0000-4000-8000-000000000001:
//!     flow_administrators: [group:lab-admins]
//!     flow_starters: [group:lab-members, all_authenticated_users]
//!     flow_viewers: [public]
//!     run_managers: [bob]
//!     run_monitors: [group:lab-readers]
//! ```

pub mod ast;
pub mod compile;
pub mod model;
pub mod validate;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde_saphyr::Spanned;

use crate::policy::limits::ObjectCounter;
use crate::policy::{
    Checker, Compiler, FileSection, Located, ParsedValue, PolicySection, PrincipalRef,
    ServicePolicy, SpecialPrincipal, Summary, Yaml, YamlError, property_schema,
};

pub use model::FlowPolicy;

/// The top-level key it reads.
const KEY: &str = "flows";

/// `flows:`, as the JSON Schema documents it.
#[derive(JsonSchema)]
#[allow(dead_code)]
struct Keys {
    /// Globus Flows: flows by id, each with the role lists accord manages (each list written
    /// is exact; a list left out is not touched).
    #[serde(default)]
    #[schemars(with = "Option<ast::Flows>")]
    flows: Option<Spanned<ast::Flows>>,
}

/// `flows:` of every file, merged and checked.
#[derive(Debug, Clone, Default)]
pub struct FlowsPolicy {
    /// The flows by id.
    pub flows: BTreeMap<String, FlowPolicy>,
}

/// Globus Flows' part of the policy files.
pub struct Policy;

/// The special principals flow role lists take.
static SPECIALS: [SpecialPrincipal; 2] = [
    SpecialPrincipal {
        principal: PrincipalRef::Public,
        help: "`public` exists only in a Search document's `visible_to` and a flow's `flow_viewers`",
    },
    SpecialPrincipal {
        principal: PrincipalRef::AllAuthenticatedUsers,
        help: "`all_authenticated_users` exists only in Transfer ACL rules, a Search document's `visible_to` and a flow's `flow_starters`",
    },
];

impl ServicePolicy for Policy {
    fn keys(&self) -> &'static [&'static str] {
        &[KEY]
    }

    fn position(&self) -> u32 {
        70
    }

    fn parse(&self, _key: &str, yaml: Yaml<'_, '_>) -> Result<ParsedValue, YamlError> {
        yaml.boxed::<Option<Spanned<ast::Flows>>>()
    }

    fn schema(&self, key: &str, generator: &mut SchemaGenerator) -> Schema {
        property_schema::<Keys>(key, generator)
    }

    fn count(&self, section: &FileSection<'_>, objects: &mut ObjectCounter) {
        let Some(Some(flows)) = section.get::<Option<Spanned<ast::Flows>>>() else {
            return;
        };
        for (k, roles) in flows.value.iter() {
            objects.one(&k.referenced);
            for (_, list) in roles.lists() {
                if let Some(list) = list {
                    objects.many(list.value.iter().map(|p| &p.referenced));
                }
            }
        }
    }

    fn check(
        &self,
        sections: &[FileSection<'_>],
        checker: &mut Checker<'_>,
    ) -> Box<dyn PolicySection> {
        let flows = validate::Check(checker).flows(sections);
        Box::new(FlowsPolicy { flows })
    }

    fn describe(&self, key: &str) -> Option<String> {
        // `flows.<id>.<list>` → "`<list>` of flow `<id>`".
        let mut parts = key.splitn(3, '.').skip(1);
        match (parts.next(), parts.next()) {
            (Some(id), Some(list)) => Some(format!("`{list}` of flow `{id}`")),
            (Some(id), None) => Some(format!("flow `{id}`")),
            _ => None,
        }
    }

    fn special_principals(&self) -> &'static [SpecialPrincipal] {
        &SPECIALS
    }
}

impl PolicySection for FlowsPolicy {
    fn principals(&self, each: &mut dyn FnMut(&Located<PrincipalRef>)) {
        for flow in self.flows.values() {
            flow.lists
                .values()
                .flat_map(|l| &l.value)
                .for_each(&mut *each);
        }
    }

    fn compile(&self, compiler: &mut Compiler<'_>) {
        let mut c = compile::Compile(compiler);
        for flow in self.flows.values() {
            c.flow(flow);
        }
    }

    /// Said only when the workspace declares a flow, like the Boss's titled counts: a
    /// workspace without Flows reads as before.
    fn summary(&self) -> Option<Summary> {
        if self.flows.is_empty() {
            return None;
        }
        Some(Summary {
            title: Some("Flows"),
            counts: vec![format!("{} flow(s)", self.flows.len())],
        })
    }
}
