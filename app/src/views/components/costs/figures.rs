//! The key figures and the live ticker of today's spend.

use crate::domain::money::usd_display;
use crate::domain::summary::{Summary, Trend};
use leptos::prelude::*;

#[component]
pub fn KeyFigures(summary: Memo<Summary>) -> impl IntoView {
    let c = move || summary.with(|s| s.cost.clone());
    let arrow = move || match c().trend {
        Trend::Increasing => ("↑", "up"),
        Trend::Decreasing => ("↓", "down"),
        Trend::Stable => ("→", "flat"),
    };
    let change =
        move || c().change_pct.map(|p| format!("{p:+.1} % vs previous")).unwrap_or_else(|| "no spend before".into());
    view! {
        <section class="cards cost-cards" aria-label="Key figures">
            <article class="card" data-figure="total">
                <h3>"Total spend"</h3>
                <p class="figure" data-nanos=move || c().total_nanos>{move || usd_display(c().total_nanos)}</p>
                <p class="sub trend" data-trend=move || arrow().1>
                    <span aria-hidden="true">{move || arrow().0}</span>" "{change}
                </p>
            </article>
            <article class="card" data-figure="per-turn">
                <h3>"Per turn"</h3>
                <p class="figure">{move || c().average_per_turn_nanos.map(usd_display).unwrap_or_else(|| "—".into())}</p>
                <p class="sub">{move || summary.with(|s| format!("{} turns", s.overview.turns))}</p>
            </article>
            <article class="card" data-figure="per-hour">
                <h3>"Per hour"</h3>
                <p class="figure">{move || usd_display(c().per_hour_nanos)}</p>
                <p class="sub">"over this window"</p>
            </article>
            <article class="card" data-figure="projected">
                <h3>"Projected"</h3>
                <p class="figure">{move || usd_display(c().projected_daily_nanos)}<span class="unit">" / day"</span></p>
                <p class="sub">{move || format!("{} / month", usd_display(c().projected_monthly_nanos))}</p>
            </article>
        </section>
        {move || {
            let c = c();
            (c.unpriced_events > 0).then(|| view! {
                <p class="warning" data-unpriced=c.unpriced_events>
                    {format!("{} events ({} tokens) are unpriced: their model has no price, so they are not in these totals. ", c.unpriced_events, c.unpriced_tokens)}
                    <a href="/admin#pricing-title">"Add prices"</a>
                </p>
            })
        }}
    }
}

/// Today's spend (UTC), rising as live events arrive.
#[component]
pub fn LiveTicker(today: Memo<Option<Summary>>, live: Signal<bool>, active: Signal<Option<usize>>) -> impl IntoView {
    let ready = crate::views::use_hydrated();
    view! {
        // Not a live region: it moves with every priced event.
        <div class="ticker">
            <span class="ticker-dot" class:on=live aria-hidden="true"></span>
            <span class="ticker-label">"Today (UTC)"</span>
            <strong class="ticker-value" data-ticker>
                {move || today.with(|t| t.as_ref().map(|s| usd_display(s.cost.total_nanos)).unwrap_or_else(|| "—".into()))}
            </strong>
            <span class="ticker-sub">{move || today.with(|t| t.as_ref().map(|s| format!("{} requests", s.overview.requests)))}</span>
            // The count comes from the sessions panel further down, so it
            // joins once the page is hydrated (the server has not seen it yet).
            {move || ready.get().then(|| active.get()).flatten().map(|n| view! {
                <span class="ticker-sub" data-active-sessions=n>
                    {format!("· {n} active {}", if n == 1 { "session" } else { "sessions" })}
                </span>
            })}
        </div>
    }
}
