//! The pricing editor: every entry with its prices (USD per 1M tokens), the
//! admin overrides beside the bundled values they replace, a form to change
//! a model's prices from a time on (or add a model), and repricing.

use crate::api::codec::resource;
use crate::api::pricing::{get_pricing, Reprice, UpdatePricing};
use crate::domain::money::usd_exact;
use crate::domain::pricing::{Origin, PriceEntry, PriceUpdate, Rates};
use crate::domain::time;
use crate::views::messages::action_error;
use leptos::prelude::*;

/// `2026-11-22T10:30` (a `datetime-local` value, read as UTC) → epoch ms.
pub fn parse_utc_minute(s: &str) -> Option<i64> {
    chrono::NaiveDateTime::parse_from_str(s.trim(), "%Y-%m-%dT%H:%M").ok().map(|t| t.and_utc().timestamp_millis())
}

fn rate(r: Option<i64>) -> String {
    r.map(usd_exact).unwrap_or_else(|| "—".into())
}

#[component]
fn RateCells(r: Rates) -> impl IntoView {
    view! {
        <td class="num">{usd_exact(r.input)}</td>
        <td class="num">{usd_exact(r.output)}</td>
        <td class="num">{rate(r.cached_input)}</td>
        <td class="num">{rate(r.cache_write)}</td>
        <td class="num">{rate(r.reasoning)}</td>
    }
}

#[component]
pub fn PricingEditor() -> impl IntoView {
    let ready = crate::views::use_hydrated();
    let update = ServerAction::<UpdatePricing>::new();
    let reprice = ServerAction::<Reprice>::new();
    let pricing = resource(move || update.version().get(), |_| get_pricing());
    let field = || RwSignal::new(String::new());
    let (id, pattern, input, output) = (field(), field(), field(), field());
    let (cached, write, reasoning, effective) = (field(), field(), field(), field());
    let (from, to) = (field(), field());
    let local_error = RwSignal::new(None::<String>);
    let error = move || local_error.get().or_else(action_error(*update)).or_else(action_error(*reprice));
    let optional = |s: RwSignal<String>| Some(s.get()).filter(|v| !v.trim().is_empty());

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(effective_from) = parse_utc_minute(&effective.get()) else {
            local_error.set(Some("invalid `effectiveFrom`: pick a date and time".into()));
            return;
        };
        local_error.set(None);
        update.dispatch(UpdatePricing {
            update: PriceUpdate {
                id: id.get(),
                pattern: pattern.get(),
                provider: None,
                input: input.get(),
                output: output.get(),
                cached_input: optional(cached),
                cache_write: optional(write),
                reasoning: optional(reasoning),
                effective_from,
            },
        });
    };
    let submit_reprice = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        match (parse_utc_minute(&from.get()), parse_utc_minute(&to.get())) {
            (Some(f), Some(t)) => {
                local_error.set(None);
                reprice.dispatch(Reprice { from: f, to: t });
            }
            _ => local_error.set(Some("invalid `from`/`to`: pick both times".into())),
        }
    };
    let report = move || reprice.value().with(|v| v.as_ref().and_then(|r| r.as_ref().ok().cloned()));

    view! {
        <section class="panel admin-section" aria-labelledby="pricing-title">
            <header class="panel-head">
                <h2 id="pricing-title">"Pricing"</h2>
                <p class="hint">"USD per 1M tokens. Changes price events at or after their effective time (UTC); reprice to apply them to older events."</p>
            </header>
            <form class="price-form" on:submit=submit>
                <fieldset class="plain" disabled=move || !ready.get()>
                    <input list="price-ids" placeholder="model entry id (e.g. gpt-4o) or a new one" required bind:value=id aria-label="Entry id"/>
                    <input placeholder="pattern (new models only)" bind:value=pattern aria-label="Pattern"/>
                    <input placeholder="input" required inputmode="decimal" bind:value=input aria-label="Input price"/>
                    <input placeholder="output" required inputmode="decimal" bind:value=output aria-label="Output price"/>
                    <input placeholder="cached input" inputmode="decimal" bind:value=cached aria-label="Cached input price"/>
                    <input placeholder="cache write" inputmode="decimal" bind:value=write aria-label="Cache write price"/>
                    <input placeholder="reasoning" inputmode="decimal" bind:value=reasoning aria-label="Reasoning price"/>
                    <label>"Effective from (UTC) " <input type="datetime-local" required bind:value=effective/></label>
                    <button type="submit" class="button primary">"Save price"</button>
                </fieldset>
            </form>
            <form class="inline-form" on:submit=submit_reprice>
                <fieldset class="plain" disabled=move || !ready.get()>
                    <label>"Reprice from (UTC) " <input type="datetime-local" required bind:value=from/></label>
                    <label>"to " <input type="datetime-local" required bind:value=to/></label>
                    <button type="submit" class="button" disabled=move || reprice.pending().get()>"Reprice"</button>
                </fieldset>
            </form>
            {move || report().map(|r| view! {
                <p class="notice" role="status" data-reprice>
                    {format!(
                        "Repriced {} events: {} changed, total {} by {} USD; unpriced {} → {}.",
                        r.scanned, r.changed, if r.delta_nanos >= 0 { "up" } else { "down" }, usd_exact(r.delta_nanos.abs()), r.unpriced_before, r.unpriced_after
                    )}
                </p>
            })}
            {move || error().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
            <Suspense fallback=|| view! { <p class="loading">"Loading prices…"</p> }>
                {move || Suspend::new(async move {
                    let Ok(view_) = pricing.await else { return view! { <p class="form-error">"Prices unavailable."</p> }.into_any() };
                    let ids: Vec<String> = view_.entries.iter().map(|e| e.id.clone()).collect();
                    let bundled = view_.entries.clone();
                    view! {
                        <datalist id="price-ids">{ids.into_iter().map(|i| view! { <option value=i></option> }).collect_view()}</datalist>
                        {(!view_.overrides.is_empty()).then(|| view! {
                            <h3>"Overrides"</h3>
                            <div class="table-scroll" role="region" aria-label="Price overrides" tabindex="0">
                                <table class="grid prices">
                                    <thead><tr><th>"Model"</th><th>"From (UTC)"</th><th>"Input"</th><th>"Output"</th><th>"Cached"</th><th>"Cache write"</th><th>"Reasoning"</th><th>"Bundled in / out"</th></tr></thead>
                                    <tbody>
                                        {view_.overrides.into_iter().map(|o| {
                                            let base = bundled.iter().find(|b| b.id == o.id).map(|b| format!("{} / {}", usd_exact(b.rates.input), usd_exact(b.rates.output))).unwrap_or_else(|| "new model".into());
                                            let from = match o.origin { Origin::Admin { effective_from, .. } => time::to_rfc3339(effective_from), _ => String::new() };
                                            view! { <tr data-override=o.id.clone()><td>{o.id.clone()}</td><td class="muted">{from}</td><RateCells r=o.rates/><td class="muted">{base}</td></tr> }
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            </div>
                        })}
                        <h3>"Table"</h3>
                        <div class="table-scroll" role="region" aria-label="Price table" tabindex="0">
                            <table class="grid prices">
                                <thead><tr><th>"Model"</th><th>"Provider"</th><th>"Input"</th><th>"Output"</th><th>"Cached"</th><th>"Cache write"</th><th>"Reasoning"</th><th>"Source"</th></tr></thead>
                                <tbody>
                                    {view_.entries.into_iter().map(|e: PriceEntry| view! {
                                        <tr data-entry=e.id.clone()>
                                            <td title=e.pattern.clone()>{e.id.clone()}</td>
                                            <td>{e.provider.clone().unwrap_or_default()}</td>
                                            <RateCells r=e.rates/>
                                            <td class="muted">{match e.origin { Origin::Environment => "environment".to_string(), _ => e.as_of.clone().unwrap_or_default() }}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        </div>
                    }
                    .into_any()
                })}
            </Suspense>
        </section>
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn datetime_local_values_are_utc() {
        assert_eq!(super::parse_utc_minute("1970-01-01T00:01"), Some(60_000));
        assert_eq!(super::parse_utc_minute("nope"), None);
    }
}
