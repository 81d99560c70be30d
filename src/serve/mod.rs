//! `accord serve`: accord's plan, drift and apply as a Globus Action Provider, so that a
//! Globus Flow can run them as a step and a Globus Timer can run drift on a schedule.
//!
//! The interface is the one globus-action-provider-tools implements (see
//! `docs/action-provider.md`). Parts:
//! - [`config`] what the provider publishes and how it runs actions;
//! - [`model`] the ActionRequest, ActionStatus and introspection documents, the input schema;
//! - [`routes`] the HTTP routes, both styles; [`error`] their error answers;
//! - [`auth`] token introspection at Globus Auth and principal checks, groups included;
//! - [`store`] SQLite: actions, logs, locks; [`lock`] the workspace lock on it;
//! - [`runner`] actions as background tasks through the engine the CLI uses;
//! - [`duration`] ISO 8601 durations (`release_after`).

pub mod auth;
pub mod config;
pub mod duration;
pub mod error;
pub mod lock;
pub mod model;
pub mod routes;
pub mod runner;
pub mod store;
pub mod workspaces;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use auth::Authenticator;
use config::ServeConfig;
use duration::IsoDuration;
use model::ProviderDescription;
use runner::{Runner, RunnerConfig};
use store::Store;

use crate::http::{GlobusCredentials, HttpClient, HttpOptions, ServiceUrls};

/// How often released actions are removed from the store.
const SWEEP_EVERY: Duration = Duration::from_secs(5);

/// Everything `accord serve` needs.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// Where to listen.
    pub listen: SocketAddr,
    /// The SQLite database file.
    pub db: PathBuf,
    /// The folder whose sub-folders are the workspaces served.
    pub workspaces: PathBuf,
    /// The provider's configuration.
    pub config: ServeConfig,
    /// `--target`: a loopback emulator URL (or a target name) every workspace runs against.
    pub target: Option<String>,
    /// HTTP options (`--ca-file`).
    pub http: HttpOptions,
    /// `--now`: the clock of every plan (expiry); the wall clock when unset.
    pub now: Option<chrono::DateTime<chrono::Utc>>,
    /// The services accord manages (`accord::services::builtin()`).
    pub services: crate::service::Services,
}

/// Why the provider could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The configuration is invalid.
    #[error(transparent)]
    Config(#[from] config::ConfigError),
    /// The store could not be opened or recovered.
    #[error("action store {path}: {source}")]
    Store {
        /// The database file.
        path: PathBuf,
        /// The error.
        source: store::StoreError,
    },
    /// The provider's own credentials are missing or unusable.
    #[error("{0}")]
    Credentials(String),
    /// `--workspaces` is not a folder.
    #[error("--workspaces {0}: not a folder")]
    Workspaces(PathBuf),
    /// Listening failed.
    #[error("listening on {addr}: {source}")]
    Listen {
        /// The address.
        addr: SocketAddr,
        /// The error.
        source: std::io::Error,
    },
}

/// Shared state of the routes.
pub struct App {
    /// The configuration.
    pub config: Arc<ServeConfig>,
    /// The introspection document.
    pub description: ProviderDescription,
    /// Actions, logs, locks.
    pub store: Store,
    /// Token checks.
    pub auth: Authenticator,
    /// Runs actions.
    pub runner: Arc<Runner>,
    /// The default `release_after`.
    pub release_after: IsoDuration,
    /// The longest deadline accepted.
    pub max_deadline: IsoDuration,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App").finish_non_exhaustive()
    }
}

/// A provider serving in the background (see [`start`]).
#[derive(Debug)]
pub struct RunningServer {
    /// The bound address.
    pub addr: SocketAddr,
    /// The shared state (store, runner).
    pub app: Arc<App>,
    /// How many actions were left ACTIVE by an earlier run and ended FAILED at start.
    pub recovered: usize,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

impl RunningServer {
    /// `http://ADDR`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting requests.
    pub fn shutdown(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Whether a URL names a loopback host.
fn is_loopback_url(url: &str) -> bool {
    match url::Url::parse(url).ok().as_ref().and_then(|u| u.host()) {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d == "localhost",
        None => false,
    }
}

/// The Auth (and Groups) the provider checks callers with, and its own client credentials:
/// with a loopback emulator `--target`, that emulator (its seed's first client unless the
/// variables say otherwise); else the real Globus services, with `ACCORD_GLOBUS_CLIENT_ID`
/// and `ACCORD_GLOBUS_CLIENT_SECRET`.
async fn auth_services(
    services: &crate::service::Services,
    target: Option<&str>,
) -> Result<(ServiceUrls, GlobusCredentials), ServeError> {
    match target {
        Some(url) if url.starts_with("http://") || url.starts_with("https://") => {
            if !is_loopback_url(url) {
                return Err(ServeError::Credentials(format!(
                    "--target {url}: only a loopback emulator URL is accepted"
                )));
            }
            let fallback = crate::target::emulator_client(services, url).await;
            let creds = GlobusCredentials::from_env_or(fallback.as_ref())
                .map_err(|e| ServeError::Credentials(e.to_string()))?;
            Ok((ServiceUrls::emulator(url), creds))
        }
        _ => {
            let creds = GlobusCredentials::from_env().map_err(|e| {
                ServeError::Credentials(format!("the action provider's own client: {e}"))
            })?;
            Ok((ServiceUrls::production(), creds))
        }
    }
}

/// What the provider does, when its configuration does not say: the services it manages.
fn default_description(services: &crate::service::Services) -> String {
    let managed: Vec<&str> = services
        .iter()
        .filter(|s| !s.kinds().is_empty())
        .map(|s| s.title())
        .collect();
    let list = match managed.split_last() {
        Some((last, [])) => last.to_string(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
        None => String::new(),
    };
    format!(
        "Runs accord's plan, drift and apply on the policy workspaces this provider serves: declarative permissions for {list}."
    )
}

/// The introspection document of a configuration.
pub fn description(
    config: &ServeConfig,
    scope: &str,
    services: &crate::service::Services,
) -> ProviderDescription {
    ProviderDescription {
        admin_contact: config.admin_contact.clone(),
        administered_by: (!config.administered_by.is_empty())
            .then(|| config.administered_by.clone()),
        api_version: "1.0".into(),
        description: config
            .description
            .clone()
            .or_else(|| Some(default_description(services))),
        event_types: None,
        globus_auth_scope: scope.to_string(),
        input_schema: model::input_schema(),
        keywords: config.keywords.clone(),
        log_supported: true,
        maximum_deadline: config.maximum_deadline.clone(),
        runnable_by: config.runnable_by.clone(),
        subtitle: config.subtitle.clone(),
        synchronous: false,
        title: config.title.clone(),
        types: vec!["ACTION".into()],
        visible_to: config.visible_to.clone(),
    }
}

/// Opens the store, ends what a stopped provider left running, binds and serves in the
/// background.
pub async fn start(opts: ServeOptions) -> Result<RunningServer, ServeError> {
    opts.config.check()?;
    if !opts.workspaces.is_dir() {
        return Err(ServeError::Workspaces(opts.workspaces.clone()));
    }
    let store_err = |source| ServeError::Store {
        path: opts.db.clone(),
        source,
    };
    let store = Store::open(&opts.db).map_err(store_err)?;
    let recovered = runner::recover(&store).map_err(store_err)?;
    if recovered > 0 {
        tracing::warn!("{recovered} action(s) interrupted by the last stop ended FAILED");
    }
    let (urls, creds) = auth_services(&opts.services, opts.target.as_deref()).await?;
    let scope = opts.config.scope(&creds.client_id);
    let auth_http = HttpClient::shared(
        &opts.services.apis(),
        urls,
        creds,
        HttpOptions {
            max_retries: 2,
            timeout: Duration::from_secs(15),
            // Introspection has no documented limit: unpaced, like the other such services.
            default_rate_per_sec: None,
            max_concurrency: 64,
            ..opts.http.clone()
        },
    )
    .map_err(|e| ServeError::Credentials(e.to_string()))?;
    let config = Arc::new(opts.config.clone());
    let runner = Arc::new(Runner::new(
        store.clone(),
        config.clone(),
        RunnerConfig {
            workspaces: opts.workspaces.clone(),
            target: opts.target.clone(),
            http: opts.http.clone(),
            now: opts.now,
            services: opts.services.clone(),
        },
    ));
    let app = Arc::new(App {
        description: description(&config, &scope, &opts.services),
        release_after: config.default_release_after(),
        max_deadline: IsoDuration::parse(&config.maximum_deadline)
            .unwrap_or(IsoDuration::from_millis(30 * 86_400_000)),
        config,
        store: store.clone(),
        auth: Authenticator::new(auth_http, scope),
        runner,
    });
    let listener = tokio::net::TcpListener::bind(opts.listen)
        .await
        .map_err(|source| ServeError::Listen {
            addr: opts.listen,
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| ServeError::Listen {
        addr: opts.listen,
        source,
    })?;
    let router = routes::router(app.clone());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let sweeper = tokio::spawn(sweep(store));
    tokio::spawn(async move {
        let served = axum::serve(listener, router)
            .with_graceful_shutdown(async {
                let _ = rx.await;
            })
            .await;
        sweeper.abort();
        if let Err(e) = served {
            tracing::error!("action provider stopped: {e}");
        }
    });
    Ok(RunningServer {
        addr,
        app,
        recovered,
        shutdown: Some(tx),
    })
}

/// Removes released actions now and then.
async fn sweep(store: Store) {
    loop {
        tokio::time::sleep(SWEEP_EVERY).await;
        match store.write(|s| s.sweep()).await {
            Ok(0) => {}
            Ok(n) => tracing::info!("released {n} action(s) past their release_after"),
            Err(e) => tracing::warn!("sweeping released actions: {e}"),
        }
    }
}

/// `accord serve`: serves until Ctrl-C or SIGTERM.
pub async fn serve(opts: ServeOptions) -> Result<(), ServeError> {
    let running = start(opts).await?;
    // Written, not printed: a closed stdout (a parent that read the first line and went)
    // must not stop the provider.
    {
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "accord serve: listening on {}", running.url());
        let _ = writeln!(
            out,
            "  scope: {}",
            running.app.description.globus_auth_scope
        );
        if running.recovered > 0 {
            let _ = writeln!(
                out,
                "  {} action(s) interrupted by the last stop ended FAILED",
                running.recovered
            );
        }
        let _ = out.flush();
    }
    shutdown_signal().await;
    let app = running.app.clone();
    running.shutdown();
    match app.runner.stop_all().await {
        Ok(0) => {}
        Ok(n) => eprintln!("accord serve: stopped; {n} running action(s) ended FAILED"),
        Err(e) => eprintln!("accord serve: stopping: {}", crate::escape::Escaped(e)),
    }
    Ok(())
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = tokio::signal::ctrl_c().await;
                    return;
                }
            };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

// A store failure is the provider's own: an internal error for the caller. The conversion
// sits here, above both, so that neither the store nor the error module needs the other.
impl From<store::StoreError> for error::ApError {
    fn from(e: store::StoreError) -> Self {
        error::ApError::Internal(format!("action store: {e}"))
    }
}
