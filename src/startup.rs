//! Building and running the application: the same code path for `main` and for tests.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tower::ServiceExt;

use crate::accounts::Accounts;
use crate::actions::Catalog;
use crate::config::Config;
use crate::idempotency::{Idempotency, Sweeper};
use crate::okta::{DomainPolicy, OktaClient};
use crate::rotation::RingPresence;
use crate::secrets::DatabaseLock;
use crate::state::{AppState, Parts};
use crate::{audit, http, secrets, store};

/// How long in-flight requests get to finish after a shutdown signal.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

pub struct Application {
    listener: TcpListener,
    router: Router,
    header_read_timeout: Duration,
    state: AppState,
    /// This gateway's key ring as recorded in the database, withdrawn at shutdown.
    presence: RingPresence,
    /// Held while the gateway runs (embedded database only): keeps `rotate-key` out.
    _database_lock: Option<DatabaseLock>,
    /// Deletes expired idempotency keys while the gateway runs.
    _idempotency_sweeper: Sweeper,
    /// Deletes audit rows past their retention while the gateway lives.
    _audit_retention: audit::Retention,
}

impl Application {
    /// Connect the database (running migrations), load and check keys, and bind the listener.
    pub async fn build(config: Config) -> anyhow::Result<Application> {
        crate::metrics::handle();
        let store = store::connect_with(
            &config.database_url,
            config.db_pool_size,
            config.db_busy_timeout,
        )
        .await
        .context("connecting to the database")?;
        let database_lock = secrets::lock_for_gateway(&config)?;
        let (ring, _) = secrets::key_ring(&config)?;
        let keys = secrets::api_keys(&config)?;
        let okta = OktaClient::new(&config.okta).context("building the Okta HTTP client")?;
        let listener = TcpListener::bind(config.bind_addr)
            .await
            .with_context(|| format!("binding {}", config.bind_addr))?;
        let addr = listener.local_addr().context("reading the bound address")?;
        // Recorded before the check, so a `rotate-key` starting meanwhile sees this gateway.
        let presence = RingPresence::announce(store.clone(), &ring, presence_label(addr)).await?;
        if let Err(err) = secrets::check_key_ring(store.as_ref(), &ring).await {
            presence.withdraw().await;
            return Err(err);
        }
        let domains = DomainPolicy {
            extra_hosts: config.okta.extra_hosts.clone(),
            allow_insecure_loopback: config.okta.allow_insecure_loopback,
        };
        let cursors = ring.cursor_signer();
        let idempotency = Arc::new(Idempotency::new(
            store.clone(),
            ring.clone(),
            config.idempotency_ttl,
            config.request_timeout,
        ));
        let idempotency_sweeper = idempotency.spawn_sweeper();
        let accounts = Accounts::new(store.clone(), ring, okta.clone(), domains);
        let catalog = Catalog::new();
        let state = AppState::new(Parts {
            store,
            accounts: Arc::new(accounts),
            keys: Arc::new(keys),
            okta,
            catalog_json: http::actions::catalog_bytes(&catalog),
            catalog: Arc::new(catalog),
            cursors,
            idempotency,
            config: Arc::new(config),
        });
        let audit_retention =
            audit::Retention::start(state.store.clone(), state.config.audit_retention);
        let router = http::app(
            state.clone(),
            state.config.max_concurrent_requests,
            state.config.request_timeout,
        );
        Ok(Application {
            listener,
            router,
            header_read_timeout: state.config.header_read_timeout,
            state,
            presence,
            _database_lock: database_lock,
            _idempotency_sweeper: idempotency_sweeper,
            _audit_retention: audit_retention,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serve until SIGINT or SIGTERM, then let in-flight requests finish.
    pub async fn run(self) -> anyhow::Result<()> {
        self.run_until(shutdown_signal()).await
    }

    /// Serve until `shutdown` completes, then let in-flight requests finish.
    pub async fn run_until(self, shutdown: impl Future<Output = ()>) -> anyhow::Result<()> {
        let graceful = GracefulShutdown::new();
        let mut builder = hyper::server::conn::http1::Builder::new();
        builder
            .timer(TokioTimer::new())
            .header_read_timeout(self.header_read_timeout)
            .keep_alive(true);
        tracing::info!(addr = %self.local_addr(), "okta-gateway listening");
        tokio::pin!(shutdown);
        loop {
            let stream = tokio::select! {
                accepted = self.listener.accept() => match accepted {
                    Ok((stream, _)) => stream,
                    Err(err) => {
                        // Out of file descriptors and the like: back off instead of spinning.
                        tracing::warn!(error = %err, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                },
                () = &mut shutdown => break,
            };
            let _ = stream.set_nodelay(true);
            let service = self
                .router
                .clone()
                .map_request(|request: hyper::Request<Incoming>| {
                    request.map(axum::body::Body::new)
                });
            let connection =
                builder.serve_connection(TokioIo::new(stream), TowerToHyperService::new(service));
            let connection = graceful.watch(connection);
            tokio::spawn(async move {
                let _ = connection.await;
            });
        }
        drop(self.listener);
        tracing::info!("shutting down: waiting for in-flight requests");
        if tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown())
            .await
            .is_err()
        {
            tracing::warn!("in-flight requests did not finish in time");
        }
        self.presence.withdraw().await;
        Ok(())
    }
}

/// How operators recognise a gateway in `rotate-key`'s messages.
fn presence_label(addr: SocketAddr) -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .unwrap_or_else(|_| "unknown host".to_owned());
    format!("{addr} (pid {} on {host})", std::process::id())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
