//! `POST /api/auth/login` and `POST /api/auth/logout`: plain form posts (the
//! sign-in page works without JavaScript), or JSON for scripts.
//!
//! Failed attempts are limited per account and per client address; a wrong
//! email and a wrong password take the same time and get the same answer.

use super::error::{ApiError, ErrorBody};
use crate::state::AppState;
use axum::extract::{ConnectInfo, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Json;
use domain::time;
use pipeline::auth::{password, session};
use serde::Deserialize;
use std::net::SocketAddr;

#[derive(Deserialize, utoipa::ToSchema)]
pub struct LoginForm {
    email: String,
    password: String,
    #[serde(default)]
    next: Option<String>,
}

/// Where to go after signing in: a local path only (no open redirects).
fn safe_next(next: Option<&str>) -> &str {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.starts_with("/\\") => n,
        _ => "/",
    }
}

/// The client's address: the connection's, or behind a trusted proxy the
/// last `X-Forwarded-For` entry (the one that proxy added).
fn client_address(headers: &HeaderMap, peer: SocketAddr, trust_forwarded_for: bool) -> String {
    let forwarded = headers
        .get("x-forwarded-for")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.rsplit(',').next())
        .map(str::trim)
        .filter(|a| !a.is_empty());
    match forwarded {
        Some(a) if trust_forwarded_for => a.to_string(),
        _ => peer.ip().to_string(),
    }
}

fn is_json(headers: &HeaderMap) -> bool {
    headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|ct| ct.starts_with("application/json"))
}

/// A verified hash of a random password: checked when the email is unknown,
/// so that answer takes as long as a wrong password.
fn dummy_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| password::hash(&password::generate()).unwrap_or_default())
}

/// Who just signed in (JSON sign-ins).
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct SignedIn {
    pub email: String,
    /// `admin` or `viewer`.
    pub role: &'static str,
}

/// Signs in: the session cookie (`HttpOnly; SameSite=Strict`), and for a
/// form post a redirect to `next`.
#[utoipa::path(post, path = "/api/auth/login", tag = "accounts",
    request_body(content((LoginForm = "application/json"), (LoginForm = "application/x-www-form-urlencoded"))),
    responses(
        (status = 200, description = "Signed in (JSON); the cookie is set", body = SignedIn),
        (status = 303, description = "Signed in (form): to `next`; or refused: back to the sign-in page with `?error=`"),
        (status = 400, description = "No email or password", body = ErrorBody),
        (status = 401, description = "Wrong email or password", body = ErrorBody),
        (status = 429, description = "Too many failed sign-ins for this account or address", body = ErrorBody),
        (status = 503, description = "The store is unavailable", body = ErrorBody),
    ),
    security(()))]
pub async fn login(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let json = is_json(&headers);
    let form: LoginForm = match if json {
        serde_json::from_slice(&body).map_err(|e| e.to_string())
    } else {
        serde_urlencoded::from_bytes(&body).map_err(|e| e.to_string())
    } {
        Ok(f) => f,
        Err(e) => {
            return ApiError::BadParam { field: "email", message: format!("send email and password ({e})") }
                .into_response()
        }
    };
    let next = safe_next(form.next.as_deref()).to_string();
    let refuse = |code: &str, message: String, wait_s: Option<i64>| -> Response {
        if json {
            let status = if wait_s.is_some() { StatusCode::TOO_MANY_REQUESTS } else { StatusCode::UNAUTHORIZED };
            (status, Json(serde_json::json!({ "error": message }))).into_response()
        } else {
            let wait = wait_s.map(|s| format!("&wait={s}")).unwrap_or_default();
            Redirect::to(&format!("/login?error={code}{wait}&next={}", domain::url::encode_path(&next))).into_response()
        }
    };

    let now = time::now_ms();
    let account = domain::rules::normalize_email(&form.email);
    let address = client_address(&headers, peer, state.http.trust_forwarded_for);
    let blocked = match state.service.sign_in_blocked(&account, &address, now).await {
        Ok(b) => b,
        Err(e) => return ApiError::from(e).into_response(),
    };
    if let Some(ms) = blocked {
        let wait_s = (ms + 999) / 1000;
        tracing::warn!(%address, "Sign-in refused: too many failed attempts.");
        return refuse(
            "locked",
            format!("too many failed sign-ins; try again in {} min", (wait_s + 59) / 60),
            Some(wait_s),
        );
    }

    let credentials = match state.service.store().credentials(&account).await {
        Ok(c) => c,
        Err(e) => return ApiError::Store(e).into_response(),
    };
    let (hash, user) = match &credentials {
        Some(c) if !c.disabled => (c.password_hash.clone(), Some(c.user.clone())),
        _ => (dummy_hash().to_string(), None),
    };
    let typed = form.password.clone();
    let ok = tokio::task::spawn_blocking(move || password::verify(&typed, &hash)).await.unwrap_or(false);
    let Some(user) = user.filter(|_| ok) else {
        if let Err(e) = state.service.sign_in_failed(&account, &address, now).await {
            return ApiError::from(e).into_response();
        }
        tracing::info!(%address, "Sign-in failed.");
        return refuse("invalid", "wrong email or password".into(), None);
    };

    if let Err(e) = state.service.sign_in_succeeded(&account).await {
        return ApiError::from(e).into_response();
    }
    let token = session::new_token();
    if let Err(e) =
        state.service.store().create_session(&session::token_hash(&token), user.id, now, now + session::TTL_MS).await
    {
        return ApiError::Store(e).into_response();
    }
    tracing::info!(user_id = user.id, "Signed in.");
    let cookie = session::set_cookie(&token, state.http.secure_cookies);
    let mut resp = if json {
        Json(SignedIn { email: user.email.clone(), role: user.role.as_str() }).into_response()
    } else {
        Redirect::to(&next).into_response()
    };
    if let Ok(v) = cookie.parse() {
        resp.headers_mut().insert(header::SET_COOKIE, v);
    }
    resp
}

/// Ends this session (the cookie is cleared).
#[utoipa::path(post, path = "/api/auth/logout", tag = "accounts",
    responses(
        (status = 204, description = "Signed out (JSON)"),
        (status = 303, description = "Signed out (form): to the sign-in page"),
        (status = 403, description = "A cross-site request", body = ErrorBody),
        (status = 503, description = "The store is unavailable", body = ErrorBody),
    ),
    security((), ("session" = [])))]
pub async fn logout(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let token = headers.get(header::COOKIE).and_then(|v| v.to_str().ok()).and_then(session::from_cookie_header);
    if let Some(token) = token {
        if let Err(e) = state.service.store().revoke_session(&session::token_hash(token), time::now_ms()).await {
            return ApiError::Store(e).into_response();
        }
    }
    let mut resp =
        if is_json(&headers) { StatusCode::NO_CONTENT.into_response() } else { Redirect::to("/login").into_response() };
    if let Ok(v) = session::clear_cookie(state.http.secure_cookies).parse() {
        resp.headers_mut().insert(header::SET_COOKIE, v);
    }
    resp
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_forwarded_address_counts_only_behind_a_trusted_proxy() {
        let mut h = super::HeaderMap::new();
        h.insert("x-forwarded-for", "203.0.113.9, 198.51.100.7".parse().unwrap());
        let peer: super::SocketAddr = "127.0.0.1:5000".parse().unwrap();
        assert_eq!(super::client_address(&h, peer, true), "198.51.100.7");
        assert_eq!(super::client_address(&h, peer, false), "127.0.0.1");
        assert_eq!(super::client_address(&super::HeaderMap::new(), peer, true), "127.0.0.1");
    }

    #[test]
    fn only_local_paths_after_sign_in() {
        use super::safe_next;
        assert_eq!(safe_next(Some("/replay/x")), "/replay/x");
        for bad in ["https://evil.example", "//evil.example", "/\\evil", "javascript:x"] {
            assert_eq!(safe_next(Some(bad)), "/", "{bad}");
        }
        assert_eq!(safe_next(None), "/");
    }
}
