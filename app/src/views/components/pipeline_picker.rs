//! Which pipeline a page shows, kept in the URL (`?pipeline=chat-bot`;
//! absent for all of them) so a view can be bookmarked and shared. The
//! names load in the browser: the picker only acts there.

use crate::api::dashboard::get_pipelines;
use crate::views::erased::{keyed_rows, Row, RowKey};
use leptos::prelude::*;
use leptos_router::hooks::{use_location, use_navigate, use_query_map};
use leptos_router::NavigateOptions;

/// The pipeline a page's URL picks, if any.
pub fn use_pipeline() -> Memo<Option<String>> {
    let query = use_query_map();
    Memo::new(move |_| query.with(|q| q.get("pipeline").filter(|p| !p.is_empty())))
}

#[component]
pub fn PipelinePicker() -> impl IntoView {
    let query = use_query_map();
    let location = use_location();
    let navigate = use_navigate();
    let current = use_pipeline();
    let names = LocalResource::new(get_pipelines);
    // The listed names, with the URL's own even before they load.
    let options = Memo::new(move |_| {
        let mut list = names.get().and_then(Result::ok).unwrap_or_default();
        if let Some(c) = current.get() {
            if !list.contains(&c) {
                list.push(c);
                list.sort();
            }
        }
        list
    });
    let pick = move |value: String| {
        let mut params = query.get_untracked();
        params.remove("pipeline");
        if !value.is_empty() {
            params.insert("pipeline", value);
        }
        let path = location.pathname.get_untracked();
        navigate(
            &format!("{path}{}", params.to_query_string()),
            NavigateOptions { scroll: false, ..Default::default() },
        );
    };
    view! {
        <label class="pipeline-picker">
            <span class="label">"Pipeline"</span>
            <select data-pipeline-picker on:change:target=move |ev| pick(ev.target().value())>
                <option value="" selected=move || current.with(Option::is_none)>"all pipelines"</option>
                {keyed_rows(move || options.get().into_iter().map(|name| Row::new(RowKey::Name(name.clone()), move || {
                    let selected = {
                        let name = name.clone();
                        move || current.with(|c| c.as_deref() == Some(name.as_str()))
                    };
                    let value = name.clone();
                    view! { <option value=value selected=selected>{name}</option> }
                })).collect())}
            </select>
        </label>
    }
}
