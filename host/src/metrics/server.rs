//! The metrics endpoint: `GET /metrics` (Prometheus text format), `/healthz` (200 while the
//! process answers) and `/readyz` (200 while the run takes input, 503 before and while it
//! stops), served on its own thread so a scrape never waits for the pipeline.

use std::net::SocketAddr;
use std::sync::Arc;
use std::thread::JoinHandle;

use anyhow::Context;

use super::Metrics;

/// The endpoint while it runs; dropping it stops it.
pub struct Server {
    server: Arc<tiny_http::Server>,
    thread: Option<JoinHandle<()>>,
    pub address: SocketAddr,
}

impl Server {
    /// Listens on `listen` and answers from `metrics`.
    ///
    /// # Errors
    /// The address cannot be bound (in use, or not this host's).
    pub fn start(listen: SocketAddr, metrics: Arc<Metrics>) -> anyhow::Result<Self> {
        let server = Arc::new(
            tiny_http::Server::http(listen)
                .map_err(|e| anyhow::anyhow!("{e}"))
                .with_context(|| format!("metrics: cannot listen on {listen}"))?,
        );
        let address = server.server_addr().to_ip().unwrap_or(listen);
        let serving = server.clone();
        let thread = std::thread::Builder::new()
            .name("metrics".into())
            .spawn(move || {
                for request in serving.incoming_requests() {
                    answer(request, &metrics);
                }
            })
            .context("starting the metrics thread")?;
        Ok(Server { server, thread: Some(thread), address })
    }
}

fn answer(request: tiny_http::Request, metrics: &Metrics) {
    let path = request.url().split('?').next().unwrap_or_default().to_string();
    let get = matches!(request.method(), tiny_http::Method::Get | tiny_http::Method::Head);
    let (status, body, kind) = match (get, path.as_str()) {
        (true, "/metrics") => (200, metrics.render(), "text/plain; version=0.0.4; charset=utf-8"),
        (true, "/healthz") => (200, "ok\n".to_string(), "text/plain"),
        (true, "/readyz") if metrics.is_ready() => (200, "ready\n".to_string(), "text/plain"),
        (true, "/readyz") => (503, "not ready\n".to_string(), "text/plain"),
        (false, "/metrics" | "/healthz" | "/readyz") => (405, "only GET\n".to_string(), "text/plain"),
        _ => (404, "not found: /metrics, /healthz and /readyz are served\n".to_string(), "text/plain"),
    };
    let header = tiny_http::Header::from_bytes("Content-Type", kind).expect("a valid header");
    let response = tiny_http::Response::from_string(body).with_status_code(status).with_header(header);
    if let Err(error) = request.respond(response) {
        tracing::debug!(%error, "metrics: the client went away");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.server.unblock();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
