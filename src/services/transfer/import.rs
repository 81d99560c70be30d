//! `accord import --endpoint ID`: the ACL rules of collections and endpoints, written as
//! `endpoints.yaml` (a rule naming an imported group names it `group:NAME`).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;

use async_trait::async_trait;
use uuid::Uuid;

use super::ACL;
use crate::service::import::yaml::scalar;
use crate::service::import::{ImportContext, ImportFailure, ImportedPart, Importer, RenderContext};
use crate::service::{LiveRead, ProviderError, Scope};
use crate::state::{Address, Container, ContainerMode, Principal};

/// Parses an `--endpoint` value: collections and endpoints are named by UUID only.
pub fn parse_endpoint(s: &str) -> Result<Uuid, String> {
    Uuid::parse_str(s.trim()).map_err(|_| {
        format!(
            "`{s}` is not a collection or endpoint UUID (e.g. e56c36e4-1063-11e6-a747-22000bf2d559)"
        )
    })
}

/// One imported ACL rule.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ImportedRule {
    /// The path, ending in `/`.
    pub path: String,
    /// The canonical principal (`group:NAME` for an imported group).
    pub principal: Principal,
    /// `r` or `rw`.
    pub permissions: String,
    /// RFC 3339 UTC, when the rule expires.
    pub expires: Option<String>,
}

/// One imported endpoint or collection.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportedEndpoint {
    /// Its UUID.
    pub id: Uuid,
    /// Its rules, sorted by path then principal.
    pub rules: Vec<ImportedRule>,
}

/// The endpoints an import read, sorted by id, and what it could not find.
#[derive(Debug, Clone, Default)]
pub struct ImportedEndpoints {
    /// The endpoints.
    pub endpoints: Vec<ImportedEndpoint>,
    missing: Vec<String>,
    usernames: BTreeMap<Uuid, String>,
}

/// Transfer's importer.
pub struct EndpointImporter;

#[async_trait]
impl Importer for EndpointImporter {
    fn selector(&self) -> &'static str {
        "endpoint"
    }

    fn parse(&self, value: &str) -> Result<String, String> {
        parse_endpoint(value).map(|u| u.to_string())
    }

    async fn read(
        &self,
        values: &[String],
        cx: &ImportContext<'_>,
    ) -> Result<Box<dyn ImportedPart>, ImportFailure> {
        let mut endpoints = BTreeMap::new();
        let mut missing = Vec::new();
        let mut usernames = BTreeMap::new();
        for id in values.iter().filter_map(|v| parse_endpoint(v).ok()) {
            if endpoints.contains_key(&id) {
                continue;
            }
            let scope = Scope {
                containers: vec![Container {
                    address: Address::partial(ACL, [id.to_string()]),
                    mode: ContainerMode::Authoritative,
                    manage_paths: Vec::new(),
                    provenance: None,
                }],
                group_names: cx.group_names.clone(),
                ..Scope::default()
            };
            match cx.registry.read(&scope).await {
                Ok(r) => {
                    usernames.extend(r.names.iter().filter_map(|(p, n)| match p {
                        Principal::Identity(id) => Some((*id, n.clone())),
                        _ => None,
                    }));
                    endpoints.insert(
                        id,
                        ImportedEndpoint {
                            id,
                            rules: imported_rules(&r),
                        },
                    );
                }
                Err(ProviderError::NotFound(m)) => missing.push(m),
                Err(e) => return Err(e.into()),
            }
        }
        Ok(Box::new(ImportedEndpoints {
            endpoints: endpoints.into_values().collect(),
            missing,
            usernames,
        }))
    }
}

/// The rules of one endpoint's read; system-managed ones are not in `state`, so never written.
fn imported_rules(live: &LiveRead) -> Vec<ImportedRule> {
    let mut rules: Vec<ImportedRule> = live
        .state
        .objects
        .values()
        .filter(|o| o.address.kind == ACL)
        .filter_map(|o| {
            Some(ImportedRule {
                path: o.address.keys[1].clone(),
                principal: o.address.keys[2].parse().ok()?,
                permissions: o.str_attr("permissions").unwrap_or("r").to_string(),
                expires: o.str_attr("expires").map(str::to_string),
            })
        })
        .collect();
    rules.sort();
    rules
}

impl ImportedEndpoints {
    /// The endpoints' ids, comma separated.
    fn list(&self) -> String {
        self.endpoints
            .iter()
            .map(|e| e.id.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl ImportedPart for ImportedEndpoints {
    fn count(&self) -> String {
        format!("{} endpoint(s)", self.endpoints.len())
    }

    fn summary(&self) -> Option<String> {
        (!self.endpoints.is_empty()).then(|| format!("Endpoints: {}.", self.list()))
    }

    fn missing(&self) -> Vec<String> {
        self.missing.clone()
    }

    fn identities(&self) -> Vec<Uuid> {
        self.endpoints
            .iter()
            .flat_map(|e| {
                e.rules.iter().filter_map(|r| match r.principal {
                    Principal::Identity(id) => Some(id),
                    _ => None,
                })
            })
            .collect()
    }

    fn usernames(&self) -> BTreeMap<Uuid, String> {
        self.usernames.clone()
    }

    fn render(&self, cx: &dyn RenderContext) -> Option<(PathBuf, String)> {
        if self.endpoints.is_empty() {
            return None;
        }
        let mut text = String::new();
        cx.header(
            &mut text,
            &[
                &format!("The ACL rules of {}.", self.list()),
                "Rules derived from collection roles are the service's, so they are not written.",
            ],
        );
        text.push_str("endpoints:\n");
        for e in &self.endpoints {
            let _ = writeln!(text, "  {}:", e.id);
            if e.rules.is_empty() {
                text.push_str("    acl: []\n");
                continue;
            }
            text.push_str("    acl:\n");
            // Flow mappings, one rule a line, as people write them.
            let mut rules: Vec<(String, &ImportedRule)> = e
                .rules
                .iter()
                .map(|r| {
                    let principal = match &r.principal {
                        Principal::Identity(id) => cx.who(id),
                        other => other.to_string(),
                    };
                    (principal, r)
                })
                .collect();
            rules.sort_by(|a, b| (&a.1.path, &a.0).cmp(&(&b.1.path, &b.0)));
            for (principal, r) in rules {
                let mut line = format!(
                    "      - {{ principal: {}, path: {}, permissions: {}",
                    scalar(&principal),
                    scalar(&r.path),
                    scalar(&r.permissions)
                );
                if let Some(exp) = &r.expires {
                    let _ = write!(line, ", expires: {}", scalar(exp));
                }
                line.push_str(" }\n");
                text.push_str(&line);
            }
        }
        Some((PathBuf::from("endpoints.yaml"), text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_parse() {
        assert!(parse_endpoint("e56c36e4-1063-11e6-a747-22000bf2d559").is_ok());
        let e = parse_endpoint("lab-share").unwrap_err();
        assert!(
            e.contains("`lab-share` is not a collection or endpoint UUID"),
            "{e}"
        );
    }
}
