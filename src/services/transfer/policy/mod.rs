//! Its section of the policy files, `endpoints:` (collections accord does not create, by
//! UUID): the types as written (`ast`), merged and checked (`validate` into `model`), and
//! compiled into desired objects (`compile`). ACL rules and directories are Transfer's
//! wherever they are written: guest collections (`collections:`, the GCS service's section)
//! check and compile theirs with this folder's public helpers (`validate::Check`,
//! `compile::Compile`).

pub mod ast;
pub mod compile;
pub mod model;
pub mod validate;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde_saphyr::Spanned;
use uuid::Uuid;

use crate::policy::ast::SpannedMap;
use crate::policy::limits::ObjectCounter;
use crate::policy::{
    Checker, Compiler, Declared, FileSection, Located, ParsedValue, Policy as Merged,
    PolicySection, PrincipalRef, Problem, ServicePolicy, SpecialPrincipal, Summary, Yaml,
    YamlError, property_schema,
};
use crate::state::{Desired, Kind, LiveRead};

pub use model::*;

/// The top-level key it reads.
const KEY: &str = "endpoints";

/// `endpoints:`, as the JSON Schema documents it.
#[derive(JsonSchema)]
#[allow(dead_code)]
struct Keys {
    /// Collections accord does not create, by collection UUID: their ACL rules and directories.
    #[serde(default)]
    endpoints: SpannedMap<ast::Endpoint>,
}

/// `endpoints:` of every file, merged and checked.
#[derive(Debug, Clone, Default)]
pub struct EndpointsPolicy {
    /// Endpoints by collection UUID.
    pub endpoints: BTreeMap<Uuid, EndpointPolicy>,
}

/// Globus Transfer's part of the policy files.
pub struct Policy;

/// The special principals Transfer ACL rules take.
static SPECIALS: [SpecialPrincipal; 2] = [
    SpecialPrincipal {
        principal: PrincipalRef::Anonymous,
        help: "`anonymous` exists only in Transfer ACL rules",
    },
    SpecialPrincipal {
        principal: PrincipalRef::AllAuthenticatedUsers,
        help: "`all_authenticated_users` exists only in Transfer ACL rules and a Search document's `visible_to`",
    },
];

/// Counts a `directories:` list: each entry, and each identity of its `for:`.
pub fn count_directories(
    objects: &mut ObjectCounter,
    dirs: &Option<Vec<Spanned<ast::DirectoryValue>>>,
) {
    for d in dirs.iter().flatten() {
        objects.one(&d.referenced);
        if let ast::DirectoryValue::Long(l) = &d.value {
            objects.many(l.for_principals.iter().flatten().map(|p| &p.referenced));
        }
    }
}

impl ServicePolicy for Policy {
    fn keys(&self) -> &'static [&'static str] {
        &[KEY]
    }

    fn position(&self) -> u32 {
        30
    }

    fn parse(&self, _key: &str, yaml: Yaml<'_, '_>) -> Result<ParsedValue, YamlError> {
        yaml.boxed::<SpannedMap<ast::Endpoint>>()
    }

    fn schema(&self, key: &str, generator: &mut SchemaGenerator) -> Schema {
        property_schema::<Keys>(key, generator)
    }

    fn count(&self, section: &FileSection<'_>, objects: &mut ObjectCounter) {
        let endpoints = section.get::<SpannedMap<ast::Endpoint>>();
        for (k, e) in endpoints.into_iter().flat_map(|m| m.iter()) {
            objects.one(&k.referenced);
            count_directories(objects, &e.directories);
            objects.many(e.acl.iter().flatten().map(|r| &r.referenced));
        }
    }

    fn check(
        &self,
        sections: &[FileSection<'_>],
        checker: &mut Checker<'_>,
    ) -> Box<dyn PolicySection> {
        let mut endpoints = validate::Check(checker).endpoints(sections);
        // The model lives for the whole run: drop the growth slack of its long lists (tens of
        // thousands of rules at institution scale).
        for ep in endpoints.values_mut() {
            ep.acl.shrink_to_fit();
        }
        Box::new(EndpointsPolicy { endpoints })
    }

    fn describe(&self, key: &str) -> Option<String> {
        let rest = key.split_once('.').map_or("", |(_, r)| r);
        Some(format!(
            "endpoint `{}`",
            rest.split('.').next().unwrap_or(rest)
        ))
    }

    fn whole_workspace_codes(&self) -> &'static [&'static str] {
        &[validate::OUTSIDE_MANAGE_PATHS]
    }

    fn special_principals(&self) -> &'static [SpecialPrincipal] {
        &SPECIALS
    }
}

impl PolicySection for EndpointsPolicy {
    fn principals(&self, each: &mut dyn FnMut(&Located<PrincipalRef>)) {
        for e in self.endpoints.values() {
            e.acl.iter().for_each(|r| each(&r.principal));
            e.directories
                .iter()
                .flat_map(|d| &d.for_principals)
                .for_each(&mut *each);
        }
    }

    fn compile(&self, compiler: &mut Compiler<'_>) {
        let mut c = compile::Compile(compiler);
        for endpoint in self.endpoints.values() {
            c.endpoint(endpoint);
        }
    }

    fn summary(&self) -> Option<Summary> {
        Some(Summary {
            title: None,
            counts: vec![format!("{} endpoint(s)", self.endpoints.len())],
        })
    }

    fn container(&self, kind: Kind, key: &str) -> Option<Declared> {
        if kind != super::ACL {
            return None;
        }
        let ep = self.endpoints.get(&key.parse().ok()?)?;
        Some(Declared {
            at: ep.origin.clone(),
            first: ep.acl.first().map(|r| r.origin.clone()),
        })
    }

    fn check_live(&self, policy: &Merged, desired: &Desired, live: &LiveRead) -> Vec<Problem> {
        super::live::problems(policy, desired, live)
    }
}
