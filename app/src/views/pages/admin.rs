//! `/admin` (admins only; the server answers 403 to anyone else): users,
//! API keys, telemetry and retention, the pricing editor and the audit log.

use crate::live::LiveStore;
use crate::views::components::admin::{
    audit::AuditLog, keys::ApiKeys, pricing::PricingEditor, settings::Settings, users::Users,
};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{lazy_route, LazyRoute};

/// The route: its page's code is loaded from a WASM chunk of its own when
/// the route is first visited (see [`crate::views`]).
#[derive(Debug)]
pub struct AdminRoute;

#[lazy_route]
impl LazyRoute for AdminRoute {
    fn data() -> Self {
        Self
    }

    fn view(_route: Self) -> AnyView {
        view! { <AdminPage/> }.into_any()
    }
}

#[component]
pub fn AdminPage() -> impl IntoView {
    // The connection indicator stays live here too.
    let live = expect_context::<LiveStore>();
    live.start();
    view! {
        <Title text="Admin"/>
        <h1 class="page-title">"Admin"</h1>
        <Users/>
        <ApiKeys/>
        <Settings/>
        <PricingEditor/>
        <AuditLog/>
    }
}
