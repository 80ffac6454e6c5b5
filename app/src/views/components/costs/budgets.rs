//! Budgets (with a gauge of this period's spend), alert rules, and the
//! alerts they raised — including webhooks that failed.

use super::notify::{describe, NotifyFields, NotifyState};
use crate::api::codec::resource;
use crate::api::costs::{
    list_alert_rules, list_alerts, list_budgets, DeleteAlertRule, DeleteBudget, SaveAlertRule, SaveBudget,
};
use crate::domain::alerts::{AlertRule, BudgetInput, BudgetStatus, RuleKind, Severity};
use crate::domain::money::usd_display;
use crate::domain::time;
use crate::views::messages::action_error;
use leptos::prelude::*;

#[component]
pub fn Budgets(tick: ReadSignal<u64>) -> impl IntoView {
    let ready = crate::views::use_hydrated();
    let save = ServerAction::<SaveBudget>::new();
    let delete = ServerAction::<DeleteBudget>::new();
    let budgets = resource(move || (tick.get(), save.version().get(), delete.version().get()), |_| list_budgets());
    let f = || RwSignal::new(String::new());
    let (name, scope_value, limit) = (f(), f(), f());
    let notify = NotifyState::default();
    let scope = RwSignal::new("global".to_string());
    let period = RwSignal::new("daily".to_string());
    let (warn, critical) = (RwSignal::new("80".to_string()), RwSignal::new("100".to_string()));
    let error = move || action_error(*save)().or_else(action_error(*delete));

    view! {
        <section class="panel" aria-labelledby="budgets-title">
            <header class="panel-head">
                <h2 id="budgets-title">"Budgets"</h2>
                <p class="hint">"Agents can ask before they spend: GET /api/budget/check?model=…&persona=…&tenant=…"</p>
            </header>
            <Transition fallback=|| view! { <div class="skeleton rows"></div> }>
                {move || Suspend::new(async move {
                    let list = budgets.await.unwrap_or_default();
                    if list.is_empty() {
                        return view! { <p class="empty">"No budgets yet."</p> }.into_any();
                    }
                    view! { <div class="gauges">{list.into_iter().map(|b| view! { <Gauge b delete/> }).collect_view()}</div> }.into_any()
                })}
            </Transition>
            <form
                class="inline-form"
                on:submit=move |ev| {
                    ev.prevent_default();
                    save.dispatch(SaveBudget {
                        budget: BudgetInput {
                            id: 0,
                            name: name.get(),
                            scope: scope.get(),
                            scope_value: scope_value.get(),
                            period: period.get(),
                            limit_usd: limit.get(),
                            warn_pct: warn.get().parse().unwrap_or(80),
                            critical_pct: critical.get().parse().unwrap_or(100),
                            notify: notify.get(),
                        },
                    });
                }
            >
                <fieldset class="plain" disabled=move || !ready.get()>
                    <input placeholder="name" required bind:value=name aria-label="Budget name"/>
                    <select aria-label="Scope" on:change:target=move |ev| scope.set(ev.target().value())>
                        <option value="global">"all models"</option>
                        <option value="model">"one model"</option>
                        <option value="persona">"one persona"</option>
                        <option value="tenant">"one tenant"</option>
                        <option value="pipeline">"one pipeline"</option>
                    </select>
                    <input placeholder="model, persona, tenant or pipeline" bind:value=scope_value aria-label="Model, persona, tenant or pipeline"/>
                    <select aria-label="Period" on:change:target=move |ev| period.set(ev.target().value())>
                        <option value="daily">"per day"</option>
                        <option value="monthly">"per month"</option>
                    </select>
                    <input placeholder="limit (USD)" required inputmode="decimal" bind:value=limit aria-label="Limit in USD"/>
                    <input type="number" min="1" max="1000" bind:value=warn aria-label="Warn at %"/>
                    <input type="number" min="1" max="1000" bind:value=critical aria-label="Critical at %"/>
                    <NotifyFields state=notify prefix="Budget"/>
                    <button type="submit" class="button primary">"Add budget"</button>
                </fieldset>
            </form>
            {move || error().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
        </section>
    }
}

#[component]
fn Gauge(b: BudgetStatus, delete: ServerAction<DeleteBudget>) -> impl IntoView {
    let id = b.budget.id;
    let width = format!("width: {:.1}%", b.pct.clamp(0.0, 100.0));
    let scope = match b.budget.scope_value.as_str() {
        "" => "all models".to_string(),
        v => format!("{} {v}", b.budget.scope.as_str()),
    };
    view! {
        <div class="gauge" data-budget=b.budget.name.clone() data-level=b.level.clone()>
            <div class="gauge-head">
                <strong>{b.budget.name.clone()}</strong>
                <span class="muted">{format!("{} · {} · {}", b.budget.period.as_str(), scope, describe(&b.budget.notify))}</span>
                <button class="button ghost danger" on:click=move |_| { delete.dispatch(DeleteBudget { id }); }>"Delete"</button>
            </div>
            <div
                class="gauge-track"
                role="meter"
                aria-label=format!("{} spent", b.budget.name)
                aria-valuemin="0"
                aria-valuemax="100"
                aria-valuenow=format!("{:.1}", b.pct)
                aria-valuetext=format!("{:.1} %", b.pct)
            >
                <div class="gauge-fill" style=width></div>
                <div class="gauge-mark" style=format!("left: {}%", b.budget.warn_pct.min(100))></div>
            </div>
            <p class="sub">
                {format!("{} of {} ({:.1} %) · {} left", usd_display(b.spent_nanos), usd_display(b.budget.limit_nanos), b.pct, usd_display(b.remaining_nanos.max(0)))}
            </p>
        </div>
    }
}

#[component]
pub fn AlertRules(tick: ReadSignal<u64>) -> impl IntoView {
    let ready = crate::views::use_hydrated();
    let save = ServerAction::<SaveAlertRule>::new();
    let delete = ServerAction::<DeleteAlertRule>::new();
    let rules = resource(move || (tick.get(), save.version().get(), delete.version().get()), |_| list_alert_rules());
    let alerts = resource(move || (tick.get(), save.version().get()), |_| list_alerts(20));
    let name = RwSignal::new(String::new());
    let kind = RwSignal::new("error_rate".to_string());
    let threshold = RwSignal::new(String::new());
    let window = RwSignal::new("5".to_string());
    let stage = RwSignal::new(String::new());
    let severity = RwSignal::new("warning".to_string());
    let notify = NotifyState::default();
    let error = move || action_error(*save)().or_else(action_error(*delete));

    view! {
        <section class="panel" aria-labelledby="rules-title">
            <header class="panel-head"><h2 id="rules-title">"Alerts"</h2></header>
            <Transition fallback=|| view! { <div class="skeleton rows"></div> }>
                {move || Suspend::new(async move {
                    let list = alerts.await.unwrap_or_default();
                    if list.is_empty() {
                        return view! { <p class="empty">"No alerts have fired."</p> }.into_any();
                    }
                    view! {
                        <ul class="alert-list">
                            {list.into_iter().map(|a| {
                                let state = if a.resolved_at.is_some() { "resolved" } else { "firing" };
                                view! {
                                    <li class="alert-item" data-level=a.level.clone() data-severity=a.severity.as_str() data-state=state>
                                        <span class="status-pill severity">{format!("{} · {state}", a.severity.as_str())}</span>
                                        <span>{a.message.clone()}</span>
                                        <span class="muted">{time::to_rfc3339(a.fired_at)}</span>
                                        {(a.webhook_status == "failed").then(|| view! {
                                            <span class="form-error" data-webhook="failed">{format!("webhook failed: {}", a.webhook_error.clone().unwrap_or_default())}</span>
                                        })}
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    }
                    .into_any()
                })}
            </Transition>
            <h3>"Rules"</h3>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    let list = rules.await.unwrap_or_default();
                    view! {
                        <ul class="rule-list">
                            {list.into_iter().map(|r| {
                                let id = r.id;
                                let toggled = AlertRule { enabled: !r.enabled, ..r.clone() };
                                let (state, toggle) = if r.enabled { ("on", "Turn off") } else { ("off", "Turn on") };
                                view! {
                                    <li data-rule=r.name.clone() data-enabled=state>
                                        <span class="status-pill severity" data-severity=r.severity.as_str()>{r.severity.as_str()}</span>
                                        <strong>{r.name.clone()}</strong>
                                        <span>{rule_text(&r)}</span>
                                        <span class="muted">{format!("{} · {state}", describe(&r.notify))}</span>
                                        <button class="button ghost" aria-label=format!("{toggle} rule {}", r.name) on:click=move |_| { save.dispatch(SaveAlertRule { rule: toggled.clone() }); }>{toggle}</button>
                                        <button class="button ghost danger" aria-label=format!("Delete rule {}", r.name) on:click=move |_| { delete.dispatch(DeleteAlertRule { id }); }>"Delete"</button>
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    }
                })}
            </Transition>
            <form
                class="inline-form"
                on:submit=move |ev| {
                    ev.prevent_default();
                    let kind = RuleKind::parse(&kind.get()).unwrap_or(RuleKind::ErrorRate);
                    save.dispatch(SaveAlertRule {
                        rule: AlertRule {
                            id: 0,
                            name: name.get(),
                            kind,
                            threshold: threshold.get().trim().parse().unwrap_or(0.0),
                            window_minutes: window.get().trim().parse().unwrap_or(5),
                            stage: Some(stage.get()).filter(|s| !s.trim().is_empty()),
                            min_events: 10,
                            severity: Severity::parse(&severity.get()).unwrap_or_default(),
                            notify: Some(notify.get()),
                            enabled: true,
                        },
                    });
                }
            >
                <fieldset class="plain" disabled=move || !ready.get()>
                    <input placeholder="rule name" required bind:value=name aria-label="Rule name"/>
                    <select aria-label="Rule kind" on:change:target=move |ev| kind.set(ev.target().value())>
                        <option value="error_rate">"error rate ≥ %"</option>
                        <option value="p95_latency">"p95 latency ≥ ms"</option>
                        <option value="ingest_failures">"ingest failures ≥ n"</option>
                        <option value="no_events">"no events for ≥ min"</option>
                    </select>
                    <select aria-label="Severity" on:change:target=move |ev| severity.set(ev.target().value())>
                        <option value="warning">"warning"</option>
                        <option value="critical">"critical"</option>
                        <option value="info">"info"</option>
                    </select>
                    <input placeholder="threshold" required inputmode="decimal" bind:value=threshold aria-label="Threshold"/>
                    <input type="number" min="1" max="1440" bind:value=window aria-label="Window minutes"/>
                    <input placeholder="stage (latency; blank: all)" bind:value=stage aria-label="Stage"/>
                    <NotifyFields state=notify prefix="Rule"/>
                    <button type="submit" class="button">"Add rule"</button>
                </fieldset>
            </form>
            {move || error().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
        </section>
    }
}

/// "error rate ≥ 5 % over 5 min", "p95 of all stages ≥ 2500 ms over 5 min".
fn rule_text(r: &AlertRule) -> String {
    let over = format!("over {} min", r.window_minutes);
    match r.kind {
        RuleKind::ErrorRate => format!("error rate ≥ {} % {over}", r.threshold),
        RuleKind::P95Latency => {
            let of = r.stage.as_ref().map_or("all stages".to_string(), |s| format!("stage {s}"));
            format!("p95 of {of} ≥ {} ms {over}", r.threshold)
        }
        RuleKind::IngestFailures => format!("ingest failures ≥ {} {over}", r.threshold),
        RuleKind::NoEvents => format!("no events for ≥ {} min", r.threshold),
    }
}
