//! Server functions: the typed calls the views make to the server. Each
//! module holds one domain's functions. A body runs only on the server (the
//! browser gets an HTTP stub) and is thin: it takes the caller the access
//! rules admitted ([`enter`]), asks the pipeline's service, and answers.
//! [`codec`] is how the browser reads what they answer, and what resources
//! carry into hydration.

pub mod account;
pub mod admin;
pub mod codec;
pub mod conversations;
pub mod costs;
pub mod dashboard;
#[cfg(feature = "ssr")]
pub mod errors;
pub mod pricing;
pub mod summary;

/// The signed-in user of the request a server function or page render is
/// handling (the server resolved the session cookie into the request).
#[cfg(feature = "ssr")]
pub fn current_user() -> Option<domain::auth::Me> {
    leptos::prelude::use_context::<http::request::Parts>().and_then(|p| p.extensions.get::<domain::auth::Me>().cloned())
}

/// For the server function `F`: who is asking, checked against `F`'s access
/// rule (again, for calls a page render makes), and the service to ask.
#[cfg(feature = "ssr")]
pub fn enter<F: leptos::server_fn::ServerFn>(
) -> Result<(pipeline::service::Service, pipeline::service::Viewer), leptos::prelude::ServerFnError> {
    use crate::access::{self, Denied};
    let Some(rule) = access::rules().iter().find(|r| r.path == F::PATH) else {
        tracing::error!(path = F::PATH, "A server function has no access rule; refused.");
        return Err(errors::denied(Denied::Forbidden("no access rule for this server function")));
    };
    match access::decide(rule.need, current_user().as_ref(), None) {
        Ok(Some(viewer)) => Ok((leptos::prelude::expect_context(), viewer)),
        Ok(None) => Err(errors::denied(Denied::Unauthorized("sign in required"))),
        Err(d) => Err(errors::denied(d)),
    }
}
