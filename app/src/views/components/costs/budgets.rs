//! Budgets (with a gauge of this period's spend), alert rules, and the
//! alerts they raised — including webhooks that failed.

use crate::api::costs::{
    list_alert_rules, list_alerts, list_budgets, DeleteAlertRule, DeleteBudget, SaveAlertRule, SaveBudget,
};
use crate::domain::alerts::BudgetInput;
use crate::domain::alerts::{AlertRule, BudgetStatus, RuleKind};
use crate::domain::money::usd_display;
use crate::domain::time;
use crate::views::components::admin::action_error;
use leptos::prelude::*;

#[component]
pub fn Budgets(tick: ReadSignal<u64>) -> impl IntoView {
    let ready = crate::views::use_hydrated();
    let save = ServerAction::<SaveBudget>::new();
    let delete = ServerAction::<DeleteBudget>::new();
    let budgets = Resource::new(move || (tick.get(), save.version().get(), delete.version().get()), |_| list_budgets());
    let f = || RwSignal::new(String::new());
    let (name, scope_value, limit, webhook) = (f(), f(), f(), f());
    let scope = RwSignal::new("global".to_string());
    let period = RwSignal::new("daily".to_string());
    let (warn, critical) = (RwSignal::new("80".to_string()), RwSignal::new("100".to_string()));
    let error = move || action_error(*save)().or_else(action_error(*delete));

    view! {
        <section class="panel" aria-labelledby="budgets-title">
            <header class="panel-head">
                <h2 id="budgets-title">"Budgets"</h2>
                <p class="hint">"Agents can ask before they spend: GET /api/budget/check?model=…&persona=…"</p>
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
                            webhook_url: webhook.get(),
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
                    </select>
                    <input placeholder="model or persona" bind:value=scope_value aria-label="Model or persona"/>
                    <select aria-label="Period" on:change:target=move |ev| period.set(ev.target().value())>
                        <option value="daily">"per day"</option>
                        <option value="monthly">"per month"</option>
                    </select>
                    <input placeholder="limit (USD)" required inputmode="decimal" bind:value=limit aria-label="Limit in USD"/>
                    <input type="number" min="1" max="1000" bind:value=warn aria-label="Warn at %"/>
                    <input type="number" min="1" max="1000" bind:value=critical aria-label="Critical at %"/>
                    <input placeholder="webhook URL (optional)" bind:value=webhook aria-label="Webhook URL"/>
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
                <span class="muted">{format!("{} · {}", b.budget.period.as_str(), scope)}</span>
                <button class="button ghost danger" on:click=move |_| { delete.dispatch(DeleteBudget { id }); }>"Delete"</button>
            </div>
            <div class="gauge-track" role="meter" aria-valuemin="0" aria-valuemax="100" aria-valuenow=format!("{:.1}", b.pct)>
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
    let rules =
        Resource::new(move || (tick.get(), save.version().get(), delete.version().get()), |_| list_alert_rules());
    let alerts = Resource::new(move || (tick.get(), save.version().get()), |_| list_alerts(20));
    let name = RwSignal::new(String::new());
    let kind = RwSignal::new("error_rate".to_string());
    let threshold = RwSignal::new(String::new());
    let window = RwSignal::new("5".to_string());
    let stage = RwSignal::new(String::new());
    let webhook = RwSignal::new(String::new());
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
                                    <li class="alert-item" data-level=a.level.clone() data-state=state>
                                        <span class="status-pill">{format!("{} · {state}", a.level)}</span>
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
                                view! {
                                    <li data-rule=r.name.clone()>
                                        <strong>{r.name.clone()}</strong>
                                        {format!(" — {} ≥ {} over {} min{}", r.kind.as_str(), r.threshold, r.window_minutes, r.stage.as_ref().map(|s| format!(" ({s})")).unwrap_or_default())}
                                        <button class="button ghost danger" on:click=move |_| { delete.dispatch(DeleteAlertRule { id }); }>"Delete"</button>
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
                            webhook_url: Some(webhook.get()),
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
                    </select>
                    <input placeholder="threshold" required inputmode="decimal" bind:value=threshold aria-label="Threshold"/>
                    <input type="number" min="1" max="1440" bind:value=window aria-label="Window minutes"/>
                    <input placeholder="stage (latency)" bind:value=stage aria-label="Stage"/>
                    <input placeholder="webhook URL (optional)" bind:value=webhook aria-label="Rule webhook URL"/>
                    <button type="submit" class="button">"Add rule"</button>
                </fieldset>
            </form>
            {move || error().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
        </section>
    }
}
