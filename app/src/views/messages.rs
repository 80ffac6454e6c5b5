//! How a failed server function reads on screen: its own message (say,
//! "the event store is unavailable; …"), not the framework's wrapping of it.

use leptos::prelude::*;

/// A server function error as the user should read it.
pub fn server_message(e: &ServerFnError) -> String {
    match e {
        ServerFnError::ServerError(m) => m.clone(),
        other => other.to_string(),
    }
}

/// The error of the last run of an action, for showing beside its form.
pub fn action_error<I: Send + Sync + 'static, O: Clone + Send + Sync + 'static>(
    action: Action<I, Result<O, ServerFnError>>,
) -> impl Fn() -> Option<String> + Copy {
    move || action.value().with(|v| v.as_ref().and_then(|r| r.as_ref().err().map(server_message)))
}
