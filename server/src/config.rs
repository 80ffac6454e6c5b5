//! Runtime configuration: `Leptos.toml` (all keys optional), then one
//! environment variable per key on top. Build settings for cargo-leptos
//! stay in `Cargo.toml`; this file is only what the running server needs.
//!
//! | key | environment | default |
//! |---|---|---|
//! | `address` | `FLOWMETER_ADDRESS` | `127.0.0.1:3000` |
//! | `database_url` | `DATABASE_URL` | `sqlite://data/flowmeter.db` |
//! | `ingest_api_keys` | `INGEST_API_KEYS` (comma-separated) | none: one is generated |
//! | `simulator` | `SIMULATOR_ENABLED` | `false` |
//! | `simulator_rate` | `SIMULATOR_RATE` (turns per second) | `0.5` |
//! | `telemetry_enabled` | `TELEMETRY_ENABLED` | `true` |
//! | `max_body_bytes` | `MAX_BODY_BYTES` | `5242880` |
//! | `pricing_overrides` | `MODEL_PRICING_OVERRIDES` (JSON) | none |
//! | `secure_cookies` | `SECURE_COOKIES` | `false` (set when served over TLS) |
//! | `retention_days` | `RETENTION_DAYS` | `30` |
//! | `archive_after_days` | `ARCHIVE_AFTER_DAYS` | `2` (`0`: never) |
//! | `alert_interval_secs` | `ALERT_INTERVAL_SECS` | `15` |
//! | `trust_forwarded_for` | `TRUST_FORWARDED_FOR` | `false` (set behind a proxy) |
//! | `redis_url` | `REDIS_URL` | none: the in-process bus |
//! | `redis_stream` | `REDIS_STREAM` | `telemetry:events` |
//! | `redis_stream_maxlen` | `REDIS_STREAM_MAXLEN` | `500` |
//! | `log_format` | `LOG_FORMAT` (`text` or `json`) | `text` |
//! | `telegram_api_url` | `TELEGRAM_API_URL` | `https://api.telegram.org` |
//! | `export_dir` | `EXPORT_DIR` | `exports/` beside the SQLite file, else `data/exports` |
//! | `request_timeout_secs` | `REQUEST_TIMEOUT_SECS` | `30` |
//! | `max_streams_per_session` | `SSE_MAX_STREAMS_PER_SESSION` | `20` |
//! | `max_streams` | `SSE_MAX_STREAMS` | `1000` |
//! | `ingest_rate_limit` | `INGEST_RATE_LIMIT` (requests per second per key) | `0`: no limit |

use serde::Deserialize;
use std::net::SocketAddr;
use std::path::Path;
use std::str::FromStr;

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub address: SocketAddr,
    pub database_url: String,
    pub ingest_api_keys: Vec<String>,
    pub simulator: bool,
    pub simulator_rate: f64,
    pub telemetry_enabled: bool,
    pub max_body_bytes: usize,
    /// Pricing entries (JSON, the bundled table's schema) that add to or
    /// replace the bundled ones.
    pub pricing_overrides: Option<String>,
    /// Mark session cookies `Secure` (the dashboard is served over HTTPS).
    pub secure_cookies: bool,
    /// Days of events and rollups kept; the admin area can change it.
    pub retention_days: i64,
    /// Days after which events move to the archive's compressed blocks
    /// (0: never). Two: today's and yesterday's events, what live views
    /// read, stay rows; older ones cost a tenth on disk, and a replay of
    /// one a couple of milliseconds more (docs/performance.md).
    pub archive_after_days: i64,
    /// How often budgets and alert rules are evaluated.
    pub alert_interval_secs: u64,
    /// Behind a proxy (nginx): take the client's address from the last
    /// `X-Forwarded-For` entry, for the sign-in limits.
    pub trust_forwarded_for: bool,
    /// Redis for the bus, so several replicas on one Postgres share it.
    pub redis_url: Option<String>,
    /// The Redis Stream the bus writes.
    pub redis_stream: String,
    /// About how many entries the stream keeps (`MAXLEN ~`).
    pub redis_stream_maxlen: usize,
    /// How the log is written: lines for a terminal, or JSON for shippers.
    pub log_format: LogFormat,
    /// Where Telegram alerts are sent (a self-hosted Bot API server, or a
    /// test's receiver).
    pub telegram_api_url: String,
    /// Where export jobs write their files (replicas must share it).
    pub export_dir: Option<String>,
    /// Seconds a request has to send its headers and body and be answered.
    pub request_timeout_secs: u64,
    /// Live streams one session (or read key) may hold open at once.
    pub max_streams_per_session: usize,
    /// Live streams this server holds open at once.
    pub max_streams: usize,
    /// Ingest requests per second one API key may send; 0 is no limit.
    pub ingest_rate_limit: u32,
}

/// The log's shape.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line (Loki, Vector, Fluent Bit read it as is).
    Json,
}

impl FromStr for LogFormat {
    type Err = String;

    fn from_str(s: &str) -> Result<LogFormat, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "text" => Ok(LogFormat::Text),
            "json" => Ok(LogFormat::Json),
            _ => Err("expected text or json".into()),
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            address: SocketAddr::from(([127, 0, 0, 1], 3000)),
            database_url: "sqlite://data/flowmeter.db".into(),
            ingest_api_keys: Vec::new(),
            simulator: false,
            simulator_rate: 0.5,
            telemetry_enabled: true,
            max_body_bytes: 5 * 1024 * 1024,
            pricing_overrides: None,
            secure_cookies: false,
            retention_days: 30,
            archive_after_days: 2,
            alert_interval_secs: 15,
            trust_forwarded_for: false,
            redis_url: None,
            redis_stream: "telemetry:events".into(),
            redis_stream_maxlen: 500,
            log_format: LogFormat::Text,
            telegram_api_url: "https://api.telegram.org".into(),
            export_dir: None,
            request_timeout_secs: 30,
            max_streams_per_session: 20,
            max_streams: 1000,
            ingest_rate_limit: 0,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("{path} is not valid: {source}")]
    Parse { path: String, source: toml::de::Error },
    #[error("environment variable {var}=`{value}` is not valid: {message}")]
    Env { var: &'static str, value: String, message: String },
    #[error("REDIS_URL is set but DATABASE_URL is SQLite: replicas need a shared database, so the Redis bus needs postgres://… (or unset REDIS_URL for one process)")]
    RedisNeedsPostgres,
}

impl Config {
    /// Where export jobs write: as configured, else `exports/` beside the
    /// SQLite file, else `data/exports`.
    pub fn export_dir(&self) -> std::path::PathBuf {
        if let Some(dir) = &self.export_dir {
            return dir.into();
        }
        match self.database_url.strip_prefix("sqlite://") {
            Some(path) => {
                let path = path.split('?').next().unwrap_or(path);
                std::path::Path::new(path).parent().map_or("exports".into(), |p| p.join("exports"))
            }
            None => "data/exports".into(),
        }
    }

    /// Reads `path` (a missing file means all defaults) and applies the
    /// environment on top.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let file = match std::fs::read_to_string(path) {
            Ok(text) => toml::from_str(&text)
                .map_err(|source| ConfigError::Parse { path: path.display().to_string(), source })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Config::default(),
            Err(source) => return Err(ConfigError::Read { path: path.display().to_string(), source }),
        };
        file.with_env(|var| std::env::var(var).ok())
    }

    /// Applies overrides from `get` (the environment, or a map in tests).
    pub fn with_env(mut self, get: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        fn parse<T: FromStr>(var: &'static str, value: String) -> Result<T, ConfigError>
        where
            T::Err: std::fmt::Display,
        {
            value.trim().parse().map_err(|e: T::Err| ConfigError::Env { var, value, message: e.to_string() })
        }
        fn at_least_a_second(var: &'static str, secs: u64) -> Result<(), ConfigError> {
            if secs == 0 {
                return Err(ConfigError::Env { var, value: "0".into(), message: "must be at least 1 second".into() });
            }
            Ok(())
        }
        /// A number of days its rule accepts (whatever set it, the file or `var`).
        fn days(var: &'static str, days: i64, rule: fn(i64) -> Result<i64, String>) -> Result<(), ConfigError> {
            match rule(days) {
                Ok(_) => Ok(()),
                Err(message) => {
                    Err(ConfigError::Env { var, value: days.to_string(), message: format!("must be {message} days") })
                }
            }
        }
        fn flag(var: &'static str, value: String) -> Result<bool, ConfigError> {
            match value.trim().to_ascii_lowercase().as_str() {
                "1" | "true" | "yes" | "on" => Ok(true),
                "0" | "false" | "no" | "off" => Ok(false),
                _ => Err(ConfigError::Env { var, value, message: "expected true or false".into() }),
            }
        }
        if let Some(v) = get("FLOWMETER_ADDRESS") {
            self.address = parse("FLOWMETER_ADDRESS", v)?;
        }
        if let Some(v) = get("DATABASE_URL").filter(|v| !v.trim().is_empty()) {
            self.database_url = v.trim().to_string();
        }
        if let Some(v) = get("INGEST_API_KEYS") {
            self.ingest_api_keys = v.split(',').map(str::trim).filter(|k| !k.is_empty()).map(String::from).collect();
        }
        if let Some(v) = get("SIMULATOR_ENABLED") {
            self.simulator = flag("SIMULATOR_ENABLED", v)?;
        }
        if let Some(v) = get("SIMULATOR_RATE") {
            self.simulator_rate = parse("SIMULATOR_RATE", v)?;
        }
        if let Some(v) = get("TELEMETRY_ENABLED") {
            self.telemetry_enabled = flag("TELEMETRY_ENABLED", v)?;
        }
        if let Some(v) = get("MAX_BODY_BYTES") {
            self.max_body_bytes = parse("MAX_BODY_BYTES", v)?;
        }
        if let Some(v) = get("MODEL_PRICING_OVERRIDES").filter(|v| !v.trim().is_empty()) {
            self.pricing_overrides = Some(v);
        }
        if let Some(v) = get("SECURE_COOKIES") {
            self.secure_cookies = flag("SECURE_COOKIES", v)?;
        }
        if let Some(v) = get("EXPORT_DIR").filter(|v| !v.trim().is_empty()) {
            self.export_dir = Some(v.trim().to_string());
        }
        if let Some(v) = get("TELEGRAM_API_URL") {
            self.telegram_api_url = v.trim().to_string();
        }
        if !(self.telegram_api_url.starts_with("https://") || self.telegram_api_url.starts_with("http://")) {
            return Err(ConfigError::Env {
                var: "TELEGRAM_API_URL",
                value: self.telegram_api_url.clone(),
                message: "must be an http(s) URL".into(),
            });
        }
        if let Some(v) = get("ALERT_INTERVAL_SECS") {
            self.alert_interval_secs = parse("ALERT_INTERVAL_SECS", v)?;
        }
        at_least_a_second("ALERT_INTERVAL_SECS", self.alert_interval_secs)?;
        if let Some(v) = get("REQUEST_TIMEOUT_SECS") {
            self.request_timeout_secs = parse("REQUEST_TIMEOUT_SECS", v)?;
        }
        at_least_a_second("REQUEST_TIMEOUT_SECS", self.request_timeout_secs)?;
        if let Some(v) = get("SSE_MAX_STREAMS_PER_SESSION") {
            self.max_streams_per_session = parse("SSE_MAX_STREAMS_PER_SESSION", v)?;
        }
        if let Some(v) = get("SSE_MAX_STREAMS") {
            self.max_streams = parse("SSE_MAX_STREAMS", v)?;
        }
        if let Some(v) = get("INGEST_RATE_LIMIT") {
            self.ingest_rate_limit = parse("INGEST_RATE_LIMIT", v)?;
        }
        if let Some(v) = get("RETENTION_DAYS") {
            self.retention_days = parse("RETENTION_DAYS", v)?;
        }
        days("RETENTION_DAYS", self.retention_days, domain::rules::retention_days)?;
        if let Some(v) = get("ARCHIVE_AFTER_DAYS") {
            self.archive_after_days = parse("ARCHIVE_AFTER_DAYS", v)?;
        }
        days("ARCHIVE_AFTER_DAYS", self.archive_after_days, domain::rules::archive_after_days)?;
        if let Some(v) = get("TRUST_FORWARDED_FOR") {
            self.trust_forwarded_for = flag("TRUST_FORWARDED_FOR", v)?;
        }
        if let Some(v) = get("REDIS_URL") {
            self.redis_url = Some(v.trim().to_string()).filter(|v| !v.is_empty());
        }
        if let Some(v) = get("REDIS_STREAM").filter(|v| !v.trim().is_empty()) {
            self.redis_stream = v.trim().to_string();
        }
        if let Some(v) = get("REDIS_STREAM_MAXLEN") {
            self.redis_stream_maxlen = parse("REDIS_STREAM_MAXLEN", v)?;
        }
        if let Some(v) = get("LOG_FORMAT") {
            self.log_format = parse("LOG_FORMAT", v)?;
        }
        if !(self.simulator_rate > 0.0 && self.simulator_rate <= 1000.0) {
            return Err(ConfigError::Env {
                var: "SIMULATOR_RATE",
                value: self.simulator_rate.to_string(),
                message: "must be above 0 and at most 1000 turns per second".into(),
            });
        }
        self.check()?;
        Ok(self)
    }

    /// What must hold between keys, however the configuration was made.
    pub fn check(&self) -> Result<(), ConfigError> {
        if self.redis_url.is_some() && !self.database_url.starts_with("postgres") {
            return Err(ConfigError::RedisNeedsPostgres);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn the_committed_file_parses() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../Leptos.toml");
        let text = std::fs::read_to_string(path).unwrap();
        let c: Config = toml::from_str(&text).unwrap();
        assert!(c.simulator, "the demo configuration runs the simulator");
        assert!(c.ingest_api_keys.is_empty(), "no key is committed");
    }

    #[test]
    fn environment_overrides_every_key() {
        let c = Config::default()
            .with_env(env(&[
                ("FLOWMETER_ADDRESS", "0.0.0.0:8080"),
                ("DATABASE_URL", "postgres://x@localhost/db"),
                ("INGEST_API_KEYS", "a, b,,"),
                ("SIMULATOR_ENABLED", "on"),
                ("SIMULATOR_RATE", "3"),
                ("TELEMETRY_ENABLED", "false"),
                ("MAX_BODY_BYTES", "1024"),
                ("SECURE_COOKIES", "true"),
                ("RETENTION_DAYS", "7"),
                ("ARCHIVE_AFTER_DAYS", "0"),
                ("TRUST_FORWARDED_FOR", "yes"),
                ("REDIS_URL", "redis://127.0.0.1:6390"),
                ("REDIS_STREAM", "fm:events"),
                ("REDIS_STREAM_MAXLEN", "1000"),
                ("LOG_FORMAT", "JSON"),
                ("REQUEST_TIMEOUT_SECS", "5"),
                ("SSE_MAX_STREAMS_PER_SESSION", "3"),
                ("SSE_MAX_STREAMS", "40"),
                ("INGEST_RATE_LIMIT", "100"),
            ]))
            .unwrap();
        assert_eq!(c.address.to_string(), "0.0.0.0:8080");
        assert_eq!(c.database_url, "postgres://x@localhost/db");
        assert_eq!(c.ingest_api_keys, ["a", "b"]);
        assert!(c.simulator && !c.telemetry_enabled);
        assert_eq!((c.simulator_rate, c.max_body_bytes), (3.0, 1024));
        assert!(c.secure_cookies);
        assert_eq!((c.retention_days, c.archive_after_days), (7, 0));
        assert!(c.trust_forwarded_for);
        assert_eq!(c.redis_url.as_deref(), Some("redis://127.0.0.1:6390"));
        assert_eq!((c.redis_stream.as_str(), c.redis_stream_maxlen), ("fm:events", 1000));
        assert_eq!(c.log_format, LogFormat::Json);
        assert_eq!((c.request_timeout_secs, c.max_streams_per_session, c.max_streams), (5, 3, 40));
        assert_eq!(c.ingest_rate_limit, 100);
        let file: Config = toml::from_str("log_format = \"json\"").unwrap();
        assert_eq!(file.log_format, LogFormat::Json);
    }

    #[test]
    fn redis_needs_a_shared_database() {
        let e = Config::default().with_env(env(&[("REDIS_URL", "redis://127.0.0.1:6379")])).unwrap_err();
        assert!(matches!(e, ConfigError::RedisNeedsPostgres), "{e}");
        assert!(e.to_string().contains("shared database"), "{e}");
    }

    #[test]
    fn bad_values_name_the_variable() {
        let e = Config::default().with_env(env(&[("TELEMETRY_ENABLED", "maybe")])).unwrap_err();
        assert!(e.to_string().contains("TELEMETRY_ENABLED"), "{e}");
        let e = Config::default().with_env(env(&[("MAX_BODY_BYTES", "-1")])).unwrap_err();
        assert!(e.to_string().contains("MAX_BODY_BYTES"), "{e}");
        let e = Config::default().with_env(env(&[("SIMULATOR_RATE", "0")])).unwrap_err();
        assert!(e.to_string().contains("SIMULATOR_RATE"), "{e}");
        let e = Config::default().with_env(env(&[("REQUEST_TIMEOUT_SECS", "0")])).unwrap_err();
        assert!(e.to_string().contains("REQUEST_TIMEOUT_SECS"), "{e}");
        let e = Config::default().with_env(env(&[("LOG_FORMAT", "xml")])).unwrap_err();
        assert!(e.to_string().contains("LOG_FORMAT") && e.to_string().contains("text or json"), "{e}");
        let e = Config::default().with_env(env(&[("RETENTION_DAYS", "0")])).unwrap_err();
        assert!(
            e.to_string().contains("RETENTION_DAYS") && e.to_string().contains("must be from 1 to 3650 days"),
            "{e}"
        );
        let e = Config::default().with_env(env(&[("ARCHIVE_AFTER_DAYS", "-1")])).unwrap_err();
        assert!(
            e.to_string().contains("ARCHIVE_AFTER_DAYS") && e.to_string().contains("from 0 (never) to 3650"),
            "{e}"
        );
    }

    #[test]
    fn unknown_file_keys_are_refused() {
        assert!(toml::from_str::<Config>("adress = \"x\"").is_err());
    }
}
