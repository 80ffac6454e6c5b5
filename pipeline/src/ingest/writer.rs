//! Group commit: one writer stores every request's batch. Requests that
//! arrive while a commit is in progress wait in a queue; the writer takes
//! all of them into the next transaction, commits once, publishes the group
//! on the bus and only then answers each request with its ids.
//!
//! One transaction (and one fsync, one Postgres advisory lock) per group
//! instead of per request is what lets many small requests through: the
//! cost of a commit is shared by everyone who waited for it. What does not
//! change: an answer still means committed, a request's batch is still all
//! or nothing (the store fails a batch the database refuses alone), and ids
//! are still assigned and published in commit order, since one writer does
//! both.
//!
//! Each group's size and the time it held the writer go to `/metrics`
//! (`flowmeter_group_commit_*`): a writer near its limit shows as groups
//! that grow while their commits take nearly as long as the answers.
//!
//! The queue is bounded in events, not requests: when it holds
//! [`QUEUE_EVENTS`], a new request is refused at once (`Busy`, a 503 with
//! `Retry-After`) and nothing of it is stored.

use super::IngestError;
use crate::bus::{Bus, Committed};
use crate::ops::Metrics;
use crate::store::Store;
use domain::Event;
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::{mpsc, oneshot, OwnedSemaphorePermit, Semaphore};

/// Most events waiting for the writer before requests are refused.
pub const QUEUE_EVENTS: usize = 100_000;
/// Most events one group commit takes (a request is never split).
const GROUP_EVENTS: usize = 20_000;
/// Requests in the last group from which the writer lets the next gather.
const GATHER_FROM: usize = 8;
/// Most turns the writer lets other tasks take while the next gathers.
const GATHER_TURNS: usize = 16;
/// What a refused request is told to wait before retrying.
pub const RETRY_AFTER_SECS: u64 = 1;

/// One request's validated, priced events, waiting for the writer.
struct Job {
    events: Vec<Event>,
    reply: oneshot::Sender<Result<Vec<i64>, IngestError>>,
    /// Its place in the queue, given back when it is answered.
    queued: OwnedSemaphorePermit,
}

impl Job {
    /// Gives its place in the queue back, then answers: whoever hears the
    /// answer finds the room already there.
    fn answer(self, answer: Result<Vec<i64>, IngestError>) {
        drop(self.queued);
        let _ = self.reply.send(answer);
    }
}

/// The handle requests submit to; the writer task ends when every handle is
/// dropped.
#[derive(Clone, Debug)]
pub struct Writer {
    jobs: mpsc::UnboundedSender<Job>,
    room: Arc<Semaphore>,
}

impl Writer {
    /// Starts the writer task on the current runtime.
    pub fn start(store: Store, bus: Bus, metrics: Arc<Metrics>) -> Writer {
        Writer::with_queue(store, bus, metrics, QUEUE_EVENTS)
    }

    /// A writer whose queue holds at most `events` events.
    pub fn with_queue(store: Store, bus: Bus, metrics: Arc<Metrics>, events: usize) -> Writer {
        let (jobs, rx) = mpsc::unbounded_channel();
        tokio::spawn(run(store, bus, metrics, rx));
        Writer { jobs, room: Arc::new(Semaphore::new(events)) }
    }

    /// Stores `events` in the next group commit and returns their ids, in
    /// order, once committed and published; `Busy` at once if the queue is
    /// full.
    pub async fn store(&self, events: Vec<Event>) -> Result<Vec<i64>, IngestError> {
        let n = u32::try_from(events.len()).unwrap_or(u32::MAX);
        let queued = Arc::clone(&self.room)
            .try_acquire_many_owned(n.max(1))
            .map_err(|_| IngestError::Busy { retry_after_secs: RETRY_AFTER_SECS })?;
        let (reply, answer) = oneshot::channel();
        self.jobs.send(Job { events, reply, queued }).map_err(|_| IngestError::Unavailable)?;
        // A dropped reply means the writer stopped (shutdown): not stored.
        answer.await.unwrap_or(Err(IngestError::Unavailable))
    }
}

async fn run(store: Store, bus: Bus, metrics: Arc<Metrics>, mut rx: mpsc::UnboundedReceiver<Job>) {
    let mut last = 0;
    while let Some(first) = rx.recv().await {
        // The requests a group answered tend to come back together: the
        // first alone would be a commit of its own, while the rest are
        // still being read. Other tasks run first (a few turns, no timer),
        // until half of them are back.
        for _ in 0..GATHER_TURNS {
            if last < GATHER_FROM || rx.len() + 1 >= last / 2 {
                break;
            }
            tokio::task::yield_now().await;
        }
        let mut size = first.events.len();
        let mut jobs = vec![first];
        while size < GROUP_EVENTS {
            match rx.try_recv() {
                Ok(job) => {
                    size += job.events.len();
                    jobs.push(job);
                }
                Err(_) => break,
            }
        }
        last = jobs.len();
        commit(&store, &bus, &metrics, jobs, &rx).await;
    }
}

/// Commits one group, counts and publishes what was stored, answers every
/// request.
async fn commit(
    store: &Store,
    bus: &Bus,
    metrics: &Arc<Metrics>,
    mut jobs: Vec<Job>,
    queue: &mpsc::UnboundedReceiver<Job>,
) {
    let batches: Vec<Vec<Event>> = jobs.iter_mut().map(|j| std::mem::take(&mut j.events)).collect();
    let events: usize = batches.iter().map(Vec::len).sum();
    let started = Instant::now();
    let outcome = store.insert_group(batches, || !queue.is_empty()).await;
    metrics.group_commit(events, started.elapsed().as_secs_f64());
    match outcome {
        Ok(group) => {
            let mut stored = Vec::new();
            let answers: Vec<Result<Vec<i64>, IngestError>> = group
                .batches
                .into_iter()
                .map(|outcome| {
                    let events = outcome.map_err(IngestError::Store)?;
                    let ids = events.iter().map(|e| e.id).collect();
                    stored.extend(events);
                    Ok(ids)
                })
                .collect();
            if !stored.is_empty() {
                let batch = Committed::new(stored);
                bus.publish(group.after, batch.clone()).await;
                // Counted beside the writer, not on it: the next group's
                // commit does not wait for the counting.
                let metrics = metrics.clone();
                tokio::spawn(async move { metrics.stored(batch.events()) });
            }
            for (job, answer) in jobs.into_iter().zip(answers) {
                job.answer(answer);
            }
        }
        Err(e) => {
            tracing::error!(error = %e, requests = jobs.len(), "A group commit failed; none of its requests was stored.");
            for job in jobs {
                job.answer(Err(IngestError::Unavailable));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::testing::ev;
    use domain::Status;
    use sqlx::Connection;

    /// A fresh SQLite store, and another connection holding its write lock
    /// (roll it back to let the writer in): the writer's first commit waits,
    /// and its request keeps its place in the queue meanwhile. (The writer
    /// waits for the lock blocking its thread: tests that use this run on
    /// two.)
    async fn locked_store() -> (tempfile::TempDir, Store, sqlx::SqliteConnection) {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("t.db").display());
        let store = Store::connect(&url).await.unwrap();
        let mut blocker = sqlx::SqliteConnection::connect(&url).await.unwrap();
        sqlx::query("BEGIN IMMEDIATE").execute(&mut blocker).await.unwrap();
        (dir, store, blocker)
    }

    fn events(chat: &str, n: usize) -> Vec<Event> {
        (0..n).map(|i| ev(i as i64, chat, &format!("t{i}"), "s", Status::Success)).collect()
    }

    /// A full queue refuses at once, stores nothing of what it refused, and
    /// what it accepted is stored once the writer gets to it.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_full_queue_refuses_and_stores_exactly_what_it_acknowledged() {
        let (_dir, store, mut blocker) = locked_store().await;

        let writer = Writer::with_queue(store.clone(), Bus::default(), Arc::default(), 10);
        let room = writer.room.available_permits();
        let first = tokio::spawn({
            let w = writer.clone();
            async move { w.store(events("first", 10)).await }
        });
        while writer.room.available_permits() == room {
            tokio::task::yield_now().await; // until the first is queued
        }
        // (The timeout only keeps a broken bound from hanging the test.)
        match tokio::time::timeout(std::time::Duration::from_secs(5), writer.store(events("second", 1))).await {
            Ok(Err(IngestError::Busy { retry_after_secs })) => assert_eq!(retry_after_secs, RETRY_AFTER_SECS),
            other => panic!("a full queue must refuse at once, got {other:?}"),
        }

        sqlx::query("ROLLBACK").execute(&mut blocker).await.unwrap();
        let ids = first.await.unwrap().expect("the queued request is stored");
        assert_eq!(ids.len(), 10);
        assert_eq!(store.last_event_id().await.unwrap(), *ids.last().unwrap());
        assert_eq!(store.after(0, 100).await.unwrap().len(), 10, "exactly what was acknowledged");
        // Room again once answered.
        assert_eq!(writer.store(events("third", 1)).await.unwrap().len(), 1);
    }

    /// Requests that queue while a commit is in progress share the next one:
    /// ids in the order the requests were queued, each request's ids
    /// consecutive, one bus batch per commit.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn queued_requests_share_one_commit_in_queue_order() {
        let (_dir, store, mut blocker) = locked_store().await;
        let bus = Bus::default();
        let mut live = bus.subscribe();
        let writer = Writer::start(store.clone(), bus.clone(), Arc::default());
        // Six requests queued in this order, by one poll of this task: each
        // takes its place in the queue before the next is asked (spawned
        // tasks could reach the queue in any order on a busy machine). The
        // writer takes the first, or the first few, and waits on the lock.
        let stores = (0..6).map(|r| writer.store(events(&format!("r{r}"), 3)));
        let mut pending = std::pin::pin!(futures::future::join_all(stores));
        assert!(futures::poll!(pending.as_mut()).is_pending(), "nothing commits while the lock is held");
        assert_eq!(writer.room.available_permits(), QUEUE_EVENTS - 18, "all six queued");
        sqlx::query("ROLLBACK").execute(&mut blocker).await.unwrap();
        let mut all = Vec::new();
        for ids in pending.await {
            let ids = ids.unwrap();
            assert!(ids.windows(2).all(|w| w[1] == w[0] + 1), "one request's ids are consecutive: {ids:?}");
            all.extend(ids);
        }
        assert!(all.windows(2).all(|w| w[0] < w[1]), "ids in queue order: {all:?}");
        let (mut published, mut commits) = (Vec::new(), 0);
        while published.len() < all.len() {
            published.extend(live.recv().await.unwrap().events().iter().map(|e| e.id));
            commits += 1;
        }
        assert_eq!(published, all, "published in commit order");
        // The ones the writer had taken when it met the lock, then every
        // one that queued behind them, together.
        assert!(commits <= 2, "six requests, {commits} commits: those that queued did not share one");
    }

    /// Under ingest that never lets the queue empty, the writer keeps its
    /// turn (the writer pool's connection) from one group to the next, but
    /// not for ever: another write waiting for it (an admin's) goes first.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn another_write_gets_its_turn_between_back_to_back_groups() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::connect(&format!("sqlite://{}", dir.path().join("t.db").display())).await.unwrap();
        let writer = Writer::start(store.clone(), Bus::default(), Arc::default());
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        // Requests sent without waiting for the answers, so that some always
        // queue while a group commits; the answers are counted beside them.
        let (answers, mut counted) = mpsc::unbounded_channel();
        let flood = tokio::spawn({
            let (w, stop) = (writer.clone(), stop.clone());
            async move {
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let w = w.clone();
                    let _ = answers.send(tokio::spawn(async move { w.store(events("flood", 20)).await }));
                    tokio::task::yield_now().await;
                }
            }
        });
        let stored = tokio::spawn(async move {
            let mut stored = 0;
            while let Some(answer) = counted.recv().await {
                stored += answer.await.unwrap().map_or(0, |ids| ids.len()); // Busy: not stored
            }
            stored
        });
        while store.last_event_id().await.unwrap() < 2_000 {
            tokio::task::yield_now().await; // until groups follow one another
        }
        let Store::Sqlite { writer: pool, .. } = &store else { unreachable!() };
        // The pool gives up after its acquire timeout (30 s) if the writer
        // never lets go; the test's timeout only bounds a hang beyond that.
        let other = tokio::time::timeout(
            std::time::Duration::from_secs(60),
            sqlx::query("UPDATE counters SET value = value WHERE name = 'conversations'").execute(pool),
        )
        .await;
        let before = store.last_event_id().await.unwrap();
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        flood.await.unwrap();
        let stored = stored.await.unwrap();
        assert!(matches!(other, Ok(Ok(_))), "the other write waited in vain: {other:?}");
        assert!(before > 2_000, "ingest went on meanwhile");
        assert_eq!(store.last_event_id().await.unwrap(), stored as i64, "every acknowledged event stored");
        store.close().await;
    }
}
