//! Export jobs on the cost page: start one for the window (it is written in
//! the background, for exports too big to wait for), watch its progress,
//! cancel it, download it once done. The list polls only while a job is
//! still running.

use crate::api::codec::resource;
use crate::api::costs::{list_exports, CancelExport, StartExport};
use crate::domain::exports::{ExportFormat, ExportJob};
use crate::domain::summary::SummaryQuery;
use crate::domain::time;
use crate::views::messages::action_error;
use leptos::prelude::*;

#[component]
pub fn ExportJobs(window: Memo<SummaryQuery>) -> impl IntoView {
    let ready = crate::views::use_hydrated();
    let start = ServerAction::<StartExport>::new();
    let cancel = ServerAction::<CancelExport>::new();
    let (poll, set_poll) = signal(0u64);
    let jobs = resource(move || (start.version().get(), cancel.version().get(), poll.get()), |_| list_exports());
    // While a job runs, look again every second (the page's own jobs only).
    // A job still running (read from the answer: nothing is written while
    // the server renders).
    #[cfg(feature = "hydrate")]
    let open = move || jobs.get().and_then(Result::ok).is_some_and(|l| l.iter().any(|j| j.status.is_open()));
    #[cfg(feature = "hydrate")]
    Effect::new(move |prev: Option<Option<IntervalHandle>>| {
        if let Some(Some(h)) = prev {
            h.clear();
        }
        open()
            .then(|| {
                set_interval_with_handle(move || set_poll.update(|n| *n += 1), std::time::Duration::from_secs(1)).ok()
            })
            .flatten()
    });
    #[cfg(not(feature = "hydrate"))]
    let _ = set_poll;
    let error = move || action_error(*start)().or_else(action_error(*cancel));
    let begin = move |format: ExportFormat| {
        start.dispatch(StartExport { query: window.get_untracked(), format });
    };
    view! {
        <div class="export-jobs">
            <fieldset class="plain" disabled=move || !ready.get()>
                <button class="button" data-export-job="csv" on:click=move |_| begin(ExportFormat::Csv)>"CSV in the background"</button>
                <button class="button" data-export-job="json" on:click=move |_| begin(ExportFormat::Json)>"JSON in the background"</button>
            </fieldset>
            {move || error().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    let list = jobs.await.unwrap_or_default();
                    (!list.is_empty()).then(|| view! {
                        <ul class="job-list" aria-label="Export jobs">
                            {list.into_iter().map(|j| view! { <JobRow j cancel/> }).collect_view()}
                        </ul>
                    })
                })}
            </Transition>
        </div>
    }
}

#[component]
fn JobRow(j: ExportJob, cancel: ServerAction<CancelExport>) -> impl IntoView {
    let id = j.id.clone();
    let pct = j.progress_pct();
    let label = format!("{} · {}", j.format.as_str(), time::to_rfc3339(j.created_at));
    view! {
        <li class="job" data-job=j.id.clone() data-status=j.status.as_str()>
            <span>{label}</span>
            <progress max="100" value=format!("{pct:.0}") aria-label=format!("Export {} progress", j.id)></progress>
            <span class="muted">{format!("{} of {} events · {}", j.written, j.total, j.status.as_str())}</span>
            {j.download.clone().map(|href| view! { <a class="button" href=href download>"Download"</a> })}
            {j.status.is_open().then(|| view! {
                <button class="button ghost danger" on:click=move |_| { cancel.dispatch(CancelExport { id: id.clone() }); }>"Cancel"</button>
            })}
            {j.error.clone().filter(|_| !j.status.is_open()).map(|e| view! { <span class="form-error">{e}</span> })}
        </li>
    }
}
