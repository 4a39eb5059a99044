//! A hyper server and client on tokio on ferrio: a few hundred concurrent requests over
//! HTTP/1 (one connection each) and over one multiplexed HTTP/2 connection, every response
//! checked.

use std::convert::Infallible;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::{TcpListener, TcpStream};

const REQUESTS: usize = 300;
const LIMIT: Duration = Duration::from_secs(60);

async fn echo(req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let path = req.uri().path().to_owned();
    let body = req
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let mut reply = path.into_bytes();
    reply.extend_from_slice(b":");
    reply.extend_from_slice(&body);
    Ok(Response::new(Full::new(Bytes::from(reply))))
}

/// Starts a server that speaks HTTP/1 or HTTP/2 on every accepted connection.
async fn server(http2: bool) -> std::net::SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let (stream, _) = match listener.accept().await {
                Ok(s) => s,
                Err(_) => return,
            };
            tokio::spawn(async move {
                let io = TokioIo::new(stream);
                let service = hyper::service::service_fn(echo);
                if http2 {
                    let _ = hyper::server::conn::http2::Builder::new(TokioExecutor::new())
                        .serve_connection(io, service)
                        .await;
                } else {
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(io, service)
                        .await;
                }
            });
        }
    });
    addr
}

fn request(i: usize) -> Request<Full<Bytes>> {
    Request::post(format!("/r{i}"))
        .body(Full::new(Bytes::from(format!("body{i}"))))
        .unwrap()
}

async fn check(resp: Response<Incoming>, i: usize) {
    assert!(resp.status().is_success());
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(&body[..], format!("/r{i}:body{i}").as_bytes());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn http1_concurrent_round_trips() {
    let addr = server(false).await;
    let tasks: Vec<_> = (0..REQUESTS)
        .map(|i| {
            tokio::spawn(async move {
                let stream = TcpStream::connect(addr).await.unwrap();
                let (mut sender, conn) =
                    hyper::client::conn::http1::handshake(TokioIo::new(stream))
                        .await
                        .unwrap();
                tokio::spawn(conn);
                check(sender.send_request(request(i)).await.unwrap(), i).await;
            })
        })
        .collect();
    tokio::time::timeout(LIMIT, async {
        for t in tasks {
            t.await.unwrap();
        }
    })
    .await
    .expect("HTTP/1 round trips timed out");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn http2_multiplexed_round_trips() {
    let addr = server(true).await;
    let stream = TcpStream::connect(addr).await.unwrap();
    let (sender, conn) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(stream))
            .await
            .unwrap();
    tokio::spawn(conn);
    let tasks: Vec<_> = (0..REQUESTS)
        .map(|i| {
            let mut sender = sender.clone();
            tokio::spawn(async move {
                sender.ready().await.unwrap();
                check(sender.send_request(request(i)).await.unwrap(), i).await;
            })
        })
        .collect();
    tokio::time::timeout(LIMIT, async {
        for t in tasks {
            t.await.unwrap();
        }
    })
    .await
    .expect("HTTP/2 round trips timed out");
}

#[tokio::test(flavor = "current_thread")]
async fn current_thread_runtime_round_trip() {
    let addr = server(false).await;
    let stream = TcpStream::connect(addr).await.unwrap();
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    tokio::spawn(conn);
    for i in 0..50 {
        let resp = tokio::time::timeout(LIMIT, sender.send_request(request(i)))
            .await
            .unwrap()
            .unwrap();
        check(resp, i).await;
    }
}
