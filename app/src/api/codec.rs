//! One JSON reader for everything the browser receives: server function
//! answers, the data a resource carries from the server's render into
//! hydration, and the live stream's events.
//!
//! Why: serde_json's deserializer is generic over its input, and Leptos
//! reads server function answers from bytes (`from_slice`) but resources
//! from a string (`from_str`, through `JsonSerdeCodec`). Every type that
//! arrives both ways was compiled twice into the WASM the first page loads.
//! Resources made here decode the string's bytes, the same instantiation
//! the server functions use. The wire format is unchanged.

use leptos::prelude::Resource;
use leptos::server::codee::{Decoder, Encoder};
use serde::{de::DeserializeOwned, Serialize};
use std::future::Future;

/// JSON, read from bytes.
pub struct Json;

impl<T: Serialize> Encoder<T> for Json {
    type Error = serde_json::Error;
    type Encoded = String;

    fn encode(val: &T) -> Result<String, serde_json::Error> {
        serde_json::to_string(val)
    }
}

impl<T: DeserializeOwned> Decoder<T> for Json {
    type Error = serde_json::Error;
    type Encoded = str;

    fn decode(val: &str) -> Result<T, serde_json::Error> {
        decode(val)
    }
}

/// Reads `T` from JSON text.
pub fn decode<T: DeserializeOwned>(text: &str) -> Result<T, serde_json::Error> {
    serde_json::from_slice(text.as_bytes())
}

/// A resource whose server-rendered value hydrates through [`Json`]
/// (`Resource::new`, but without a second JSON reader). A blocking one is
/// `Resource::<_, Json>::new_with_options(source, fetcher, true)`.
#[track_caller]
pub fn resource<T, S, Fut>(
    source: impl Fn() -> S + Send + Sync + 'static,
    fetcher: impl Fn(S) -> Fut + Send + Sync + 'static,
) -> Resource<T, Json>
where
    T: Serialize + DeserializeOwned + Send + Sync + 'static,
    S: PartialEq + Clone + Send + Sync + 'static,
    Fut: Future<Output = T> + Send + 'static,
{
    Resource::new_with_options(source, fetcher, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_it_writes_and_names_what_is_wrong() {
        let text = <Json as Encoder<Vec<(String, i64)>>>::encode(&vec![("é\"x".into(), -3)]).unwrap();
        assert_eq!(text, r#"[["é\"x",-3]]"#);
        let back: Vec<(String, i64)> = <Json as Decoder<_>>::decode(&text).unwrap();
        assert_eq!(back, vec![("é\"x".to_string(), -3)]);
        let err = decode::<Vec<(String, i64)>>(r#"[["a","b"]]"#).unwrap_err();
        assert!(err.to_string().contains("invalid type"), "{err}");
    }
}
