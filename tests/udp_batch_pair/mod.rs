//! The sockets of tests/net_udp_batch.rs: a pair of registered UDP sockets with their batch
//! states, sending and receiving whole bursts with bounded waits, on either path.
#![allow(dead_code)]

use std::io::IoSliceMut;
use std::net::SocketAddr;
use std::time::Instant;

use ferrio::net::{RecvMeta, Transmit, UdpBatch, UdpSocket};
use ferrio::{Events, Interest, Poll, Token};

use crate::net_common::{any_local, would_block};
use crate::util::{self, until_ready, Expect};

/// The receiver's token (the sender's is [`TX`]).
pub const RX: Token = Token(1);
/// The sender's token.
pub const TX: Token = Token(2);

/// Which path the calls take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Path {
    /// `sendmmsg`/`recvmmsg` where the system has them.
    Batch,
    /// One `sendmsg`/`recvmsg` per datagram.
    Loop,
}

pub const PATHS: [Path; 2] = [Path::Batch, Path::Loop];

/// A batch state for `socket` that takes `path`.
pub fn state(socket: &UdpSocket, path: Path) -> UdpBatch {
    on_path(UdpBatch::new(socket).unwrap(), path)
}

/// `state`, made to take `path`.
pub fn on_path(state: UdpBatch, path: Path) -> UdpBatch {
    if path == Path::Loop {
        state.disable_batch_calls();
        assert!(!state.batch_calls());
    }
    state
}

/// A sender and a receiver on `addr` (port 0), with their states, both registered for both
/// directions (the receiver under [`RX`], the sender under [`TX`]; [`Pair::reverse`] swaps
/// the roles, tokens included).
pub struct Pair {
    pub poll: Poll,
    pub events: Events,
    pub tx: UdpSocket,
    pub rx: UdpSocket,
    pub tx_state: UdpBatch,
    pub rx_state: UdpBatch,
    /// The token of `tx` (`rx` has the other one).
    pub tx_token: Token,
}

impl Pair {
    pub fn new(addr: SocketAddr, path: Path) -> Pair {
        Pair::with_metadata(addr, path, true, true)
    }

    /// With the sender's and the receiver's states made by `UdpBatch::without_metadata`
    /// unless `tx_metadata` and `rx_metadata` say.
    pub fn with_metadata(
        addr: SocketAddr,
        path: Path,
        tx_metadata: bool,
        rx_metadata: bool,
    ) -> Pair {
        let poll = Poll::new().unwrap();
        let mut tx = UdpSocket::bind(addr).unwrap();
        let mut rx = UdpSocket::bind(addr).unwrap();
        let both = Interest::READABLE | Interest::WRITABLE;
        poll.registry().register(&mut rx, RX, both).unwrap();
        poll.registry().register(&mut tx, TX, both).unwrap();
        let make = |socket: &UdpSocket, metadata: bool| {
            if metadata {
                state(socket, path)
            } else {
                on_path(UdpBatch::without_metadata(socket).unwrap(), path)
            }
        };
        let (tx_state, rx_state) = (make(&tx, tx_metadata), make(&rx, rx_metadata));
        Pair {
            poll,
            events: Events::with_capacity(16),
            tx,
            rx,
            tx_state,
            rx_state,
            tx_token: TX,
        }
    }

    /// The receiver's address.
    pub fn to(&self) -> SocketAddr {
        self.rx.local_addr().unwrap()
    }

    /// The sender's address.
    pub fn from(&self) -> SocketAddr {
        self.tx.local_addr().unwrap()
    }

    /// Swaps the sender and the receiver.
    pub fn reverse(&mut self) {
        std::mem::swap(&mut self.tx, &mut self.rx);
        std::mem::swap(&mut self.tx_state, &mut self.rx_state);
        self.tx_token = if self.tx_token == TX { RX } else { TX };
    }

    /// Sends all of `transmits`, call after call. On `WouldBlock` (a full send buffer, or a
    /// runtime's own limit, as under wasmtime) it waits until the sender is reported
    /// writable, as a program must, and sends the rest; it panics if that takes longer than
    /// [`util::TIMEOUT`] (as it does under wasmtime 48: see the tests ignored on WASI).
    #[track_caller]
    pub fn send_all(&mut self, transmits: &[Transmit<'_>]) {
        let deadline = Instant::now() + util::TIMEOUT;
        let mut done = 0;
        while done < transmits.len() {
            match self.tx.send_batch(&self.tx_state, &transmits[done..]) {
                Ok(n) => {
                    assert!(n > 0 && n <= transmits.len() - done, "{n}");
                    done += n;
                }
                Err(e) if would_block(&e) => {
                    assert!(
                        Instant::now() < deadline,
                        "{done} of {} sent after {:?}",
                        transmits.len(),
                        util::TIMEOUT
                    );
                    let writable = Expect::new(self.tx_token, Interest::WRITABLE);
                    util::expect_events(&mut self.poll, &mut self.events, &[writable]);
                }
                Err(e) => panic!("send_batch: {e:?}"),
            }
        }
    }

    /// Receives until `datagrams` datagrams (trains counted by their stride) have arrived;
    /// returns each buffer's metadata and bytes.
    pub fn recv(&mut self, datagrams: usize, buf_len: usize) -> Vec<(RecvMeta, Vec<u8>)> {
        let mut bufs = vec![vec![0u8; buf_len]; 8];
        let mut meta = [RecvMeta::default(); 8];
        let mut got = Vec::new();
        let mut count = 0;
        while count < datagrams {
            let mut slices: Vec<IoSliceMut<'_>> =
                bufs.iter_mut().map(|b| IoSliceMut::new(b)).collect();
            let (rx, state) = (&self.rx, &self.rx_state);
            let n = until_ready(&mut self.poll, &mut self.events, || {
                rx.recv_batch(state, &mut slices, &mut meta)
            })
            .unwrap();
            assert!((1..=8).contains(&n));
            drop(slices);
            for (m, b) in meta[..n].iter().zip(&bufs) {
                count += segments(m);
                got.push((*m, b[..m.len].to_vec()));
            }
        }
        assert_eq!(count, datagrams);
        got
    }

    /// Nothing more is waiting at the receiver.
    pub fn assert_empty(&self) {
        let mut buf = [0u8; 64];
        let mut meta = [RecvMeta::default()];
        let err = self
            .rx
            .recv_batch(&self.rx_state, &mut [IoSliceMut::new(&mut buf)], &mut meta)
            .unwrap_err();
        assert!(would_block(&err), "{err:?}");
    }
}

/// How many datagrams a filled buffer holds.
pub fn segments(m: &RecvMeta) -> usize {
    if m.len == 0 {
        1
    } else {
        (m.len + m.stride - 1) / m.stride
    }
}

/// `[::1]:0` where the host has IPv6.
pub fn loopback_v6() -> Option<SocketAddr> {
    let addr: SocketAddr = "[::1]:0".parse().unwrap();
    std::net::UdpSocket::bind(addr).ok().map(|_| addr)
}

/// `127.0.0.1:0`, and `[::1]:0` where the host has IPv6.
pub fn loopbacks() -> Vec<SocketAddr> {
    let mut addrs = vec![any_local()];
    addrs.extend(loopback_v6());
    addrs
}

/// Every path with every loopback address.
pub fn paths_and_loopbacks() -> impl Iterator<Item = (Path, SocketAddr)> {
    PATHS
        .into_iter()
        .flat_map(|p| loopbacks().into_iter().map(move |a| (p, a)))
}
