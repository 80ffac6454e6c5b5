//! Alert toasts: every alert that fires or resolves while an admin has a
//! page open appears here (it arrives on the live stream).

use crate::live::LiveStore;
use crate::views::erased::{keyed_rows, Row, RowKey};
use leptos::prelude::*;

#[component]
pub fn AlertToasts() -> impl IntoView {
    let live = expect_context::<LiveStore>();
    view! {
        // Announced politely, like the connection state; nothing else on
        // a live page is a live region, so events arriving stay quiet.
        <div class="toasts" role="status" aria-live="polite">
            {keyed_rows(move || live.toasts.get().into_iter().map(|n| {
                let key = (n.alert.id, n.change.clone());
                Row::new(RowKey::Tagged(n.change.clone(), n.alert.id), move || {
                    let dismiss = move |_| live.toasts.update(|t| t.retain(|x| (x.alert.id, x.change.clone()) != key));
                    view! {
                        <div class="toast" data-change=n.change.clone() data-level=n.alert.level.clone() data-severity=n.alert.severity.as_str()>
                            <strong>{if n.change == "resolved" { "Resolved".to_string() } else { format!("Alert · {}", n.alert.severity.as_str()) }}</strong>
                            <span>{n.alert.message.clone()}</span>
                            <button class="button ghost" aria-label="Dismiss" on:click=dismiss>"✕"</button>
                        </div>
                    }
                })
            }).collect())}
        </div>
    }
}
