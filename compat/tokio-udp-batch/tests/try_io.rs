//! ferrio's batch calls on tokio's `UdpSocket`, inside `try_io`: tokio keeps its own readiness
//! and ferrio does the I/O. A burst of datagrams and a GSO train go one way in few calls, and
//! the receiver gets every datagram, with its metadata, in few calls.

use std::io::{self, IoSliceMut};
use std::time::Duration;

// `mio` is ferrio here (compat/mio through [patch.crates-io]): the batch API is ferrio's.
use mio::net::{recv_batch, send_batch, RecvMeta, Transmit, UdpBatch};
use tokio::io::Interest;
use tokio::net::UdpSocket;

const LIMIT: Duration = Duration::from_secs(30);

/// Sends every transmit, waiting for writability between calls; returns the number of calls.
async fn send_all(socket: &UdpSocket, state: &UdpBatch, transmits: &[Transmit<'_>]) -> usize {
    let (mut done, mut calls) = (0, 0);
    while done < transmits.len() {
        socket.writable().await.unwrap();
        match socket.try_io(Interest::WRITABLE, || {
            send_batch(state, socket, &transmits[done..])
        }) {
            Ok(n) => {
                done += n;
                calls += 1;
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(e) => panic!("send_batch: {e}"),
        }
    }
    calls
}

/// Receives until `want` datagrams (a GRO train counted by its stride) have arrived; returns
/// the bytes of each datagram in order and the number of successful calls.
async fn recv_all(socket: &UdpSocket, state: &UdpBatch, want: usize) -> (Vec<Vec<u8>>, usize) {
    let mut bufs = vec![vec![0u8; 65536]; 16];
    let mut meta = [RecvMeta::default(); 16];
    let (mut datagrams, mut calls) = (Vec::new(), 0);
    while datagrams.len() < want {
        socket.readable().await.unwrap();
        let mut slices: Vec<IoSliceMut<'_>> = bufs.iter_mut().map(|b| IoSliceMut::new(b)).collect();
        let result = socket.try_io(Interest::READABLE, || {
            recv_batch(state, socket, &mut slices, &mut meta)
        });
        drop(slices);
        match result {
            Ok(n) => {
                calls += 1;
                for (m, buf) in meta[..n].iter().zip(&bufs) {
                    assert!(!m.truncated);
                    assert_eq!(m.addr.ip().to_string(), "127.0.0.1");
                    for chunk in buf[..m.len].chunks(m.stride.max(1)) {
                        datagrams.push(chunk.to_vec());
                    }
                }
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(e) => panic!("recv_batch: {e}"),
        }
    }
    assert_eq!(datagrams.len(), want);
    (datagrams, calls)
}

#[tokio::test]
async fn batched_udp_through_try_io() {
    tokio::time::timeout(LIMIT, async {
        let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let (sa, sb) = (UdpBatch::new(&a).unwrap(), UdpBatch::new(&b).unwrap());
        let to = b.local_addr().unwrap();

        let small: Vec<Vec<u8>> = (0..40u8).map(|i| vec![i; 1 + i as usize]).collect();
        let train: Vec<u8> = (0..8 * 1200).map(|k| (k / 1200) as u8).collect();
        let mut transmits: Vec<Transmit<'_>> = small.iter().map(|d| Transmit::new(to, d)).collect();
        transmits.push(Transmit {
            segment_size: Some(1200),
            ..Transmit::new(to, &train)
        });
        let receiver = async { recv_all(&b, &sb, 48).await };
        let sender = async { send_all(&a, &sa, &transmits).await };
        let ((datagrams, recv_calls), send_calls) = tokio::join!(receiver, sender);

        for (got, sent) in datagrams.iter().zip(&small) {
            assert_eq!(got, sent);
        }
        for (k, got) in datagrams[40..].iter().enumerate() {
            assert_eq!(got, &vec![k as u8; 1200]);
        }
        // Where the system batches (Linux), all of it went in one send call.
        if sa.batch_calls() {
            assert_eq!(send_calls, 1);
            assert!(
                recv_calls < 48,
                "{recv_calls} receive calls for 48 datagrams"
            );
        }
    })
    .await
    .expect("timed out");
}
