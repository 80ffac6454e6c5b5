//! Who may do what: every route, REST endpoint, stream and server function
//! against {anonymous, viewer, admin}, plus API keys, sign-in, CSRF,
//! redaction of cost for viewers, the telemetry switch and retention.

use crate::common;

use app::access::{rules, Kind, Need, Rule};
use common::{event, Backend, TestServer, ADMIN_EMAIL, KEY, PASSWORD, VIEWER_EMAIL};
use domain::auth::Role;
use http::Method;
use serde_json::{json, Value};

both_backends!(
    every_route_and_server_function_checks_the_role,
    server_functions_check_the_role_before_their_arguments,
    api_keys_created_in_the_admin_area_work_until_revoked,
    sign_in_limits_disabled_accounts_and_sign_out,
    cross_site_state_changes_are_refused,
    viewers_never_receive_cost_figures,
    the_telemetry_switch_and_retention,
);

/// A request for every rule of `app::access` (some rules have several):
/// (rule path, path to call, form body for server functions, status when
/// the caller is admitted). Who is admitted comes from the rule table.
const SAMPLES: &[(&str, &str, &str, u16)] = &[
    ("/login", "/login", "", 200),
    ("/", "/", "", 200),
    ("/costs", "/costs", "", 200),
    ("/costs", "/costs?range=7d", "", 200),
    ("/admin", "/admin", "", 200),
    ("/replay", "/replay", "", 200),
    ("/replay", "/replay?status=error&n=20", "", 200),
    ("/replay/{chat}", "/replay/c1", "", 200),
    ("/api/ping", "/api/ping", "", 200),
    ("/api/openapi.json", "/api/openapi.json", "", 200),
    ("/api/health", "/api/health", "", 200),
    ("/metrics", "/metrics", "", 200),
    ("/api/auth/login", "/api/auth/login", "", 400),
    ("/api/events", "/api/events", "", 202),
    ("/v1/traces", "/v1/traces", "", 200),
    ("/api/telemetry/history", "/api/telemetry/history", "", 200),
    ("/api/telemetry/stream", "/api/telemetry/stream", "", 200),
    ("/api/telemetry/conversations", "/api/telemetry/conversations", "", 200),
    ("/api/telemetry/conversations", "/api/telemetry/conversations?chatId=c1", "", 200),
    ("/api/telemetry/sessions/live", "/api/telemetry/sessions/live", "", 200),
    ("/api/exports", "/api/exports?format=csv&range=1h", "", 202),
    ("/api/exports/{id}", "/api/exports/nope", "", 404),
    ("/api/exports/{id}/file", "/api/exports/nope/file", "", 404),
    ("/api/telemetry/summary", "/api/telemetry/summary?range=1h", "", 200),
    ("/api/telemetry/export", "/api/telemetry/export?range=1h", "", 200),
    ("/api/budget/check", "/api/budget/check", "", 200),
    ("/api/me", "/api/me", "", 200),
    ("/api/dashboard", "/api/dashboard", "", 200),
    ("/api/pipelines", "/api/pipelines", "", 200),
    ("/api/conversations", "/api/conversations", "query[limit]=10", 200),
    ("/api/conversation", "/api/conversation", "chat_id=c1", 200),
    ("/api/sessions/live", "/api/sessions/live", "", 200),
    ("/api/costs/exports", "/api/costs/exports", "", 200),
    ("/api/costs/exports/start", "/api/costs/exports/start", "query[range]=1h&format=csv", 200),
    ("/api/costs/exports/cancel", "/api/costs/exports/cancel", "id=nope", 404),
    ("/api/summary", "/api/summary", "query[range]=1h", 200),
    ("/api/pricing", "/api/pricing", "", 200),
    (
        "/api/pricing/update",
        "/api/pricing/update",
        "update[id]=house-llm&update[pattern]=house-llm&update[input]=1&update[output]=2&update[effectiveFrom]=0",
        200,
    ),
    ("/api/pricing/reprice", "/api/pricing/reprice", "from=0&to=1", 200),
    ("/api/admin/users", "/api/admin/users", "", 200),
    (
        "/api/admin/users/create",
        "/api/admin/users/create",
        "email=new%40test.local&password=long%20enough%20pw&role=viewer",
        200,
    ),
    ("/api/admin/users/role", "/api/admin/users/role", "user_id=999&role=viewer", 404),
    ("/api/admin/users/disable", "/api/admin/users/disable", "user_id=999&disabled=false", 404),
    ("/api/admin/keys", "/api/admin/keys", "", 200),
    ("/api/admin/keys/create", "/api/admin/keys/create", "name=ci&scope=ingest", 200),
    ("/api/admin/keys/revoke", "/api/admin/keys/revoke", "key_id=999", 404),
    ("/api/admin/settings", "/api/admin/settings", "", 200),
    ("/api/admin/settings/telemetry", "/api/admin/settings/telemetry", "enabled=true", 200),
    ("/api/admin/settings/retention", "/api/admin/settings/retention", "days=30", 200),
    ("/api/admin/audit", "/api/admin/audit", "limit=10", 200),
    ("/api/costs/trend", "/api/costs/trend", "query[range]=24h", 200),
    ("/api/costs/turns", "/api/costs/turns", "query[window][range]=24h&query[limit]=10", 200),
    ("/api/costs/budgets", "/api/costs/budgets", "", 200),
    (
        "/api/costs/budgets/save",
        "/api/costs/budgets/save",
        "budget[name]=b&budget[scope]=global&budget[period]=daily&budget[limitUsd]=1",
        200,
    ),
    ("/api/costs/budgets/delete", "/api/costs/budgets/delete", "id=999", 404),
    ("/api/costs/rules", "/api/costs/rules", "", 200),
    (
        "/api/costs/rules/save",
        "/api/costs/rules/save",
        "rule[id]=0&rule[name]=r&rule[kind]=error_rate&rule[threshold]=5&rule[windowMinutes]=5&rule[enabled]=true",
        200,
    ),
    ("/api/costs/rules/delete", "/api/costs/rules/delete", "id=999", 404),
    ("/api/costs/alerts", "/api/costs/alerts", "limit=5", 200),
    // Last: it ends the sessions the others use.
    ("/api/auth/logout", "/api/auth/logout", "", 204),
];

/// Arguments of the wrong type, per server function that takes typed ones,
/// and the argument the 400 must name.
const WRONG_TYPES: &[(&str, &str, &str)] = &[
    ("/api/conversations", "query[limit]=ten", "query.limit"),
    ("/api/summary", "query[from]=yesterday", "query.from"),
    (
        "/api/pricing/update",
        "update[id]=x&update[input]=1&update[output]=2&update[effectiveFrom]=soon",
        "update.effectiveFrom",
    ),
    ("/api/pricing/reprice", "from=a&to=b", "from"),
    ("/api/admin/users/create", "email=a%40b.c&password=long%20enough%20pw&role=owner", "role"),
    ("/api/admin/users/role", "user_id=abc&role=viewer", "user_id"),
    ("/api/admin/users/disable", "user_id=1&disabled=maybe", "disabled"),
    ("/api/admin/keys/create", "name=x&scope=everything", "scope"),
    ("/api/admin/keys/revoke", "key_id=x", "key_id"),
    ("/api/admin/settings/telemetry", "enabled=sometimes", "enabled"),
    ("/api/admin/settings/retention", "days=many", "days"),
    ("/api/admin/audit", "limit=all", "limit"),
    ("/api/costs/trend", "query[to]=later", "query.to"),
    ("/api/costs/turns", "query[window][range]=24h&query[limit]=x", "query.limit"),
    (
        "/api/costs/budgets/save",
        "budget[name]=b&budget[scope]=global&budget[period]=daily&budget[limitUsd]=1&budget[warnPct]=lots",
        "budget.warnPct",
    ),
    ("/api/costs/budgets/delete", "id=x", "id"),
    (
        "/api/costs/rules/save",
        "rule[id]=0&rule[name]=r&rule[kind]=error_rate&rule[threshold]=high&rule[windowMinutes]=5&rule[enabled]=true",
        "rule.threshold",
    ),
    ("/api/costs/rules/delete", "id=x", "id"),
    ("/api/costs/alerts", "limit=x", "limit"),
    ("/api/costs/exports/start", "query[range]=1h&format=xml", "format"),
];

/// The statuses a rule gives [anonymous, viewer, admin] when `admitted` is
/// what an admitted caller gets.
fn expected(rule: &Rule, admitted: u16) -> [u16; 3] {
    let denied_anonymous = if matches!(rule.kind, Kind::Page) { 303 } else { 401 };
    match rule.need {
        Need::Anyone | Need::AnyoneOrReader => [admitted; 3],
        Need::SignedIn(Role::Viewer) | Need::SignedInOrReadKey(Role::Viewer) => [denied_anonymous, admitted, admitted],
        Need::SignedIn(Role::Admin) | Need::SignedInOrReadKey(Role::Admin) => [denied_anonymous, 403, admitted],
        // A session never stands in for a key.
        Need::IngestKey | Need::AnyKey => [401; 3],
    }
}

fn rule(path: &str) -> &'static Rule {
    rules().iter().find(|r| r.path == path).unwrap_or_else(|| panic!("no rule for {path}"))
}

async fn call(t: &TestServer, rule: &Rule, path: &str, form: &str, cookie: Option<&str>) -> u16 {
    match rule.kind {
        Kind::ServerFn(_) => t.server_fn(path, form, cookie).await.0,
        Kind::Page | Kind::Rest(_) => {
            let mut req = match rule.kind {
                Kind::Rest(m) if *m == Method::POST && path == "/api/events" => {
                    t.client.post(t.url(path)).json(&event("c", "s"))
                }
                Kind::Rest(m) if *m == Method::POST => {
                    t.client.post(t.url(path)).header("content-type", "application/json").body("{}")
                }
                _ => t.client.get(t.url(path)),
            };
            if let Some(c) = cookie {
                req = req.header("cookie", c).header("origin", t.origin());
            }
            // Headers are enough: streams are dropped without reading.
            req.send().await.unwrap().status().as_u16()
        }
    }
}

/// The matrix comes from the rule table: every rule has a sample request,
/// every page and every server function has a rule, and each is called as
/// anonymous, viewer and admin.
async fn every_route_and_server_function_checks_the_role(b: Backend) {
    let t = TestServer::start(b).await;
    t.post_ok(&event("c1", "intent")).await;
    for r in rules() {
        assert!(SAMPLES.iter().any(|(p, ..)| *p == r.path), "the rule for {} has no sample request here", r.path);
    }
    let normalize = |p: &str| {
        p.split('/')
            .map(|s| s.strip_prefix(':').map_or(s.to_string(), |n| format!("{{{n}}}")))
            .collect::<Vec<_>>()
            .join("/")
    };
    for listing in leptos_axum::generate_route_list(app::App) {
        let page = normalize(listing.path());
        assert!(rules().iter().any(|r| matches!(r.kind, Kind::Page) && r.path == page), "page {page} has no rule");
    }
    for (path, _) in leptos::server_fn::axum::server_fn_paths() {
        assert!(
            rules().iter().any(|r| matches!(r.kind, Kind::ServerFn(_)) && r.path == path),
            "server function {path} has no rule"
        );
    }
    let mut failures = Vec::new();
    for (rule_path, path, form, admitted) in SAMPLES {
        let r = rule(rule_path);
        let who = [("anonymous", None), ("viewer", Some(t.viewer.as_str())), ("admin", Some(t.admin.as_str()))];
        for ((name, cookie), want) in who.into_iter().zip(expected(r, *admitted)) {
            let got = call(&t, r, path, form, cookie).await;
            if got != want {
                failures.push(format!("{path} as {name}: {got}, expected {want}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // A path without a rule is not served; the sign-in redirect keeps where
    // the visitor wanted to go.
    assert_eq!(t.get_as("/api/nope", Some(&t.admin)).await.0, 404);
    let resp = t.client.get(t.url("/admin")).send().await.unwrap();
    assert_eq!(resp.headers()["location"], "/login?next=/admin");
    t.stop().await;
}

/// Role first (401/403), then a 400 that names the argument — never a 500;
/// each in the encoding the browser's caller decodes (`server_fn` checks).
async fn server_functions_check_the_role_before_their_arguments(b: Backend) {
    let t = TestServer::start(b).await;
    let mut failures = Vec::new();
    for r in rules().iter().filter(|r| matches!(r.kind, Kind::ServerFn(_))) {
        let Kind::ServerFn(check) = r.kind else { unreachable!() };
        let wrong = WRONG_TYPES.iter().find(|(p, ..)| *p == r.path);
        let mut bodies = vec![("empty", "", None), ("garbage", "%ZZ&&=[[x]", None)];
        if let Some((_, body, arg)) = wrong {
            bodies.push(("wrong types", body, Some(*arg)));
        }
        let who = [("anonymous", None), ("viewer", Some(t.viewer.as_str())), ("admin", Some(t.admin.as_str()))];
        for ((name, cookie), admitted) in who.into_iter().zip(expected(r, 400)) {
            for (kind, body, arg) in &bodies {
                let (status, answer) = t.server_fn(r.path, body, cookie).await;
                // Admitted: 400 where the arguments do not decode (a
                // function without any takes whatever it is sent).
                let want = match (admitted, check(body.as_bytes()).is_err()) {
                    (400, false) => 200,
                    (status, _) => status,
                };
                let error = answer["error"].as_str().unwrap_or("");
                let named = arg.is_none_or(|a| error.contains(&format!("`{a}`")));
                if status != want || (status == 400 && (error.is_empty() || !named)) {
                    failures.push(format!("{} ({kind}) as {name}: {status} {answer}, expected {want}", r.path));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    for (path, ..) in WRONG_TYPES {
        let Kind::ServerFn(check) = rule(path).kind else { panic!("{path} is not a server function") };
        assert!(check(b"").is_err(), "{path} takes arguments");
    }
    // A server function without arguments answers as usual.
    assert_eq!(t.server_fn("/api/admin/users", "", Some(&t.admin)).await.0, 200);
    t.stop().await;
}

async fn api_keys_created_in_the_admin_area_work_until_revoked(b: Backend) {
    let t = TestServer::start(b).await;
    let (status, created) = t.server_fn("/api/admin/keys/create", "name=agents&scope=ingest", Some(&t.admin)).await;
    assert_eq!(status, 200, "{created}");
    let (record, key) = (&created[0], created[1].as_str().unwrap().to_string());
    assert!(key.starts_with(record["prefix"].as_str().unwrap()));
    let post = |k: String| {
        let req = t.client.post(t.url("/api/events")).header("x-api-key", k).json(&event("k", "s"));
        async move { req.send().await.unwrap().status().as_u16() }
    };
    assert_eq!(post(key.clone()).await, 202);
    let (_, keys) = t.server_fn("/api/admin/keys", "", Some(&t.admin)).await;
    let listed = keys.as_array().unwrap().iter().find(|k| k["prefix"] == record["prefix"]).unwrap();
    assert!(listed["lastUsedAt"].is_i64(), "use is recorded: {listed}");
    assert!(!keys.to_string().contains(&key), "the list never shows a key");
    let id = record["id"].as_i64().unwrap();
    assert_eq!(t.server_fn("/api/admin/keys/revoke", &format!("key_id={id}"), Some(&t.admin)).await.0, 200);
    assert_eq!(post(key).await, 401);

    // A read key reads the REST summary API and cannot ingest.
    let (_, read) = t.server_fn("/api/admin/keys/create", "name=grafana&scope=read", Some(&t.admin)).await;
    let read_key = read[1].as_str().unwrap().to_string();
    let get = |path: &str, k: &str| {
        let req = t.client.get(t.url(path)).header("x-api-key", k);
        async move { req.send().await.unwrap().status().as_u16() }
    };
    assert_eq!(get("/api/telemetry/summary?range=1h", &read_key).await, 200);
    assert_eq!(get("/api/telemetry/history", &read_key).await, 200);
    assert_eq!(post(read_key).await, 401);
    assert_eq!(get("/api/telemetry/summary?range=1h", KEY).await, 403, "ingest keys do not read");
    t.stop().await;
}

async fn sign_in_limits_disabled_accounts_and_sign_out(b: Backend) {
    let t = TestServer::start(b).await;
    assert_eq!(t.login(VIEWER_EMAIL, "wrong password").await, Err(401));
    assert_eq!(t.login("nobody@test.local", "wrong password").await, Err(401));
    // A form post comes back to the sign-in page with the error.
    let resp = t
        .client
        .post(t.url("/api/auth/login"))
        .form(&[("email", VIEWER_EMAIL), ("password", "nope"), ("next", "/admin")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 303);
    assert_eq!(resp.headers()["location"], "/login?error=invalid&next=/admin");
    // Five failures lock the account for a while, even with the right password.
    for _ in 0..3 {
        let _ = t.login(VIEWER_EMAIL, "wrong again").await;
    }
    assert_eq!(t.login(VIEWER_EMAIL, PASSWORD).await, Err(429));
    let resp = t
        .client
        .post(t.url("/api/auth/login"))
        .json(&json!({"email": VIEWER_EMAIL, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    let body: Value = resp.json().await.unwrap();
    assert!(body["error"].as_str().unwrap().contains("try again in"), "{body}");

    // Disabling a user ends their sessions at once.
    let users = t.server.state.service.store().list_users().await.unwrap();
    let viewer_id = users.iter().find(|u| u.email == VIEWER_EMAIL).unwrap().id;
    assert_eq!(t.get_as("/api/telemetry/history", Some(&t.viewer)).await.0, 200);
    let (status, _) =
        t.server_fn("/api/admin/users/disable", &format!("user_id={viewer_id}&disabled=true"), Some(&t.admin)).await;
    assert_eq!(status, 200);
    assert_eq!(t.get_as("/api/telemetry/history", Some(&t.viewer)).await.0, 401);
    // The last admin cannot be demoted or disabled.
    let admin_id = users.iter().find(|u| u.email == ADMIN_EMAIL).unwrap().id;
    let demo_admin = users.iter().find(|u| u.email == server::startup::DEMO_ADMIN_EMAIL).unwrap().id;
    t.server_fn("/api/admin/users/disable", &format!("user_id={demo_admin}&disabled=true"), Some(&t.admin)).await;
    let (status, body) =
        t.server_fn("/api/admin/users/role", &format!("user_id={admin_id}&role=viewer"), Some(&t.admin)).await;
    assert_eq!(status, 409);
    assert!(body.to_string().contains("last active admin"), "{body}");

    // Signing out revokes the session.
    let resp = t
        .client
        .post(t.url("/api/auth/logout"))
        .header("cookie", &t.admin)
        .header("origin", t.origin())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 303);
    assert!(resp.headers()["set-cookie"].to_str().unwrap().contains("Max-Age=0"));
    assert_eq!(t.get_as("/api/telemetry/history", Some(&t.admin)).await.0, 401);
    t.stop().await;
}

async fn cross_site_state_changes_are_refused(b: Backend) {
    let t = TestServer::start(b).await;
    let resp = t
        .client
        .post(t.url("/api/admin/settings/telemetry"))
        .header("cookie", &t.admin)
        .header("origin", "https://evil.example")
        .header("content-type", "application/x-www-form-urlencoded")
        .body("enabled=false")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403);
    assert!(t.server.state.service.telemetry_enabled(), "nothing changed");
    // Ingest with an API key needs no Origin: it carries no cookie.
    t.post_ok(&event("c", "s")).await;
    t.stop().await;
}

async fn viewers_never_receive_cost_figures(b: Backend) {
    let t = TestServer::start(b).await;
    t.post_ok(&json!({"chatId": "c1", "stage": "response", "model": "gpt-4o", "usage": {"inputTokens": 1000, "outputTokens": 10}}))
        .await;
    let (_, admin) = t.get_as("/api/telemetry/history", Some(&t.admin)).await;
    assert_eq!(admin["events"][0]["costNanos"], 2_600_000);
    for path in ["/api/telemetry/history", "/api/telemetry/conversations", "/api/telemetry/conversations?chatId=c1"] {
        let (status, body) = t.get_as(path, Some(&t.viewer)).await;
        assert_eq!(status, 200, "{path}: {body}");
        let text = body.to_string();
        // The answer is the real one (it names the chat), without cost.
        assert!(text.contains("\"c1\""), "{path}: {text}");
        assert!(!text.contains("costNanos") && !text.contains("pricingId"), "{path}: {text}");
    }
    let (status, dash) = t.server_fn("/api/dashboard", "", Some(&t.viewer)).await;
    assert_eq!(status, 200, "{dash}");
    assert!(dash["log"][0].get("costNanos").is_none() && dash["log"][0]["chatId"] == "c1", "{dash}");
    let (status, convo) = t.server_fn("/api/conversation", "chat_id=c1", Some(&t.viewer)).await;
    assert_eq!(status, 200, "{convo}");
    let text = convo.to_string();
    assert!(convo["chatId"] == "c1" && !text.contains("costNanos") && !text.contains("unpriced"), "{convo}");
    let mut viewer_sse = t.client.get(t.url("/api/telemetry/stream")).header("cookie", &t.viewer).send().await.unwrap();
    let mut seen = String::new();
    assert_eq!(viewer_sse.status(), 200);
    while !seen.contains("\nid:") && !seen.contains("\nid: ") {
        let chunk = tokio::time::timeout(std::time::Duration::from_secs(10), viewer_sse.chunk())
            .await
            .expect("the viewer's stream sends the event within 10 s");
        seen.push_str(&String::from_utf8_lossy(&chunk.unwrap().unwrap()));
    }
    assert!(seen.contains("\"chatId\":\"c1\"") && !seen.contains("costNanos"), "{seen}");
    t.stop().await;
}

async fn the_telemetry_switch_and_retention(b: Backend) {
    let t = TestServer::start(b).await;
    let (status, _) = t.server_fn("/api/admin/settings/telemetry", "enabled=false", Some(&t.admin)).await;
    assert_eq!(status, 200);
    let (status, body) = t.post(&event("c", "s")).await;
    assert_eq!(status, 503);
    assert!(body["error"].as_str().unwrap().contains("turned off"), "{body}");
    t.server_fn("/api/admin/settings/telemetry", "enabled=true", Some(&t.admin)).await;
    assert_eq!(t.post(&event("c", "s")).await.0, 202);

    let (status, body) = t.server_fn("/api/admin/settings/retention", "days=0", Some(&t.admin)).await;
    assert_eq!(status, 400);
    assert!(body.to_string().contains("days"), "{body}");
    assert_eq!(t.server_fn("/api/admin/settings/retention", "days=7", Some(&t.admin)).await.0, 200);
    assert_eq!(t.server.state.service.store().setting("retention_days").await.unwrap().as_deref(), Some("7"));

    // Retention removes whole days before the cut-off, and what hangs on them.
    let day = 86_400_000i64;
    let now = 100 * day;
    let old: Vec<Value> =
        (0..5).map(|i| json!({"chatId": "old", "turnId": "old-t1", "stage": "s", "ts": 90 * day + i})).collect();
    let new: Vec<Value> =
        (0..3).map(|i| json!({"chatId": "new", "turnId": "new-t1", "stage": "s", "ts": 95 * day + i})).collect();
    t.post_ok(&Value::Array(old)).await;
    t.post_ok(&Value::Array(new)).await;
    // Spent sign-in sessions: one expired, one signed out.
    let store = t.server.state.service.store();
    let admin_id = store.credentials(common::ADMIN_EMAIL).await.unwrap().unwrap().user.id;
    store.create_session("expired-token-hash", admin_id, now - 2 * day, now - day).await.unwrap();
    store.create_session("revoked-token-hash", admin_id, now - day, i64::MAX / 2).await.unwrap();
    store.revoke_session("revoked-token-hash", now - 1).await.unwrap();
    let cutoff = server::tasks::retention::cutoff(now, 7);
    let report = store.apply_retention(cutoff, now).await.unwrap();
    assert_eq!((report.events, report.conversations, report.turns, report.sessions), (5, 1, 1, 2));
    assert!(report.rollup_rows > 0);
    let (status, turns) = t.server_fn("/api/conversation", "chat_id=new", Some(&t.admin)).await;
    assert_eq!(status, 200, "{turns}");
    assert_eq!(turns["turns"].as_array().map(Vec::len), Some(1), "the newer turn stays: {turns}");
    assert_eq!(t.get_as("/api/telemetry/history", Some(&t.admin)).await.0, 200, "live sessions stay");
    assert_eq!(store.active_conversations(0, now).await.unwrap(), 1, "`new` (`old` is gone, `c` is later)");
    assert_eq!(store.active_conversations(0, i64::MAX / 2).await.unwrap(), 2, "the counter follows the deletions");
    t.stop().await;
}
