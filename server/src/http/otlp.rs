//! `POST /v1/traces`: OTLP/HTTP traces, protobuf or JSON, optionally
//! gzip-compressed. The spans become events on the native ingest path
//! (`pipeline::ingest::otlp`); this module only speaks OTLP's HTTP: the
//! answer is an `ExportTraceServiceResponse`, and a refusal a
//! `google.rpc.Status`, each encoded the way the request was.

use super::error::{ApiError, ErrorBody};
use super::events::{count_outcome, read_body};
use crate::state::AppState;
use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use domain::auth::KeyGrant;
use domain::time;
use pipeline::ingest::otlp::{self, OtlpFormat};
use pipeline::ingest::{IngestError, OtlpAck};
use std::io::Read;

/// (The access layer has checked the ingest key.)
#[utoipa::path(post, path = "/v1/traces", tag = "ingest",
    description = "OTLP/HTTP traces (ExportTraceServiceRequest), protobuf or JSON. Stage spans become events; others are skipped and counted. Errors are answered as OTLP `Status` messages in the request's encoding.",
    request_body(content(
        (Vec<u8> = "application/x-protobuf"),
        (serde_json::Value = "application/json"),
    )),
    responses(
        (status = 200, description = "ExportTraceServiceResponse (partial success names skipped spans)", content((Vec<u8> = "application/x-protobuf"), (serde_json::Value = "application/json"))),
        (status = 400, description = "Invalid spans, named by their OTLP path", content((Vec<u8> = "application/x-protobuf"), (serde_json::Value = "application/json"))),
        (status = 401, description = "No key or a wrong one", body = ErrorBody),
        (status = 403, description = "Not an ingest key", body = ErrorBody),
        (status = 413, description = "Over the body limit", content((Vec<u8> = "application/x-protobuf"), (serde_json::Value = "application/json"))),
        (status = 415, description = "Neither protobuf nor JSON", content((Vec<u8> = "application/x-protobuf"), (serde_json::Value = "application/json"))),
        (status = 429, description = "Past a limit; retry after `Retry-After`", body = ErrorBody),
        (status = 503, description = "Unavailable; retry after `Retry-After`", content((Vec<u8> = "application/x-protobuf"), (serde_json::Value = "application/json"))),
    ),
    security(("api_key" = []), ("bearer" = [])))]
pub async fn post_traces(
    State(state): State<AppState>,
    Extension(grant): Extension<KeyGrant>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let format = OtlpFormat::from_content_type(headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()));
    // A refusal of the content type itself is answered in JSON.
    let (result, format) = match format {
        Ok(format) => (ingest(&state, &grant, &headers, body, format).await, format),
        Err(e) => (Err(e.into()), OtlpFormat::Json),
    };
    count_outcome(&state, result.as_ref().map(|ack| ack.ids.len()));
    match result {
        Ok(ack) => encoded(StatusCode::OK, otlp::encode(&ack.response(), format), format),
        Err(e) => refusal(e, format),
    }
}

async fn ingest(
    state: &AppState,
    grant: &KeyGrant,
    headers: &HeaderMap,
    body: Body,
    format: OtlpFormat,
) -> Result<OtlpAck, ApiError> {
    let limit = state.http.max_body_bytes;
    let bytes = read_body(state, headers, body).await?;
    let bytes = match headers.get(header::CONTENT_ENCODING).map(|v| v.to_str().unwrap_or("?").trim()) {
        None | Some("" | "identity") => bytes.to_vec(),
        Some(e) if e.eq_ignore_ascii_case("gzip") => gunzip(&bytes, limit)?,
        Some(other) => {
            return Err(ApiError::BadParam {
                field: "Content-Encoding",
                message: format!("`{other}` is not supported; send gzip or an uncompressed body"),
            })
        }
    };
    Ok(state.service.ingestor().ingest_otlp(&bytes, format, grant.tenant.as_deref(), time::now_ms()).await?)
}

/// Inflates a gzip body, refusing one that inflates past `limit` (a gzip
/// bomb costs at most `limit` bytes of memory).
fn gunzip(bytes: &[u8], limit: usize) -> Result<Vec<u8>, ApiError> {
    inflate(flate2::read::GzDecoder::new(bytes), limit)
}

/// Reads at most `limit + 1` bytes of `inflated`: one more means too large.
fn inflate(inflated: impl Read, limit: usize) -> Result<Vec<u8>, ApiError> {
    let mut out = Vec::new();
    let read = inflated.take(limit as u64 + 1).read_to_end(&mut out);
    match read {
        Ok(n) if n > limit => Err(ApiError::PayloadTooLarge(limit)),
        Ok(_) => Ok(out),
        Err(e) => Err(ApiError::Ingest(IngestError::malformed(format!("the gzip body does not inflate: {e}"), vec![]))),
    }
}

fn encoded(status: StatusCode, body: Vec<u8>, format: OtlpFormat) -> Response {
    (status, [(header::CONTENT_TYPE, HeaderValue::from_static(format.content_type()))], body).into_response()
}

/// The REST refusal (status, message, `Retry-After`) as the
/// `google.rpc.Status` OTLP clients expect.
fn refusal(e: ApiError, format: OtlpFormat) -> Response {
    let mut message = e.public_message();
    for item in e.items() {
        message.push_str(&format!("; span {}: `{}` {}", item.index, item.field, item.message));
    }
    let status = e.status();
    let mut resp = encoded(status, otlp::encode_status(status.as_u16(), message, format), format);
    if let Some(secs) = e.retry_after() {
        resp.headers_mut().insert(header::RETRY_AFTER, secs.into());
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Zeros up to `left`, then a failure if read any further.
    struct Bomb {
        left: usize,
    }

    impl Read for Bomb {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            assert!(self.left > 0, "read past the cap");
            let n = buf.len().min(self.left);
            buf[..n].fill(0);
            self.left -= n;
            Ok(n)
        }
    }

    #[test]
    fn inflating_stops_one_byte_past_the_limit() {
        assert!(matches!(inflate(Bomb { left: 1025 }, 1024), Err(ApiError::PayloadTooLarge(1024))));
        assert_eq!(inflate(&[1u8; 10][..], 1024).unwrap().len(), 10);
        assert_eq!(inflate(&[1u8; 1024][..], 1024).unwrap().len(), 1024);
    }
}
