//! The audit log: the latest admin actions, newest first — who changed
//! users, keys, prices, budgets, alert rules, retention or the switch.
//! Read when the page opens and on Refresh.

use crate::api::admin::get_audit_log;
use crate::api::codec::resource;
use crate::domain::time;
use leptos::prelude::*;

/// Entries shown.
const SHOWN: i64 = 100;

#[component]
pub fn AuditLog() -> impl IntoView {
    let refresh = RwSignal::new(0u32);
    let entries = resource(move || refresh.get(), |_| get_audit_log(SHOWN));
    view! {
        <section class="panel admin-section" aria-labelledby="audit-title" data-audit>
            <header class="panel-head">
                <h2 id="audit-title">"Audit log"</h2>
                <button class="button ghost" on:click=move |_| refresh.update(|n| *n += 1)>"Refresh"</button>
            </header>
            <Suspense fallback=|| view! { <p class="loading">"Loading the audit log…"</p> }>
                {move || Suspend::new(async move {
                    let Ok(list) = entries.await else {
                        return view! { <p class="form-error">"The audit log is unavailable."</p> }.into_any();
                    };
                    if list.is_empty() {
                        return view! { <p class="muted">"No admin actions yet."</p> }.into_any();
                    }
                    view! {
                        <div class="table-scroll" role="region" aria-label="Audit log" tabindex="0">
                            <table class="grid audit">
                                <thead><tr><th>"When"</th><th>"Who"</th><th>"Action"</th><th>"Target"</th><th>"Detail"</th></tr></thead>
                                <tbody>
                                    {list.into_iter().map(|e| view! {
                                        <tr data-action=e.action.as_str()>
                                            <td class="muted">{time::to_rfc3339(e.at)}</td>
                                            <td>{e.actor}</td>
                                            <td><code>{e.action.as_str()}</code></td>
                                            <td>{e.target}</td>
                                            <td class="detail">{e.detail}</td>
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
