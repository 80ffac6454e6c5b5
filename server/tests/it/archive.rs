//! The archive (pipeline's `store/archive.rs`): once events have moved into
//! compressed blocks, every read of events answers exactly as it did
//! before — the history's pages and filters, the live stream's resume, a
//! replay, an export's pages, repricing's reads and the summaries' raw
//! edges — on SQLite and on Postgres. Repricing rewrites the blocks it
//! corrects, and retention drops or trims them.

use crate::common;

use common::{random_events, Backend, Rng, TestServer};
use domain::summary::SummaryQuery;
use pipeline::store::{ArchiveRun, Filters, HistoryQuery, Store, BLOCK_EVENTS};
use pipeline::summary::memo::Memo;
use pipeline::summary::summarize;
use serde_json::{json, Value};

both_backends!(every_read_is_the_same_once_archived, reprice_and_retention_reach_archived_events);

const H: i64 = 3_600_000;

/// Moves every event before `cutoff` into blocks, in one run; returns how
/// many moved.
async fn archive_all(store: &Store, cutoff: i64) -> u64 {
    let mut run = ArchiveRun::new(cutoff);
    let mut moved = 0;
    while !run.done() {
        moved += store.archive_block(&mut run).await.unwrap();
    }
    moved
}

/// Every read of events the store answers, over `base`'s three days.
async fn reads(store: &Store, base: i64) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    let mut note = |what: String, v: Value| out.push((what, v));
    // The history, newest first, page by page, whole and filtered.
    let filters: [(Option<&str>, Option<&str>, Option<&str>); 4] =
        [(None, None, None), (Some("chat-3"), None, None), (None, Some("acme"), None), (None, None, Some("rag"))];
    for (chat, tenant, pipeline) in filters {
        let mut before = None;
        loop {
            let q = HistoryQuery {
                limit: 97,
                before,
                chat_id: chat.map(str::to_string),
                tenant: tenant.map(str::to_string),
                pipeline: pipeline.map(str::to_string),
            };
            let page = store.history(&q).await.unwrap();
            before = page.last().map(|e| e.id);
            note(format!("history {q:?}"), json!(page));
            if before.is_none() {
                break;
            }
        }
    }
    // The live stream's resume, from the start and from inside.
    for (after, limit) in [(0, 100_000), (0, 10), (700, 333), (1999, 5)] {
        note(format!("after {after} {limit}"), json!(store.after(after, limit).await.unwrap()));
    }
    // Replays, whole and cut short.
    for n in 0..15 {
        let chat = format!("chat-{n}");
        for limit in [1000, 7] {
            note(format!("replay {chat} {limit}"), json!(store.conversation_events(&chat, limit).await.unwrap()));
        }
    }
    // Exports' pages, filtered, and repricing's reads.
    let (from, to) = (base + 5 * H + 1234, base + 50 * H + 77);
    for f in [
        Filters::default(),
        Filters { model: Some("gpt-4o".into()), ..Filters::default() },
        Filters { persona: Some("sage".into()), tenant: Some("globex".into()), ..Filters::default() },
        Filters { chat_id: Some("chat-7".into()), ..Filters::default() },
    ] {
        let mut after = 0;
        loop {
            let page = store.export_page(from, to, &f, after, 250).await.unwrap();
            note(format!("export {f:?} after {after}"), json!(page));
            match page.last() {
                Some(e) => after = e.id,
                None => break,
            }
        }
    }
    note("between".into(), json!(store.events_between(from, to, 100, 400).await.unwrap()));
    note("count".into(), json!(store.count_events().await.unwrap()));
    // Summaries of windows whose edges fall inside minutes, so that their
    // edges are read from the events themselves.
    for (i, (start, span)) in
        [(base + 7_777, 3 * H), (base + 26 * H + 59_999, 45 * 60_000), (base - H, 80 * H)].into_iter().enumerate()
    {
        let mut q = SummaryQuery { from: Some(start), to: Some(start + span), ..SummaryQuery::default() };
        if i == 1 {
            q.model = Some("gpt-4o-mini".into());
        }
        let s = summarize(store, &Memo::default(), &q, base + 4 * 24 * H).await.unwrap();
        note(format!("summary {q:?}"), json!(s));
    }
    out
}

async fn every_read_is_the_same_once_archived(b: Backend) {
    let t = TestServer::start(b).await;
    let store = t.server.state.service.store();
    let mut rng = Rng(0xa4c1_11e5);
    let base = 1_795_000_000_000 + rng.below(86_400_000) as i64;
    let items = random_events(&mut rng, base, 2500);
    // One batch of them a backfill: times all over the three days, but it
    // arrives after the cut-off, so none of it is archived yet.
    let late = base + 60 * H;
    for (i, chunk) in items.chunks(100).enumerate() {
        let arrived = if i == 7 { late } else { base };
        t.server.state.service.ingestor().ingest_values(chunk.to_vec(), None, arrived).await.unwrap();
    }
    let before = reads(store, base).await;

    // Two days of three: more than a block's worth.
    let moved = archive_all(store, base + 48 * H).await;
    let live = common::count(store, "SELECT COUNT(*) FROM events").await;
    let blocks = common::count(store, "SELECT COUNT(*) FROM event_blocks").await;
    assert!(moved > BLOCK_EVENTS as u64, "{moved} events archived");
    assert_eq!(live, 2500 - moved as i64, "the archived events left the table");
    let backfill = format!("SELECT COUNT(*) FROM events WHERE received_at = {late}");
    assert_eq!(common::count(store, &backfill).await, 100, "the late arrivals stay in the table");
    assert!(blocks >= 2, "{blocks} blocks");
    // A run starts each block where the one before ended, in time: a new
    // run finds nothing it skipped.
    assert_eq!(archive_all(store, base + 48 * H).await, 0, "nothing left to archive");

    let after = reads(store, base).await;
    assert_eq!(before.len(), after.len(), "the same reads");
    for ((what, was), (_, is)) in before.iter().zip(&after) {
        assert_eq!(was, is, "{what}: the same answer once archived");
    }
    t.stop().await;
}

async fn reprice_and_retention_reach_archived_events(b: Backend) {
    let t = TestServer::start(b).await;
    let service = &t.server.state.service;
    let store = service.store();
    let base = 1_795_000_000_000;
    let (items, update) = common::house_llm_priced_later(base);
    service.ingestor().ingest_values(items, None, base).await.unwrap();
    // The server's task, a week on: all but the newest, which the table
    // always keeps.
    assert_eq!(server::tasks::archive::run_once(service, 7).await.unwrap(), 39);

    let admin = pipeline::service::Viewer::command_line();
    service.update_price(&admin, &update, base).await.unwrap();
    let report = service.reprice(&admin, base - H, base + 2 * H).await.unwrap();
    assert_eq!((report.scanned, report.changed, report.delta_nanos), (40, 10, 12_000_000));
    let all = store.after(0, 1000).await.unwrap();
    let repriced = all.iter().filter(|e| e.pricing_id.as_deref() == Some("house-llm")).count();
    assert_eq!(repriced, 10, "the archived events carry their new prices");
    let again = service.reprice(&admin, base - H, base + 2 * H).await.unwrap();
    assert_eq!(again.changed, 0, "a second reprice changes nothing: the blocks were rewritten");

    // Retention inside the archive: a block loses the events before the
    // cut-off, and keeps the rest.
    let cutoff = base + 25 * 60_000;
    let report = store.apply_retention(cutoff, base).await.unwrap();
    assert_eq!(report.events, 25);
    let kept: Vec<_> = all.iter().filter(|e| e.ts >= cutoff).cloned().collect();
    assert_eq!(store.after(0, 1000).await.unwrap(), kept);
    assert_eq!(store.count_events().await.unwrap(), 15);
    // And a cut-off past every archived event: the block goes whole.
    let report = store.apply_retention(base + 38 * 60_000 + 18, base).await.unwrap();
    assert_eq!(report.events, 14);
    assert_eq!(store.after(0, 1000).await.unwrap(), all[39..].to_vec());
    for table in ["event_blocks", "event_block_bodies", "event_block_chats"] {
        assert_eq!(common::count(store, &format!("SELECT COUNT(*) FROM {table}")).await, 0, "{table}");
    }
    t.stop().await;
}
