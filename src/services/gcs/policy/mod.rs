//! Its section of the policy files, `collections:` (guest collections accord creates on a GCS
//! endpoint): the types as written (`ast`), merged and checked (`validate` into `model`), and
//! compiled into desired objects (`compile`). A guest collection's ACL rules and directories
//! are Transfer's kinds: this section checks and compiles them with Transfer's helpers
//! (`services/transfer/policy/`), keyed by the collection's policy name.

pub mod ast;
pub mod compile;
pub mod model;
pub mod validate;

use std::collections::BTreeMap;

use schemars::{JsonSchema, Schema, SchemaGenerator};

use crate::policy::ast::SpannedMap;
use crate::policy::limits::ObjectCounter;
use crate::policy::{
    Checker, Compiler, Declared, FileSection, Located, ParsedValue, PolicySection, PrincipalRef,
    ServicePolicy, Summary, Yaml, YamlError, property_schema,
};
use crate::services::transfer::policy::count_directories;
use crate::state::Kind;

pub use model::*;

/// The top-level key it reads.
const KEY: &str = "collections";

/// `collections:`, as the JSON Schema documents it.
#[derive(JsonSchema)]
#[allow(dead_code)]
struct Keys {
    /// Guest collections accord creates on a GCS endpoint, by policy name.
    #[serde(default)]
    collections: SpannedMap<ast::Collection>,
}

/// `collections:` of every file, merged and checked.
#[derive(Debug, Clone, Default)]
pub struct CollectionsPolicy {
    /// Guest collections by policy name.
    pub collections: BTreeMap<String, CollectionPolicy>,
}

/// Globus Connect Server's part of the policy files.
pub struct Policy;

impl ServicePolicy for Policy {
    fn keys(&self) -> &'static [&'static str] {
        &[KEY]
    }

    fn position(&self) -> u32 {
        20
    }

    fn parse(&self, _key: &str, yaml: Yaml<'_, '_>) -> Result<ParsedValue, YamlError> {
        yaml.boxed::<SpannedMap<ast::Collection>>()
    }

    fn schema(&self, key: &str, generator: &mut SchemaGenerator) -> Schema {
        property_schema::<Keys>(key, generator)
    }

    fn count(&self, section: &FileSection<'_>, objects: &mut ObjectCounter) {
        let collections = section.get::<SpannedMap<ast::Collection>>();
        for (k, c) in collections.into_iter().flat_map(|m| m.iter()) {
            objects.one(&k.referenced);
            if let Some(roles) = &c.roles {
                for (_, holders) in roles.value.iter() {
                    objects.many(holders.iter().map(|h| &h.referenced));
                }
            }
            count_directories(objects, &c.directories);
            objects.many(c.acl.iter().flatten().map(|r| &r.referenced));
        }
    }

    fn check(
        &self,
        sections: &[FileSection<'_>],
        checker: &mut Checker<'_>,
    ) -> Box<dyn PolicySection> {
        let collections = validate::Check(checker).collections(sections);
        Box::new(CollectionsPolicy { collections })
    }

    fn describe(&self, key: &str) -> Option<String> {
        let rest = key.split_once('.').map_or("", |(_, r)| r);
        Some(format!(
            "collection `{}`",
            rest.split('.').next().unwrap_or(rest)
        ))
    }
}

impl PolicySection for CollectionsPolicy {
    fn principals(&self, each: &mut dyn FnMut(&Located<PrincipalRef>)) {
        for c in self.collections.values() {
            c.roles.iter().for_each(|g| each(&g.principal));
            c.acl.iter().for_each(|r| each(&r.principal));
            c.directories
                .iter()
                .flat_map(|d| &d.for_principals)
                .for_each(&mut *each);
        }
    }

    fn compile(&self, compiler: &mut Compiler<'_>) {
        let mut c = compile::Compile {
            c: compiler,
            credentials: BTreeMap::new(),
        };
        for collection in self.collections.values() {
            c.collection(collection);
        }
    }

    fn summary(&self) -> Option<Summary> {
        Some(Summary {
            title: None,
            counts: vec![format!("{} collection(s)", self.collections.len())],
        })
    }

    fn container(&self, kind: Kind, key: &str) -> Option<Declared> {
        if kind != crate::services::transfer::ACL {
            return None;
        }
        let c = self.collections.get(key)?;
        Some(Declared {
            at: c.origin.clone(),
            first: c.acl.first().map(|r| r.origin.clone()),
        })
    }
}
