//! `okta-sim`: runs the simulator and prints its base URL on one line of stdout.

use std::io::Write;

use clap::Parser;
use okta_sim::{OktaSim, Seed, SimConfig};

/// An Okta org simulator for tests and demos of okta-gateway.
#[derive(Debug, Parser)]
#[command(name = "okta-sim", version)]
struct Cli {
    /// Port to listen on (0 picks a free one).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Address to bind.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// The admin SSWS token.
    #[arg(long, env = "OKTA_SIM_TOKEN")]
    token: String,
    /// An optional read-only token (writes get 403 E0000006).
    #[arg(long)]
    read_only_token: Option<String>,
    /// Use Okta's published rate limits instead of generous ones.
    #[arg(long)]
    okta_rate_limits: bool,
    /// Initial data: demo or empty.
    #[arg(long, default_value = "demo")]
    seed: Seed,
    /// Base URL to use in links (defaults to http://HOST:PORT).
    #[arg(long)]
    public_url: Option<String>,
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let cli = Cli::parse();
    let addr = tokio::net::lookup_host((cli.host.as_str(), cli.port))
        .await?
        .next()
        .ok_or_else(|| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("cannot resolve host {}", cli.host),
            )
        })?;
    let config = SimConfig {
        token: cli.token,
        read_only_token: cli.read_only_token,
        okta_rate_limits: cli.okta_rate_limits,
        seed: cli.seed,
        public_url: cli.public_url,
        ..SimConfig::default()
    };
    let sim = OktaSim::start_on(config, addr).await?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}", sim.base_url())?;
    out.flush()?;
    drop(out);
    wait_for_signal().await;
    sim.shutdown().await;
    Ok(())
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
