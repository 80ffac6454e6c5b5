//! Accounts and sessions: who a request comes from, and whether they may.
//!
//! - [`limiter`]: sign-in attempts per account and per address.
//!
//! The server resolves the session cookie once per request and puts the
//! signed-in user ([`Me`]) into the request's extensions; handlers and
//! server functions read it from there. Every check happens on the server;
//! the views only hide what would be refused anyway.

pub mod limiter;

use crate::domain::auth::{Me, Role};
use leptos::prelude::*;

/// Why a request was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Denied {
    /// Not signed in: 401.
    SignIn,
    /// Signed in without the role: 403.
    Forbidden,
}

/// Checks `user` against the role a resource needs.
pub fn check(user: Option<&Me>, needed: Role) -> Result<(), Denied> {
    match user {
        None => Err(Denied::SignIn),
        Some(u) if u.role < needed => Err(Denied::Forbidden),
        Some(_) => Ok(()),
    }
}

/// The signed-in user of the request a server function or page render is
/// handling.
pub fn current_user() -> Option<Me> {
    use_context::<http::request::Parts>().and_then(|p| p.extensions.get::<Me>().cloned())
}

/// For server functions: the user if they have `role`, else an error (and
/// the response status set to 401 or 403).
pub fn require(role: Role) -> Result<Me, ServerFnError> {
    let user = current_user();
    match check(user.as_ref(), role) {
        Ok(()) => Ok(user.expect("checked above")),
        Err(denied) => {
            let (status, message) = match denied {
                Denied::SignIn => (http::StatusCode::UNAUTHORIZED, "sign in required"),
                Denied::Forbidden => (http::StatusCode::FORBIDDEN, "this needs the admin role"),
            };
            if let Some(resp) = use_context::<leptos_axum::ResponseOptions>() {
                resp.set_status(status);
            }
            Err(ServerFnError::new(message))
        }
    }
}

/// Removes cost from events shown to someone who may not see money.
pub fn strip_cost(events: &mut [crate::domain::Event]) {
    for e in events {
        e.cost_nanos = None;
        e.pricing_id = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_ordered() {
        let viewer = Me { id: 1, email: "v@x".into(), role: Role::Viewer };
        let admin = Me { id: 2, email: "a@x".into(), role: Role::Admin };
        assert_eq!(check(None, Role::Viewer), Err(Denied::SignIn));
        assert_eq!(check(Some(&viewer), Role::Viewer), Ok(()));
        assert_eq!(check(Some(&viewer), Role::Admin), Err(Denied::Forbidden));
        assert_eq!(check(Some(&admin), Role::Viewer), Ok(()));
    }
}
