//! The service layer: every question the REST API and the server functions
//! ask, answered once. A REST handler or a server function parses its
//! input, asks the [`Service`], and encodes the answer; the service checks
//! values (errors name the field), reads and writes through the store, and
//! returns records already shaped for the [`Viewer`] asking.
//!
//! Who may ask what is not decided here: the access rule table does that
//! before anything is parsed. The service only applies what follows from
//! who is asking (no cost for viewers).
//!
//! - [`events`]: history, the latest events, the live stream.
//! - [`conversations`]: the replay list and one conversation.
//! - [`costs`]: summaries, cost over time, turns, exports.
//! - [`exports`]: export jobs written in the background ([`export_file`]: the format).
//! - [`budgets`]: budgets, alert rules, alerts and the budget check.
//! - [`pricing`]: the price table, price changes, repricing.
//! - [`accounts`]: users, API keys and sign-in credentials.
//! - [`settings`]: the telemetry switch and retention.
//! - [`audit`]: the record of every admin change.

pub mod accounts;
pub mod audit;
pub mod budgets;
pub mod conversations;
pub mod costs;
pub mod error;
pub mod events;
pub mod export_file;
pub mod exports;
pub mod pricing;
pub mod settings;
pub mod viewer;

pub use error::ServiceError;
pub use viewer::Viewer;

use crate::bus::Bus;
use crate::ingest::Ingestor;
use crate::ops::Metrics;
use crate::price::Pricing;
use crate::store::Store;
use settings::Switches;
use std::collections::HashSet;
use std::sync::Arc;

/// What the service is built from (see the server's configuration).
#[derive(Clone, Debug, Default)]
pub struct Settings {
    /// SHA-256 hashes of the ingest keys from the configuration.
    pub config_key_hashes: HashSet<String>,
    /// `TELEMETRY_ENABLED`: the switch until an admin first uses it.
    pub telemetry_default: bool,
    /// The switch as stored (see `settings::stored_telemetry`).
    pub telemetry_enabled: bool,
    /// Days of data kept, as stored (or configured when nothing is stored).
    pub retention_days: i64,
    /// Where export jobs write their files.
    pub export_dir: std::path::PathBuf,
}

/// A cheap, clonable handle (one reference count: handlers clone it for
/// every request): every clone shares the same store, bus, price table and
/// switches.
#[derive(Clone, Debug)]
pub struct Service(Arc<Shared>);

/// What every clone of a [`Service`] shares.
#[derive(Debug)]
pub struct Shared {
    store: Store,
    /// Summaries' reads of whole days, hours and ten-minute blocks, kept
    /// while unchanged.
    memo: crate::summary::memo::Memo,
    bus: Bus,
    ingestor: Ingestor,
    pricing: Pricing,
    config_key_hashes: Arc<HashSet<String>>,
    switches: Arc<Switches>,
    metrics: Arc<Metrics>,
    /// This process among the replicas (random per start), for leases.
    replica: Arc<str>,
    export_dir: std::path::PathBuf,
}

impl std::ops::Deref for Service {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

impl Service {
    /// A service over `store`, publishing on `bus` (in-process, or Redis
    /// Streams when several replicas share the store).
    pub fn new(store: Store, bus: Bus, pricing: Pricing, settings: Settings) -> Service {
        let metrics = Arc::new(Metrics::new());
        Service(Arc::new(Shared {
            ingestor: Ingestor::new(store.clone(), bus.clone(), pricing.clone(), metrics.clone()),
            store,
            memo: Default::default(),
            bus,
            pricing,
            config_key_hashes: Arc::new(settings.config_key_hashes),
            switches: Arc::new(Switches::new(
                settings.telemetry_default,
                settings.telemetry_enabled,
                settings.retention_days,
            )),
            metrics,
            replica: crate::auth::session::new_token()[..16].into(),
            export_dir: settings.export_dir,
        }))
    }

    /// Where export jobs write their files.
    pub fn export_dir(&self) -> &std::path::Path {
        &self.export_dir
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// What summaries keep of their reads (its hits and misses).
    pub fn memo(&self) -> &crate::summary::memo::Memo {
        &self.memo
    }

    pub fn bus(&self) -> &Bus {
        &self.bus
    }

    /// The ingest pipeline (the simulator feeds it in-process).
    pub fn ingestor(&self) -> &Ingestor {
        &self.ingestor
    }

    pub fn pricing(&self) -> &Pricing {
        &self.pricing
    }

    /// Flowmeter's own metrics (for `/metrics` and the alert rules).
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// This process's name among the replicas.
    pub fn replica(&self) -> &str {
        &self.replica
    }

    /// Whether this replica runs the once-per-cluster task `name` now: it
    /// takes or renews the task's lease for `ttl_ms`. With one process the
    /// answer is always yes.
    pub async fn leads(&self, name: &str, ttl_ms: i64) -> Result<bool, crate::store::StoreError> {
        let now = domain::time::now_ms();
        self.store.try_lease(name, &self.replica, now, now + ttl_ms).await
    }
}
