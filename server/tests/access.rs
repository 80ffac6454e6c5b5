//! Who may do what: every route, REST endpoint, stream and server function
//! against {anonymous, viewer, admin}, plus API keys, sign-in, CSRF,
//! redaction of cost for viewers, the telemetry switch and retention.

#[macro_use]
mod common;

use common::{event, Backend, TestServer, ADMIN_EMAIL, KEY, PASSWORD, VIEWER_EMAIL};
use serde_json::{json, Value};

both_backends!(
    every_route_and_server_function_checks_the_role,
    api_keys_created_in_the_admin_area_work_until_revoked,
    sign_in_limits_disabled_accounts_and_sign_out,
    cross_site_state_changes_are_refused,
    viewers_never_receive_cost_figures,
    the_telemetry_switch_and_retention,
);

/// (method, path, form body for server functions, [anonymous, viewer, admin])
const TABLE: &[(&str, &str, &str, [u16; 3])] = &[
    // Pages: signed-out visitors are sent to the sign-in page.
    ("GET", "/", "", [303, 200, 200]),
    ("GET", "/login", "", [200, 200, 200]),
    ("GET", "/admin", "", [303, 403, 200]),
    ("GET", "/costs", "", [303, 403, 200]),
    ("GET", "/costs?range=7d", "", [303, 403, 200]),
    ("GET", "/replay", "", [303, 200, 200]),
    ("GET", "/replay?status=error&n=20", "", [303, 200, 200]),
    ("GET", "/replay/c1", "", [303, 200, 200]),
    // Files are not pages: never redirected (this one does not exist).
    ("GET", "/pkg/missing.css", "", [404, 404, 404]),
    // Open endpoints.
    ("GET", "/api/ping", "", [200, 200, 200]),
    ("GET", "/api/health", "", [200, 200, 200]),
    ("GET", "/metrics", "", [200, 200, 200]),
    // REST.
    ("GET", "/api/telemetry/history", "", [401, 200, 200]),
    ("GET", "/api/telemetry/stream", "", [401, 200, 200]),
    ("GET", "/api/telemetry/conversations", "", [401, 200, 200]),
    ("GET", "/api/telemetry/conversations?chatId=c1", "", [401, 200, 200]),
    ("GET", "/api/telemetry/summary?range=1h", "", [401, 403, 200]),
    ("GET", "/api/telemetry/export?range=1h", "", [401, 403, 200]),
    // The budget check takes an API key, never a session.
    ("GET", "/api/budget/check", "", [401, 401, 401]),
    ("POST", "/api/events", "", [401, 401, 401]),
    // Server functions.
    ("SF", "/api/me", "", [200, 200, 200]),
    ("SF", "/api/dashboard", "", [401, 200, 200]),
    ("SF", "/api/conversations", "query[limit]=10", [401, 200, 200]),
    ("SF", "/api/conversation", "chat_id=c1", [401, 200, 200]),
    ("SF", "/api/summary", "query[range]=1h", [401, 403, 200]),
    ("SF", "/api/pricing", "", [401, 403, 200]),
    (
        "SF",
        "/api/pricing/update",
        "update[id]=house-llm&update[pattern]=house-llm&update[input]=1&update[output]=2&update[effectiveFrom]=0",
        [401, 403, 200],
    ),
    ("SF", "/api/pricing/reprice", "from=0&to=1", [401, 403, 200]),
    ("SF", "/api/admin/users", "", [401, 403, 200]),
    (
        "SF",
        "/api/admin/users/create",
        "email=new%40test.local&password=long%20enough%20pw&role=viewer",
        [401, 403, 200],
    ),
    ("SF", "/api/admin/users/role", "user_id=999&role=viewer", [401, 403, 404]),
    ("SF", "/api/admin/users/disable", "user_id=999&disabled=false", [401, 403, 404]),
    ("SF", "/api/admin/keys", "", [401, 403, 200]),
    ("SF", "/api/admin/keys/create", "name=ci&scope=ingest", [401, 403, 200]),
    ("SF", "/api/admin/keys/revoke", "key_id=999", [401, 403, 404]),
    ("SF", "/api/admin/settings", "", [401, 403, 200]),
    ("SF", "/api/admin/settings/telemetry", "enabled=true", [401, 403, 200]),
    ("SF", "/api/admin/settings/retention", "days=30", [401, 403, 200]),
    ("SF", "/api/costs/trend", "query[range]=24h", [401, 403, 200]),
    ("SF", "/api/costs/turns", "query[window][range]=24h&query[limit]=10", [401, 403, 200]),
    ("SF", "/api/costs/budgets", "", [401, 403, 200]),
    (
        "SF",
        "/api/costs/budgets/save",
        "budget[name]=b&budget[scope]=global&budget[period]=daily&budget[limitUsd]=1",
        [401, 403, 200],
    ),
    ("SF", "/api/costs/budgets/delete", "id=999", [401, 403, 404]),
    ("SF", "/api/costs/rules", "", [401, 403, 200]),
    (
        "SF",
        "/api/costs/rules/save",
        "rule[id]=0&rule[name]=r&rule[kind]=error_rate&rule[threshold]=5&rule[windowMinutes]=5&rule[enabled]=true",
        [401, 403, 200],
    ),
    ("SF", "/api/costs/rules/delete", "id=999", [401, 403, 404]),
    ("SF", "/api/costs/alerts", "limit=5", [401, 403, 200]),
];

async fn call(t: &TestServer, method: &str, path: &str, form: &str, cookie: Option<&str>) -> u16 {
    match method {
        "SF" => t.server_fn(path, form, cookie).await.0,
        _ => {
            let mut req = match method {
                "GET" => t.client.get(t.url(path)),
                _ => t.client.post(t.url(path)).json(&event("c", "s")),
            };
            if let Some(c) = cookie {
                req = req.header("cookie", c).header("origin", t.origin());
            }
            // Headers are enough: streams are dropped without reading.
            req.send().await.unwrap().status().as_u16()
        }
    }
}

async fn every_route_and_server_function_checks_the_role(b: Backend) {
    let t = TestServer::start(b).await;
    t.post_ok(&event("c1", "intent")).await;
    let mut failures = Vec::new();
    for (method, path, form, expected) in TABLE {
        let who = [("anonymous", None), ("viewer", Some(t.viewer.as_str())), ("admin", Some(t.admin.as_str()))];
        for ((name, cookie), want) in who.into_iter().zip(expected) {
            let got = call(&t, method, path, form, cookie).await;
            if got != *want {
                failures.push(format!("{method} {path} as {name}: {got}, expected {want}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // The sign-in redirect keeps where the visitor wanted to go.
    let resp = t.client.get(t.url("/admin")).send().await.unwrap();
    assert_eq!(resp.headers()["location"], "/login?next=/admin");
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
    let users = t.server.state.store.list_users().await.unwrap();
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
    assert!(t.server.state.telemetry_enabled(), "nothing changed");
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
        let (_, body) = t.get_as(path, Some(&t.viewer)).await;
        let text = body.to_string();
        assert!(!text.contains("costNanos") && !text.contains("pricingId"), "{path}: {text}");
    }
    let (_, dash) = t.server_fn("/api/dashboard", "", Some(&t.viewer)).await;
    assert!(dash["log"][0]["costNanos"].is_null(), "{dash}");
    let (_, convo) = t.server_fn("/api/conversation", "chat_id=c1", Some(&t.viewer)).await;
    assert_eq!(convo["costNanos"], 0);
    let mut viewer_sse = t.client.get(t.url("/api/telemetry/stream")).header("cookie", &t.viewer).send().await.unwrap();
    let mut seen = String::new();
    while !seen.contains("\nid:") && !seen.contains("\nid: ") {
        let chunk = viewer_sse.chunk().await.unwrap().unwrap();
        seen.push_str(&String::from_utf8_lossy(&chunk));
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
    assert_eq!(t.server.state.store.setting("retention_days").await.unwrap().as_deref(), Some("7"));

    // Retention removes whole days before the cut-off, and what hangs on them.
    let day = 86_400_000i64;
    let now = 100 * day;
    let old: Vec<Value> = (0..5).map(|i| json!({"chatId": "old", "stage": "s", "ts": 90 * day + i})).collect();
    let new: Vec<Value> = (0..3).map(|i| json!({"chatId": "new", "stage": "s", "ts": 95 * day + i})).collect();
    t.post_ok(&Value::Array(old)).await;
    t.post_ok(&Value::Array(new)).await;
    let cutoff = server::tasks::retention::cutoff(now, 7);
    let report = t.server.state.store.apply_retention(cutoff, now).await.unwrap();
    assert_eq!((report.events, report.conversations), (5, 1));
    assert!(report.rollup_rows > 0);
    let store = &t.server.state.store;
    assert_eq!(store.active_conversations(0, now).await.unwrap(), 1, "`new` (`old` is gone, `c` is later)");
    assert_eq!(store.active_conversations(0, i64::MAX / 2).await.unwrap(), 2, "the counter follows the deletions");
    t.stop().await;
}
