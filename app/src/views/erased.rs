//! Views erased (`AnyView`) so that their code is compiled once, for the
//! WASM every visit loads (docs/performance.md, "The WASM and the phone").
//!
//! - **One keyed list** for every list of the flow page: the log, the live
//!   sessions, the canvas' stages and transitions, the pipelines and the
//!   toasts. Leptos' `For` is generic over a list's items, keys and
//!   closures, so each list compiled its own keyed diff, hydration and row
//!   bookkeeping. Here a list is a key and a boxed row per item. As with
//!   `For`, a row is built only when its key is new, and a kept key keeps
//!   its row and the row's reactive owner. The lazy pages' lists keep
//!   `For`: their code loads only with them.
//! - **Hydrated synchronously** ([`erase`]). An `AnyView` keeps two
//!   hydrations of its view: the synchronous one and the asynchronous one
//!   the router uses, because a lazy route must load its code before it
//!   hydrates. For an element the second is a copy of its whole hydration
//!   (12.5 KB for one canvas node). A view erased here hydrates
//!   synchronously wherever it is, so that copy is gone, and so is the
//!   async machinery's time while the page hydrates.
//!
//! Tried and not kept: `Show` erased the same way made the module larger,
//! its boxed views costing more than its copies.

use leptos::prelude::*;
use leptos::tachys::html::attribute::{any_attribute::AnyAttribute, Attribute};
use leptos::tachys::hydration::Cursor;
use leptos::tachys::ssr::StreamBuilder;
use leptos::tachys::view::{add_attr::AddAnyAttr, Position, PositionState, Render, RenderHtml};

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
    pub fn new<V: RenderHtml + 'static>(key: RowKey, view: impl FnOnce() -> V + Send + 'static) -> Row {
        Row { key, view: Box::new(move || erase(view())) }
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

/// `view.into_any()`, hydrated synchronously even where its parent
/// hydrates asynchronously. Right for a view with nothing inside that
/// loads later: no lazy route or component, and no `Suspend` whose data
/// is not in the page. Every page renders with `SsrMode::Async`, so each
/// resource it awaits was serialized into it, and tachys hydrates a
/// `Suspend` ready at its first poll, as these are, on the spot. The flow
/// page, its panels and the rows use it; the lazy pages do not.
pub fn erase(view: impl RenderHtml + 'static) -> AnyView {
    SyncHydrated(view).into_any()
}

/// A view whose asynchronous hydration is its synchronous one: the
/// default of `RenderHtml::hydrate_async`, where elements and tuples
/// would hydrate their children asynchronously, one by one.
struct SyncHydrated<V>(V);

impl<V: Render> Render for SyncHydrated<V> {
    type State = V::State;

    fn build(self) -> V::State {
        self.0.build()
    }

    fn rebuild(self, state: &mut V::State) {
        self.0.rebuild(state)
    }
}

impl<V: RenderHtml> AddAnyAttr for SyncHydrated<V> {
    type Output<A: Attribute> = V::Output<A>;

    fn add_any_attr<A: Attribute>(self, attr: A) -> V::Output<A>
    where
        V::Output<A>: RenderHtml,
    {
        self.0.add_any_attr(attr)
    }
}

impl<V: RenderHtml> RenderHtml for SyncHydrated<V> {
    type AsyncOutput = SyncHydrated<V::AsyncOutput>;
    type Owned = SyncHydrated<V::Owned>;
    const MIN_LENGTH: usize = V::MIN_LENGTH;
    const EXISTS: bool = V::EXISTS;

    fn dry_resolve(&mut self) {
        self.0.dry_resolve()
    }

    async fn resolve(self) -> Self::AsyncOutput {
        SyncHydrated(self.0.resolve().await)
    }

    fn html_len(&self) -> usize {
        self.0.html_len()
    }

    fn to_html_with_buf(
        self,
        buf: &mut String,
        position: &mut Position,
        escape: bool,
        mark_branches: bool,
        extra_attrs: Vec<AnyAttribute>,
    ) {
        self.0.to_html_with_buf(buf, position, escape, mark_branches, extra_attrs)
    }

    fn to_html_async_with_buf<const OUT_OF_ORDER: bool>(
        self,
        buf: &mut StreamBuilder,
        position: &mut Position,
        escape: bool,
        mark_branches: bool,
        extra_attrs: Vec<AnyAttribute>,
    ) {
        self.0.to_html_async_with_buf::<OUT_OF_ORDER>(buf, position, escape, mark_branches, extra_attrs)
    }

    fn hydrate<const FROM_SERVER: bool>(self, cursor: &Cursor, position: &PositionState) -> V::State {
        self.0.hydrate::<FROM_SERVER>(cursor, position)
    }

    fn into_owned(self) -> Self::Owned {
        SyncHydrated(self.0.into_owned())
    }
}
