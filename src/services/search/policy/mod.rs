//! Its section of the policy files, `search:`: the types as written (`ast`), merged and
//! checked (`validate` into `model`, then what Search would refuse: `super::checks`), and
//! compiled into desired objects (`compile`, per `docs/search-model.md`).

pub mod ast;
mod checks;
pub mod compile;
mod live;
pub mod model;
pub mod validate;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde_saphyr::Spanned;

use crate::policy::limits::ObjectCounter;
use crate::policy::{
    Checker, Compiler, FileSection, Located, ParsedValue, Policy as Merged, PolicySection,
    PrincipalRef, Problem, ServicePolicy, SpecialPrincipal, Summary, Yaml, YamlError,
    property_schema,
};
use crate::state::{Desired, LiveRead};

pub use model::*;

/// The top-level key it reads.
const KEY: &str = "search";

/// `search:`, as the JSON Schema documents it.
#[derive(JsonSchema)]
#[allow(dead_code)]
struct Keys {
    /// Globus Search.
    #[serde(default)]
    #[schemars(with = "Option<ast::Search>")]
    search: Option<Spanned<ast::Search>>,
}

/// `search:` of every file, merged and checked.
#[derive(Debug, Clone, Default)]
pub struct SearchPolicy {
    /// `search.indexes` by index id.
    pub indexes: BTreeMap<String, SearchIndexPolicy>,
}

/// Globus Search's part of the policy files.
pub struct Policy;

/// The special principals Search documents take.
static SPECIALS: [SpecialPrincipal; 2] = [
    SpecialPrincipal {
        principal: PrincipalRef::Public,
        help: "`public` exists only in a Search document's `visible_to`; Transfer ACL rules use `anonymous`",
    },
    SpecialPrincipal {
        principal: PrincipalRef::AllAuthenticatedUsers,
        help: "`all_authenticated_users` exists only in Transfer ACL rules and a Search document's `visible_to`",
    },
];

impl ServicePolicy for Policy {
    fn keys(&self) -> &'static [&'static str] {
        &[KEY]
    }

    fn position(&self) -> u32 {
        50
    }

    fn parse(&self, _key: &str, yaml: Yaml<'_, '_>) -> Result<ParsedValue, YamlError> {
        yaml.boxed::<Option<Spanned<ast::Search>>>()
    }

    fn schema(&self, key: &str, generator: &mut SchemaGenerator) -> Schema {
        property_schema::<Keys>(key, generator)
    }

    fn count(&self, section: &FileSection<'_>, objects: &mut ObjectCounter) {
        let Some(Some(s)) = section.get::<Option<Spanned<ast::Search>>>() else {
            return;
        };
        for (k, index) in s.value.indexes.iter() {
            objects.one(&k.referenced);
            if let Some(roles) = &index.roles {
                for (_, holders) in roles.value.iter() {
                    objects.many(holders.iter().map(|h| &h.referenced));
                }
            }
            for (k, doc) in index.documents.iter() {
                objects.one(&k.referenced);
                if let Some(v) = &doc.visible_to {
                    objects.many(v.value.iter().map(|p| &p.referenced));
                }
                for (_, set) in doc.principal_sets.iter().flat_map(|m| m.iter()) {
                    objects.many(set.value.iter().map(|p| &p.referenced));
                }
            }
        }
    }

    fn check(
        &self,
        sections: &[FileSection<'_>],
        checker: &mut Checker<'_>,
    ) -> Box<dyn PolicySection> {
        let indexes = validate::Check(checker).search(sections);
        // What Search would refuse that the merged policy already shows.
        let refused = checks::policy(checker.files, &indexes);
        checker.diags.extend(refused);
        Box::new(SearchPolicy { indexes })
    }

    fn describe(&self, key: &str) -> Option<String> {
        let rest = key.split_once('.').map_or("", |(_, r)| r);
        Some(format!("Search {}", rest.replace('.', " ")))
    }

    fn special_principals(&self) -> &'static [SpecialPrincipal] {
        &SPECIALS
    }
}

impl PolicySection for SearchPolicy {
    fn principals(&self, each: &mut dyn FnMut(&Located<PrincipalRef>)) {
        for i in self.indexes.values() {
            i.roles.iter().for_each(|r| each(&r.principal));
            for d in i.documents.values() {
                d.visible_to
                    .iter()
                    .flat_map(|v| &v.value)
                    .for_each(&mut *each);
                d.principal_sets
                    .iter()
                    .flat_map(|s| s.value.values().flatten())
                    .for_each(&mut *each);
            }
        }
    }

    fn compile(&self, compiler: &mut Compiler<'_>) {
        let mut c = compile::Compile(compiler);
        for index in self.indexes.values() {
            c.search_index(index);
        }
    }

    fn summary(&self) -> Option<Summary> {
        Some(Summary {
            title: None,
            counts: vec![format!("{} search index(es)", self.indexes.len())],
        })
    }

    fn check_live(&self, _policy: &Merged, desired: &Desired, live: &LiveRead) -> Vec<Problem> {
        live::problems(&self.indexes, desired, live)
    }
}
