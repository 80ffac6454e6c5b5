//! Where simulated events go: a Flowmeter's `POST /api/events`, or this
//! process's ingest pipeline directly (the demo's in-process simulator,
//! which needs no key and still runs every event through validation).

use super::SimError;
use domain::time;
use pipeline::ingest::Ingestor;
use serde_json::Value;

#[derive(Clone)]
pub enum Sink {
    Http { client: reqwest::Client, url: String, api_key: String },
    InProcess(Ingestor),
}

impl Sink {
    pub fn http(base_url: &str, api_key: &str) -> Result<Sink, SimError> {
        let client = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(30))
            .build()
            .map_err(|e| SimError::Send(e.to_string()))?;
        Ok(Sink::Http {
            client,
            url: format!("{}/api/events", base_url.trim_end_matches('/')),
            api_key: api_key.to_string(),
        })
    }

    pub async fn send(&self, event: Value) -> Result<(), SimError> {
        match self {
            Sink::Http { client, url, api_key } => {
                let resp = client
                    .post(url)
                    .header("x-api-key", api_key)
                    .json(&event)
                    .send()
                    .await
                    .map_err(|e| SimError::Send(e.to_string()))?;
                if !resp.status().is_success() {
                    let status = resp.status();
                    let body = resp.text().await.unwrap_or_default();
                    return Err(SimError::Send(format!("{status}: {body}")));
                }
                Ok(())
            }
            Sink::InProcess(ingestor) => ingestor
                .ingest_values(vec![event], None, time::now_ms())
                .await
                .map(drop)
                .map_err(|e| SimError::Send(e.to_string())),
        }
    }
}
