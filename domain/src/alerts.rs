//! Budgets, alert rules and alerts, as the admin sees and edits them.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum BudgetScope {
    Global,
    Model,
    Persona,
    Tenant,
    Pipeline,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Period {
    Daily,
    Monthly,
}

impl BudgetScope {
    pub fn as_str(self) -> &'static str {
        match self {
            BudgetScope::Global => "global",
            BudgetScope::Model => "model",
            BudgetScope::Persona => "persona",
            BudgetScope::Tenant => "tenant",
            BudgetScope::Pipeline => "pipeline",
        }
    }
    pub fn parse(s: &str) -> Option<BudgetScope> {
        [BudgetScope::Global, BudgetScope::Model, BudgetScope::Persona, BudgetScope::Tenant, BudgetScope::Pipeline]
            .into_iter()
            .find(|v| v.as_str() == s)
    }
}

impl Period {
    pub fn as_str(self) -> &'static str {
        match self {
            Period::Daily => "daily",
            Period::Monthly => "monthly",
        }
    }
    pub fn parse(s: &str) -> Option<Period> {
        [Period::Daily, Period::Monthly].into_iter().find(|v| v.as_str() == s)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Budget {
    pub id: i64,
    pub name: String,
    pub scope: BudgetScope,
    /// The model, persona, tenant or pipeline (empty for global).
    pub scope_value: String,
    pub period: Period,
    pub limit_nanos: i64,
    pub warn_pct: i64,
    pub critical_pct: i64,
    /// Where its alerts go, if anywhere.
    #[serde(default)]
    pub notify: Option<Notify>,
}

/// A budget with what has been spent in its current period.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BudgetStatus {
    pub budget: Budget,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    #[serde(with = "crate::time::serde_ts")]
    pub period_start: i64,
    pub spent_nanos: i64,
    pub remaining_nanos: i64,
    /// Spent as a percentage of the limit.
    pub pct: f64,
    /// `ok`, `warn` or `critical`.
    pub level: String,
}

/// A budget as the form sends it (the limit as decimal USD).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BudgetInput {
    #[serde(default)]
    pub id: i64,
    pub name: String,
    pub scope: String,
    #[serde(default)]
    pub scope_value: String,
    pub period: String,
    pub limit_usd: String,
    #[serde(default = "default_warn")]
    pub warn_pct: i64,
    #[serde(default = "default_critical")]
    pub critical_pct: i64,
    /// Where alerts go; an empty URL (or token and chat) means nowhere.
    #[serde(default)]
    pub notify: Notify,
}

fn default_warn() -> i64 {
    80
}
fn default_critical() -> i64 {
    100
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleKind {
    /// Errors as a percentage of events over the last `window_minutes`.
    ErrorRate,
    /// A stage's p95 duration over the last `window_minutes`, in ms.
    P95Latency,
    /// Ingest requests rejected or failed over the last `window_minutes`.
    IngestFailures,
    /// Minutes since the last event was received (the window is unused):
    /// the "telemetry push not received" alert.
    NoEvents,
}

impl RuleKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RuleKind::ErrorRate => "error_rate",
            RuleKind::P95Latency => "p95_latency",
            RuleKind::IngestFailures => "ingest_failures",
            RuleKind::NoEvents => "no_events",
        }
    }
    pub const ALL: [RuleKind; 4] =
        [RuleKind::ErrorRate, RuleKind::P95Latency, RuleKind::IngestFailures, RuleKind::NoEvents];
    pub fn parse(s: &str) -> Option<RuleKind> {
        RuleKind::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// How loud an alert is: shown on the page, in the log line and in every
/// channel's message (Discord colours its embed by it).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    #[default]
    Warning,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 3] = [Severity::Info, Severity::Warning, Severity::Critical];
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Critical => "critical",
        }
    }
    pub fn parse(s: &str) -> Option<Severity> {
        Severity::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// The kinds of place an alert can be sent.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Channel {
    /// Any URL: a JSON body with a readable `text` and the whole alert.
    #[default]
    Webhook,
    /// A Slack incoming webhook.
    Slack,
    /// A Discord webhook: an embed coloured by severity.
    Discord,
    /// A Telegram bot: an HTML message to one chat.
    Telegram,
}

impl Channel {
    pub const ALL: [Channel; 4] = [Channel::Webhook, Channel::Slack, Channel::Discord, Channel::Telegram];
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Webhook => "webhook",
            Channel::Slack => "slack",
            Channel::Discord => "discord",
            Channel::Telegram => "telegram",
        }
    }
    pub fn parse(s: &str) -> Option<Channel> {
        Channel::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// Where a budget's or rule's alerts are sent. Webhook, Slack and Discord
/// use `url`; Telegram uses `bot_token` and `chat_id`. These are secrets
/// (anyone holding them can post there): only admins see them, and they
/// are never logged.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Notify {
    #[serde(default)]
    pub channel: Channel,
    #[serde(default)]
    pub url: String,
    #[serde(default)]
    pub bot_token: String,
    #[serde(default)]
    pub chat_id: String,
}

impl Notify {
    /// A plain webhook to `url`.
    pub fn webhook(url: &str) -> Notify {
        Notify { url: url.into(), ..Notify::default() }
    }
    /// True when nothing was filled in: no channel.
    pub fn is_empty(&self) -> bool {
        self.url.trim().is_empty() && self.bot_token.trim().is_empty() && self.chat_id.trim().is_empty()
    }
}

/// A rule: fire when the measured value is at or above `threshold`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AlertRule {
    pub id: i64,
    pub name: String,
    pub kind: RuleKind,
    /// Percent (error rate), ms (latency) or a count (ingest failures).
    pub threshold: f64,
    pub window_minutes: i64,
    /// The stage, for latency rules (none: all stages).
    #[serde(default)]
    pub stage: Option<String>,
    /// Fewest events in the window before an error rate counts.
    #[serde(default)]
    pub min_events: i64,
    #[serde(default)]
    pub severity: Severity,
    #[serde(default)]
    pub notify: Option<Notify>,
    pub enabled: bool,
}

/// One crossing of a threshold.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Alert {
    pub id: i64,
    /// `budget` or `rule`.
    pub source: String,
    pub source_id: i64,
    /// `warn` or `critical` (budgets), `firing` (rules).
    pub level: String,
    /// Critical for a budget's critical level, warning for its warn level,
    /// the rule's own for rules.
    #[serde(default)]
    pub severity: Severity,
    pub name: String,
    pub message: String,
    pub value: f64,
    pub threshold: f64,
    #[serde(with = "crate::time::serde_ts")]
    pub fired_at: i64,
    pub resolved_at: Option<i64>,
    /// `none`, `pending`, `delivered` or `failed`.
    pub webhook_status: String,
    pub webhook_attempts: i64,
    pub webhook_error: Option<String>,
}

/// What the live stream tells open admin dashboards.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AlertNotice {
    /// `fired` or `resolved`.
    pub change: String,
    pub alert: Alert,
}
