//! One keyed list for every list of the WASM every visit loads: the log,
//! the live sessions, the canvas' stages and transitions, the pipelines
//! and the toasts.
//!
//! Why: Leptos' `For` is generic over a list's items, keys and closures,
//! so each list compiled its own copy of the keyed diff, its hydration and
//! its row bookkeeping: six copies on the flow page. Here a list is a key
//! and a boxed row (`AnyView`) per item, so that code is compiled once,
//! 9.9 KB of brotli off the main module (docs/performance.md). As with
//! `For`, a row is built only when its key is new, and a kept key keeps
//! its row and the row's reactive owner. The lazy pages' lists keep `For`:
//! their code loads only with them. `Show` erased the same way made the
//! module larger: its boxed views cost more than its copies.

use leptos::prelude::*;

/// What tells a list's rows apart: one of a few shapes, so that every list
/// shares one key type.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum RowKey {
    Id(i64),
    Name(String),
    Pair(String, String),
    Tagged(String, i64),
}

/// One item of a list: its key, and its view, built when the key is new.
pub struct Row {
    key: RowKey,
    view: Box<dyn FnOnce() -> AnyView + Send>,
}

impl Row {
    pub fn new<V: IntoView + 'static>(key: RowKey, view: impl FnOnce() -> V + Send + 'static) -> Row {
        Row { key, view: Box::new(move || view().into_any()) }
    }
}

/// A keyed list of `rows`, read reactively (as `For`'s `each`).
pub fn keyed_rows(rows: impl Fn() -> Vec<Row> + Send + 'static) -> impl IntoView {
    list(Box::new(rows))
}

/// The one instantiation of `For`.
fn list(rows: Box<dyn Fn() -> Vec<Row> + Send>) -> impl IntoView {
    view! { <For each=rows key=|r: &Row| r.key.clone() children=|r: Row| (r.view)()/> }
}
