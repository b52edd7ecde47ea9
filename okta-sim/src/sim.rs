//! The running simulator ([`OktaSim`]): binds the listener, builds the shared state and
//! serves until shut down.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::auth::Tokens;
use crate::config::SimConfig;
use crate::faults::{FaultQueue, RequestLog};
use crate::handle::SimHandle;
use crate::oauth::OAuthState;
use crate::org::Settings;
use crate::ratelimit::{Concurrency, RateLimiter};
use crate::roles::AdminRole;
use crate::shared::Shared;
use crate::{seed, server};

/// A running simulator. Dropping it (or calling [`OktaSim::shutdown`]) stops it.
#[derive(Debug)]
pub struct OktaSim {
    addr: SocketAddr,
    handle: SimHandle,
    stop: Option<watch::Sender<bool>>,
    task: Option<JoinHandle<()>>,
}

impl OktaSim {
    /// Starts a simulator on `127.0.0.1` with a random port.
    pub async fn start(config: SimConfig) -> std::io::Result<OktaSim> {
        Self::start_on(config, SocketAddr::from(([127, 0, 0, 1], 0))).await
    }

    /// Starts a simulator on `addr` (port 0 picks a free port).
    pub async fn start_on(config: SimConfig, addr: SocketAddr) -> std::io::Result<OktaSim> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let base_url = config
            .public_url
            .clone()
            .map(|u| u.trim_end_matches('/').to_string())
            .unwrap_or_else(|| format!("http://{addr}"));
        let mut tokens = Tokens::default();
        tokens.add(&config.token, AdminRole::SuperAdmin);
        for (token, role) in &config.extra_tokens {
            tokens.add(token, *role);
        }
        let shared = Arc::new(Shared {
            org: Mutex::new(seed::build(config.seed, &base_url)),
            tokens: Mutex::new(tokens),
            oauth: Mutex::new(OAuthState::default()),
            faults: Mutex::new(FaultQueue::default()),
            requests: Mutex::new(RequestLog::new(config.request_log_capacity)),
            limiter: Mutex::new(RateLimiter::new(config.effective_rate_limits())),
            settings: Mutex::new(Settings {
                transition: config.transition,
                factor_resend: config.factor_resend_throttle,
            }),
            concurrency: Concurrency::default(),
            base_url,
        });
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(server::serve(listener, Arc::clone(&shared), stopped));
        Ok(OktaSim {
            addr,
            handle: SimHandle { shared },
            stop: Some(stop),
            task: Some(task),
        })
    }

    /// `http://127.0.0.1:PORT` (no trailing slash), or the configured public URL.
    pub fn base_url(&self) -> String {
        self.handle.base_url()
    }

    /// The bound socket address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// A handle on the state.
    pub fn handle(&self) -> SimHandle {
        self.handle.clone()
    }

    /// Stops accepting connections, closes open ones and waits for the server task.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(true);
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for OktaSim {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(true);
        }
    }
}
