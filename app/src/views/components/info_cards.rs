//! The four figures above the canvas: who is answering with what, how long
//! the last stage took, throughput and error rate.

use crate::domain::stats::InfoFigures;
use crate::live::LiveStore;
use leptos::prelude::*;

#[component]
pub fn InfoCards() -> impl IntoView {
    let live = expect_context::<LiveStore>();
    let figures = Memo::new(move |_| {
        let now = live.now.get();
        live.log.with(|log| live.recent.with(|r| InfoFigures::compute(log, r.iter().copied(), now)))
    });
    let dash = || "—".to_string();

    view! {
        <section class="cards" aria-label="Current figures">
            <article class="card" data-card="persona">
                <h3>"Persona · model"</h3>
                <p class="figure">{move || figures.with(|f| f.persona.clone()).unwrap_or_else(dash)}</p>
                <p class="sub">{move || figures.with(|f| f.model.clone()).unwrap_or_else(dash)}</p>
            </article>
            <article class="card" data-card="duration">
                <h3>"Last duration"</h3>
                <p class="figure">
                    {move || figures.with(|f| f.last_duration.as_ref().map(|(_, ms)| format_ms(*ms))).unwrap_or_else(dash)}
                </p>
                <p class="sub">{move || figures.with(|f| f.last_duration.as_ref().map(|(s, _)| s.clone())).unwrap_or_default()}</p>
            </article>
            <article class="card" data-card="rate">
                <h3>"Events / min"</h3>
                <p class="figure">{move || figures.with(|f| f.events_per_minute.to_string())}</p>
                <p class="sub">"received in the last 60 s"</p>
            </article>
            <article class="card" data-card="errors">
                <h3>"Error rate"</h3>
                <p class="figure">{move || figures.with(|f| f.error_rate_pct().map(|p| format!("{p:.1} %"))).unwrap_or_else(dash)}</p>
                <p class="sub">{move || figures.with(|f| format!("{} of the latest {} events", f.errors.0, f.errors.1))}</p>
            </article>
        </section>
    }
}

/// `812 ms`, `1.4 s`, `2 min 5 s`.
pub fn format_ms(ms: i64) -> String {
    match ms {
        ms if ms < 1_000 => format!("{ms} ms"),
        ms if ms < 60_000 => format!("{:.1} s", ms as f64 / 1000.0),
        ms => format!("{} min {} s", ms / 60_000, (ms % 60_000) / 1000),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn formats_durations() {
        assert_eq!(super::format_ms(812), "812 ms");
        assert_eq!(super::format_ms(1_440), "1.4 s");
        assert_eq!(super::format_ms(125_000), "2 min 5 s");
    }
}
