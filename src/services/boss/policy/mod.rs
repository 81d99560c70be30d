//! Its section of the policy files, `boss:`: the types as written (`ast`), checked
//! (`validate`) and merged (`lower`) into `model`, then what the Boss would refuse
//! (`super::checks`), and compiled into desired objects (`compile`, per
//! `docs/boss-model.md`). Boss users and groups are a namespace of their own: nothing here
//! names a Globus principal.

pub mod ast;
mod checks;
pub mod compile;
mod decls;
mod live;
mod lower;
pub mod model;
pub mod validate;

use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde_saphyr::Spanned;

use crate::policy::limits::ObjectCounter;
use crate::policy::{
    Checker, Compiler, FileSection, ParsedValue, Policy as Merged, PolicySection, Problem,
    ServicePolicy, Summary, TargetSection, Yaml, YamlError, property_schema,
};
use crate::state::{Desired, LiveRead};

pub use model::*;

/// The codes of the Boss's own diagnostics.
pub mod codes {
    /// A Boss name breaking the Boss's naming rule.
    pub const BOSS_NAME: &str = "accord::policy::boss_name";
    /// An unknown Boss permission or permission set.
    pub const BOSS_PERMISSION: &str = "accord::policy::boss_permission";
    /// A volumetric permission above channel level.
    pub const BOSS_VOLUMETRIC: &str = "accord::policy::boss_volumetric_permission";
    /// A Boss group not declared under `boss.groups`.
    pub const BOSS_UNDECLARED_GROUP: &str = "accord::policy::boss_undeclared_group";
    /// A cycle between permission sets.
    pub const BOSS_SET_CYCLE: &str = "accord::policy::boss_permission_set_cycle";
    /// An undeclared coordinate frame.
    pub const BOSS_COORD_FRAME: &str = "accord::policy::boss_undeclared_coord_frame";
}

/// The top-level key it reads.
const KEY: &str = "boss";

/// `boss:`, as the JSON Schema documents it.
#[derive(JsonSchema)]
#[allow(dead_code)]
struct Keys {
    /// The Boss: its principals are Boss usernames and Boss group names.
    #[serde(default)]
    #[schemars(with = "Option<ast::Boss>")]
    boss: Option<Spanned<ast::Boss>>,
}

/// `boss:` of every file, merged and checked.
#[derive(Debug, Clone, Default)]
pub struct BossSection {
    /// The merged `boss:`, when any file has one.
    pub boss: Option<BossPolicy>,
}

/// The checks of `boss:`, with the core's [`Checker`] toolkit at hand (`self.claim`, …).
pub(crate) struct Check<'c, 'a>(pub(crate) &'c mut Checker<'a>);

impl<'a> std::ops::Deref for Check<'_, 'a> {
    type Target = Checker<'a>;
    fn deref(&self) -> &Checker<'a> {
        self.0
    }
}

impl std::ops::DerefMut for Check<'_, '_> {
    fn deref_mut(&mut self) -> &mut Self::Target {
        self.0
    }
}

/// The Boss's part of the policy files.
pub struct Policy;

/// `boss: {url}`.
#[derive(JsonSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct BossTarget {
    /// The Boss API base URL (a token is sent only to hosts allowed from the environment).
    url: String,
}

/// The Boss's key of a real target in `accord.yaml` (schema only).
#[derive(JsonSchema)]
#[allow(dead_code)]
struct TargetKeys {
    /// The real Boss.
    boss: Option<BossTarget>,
}

/// A real target may point the Boss at a deployment of its own (`boss: {url}`).
const TARGET: TargetSection = TargetSection {
    key: KEY,
    title: "Boss",
    example: "https://api.theboss.io",
    schema: |generator| property_schema::<TargetKeys>(KEY, generator),
};

/// Counts one resource's `permissions:`: each group given one set name, or each name listed.
fn count_permissions(objects: &mut ObjectCounter, p: &ast::BossPermissions) {
    for (k, v) in p.iter() {
        match &v.value {
            ast::PermissionValue::One(_) => objects.one(&k.referenced),
            ast::PermissionValue::Many(list) => objects.many(list.iter().map(|p| &p.referenced)),
        }
    }
}

impl ServicePolicy for Policy {
    fn keys(&self) -> &'static [&'static str] {
        &[KEY]
    }

    fn target(&self) -> Option<TargetSection> {
        Some(TARGET)
    }

    fn position(&self) -> u32 {
        60
    }

    fn parse(&self, _key: &str, yaml: Yaml<'_, '_>) -> Result<ParsedValue, YamlError> {
        yaml.boxed::<Option<Spanned<ast::Boss>>>()
    }

    fn schema(&self, key: &str, generator: &mut SchemaGenerator) -> Schema {
        property_schema::<Keys>(key, generator)
    }

    fn count(&self, section: &FileSection<'_>, objects: &mut ObjectCounter) {
        let Some(Some(b)) = section.get::<Option<Spanned<ast::Boss>>>() else {
            return;
        };
        let b = &b.value;
        for (k, set) in b.permission_sets.iter() {
            objects.one(&k.referenced);
            objects.many(set.value.iter().map(|p| &p.referenced));
        }
        for (k, g) in b.groups.iter() {
            objects.one(&k.referenced);
            objects.many(g.members.iter().flatten().map(|p| &p.referenced));
            objects.many(g.maintainers.iter().flatten().map(|p| &p.referenced));
        }
        objects.many(b.coordinate_frames.iter().map(|(k, _)| &k.referenced));
        for (k, c) in b.collections.iter() {
            objects.one(&k.referenced);
            count_permissions(objects, &c.permissions);
            for (k, e) in c.experiments.iter() {
                objects.one(&k.referenced);
                count_permissions(objects, &e.permissions);
                for (k, ch) in e.channels.iter() {
                    objects.one(&k.referenced);
                    count_permissions(objects, &ch.permissions);
                }
            }
        }
    }

    fn check(
        &self,
        sections: &[FileSection<'_>],
        checker: &mut Checker<'_>,
    ) -> Box<dyn PolicySection> {
        let boss = Check(checker).boss(sections);
        // What the Boss would refuse that the merged policy already shows.
        if let Some(b) = &boss {
            let refused = checks::policy(checker.files, b);
            checker.diags.extend(refused);
        }
        Box::new(BossSection { boss })
    }

    fn describe(&self, key: &str) -> Option<String> {
        let rest = key.split_once('.').map_or("", |(_, r)| r);
        Some(format!("Boss {}", rest.replace('.', " ")))
    }

    fn whole_workspace_codes(&self) -> &'static [&'static str] {
        &[
            codes::BOSS_UNDECLARED_GROUP,
            codes::BOSS_COORD_FRAME,
            codes::BOSS_PERMISSION,
        ]
    }
}

impl PolicySection for BossSection {
    fn compile(&self, compiler: &mut Compiler<'_>) {
        if let Some(b) = &self.boss {
            compile::Compile(compiler).boss(b);
        }
    }

    fn summary(&self) -> Option<Summary> {
        let b = self.boss.as_ref()?;
        Some(Summary {
            title: Some("Boss"),
            counts: vec![
                format!("{} group(s)", b.groups.len()),
                format!("{} resource(s)", b.resources.len()),
            ],
        })
    }

    fn check_live(&self, _policy: &Merged, _desired: &Desired, live: &LiveRead) -> Vec<Problem> {
        match &self.boss {
            Some(b) => live::problems(b, live),
            None => Vec::new(),
        }
    }
}
