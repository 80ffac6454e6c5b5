//! Who may call what: one table for every page, REST route and server
//! function, each with the [`Need`] it declares.
//!
//! The server's access layer looks every request up here *before* anything
//! else is parsed: a caller without the role gets 401/403 (a page: the
//! sign-in page or "Admins only"), and only then are a server function's
//! arguments decoded (a bad one is a 400 naming it). Server functions check
//! their rule once more when a page renders them on the server, where no
//! request of their own went through that layer. A path with no rule is not
//! served, so nothing can be added without declaring who may call it.

use crate::api;
use domain::auth::{KeyGrant, KeyScope, Me, Role};
use http::Method;
use leptos::server_fn::ServerFn;
use pipeline::service::Viewer;
use serde::de::DeserializeOwned;
use std::sync::LazyLock;

/// What a caller must bring.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Need {
    /// Nothing: anyone may call it.
    Anyone,
    /// Anyone may call it; a signed-in user or a read API key is
    /// recognised, so the answer can hold more for them (a key that does
    /// not check out is refused, so a misconfigured monitor finds out).
    AnyoneOrReader,
    /// A signed-in user with at least this role.
    SignedIn(Role),
    /// A signed-in user with at least this role, or a read API key
    /// (which reads what an admin reads).
    SignedInOrReadKey(Role),
    /// An ingest API key.
    IngestKey,
    /// Any valid API key, ingest or read; never a session.
    AnyKey,
}

impl Need {
    /// Whether an API key (`X-API-Key` or a bearer token) can count (so it is worth checking).
    pub fn takes_keys(self) -> bool {
        matches!(self, Need::AnyoneOrReader | Need::SignedInOrReadKey(_) | Need::IngestKey | Need::AnyKey)
    }
}

/// What a path is.
#[derive(Clone, Copy, Debug)]
pub enum Kind {
    /// A page (segments in `{braces}` match any one segment; a page's rule
    /// also covers the paths below it that have none of their own).
    Page,
    /// A REST endpoint.
    Rest(&'static Method),
    /// A server function, with the check of its (form-encoded) arguments.
    ServerFn(fn(&[u8]) -> Result<(), String>),
}

#[derive(Clone, Copy, Debug)]
pub struct Rule {
    pub path: &'static str,
    pub kind: Kind,
    pub need: Need,
}

fn page(path: &'static str, need: Need) -> Rule {
    Rule { path, kind: Kind::Page, need }
}

fn rest(method: &'static Method, path: &'static str, need: Need) -> Rule {
    Rule { path, kind: Kind::Rest(method), need }
}

fn server_fn<F: ServerFn + DeserializeOwned>(need: Need) -> Rule {
    Rule { path: F::PATH, kind: Kind::ServerFn(check_args::<F>), need }
}

/// Decodes a server function's arguments the way the server function will
/// (`serde_qs`, depth 5, not strict); on failure, says which one is wrong.
fn check_args<F: DeserializeOwned>(body: &[u8]) -> Result<(), String> {
    let config = serde_qs::Config::new(5, false);
    let de = serde_qs::Deserializer::with_config(&config, body).map_err(|e| format!("invalid arguments: {e}"))?;
    serde_path_to_error::deserialize::<_, F>(de).map(drop).map_err(|e| {
        let path = e.path().to_string();
        match path.as_str() {
            "." | "" => format!("invalid arguments: {}", e.inner()),
            _ => format!("invalid `{path}`: {}", e.inner()),
        }
    })
}

/// Every rule. Pages, then REST, then server functions by domain.
pub fn rules() -> &'static [Rule] {
    use api::*;
    use Need::*;
    use Role::{Admin, Viewer};
    static RULES: LazyLock<Vec<Rule>> = LazyLock::new(|| {
        vec![
            page("/login", Anyone),
            // Also every page without a rule of its own (the 404 page).
            page("/", SignedIn(Viewer)),
            page("/replay", SignedIn(Viewer)),
            page("/replay/{chat}", SignedIn(Viewer)),
            page("/costs", SignedIn(Admin)),
            page("/admin", SignedIn(Admin)),
            rest(&Method::GET, "/api/ping", Anyone),
            rest(&Method::GET, "/api/openapi.json", Anyone),
            rest(&Method::GET, "/api/health", AnyoneOrReader),
            rest(&Method::GET, "/metrics", Anyone),
            rest(&Method::POST, "/api/auth/login", Anyone),
            rest(&Method::POST, "/api/auth/logout", Anyone),
            rest(&Method::POST, "/api/events", IngestKey),
            rest(&Method::POST, "/v1/traces", IngestKey),
            rest(&Method::GET, "/api/telemetry/history", SignedInOrReadKey(Viewer)),
            rest(&Method::GET, "/api/telemetry/stream", SignedInOrReadKey(Viewer)),
            rest(&Method::GET, "/api/telemetry/conversations", SignedInOrReadKey(Viewer)),
            rest(&Method::GET, "/api/telemetry/sessions/live", SignedInOrReadKey(Viewer)),
            rest(&Method::GET, "/api/telemetry/summary", SignedInOrReadKey(Admin)),
            rest(&Method::GET, "/api/telemetry/export", SignedInOrReadKey(Admin)),
            // GET lists, POST starts; GET polls, DELETE cancels; GET downloads.
            rest(&Method::POST, "/api/exports", SignedInOrReadKey(Admin)),
            rest(&Method::GET, "/api/exports/{id}", SignedInOrReadKey(Admin)),
            rest(&Method::GET, "/api/exports/{id}/file", SignedInOrReadKey(Admin)),
            rest(&Method::GET, "/api/budget/check", AnyKey),
            server_fn::<account::GetMe>(Anyone),
            server_fn::<dashboard::GetDashboard>(SignedIn(Viewer)),
            server_fn::<dashboard::GetPipelines>(SignedIn(Viewer)),
            server_fn::<conversations::GetConversations>(SignedIn(Viewer)),
            server_fn::<conversations::GetConversation>(SignedIn(Viewer)),
            server_fn::<conversations::GetLiveSessions>(SignedIn(Viewer)),
            server_fn::<summary::GetSummary>(SignedIn(Admin)),
            server_fn::<costs::GetModelTrend>(SignedIn(Admin)),
            server_fn::<costs::ListTurns>(SignedIn(Admin)),
            server_fn::<costs::ListBudgets>(SignedIn(Admin)),
            server_fn::<costs::SaveBudget>(SignedIn(Admin)),
            server_fn::<costs::DeleteBudget>(SignedIn(Admin)),
            server_fn::<costs::ListAlertRules>(SignedIn(Admin)),
            server_fn::<costs::SaveAlertRule>(SignedIn(Admin)),
            server_fn::<costs::DeleteAlertRule>(SignedIn(Admin)),
            server_fn::<costs::ListAlerts>(SignedIn(Admin)),
            server_fn::<costs::ListExports>(SignedIn(Admin)),
            server_fn::<costs::StartExport>(SignedIn(Admin)),
            server_fn::<costs::CancelExport>(SignedIn(Admin)),
            server_fn::<pricing::GetPricing>(SignedIn(Admin)),
            server_fn::<pricing::UpdatePricing>(SignedIn(Admin)),
            server_fn::<pricing::Reprice>(SignedIn(Admin)),
            server_fn::<admin::ListUsers>(SignedIn(Admin)),
            server_fn::<admin::CreateUser>(SignedIn(Admin)),
            server_fn::<admin::SetUserRole>(SignedIn(Admin)),
            server_fn::<admin::SetUserDisabled>(SignedIn(Admin)),
            server_fn::<admin::ListApiKeys>(SignedIn(Admin)),
            server_fn::<admin::CreateApiKey>(SignedIn(Admin)),
            server_fn::<admin::RevokeApiKey>(SignedIn(Admin)),
            server_fn::<admin::GetAdminSettings>(SignedIn(Admin)),
            server_fn::<admin::SetTelemetry>(SignedIn(Admin)),
            server_fn::<admin::SetRetentionDays>(SignedIn(Admin)),
            server_fn::<admin::GetAuditLog>(SignedIn(Admin)),
        ]
    });
    &RULES
}

/// What a request's path is, as far as access goes.
#[derive(Clone, Copy, Debug)]
pub enum Target {
    Rule(&'static Rule),
    /// A static file (anything with an extension, `/pkg/…`): public.
    File,
    /// An API path with no rule: not served.
    Unknown,
}

/// Finds the rule for `path`.
pub fn target(path: &str) -> Target {
    let rules = rules();
    if let Some(rule) = rules.iter().find(|r| !matches!(r.kind, Kind::Page) && r.path == path) {
        return Target::Rule(rule);
    }
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let matches = |pattern: &str| {
        let pattern: Vec<&str> = pattern.split('/').filter(|s| !s.is_empty()).collect();
        pattern.len() == segments.len() && pattern.iter().zip(&segments).all(|(p, s)| p.starts_with('{') || p == s)
    };
    if let Some(rule) =
        rules.iter().find(|r| matches!(r.kind, Kind::Rest(_)) && r.path.contains('{') && matches(r.path))
    {
        return Target::Rule(rule);
    }
    if path.starts_with("/api/") || path.starts_with("/v1/") || path == "/metrics" {
        return Target::Unknown;
    }
    if path.starts_with("/pkg/") || path.rsplit('/').next().unwrap_or("").contains('.') {
        return Target::File;
    }
    rules
        .iter()
        .filter(|r| matches!(r.kind, Kind::Page))
        .filter_map(|r| {
            let pattern: Vec<&str> = r.path.split('/').filter(|s| !s.is_empty()).collect();
            let covers = pattern.len() <= segments.len()
                && pattern.iter().zip(&segments).all(|(p, s)| p.starts_with('{') || p == s);
            covers.then_some((pattern.len(), r))
        })
        .max_by_key(|(depth, _)| *depth)
        .map_or(Target::Unknown, |(_, r)| Target::Rule(r))
}

/// The API key a request carried, once checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Key {
    Valid(KeyGrant),
    Invalid,
}

/// Why a caller is turned away.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Denied {
    /// 401 (a page: the sign-in page).
    Unauthorized(&'static str),
    /// 403.
    Forbidden(&'static str),
}

const NEEDS_ADMIN: &str = "this needs the admin role";

/// Decides whether a caller — the signed-in `user`, and the checked `key`
/// when the request carried one — meets `need`. On success, who is reading
/// (`None` for anonymous callers and ingest-only keys).
pub fn decide(need: Need, user: Option<&Me>, key: Option<Key>) -> Result<Option<Viewer>, Denied> {
    let signed_in = |role: Role| match user {
        Some(me) if me.role >= role => Ok(Some(Viewer::user(me))),
        Some(_) => Err(Denied::Forbidden(NEEDS_ADMIN)),
        None => Err(Denied::Unauthorized("sign in required")),
    };
    match need {
        Need::Anyone => Ok(user.map(Viewer::user)),
        Need::AnyoneOrReader => match (user, key) {
            (Some(me), _) => Ok(Some(Viewer::user(me))),
            (None, Some(Key::Valid(KeyGrant { scope: KeyScope::Read, tenant }))) => Ok(Some(Viewer::read_key(tenant))),
            (None, Some(Key::Valid(KeyGrant { scope: KeyScope::Ingest, .. })) | None) => Ok(None),
            (None, Some(Key::Invalid)) => Err(Denied::Unauthorized("invalid API key")),
        },
        Need::SignedIn(role) => signed_in(role),
        Need::SignedInOrReadKey(role) => match (user, key) {
            (Some(_), _) => signed_in(role),
            (None, Some(Key::Valid(KeyGrant { scope: KeyScope::Read, tenant }))) => Ok(Some(Viewer::read_key(tenant))),
            (None, Some(Key::Valid(KeyGrant { scope: KeyScope::Ingest, .. }))) => {
                Err(Denied::Forbidden("this API key may only ingest; reading needs a read key"))
            }
            (None, Some(Key::Invalid)) => Err(Denied::Unauthorized("invalid API key")),
            (None, None) => Err(Denied::Unauthorized("sign in, or send a read API key in X-API-Key")),
        },
        Need::IngestKey => match key {
            Some(Key::Valid(KeyGrant { scope: KeyScope::Ingest, .. })) => Ok(None),
            Some(Key::Valid(KeyGrant { scope: KeyScope::Read, .. })) => {
                Err(Denied::Unauthorized("this API key is read-only; ingest needs an ingest key"))
            }
            Some(Key::Invalid) => Err(Denied::Unauthorized("invalid API key")),
            None => Err(Denied::Unauthorized("missing API key: send X-API-Key or Authorization: Bearer")),
        },
        Need::AnyKey => match key {
            Some(Key::Valid(_)) => Ok(None),
            Some(Key::Invalid) => Err(Denied::Unauthorized("invalid API key")),
            None => Err(Denied::Unauthorized("missing API key: send X-API-Key or Authorization: Bearer")),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path_of(t: Target) -> Option<&'static str> {
        match t {
            Target::Rule(r) => Some(r.path),
            _ => None,
        }
    }

    #[test]
    fn paths_find_their_rules() {
        assert_eq!(path_of(target("/")), Some("/"));
        assert_eq!(path_of(target("/replay/chat%201")), Some("/replay/{chat}"));
        assert_eq!(path_of(target("/replay")), Some("/replay"));
        assert_eq!(path_of(target("/admin/users")), Some("/admin"), "below an admin page");
        assert_eq!(path_of(target("/costsx")), Some("/"), "a sibling is not below it");
        assert_eq!(path_of(target("/nope")), Some("/"));
        assert_eq!(path_of(target("/api/events")), Some("/api/events"));
        assert_eq!(path_of(target("/api/admin/users/create")), Some("/api/admin/users/create"));
        assert!(matches!(target("/api/nope"), Target::Unknown));
        assert!(matches!(target("/pkg/flowmeter.js"), Target::File));
        assert!(matches!(target("/favicon.ico"), Target::File));
    }

    fn valid(scope: KeyScope) -> Key {
        Key::Valid(KeyGrant { scope, tenant: None })
    }

    #[test]
    fn decisions() {
        let viewer = Me { id: 1, email: "v@x".into(), role: Role::Viewer };
        let admin = Me { id: 2, email: "a@x".into(), role: Role::Admin };
        let admin_only = Need::SignedIn(Role::Admin);
        assert_eq!(decide(admin_only, None, None), Err(Denied::Unauthorized("sign in required")));
        assert_eq!(decide(admin_only, Some(&viewer), None), Err(Denied::Forbidden(NEEDS_ADMIN)));
        assert!(decide(admin_only, Some(&admin), None).unwrap().unwrap().sees_cost());
        assert_eq!(
            decide(admin_only, None, Some(valid(KeyScope::Read))),
            Err(Denied::Unauthorized("sign in required")),
            "keys do not open server functions"
        );
        let reads = Need::SignedInOrReadKey(Role::Viewer);
        assert!(!decide(reads, Some(&viewer), None).unwrap().unwrap().sees_cost());
        assert!(decide(reads, None, Some(valid(KeyScope::Read))).unwrap().unwrap().sees_cost());
        assert!(matches!(decide(reads, None, Some(valid(KeyScope::Ingest))), Err(Denied::Forbidden(_))));
        assert!(matches!(decide(reads, None, Some(Key::Invalid)), Err(Denied::Unauthorized("invalid API key"))));
        assert_eq!(
            decide(Need::IngestKey, Some(&admin), None),
            Err(Denied::Unauthorized("missing API key: send X-API-Key or Authorization: Bearer")),
            "sessions do not ingest"
        );
        assert_eq!(decide(Need::IngestKey, None, Some(valid(KeyScope::Ingest))), Ok(None));
        assert_eq!(decide(Need::AnyKey, None, Some(valid(KeyScope::Read))), Ok(None));
        assert_eq!(decide(Need::Anyone, None, None), Ok(None));
        let open = Need::AnyoneOrReader;
        assert_eq!(decide(open, None, None), Ok(None));
        assert_eq!(decide(open, None, Some(valid(KeyScope::Ingest))), Ok(None));
        assert_eq!(decide(open, None, Some(valid(KeyScope::Read))).unwrap().unwrap().role(), Role::Admin);
        assert_eq!(decide(open, Some(&viewer), None).unwrap().unwrap().role(), Role::Viewer);
        assert_eq!(decide(open, None, Some(Key::Invalid)), Err(Denied::Unauthorized("invalid API key")));
    }

    #[test]
    fn bad_arguments_are_named() {
        let check = |body: &str| check_args::<api::admin::SetUserRole>(body.as_bytes());
        assert_eq!(check("user_id=3&role=viewer"), Ok(()));
        assert_eq!(check("").unwrap_err(), "invalid arguments: missing field `user_id`");
        let wrong = check("user_id=abc&role=viewer").unwrap_err();
        assert!(wrong.starts_with("invalid `user_id`:"), "{wrong}");
        let role = check("user_id=3&role=owner").unwrap_err();
        assert!(role.starts_with("invalid `role`:"), "{role}");
    }
}
