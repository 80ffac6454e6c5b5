//! Users: create, change role, disable or re-enable.

use crate::api::admin::{list_users, CreateUser, SetUserDisabled, SetUserRole};
use crate::api::codec::resource;
use crate::domain::auth::{Role, UserView};
use crate::domain::time;
use crate::views::messages::action_error;
use leptos::prelude::*;

#[component]
pub fn Users() -> impl IntoView {
    let ready = crate::views::use_hydrated();
    let create = ServerAction::<CreateUser>::new();
    let set_role = ServerAction::<SetUserRole>::new();
    let set_disabled = ServerAction::<SetUserDisabled>::new();
    let users = resource(
        move || (create.version().get(), set_role.version().get(), set_disabled.version().get()),
        |_| list_users(),
    );
    let (email, password, role) =
        (RwSignal::new(String::new()), RwSignal::new(String::new()), RwSignal::new(Role::Viewer));
    let error = move || action_error(*create)().or_else(action_error(*set_role)).or_else(action_error(*set_disabled));
    Effect::new(move |_| {
        if create.value().with(|v| matches!(v, Some(Ok(_)))) {
            email.set(String::new());
            password.set(String::new());
        }
    });

    view! {
        <section class="panel admin-section" aria-labelledby="users-title">
            <header class="panel-head"><h2 id="users-title">"Users"</h2></header>
            <form
                class="inline-form"
                on:submit=move |ev| {
                    ev.prevent_default();
                    create.dispatch(CreateUser { email: email.get(), password: password.get(), role: role.get() });
                }
            >
                <fieldset class="plain" disabled=move || !ready.get()>
                    <input type="email" placeholder="email" required bind:value=email aria-label="Email"/>
                    <input type="password" placeholder="password (10+ characters)" required bind:value=password aria-label="Password"/>
                    <select aria-label="Role" on:change:target=move |ev| role.set(Role::parse(&ev.target().value()).unwrap_or(Role::Viewer))>
                        <option value="viewer" selected>"viewer"</option>
                        <option value="admin">"admin"</option>
                    </select>
                    <button type="submit" class="button primary" disabled=move || create.pending().get()>"Create user"</button>
                </fieldset>
            </form>
            {move || error().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
            <Suspense fallback=|| view! { <p class="loading">"Loading users…"</p> }>
                {move || Suspend::new(async move {
                    let list = users.await.unwrap_or_default();
                    view! {
                        <div class="table-scroll" role="region" aria-label="Users" tabindex="0">
                            <table class="grid users">
                                <thead><tr><th>"Email"</th><th>"Role"</th><th>"Status"</th><th>"Last sign-in"</th><th></th></tr></thead>
                                <tbody>
                                    {list.into_iter().map(|u| view! { <UserRow u set_role set_disabled/> }).collect_view()}
                                </tbody>
                            </table>
                        </div>
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn UserRow(
    u: UserView,
    set_role: ServerAction<SetUserRole>,
    set_disabled: ServerAction<SetUserDisabled>,
) -> impl IntoView {
    let id = u.id;
    let other = if u.role == Role::Admin { Role::Viewer } else { Role::Admin };
    let last = u.last_login_at.map(time::to_rfc3339).unwrap_or_else(|| "never".into());
    view! {
        <tr data-user=u.email.clone()>
            <td data-label="Email">{u.email.clone()}</td>
            <td data-label="Role"><span class="role-pill" data-role=u.role.as_str()>{u.role.as_str()}</span></td>
            <td data-label="Status">{if u.disabled { "disabled" } else { "active" }}</td>
            <td class="muted" data-label="Last sign-in">{last}</td>
            <td class="actions">
                <button class="button ghost" on:click=move |_| { set_role.dispatch(SetUserRole { user_id: id, role: other }); }>
                    {format!("Make {}", other.as_str())}
                </button>
                <button class="button ghost" on:click=move |_| { set_disabled.dispatch(SetUserDisabled { user_id: id, disabled: !u.disabled }); }>
                    {if u.disabled { "Enable" } else { "Disable" }}
                </button>
            </td>
        </tr>
    }
}
