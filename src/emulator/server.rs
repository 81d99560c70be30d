//! Serving an emulator: in a background task on a loopback port (tests, embedded targets), or
//! on an address until Ctrl-C (`accord emulate`), over HTTP or HTTPS.

use std::net::SocketAddr;

use axum::serve::ListenerExt;

use super::Emulator;
use super::tls::{self, TlsIdentity};

/// A running emulator bound to a loopback port.
#[derive(Debug)]
pub struct RunningEmulator {
    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub base_url: String,
    /// The emulator being served (shares state with the server).
    pub emulator: Emulator,
    /// The bound address.
    pub addr: SocketAddr,
    /// With TLS ([`spawn_tls`]): the PEM of the CA certificate clients must trust.
    pub ca_pem: Option<String>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

impl RunningEmulator {
    /// The URL of one service's root (by its name), with a trailing slash, as the SDK
    /// variables want it.
    pub fn service_url(&self, service: &str) -> String {
        format!("{}/{service}/", self.base_url)
    }

    /// Stops accepting connections; requests in flight finish.
    pub fn shutdown(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

impl Drop for RunningEmulator {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Serves `emulator` over HTTP on `127.0.0.1:0` in a background task.
pub async fn spawn(emulator: Emulator) -> std::io::Result<RunningEmulator> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
    let addr = listener.local_addr()?;
    let base_url = format!("http://{addr}");
    emulator.set_base_url(Some(base_url.clone()));
    let router = emulator.router();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        let served = axum::serve(listener.tap_io(set_nodelay), router)
            .with_graceful_shutdown(async {
                let _ = rx.await;
            })
            .await;
        if let Err(e) = served {
            tracing::error!("emulator server stopped: {e}");
        }
    });
    Ok(RunningEmulator {
        base_url,
        emulator,
        addr,
        ca_pem: None,
        shutdown: Some(tx),
    })
}

/// Serves `emulator` over HTTPS on `127.0.0.1:0` in a background task, with a fresh
/// self-signed CA ([`RunningEmulator::ca_pem`]) and a certificate for `127.0.0.1`.
pub async fn spawn_tls(emulator: Emulator) -> std::io::Result<RunningEmulator> {
    let identity = TlsIdentity::generate()?;
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
    let addr = listener.local_addr()?;
    let base_url = format!("https://{addr}");
    emulator.set_base_url(Some(base_url.clone()));
    let listener = tls::TlsListener::new(listener, &identity)?;
    let router = emulator.router();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        let served = axum::serve(listener, router)
            .with_graceful_shutdown(async {
                let _ = rx.await;
            })
            .await;
        if let Err(e) = served {
            tracing::error!("emulator server stopped: {e}");
        }
    });
    Ok(RunningEmulator {
        base_url,
        emulator,
        addr,
        ca_pem: Some(identity.ca_pem),
        shutdown: Some(tx),
    })
}

/// Serves `emulator` over HTTP on `addr` until Ctrl-C (for `accord emulate`).
pub async fn serve(emulator: Emulator, addr: SocketAddr) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    emulator.set_base_url(Some(format!("http://{local}")));
    tracing::info!("emulator listening on http://{local}");
    axum::serve(listener.tap_io(set_nodelay), emulator.router())
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
}

/// Serves `emulator` over HTTPS on `addr` with `identity` until Ctrl-C (`accord emulate --tls`).
pub async fn serve_tls(
    emulator: Emulator,
    addr: SocketAddr,
    identity: &TlsIdentity,
) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    emulator.set_base_url(Some(format!("https://{local}")));
    tracing::info!("emulator listening on https://{local}");
    let listener = tls::TlsListener::new(listener, identity)?;
    axum::serve(listener, emulator.router())
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
}

/// Nagle's algorithm meets delayed ACKs on loopback keep-alive connections and stalls
/// every response by ~40 ms, so it is switched off on each accepted socket.
fn set_nodelay(tcp: &mut tokio::net::TcpStream) {
    tls::set_nodelay_stream(tcp);
}
