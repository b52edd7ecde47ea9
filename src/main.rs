//! The `okta-gateway` command line: serve (default), migrate, rotate-key.

use anyhow::Context;
use clap::{Parser, Subcommand};
use okta_gateway::config::Config;
use okta_gateway::startup::Application;
use okta_gateway::{secrets, store, telemetry};
use secrecy::SecretString;

#[derive(Parser)]
#[command(
    version,
    about = "HTTP gateway that lets chatbot and agent flows manage an Okta organisation"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP service (the default).
    Serve,
    /// Apply database migrations and exit.
    Migrate,
    /// Re-encrypt every stored Okta token under a new key (NEW_TOKEN_ENCRYPTION_KEY, or a
    /// generated one when the embedded default's key file is in use).
    RotateKey,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let config = Config::from_env()?;
    telemetry::init(config.log_format);
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => Application::build(config).await?.run().await,
        Command::Migrate => {
            store::connect(&config.database_url, 1)
                .await
                .context("migrating the database")?;
            println!("migrations applied");
            Ok(())
        }
        Command::RotateKey => {
            let store = store::connect(&config.database_url, 1).await?;
            let new_key = std::env::var("NEW_TOKEN_ENCRYPTION_KEY")
                .ok()
                .filter(|k| !k.trim().is_empty())
                .map(SecretString::from);
            let summary = secrets::rotate_key(&config, store.as_ref(), new_key).await?;
            println!("{summary}");
            Ok(())
        }
    }
}
