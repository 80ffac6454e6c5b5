//! Export jobs against a real server: the lifecycle (queued → running →
//! done, the file downloaded whole), `async=1` on the streaming export,
//! cancel, a restart failing a job whose runner stopped, and expiry.

use crate::common;

use common::{Backend, TestServer};
use domain::auth::KeyScope;
use domain::exports::{ExportFormat, ExportJob, JobStatus, KEEP_MS, STALE_MS};
use domain::summary::SummaryQuery;
use serde_json::{json, Value};
use std::time::Duration;

both_backends!(
    a_job_runs_to_a_whole_file,
    an_export_holds_the_events_its_filters_select,
    a_job_can_be_cancelled_and_a_stopped_runner_fails_its_job,
    finished_jobs_expire_after_a_day
);

async fn read_key(t: &TestServer) -> String {
    let now = domain::time::now_ms();
    t.server
        .state
        .service
        .create_api_key(&pipeline::service::Viewer::command_line(), "exports", KeyScope::Read, None, now)
        .await
        .unwrap()
        .plaintext
}

async fn call(
    t: &TestServer,
    method: reqwest::Method,
    path: &str,
    key: &str,
) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
    let resp = t.client.request(method, t.url(path)).header("x-api-key", key).send().await.unwrap();
    let (status, headers) = (resp.status().as_u16(), resp.headers().clone());
    (status, headers, resp.bytes().await.unwrap().to_vec())
}

/// Polls a job until `done(job)`, for up to 30 s.
async fn wait_for(t: &TestServer, key: &str, id: &str, done: impl Fn(&ExportJob) -> bool) -> ExportJob {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let (status, _, body) = call(t, reqwest::Method::GET, &format!("/api/exports/{id}"), key).await;
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
        let job: ExportJob = serde_json::from_slice(&body).unwrap();
        if done(&job) {
            return job;
        }
        assert!(std::time::Instant::now() < deadline, "job stuck: {job:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn a_job_runs_to_a_whole_file(b: Backend) {
    let t = TestServer::start(b).await;
    let key = read_key(&t).await;
    // 4 500 events: three pages for the runner.
    for chunk in 0..3 {
        let batch: Vec<Value> = (0..1500)
            .map(|i| json!({"chatId": format!("c{chunk}-{}", i % 40), "stage": "s", "model": "gpt-4o-mini", "usage": {"inputTokens": 10, "outputTokens": 1}}))
            .collect();
        t.post_ok(&Value::Array(batch)).await;
    }
    let (status, headers, body) = call(&t, reqwest::Method::POST, "/api/exports?format=json&range=24h", &key).await;
    assert_eq!(status, 202, "{}", String::from_utf8_lossy(&body));
    let job: ExportJob = serde_json::from_slice(&body).unwrap();
    assert_eq!(headers["location"], format!("/api/exports/{}", job.id));
    assert_eq!((job.total, job.format), (4500, ExportFormat::Json));
    let done = wait_for(&t, &key, &job.id, |j| !j.status.is_open()).await;
    assert_eq!((done.status, done.written, done.progress_pct()), (JobStatus::Done, 4500, 100.0), "{done:?}");
    let link = done.download.clone().expect("a download link");
    let (status, headers, file) = call(&t, reqwest::Method::GET, &link, &key).await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "application/json");
    assert!(headers["content-disposition"].to_str().unwrap().contains("flowmeter-"), "{headers:?}");
    let events: Vec<Value> = serde_json::from_slice(&file).expect("the file is whole JSON");
    assert_eq!(events.len(), 4500);
    assert_eq!(Some(file.len() as i64), done.bytes);
    // The same window streamed has the same events.
    let (_, _, streamed) = call(&t, reqwest::Method::GET, "/api/telemetry/export?format=json&range=24h", &key).await;
    let streamed: Vec<Value> = serde_json::from_slice(&streamed).unwrap();
    assert_eq!(events, streamed);
    // Compressed on the way, the file and the stream decode to the same.
    for path in [link.as_str(), "/api/telemetry/export?format=json&range=24h"] {
        let resp = t.client.get(t.url(path)).header("x-api-key", &key).header("accept-encoding", "gzip").send().await;
        let resp = resp.unwrap();
        assert_eq!(resp.status(), 200, "{path}");
        assert_eq!(resp.headers()["content-encoding"], "gzip", "{path}");
        let sent = resp.bytes().await.expect("a whole answer");
        let mut text = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&sent[..]), &mut text).unwrap();
        assert_eq!(serde_json::from_slice::<Vec<Value>>(&text).unwrap(), events, "{path}");
    }
    // `async=1` on the streaming export makes a job too; the list has both.
    let (status, _, _) =
        call(&t, reqwest::Method::GET, "/api/telemetry/export?format=csv&range=24h&async=1", &key).await;
    assert_eq!(status, 202);
    let (_, _, list) = call(&t, reqwest::Method::GET, "/api/exports", &key).await;
    let list: Value = serde_json::from_slice(&list).unwrap();
    assert_eq!(list["jobs"].as_array().map(Vec::len), Some(2));
    // Only admins: a viewer's session is refused.
    let viewer = t.client.get(t.url("/api/exports")).header("cookie", &t.viewer).send().await.unwrap();
    assert_eq!(viewer.status(), 403);
    t.stop().await;
}

/// An export holds exactly the events the summary of its filters counts:
/// a model, and a persona that some events lack (stored as NULL, matched
/// as the rollups' '').
async fn an_export_holds_the_events_its_filters_select(b: Backend) {
    let t = TestServer::start(b).await;
    let key = read_key(&t).await;
    const MODELS: [&str; 3] = ["gpt-4o", "gpt-4o-mini", "o3"];
    let batch: Vec<Value> = (0..60)
        .map(|i| {
            let mut e = json!({"chatId": format!("c{}", i % 7), "stage": "s", "model": MODELS[i % 3]});
            if i % 2 == 0 {
                e["persona"] = json!("muse");
            }
            e
        })
        .collect();
    t.post_ok(&Value::Array(batch)).await;
    let picked = |model: &str, persona: Option<&str>| {
        (0..60).filter(|i| MODELS[i % 3] == model && (persona.is_none() || i % 2 == 0)).count()
    };
    for (query, want) in
        [("&model=gpt-4o", picked("gpt-4o", None)), ("&model=o3&persona=muse", picked("o3", Some("muse")))]
    {
        let path = format!("/api/telemetry/export?format=json&range=24h{query}");
        let (status, _, body) = call(&t, reqwest::Method::GET, &path, &key).await;
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
        let events: Vec<Value> = serde_json::from_slice(&body).unwrap();
        assert_eq!(events.len(), want, "{query}");
        let model = query.split("model=").nth(1).and_then(|m| m.split('&').next()).unwrap();
        assert!(events.iter().all(|e| e["model"] == model), "{query}: {events:?}");
        if query.contains("persona") {
            assert!(events.iter().all(|e| e["persona"] == "muse"), "{query}: {events:?}");
        }
        // A job with the same filters counts and writes the same.
        let (status, _, body) =
            call(&t, reqwest::Method::POST, &format!("/api/exports?format=json&range=24h{query}"), &key).await;
        assert_eq!(status, 202, "{}", String::from_utf8_lossy(&body));
        let job: ExportJob = serde_json::from_slice(&body).unwrap();
        let done = wait_for(&t, &key, &job.id, |j| !j.status.is_open()).await;
        assert_eq!((done.status, done.total, done.written), (JobStatus::Done, want as i64, want as i64), "{query}");
    }
    t.stop().await;
}

async fn a_job_can_be_cancelled_and_a_stopped_runner_fails_its_job(b: Backend) {
    let t = TestServer::start(b).await;
    let key = read_key(&t).await;
    let service = &t.server.state.service;
    let store = service.store();
    let now = domain::time::now_ms();
    let job = |id: &str| ExportJob {
        id: id.into(),
        format: ExportFormat::Csv,
        status: JobStatus::Running,
        total: 10,
        written: 0,
        error: None,
        download: None,
        bytes: None,
        query: SummaryQuery { from: Some(0), to: Some(1), ..SummaryQuery::default() },
        created_at: now,
        finished_at: None,
    };
    // A job whose runner is busy (it reported just now): cancel it.
    store.insert_export_job(&job("busy"), None, now).await.unwrap();
    let (status, _, body) = call(&t, reqwest::Method::DELETE, "/api/exports/busy", &key).await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let cancelled: ExportJob = serde_json::from_slice(&body).unwrap();
    assert_eq!((cancelled.status, cancelled.error.as_deref()), (JobStatus::Cancelled, Some("cancelled")));
    assert_eq!(store.export_progress("busy", 5, now).await.unwrap(), Some(JobStatus::Cancelled), "its runner stops");
    let (status, _, body) = call(&t, reqwest::Method::DELETE, "/api/exports/busy", &key).await;
    assert_eq!(status, 409, "{}", String::from_utf8_lossy(&body));
    assert_eq!(call(&t, reqwest::Method::GET, "/api/exports/busy/file", &key).await.0, 409, "nothing to download");

    // A job whose runner went quiet (its server restarted): failed, with
    // the reason, and its partial file deleted.
    store.insert_export_job(&job("orphan"), None, now - STALE_MS - 1000).await.unwrap();
    let part = service.export_dir().join("orphan.csv.part");
    std::fs::create_dir_all(service.export_dir()).unwrap();
    std::fs::write(&part, "id,ts\n1,").unwrap();
    service.tidy_exports(now).await.unwrap();
    let orphan = wait_for(&t, &key, "orphan", |_| true).await;
    assert_eq!(orphan.status, JobStatus::Failed);
    assert!(orphan.error.as_deref().unwrap().contains("stopped"), "{orphan:?}");
    assert!(!part.exists(), "nothing half-written is left");
    assert_eq!(call(&t, reqwest::Method::GET, "/api/exports/nope", &key).await.0, 404);
    t.stop().await;
}

async fn finished_jobs_expire_after_a_day(b: Backend) {
    let t = TestServer::start(b).await;
    let key = read_key(&t).await;
    t.post_ok(&json!({"chatId": "c", "stage": "s"})).await;
    let (status, _, body) = call(&t, reqwest::Method::POST, "/api/exports?format=csv&range=24h", &key).await;
    assert_eq!(status, 202);
    let job: ExportJob = serde_json::from_slice(&body).unwrap();
    let done = wait_for(&t, &key, &job.id, |j| j.status == JobStatus::Done).await;
    let file = t.server.state.service.export_dir().join(format!("{}.csv", done.id));
    assert!(file.exists());
    let service = &t.server.state.service;
    // A day later, still there; a moment past it, gone with its file.
    service.tidy_exports(done.finished_at.unwrap() + KEEP_MS - 1).await.unwrap();
    assert!(file.exists());
    service.tidy_exports(done.finished_at.unwrap() + KEEP_MS + 1).await.unwrap();
    assert!(!file.exists());
    assert_eq!(call(&t, reqwest::Method::GET, &format!("/api/exports/{}", done.id), &key).await.0, 404);
    t.stop().await;
}
