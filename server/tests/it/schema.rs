//! The two migrations cannot drift: every table has the same columns (and
//! nullability) on SQLite and Postgres, and the rollup tables have exactly
//! the columns `rollup::Metrics` declares and store their zeros as NULL.
//! Events store their zero counts as NULL on Postgres. On Postgres, the
//! planner knows how many combinations of dimensions a rollup holds,
//! rollups are summed as bigints (`bigint_sum`), and the conversation
//! counts are planned for their values.

use crate::common;

use common::{count, Backend, TestServer};
use pipeline::rollup::{Dim, Dims, Grain, Metrics, WRITES};
use pipeline::store::Store;
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet};

both_backends!(rollup_tables_have_the_declared_columns, rollups_store_zeros_as_null, events_store_zero_counts_sparsely);

/// table → column → nullable, from the database's own catalogue.
type Schema = BTreeMap<String, BTreeMap<String, bool>>;

async fn schema(store: &Store) -> Schema {
    let rows: Vec<(String, String, bool)> = match store {
        Store::Sqlite { readers, .. } => sqlx::query_as(
            "SELECT m.name, c.name, c.\"notnull\" = 0 AND c.pk = 0 FROM sqlite_master m, pragma_table_info(m.name) c \
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name <> '_sqlx_migrations'",
        )
        .fetch_all(readers)
        .await
        .unwrap(),
        Store::Postgres(pool) => sqlx::query_as(
            "SELECT c.table_name::text, c.column_name::text, c.is_nullable = 'YES' AND k.column_name IS NULL \
             FROM information_schema.columns c LEFT JOIN ( \
                 SELECT u.table_name, u.column_name FROM information_schema.table_constraints t \
                 JOIN information_schema.key_column_usage u ON u.constraint_name = t.constraint_name \
                 WHERE t.constraint_type = 'PRIMARY KEY' AND t.table_schema = 'public') k \
               ON k.table_name = c.table_name AND k.column_name = c.column_name \
             WHERE c.table_schema = 'public' AND c.table_name <> '_sqlx_migrations'",
        )
        .fetch_all(pool)
        .await
        .unwrap(),
    };
    let mut out = Schema::new();
    for (table, column, nullable) in rows {
        out.entry(table).or_default().insert(column, nullable);
    }
    out
}

async fn rollup_tables_have_the_declared_columns(b: Backend) {
    let t = TestServer::start(b).await;
    let schema = schema(t.server.state.service.store()).await;
    let names = |table: &str| schema[table].keys().cloned().collect::<BTreeSet<String>>();
    for g in Grain::ALL {
        let want: BTreeSet<String> =
            ["bucket"].iter().chain(&Dims::COLUMNS).map(|c| c.to_string()).chain(Metrics::columns()).collect();
        assert_eq!(names(g.table()), want, "{}", g.table());
        let want: BTreeSet<String> =
            ["bucket", WRITES].into_iter().chain(Metrics::TOTAL_COLUMNS.iter().copied()).map(String::from).collect();
        assert_eq!(names(g.total_table()), want, "{}", g.total_table());
        if let Some(marginal) = g.marginal_table() {
            let want: BTreeSet<String> =
                ["bucket", "dim", "value"].into_iter().map(String::from).chain(Metrics::columns()).collect();
            assert_eq!(names(marginal), want, "{marginal}");
        }
    }
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_and_postgres_schemas_match() {
    if common::postgres_admin_url().is_none() {
        return;
    }
    let (lite, pg) = (TestServer::start(Backend::Sqlite).await, TestServer::start(Backend::Postgres).await);
    let (a, b) = (schema(lite.server.state.service.store()).await, schema(pg.server.state.service.store()).await);
    assert!(a.len() > 10, "every table is listed: {:?}", a.keys());
    let tables: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    let mut drift = Vec::new();
    for table in tables {
        match (a.get(table), b.get(table)) {
            (Some(x), Some(y)) if x == y => {}
            (x, y) => drift.push(format!("{table}:\n  sqlite   {x:?}\n  postgres {y:?}")),
        }
    }
    assert!(drift.is_empty(), "the migrations differ:\n{}", drift.join("\n"));
    lite.stop().await;
    pg.stop().await;
}

/// A rollup row is mostly zeros (one latency bin of twenty, rarely errors
/// or cache writes); on Postgres a zero BIGINT takes 8 bytes and a NULL
/// none, so the writer stores zeros as NULL, on insert and on update.
async fn rollups_store_zeros_as_null(b: Backend) {
    let t = TestServer::start(b).await;
    let at = Grain::Minute.floor(domain::time::now_ms() - 10 * 60_000) + 1_000;
    let event = |turn: &str, dt: i64, extra: serde_json::Value| {
        let mut e = json!({"chatId": "c1", "turnId": turn, "stage": "response", "ts": at + dt, "model": "gpt-4o",
                           "usage": {"inputTokens": 100, "outputTokens": 10}});
        e.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        e
    };
    // The first request inserts the rows, the second one updates them.
    let requests = [
        json!([event("t1", 0, json!({"durationMs": 200})), event("t1", 50, json!({}))]),
        json!([event("t2", 100, json!({"durationMs": 210}))]),
    ];
    let store = t.server.state.service.store();
    let mut sent = 0;
    for request in requests {
        sent += request.as_array().unwrap().len() as i64;
        t.post_ok(&request).await;
        // The marginal rollups hold a row per dimension (model, stage,
        // persona, tenant, tool) where the combinations hold one.
        let tables = Grain::ALL
            .into_iter()
            .map(|g| (g.table(), 1))
            .chain(Grain::ALL.into_iter().filter_map(|g| g.marginal_table()).map(|t| (t, Dim::ALL.len() as i64)));
        for (table, rows) in tables {
            assert_eq!(count(store, &format!("SELECT COUNT(*) FROM {table}")).await, rows, "{table}: its rows");
            let events = count(store, &format!("SELECT CAST(SUM(events) AS BIGINT) FROM {table}")).await;
            assert_eq!(events, sent * rows, "{table}: events add up");
            for c in Metrics::columns() {
                let zeros = count(store, &format!("SELECT COUNT(*) FROM {table} WHERE {c} = 0")).await;
                assert_eq!(zeros, 0, "{table}.{c} holds a zero instead of NULL after {sent} events");
            }
            let nulls = count(store, &format!("SELECT COUNT(*) FROM {table} WHERE reasoning_tokens IS NULL")).await;
            assert_eq!(nulls, rows, "{table}: no reasoning tokens");
        }
    }
    t.stop().await;
}

/// Most of an event's counts are zero (a stage that calls no model has no
/// tokens; one event in several opens its turn): Postgres stores those
/// zeros as NULL, which cost a row a bit instead of 8 bytes; SQLite keeps
/// its zeros, which cost its records nothing either. Both read them back
/// as zeros.
async fn events_store_zero_counts_sparsely(b: Backend) {
    let t = TestServer::start(b).await;
    let now = domain::time::now_ms() - 60_000;
    t.post_ok(&json!([
        {"chatId": "z1", "turnId": "t1", "stage": "intent", "ts": now},
        {"chatId": "z1", "turnId": "t1", "stage": "response", "ts": now + 10, "model": "gpt-4o",
         "usage": {"inputTokens": 100, "outputTokens": 10}},
    ]))
    .await;
    let store = t.server.state.service.store();
    let counts = [
        "input_tokens",
        "output_tokens",
        "cached_input_tokens",
        "cache_write_tokens",
        "reasoning_tokens",
        "first_in_turn",
        "first_in_chat",
    ];
    for c in counts {
        let (zeros, nulls) = (
            count(store, &format!("SELECT COUNT(*) FROM events WHERE {c} = 0")).await,
            count(store, &format!("SELECT COUNT(*) FROM events WHERE {c} IS NULL")).await,
        );
        let zero_rows = match c {
            "input_tokens" | "output_tokens" | "first_in_turn" | "first_in_chat" => 1,
            _ => 2,
        };
        let want = match b {
            Backend::Postgres => (0, zero_rows),
            Backend::Sqlite => (zero_rows, 0),
        };
        assert_eq!((zeros, nulls), want, "events.{c}: (zeros, NULLs)");
    }
    let events = t.history("chatId=z1").await;
    let usage: Vec<&serde_json::Value> = events.iter().map(|e| &e["usage"]).collect();
    assert_eq!(
        usage,
        [
            &json!({"inputTokens": 100, "outputTokens": 10, "cachedInputTokens": 0, "cacheWriteTokens": 0, "reasoningTokens": 0}),
            &json!({"inputTokens": 0, "outputTokens": 0, "cachedInputTokens": 0, "cacheWriteTokens": 0, "reasoningTokens": 0}),
        ],
        "newest first, zeros read back as zeros"
    );
    t.stop().await;
}

/// A summary groups a window's rollup rows by their seven dimensions. The
/// dimensions go together (here each persona has one model and one stage),
/// so Postgres, guessing the groups as the product of each column's
/// distinct values, would expect many times more than there are, and sort
/// where a hash of the real groups is about twice as fast. The rollups'
/// `ndistinct` statistics (migration 0018) give it the real count.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_knows_how_many_combinations_a_rollup_holds() {
    if common::postgres_admin_url().is_none() {
        return;
    }
    let t = TestServer::start(Backend::Postgres).await;
    let Store::Postgres(pool) = t.server.state.service.store() else { unreachable!() };
    let start = Grain::Hour.floor(domain::time::now_ms()) - 201 * 3_600_000;
    // 12 personas, each with its own model and stage, in 200 hours: 2,400
    // rows in the minute and hour rollups. Without the statistics the
    // planner expects 240 groups in each (a tenth of the rows, its cap).
    let stages = ["intent", "persona", "tools", "response"];
    let events: Vec<serde_json::Value> = (0..2_400)
        .map(|i| {
            let p = i % 12;
            json!({"chatId": format!("c{i}"), "turnId": "t", "stage": stages[p % 4], "ts": start + (i / 12) as i64 * 3_600_000,
                   "persona": format!("persona-{p}"), "model": format!("model-{p}"), "durationMs": 5})
        })
        .collect();
    t.post_ok(&json!(events)).await;
    // (The day rollup's 108 rows are too few for a wrong guess: the cap
    // is never below the most distinct values of one column, 12.)
    for g in [Grain::Minute, Grain::Hour] {
        let table = g.table();
        sqlx::query(&format!("ANALYZE {table}")).execute(pool).await.unwrap();
        let dims = Dims::COLUMNS.join(", ");
        let plan: Vec<String> =
            sqlx::query_scalar(&format!("EXPLAIN SELECT {dims}, SUM(events) FROM {table} GROUP BY {dims}"))
                .fetch_all(pool)
                .await
                .unwrap();
        // The top node's line: "HashAggregate  (cost=… rows=12 width=…)".
        let groups: f64 = plan[0].split("rows=").nth(1).and_then(|r| r.split(' ').next()?.parse().ok()).unwrap();
        assert!((6.0..=24.0).contains(&groups), "{table}: the planner expects {groups} groups of 12: {plan:?}");
    }
    t.stop().await;
}

/// Rollup reads on Postgres sum with `bigint_sum` (migration 0023), not
/// SUM, whose sum of bigints is numeric: the same sums, as bigints, NULL
/// (a zero stored sparsely) skipped, NULL for no values, and an error past
/// bigint's range, never a wrapped sum.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_sums_rollups_as_bigints_exactly() {
    if common::postgres_admin_url().is_none() {
        return;
    }
    let t = TestServer::start(Backend::Postgres).await;
    let Store::Postgres(pool) = t.server.state.service.store() else { unreachable!() };
    let sums = |values: &'static str| async move {
        sqlx::query_as::<_, (Option<i64>, Option<i64>, String)>(&format!(
            "SELECT bigint_sum(x), CAST(SUM(x) AS BIGINT), pg_typeof(bigint_sum(x))::text FROM (VALUES {values}) v(x)"
        ))
        .fetch_one(pool)
        .await
    };
    let (ours, theirs, kind) = sums("(5::bigint), (NULL), (-7), (9000000000000000000)").await.unwrap();
    assert_eq!((ours, kind.as_str()), (Some(8_999_999_999_999_999_998), "bigint"));
    assert_eq!(ours, theirs);
    assert_eq!(sums("(NULL::bigint)").await.unwrap().0, None);
    let err = sums("(9223372036854775807::bigint), (1)").await.unwrap_err();
    assert!(err.to_string().contains("out of range"), "{err}");
    t.stop().await;
}

/// The active-conversations counts are planned for their values every
/// time, never kept prepared: Postgres keeps one generic plan for a
/// prepared statement after a few runs, and the one it kept for the count
/// used parallel workers, 10–25 ms a run against under 1 ms
/// (docs/performance.md). So after more runs than that, on a pool of one
/// connection, that connection holds no prepared statement of theirs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_plans_conversation_counts_for_their_values() {
    if common::postgres_admin_url().is_none() {
        return;
    }
    let (url, (admin, name)) = common::fresh_postgres_database().await;
    Store::connect(&url).await.expect("migrate");
    let pool = sqlx::postgres::PgPoolOptions::new().max_connections(1).connect(&url).await.unwrap();
    let store = Store::Postgres(pool.clone());
    let now = domain::time::now_ms();
    for _ in 0..8 {
        store.active_conversations(now - 3_600_000, now).await.unwrap();
        store.active_scoped_conversations(Some("acme"), None, now - 3_600_000, now).await.unwrap();
    }
    let kept = || async {
        let all: Vec<String> =
            sqlx::query_scalar("SELECT statement FROM pg_prepared_statements").fetch_all(&pool).await.unwrap();
        all.into_iter().filter(|s| s.contains("FROM conversations")).collect::<Vec<_>>()
    };
    assert_eq!(kept().await, Vec::<String>::new());
    // The check sees a statement that is kept.
    sqlx::query("SELECT COUNT(*) FROM conversations WHERE last_ts >= $1").bind(0_i64).fetch_one(&pool).await.unwrap();
    assert_eq!(kept().await.len(), 1);
    pool.close().await;
    let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&admin).await.unwrap();
    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut conn).await;
}

/// On SQLite the events' chat, tenant and pipeline indexes are keyed by
/// the name alone (migration 0024): every SQLite index entry ends with the
/// rowid, which `id` is, so a key of (name, id) stored each id twice. The
/// history's pages by chat, tenant or pipeline still walk their index in
/// id order, without a sort.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_event_indexes_store_each_id_once_and_page_without_a_sort() {
    let t = TestServer::start(Backend::Sqlite).await;
    let Store::Sqlite { readers, .. } = t.server.state.service.store() else { unreachable!() };
    for (column, index) in
        [("chat_id", "events_chat_id"), ("tenant", "events_tenant_id"), ("pipeline", "events_pipeline_id")]
    {
        let keys: Vec<(String,)> =
            sqlx::query_as(&format!("SELECT name FROM pragma_index_info('{index}')")).fetch_all(readers).await.unwrap();
        assert_eq!(keys.len(), 1, "{index} is keyed by one column, not also by id: {keys:?}");
        let sql = format!(
            "EXPLAIN QUERY PLAN SELECT id FROM events WHERE 1=1 AND id < 9 AND {column} = 'x' ORDER BY id DESC LIMIT 5"
        );
        let plan: Vec<(i64, i64, i64, String)> = sqlx::query_as(&sql).fetch_all(readers).await.unwrap();
        let plan: Vec<&str> = plan.iter().map(|p| p.3.as_str()).collect();
        assert!(plan.iter().any(|p| p.contains(index) && p.contains("rowid<?")), "{column}: {plan:?}");
        assert!(!plan.iter().any(|p| p.contains("TEMP B-TREE")), "{column}: sorted, not walked in order: {plan:?}");
    }
    t.stop().await;
}
