//! Applying user credentials: created (adopting one that exists), updated, never deleted.

use serde_json::{Map, Value};

use crate::http::HttpRequest;
use crate::plan::Change;
use crate::service::{IdMap, Outcome, failed};
use crate::services::gcs::api;
use crate::services::gcs::wire::{USER_CREDENTIAL_DATA_TYPE, UserCredential};

use super::documents::{first_item, str_field};
use super::keys::{parse_endpoint, server_id};
use super::{GcsProvider, is_exists};

impl GcsProvider {
    pub(super) async fn create_credential(&self, change: &Change, ids: &IdMap) -> Outcome {
        let [endpoint, gateway] = &change.address.keys[..] else {
            return failed(format!("{}: not a credential address", change.address));
        };
        let endpoint = match parse_endpoint(endpoint) {
            Ok(e) => e,
            Err(e) => return failed(e),
        };
        let me = match self.me() {
            Ok(m) => m,
            Err(e) => return failed(e),
        };
        let after = change.after.as_ref();
        let username = after.and_then(|a| a.str_attr("username"));
        let attr = |f: &str| after.and_then(|a| a.attrs.get(f)).filter(|v| !v.is_null());
        let body = UserCredential {
            identity_id: Some(me.to_string()),
            storage_gateway_id: Some(gateway.clone()),
            username: username.map(str::to_string),
            display_name: attr("display_name")
                .and_then(Value::as_str)
                .map(str::to_string),
            policies: attr("policies").cloned(),
            ..UserCredential::default()
        };
        let req = HttpRequest::post(api::endpoint(endpoint), "/user_credentials")
            .json(&body)
            .create();
        let adopt = || async {
            match self.find_credential(endpoint, gateway, username).await {
                Ok(Some(c)) => c.id.map(|id| {
                    ids.insert(change.address.clone(), id.clone());
                    tracing::info!(credential = %id, address = %change.address, "adopted existing user credential");
                    Ok(id)
                }),
                Ok(None) => None,
                Err(e) => Some(Err(format!("re-reading the user credentials failed: {e}"))),
            }
        };
        let mut backoff = self.http.create_backoff();
        loop {
            match self.http.send(&req).await {
                Ok(resp) => {
                    let Some(id) = first_item(&resp.body, "user_credential")
                        .as_ref()
                        .and_then(|c| str_field(c, "id"))
                        .map(str::to_string)
                    else {
                        return failed("the created user credential has no id");
                    };
                    ids.insert(change.address.clone(), id.clone());
                    return Outcome::Applied {
                        server_id: Some(id),
                    };
                }
                Err(e) if is_exists(&e) => {
                    return match adopt().await {
                        Some(Ok(id)) => Outcome::Applied {
                            server_id: Some(id),
                        },
                        Some(Err(m)) => failed(m),
                        None => failed(format!("{e}; but no credential was found on re-read")),
                    };
                }
                Err(e) if e.is_maybe_applied() => {
                    if !self.http.pause_before_retry(&mut backoff, &e).await {
                        return failed(e);
                    }
                    match adopt().await {
                        Some(Ok(id)) => {
                            return Outcome::Applied {
                                server_id: Some(id),
                            };
                        }
                        Some(Err(m)) => return failed(m),
                        None => {}
                    }
                }
                Err(e) => return failed(e),
            }
        }
    }

    pub(super) async fn update_credential(&self, change: &Change, ids: &IdMap) -> Outcome {
        let Some(id) = server_id(change, ids) else {
            return failed(format!("{}: no known credential id", change.address));
        };
        let endpoint = match parse_endpoint(&change.address.keys[0]) {
            Ok(e) => e,
            Err(e) => return failed(e),
        };
        let mut body = Map::new();
        for f in &change.fields {
            if f.name == "display_name" || f.name == "policies" {
                body.insert(f.name.clone(), f.after.clone());
            }
        }
        if body.is_empty() {
            return Outcome::Applied {
                server_id: Some(id),
            };
        }
        body.insert("DATA_TYPE".into(), USER_CREDENTIAL_DATA_TYPE.into());
        let req = HttpRequest::patch(api::endpoint(endpoint), format!("/user_credentials/{id}"))
            .json(&Value::Object(body));
        match self.http.send(&req).await {
            Ok(_) => Outcome::Applied {
                server_id: Some(id),
            },
            Err(e) => failed(e),
        }
    }
}
