//! OTLP/HTTP traces in: an `ExportTraceServiceRequest` in protobuf or
//! OTLP/JSON becomes native event items ([`map`]), which then take the
//! native path — validate, price, group commit — so a request is stored
//! whole or not at all, and acknowledged only once committed.
//!
//! ```text
//! body ─► decode (protobuf | JSON) ─► map spans ─► validate ─► price ─► writer
//! ```

pub mod map;

use super::error::{IngestError, ItemError};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTracePartialSuccess, ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use prost::Message;

/// How an OTLP body is encoded; the answer is encoded the same way.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OtlpFormat {
    /// `application/x-protobuf`.
    Protobuf,
    /// `application/json` (OTLP/JSON: hex ids, int64 as strings).
    Json,
}

impl OtlpFormat {
    pub const ACCEPTED: &'static str = "application/x-protobuf or application/json";

    /// Picks the format from the `Content-Type` header; OTLP has no default.
    pub fn from_content_type(ct: Option<&str>) -> Result<OtlpFormat, IngestError> {
        let mime = super::parse::media_type(ct);
        match mime.as_str() {
            "application/x-protobuf" | "application/protobuf" => Ok(OtlpFormat::Protobuf),
            "application/json" => Ok(OtlpFormat::Json),
            _ => Err(IngestError::UnsupportedMediaType { got: mime, accepted: OtlpFormat::ACCEPTED }),
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            OtlpFormat::Protobuf => "application/x-protobuf",
            OtlpFormat::Json => "application/json",
        }
    }
}

/// Decodes a request body (already decompressed).
pub fn decode(body: &[u8], format: OtlpFormat) -> Result<ExportTraceServiceRequest, IngestError> {
    let decoded = match format {
        OtlpFormat::Protobuf => ExportTraceServiceRequest::decode(body).map_err(|e| e.to_string()),
        OtlpFormat::Json => serde_json::from_slice(body).map_err(|e| e.to_string()),
    };
    decoded
        .map_err(|e| IngestError::malformed(format!("the body is not an OTLP ExportTraceServiceRequest: {e}"), vec![]))
}

/// What an OTLP request stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OtlpAck {
    /// Ids of the stored events, one per stage span.
    pub ids: Vec<i64>,
    /// Spans that were not pipeline stages (no GenAI attributes).
    pub skipped: usize,
}

impl OtlpAck {
    /// The OTLP answer: `partial_success` names the skipped spans.
    pub fn response(&self) -> ExportTraceServiceResponse {
        let partial_success = (self.skipped > 0).then(|| ExportTracePartialSuccess {
            rejected_spans: self.skipped as i64,
            error_message: format!(
                "{} span(s) carried no gen_ai.*, llm.*, openinference.* or flowmeter.* attribute and were not stored as pipeline stages",
                self.skipped
            ),
        });
        ExportTraceServiceResponse { partial_success }
    }
}

/// Encodes an answer the way its request was encoded.
pub fn encode(resp: &ExportTraceServiceResponse, format: OtlpFormat) -> Vec<u8> {
    match format {
        OtlpFormat::Protobuf => resp.encode_to_vec(),
        // `{}` rather than `{"partialSuccess":null}`: an absent field.
        OtlpFormat::Json if resp.partial_success.is_none() => b"{}".to_vec(),
        OtlpFormat::Json => serde_json::to_vec(resp).unwrap_or_else(|_| b"{}".to_vec()),
    }
}

/// A refusal as OTLP clients read it: a `google.rpc.Status`.
#[derive(Clone, PartialEq, prost::Message, serde::Serialize)]
pub struct RpcStatus {
    #[prost(int32, tag = "1")]
    pub code: i32,
    #[prost(string, tag = "2")]
    pub message: String,
}

/// Encodes a refusal with HTTP status `http` the way its request was
/// encoded; the gRPC code is the one OTLP pairs with that status.
pub fn encode_status(http: u16, message: String, format: OtlpFormat) -> Vec<u8> {
    let code = match http {
        400 | 413 | 415 => 3, // INVALID_ARGUMENT
        401 => 16,            // UNAUTHENTICATED
        403 => 7,             // PERMISSION_DENIED
        429 => 8,             // RESOURCE_EXHAUSTED
        503 => 14,            // UNAVAILABLE
        _ => 13,              // INTERNAL
    };
    let status = RpcStatus { code, message };
    match format {
        OtlpFormat::Protobuf => status.encode_to_vec(),
        OtlpFormat::Json => serde_json::to_vec(&status).unwrap_or_else(|_| b"{}".to_vec()),
    }
}

/// Items that failed validation, renamed to the OTLP paths they came from.
pub(super) fn rename_errors(items: &[map::Item], errors: Vec<ItemError>) -> Vec<ItemError> {
    errors
        .into_iter()
        .map(|e| match items.get(e.index) {
            Some(item) => ItemError::new(item.index, item.path_of(&e.field), e.message),
            None => e,
        })
        .collect()
}
