//! Telemetry on/off and retention.

use crate::api::admin::{get_admin_settings, SetRetentionDays, SetTelemetry};
use crate::api::codec::resource;
use crate::domain::rules::RETENTION_DAYS;
use crate::views::messages::action_error;
use leptos::prelude::*;

#[component]
pub fn Settings() -> impl IntoView {
    let ready = crate::views::use_hydrated();
    let toggle = ServerAction::<SetTelemetry>::new();
    let retention = ServerAction::<SetRetentionDays>::new();
    let settings = resource(move || (toggle.version().get(), retention.version().get()), |_| get_admin_settings());
    let days = RwSignal::new(String::new());
    let error = move || action_error(*toggle)().or_else(action_error(*retention));

    view! {
        <section class="panel admin-section" aria-labelledby="settings-title">
            <header class="panel-head"><h2 id="settings-title">"Telemetry and retention"</h2></header>
            <Suspense fallback=|| view! { <p class="loading">"Loading settings…"</p> }>
                {move || Suspend::new(async move {
                    let Ok(s) = settings.await else { return view! { <p class="form-error">"Settings unavailable."</p> }.into_any() };
                    let on = s.telemetry_enabled;
                    view! {
                        <div class="setting">
                            <p>
                                "Ingest is "
                                <strong data-telemetry=if on { "on" } else { "off" }>{if on { "on" } else { "off" }}</strong>
                                {format!(" (TELEMETRY_ENABLED={}; a restart returns to it). While off, ingest answers 503 and stores nothing.", s.telemetry_default)}
                            </p>
                            <button class="button" on:click=move |_| { toggle.dispatch(SetTelemetry { enabled: !on }); }>
                                {if on { "Turn ingest off" } else { "Turn ingest on" }}
                            </button>
                        </div>
                        <form
                            class="inline-form setting"
                            on:submit=move |ev| {
                                ev.prevent_default();
                                if let Ok(d) = days.get().trim().parse::<i64>() {
                                    retention.dispatch(SetRetentionDays { days: d });
                                }
                            }
                        >
                            <fieldset class="plain" disabled=move || !ready.get()>
                                <label>
                                    {format!("Keep data for (days, now {}): ", s.retention_days)}
                                    <input type="number" min={*RETENTION_DAYS.start()} max={*RETENTION_DAYS.end()} required bind:value=days aria-label="Retention days"/>
                                </label>
                                <button type="submit" class="button">"Save retention"</button>
                            </fieldset>
                        </form>
                    }
                    .into_any()
                })}
            </Suspense>
            {move || error().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
        </section>
    }
}
