//! The OpenAPI description is served, is OpenAPI 3.1, and describes every
//! REST path of the access table (with the rule's method) — and nothing else.

use crate::common;

use app::access::{rules, Kind};
use common::{Backend, TestServer};
use std::collections::BTreeSet;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_rest_route_is_described() {
    let t = TestServer::start(Backend::Sqlite).await;
    let resp = t.client.get(t.url("/api/openapi.json")).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let doc: serde_json::Value = resp.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"), "{}", doc["openapi"]);
    let described: BTreeSet<(String, String)> = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, ops)| ops.as_object().unwrap().keys().map(move |m| (m.to_uppercase(), path.clone())))
        .collect();
    // Access rules are per path (the router holds the methods): the same
    // paths, and each rule's own method among those described.
    let rest: Vec<(String, String)> = rules()
        .iter()
        .filter_map(|r| match r.kind {
            Kind::Rest(method) => Some((method.to_string(), r.path.to_string())),
            _ => None,
        })
        .collect();
    let paths =
        |pairs: &mut dyn Iterator<Item = &(String, String)>| pairs.map(|(_, p)| p.clone()).collect::<BTreeSet<_>>();
    assert_eq!(
        paths(&mut described.iter()),
        paths(&mut rest.iter()),
        "the description and the access table list the same paths"
    );
    for route in &rest {
        assert!(described.contains(route), "{route:?} is described");
    }
    // Every operation says who may call it and what its errors look like.
    for (method, path) in &described {
        let op = &doc["paths"][path][method.to_lowercase()];
        assert!(op["responses"].as_object().is_some_and(|r| !r.is_empty()), "{method} {path}");
    }
    assert!(doc["components"]["schemas"]["ErrorBody"].is_object());
    assert!(doc["components"]["securitySchemes"]["api_key"].is_object());
    t.stop().await;
}
