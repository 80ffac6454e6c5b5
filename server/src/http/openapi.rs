//! `GET /api/openapi.json`: the REST API described as OpenAPI 3.1, built
//! from the handlers' own annotations and the types they answer with (the
//! `utoipa` derives on `domain` and `pipeline` types), so it cannot drift
//! from the code. `server/tests/it/openapi.rs` checks that every REST route of
//! the access table is in it; schemathesis checks every answer against it
//! (`scripts/contract.sh`). Server functions are the pages' private calls
//! and are not described.

use super::{budget, error, events, export, health, login, metrics, otlp, summary, telemetry};
use axum::Json;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Flowmeter",
        description = "Live flow and cost telemetry for LLM agent pipelines: ingest (native JSON and OTLP/HTTP), history, the live stream, conversations, summaries, exports and the budget check. Errors are JSON `{\"error\", \"items\"?}` naming the field at fault.",
    ),
    paths(
        health::ping,
        health::health,
        metrics::metrics,
        login::login,
        login::logout,
        events::post_events,
        otlp::post_traces,
        telemetry::history,
        telemetry::stream,
        summary::conversations,
        summary::live_sessions,
        summary::summary,
        export::export,
        export::list_jobs,
        export::start_job,
        export::poll_job,
        export::cancel_job,
        export::file,
        budget::check,
        openapi,
    ),
    components(schemas(error::ErrorBody)),
    modifiers(&Security),
    tags(
        (name = "ingest", description = "Events in: one per pipeline stage"),
        (name = "telemetry", description = "Events out: history, the live stream, conversations"),
        (name = "costs", description = "Summaries, exports and budgets (admins and read keys)"),
        (name = "accounts", description = "Sessions for people"),
        (name = "operations", description = "Liveness, readiness, metrics, this description"),
    )
)]
pub struct ApiDoc;

/// The three ways a caller proves who it is.
struct Security;

impl Modify for Security {
    fn modify(&self, api: &mut utoipa::openapi::OpenApi) {
        let components = api.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "X-API-Key",
                "An ingest or read key (admin area); only its SHA-256 is stored",
            ))),
        );
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("The same key as `Authorization: Bearer` (OpenTelemetry exporters)"))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                pipeline::auth::session::COOKIE,
                "A signed-in person's session (`/api/auth/login`)",
            ))),
        );
    }
}

/// This description.
#[utoipa::path(get, path = "/api/openapi.json", tag = "operations",
    responses((status = 200, description = "OpenAPI 3.1", body = serde_json::Value)),
    security(()))]
pub async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
