//! API keys: create (shown once), list, revoke.

use crate::api::admin::{list_api_keys, CreateApiKey, RevokeApiKey};
use crate::api::codec::resource;
use crate::domain::auth::{ApiKeyRecord, KeyScope};
use crate::domain::time;
use crate::views::messages::action_error;
use leptos::prelude::*;

#[component]
pub fn ApiKeys() -> impl IntoView {
    let ready = crate::views::use_hydrated();
    let create = ServerAction::<CreateApiKey>::new();
    let revoke = ServerAction::<RevokeApiKey>::new();
    let keys = resource(move || (create.version().get(), revoke.version().get()), |_| list_api_keys());
    let name = RwSignal::new(String::new());
    let scope = RwSignal::new(KeyScope::Ingest);
    let tenant = RwSignal::new(String::new());
    let error = move || action_error(*create)().or_else(action_error(*revoke));
    let fresh = move || {
        create
            .value()
            .with(|v| v.as_ref().and_then(|r| r.as_ref().ok().map(|(rec, key)| (rec.name.clone(), key.clone()))))
    };

    view! {
        <section class="panel admin-section" aria-labelledby="keys-title">
            <header class="panel-head">
                <h2 id="keys-title">"API keys"</h2>
                <p class="hint">"Ingest keys post events; read keys query the REST summary API. A key with a tenant writes or reads that tenant only. Stored hashed."</p>
            </header>
            <form
                class="inline-form"
                on:submit=move |ev| {
                    ev.prevent_default();
                    let t = tenant.get();
                    create.dispatch(CreateApiKey { name: name.get(), scope: scope.get(), tenant: Some(t).filter(|t| !t.trim().is_empty()) });
                    name.set(String::new());
                    tenant.set(String::new());
                }
            >
                <fieldset class="plain" disabled=move || !ready.get()>
                    <input type="text" placeholder="name (e.g. prod-agents)" required bind:value=name aria-label="Key name"/>
                    <select aria-label="Scope" on:change:target=move |ev| scope.set(KeyScope::parse(&ev.target().value()))>
                        <option value="ingest" selected>"ingest"</option>
                        <option value="read">"read"</option>
                    </select>
                    <input type="text" placeholder="tenant (blank: all)" bind:value=tenant aria-label="Key tenant"/>
                    <button type="submit" class="button primary">"Create key"</button>
                </fieldset>
            </form>
            {move || fresh().map(|(name, key)| view! {
                <div class="new-key" role="status">
                    <p>"Key “" {name} "” — copy it now, it is not shown again:"</p>
                    <code class="key-value">{key}</code>
                </div>
            })}
            {move || error().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
            <Suspense fallback=|| view! { <p class="loading">"Loading keys…"</p> }>
                {move || Suspend::new(async move {
                    let list = keys.await.unwrap_or_default();
                    view! {
                        <div class="table-scroll" role="region" aria-label="API keys" tabindex="0">
                            <table class="grid keys">
                                <thead><tr><th>"Name"</th><th>"Prefix"</th><th>"Scope"</th><th>"Tenant"</th><th>"Created"</th><th>"Last used"</th><th></th></tr></thead>
                                <tbody>{list.into_iter().map(|k| view! { <KeyRow k revoke/> }).collect_view()}</tbody>
                            </table>
                        </div>
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn KeyRow(k: ApiKeyRecord, revoke: ServerAction<RevokeApiKey>) -> impl IntoView {
    let id = k.id;
    let revoked = k.revoked_at.is_some();
    view! {
        <tr data-key=k.prefix.clone() class:revoked=revoked>
            <td data-label="Name">{k.name.clone()}</td>
            <td data-label="Prefix"><code>{format!("{}…", k.prefix)}</code></td>
            <td data-label="Scope">{k.scope.as_str()}</td>
            <td data-label="Tenant">{k.tenant.clone().unwrap_or_else(|| "all".into())}</td>
            <td class="muted" data-label="Created">{time::to_rfc3339(k.created_at)}</td>
            <td class="muted" data-label="Last used">{k.last_used_at.map(time::to_rfc3339).unwrap_or_else(|| "never".into())}</td>
            <td class="actions">
                {if revoked {
                    view! { <span class="muted">"revoked"</span> }.into_any()
                } else {
                    view! { <button class="button ghost danger" on:click=move |_| { revoke.dispatch(RevokeApiKey { key_id: id }); }>"Revoke"</button> }.into_any()
                }}
            </td>
        </tr>
    }
}
