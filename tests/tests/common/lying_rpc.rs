//! A JSON-RPC proxy that lies: it forwards every request to a real node on 127.0.0.1 and
//! rewrites each answer's text, replacing one string with another (e.g. the hex of a message
//! body), as a compromised or buggy provider would.
#![allow(dead_code)]

use std::net::SocketAddr;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The proxy; stops when dropped.
pub struct LyingRpc {
    /// Its URL.
    pub url: String,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for LyingRpc {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl LyingRpc {
    /// Forwards to `upstream`, replacing `from` by `to` in every answer.
    pub async fn start(upstream: &str, from: &str, to: &str) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr: SocketAddr = listener.local_addr().expect("addr");
        let (upstream, from, to) = (upstream.to_string(), from.to_string(), to.to_string());
        let task = tokio::spawn(async move {
            let client = reqwest::Client::new();
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let (client, upstream, from, to) =
                    (client.clone(), upstream.clone(), from.clone(), to.clone());
                tokio::spawn(async move {
                    let _ = serve(stream, &client, &upstream, &from, &to).await;
                });
            }
        });
        Self {
            url: format!("http://{addr}"),
            task,
        }
    }
}

/// One HTTP/1.1 request (the body by its Content-Length), answered and the connection closed.
async fn serve(
    mut stream: TcpStream,
    client: &reqwest::Client,
    upstream: &str,
    from: &str,
    to: &str,
) -> std::io::Result<()> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let (head_end, length) = loop {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Ok(());
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            let length = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse::<usize>().ok())
                .unwrap_or(0);
            break (end + 4, length);
        }
    };
    while buf.len() < head_end + length {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Ok(());
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let body = buf[head_end..head_end + length].to_vec();
    let answer = match client
        .post(upstream)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
    {
        Ok(r) => r.text().await.unwrap_or_default(),
        Err(_) => String::new(),
    };
    let answer = answer.replace(from, to);
    let response = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
         connection: close\r\n\r\n{answer}",
        answer.len()
    );
    stream.write_all(response.as_bytes()).await?;
    stream.shutdown().await
}
