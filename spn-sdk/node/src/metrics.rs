//! Count what the node does and serve it in Prometheus text format on `/metrics`.

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::{counter::Counter, gauge::Gauge};
use prometheus_client::registry::Registry;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tracing::debug;

/// The node's metrics.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    /// Blocks committed.
    pub blocks: Counter,
    /// Transactions committed.
    pub transactions: Counter,
    /// Gas used by committed blocks.
    pub gas: Counter,
    /// Latest committed block number.
    pub head: Gauge,
    /// Transactions in the pool.
    pub pool_size: Gauge,
    /// Transactions rejected at submission.
    pub rejected: Counter,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("pharos");
        let m = Self {
            blocks: Counter::default(),
            transactions: Counter::default(),
            gas: Counter::default(),
            head: Gauge::default(),
            pool_size: Gauge::default(),
            rejected: Counter::default(),
            registry: Registry::default(),
        };
        registry.register("blocks", "Blocks committed", m.blocks.clone());
        registry.register(
            "transactions",
            "Transactions committed",
            m.transactions.clone(),
        );
        registry.register("gas", "Gas used by committed blocks", m.gas.clone());
        registry.register(
            "head_block",
            "Latest committed block number",
            m.head.clone(),
        );
        registry.register(
            "txpool_size",
            "Transactions in the pool",
            m.pool_size.clone(),
        );
        registry.register(
            "txpool_rejected",
            "Transactions rejected at submission",
            m.rejected.clone(),
        );
        Self { registry, ..m }
    }
}

impl Metrics {
    /// The metrics in Prometheus text format.
    pub fn render(&self) -> String {
        let mut out = String::new();
        if encode(&mut out, &self.registry).is_err() {
            out.clear();
        }
        out
    }

    /// Serves `GET /metrics` on `addr` until the runtime stops; returns the bound address.
    pub async fn serve(self: Arc<Self>, addr: SocketAddr) -> std::io::Result<SocketAddr> {
        serve_metrics(addr, Arc::new(move || self.render())).await
    }
}

/// Serves `GET /metrics` on `addr` with the text `render` returns (Prometheus text format),
/// until the runtime stops; returns the bound address.
pub async fn serve_metrics(
    addr: SocketAddr,
    render: Arc<dyn Fn() -> String + Send + Sync>,
) -> std::io::Result<SocketAddr> {
    let listener = TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let render = render.clone();
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let n = match socket.read(&mut buf).await {
                    Ok(n) => n,
                    Err(_) => return,
                };
                let request = String::from_utf8_lossy(&buf[..n]);
                let (status, body) = if request.starts_with("GET /metrics") {
                    ("200 OK", render())
                } else {
                    ("404 Not Found", "not found: try GET /metrics\n".to_string())
                };
                let response = format!(
                    "HTTP/1.1 {status}\r\ncontent-type: text/plain; version=0.0.4\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                if let Err(e) = socket.write_all(response.as_bytes()).await {
                    debug!(%e, "metrics response failed");
                }
            });
        }
    });
    Ok(bound)
}
