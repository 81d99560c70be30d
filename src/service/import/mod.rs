//! The import half of the service contract: what `accord import --<selector> VALUE` reads
//! of a service, and the policy file it writes from that.

use std::collections::BTreeMap;
use std::path::PathBuf;

use async_trait::async_trait;
use uuid::Uuid;

use super::{ProviderError, Registry};

pub mod yaml;

/// A service's part of `accord import`.
#[async_trait]
pub trait Importer: Send + Sync {
    /// The command line's name for what it imports: `--group VALUE` is `group`.
    fn selector(&self) -> &'static str;

    /// Checks and normalises one command-line value (a usage error otherwise).
    fn parse(&self, value: &str) -> Result<String, String>;

    /// Reads what the values name, through the providers (the plan's read path); what it
    /// cannot find is the part's [`ImportedPart::missing`], reported with every other's.
    async fn read(
        &self,
        values: &[String],
        cx: &ImportContext<'_>,
    ) -> Result<Box<dyn ImportedPart>, ImportFailure>;
}

/// What an importer reads with.
pub struct ImportContext<'a> {
    /// The run's providers.
    pub registry: &'a Registry,
    /// The identity accord runs as (its own system-managed access is not written).
    pub caller: Uuid,
    /// Live id → name of the managed groups imported before (a rule naming one is written
    /// `group:NAME`).
    pub group_names: BTreeMap<String, String>,
}

/// Why an importer's read failed.
#[derive(Debug, thiserror::Error)]
pub enum ImportFailure {
    /// Two imported objects share the name a workspace must keep unique.
    #[error("`{name}` is shared by {ids}")]
    NameClash {
        /// The shared name.
        name: String,
        /// Their ids.
        ids: String,
    },
    /// A service failed or refused.
    #[error(transparent)]
    Provider(#[from] ProviderError),
}

/// What one importer read: what it tells the other parts, and the file it writes.
pub trait ImportedPart: Send {
    /// How many objects it imported, for people: `2 group(s)`.
    fn count(&self) -> String;

    /// One line for the workspace header, when it imported anything: `Groups: a, b.`
    fn summary(&self) -> Option<String>;

    /// What it could not find, one a line.
    fn missing(&self) -> Vec<String>;

    /// Live id → policy name of the managed groups it imported.
    fn group_names(&self) -> BTreeMap<String, String> {
        BTreeMap::new()
    }

    /// The identities it names (they get aliases).
    fn identities(&self) -> Vec<Uuid>;

    /// The usernames its read already learnt, by identity (the rest are asked of Auth).
    fn usernames(&self) -> BTreeMap<Uuid, String>;

    /// Its policy file, relative to the workspace, when it imported anything.
    fn render(&self, cx: &dyn RenderContext) -> Option<(PathBuf, String)>;
}

/// What a part renders with: the shared header, and identities' aliases.
pub trait RenderContext {
    /// Writes a policy file's first lines: the schema, when and from where, and `lines`.
    fn header(&self, out: &mut String, lines: &[&str]);
    /// How the workspace names an identity: its alias, else its id.
    fn who(&self, id: &Uuid) -> String;
}
