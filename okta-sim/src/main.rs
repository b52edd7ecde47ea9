//! `okta-sim`: runs the simulator and prints its base URL on one line of stdout.

use std::io::Write;

use clap::Parser;
use okta_sim::{AdminRole, OktaSim, Seed, SimConfig};

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
    /// Another accepted token and its owner's role, as TOKEN:ROLE (ROLE is SUPER_ADMIN,
    /// ORG_ADMIN, HELP_DESK_ADMIN or READ_ONLY_ADMIN); repeatable.
    #[arg(long, value_name = "TOKEN:ROLE", value_parser = token_with_role)]
    extra_token: Vec<(String, AdminRole)>,
    /// Use Okta's published rate limits instead of generous ones.
    #[arg(long)]
    okta_rate_limits: bool,
    /// Initial data: demo, empty or large.
    #[arg(long, default_value = "demo")]
    seed: Seed,
    /// How long an activation (and a `Prefer: respond-async` deactivation or delete) stays
    /// in progress, in milliseconds; 0 makes them synchronous.
    #[arg(long, default_value_t = 100)]
    transition_ms: u64,
    /// Base URL to use in links (defaults to http://HOST:PORT).
    #[arg(long)]
    public_url: Option<String>,
}

/// `TOKEN:ROLE`, split at the last colon (a role never contains one).
fn token_with_role(s: &str) -> Result<(String, AdminRole), String> {
    let (token, role) = s
        .rsplit_once(':')
        .ok_or_else(|| format!("'{s}' is not TOKEN:ROLE"))?;
    if token.trim().is_empty() {
        return Err("the token must not be empty".into());
    }
    Ok((token.to_string(), role.parse()?))
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
        extra_tokens: cli.extra_token,
        transition: std::time::Duration::from_millis(cli.transition_ms),
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
