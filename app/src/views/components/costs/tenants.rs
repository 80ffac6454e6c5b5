//! Cost by tenant: who the spending is for — a table (spend, share of the
//! window, turns, cost per turn, change against the window before) and a
//! bar chart. A tenant's name narrows the whole page to it, in the URL
//! (`&tenant=`), and "All tenants" widens it again.

use super::chart::{self, EChart};
use super::range::CostView;
use crate::domain::money::usd_display;
use crate::domain::summary::{Summary, Trend};
use leptos::prelude::*;

/// How a tenant is named on the page (`""`: events sent without one).
pub fn label(tenant: &str) -> String {
    if tenant.is_empty() {
        "(no tenant)".into()
    } else {
        tenant.to_string()
    }
}

/// "Tenant: acme · All tenants", when the page shows one tenant.
#[component]
pub fn TenantFilter(view: Memo<CostView>) -> impl IntoView {
    move || {
        view.with(|v| v.tenant.clone()).map(|t| {
            let all = format!("/costs?{}", view.with(|v| v.with_tenant(None).to_query()));
            view! {
                <p class="tenant-filter" data-tenant=t.clone()>
                    "Showing tenant " <strong>{t.clone()}</strong> " · " <a href=all>"All tenants"</a>
                </p>
            }
        })
    }
}

#[component]
pub fn TenantCosts(summary: Memo<Summary>, view: Memo<CostView>, loaded: Signal<bool>) -> impl IntoView {
    let rows = move || summary.with(|s| s.tenants.clone());
    let options = Signal::derive(move || loaded.get().then(|| summary.with(chart::cost_by_tenant)));
    view! {
        <Show when=move || summary.with(|s| !s.tenants.is_empty())>
            <section class="panel" aria-labelledby="tenants-title">
                <header class="panel-head">
                    <h2 id="tenants-title">"Cost by tenant"</h2>
                    <p class="hint">"Change is against the same-length window before."</p>
                </header>
                <div class="tenant-grid">
                    <div class="table-scroll" role="region" aria-label="Cost by tenant" tabindex="0">
                        <table class="grid tenants">
                            <thead>
                                <tr>
                                    <th>"Tenant"</th><th class="num">"Spend"</th><th class="num">"Share"</th>
                                    <th class="num">"Turns"</th><th class="num">"Per turn"</th><th class="num">"Change"</th>
                                </tr>
                            </thead>
                            <tbody>
                                <For each=rows key=|r| (r.tenant.clone(), r.cost_nanos, r.events, r.share_pct.to_bits()) children=move |r| {
                                    let href = format!("/costs?{}", view.with_untracked(|v| v.with_tenant(Some(r.tenant.clone())).to_query()));
                                    let change = match (r.change_pct, r.trend) {
                                        (Some(p), _) => format!("{p:+.1} %"),
                                        (None, Trend::Increasing) => "new".to_string(),
                                        (None, _) => "—".to_string(),
                                    };
                                    view! {
                                        <tr data-tenant=r.tenant.clone()>
                                            <td>
                                                {if r.tenant.is_empty() {
                                                    view! { <span class="muted">{label(&r.tenant)}</span> }.into_any()
                                                } else {
                                                    view! { <a href=href>{label(&r.tenant)}</a> }.into_any()
                                                }}
                                            </td>
                                            <td class="num" data-cost=r.cost_nanos>
                                                {usd_display(r.cost_nanos)}
                                                {(r.unpriced_events > 0).then(|| view! { <span class="unpriced" title="events without a price">{format!(" +{} unpriced", r.unpriced_events)}</span> })}
                                            </td>
                                            <td class="num" data-share=r.share_pct>{format!("{:.1} %", r.share_pct)}</td>
                                            <td class="num">{r.turns}</td>
                                            <td class="num">{r.cost_per_turn_nanos.map(usd_display).unwrap_or_else(|| "—".into())}</td>
                                            <td class="num trend" data-trend=format!("{:?}", r.trend).to_lowercase() title=format!("{} the window before", usd_display(r.previous_cost_nanos))>{change}</td>
                                        </tr>
                                    }
                                }/>
                            </tbody>
                        </table>
                    </div>
                    <EChart id="chart-cost-tenant" title="Spend by tenant" options/>
                </div>
            </section>
        </Show>
    }
}
