//! Domain types shared by the server and the browser: the stored event, the
//! flow graph derived from events, and the figures the info cards show.
//! Pure data and pure functions only, so both sides compute the same thing
//! (server-side rendering and hydration must agree).

pub mod alerts;
pub mod auth;
pub mod conversation;
pub mod costs;
pub mod event;
pub mod flow;
pub mod layout;
pub mod money;
pub mod pricing;
pub mod replay;
pub mod stats;
pub mod summary;
pub mod time;

pub use event::{Event, Status, Usage};
