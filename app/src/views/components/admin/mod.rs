//! The admin area's sections, one per file, each with its own data and
//! actions (server functions in `crate::api::admin` and `crate::api::pricing`).

pub mod audit;
pub mod keys;
pub mod pricing;
pub mod settings;
pub mod users;

use leptos::prelude::*;

/// The error of the last run of an action, for showing beside its form.
pub fn action_error<I: Send + Sync + 'static, O: Clone + Send + Sync + 'static>(
    action: Action<I, Result<O, ServerFnError>>,
) -> impl Fn() -> Option<String> + Copy {
    move || action.value().with(|v| v.as_ref().and_then(|r| r.as_ref().err().map(server_message)))
}

/// A server function error as the user should read it.
pub fn server_message(e: &ServerFnError) -> String {
    match e {
        ServerFnError::ServerError(m) => m.clone(),
        other => other.to_string(),
    }
}
