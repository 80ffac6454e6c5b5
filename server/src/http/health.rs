//! `GET /api/ping` (is the process up) and `GET /api/health` (can it do its
//! job: database round trip, events stored, uptime).

use super::error::ApiError;
use super::session::MaybeUser;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use pipeline::bus::redis::RedisHealth;
use serde::Serialize;
use serde_json::{json, Value};
use std::time::Instant;

pub async fn ping() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Health {
    /// `healthy`, or `degraded` when the database or Redis does not answer.
    pub status: &'static str,
    /// What does not answer (`database`, `redis`); empty when healthy.
    pub failing: Vec<&'static str>,
    pub database: DatabaseHealth,
    /// The Redis bus, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redis: Option<RedisHealth>,
    /// This process among the replicas.
    pub replica: String,
    pub uptime_seconds: u64,
    pub events_stored: Option<i64>,
    pub stream_subscribers: usize,
    pub telemetry_enabled: bool,
    pub version: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DatabaseHealth {
    pub backend: &'static str,
    pub ok: bool,
    pub latency_ms: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// What `/api/health` answers: the details for admins, the status alone
/// for everyone else.
#[derive(Serialize)]
#[serde(untagged)]
pub enum HealthAnswer {
    Details(Box<Health>),
    Status { status: &'static str },
}

/// 503 when the database does not answer (so a load balancer takes this
/// replica out); 200 otherwise — also when only Redis is down, which every
/// replica shares and which ingest does not need: that is `degraded`, named
/// in `failing`, but taking every replica out would stop the service.
/// Only admins see the details (what fails among them); everyone else gets
/// the status alone.
pub async fn health(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
) -> Result<(StatusCode, Json<HealthAnswer>), ApiError> {
    let t0 = Instant::now();
    let store = state.service.store();
    let ping = store.ping().await;
    let latency_ms = (t0.elapsed().as_secs_f64() * 1e4).round() / 10.0;
    let events_stored = match &ping {
        Ok(()) => store.count_events().await.ok(),
        Err(_) => None,
    };
    let ok = ping.is_ok();
    if let Err(e) = &ping {
        tracing::warn!(error = %e, "Health check: database unreachable.");
    }
    let redis = state.service.bus().redis().map(|r| r.health());
    let failing: Vec<&'static str> = [(!ok).then_some("database"), redis.as_ref().filter(|r| !r.ok).map(|_| "redis")]
        .into_iter()
        .flatten()
        .collect();
    let health = Health {
        status: if failing.is_empty() { "healthy" } else { "degraded" },
        failing,
        redis,
        replica: state.service.replica().to_string(),
        database: DatabaseHealth {
            backend: store.backend(),
            ok,
            latency_ms,
            error: ping.err().map(|_| "database unreachable".to_string()),
        },
        uptime_seconds: state.started_at.elapsed().as_secs(),
        events_stored,
        stream_subscribers: state.service.bus().subscribers(),
        telemetry_enabled: state.service.telemetry_enabled(),
        version: env!("CARGO_PKG_VERSION"),
    };
    let code = if ok { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    let answer = if user.is_some_and(|u| u.is_admin()) {
        HealthAnswer::Details(Box::new(health))
    } else {
        HealthAnswer::Status { status: health.status }
    };
    Ok((code, Json(answer)))
}
