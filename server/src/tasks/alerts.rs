//! The alert task: every `ALERT_INTERVAL_SECS` it measures each budget and
//! rule, fires an alert once when a threshold is crossed and resolves it once
//! when the value falls back, and delivers each change three ways — a toast
//! in open admin dashboards (the live stream), a structured log line, and the
//! rule's channel (a webhook, Slack, Discord or Telegram; bodies in
//! `pipeline::alerts::channels`) with retries and backoff. A delivery that
//! still fails is recorded on the alert and shown.

use domain::alerts::{Alert, AlertNotice, AlertRule, Budget, Notify, RuleKind, Severity};
use domain::money::usd_display;
use pipeline::alerts::{self as rules, channels, Change};
use pipeline::rollup::histogram::percentile;
use pipeline::service::Service;
use pipeline::store::{Filters, StoreError};
use pipeline::summary::window::open_end;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;
use tokio::task::JoinHandle;

/// How alerts are delivered: retries, and where Telegram's API is.
#[derive(Clone, Debug)]
pub struct DeliveryPolicy {
    pub attempts: u32,
    /// Doubled after each failed attempt.
    pub first_delay: Duration,
    /// `https://api.telegram.org` (a test points it at its receiver).
    pub telegram_api: String,
}

impl Default for DeliveryPolicy {
    fn default() -> Self {
        DeliveryPolicy {
            attempts: 4,
            first_delay: Duration::from_secs(2),
            telegram_api: "https://api.telegram.org".into(),
        }
    }
}

impl DeliveryPolicy {
    /// The waits between attempts: `first_delay`, doubled after each.
    pub fn delays(&self) -> Vec<Duration> {
        (0..self.attempts.saturating_sub(1)).map(|i| self.first_delay * 2u32.pow(i)).collect()
    }
}

/// The shared count of rejected and failed ingest requests.
const INGEST_FAILURES: &str = "ingest_failures";

pub struct AlertEngine {
    service: Service,
    client: reqwest::Client,
    policy: DeliveryPolicy,
    /// (time, rejected + failed ingest requests so far), for windowed counts.
    samples: Mutex<VecDeque<(i64, u64)>>,
    /// This replica's failures already added to the shared count.
    reported: AtomicU64,
    deliveries: Mutex<Vec<JoinHandle<()>>>,
}

/// A measurement against a threshold, ready to fire or resolve.
struct Reading {
    source: &'static str,
    source_id: i64,
    level: &'static str,
    severity: Severity,
    name: String,
    value: f64,
    threshold: f64,
    message: String,
    notify: Option<Notify>,
}

impl AlertEngine {
    pub fn new(service: Service, policy: DeliveryPolicy) -> AlertEngine {
        let client = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().unwrap_or_default();
        AlertEngine {
            service,
            client,
            policy,
            samples: Mutex::new(VecDeque::new()),
            reported: AtomicU64::new(0),
            deliveries: Mutex::new(Vec::new()),
        }
    }

    /// Adds this replica's ingest failures since the last report to the
    /// shared count (every replica reports; the leader reads the sum).
    pub async fn report_failures(&self) -> Result<(), StoreError> {
        let total = self.service.metrics().ingest_failures();
        let delta = total.saturating_sub(self.reported.load(Ordering::Relaxed));
        if delta > 0 {
            self.service.store().add_to_counter(INGEST_FAILURES, delta as i64).await?;
            self.reported.fetch_add(delta, Ordering::Relaxed);
        }
        Ok(())
    }

    /// Measures everything once and acts on the crossings; returns them.
    /// (Run by one replica at a time: see [`spawn`].)
    pub async fn evaluate(&self, now_ms: i64) -> Result<Vec<AlertNotice>, StoreError> {
        self.report_failures().await?;
        self.sample(now_ms).await?;
        let mut readings = Vec::new();
        for b in self.service.store().budgets().await? {
            readings.extend(self.budget_readings(&b, now_ms).await?);
        }
        for r in self.service.store().alert_rules().await?.into_iter().filter(|r| r.enabled) {
            readings.push(self.rule_reading(&r, now_ms).await?);
        }
        let mut notices = Vec::new();
        for r in readings {
            let open = self.service.store().open_alert(r.source, r.source_id, r.level).await?;
            match rules::decide(r.value, r.threshold, open.is_some()) {
                Change::Fire => {
                    let alert = self
                        .service
                        .store()
                        .insert_alert(Alert {
                            id: 0,
                            source: r.source.into(),
                            source_id: r.source_id,
                            level: r.level.into(),
                            severity: r.severity,
                            name: r.name.clone(),
                            message: r.message.clone(),
                            value: r.value,
                            threshold: r.threshold,
                            fired_at: now_ms,
                            resolved_at: None,
                            webhook_status: if r.notify.is_some() { "pending" } else { "none" }.into(),
                            webhook_attempts: 0,
                            webhook_error: None,
                        })
                        .await?;
                    tracing::warn!(alert_id = alert.id, source = r.source, level = r.level, severity = r.severity.as_str(), value = r.value, threshold = r.threshold, message = %r.message, "Alert fired.");
                    notices.push(self.announce("fired", alert, r.notify).await);
                }
                Change::Resolve => {
                    let Some(mut alert) = open else { continue };
                    self.service.store().resolve_alert(alert.id, now_ms, r.value).await?;
                    alert.resolved_at = Some(now_ms);
                    alert.value = r.value;
                    tracing::info!(
                        alert_id = alert.id,
                        source = r.source,
                        level = r.level,
                        severity = r.severity.as_str(),
                        value = r.value,
                        "Alert resolved."
                    );
                    notices.push(self.announce("resolved", alert, r.notify).await);
                }
                Change::Stay => {}
            }
        }
        Ok(notices)
    }

    /// Waits for every webhook delivery started so far.
    pub async fn flush(&self) {
        let handles: Vec<_> = std::mem::take(&mut *self.deliveries.lock().unwrap_or_else(|p| p.into_inner()));
        for h in handles {
            let _ = h.await;
        }
    }

    async fn announce(&self, change: &str, alert: Alert, notify: Option<Notify>) -> AlertNotice {
        let notice = AlertNotice { change: change.into(), alert };
        self.service.bus().publish_alert(notice.clone()).await;
        if let Some(to) = notify {
            let out = channels::outgoing(&notice, &to, &self.policy.telegram_api);
            let handle = tokio::spawn(deliver(
                self.service.clone(),
                self.client.clone(),
                self.policy.clone(),
                out,
                notice.clone(),
            ));
            self.deliveries.lock().unwrap_or_else(|p| p.into_inner()).push(handle);
        }
        notice
    }

    /// Notes the cluster's ingest failures so far.
    async fn sample(&self, now_ms: i64) -> Result<(), StoreError> {
        let failures = self.service.store().counter(INGEST_FAILURES).await?.max(0) as u64;
        let mut s = self.samples.lock().unwrap_or_else(|p| p.into_inner());
        s.push_back((now_ms, failures));
        while s.len() > 2 && s.front().is_some_and(|(t, _)| now_ms - t > 6 * 3_600_000) {
            s.pop_front();
        }
        Ok(())
    }

    /// Ingest failures since the last sample at or before `since`.
    fn failures_since(&self, since: i64) -> u64 {
        let s = self.samples.lock().unwrap_or_else(|p| p.into_inner());
        let now = s.back().map_or(0, |(_, v)| *v);
        let then = s.iter().rev().find(|(t, _)| *t <= since).or(s.front()).map_or(0, |(_, v)| *v);
        now.saturating_sub(then)
    }

    async fn budget_readings(&self, b: &Budget, now_ms: i64) -> Result<Vec<Reading>, StoreError> {
        let status = rules::status(self.service.store(), b, now_ms).await?;
        if b.limit_nanos > 0 {
            self.service.metrics().budget_used(&b.name, status.spent_nanos as f64 / b.limit_nanos as f64);
        }
        let scope = match b.scope {
            domain::alerts::BudgetScope::Global => "all models".to_string(),
            _ => format!("{} {}", b.scope.as_str(), b.scope_value),
        };
        Ok([("warn", b.warn_pct), ("critical", b.critical_pct)]
            .into_iter()
            .map(|(level, pct)| Reading {
                source: "budget",
                source_id: b.id,
                level,
                severity: if level == "critical" { Severity::Critical } else { Severity::Warning },
                name: b.name.clone(),
                value: status.pct,
                threshold: pct as f64,
                message: format!(
                    "Budget “{}” ({} {}, {}): {} spent of {} ({:.1} %, {} at {} %)",
                    b.name,
                    b.period.as_str(),
                    "limit",
                    scope,
                    usd_display(status.spent_nanos),
                    usd_display(b.limit_nanos),
                    status.pct,
                    level,
                    pct
                ),
                notify: b.notify.clone(),
            })
            .collect())
    }

    async fn rule_reading(&self, r: &AlertRule, now_ms: i64) -> Result<Reading, StoreError> {
        // The last `window_minutes` whole minutes, the current one
        // included: read from rollups alone, however busy the minute.
        let to = open_end(now_ms);
        let from = to - r.window_minutes * 60_000;
        let (value, message) = match r.kind {
            RuleKind::ErrorRate => {
                let m = pipeline::summary::totals(self.service.store(), from, to, &Filters::default()).await?;
                let pct = if m.events >= r.min_events.max(1) { m.errors as f64 * 100.0 / m.events as f64 } else { 0.0 };
                let pct = (pct * 10.0).round() / 10.0;
                (
                    pct,
                    format!(
                        "Error rate {pct:.1} % ({} of {} events) over the last {} min; threshold {} %",
                        m.errors, m.events, r.window_minutes, r.threshold
                    ),
                )
            }
            RuleKind::P95Latency => {
                let f = Filters { stage: r.stage.clone(), ..Filters::default() };
                let m = pipeline::summary::totals(self.service.store(), from, to, &f).await?;
                let p95 = percentile(&m.hist, 0.95).unwrap_or(0) as f64;
                let of = r.stage.as_ref().map_or("all stages".to_string(), |s| format!("stage `{s}`"));
                (
                    p95,
                    format!(
                        "p95 of {of} is {p95:.0} ms over the last {} min; threshold {} ms",
                        r.window_minutes, r.threshold
                    ),
                )
            }
            RuleKind::NoEvents => {
                // Receipt time, not the events' own clocks: this is about
                // pushes arriving. Never any event counts as silence since
                // the epoch, so a new install's rule fires until traffic comes.
                let (_, last) = self.service.store().recent_activity(now_ms).await?;
                let minutes = ((now_ms - last.unwrap_or(0)).max(0) as f64 / 60_000.0 * 10.0).floor() / 10.0;
                let message = match last {
                    Some(t) => format!(
                        "No events received for {minutes:.1} min (the last at {}); threshold {} min",
                        domain::time::to_rfc3339(t),
                        r.threshold
                    ),
                    None => format!("No events have been received yet; threshold {} min", r.threshold),
                };
                (minutes, message)
            }
            RuleKind::IngestFailures => {
                let n = self.failures_since(from) as f64;
                (
                    n,
                    format!(
                        "{n:.0} ingest requests rejected or failed in the last {} min; threshold {}",
                        r.window_minutes, r.threshold
                    ),
                )
            }
        };
        Ok(Reading {
            source: "rule",
            source_id: r.id,
            level: "firing",
            severity: r.severity,
            name: r.name.clone(),
            value,
            threshold: r.threshold,
            message,
            notify: r.notify.clone(),
        })
    }
}

/// Sends one change to its channel, retrying with doubling delays when the
/// receiver is down, overloaded or rate-limiting (5xx, 408, 429, no
/// connection); a refusal (any other 4xx) is final. Records the outcome on
/// the alert. Neither the URL nor the body is logged: both may hold a secret
/// (a webhook path, a bot token).
async fn deliver(
    service: Service,
    client: reqwest::Client,
    policy: DeliveryPolicy,
    out: channels::Outgoing,
    notice: AlertNotice,
) {
    let (store, metrics) = (service.store(), service.metrics());
    let a = &notice.alert;
    let mut delays = policy.delays().into_iter();
    let mut last_error = String::new();
    let mut attempts = 0;
    for attempt in 1..=policy.attempts {
        attempts = attempt;
        let retry = match client.post(&out.url).json(&out.body).send().await {
            Ok(resp) if resp.status().is_success() => {
                if notice.change == "fired" {
                    let _ = store.record_webhook(a.id, "delivered", attempt as i64, None).await;
                }
                tracing::info!(alert_id = a.id, attempt, "Alert delivered.");
                metrics.webhook("delivered");
                return;
            }
            Ok(resp) => {
                let code = resp.status().as_u16();
                last_error = format!("HTTP {code}");
                code >= 500 || code == 408 || code == 429
            }
            Err(e) => {
                last_error = if e.is_timeout() { "timed out".into() } else { "connection failed".into() };
                true
            }
        };
        tracing::warn!(alert_id = a.id, attempt, error = %last_error, "Alert delivery attempt failed.");
        if !retry || attempt == policy.attempts {
            break;
        }
        metrics.webhook("retried");
        tokio::time::sleep(delays.next().unwrap_or_default()).await;
    }
    let error = match attempts {
        1 => format!("{last_error}, not retried"),
        n => format!("{last_error} after {n} attempts"),
    };
    let _ = store.record_webhook(a.id, "failed", attempts as i64, Some(&error)).await;
    tracing::error!(alert_id = a.id, error = %error, "Alert delivery failed.");
    metrics.webhook("failed");
}

/// Every `every` until the server stops: reports this replica's ingest
/// failures, and — on the one replica holding the `alerts` lease —
/// evaluates, so one crossing sends one alert and one webhook however many
/// replicas run. A leader that stops is replaced once its lease runs out.
pub fn spawn(service: Service, every: Duration, policy: DeliveryPolicy) -> JoinHandle<()> {
    tokio::spawn(async move {
        let lease_ms = 3 * every.as_millis() as i64;
        let engine = AlertEngine::new(service.clone(), policy);
        let mut tick = tokio::time::interval(every);
        loop {
            tick.tick().await;
            // The leader's report is part of its evaluation.
            let run = async {
                if service.leads("alerts", lease_ms).await? {
                    engine.evaluate(domain::time::now_ms()).await.map(drop)
                } else {
                    engine.report_failures().await
                }
            };
            if let Err(e) = run.await {
                tracing::error!(error = %e, "Alert evaluation failed; will retry.");
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_policy_tries_four_times_waiting_2_4_and_8_seconds() {
        let p = DeliveryPolicy::default();
        assert_eq!(p.attempts, 4);
        assert_eq!(p.delays(), [2, 4, 8].map(Duration::from_secs));
        let once = DeliveryPolicy { attempts: 1, ..DeliveryPolicy::default() };
        assert!(once.delays().is_empty());
    }
}
