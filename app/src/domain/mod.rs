//! The domain as the views see it: the shared data of the `domain` crate,
//! plus what only the screen needs — the flow graph and its layout, the
//! info-card figures, replay steps and the cost monitor's live figures.
//! Pure data and pure functions only, so the server-rendered page and the
//! hydrated one compute the same thing.

pub use ::domain::{
    alerts, audit, auth, conversation, costs, event, exports, money, pricing, rules, sessions, settings, summary, time,
    url, visibility,
};
pub use ::domain::{Event, Status, Usage};

pub mod dashboard;
pub mod flow;
pub mod layout;
pub mod live_costs;
pub mod replay;
pub mod stats;
