//! The audit log: every admin change through the admin area's server
//! functions (and the command line's path) is recorded with who made it,
//! newest first, without the secrets some of them carry; only admins read
//! it.

use crate::common;

use common::{Backend, TestServer, ADMIN_EMAIL};
use domain::auth::Role;
use pipeline::service::Viewer;

both_backends!(every_admin_change_is_recorded_with_its_author_and_no_secret);

async fn every_admin_change_is_recorded_with_its_author_and_no_secret(b: Backend) {
    let t = TestServer::start(b).await;
    let admin = Some(t.admin.as_str());
    let call = |path: &'static str, form: String| {
        let t = &t;
        async move {
            let (status, body) = t.server_fn(path, &form, admin).await;
            assert_eq!(status, 200, "{path}: {body}");
            body
        }
    };
    let user =
        call("/api/admin/users/create", "email=ops%40test.local&password=s3cret%20password&role=viewer".into()).await;
    let user_id = user["id"].as_i64().unwrap();
    call("/api/admin/users/role", format!("user_id={user_id}&role=admin")).await;
    call("/api/admin/users/disable", format!("user_id={user_id}&disabled=true")).await;
    call("/api/admin/users/disable", format!("user_id={user_id}&disabled=false")).await;
    let key = call("/api/admin/keys/create", "name=ci&scope=ingest&tenant=acme".into()).await;
    let (key_id, plaintext) = (key[0]["id"].as_i64().unwrap(), key[1].as_str().unwrap().to_string());
    call("/api/admin/keys/revoke", format!("key_id={key_id}")).await;
    call("/api/admin/settings/telemetry", "enabled=false".into()).await;
    call("/api/admin/settings/retention", "days=14".into()).await;
    let budget = call(
        "/api/costs/budgets/save",
        "budget[name]=daily&budget[scope]=global&budget[period]=daily&budget[limitUsd]=1.5&budget[notify][url]=http://hooks.test/budget-secret".into(),
    )
    .await;
    call("/api/costs/budgets/delete", format!("id={budget}")).await;
    let rule = call(
        "/api/costs/rules/save",
        "rule[id]=0&rule[name]=errors&rule[kind]=error_rate&rule[threshold]=5&rule[windowMinutes]=5&rule[enabled]=true&rule[notify][channel]=telegram&rule[notify][botToken]=42:bot-secret&rule[notify][chatId]=%40ops_room".into(),
    )
    .await;
    call("/api/costs/rules/delete", format!("id={rule}")).await;
    call(
        "/api/pricing/update",
        "update[id]=house-llm&update[pattern]=house-llm&update[input]=1&update[output]=2&update[effectiveFrom]=0"
            .into(),
    )
    .await;
    call("/api/pricing/reprice", "from=0&to=1".into()).await;
    // The command line's door records too.
    let store = t.server.state.service.store();
    pipeline::service::accounts::create_user(
        store,
        &Viewer::command_line(),
        "cli@test.local",
        "long enough pw",
        Role::Admin,
        domain::time::now_ms(),
    )
    .await
    .unwrap();

    let log = call("/api/admin/audit", "limit=50".into()).await;
    let entries = log.as_array().unwrap();
    let actions: Vec<&str> = entries.iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(
        actions,
        [
            "user.create",
            "price.reprice",
            "price.change",
            "rule.delete",
            "rule.save",
            "budget.delete",
            "budget.save",
            "retention.change",
            "telemetry.switch",
            "key.revoke",
            "key.create",
            "user.enable",
            "user.disable",
            "user.role",
            "user.create",
        ],
        "newest first"
    );
    assert_eq!(entries[0]["actor"], "command line");
    assert!(entries[1..].iter().all(|e| e["actor"] == ADMIN_EMAIL), "{log}");
    let find = |action: &str| entries.iter().rev().find(|e| e["action"] == action).unwrap();
    assert_eq!(find("user.role")["target"], format!("user {user_id}"));
    assert_eq!(find("user.role")["detail"], "role=admin");
    assert_eq!(find("telemetry.switch")["detail"], "enabled=false");
    assert_eq!(find("retention.change")["detail"], "days=14");
    let key_detail = find("key.create")["detail"].as_str().unwrap();
    assert!(key_detail.contains("scope=ingest") && key_detail.contains("tenant=acme"), "{key_detail}");
    assert!(find("rule.save")["detail"].as_str().unwrap().contains("channel=telegram"));
    assert!(find("budget.save")["detail"].as_str().unwrap().contains("limit_nanos=1500000000"));
    // No secret reaches the log.
    let text = log.to_string();
    for secret in ["s3cret", plaintext.as_str(), "bot-secret", "budget-secret"] {
        assert!(!text.contains(secret), "`{secret}` is in the audit log: {text}");
    }
    // Admins only.
    let (status, _) = t.server_fn("/api/admin/audit", "limit=5", Some(&t.viewer)).await;
    assert_eq!(status, 403);
    let entries_now = store.audit_log(100).await.unwrap().len();
    assert_eq!(entries_now, 15, "a refused read records nothing");
    t.stop().await;
}
