//! How server functions refuse: each error sets the HTTP status it stands
//! for (a server function's error would otherwise answer 500), so a refusal
//! is a 4xx naming the field, and only a failing store is a 5xx (its cause
//! logged, not shown).

use leptos::prelude::ServerFnError;

fn with_status(status: u16, message: String) -> ServerFnError {
    if let (Some(resp), Ok(code)) =
        (leptos::prelude::use_context::<leptos_axum::ResponseOptions>(), http::StatusCode::from_u16(status))
    {
        resp.set_status(code);
    }
    ServerFnError::new(message)
}

/// A refusal of the service, with its status.
pub fn refused(e: pipeline::service::ServiceError) -> ServerFnError {
    if let pipeline::service::ServiceError::Unavailable { source, .. } = &e {
        tracing::error!(error = %source, "A server function failed in the store.");
    }
    with_status(e.status(), e.to_string())
}

/// A caller the access rules turn away: 401 or 403.
pub fn denied(d: crate::access::Denied) -> ServerFnError {
    match d {
        crate::access::Denied::Unauthorized(m) => with_status(401, m.to_string()),
        crate::access::Denied::Forbidden(m) => with_status(403, m.to_string()),
    }
}
