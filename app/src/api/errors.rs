//! How server functions refuse: each error sets the HTTP status it stands
//! for (a server function's error would otherwise answer 500), so bad input
//! is a 4xx naming the field, and only a failing store is a 5xx.

use leptos::prelude::ServerFnError;

fn with_status(status: u16, message: String) -> ServerFnError {
    #[cfg(feature = "ssr")]
    if let (Some(resp), Ok(code)) =
        (leptos::prelude::use_context::<leptos_axum::ResponseOptions>(), http::StatusCode::from_u16(status))
    {
        resp.set_status(code);
    }
    #[cfg(not(feature = "ssr"))]
    let _ = status;
    ServerFnError::new(message)
}

/// 400: a field's value is not acceptable; the message names the field.
pub fn invalid(field: &str, message: impl std::fmt::Display) -> ServerFnError {
    with_status(400, format!("invalid `{field}`: {message}"))
}

/// 400 with a message that already names what is wrong.
pub fn bad_request(message: impl std::fmt::Display) -> ServerFnError {
    with_status(400, message.to_string())
}

/// 404: the thing named by `field` does not exist.
pub fn not_found(field: &str, what: &str) -> ServerFnError {
    with_status(404, format!("invalid `{field}`: no such {what}"))
}

/// 409: valid, but refused in the current state.
pub fn conflict(message: impl std::fmt::Display) -> ServerFnError {
    with_status(409, format!("refused: {message}"))
}

/// 503: the store failed; the cause is logged, not shown.
pub fn unavailable(context: &str, cause: impl std::fmt::Display, message: &str) -> ServerFnError {
    #[cfg(feature = "ssr")]
    tracing::error!(error = %cause, "{context}");
    #[cfg(not(feature = "ssr"))]
    let _ = (context, cause);
    with_status(503, message.to_string())
}
