//! Budgets, alert rules and the alerts they raised: the forms checked field
//! by field, what each budget has spent, and the budget check agents ask
//! before spending.

use super::error::Context;
use super::{Service, ServiceError, Viewer};
use crate::alerts;
use domain::alerts::{
    Alert, AlertRule, Budget, BudgetInput, BudgetScope, BudgetStatus, Channel, Notify, Period, RuleKind,
};
use domain::audit::AuditAction;
use domain::money::parse_decimal_nanos;
use domain::rules;
use serde::Serialize;

/// Most alerts listed at once.
pub const MAX_ALERTS: i64 = 500;

fn invalid(field: &'static str, message: impl Into<String>) -> ServiceError {
    ServiceError::invalid(field, message)
}

/// Checks where alerts go: nothing filled in is no channel; webhook, Slack
/// and Discord need an http(s) URL; Telegram a bot token (`123456:ABC…`)
/// and a chat id (a number, or `@channel`). Fields the channel does not use
/// are dropped.
pub fn notify(n: &Notify) -> Result<Option<Notify>, ServiceError> {
    if n.is_empty() {
        return Ok(None);
    }
    let (url, token, chat) = (n.url.trim(), n.bot_token.trim(), n.chat_id.trim());
    match n.channel {
        Channel::Webhook | Channel::Slack | Channel::Discord => {
            if !(url.starts_with("https://") || url.starts_with("http://"))
                || url.len() > 2000
                || url.contains(char::is_whitespace)
            {
                return Err(invalid("notify.url", "must be an http(s) URL"));
            }
            Ok(Some(Notify { channel: n.channel, url: url.into(), ..Notify::default() }))
        }
        Channel::Telegram => {
            let token_ok = token.split_once(':').is_some_and(|(bot, secret)| {
                (1..=20).contains(&bot.len())
                    && bot.bytes().all(|b| b.is_ascii_digit())
                    && (1..=200).contains(&secret.len())
                    && secret.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
            });
            if !token_ok {
                return Err(invalid("notify.botToken", "a Telegram bot token, like 123456:ABC-DEF…"));
            }
            let chat_ok = match chat.strip_prefix('@') {
                Some(name) => {
                    (5..=64).contains(&name.len()) && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
                }
                None => {
                    let digits = chat.strip_prefix('-').unwrap_or(chat);
                    (1..=20).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit())
                }
            };
            if !chat_ok {
                return Err(invalid("notify.chatId", "a chat id (a number) or an @channel name"));
            }
            Ok(Some(Notify {
                channel: Channel::Telegram,
                bot_token: token.into(),
                chat_id: chat.into(),
                ..Notify::default()
            }))
        }
    }
}

/// Checks a budget form and turns it into a budget.
pub fn budget_from(input: &BudgetInput) -> Result<Budget, ServiceError> {
    let name = rules::name(&input.name).map_err(|m| invalid("name", m))?;
    let scope = BudgetScope::parse(&input.scope).ok_or_else(|| invalid("scope", "global, model, persona or tenant"))?;
    let scope_value = input.scope_value.trim().to_string();
    if scope != BudgetScope::Global && scope_value.is_empty() {
        return Err(invalid("scopeValue", "name the model, persona or tenant"));
    }
    let period = Period::parse(&input.period).ok_or_else(|| invalid("period", "daily or monthly"))?;
    let limit_nanos = parse_decimal_nanos(&input.limit_usd).map_err(|m| invalid("limitUsd", m))?;
    if limit_nanos == 0 {
        return Err(invalid("limitUsd", "must be above 0"));
    }
    if !(1..=1000).contains(&input.warn_pct)
        || !(1..=1000).contains(&input.critical_pct)
        || input.warn_pct > input.critical_pct
    {
        return Err(invalid("warnPct", "warn and critical are 1–1000 %, warn at most critical"));
    }
    Ok(Budget {
        id: input.id,
        name,
        scope,
        scope_value: if scope == BudgetScope::Global { String::new() } else { scope_value },
        period,
        limit_nanos,
        warn_pct: input.warn_pct,
        critical_pct: input.critical_pct,
        notify: notify(&input.notify)?,
    })
}

/// Checks an alert rule.
pub fn rule_checked(mut r: AlertRule) -> Result<AlertRule, ServiceError> {
    r.name = rules::name(&r.name).map_err(|m| invalid("name", m))?;
    if !(r.threshold.is_finite() && r.threshold > 0.0) {
        return Err(invalid("threshold", "must be above 0"));
    }
    if !(1..=1440).contains(&r.window_minutes) {
        return Err(invalid("windowMinutes", "1 to 1440 minutes"));
    }
    if r.kind == RuleKind::NoEvents && r.threshold > 10_080.0 {
        return Err(invalid("threshold", "at most 10080 minutes (a week)"));
    }
    // Only latency rules watch a stage; none (or blank) means all stages.
    r.stage = r.stage.filter(|s| r.kind == RuleKind::P95Latency && !s.trim().is_empty()).map(|s| s.trim().to_string());
    if r.stage.as_ref().is_some_and(|s| s.chars().count() > crate::ingest::validate::MAX_NAME_CHARS) {
        return Err(invalid("stage", format!("at most {} characters", crate::ingest::validate::MAX_NAME_CHARS)));
    }
    r.min_events = r.min_events.max(0);
    r.notify = match &r.notify {
        Some(n) => notify(n)?,
        None => None,
    };
    Ok(r)
}

/// May a pipeline spend more? Every budget that applies, with what is left.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BudgetCheck {
    /// False once any budget that applies is used up.
    pub allow: bool,
    /// The smallest remaining amount among the budgets that apply.
    pub remaining_nanos: Option<i64>,
    pub budgets: Vec<BudgetStatus>,
}

const UNAVAILABLE: &str = "the store is unavailable";

impl Service {
    /// Every budget with what it has spent in its current period.
    pub async fn budgets(&self, now_ms: i64) -> Result<Vec<BudgetStatus>, ServiceError> {
        let mut out = Vec::new();
        for b in self.store.budgets().await.or_unavailable(UNAVAILABLE)? {
            out.push(alerts::status(&self.store, &b, now_ms).await.or_unavailable(UNAVAILABLE)?);
        }
        Ok(out)
    }

    /// Creates (id 0) or replaces a budget; returns its id.
    pub async fn save_budget(&self, by: &Viewer, input: &BudgetInput, now_ms: i64) -> Result<i64, ServiceError> {
        let b = budget_from(input)?;
        let id = self.store.save_budget(&b, now_ms).await.or_unavailable(UNAVAILABLE)?;
        let detail = format!(
            "name={} scope={}{} period={} limit_nanos={}",
            b.name,
            b.scope.as_str(),
            if b.scope_value.is_empty() { String::new() } else { format!(":{}", b.scope_value) },
            b.period.as_str(),
            b.limit_nanos
        );
        self.audit(by, AuditAction::BudgetSaved, &format!("budget {id}"), &detail).await;
        Ok(id)
    }

    pub async fn delete_budget(&self, by: &Viewer, id: i64) -> Result<(), ServiceError> {
        if !self.store.delete_budget(id).await.or_unavailable(UNAVAILABLE)? {
            return Err(ServiceError::NotFound { field: "id", what: "budget" });
        }
        self.audit(by, AuditAction::BudgetDeleted, &format!("budget {id}"), "").await;
        Ok(())
    }

    pub async fn alert_rules(&self) -> Result<Vec<AlertRule>, ServiceError> {
        self.store.alert_rules().await.or_unavailable(UNAVAILABLE)
    }

    /// Creates (id 0) or replaces a rule; returns its id.
    pub async fn save_alert_rule(&self, by: &Viewer, rule: AlertRule, now_ms: i64) -> Result<i64, ServiceError> {
        let r = rule_checked(rule)?;
        let id = self.store.save_alert_rule(&r, now_ms).await.or_unavailable(UNAVAILABLE)?;
        // The channel by name only: its URL or token is a secret.
        let detail = format!(
            "name={} kind={} threshold={} enabled={} channel={}",
            r.name,
            r.kind.as_str(),
            r.threshold,
            r.enabled,
            r.notify.as_ref().map_or("none", |n| n.channel.as_str())
        );
        self.audit(by, AuditAction::RuleSaved, &format!("rule {id}"), &detail).await;
        Ok(id)
    }

    pub async fn delete_alert_rule(&self, by: &Viewer, id: i64) -> Result<(), ServiceError> {
        if !self.store.delete_alert_rule(id).await.or_unavailable(UNAVAILABLE)? {
            return Err(ServiceError::NotFound { field: "id", what: "rule" });
        }
        self.audit(by, AuditAction::RuleDeleted, &format!("rule {id}"), "").await;
        Ok(())
    }

    /// The latest alerts, newest first.
    pub async fn alerts(&self, limit: i64) -> Result<Vec<Alert>, ServiceError> {
        self.store.alerts(limit.clamp(1, MAX_ALERTS)).await.or_unavailable(UNAVAILABLE)
    }

    /// The budgets that apply to spending on a model, for a persona, on
    /// behalf of a tenant. Any API key may ask (agents hold ingest keys), so
    /// where a budget's alerts go is left out: its webhook URL or bot
    /// token is a secret for admins.
    pub async fn budget_check(&self, spending: alerts::Spending<'_>, now_ms: i64) -> Result<BudgetCheck, ServiceError> {
        let mut budgets = Vec::new();
        for b in self.store.budgets().await? {
            if alerts::applies(&b, spending) {
                let mut status = alerts::status(&self.store, &b, now_ms).await?;
                status.budget.notify = None;
                budgets.push(status);
            }
        }
        Ok(BudgetCheck {
            allow: budgets.iter().all(|s| s.remaining_nanos > 0),
            remaining_nanos: budgets.iter().map(|s| s.remaining_nanos).min(),
            budgets,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budget_forms_are_checked_field_by_field() {
        let ok = BudgetInput {
            name: "daily".into(),
            scope: "global".into(),
            period: "daily".into(),
            limit_usd: "25.50".into(),
            warn_pct: 80,
            critical_pct: 100,
            ..BudgetInput::default()
        };
        let b = budget_from(&ok).unwrap();
        assert_eq!(b.limit_nanos, 25_500_000_000);
        let field = |i: BudgetInput| budget_from(&i).unwrap_err().to_string();
        assert!(field(BudgetInput { scope: "team".into(), ..ok.clone() }).contains("`scope`"));
        assert!(field(BudgetInput { scope: "model".into(), ..ok.clone() }).contains("`scopeValue`"));
        assert!(field(BudgetInput { limit_usd: "lots".into(), ..ok.clone() }).contains("`limitUsd`"));
        assert!(field(BudgetInput { limit_usd: "0".into(), ..ok.clone() }).contains("`limitUsd`"));
        assert!(field(BudgetInput { warn_pct: 120, ..ok.clone() }).contains("`warnPct`"));
        assert!(field(BudgetInput { notify: Notify::webhook("ftp://x"), ..ok.clone() }).contains("`notify.url`"));
        assert!(field(BudgetInput { name: " ".into(), ..ok.clone() }).contains("`name`"));
    }

    #[test]
    fn channels_are_checked_and_trimmed_to_what_they_use() {
        let tg = |token: &str, chat: &str| Notify {
            channel: Channel::Telegram,
            bot_token: token.into(),
            chat_id: chat.into(),
            url: "https://ignored.example".into(),
        };
        let ok = notify(&tg(" 123456:AAH-x_9 ", "-100200")).unwrap().unwrap();
        assert_eq!((ok.bot_token.as_str(), ok.chat_id.as_str(), ok.url.as_str()), ("123456:AAH-x_9", "-100200", ""));
        assert!(notify(&tg("123456:AAH", "@ops_alerts")).unwrap().is_some());
        let err = |n: Notify| notify(&n).unwrap_err().to_string();
        assert!(err(tg("AAH", "1")).contains("`notify.botToken`"));
        assert!(err(tg("12:a b", "1")).contains("`notify.botToken`"));
        assert!(err(tg("12:ab", "")).contains("`notify.chatId`"));
        assert!(err(tg("12:ab", "12a")).contains("`notify.chatId`"));
        assert!(err(tg("12:ab", "@x")).contains("`notify.chatId`"));
        let discord = Notify {
            channel: Channel::Discord,
            url: "https://discord.test/api/webhooks/1/x".into(),
            chat_id: "9".into(),
            ..Notify::default()
        };
        assert_eq!(notify(&discord).unwrap().unwrap().chat_id, "", "unused fields are dropped");
        assert!(err(Notify { channel: Channel::Slack, url: "hooks.slack.com".into(), ..Notify::default() })
            .contains("`notify.url`"));
        assert_eq!(notify(&Notify { channel: Channel::Telegram, ..Notify::default() }).unwrap(), None, "blank is none");
    }

    #[test]
    fn rules_watch_a_stage_only_for_latency() {
        let rule = AlertRule {
            id: 0,
            name: "slow".into(),
            kind: RuleKind::P95Latency,
            threshold: 2500.0,
            window_minutes: 5,
            stage: Some("  ".into()),
            min_events: 0,
            severity: Default::default(),
            notify: None,
            enabled: true,
        };
        assert_eq!(rule_checked(rule.clone()).unwrap().stage, None, "blank: all stages");
        let one = rule_checked(AlertRule { stage: Some(" tools ".into()), ..rule.clone() }).unwrap();
        assert_eq!(one.stage.as_deref(), Some("tools"));
        let quiet =
            AlertRule { kind: RuleKind::NoEvents, stage: Some("tools".into()), threshold: 10.0, ..rule.clone() };
        assert_eq!(rule_checked(quiet.clone()).unwrap().stage, None);
        assert!(rule_checked(AlertRule { threshold: 20_000.0, ..quiet })
            .unwrap_err()
            .to_string()
            .contains("`threshold`"));
    }
}
