//! The accept loop: the router on HTTP/1.1 connections of our own, because
//! `axum::serve` gives hyper no timer and so no deadline for a request's
//! headers — a client trickling them a byte at a time would hold its
//! connection for ever. Here headers must arrive within the request
//! deadline; the body's own deadline is [`super::deadline`]'s. Each
//! request carries its peer's address (`ConnectInfo`), and stopping lets
//! open requests finish.

use axum::extract::ConnectInfo;
use axum::Router;
use hyper::server::conn::http1::Builder;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use std::future::Future;
use std::time::Duration;
use tokio::net::TcpListener;
use tower::ServiceExt;

/// Serves `router` on `listener` until `stop` resolves, then waits for the
/// open connections to finish their requests.
pub async fn serve(listener: TcpListener, router: Router, header_deadline: Duration, stop: impl Future<Output = ()>) {
    let mut builder = Builder::new();
    builder.timer(TokioTimer::new()).header_read_timeout(header_deadline);
    let graceful = GracefulShutdown::new();
    tokio::pin!(stop);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(conn) => conn,
                Err(e) => {
                    // Out of file descriptors, say: wait, rather than spin.
                    tracing::warn!(error = %e, "Accepting a connection failed.");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut stop => break,
        };
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        let service =
            TowerToHyperService::new(tower::service_fn(move |mut req: http::Request<hyper::body::Incoming>| {
                req.extensions_mut().insert(ConnectInfo(peer));
                router.clone().oneshot(req)
            }));
        let conn = builder.serve_connection(TokioIo::new(stream), service);
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, %peer, "Connection ended with an error.");
            }
        });
    }
    drop(listener);
    graceful.shutdown().await;
}
