//! Flowmeter's shared data: what flows from the pipeline to the views. The
//! server (ingest, store, summaries, the service layer) and the browser
//! (hydrated views, the live store) both compile this crate, so a stored
//! event, a summary or a budget means the same thing on either side.
//!
//! # Layout
//! - [`event`]: the stored event — one stage of one turn — and its usage.
//! - [`conversation`]: conversations and turns, as the replay reads them.
//! - [`summary`], [`costs`]: what a window cost and how it went.
//! - [`sessions`]: the conversations going on right now.
//! - [`exports`]: export jobs written in the background.
//! - [`pricing`], [`money`]: price entries and exact integer money.
//! - [`alerts`]: budgets, alert rules and the alerts they raise.
//! - [`auth`]: roles, the signed-in user, users and API keys as listed.
//! - [`audit`]: the audit log of admin actions.
//! - [`time`]: epoch milliseconds and RFC 3339.
//! - [`url`]: percent-encoding for links.
//! - [`visibility`]: cost figures, and hiding them from viewers.
//! - [`rules`]: validation rules more than one door checks.
//! - [`settings`]: the runtime settings the admin area changes.
//!
//! Pure data and pure functions only: no I/O, nothing async.

pub mod alerts;
pub mod audit;
pub mod auth;
pub mod conversation;
pub mod costs;
pub mod event;
pub mod exports;
pub mod money;
pub mod pricing;
pub mod rules;
pub mod sessions;
pub mod settings;
pub mod summary;
pub mod time;
pub mod url;
pub mod visibility;

#[cfg(any(test, feature = "testing"))]
pub mod testing;

pub use event::{Event, Status, Usage};
