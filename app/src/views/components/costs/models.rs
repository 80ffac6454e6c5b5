//! Model comparison: requests, tokens, cost and its share of the window's
//! spend, cost per request and per turn, p95 and p99 latency and error
//! rate per model.

use crate::domain::money::usd_display;
use crate::domain::summary::Summary;
use crate::views::components::info_cards::format_ms;
use leptos::prelude::*;

#[component]
pub fn ModelComparison(summary: Memo<Summary>) -> impl IntoView {
    let rows = move || summary.with(|s| s.model_usage.clone());
    let turns = move || summary.with_untracked(|s| s.overview.turns);
    view! {
        <section class="panel" aria-labelledby="models-title">
            <header class="panel-head"><h2 id="models-title">"Model comparison"</h2></header>
            <Show when=move || summary.with(|s| !s.model_usage.is_empty()) fallback=|| view! { <p class="empty">"No model calls in this window."</p> }>
                <div class="table-scroll" role="region" aria-label="Model comparison" tabindex="0">
                    <table class="grid models">
                        <thead>
                            <tr>
                                <th>"Model"</th><th class="num">"Requests"</th><th class="num">"Tokens"</th><th class="num">"Cost"</th>
                                <th class="num" title="This model's part of the window's spend">"Share"</th>
                                <th class="num">"Per request"</th>
                                <th class="num" title="This model's cost over every turn in the window: what it adds to a turn on average">"Per turn"</th>
                                <th class="num">"p95"</th><th class="num">"p99"</th><th class="num">"Errors"</th>
                            </tr>
                        </thead>
                        <tbody>
                            <For each=rows key=move |m| (m.model.clone(), m.requests, m.cost_nanos, m.cost_percentage.to_bits(), turns()) children=move |m| {
                                let per = (m.requests > 0).then(|| m.cost_nanos / m.requests);
                                let per_turn = Some(turns()).filter(|t| *t > 0).map(|t| m.cost_nanos / t);
                                let err = if m.requests > 0 { m.errors as f64 * 100.0 / m.requests as f64 } else { 0.0 };
                                view! {
                                    <tr data-model=m.model.clone()>
                                        <td>{m.model.clone()}</td>
                                        <td class="num">{m.requests}</td>
                                        <td class="num">{m.tokens}</td>
                                        <td class="num" data-cost=m.cost_nanos>
                                            {usd_display(m.cost_nanos)}
                                            {(m.unpriced_events > 0).then(|| view! { <span class="unpriced" title="events without a price">{format!(" +{} unpriced", m.unpriced_events)}</span> })}
                                        </td>
                                        <td class="num" data-share=m.cost_percentage>{format!("{:.1} %", m.cost_percentage)}</td>
                                        <td class="num">{per.map(usd_display).unwrap_or_else(|| "—".into())}</td>
                                        <td class="num" data-per-turn=per_turn>{per_turn.map(usd_display).unwrap_or_else(|| "—".into())}</td>
                                        <td class="num">{m.p95_ms.map(format_ms).unwrap_or_else(|| "—".into())}</td>
                                        <td class="num">{m.p99_ms.map(format_ms).unwrap_or_else(|| "—".into())}</td>
                                        <td class="num">{format!("{err:.1} %")}</td>
                                    </tr>
                                }
                            }/>
                        </tbody>
                    </table>
                </div>
            </Show>
        </section>
    }
}
