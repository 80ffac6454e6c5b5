//! Per-tool analytics: each tool the pipeline's stages called (`meta.tool`,
//! or OTLP's `gen_ai.tool.name`) — calls, error rate, p50/p95/p99 duration
//! and the cost of the stages that called it — so a slow or failing tool
//! stands out.

use crate::domain::money::usd_display;
use crate::domain::summary::Summary;
use crate::views::components::info_cards::format_ms;
use leptos::prelude::*;

#[component]
pub fn ToolsTable(summary: Memo<Summary>) -> impl IntoView {
    let rows = move || summary.with(|s| s.tools.clone());
    let ms = |v: Option<i64>| v.map(format_ms).unwrap_or_else(|| "—".into());
    view! {
        <Show when=move || summary.with(|s| !s.tools.is_empty())>
            <section class="panel" aria-labelledby="tools-title">
                <header class="panel-head">
                    <h2 id="tools-title">"Tools"</h2>
                    <p class="hint">"From each stage's meta.tool (OTLP: gen_ai.tool.name)."</p>
                </header>
                <div class="table-scroll" role="region" aria-label="Tools" tabindex="0">
                    <table class="grid tools">
                        <thead>
                            <tr>
                                <th scope="col">"Tool"</th><th scope="col" class="num">"Calls"</th><th scope="col" class="num">"Error rate"</th>
                                <th scope="col" class="num">"p50"</th><th scope="col" class="num">"p95"</th><th scope="col" class="num">"p99"</th>
                                <th scope="col" class="num">"Cost"</th>
                            </tr>
                        </thead>
                        <tbody>
                            <For each=rows key=|r| (r.tool.clone(), r.calls, r.errors, r.cost_nanos) children=move |r| view! {
                                <tr data-tool=r.tool.clone()>
                                    <td>{r.tool.clone()}</td>
                                    <td class="num" data-calls=r.calls>{r.calls}</td>
                                    <td class="num">{format!("{:.1} %", r.error_rate * 100.0)}</td>
                                    <td class="num">{ms(r.p50_ms)}</td>
                                    <td class="num">{ms(r.p95_ms)}</td>
                                    <td class="num">{ms(r.p99_ms)}</td>
                                    <td class="num" data-cost=r.cost_nanos>{usd_display(r.cost_nanos)}</td>
                                </tr>
                            }/>
                        </tbody>
                    </table>
                </div>
            </section>
        </Show>
    }
}
