//! The Action Provider's configuration: what it publishes (title, scope, who may see and run
//! it, its administrators) and how it runs actions. Read from a YAML or JSON file
//! (`accord serve --config FILE`); every field has a default. Secrets never live here: the
//! provider's client credentials come from the environment only.

use std::path::Path;

use serde::Deserialize;

use super::duration::IsoDuration;
use super::model::is_principal_urn;

/// What a run does when its workspace is busy with another action holding the lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WhenBusy {
    /// Stay ACTIVE, with a display status naming the holder, until the lock is free.
    #[default]
    Wait,
    /// End FAILED at once, naming the holder.
    Refuse,
}

/// The provider's configuration file.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServeConfig {
    /// Published title.
    #[serde(default = "default_title")]
    pub title: String,
    /// Published subtitle.
    #[serde(default)]
    pub subtitle: Option<String>,
    /// Published description.
    #[serde(default)]
    pub description: Option<String>,
    /// Published keywords.
    #[serde(default)]
    pub keywords: Option<Vec<String>>,
    /// Whom to contact about the provider.
    #[serde(default)]
    pub admin_contact: String,
    /// The scope tokens must carry; default `https://auth.globus.org/scopes/<client id>/action_all`.
    #[serde(default)]
    pub globus_auth_scope: Option<String>,
    /// Who may introspect: principal URNs, `public` or `all_authenticated_users`.
    #[serde(default = "default_visible_to")]
    pub visible_to: Vec<String>,
    /// Who may run actions: principal URNs or `all_authenticated_users`.
    #[serde(default = "default_runnable_by")]
    pub runnable_by: Vec<String>,
    /// Administrators (principal URNs): they may monitor and manage every action.
    #[serde(default)]
    pub administered_by: Vec<String>,
    /// The longest deadline accepted (ISO 8601 duration), published.
    #[serde(default = "default_p30d")]
    pub maximum_deadline: String,
    /// How long a finished action is kept when its request names no `release_after`.
    #[serde(default = "default_p30d")]
    pub release_after: String,
    /// What a run does when its workspace is locked by another action.
    #[serde(default)]
    pub when_busy: WhenBusy,
    /// Calls in flight during one apply (the CLI's `--parallelism`).
    #[serde(default = "default_parallelism")]
    pub parallelism: usize,
    /// Actions doing work at once (others wait their turn, ACTIVE).
    #[serde(default = "default_max_running")]
    pub max_running: usize,
}

fn default_title() -> String {
    "accord".into()
}
fn default_visible_to() -> Vec<String> {
    vec!["public".into()]
}
fn default_runnable_by() -> Vec<String> {
    vec!["all_authenticated_users".into()]
}
fn default_p30d() -> String {
    "P30D".into()
}
fn default_parallelism() -> usize {
    8
}
fn default_max_running() -> usize {
    4
}

impl Default for ServeConfig {
    fn default() -> Self {
        ServeConfig {
            title: default_title(),
            subtitle: None,
            description: None,
            keywords: None,
            admin_contact: String::new(),
            globus_auth_scope: None,
            visible_to: default_visible_to(),
            runnable_by: default_runnable_by(),
            administered_by: Vec::new(),
            maximum_deadline: default_p30d(),
            release_after: default_p30d(),
            when_busy: WhenBusy::Wait,
            parallelism: default_parallelism(),
            max_running: default_max_running(),
        }
    }
}

/// Why the configuration is unusable.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The error.
        source: std::io::Error,
    },
    /// The file did not parse.
    #[error("{path}: {message}")]
    Parse {
        /// The file.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// A value is invalid.
    #[error("serve configuration: {0}")]
    Invalid(String),
}

impl ServeConfig {
    /// Reads a YAML (or JSON) file and checks it.
    pub fn load(path: &Path) -> Result<ServeConfig, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io {
            path: path.display().to_string(),
            source,
        })?;
        let config: ServeConfig =
            serde_saphyr::from_str(&text).map_err(|e| ConfigError::Parse {
                path: path.display().to_string(),
                message: e.to_string(),
            })?;
        config.check()?;
        Ok(config)
    }

    /// Checks principals, durations and limits.
    pub fn check(&self) -> Result<(), ConfigError> {
        let bad = |field: &str, p: &str, allowed: &str| {
            ConfigError::Invalid(format!(
                "{field}: `{p}` is not a principal URN (urn:globus:auth:identity:<uuid>, urn:globus:groups:id:<uuid>){allowed}"
            ))
        };
        for p in &self.visible_to {
            if !(is_principal_urn(p) || p == "public" || p == "all_authenticated_users") {
                return Err(bad(
                    "visible_to",
                    p,
                    ", `public` or `all_authenticated_users`",
                ));
            }
        }
        for p in &self.runnable_by {
            if !(is_principal_urn(p) || p == "all_authenticated_users") {
                return Err(bad("runnable_by", p, " or `all_authenticated_users`"));
            }
        }
        for p in &self.administered_by {
            if !is_principal_urn(p) {
                return Err(bad("administered_by", p, ""));
            }
        }
        for (field, value) in [
            ("maximum_deadline", &self.maximum_deadline),
            ("release_after", &self.release_after),
        ] {
            IsoDuration::parse(value).map_err(|e| ConfigError::Invalid(format!("{field}: {e}")))?;
        }
        if self.title.is_empty() || self.title.chars().count() > 128 {
            return Err(ConfigError::Invalid("title: 1 to 128 characters".into()));
        }
        if self.parallelism == 0 || self.max_running == 0 {
            return Err(ConfigError::Invalid(
                "parallelism and max_running must be at least 1".into(),
            ));
        }
        Ok(())
    }

    /// The default `release_after`.
    pub fn default_release_after(&self) -> IsoDuration {
        IsoDuration::parse(&self.release_after).unwrap_or(IsoDuration::from_millis(30 * 86_400_000))
    }

    /// The scope tokens must carry, for the provider's client `client_id`.
    pub fn scope(&self, client_id: &str) -> String {
        self.globus_auth_scope
            .clone()
            .unwrap_or_else(|| format!("https://auth.globus.org/scopes/{client_id}/action_all"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_public_and_open_to_every_signed_in_user() {
        let c: ServeConfig = serde_saphyr::from_str("{}").unwrap();
        assert_eq!(c, ServeConfig::default());
        c.check().unwrap();
        assert_eq!(
            c.scope("abc"),
            "https://auth.globus.org/scopes/abc/action_all"
        );
    }

    #[test]
    fn bad_principals_and_unknown_keys_are_refused() {
        let c: ServeConfig = serde_saphyr::from_str("runnable_by: [public]").unwrap();
        assert!(c.check().unwrap_err().to_string().contains("runnable_by"));
        assert!(serde_saphyr::from_str::<ServeConfig>("runable_by: []").is_err());
        let c: ServeConfig = serde_saphyr::from_str("release_after: 30d").unwrap();
        assert!(c.check().unwrap_err().to_string().contains("release_after"));
    }
}
