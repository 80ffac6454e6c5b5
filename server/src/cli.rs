//! The command line: `server [serve]` runs the dashboard; `server simulate`
//! sends realistic traffic to any Flowmeter.

use crate::config::{Config, LogFormat};
use crate::simulate::{self, SimOptions, Sink};
use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use domain::auth::Role;
use domain::time;
use pipeline::service::Viewer;
use pipeline::store::Store;
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(name = "server", version, about = "Flowmeter: live flow and cost telemetry for LLM agent pipelines")]
pub struct Cli {
    /// The configuration file (environment variables override its keys).
    #[arg(long, global = true, env = "FLOWMETER_CONFIG", default_value = "Leptos.toml")]
    config: PathBuf,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the dashboard and the APIs (the default).
    Serve,
    /// Send simulated pipeline traffic to a Flowmeter server.
    Simulate(SimulateArgs),
    /// Create an admin account (the password is read from stdin, or asked for).
    CreateAdmin {
        #[arg(long)]
        email: String,
    },
    /// Create an account with a role (the password is read from stdin, or asked for).
    CreateUser {
        #[arg(long)]
        email: String,
        #[arg(long, value_parser = ["viewer", "admin"], default_value = "viewer")]
        role: String,
    },
}

#[derive(Debug, Args)]
struct SimulateArgs {
    /// The server to send to.
    #[arg(long, default_value = "http://127.0.0.1:3000")]
    base_url: String,
    /// An ingest API key.
    #[arg(long, env = "FLOWMETER_API_KEY")]
    api_key: String,
    #[command(flatten)]
    sim: SimOptions,
}

impl Cli {
    pub fn run(self) -> anyhow::Result<()> {
        let command = self.command.unwrap_or(Command::Serve);
        // The simulator needs no server configuration; the log's shape it
        // still takes from the environment.
        let config = match command {
            Command::Simulate(_) => None,
            _ => Some(Config::load(&self.config)?),
        };
        let log_format = match &config {
            Some(c) => c.log_format,
            None => Config::default().with_env(|v| std::env::var(v).ok()).map(|c| c.log_format).unwrap_or_default(),
        };
        init_tracing(log_format);
        let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
        match (command, config) {
            (Command::Serve, Some(config)) => runtime.block_on(crate::serve(config)),
            (Command::CreateAdmin { email }, Some(config)) => {
                runtime.block_on(create_user(&config, &email, Role::Admin))
            }
            (Command::CreateUser { email, role }, Some(config)) => {
                runtime.block_on(create_user(&config, &email, Role::parse(&role).unwrap_or(Role::Viewer)))
            }
            (Command::Simulate(args), _) => runtime.block_on(async move {
                let sink = Sink::http(&args.base_url, &args.api_key)?;
                let sent = simulate::run(sink, args.sim, shutdown_signal()).await?;
                tracing::info!(events = sent, "Simulation finished.");
                Ok(())
            }),
            (_, None) => unreachable!("every command but simulate loaded the configuration"),
        }
    }
}

/// Reads a password: asked for twice on a terminal, else one line of stdin.
fn read_password() -> anyhow::Result<String> {
    use std::io::IsTerminal;
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("Password: ")?;
        let again = rpassword::prompt_password("Again: ")?;
        anyhow::ensure!(first == again, "the passwords differ");
        Ok(first)
    } else {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line)?;
        Ok(line.trim_end_matches(['\r', '\n']).to_string())
    }
}

/// The same rules as the admin area's (`service::accounts`).
async fn create_user(config: &Config, email: &str, role: Role) -> anyhow::Result<()> {
    domain::rules::email(email).map_err(|m| anyhow::anyhow!("--email `{email}`: {m}"))?;
    let password = read_password()?;
    let store = Store::connect(&config.database_url).await.context("opening the database")?;
    let created = pipeline::service::accounts::create_user(
        &store,
        &Viewer::command_line(),
        email,
        &password,
        role,
        time::now_ms(),
    )
    .await;
    store.close().await;
    let user = created?;
    println!("Created {} {} (id {}).", role.as_str(), user.email, user.id);
    Ok(())
}

/// The log: `RUST_LOG` filters it; `log_format` picks lines for people or
/// JSON objects for log shippers (one per line, fields flattened).
fn init_tracing(format: LogFormat) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_target(false);
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).with_current_span(false).try_init(),
    };
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
