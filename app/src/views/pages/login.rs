//! `/login`: a plain form post to `/api/auth/login`, so signing in works
//! without JavaScript. Errors come back as `?error=` on this page.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use leptos_router::{lazy_route, LazyRoute};

/// The route: its page's code is loaded from a WASM chunk of its own when
/// the route is first visited (see [`crate::views`]).
#[derive(Debug)]
pub struct LoginRoute;

#[lazy_route]
impl LazyRoute for LoginRoute {
    fn data() -> Self {
        Self
    }

    fn view(_route: Self) -> AnyView {
        view! { <LoginPage/> }.into_any()
    }
}

#[component]
pub fn LoginPage() -> impl IntoView {
    let query = use_query_map();
    let param = move |name: &str| query.with(|q| q.get(name).map(|s| s.to_string()));
    let next =
        move || param("next").filter(|n| n.starts_with('/') && !n.starts_with("//")).unwrap_or_else(|| "/".into());
    let message = move || match param("error").as_deref() {
        Some("invalid") => Some("Wrong email or password.".to_string()),
        Some("locked") => {
            let minutes = param("wait").and_then(|w| w.parse::<i64>().ok()).map_or(15, |s| (s + 59) / 60);
            Some(format!("Too many failed sign-ins. Try again in {minutes} min."))
        }
        Some(_) => Some("Signing in failed. Please try again.".to_string()),
        None => None,
    };

    view! {
        <Title text="Sign in"/>
        <section class="panel login-panel">
            <h1>"Sign in"</h1>
            <p class="hint">"Flowmeter shows your agent pipelines live. Ask an admin for an account."</p>
            {move || message().map(|m| view! { <p class="form-error" role="alert">{m}</p> })}
            <form method="post" action="/api/auth/login" class="login-form">
                // An attribute, not a property: the server renders it, so a form
                // sent before the page hydrates (or without JavaScript) keeps it.
                <input type="hidden" name="next" value=next/>
                <label>
                    "Email"
                    <input type="email" name="email" autocomplete="username" required autofocus/>
                </label>
                <label>
                    "Password"
                    <input type="password" name="password" autocomplete="current-password" required/>
                </label>
                <button type="submit" class="button primary">"Sign in"</button>
            </form>
        </section>
    }
}
