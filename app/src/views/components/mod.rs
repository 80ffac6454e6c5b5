//! Components shared by the pages.

pub mod admin;
pub mod costs;
pub mod event_log;
pub mod flow_canvas;
pub mod header;
pub mod info_cards;
pub mod pipeline_picker;
pub mod replay;
pub mod sessions;
pub mod toasts;
