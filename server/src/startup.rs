//! Start-up: configuration → store → state → router → listener. `serve` is
//! the production path; [`Server::start`] is the same path on any port for
//! tests and benchmarks, with a handle to stop it.

use crate::config::Config;
use crate::simulate::{self, SimOptions, Sink};
use crate::state::{AppState, HttpSettings};
use anyhow::Context;
use domain::auth::{KeyScope, Role};
use domain::time;
use leptos::config::LeptosOptions;
use pipeline::auth::password;
use pipeline::bus::redis::{RedisConfig, RedisLink};
use pipeline::bus::Bus;
use pipeline::price::{PriceTable, Pricing};
use pipeline::service::settings::{stored_retention, stored_telemetry};
use pipeline::service::{Service, Settings};
use pipeline::store::{hash_key, Store};
use std::net::SocketAddr;
use std::time::Duration;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// A running server.
pub struct Server {
    pub addr: SocketAddr,
    pub state: AppState,
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
    simulator: Option<JoinHandle<()>>,
    background: Vec<JoinHandle<()>>,
}

impl Server {
    /// Opens the store, builds the state and serves on `config.address`
    /// (port 0 picks a free one) until [`Server::stop`].
    pub async fn start(config: Config) -> anyhow::Result<Server> {
        let state = build_state(&config).await?;
        // Where the Redis relay starts: before anything is served.
        let relay_from = state.service.store().last_event_id().await?;
        let listener = tokio::net::TcpListener::bind(config.address)
            .await
            .with_context(|| format!("binding {}", config.address))?;
        let addr = listener.local_addr()?;
        let router = crate::http::router(state.clone());
        let (stop, stopped) = oneshot::channel::<()>();
        let header_deadline = state.http.request_timeout;
        let task = tokio::spawn(crate::http::listen::serve(listener, router, header_deadline, async {
            let _ = stopped.await;
        }));
        let simulator = config.simulator.then(|| {
            let opts = SimOptions { rate: config.simulator_rate, ..SimOptions::default() };
            let sink = Sink::InProcess(state.service.ingestor().clone());
            tracing::info!(rate = config.simulator_rate, "Simulator on: sending demo traffic.");
            tokio::spawn(async move {
                if let Err(e) = simulate::run(sink, opts, std::future::pending()).await {
                    tracing::error!(error = %e, "The simulator stopped.");
                }
            })
        });
        let service = state.service.clone();
        let mut background = vec![
            crate::tasks::retention::spawn(service.clone()),
            crate::tasks::archive::spawn(service.clone(), config.archive_after_days),
            crate::tasks::exports::spawn(service.clone()),
            crate::tasks::memory::spawn(service.bus(), service.store()),
            crate::tasks::alerts::spawn(
                service.clone(),
                Duration::from_secs(config.alert_interval_secs),
                crate::tasks::alerts::DeliveryPolicy {
                    telegram_api: config.telegram_api_url.clone(),
                    ..Default::default()
                },
            ),
        ];
        // Only replicas share settings: alone, every change is made here.
        if service.bus().redis().is_some() {
            let (bus, store) = (service.bus().clone(), service.store().clone());
            background.push(tokio::spawn(pipeline::bus::redis::relay(bus, store, relay_from)));
            background.push(tokio::spawn(async move { service.follow_changes().await }));
        }
        Ok(Server { addr, state, stop, task, simulator, background })
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting, ends the live streams, lets open requests finish
    /// (for up to 10 s), then closes the store.
    pub async fn stop(mut self) {
        for task in self.simulator.iter().chain(&self.background) {
            task.abort();
        }
        self.state.service.bus().close();
        let _ = self.stop.send(());
        if tokio::time::timeout(Duration::from_secs(10), &mut self.task).await.is_err() {
            tracing::warn!("Requests still open after 10 s; closing them.");
            self.task.abort();
        }
        self.state.service.store().close().await;
    }
}

/// Runs the dashboard until Ctrl-C or SIGTERM.
pub async fn serve(config: Config) -> anyhow::Result<()> {
    let server = Server::start(config).await?;
    tracing::info!(url = %server.url(), backend = server.state.service.store().backend(), "Flowmeter is listening.");
    crate::cli::shutdown_signal().await;
    tracing::info!("Shutting down.");
    server.stop().await;
    Ok(())
}

async fn build_state(config: &Config) -> anyhow::Result<AppState> {
    config.check()?;
    // Pricing first: a malformed MODEL_PRICING_OVERRIDES stops the start.
    let table = PriceTable::load(config.pricing_overrides.as_deref()).context("loading the pricing table")?;
    let store = Store::connect(&config.database_url)
        .await
        .with_context(|| format!("opening the database ({})", redact(&config.database_url)))?;
    let table = table.with_admin_overrides(store.price_overrides().await?).context("loading admin price overrides")?;
    bootstrap_key(&store, config).await?;
    bootstrap_admin(&store).await?;
    let settings = Settings {
        config_key_hashes: config.ingest_api_keys.iter().map(|k| hash_key(k)).collect(),
        telemetry_default: config.telemetry_enabled,
        telemetry_enabled: stored_telemetry(&store, config.telemetry_enabled).await?,
        retention_days: stored_retention(&store, config.retention_days).await?,
        export_dir: config.export_dir(),
    };
    let bus = match &config.redis_url {
        None => Bus::default(),
        Some(url) => {
            let redis = RedisConfig {
                url: url.clone(),
                stream: config.redis_stream.clone(),
                maxlen: config.redis_stream_maxlen,
            };
            tracing::info!(stream = %redis.stream, "The bus runs over Redis Streams.");
            Bus::over_redis(RedisLink::new(redis)?)
        }
    };
    let service = Service::new(store, bus, Pricing::new(table), settings);
    let http = HttpSettings {
        max_body_bytes: config.max_body_bytes,
        secure_cookies: config.secure_cookies,
        trust_forwarded_for: config.trust_forwarded_for,
        request_timeout: Duration::from_secs(config.request_timeout_secs),
        max_streams_per_session: config.max_streams_per_session,
        max_streams: config.max_streams,
        ingest_rate_limit: Some(config.ingest_rate_limit).filter(|&n| n > 0),
    };
    Ok(AppState::new(leptos_options(config)?, service, http))
}

/// The admin account a fresh installation starts with.
pub const DEMO_ADMIN_EMAIL: &str = "admin@flowmeter.local";

/// With no user at all, creates the demo admin with a generated password
/// and prints it once. (`server create-admin` makes one of your own.)
async fn bootstrap_admin(store: &Store) -> anyhow::Result<()> {
    if store.count_users().await? > 0 {
        return Ok(());
    }
    let password = password::generate();
    let hash = password::hash(&password).map_err(anyhow::Error::msg)?;
    if store.create_user(DEMO_ADMIN_EMAIL, &hash, Role::Admin, time::now_ms()).await?.is_none() {
        return Ok(()); // Another replica starting at the same moment made it.
    }
    // Printed, not logged: log pipelines must never carry a secret.
    eprintln!(
        "\n  Flowmeter created the first admin account. Its password is shown only this once:\n\n      email:    {DEMO_ADMIN_EMAIL}\n      password: {password}\n\n  Sign in at /login; add your own admin with `server create-admin --email you@example.com`.\n"
    );
    Ok(())
}

/// With no key configured and none stored, mints one and prints it once.
async fn bootstrap_key(store: &Store, config: &Config) -> anyhow::Result<()> {
    if !config.ingest_api_keys.is_empty() || store.active_api_key_count().await? > 0 {
        return Ok(());
    }
    let key = store.create_api_key("default", KeyScope::Ingest, None, time::now_ms()).await?;
    // Printed, not logged: log pipelines must never carry a secret.
    eprintln!(
        "\n  Flowmeter created an ingest API key. It is shown only this once (only its hash is stored):\n\n      {}\n\n  Send it as the X-API-Key header with POST /api/events.\n",
        key.plaintext
    );
    Ok(())
}

fn leptos_options(config: &Config) -> anyhow::Result<LeptosOptions> {
    let mut options =
        leptos::config::get_configuration(None).context("reading the LEPTOS_* site settings")?.leptos_options;
    if options.output_name.is_empty() {
        options.output_name = "flowmeter".into();
    }
    options.site_addr = config.address;
    Ok(options)
}

/// A database URL without its password, for messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let creds = &url[scheme + 3..at];
            let user = creds.split(':').next().unwrap_or("");
            format!("{}{}:***{}", &url[..scheme + 3], user, &url[at..])
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn redacts_passwords() {
        assert_eq!(super::redact("postgres://u:secret@h/db"), "postgres://u:***@h/db");
        assert_eq!(super::redact("sqlite://data/f.db"), "sqlite://data/f.db");
    }
}
