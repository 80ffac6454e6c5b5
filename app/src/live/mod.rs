//! The browser's reactive store: one per tab, fed by one SSE connection,
//! read by every view. Seeded from the server-rendered snapshot so the first
//! paint (and the page without JavaScript) shows the same data; live events
//! are then applied in id order, each at most once.

pub mod early;
#[cfg(feature = "hydrate")]
mod sse;

use crate::domain::alerts::AlertNotice;
use crate::domain::dashboard::{Dashboard, LOG_ROWS};
use crate::domain::flow::FlowGraph;
use crate::domain::live_costs::Tick;
use crate::domain::sessions::{self, LiveSession, LiveSessions};
use crate::domain::stats::RATE_WINDOW_MS;
use crate::domain::time;
use crate::domain::Event;
use leptos::prelude::*;
use std::collections::VecDeque;

/// Live events kept for the cost monitor's running figures.
pub const TAPE_EVENTS: usize = 20_000;
/// Alert toasts kept.
pub const TOASTS: usize = 5;
/// Live events kept to catch up a view re-seeded for another pipeline.
pub const BACKLOG: usize = 1_000;
/// The live stream's path.
const STREAM_PATH: &str = "/api/telemetry/stream";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Connection {
    /// The stream is open.
    Live,
    /// The browser is retrying a dropped stream.
    Reconnecting,
    /// No stream (no JavaScript yet, or the server refused it).
    Offline,
}

impl Connection {
    pub fn as_str(self) -> &'static str {
        match self {
            Connection::Live => "live",
            Connection::Reconnecting => "reconnecting",
            Connection::Offline => "offline",
        }
    }
}

#[derive(Clone, Copy)]
pub struct LiveStore {
    /// Latest events, newest first (the log table).
    pub log: RwSignal<Vec<Event>>,
    pub graph: RwSignal<FlowGraph>,
    /// Receive times of the events of the last minute (events per minute).
    pub recent: RwSignal<VecDeque<i64>>,
    /// The newest event id applied; older or repeated ids are ignored.
    pub last_id: RwSignal<i64>,
    /// Events in the window the graph was built from, plus live ones.
    pub window: RwSignal<usize>,
    /// Server clock, epoch ms; ticks once a second in the browser.
    pub now: RwSignal<i64>,
    pub connection: RwSignal<Connection>,
    /// The most recent live events, oldest first (cost monitor).
    pub tape: RwSignal<VecDeque<Tick>>,
    /// Alerts that fired or resolved while the page was open, newest first.
    pub toasts: RwSignal<Vec<AlertNotice>>,
    /// Conversations seen live, most recent first (the panel shows those
    /// still active at `now`); `None` until a list has loaded.
    pub sessions: RwSignal<Option<Vec<LiveSession>>>,
    /// Id of the newest event in the snapshot: later ones flash on arrival.
    pub seeded_id: RwSignal<Option<i64>>,
    /// The pipeline the log, graph and rate show (`Some(None)`: all of
    /// them); `None` until seeded.
    scope: RwSignal<Option<Option<String>>>,
    /// The latest live events of every pipeline, oldest first.
    backlog: StoredValue<VecDeque<Event>>,
    /// Browser clock minus server clock, from the snapshot.
    skew: RwSignal<i64>,
    started: RwSignal<bool>,
}

impl LiveStore {
    pub fn new() -> LiveStore {
        LiveStore {
            log: RwSignal::new(Vec::new()),
            graph: RwSignal::new(FlowGraph::default()),
            recent: RwSignal::new(VecDeque::new()),
            last_id: RwSignal::new(0),
            window: RwSignal::new(0),
            now: RwSignal::new(0),
            connection: RwSignal::new(Connection::Offline),
            tape: RwSignal::new(VecDeque::new()),
            toasts: RwSignal::new(Vec::new()),
            sessions: RwSignal::new(None),
            seeded_id: RwSignal::new(None),
            scope: RwSignal::new(None),
            backlog: StoredValue::new(VecDeque::new()),
            skew: RwSignal::new(0),
            started: RwSignal::new(false),
        }
    }

    /// Loads the server snapshot of a pipeline (or of all), once per
    /// pipeline: a later snapshot of the same one (navigating back) is older
    /// than what the live stream has already applied. Another pipeline's
    /// replaces the log, graph and rate, then catches up with the live
    /// events that arrived after it was read.
    pub fn seed(&self, d: Dashboard) {
        let first = match self.scope.get_untracked() {
            Some(scope) if scope == d.pipeline => return,
            Some(_) => false,
            None => true,
        };
        if first {
            self.last_id.set(d.stream_from);
            self.now.set(d.now_ms);
            self.skew.set(time::now_ms() - d.now_ms);
        }
        self.scope.set(Some(d.pipeline));
        self.seeded_id.set(Some(d.last_event_id));
        self.window.set(d.window);
        self.recent.set(d.recent_received.into_iter().collect());
        self.graph.set(d.graph);
        self.log.set(d.log);
        let later: Vec<Event> =
            self.backlog.with_value(|b| b.iter().filter(|e| e.id > d.last_event_id).cloned().collect());
        for e in later {
            self.show(e);
        }
    }

    /// Applies one live event (ignored when already seen).
    pub fn apply(&self, e: Event) {
        if e.id <= self.last_id.get_untracked() {
            return;
        }
        self.last_id.set(e.id);
        self.backlog.update_value(|b| {
            b.push_back(e.clone());
            if b.len() > BACKLOG {
                b.pop_front();
            }
        });
        self.tape.update(|t| {
            t.push_back(Tick::from(&e));
            if t.len() > TAPE_EVENTS {
                t.pop_front();
            }
        });
        self.sessions.update(|s| {
            if let Some(s) = s {
                sessions::apply(s, &e);
            }
        });
        self.show(e);
    }

    /// Puts an event in the log, graph and rate when it is of the pipeline
    /// they show.
    fn show(&self, e: Event) {
        let shown = self.scope.with_untracked(|s| match s {
            Some(Some(p)) => e.pipeline.as_ref() == Some(p),
            _ => true,
        });
        if !shown {
            return;
        }
        self.window.update(|w| *w += 1);
        self.graph.update(|g| g.apply(&e));
        let now = self.now.get_untracked().max(e.received_at);
        self.recent.update(|r| {
            r.push_back(e.received_at);
            while r.front().is_some_and(|&t| t <= now - RATE_WINDOW_MS) {
                r.pop_front();
            }
        });
        self.log.update(|log| {
            log.insert(0, e);
            log.truncate(LOG_ROWS);
        });
    }

    /// Loads a fresh list of live sessions (the server's truth), then
    /// applies the live events already received after it was read.
    pub fn seed_sessions(&self, list: LiveSessions) {
        let mut now = list.sessions;
        self.log.with_untracked(|log| {
            for e in log.iter().rev().filter(|e| e.id > list.last_event_id) {
                sessions::apply(&mut now, e);
            }
        });
        self.sessions.set(Some(now));
        if self.now.get_untracked() == 0 {
            self.now.set(list.now);
        }
    }

    /// Shows an alert change as a toast.
    pub fn alert(&self, notice: AlertNotice) {
        self.toasts.update(|t| {
            t.insert(0, notice);
            t.truncate(TOASTS);
        });
    }

    /// The live stream this page opens. A page that rendered events (or
    /// has applied some) resumes after them. Any other (the cost monitor,
    /// the admin area, a replay) starts with the latest few: `after=0`
    /// would replay the whole store into the page.
    pub fn stream_url(&self) -> String {
        let seen = self.last_id.get_untracked();
        if seen > 0 || self.scope.get_untracked().is_some() {
            format!("{STREAM_PATH}?after={seen}")
        } else {
            STREAM_PATH.to_string()
        }
    }

    /// Starts the clock and the SSE connection, once per tab (browser
    /// only). A page calls it while it renders, not once hydrated: on the
    /// server that marks the page live, so its document opens the stream
    /// early ([`early`]); a page that seeds the store calls it after that.
    pub fn start(&self) {
        if self.started.get_untracked() {
            return;
        }
        self.started.set(true);
        #[cfg(feature = "hydrate")]
        {
            let store = *self;
            let tick = move || store.now.set(time::now_ms() - store.skew.get_untracked());
            tick();
            let _ = set_interval_with_handle(tick, std::time::Duration::from_secs(1));
            sse::connect(store);
        }
    }
}

impl Default for LiveStore {
    fn default() -> Self {
        LiveStore::new()
    }
}
