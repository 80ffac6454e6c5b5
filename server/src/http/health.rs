//! `GET /api/ping` (is the process up) and `GET /api/health` (can it do its
//! job, and what is it doing): the status for anyone — load balancers —
//! and the services and statistics for admins and read keys — monitoring
//! bots.

use super::error::{ApiError, ErrorBody};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Extension;
use axum::Json;
use domain::time;
use pipeline::bus::redis::RedisHealth;
use pipeline::service::Viewer;
use serde::Serialize;
use std::time::Instant;

/// `{"status": "ok"}` while the process runs.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Pong {
    pub status: &'static str,
}

/// Liveness: answers while the process runs (no database involved).
#[utoipa::path(get, path = "/api/ping", tag = "operations", responses((status = 200, body = Pong)))]
pub async fn ping() -> Json<Pong> {
    Json(Pong { status: "ok" })
}

/// The full answer, for admins and read keys (monitoring bots).
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Health {
    /// `healthy`, or `degraded` when a service does not answer.
    pub status: &'static str,
    /// Why it is degraded, one line per service; empty when healthy.
    pub reasons: Vec<String>,
    pub services: Services,
    /// What the pipeline is doing; absent while the database is down.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub statistics: Option<Statistics>,
    /// This process among the replicas.
    pub replica: String,
    pub uptime_seconds: u64,
    pub telemetry_enabled: bool,
    pub version: &'static str,
}

#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Services {
    pub database: Service,
    /// The Redis bus, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redis: Option<Service>,
}

/// One service: `up` or `down`, how long it took to answer, and what it is.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Service {
    pub status: &'static str,
    /// The database's round trip; Redis' relay lag behind its newest entry.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lag_ms: Option<i64>,
    /// `sqlite` / `postgres`, or the Redis stream's name.
    pub detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Statistics {
    /// Events received in the last 60 s (all replicas).
    pub events_last_minute: i64,
    /// Seconds since the newest event was received; `null` with none.
    pub last_event_age_seconds: Option<f64>,
    /// Live streams open on this replica.
    pub open_streams: usize,
    /// Alert webhooks still being delivered (neither delivered nor given up on).
    pub pending_webhook_deliveries: i64,
    pub events_stored: i64,
}

/// The status alone (`healthy` or `degraded`): nothing else, so it is
/// told apart from the details.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HealthStatus {
    pub status: &'static str,
}

/// What `/api/health` answers: the details for admins and read keys, the
/// status alone for everyone else.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum HealthAnswer {
    Details(Box<Health>),
    Status(HealthStatus),
}

/// 503 when the database does not answer (so a load balancer takes this
/// replica out); 200 otherwise — also when only Redis is down, which every
/// replica shares and which ingest does not need: that is `degraded`, with
/// the reason, but taking every replica out would stop the service.
#[utoipa::path(get, path = "/api/health", tag = "operations",
    description = "Readiness: `healthy`, or `degraded` with the reasons. Details for admins and read keys; the status alone for everyone else.",
    responses(
        (status = 200, description = "The database answers", body = HealthAnswer),
        (status = 401, description = "A key that does not check out", body = ErrorBody),
        (status = 503, description = "The database does not answer", body = HealthAnswer),
    ),
    security((), ("session" = []), ("api_key" = []), ("bearer" = [])))]
pub async fn health(
    State(state): State<AppState>,
    viewer: Option<Extension<Viewer>>,
) -> Result<(StatusCode, Json<HealthAnswer>), ApiError> {
    let t0 = Instant::now();
    let store = state.service.store();
    let ping = store.ping().await;
    let latency_ms = (t0.elapsed().as_secs_f64() * 1e4).round() / 10.0;
    let mut reasons = Vec::new();
    if let Err(e) = &ping {
        tracing::warn!(error = %e, "Health check: database unreachable.");
        reasons.push("database: unreachable".to_string());
    }
    let redis = state.service.bus().redis().map(|r| r.health()).map(|r: RedisHealth| {
        if !r.ok {
            reasons.push(format!("redis: {}", r.error.as_deref().unwrap_or("unreachable")));
        }
        Service {
            status: if r.ok { "up" } else { "down" },
            latency_ms: None,
            lag_ms: Some(r.lag_ms),
            detail: r.stream,
            error: r.error,
        }
    });
    let status = if reasons.is_empty() { "healthy" } else { "degraded" };
    let code = if ping.is_ok() { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    if viewer.is_none_or(|Extension(v)| !v.sees_health_details()) {
        return Ok((code, Json(HealthAnswer::Status(HealthStatus { status }))));
    }
    let statistics = match &ping {
        Ok(()) => statistics(&state).await.ok(),
        Err(_) => None,
    };
    let health = Health {
        status,
        reasons,
        services: Services {
            database: Service {
                status: if ping.is_ok() { "up" } else { "down" },
                latency_ms: Some(latency_ms),
                lag_ms: None,
                detail: store.backend().to_string(),
                error: ping.err().map(|_| "unreachable".to_string()),
            },
            redis,
        },
        statistics,
        replica: state.service.replica().to_string(),
        uptime_seconds: state.started_at.elapsed().as_secs(),
        telemetry_enabled: state.service.telemetry_enabled(),
        version: env!("CARGO_PKG_VERSION"),
    };
    Ok((code, Json(HealthAnswer::Details(Box::new(health)))))
}

async fn statistics(state: &AppState) -> Result<Statistics, pipeline::store::StoreError> {
    let store = state.service.store();
    let now = time::now_ms();
    let (events_last_minute, last) = store.recent_activity(now - 60_000).await?;
    Ok(Statistics {
        events_last_minute,
        last_event_age_seconds: last.map(|at| (now - at).max(0) as f64 / 1000.0),
        open_streams: state.service.bus().subscribers(),
        pending_webhook_deliveries: store.pending_webhooks().await?,
        events_stored: store.count_events().await?,
    })
}
