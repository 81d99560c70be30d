//! Targets: which services a run talks to, and with which credentials.
//!
//! - an **embedded** target starts the emulator in-process from the workspace's seed and keeps
//!   its state under `.accord/<target>/state.json` (atomic writes, tagged with the seed's
//!   digest: a changed seed starts it again, with a notice);
//! - a **URL** target is a running `accord emulate` on loopback (nothing else is accepted,
//!   so a command line cannot send credentials to an arbitrary host);
//! - a **globus** target is the real services, with credentials from the environment only.
//!
//! Every target builds the Boss provider too. Its credentials (`ACCORD_BOSS_TOKEN` and
//! `ACCORD_BOSS_USERNAME`, or for an emulator the seed's `boss.accord_user`) are needed only
//! by a run that has Boss objects; a real target sends the token to its `boss.url`, which is
//! trusted only when it is the real Boss, loopback, or in `ACCORD_ALLOW_HOSTS`.

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use crate::emulator::{self, Emulator, RunningEmulator, Seed};
use crate::engine::Session;
use crate::http::{GlobusCredentials, HttpClient, HttpOptions, ServiceUrls};
use crate::plan::TargetInfo;
use crate::policy::{TargetConfig, Workspace};
use crate::service::{Connect, ProviderError, Registry, Services};

/// Why a target could not be used.
#[derive(Debug, thiserror::Error)]
pub enum TargetError {
    /// No target given and none configured.
    #[error("no target: pass --target NAME|URL or set default_target in accord.yaml")]
    NoTarget,
    /// `--target NAME` names no target of accord.yaml.
    #[error("unknown target `{name}`; accord.yaml defines: {known}")]
    Unknown {
        /// The name given.
        name: String,
        /// The names defined.
        known: String,
    },
    /// `--target URL` is not loopback.
    #[error(
        "--target {0}: only a loopback emulator URL is accepted (http://127.0.0.1:PORT); real services are named targets"
    )]
    NotLoopback(String),
    /// Nothing answers at `--target URL`.
    #[error("--target {url}: cannot connect ({reason}); is `accord emulate` running there?")]
    Unreachable {
        /// The URL given.
        url: String,
        /// How the connection failed.
        reason: String,
    },
    /// The seed file is unreadable or invalid.
    #[error("seed {path}: {message}")]
    Seed {
        /// The seed file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// Reading or writing `.accord/`.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// Credentials or client construction failed.
    #[error("{0}")]
    Client(String),
}

/// A connected target; call [`Connected::finish`] to persist an embedded target's state.
pub struct Connected {
    /// The services.
    pub session: Session,
    embedded: Option<Embedded>,
}

struct Embedded {
    running: RunningEmulator,
    state_file: PathBuf,
    seed_digest: String,
}

/// What `.accord/<target>/state.json` holds.
#[derive(serde::Serialize, serde::Deserialize)]
struct SavedState {
    seed_digest: String,
    state: serde_json::Value,
}

impl Connected {
    /// Saves an embedded target's state (atomically) and stops its emulator.
    pub async fn finish(self) -> Result<(), TargetError> {
        if let Some(e) = self.embedded {
            let mut state = e.running.emulator.snapshot();
            emulator::strip_secrets(e.running.emulator.services(), &mut state);
            let saved = SavedState {
                seed_digest: e.seed_digest,
                state,
            };
            let text = serde_json::to_string(&saved).expect("state serialises");
            write_atomic(&e.state_file, &text)?;
            e.running.shutdown();
        }
        Ok(())
    }
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> TargetError + '_ {
    move |source| TargetError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Writes a file via a temporary file and a rename, so a crash never leaves half a file.
fn write_atomic(path: &Path, text: &str) -> Result<(), TargetError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let tmp = path.with_extension(format!("tmp.{}", std::process::id()));
    std::fs::write(&tmp, text).map_err(io(&tmp))?;
    std::fs::rename(&tmp, path).map_err(io(path))
}

// Client secrets and Boss tokens are the seed's and never change: the state file leaves
// them out (a secret on disk is a secret that leaks), and `emulator::restore_secrets` puts
// them back.

fn sha256(text: &str) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(text.as_bytes())))
}

/// Loads a seed file, each section read by its service.
pub fn load_seed(services: &Services, path: &Path) -> Result<(Seed, String), TargetError> {
    let text = std::fs::read_to_string(path).map_err(io(path))?;
    // A `.json` seed is read as JSON (large generated seeds; YAML parsing has a node budget).
    let parsed = if path.extension().is_some_and(|e| e == "json") {
        Seed::from_json_str(services, &text)
    } else {
        Seed::from_yaml_str(services, &text)
    };
    let seed = parsed.map_err(|e| TargetError::Seed {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    Ok((seed, sha256(&text)))
}

fn state_file(ws: &Workspace, name: &str) -> PathBuf {
    ws.root.join(".accord").join(name).join("state.json")
}

/// The target a run without a workspace uses: the real services.
pub const GLOBUS_TARGET: &str = "globus";

/// The target a run uses: `--target`, else the workspace's default; without a workspace,
/// the real services ([`GLOBUS_TARGET`]).
fn choose<'a>(ws: Option<&'a Workspace>, flag: Option<&'a str>) -> Result<Choice<'a>, TargetError> {
    if let Some(f) = flag
        && (f.starts_with("http://") || f.starts_with("https://"))
    {
        return Ok(Choice::Url(f));
    }
    // Without a workspace (`accord import` into a new folder): the real services, as the
    // target `globus` that import then writes into the new accord.yaml.
    let Some(ws) = ws else {
        return match flag {
            None | Some(GLOBUS_TARGET) => Ok(Choice::Named(GLOBUS_TARGET, &TargetConfig::Globus)),
            Some(_) => Err(TargetError::NoTarget),
        };
    };
    let name = flag
        .or(ws.config.default_target.as_deref())
        .ok_or(TargetError::NoTarget)?;
    let config = ws
        .config
        .targets
        .get(name)
        .ok_or_else(|| TargetError::Unknown {
            name: name.to_string(),
            known: ws
                .config
                .targets
                .keys()
                .cloned()
                .collect::<Vec<_>>()
                .join(", "),
        })?;
    Ok(Choice::Named(name, config))
}

enum Choice<'a> {
    Url(&'a str),
    Named(&'a str, &'a TargetConfig),
}

/// Builds every service's provider on one shared HTTP client. Missing credentials fail only
/// the calls that need them: a workspace managing only services with static tokens needs no
/// OAuth client, one without them no static token.
fn session(
    services: &Services,
    urls: ServiceUrls,
    emulator: Option<&serde_json::Value>,
    target: TargetInfo,
    options: HttpOptions,
) -> Result<Session, TargetError> {
    let fallback = emulator.and_then(|doc| services.iter().find_map(|s| s.oauth_client(doc)));
    let creds = globus_credentials(GlobusCredentials::from_env_or(fallback.as_ref()));
    let apis = services.apis();
    let http = match creds {
        Ok(c) => HttpClient::new(&apis, urls, c, options),
        Err(why) => HttpClient::without_globus_credentials(&apis, urls, why, options),
    }
    .map(Arc::new)
    .map_err(|e| TargetError::Client(e.to_string()))?;
    let cx = Connect {
        http: &http,
        emulator,
    };
    let registry = services
        .iter()
        .filter_map(|s| s.provider(&cx))
        .fold(Registry::new(), Registry::with);
    let auth = services
        .iter()
        .find_map(|s| s.identities(&cx))
        .ok_or_else(|| TargetError::Client("no service resolves identities".into()))?;
    Ok(Session {
        registry,
        auth,
        target,
        activity: http.activity(),
    })
}

/// Globus credentials, or why there are none (said by the first call that needs them).
fn globus_credentials(
    creds: Result<GlobusCredentials, ProviderError>,
) -> Result<GlobusCredentials, String> {
    creds.map_err(|e| match e {
        ProviderError::Credentials(m) => m,
        other => other.to_string(),
    })
}

/// Connects to the chosen target.
pub async fn connect(
    services: &Services,
    ws: Option<&Workspace>,
    flag: Option<&str>,
    now: Option<DateTime<Utc>>,
) -> Result<Connected, TargetError> {
    connect_with(services, ws, flag, now, HttpOptions::default()).await
}

/// Connects to the chosen target with these HTTP options (`--ca-file`).
pub async fn connect_with(
    services: &Services,
    ws: Option<&Workspace>,
    flag: Option<&str>,
    now: Option<DateTime<Utc>>,
    options: HttpOptions,
) -> Result<Connected, TargetError> {
    match choose(ws, flag)? {
        Choice::Url(url) => {
            let parsed = url::Url::parse(url).map_err(|_| TargetError::NotLoopback(url.into()))?;
            let loopback = match parsed.host() {
                Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
                Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
                Some(url::Host::Domain(d)) => d == "localhost",
                None => false,
            };
            if !loopback {
                return Err(TargetError::NotLoopback(url.into()));
            }
            // A loopback emulator runs as the client and users its seed names; the
            // variables override.
            let connection = match emulator_connection_checked(url).await {
                Ok(doc) => doc,
                Err(e) if e.is_connect() || e.is_timeout() => {
                    return Err(TargetError::Unreachable {
                        url: url.into(),
                        reason: innermost(&e),
                    });
                }
                Err(_) => None,
            };
            let target = TargetInfo {
                name: url.to_string(),
                kind: "emulator".into(),
                description: format!("{url} (accord emulate, no real service is touched)"),
            };
            Ok(Connected {
                session: session(
                    services,
                    ServiceUrls::emulator(url),
                    connection.as_ref(),
                    target,
                    options,
                )?,
                embedded: None,
            })
        }
        Choice::Named(name, TargetConfig::Globus) => {
            let target = TargetInfo {
                name: name.into(),
                kind: "globus".into(),
                description: format!("{name} (Globus)"),
            };
            let urls = real_urls(ws.and_then(|w| w.config.service_urls.get(name)));
            Ok(Connected {
                session: session(services, urls, None, target, options)?,
                embedded: None,
            })
        }
        Choice::Named(name, TargetConfig::Embedded { seed }) => {
            let ws = ws.expect("named targets come from a workspace");
            let seed_path = ws.root.join(seed);
            // Loading checked this already; checked again here, as the file may have changed
            // since, because a seed's parse error shows its first lines.
            crate::policy::source::file_inside(&ws.root, seed).map_err(|e| TargetError::Seed {
                path: seed_path.clone(),
                message: format!("not a file inside the workspace: it {e}"),
            })?;
            let (seed, digest) = load_seed(&crate::services::builtin(), &seed_path)?;
            let file = state_file(ws, name);
            let emulator = match std::fs::read_to_string(&file) {
                Ok(text) => match serde_json::from_str::<SavedState>(&text) {
                    Ok(mut saved) if saved.seed_digest == digest => {
                        emulator::restore_secrets(&seed, &mut saved.state);
                        Emulator::from_snapshot(seed.clone(), saved.state).map_err(|e| {
                            TargetError::Seed {
                                path: file.clone(),
                                message: e.to_string(),
                            }
                        })?
                    }
                    _ => {
                        let notice = format!(
                            "notice: {} changed since the embedded target `{name}` last ran; its state starts again from the seed",
                            seed_path.display()
                        );
                        eprintln!("{}", crate::escape::escape_line(&notice));
                        fresh(&seed, now)
                    }
                },
                Err(_) => fresh(&seed, now),
            };
            if let Some(now) = now {
                emulator.set_now(now);
            }
            let connection = serde_json::to_value(emulator.connection()).ok();
            let running = emulator::spawn(emulator).await.map_err(io(&file))?;
            let target = TargetInfo {
                name: name.into(),
                kind: "embedded".into(),
                description: format!("{name} (embedded emulator, no real service is touched)"),
            };
            let session = session(
                services,
                ServiceUrls::emulator(&running.base_url),
                connection.as_ref(),
                target,
                options,
            )?;
            Ok(Connected {
                session,
                embedded: Some(Embedded {
                    running,
                    state_file: file,
                    seed_digest: digest,
                }),
            })
        }
    }
}

/// The real services, each at the URL the target names for it (`<service>: {url}`), else at
/// its production URL. Such a URL is trusted with the service's token only when it is the
/// production host, loopback, or in `ACCORD_ALLOW_HOSTS`: the shared client checks before
/// sending anything.
pub(crate) fn real_urls(named: Option<&BTreeMap<String, String>>) -> ServiceUrls {
    let mut urls = ServiceUrls::production();
    for (service, url) in named.into_iter().flatten() {
        urls.set(service, url);
    }
    urls
}

/// A new emulator from the seed; with `--now`, the seeded objects are stamped at that time,
/// so nothing a plan shows depends on the wall clock.
fn fresh(seed: &Seed, now: Option<DateTime<Utc>>) -> Emulator {
    match now {
        Some(now) => Emulator::new_at(seed.clone(), now),
        None => Emulator::new(seed.clone()),
    }
}

/// Who a run acts as at a running emulator: its `/_emulator/connection` document (a few
/// hundred bytes, where the whole state runs to tens of megabytes at scale), each service
/// reading its own section. An emulator without that route (an older `accord emulate`) is
/// asked for its state instead, which the services read too.
pub(crate) async fn emulator_connection(base: &str) -> Option<serde_json::Value> {
    emulator_connection_checked(base).await.ok().flatten()
}

/// The same, failing when nothing answers at `base` (within 15 s).
async fn emulator_connection_checked(
    base: &str,
) -> Result<Option<serde_json::Value>, reqwest::Error> {
    let base = base.trim_end_matches('/');
    let resp = reqwest::Client::new()
        .get(format!("{base}/_emulator/connection"))
        .timeout(std::time::Duration::from_secs(15))
        .send()
        .await?;
    if resp.status() == reqwest::StatusCode::NOT_FOUND {
        return Ok(emulator_state(base).await);
    }
    Ok(resp.json().await.ok())
}

/// An error's innermost cause (`Connection refused (os error 111)`).
fn innermost(e: &dyn std::error::Error) -> String {
    let mut last = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        last = s.to_string();
        source = s.source();
    }
    last
}

/// A running emulator's whole state, read from its control route.
async fn emulator_state(base: &str) -> Option<serde_json::Value> {
    let url = format!("{base}/_emulator/state");
    reqwest::get(url).await.ok()?.json().await.ok()
}

/// The OAuth client a running emulator names, read from its control route.
pub async fn emulator_client(services: &Services, base: &str) -> Option<GlobusCredentials> {
    let doc = emulator_connection(base).await?;
    services.iter().find_map(|s| s.oauth_client(&doc))
}

/// Whether the run's target (`--target`, else the default) is an embedded emulator, whose
/// state the run persists under `.accord/`.
pub fn is_embedded(ws: &Workspace, flag: Option<&str>) -> bool {
    matches!(
        choose(Some(ws), flag),
        Ok(Choice::Named(_, TargetConfig::Embedded { .. }))
    )
}

/// `accord reset`: forgets an embedded target's state, so the next run starts from the seed.
pub fn reset(ws: &Workspace, flag: Option<&str>) -> Result<String, TargetError> {
    match choose(Some(ws), flag)? {
        Choice::Named(name, TargetConfig::Embedded { seed }) => {
            let file = state_file(ws, name);
            match std::fs::remove_file(&file) {
                Ok(()) => Ok(format!(
                    "reset the embedded target `{name}`: it starts again from {}",
                    seed.display()
                )),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(format!(
                    "the embedded target `{name}` already starts from {}",
                    seed.display()
                )),
                Err(e) => Err(TargetError::Io {
                    path: file,
                    source: e,
                }),
            }
        }
        Choice::Named(name, _) => Err(TargetError::Client(format!(
            "`{name}` is not an embedded target; only those can be reset"
        ))),
        Choice::Url(url) => Err(TargetError::Client(format!(
            "reset a running emulator with POST {url}/_emulator/reset"
        ))),
    }
}

/// `accord emulate --tls`: where the CA certificate goes.
#[derive(Debug, Clone, Default)]
pub struct EmulateTls {
    /// The CA file to write; default `accord-emulator-ca-PORT.pem` in the temp dir.
    pub ca_out: Option<PathBuf>,
}

/// `accord emulate`: serves every emulated service until interrupted.
pub async fn emulate(
    listen: SocketAddr,
    seed: Option<&Path>,
    now: Option<DateTime<Utc>>,
    tls: Option<EmulateTls>,
) -> Result<(), TargetError> {
    let services = crate::services::builtin();
    // Without a seed: each service's default section (one client with a fresh random
    // secret, which `--target URL` reads from the emulator's connection route).
    let seed = match seed {
        Some(p) => load_seed(&services, p)?.0,
        None => Seed::default_for(&services).map_err(|e| TargetError::Seed {
            path: PathBuf::from("(default seed)"),
            message: e.to_string(),
        })?,
    };
    let emulator = Emulator::new(seed.clone());
    if let Some(now) = now {
        emulator.set_now(now);
    }
    let io_at = |path: PathBuf| move |e| TargetError::Io { path, source: e };
    let Some(tls) = tls else {
        eprintln!(
            "accord emulate: serving {} on http://{listen}",
            emulator::banner(&services)
        );
        print_client(&seed);
        return emulator::serve(emulator, listen)
            .await
            .map_err(io_at(PathBuf::from(listen.to_string())));
    };
    let identity = emulator::TlsIdentity::generate().map_err(io_at(PathBuf::from("tls")))?;
    let ca_file = tls.ca_out.unwrap_or_else(|| {
        std::env::temp_dir().join(format!("accord-emulator-ca-{}.pem", listen.port()))
    });
    std::fs::write(&ca_file, &identity.ca_pem).map_err(io_at(ca_file.clone()))?;
    eprintln!(
        "accord emulate: serving {} on https://{listen}",
        emulator::banner(&services)
    );
    eprintln!(
        "  CA certificate: {} (e.g. GLOBUS_SDK_VERIFY_SSL={})",
        ca_file.display(),
        ca_file.display()
    );
    print_client(&seed);
    emulator::serve_tls(emulator, listen, &identity)
        .await
        .map_err(io_at(PathBuf::from(listen.to_string())))
}

/// Whom accord runs as on this emulator, as each service says it (never a secret).
fn print_client(seed: &Seed) {
    for line in emulator::banner_lines(seed) {
        eprintln!("{line}");
    }
}
