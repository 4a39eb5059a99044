//! Batched UDP (`UdpBatch`, `send_batch`, `recv_batch`): many datagrams per call, GSO trains
//! and GRO, packet info and ECN both ways, truncation, bad input, readiness, allocations.
//! Every test runs on both paths: the batch calls (`sendmmsg`/`recvmmsg` where the system has
//! them) and the loop of one `sendmsg`/`recvmsg` per datagram that other systems take
//! (forced with `disable_batch_calls`; on Windows the batch path is a loop of `WSASendMsg`/
//! `WSARecvMsg`, the other a loop of `sendto`/`recvfrom`). Built with `--cfg ferrio_udp_plain`
//! (a step of .ci/run, on both backends), Linux takes the path of the other Unix systems: no
//! batch calls, offloads or metadata. With `--cfg ferrio_no_msghdr` as well, it takes the
//! path of the systems without `recvmsg` (Horizon, Hermit, WASI preview 2): one `sendto` per
//! datagram, one `recvfrom` per receive call.
//! Loopback only.
#![cfg(all(feature = "net", feature = "os-poll"))]
#![cfg(not(miri))]
// Some targets' clippy asks for a `const` thread-local initialiser that is already there.
#![allow(clippy::missing_const_for_thread_local)]
// The systems where the batch API exists (build.rs).
#![cfg(ferrio_udp_batch)]

mod net_common;
mod udp_batch_pair;
mod util;
/// `UdpBatch::without_metadata`.
#[path = "net_udp_batch/without_metadata.rs"]
mod without_metadata;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::io::{self, IoSliceMut};
#[cfg(any(ferrio_udp_pktinfo_v4, ferrio_udp_srcaddr_v4))]
use std::net::IpAddr;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};

use ferrio::net::{
    recv_batch, send_batch, EcnCodepoint, RecvMeta, Transmit, UdpBatch, UdpSocket,
    MAX_GSO_SEGMENTS, MAX_TRANSMIT_LEN,
};
use ferrio::Interest;
use net_common::{any_local, pattern, would_block};
// (`state`, `loopback_v6` and `util::until_ready` are named by path where used: only tests
// of some systems use them.)
use udp_batch_pair::{loopbacks, paths_and_loopbacks, segments, Pair, Path, PATHS, RX};
use util::{expect_events, Expect};

#[test]
#[cfg_attr(
    target_os = "wasi",
    ignore = "under wasmtime 48 a socket that has made about 128 calls without the program \
              blocking refuses sends (EWOULDBLOCK) and is never reported writable again"
)]
fn many_datagrams_each_way_with_addresses() {
    for (path, addr) in paths_and_loopbacks() {
        let mut p = Pair::new(addr, path);
        let to = p.to();
        let payloads: Vec<Vec<u8>> = (0..100u64)
            .map(|i| {
                (0..(i as usize % 50) + 1)
                    .map(|k| pattern(i, k as u64))
                    .collect()
            })
            .collect();
        let transmits: Vec<Transmit<'_>> = payloads.iter().map(|d| Transmit::new(to, d)).collect();
        p.send_all(&transmits);
        let got = p.recv(100, 2048);
        assert_eq!(got.len(), 100, "{path:?}");
        for ((m, bytes), sent) in got.iter().zip(&payloads) {
            assert_eq!(bytes, sent, "{path:?}");
            assert_eq!(m.addr, p.tx.local_addr().unwrap());
            assert_eq!(m.stride, m.len);
            assert!(!m.truncated);
            assert_eq!(m.ecn, None);
            if p.rx_state.carries_metadata() {
                assert_eq!(m.dst_ip, Some(to.ip()));
                assert!(m.interface.is_some_and(|i| i > 0), "{m:?}");
            }
        }
        p.assert_empty();
    }
}

#[test]
fn one_call_sends_up_to_a_batch() {
    for path in PATHS {
        let p = Pair::new(any_local(), path);
        let data = [1u8; 10];
        let transmits = vec![Transmit::new(p.to(), &data); 200];
        let n = p.tx.send_batch(&p.tx_state, &transmits).unwrap();
        // One call takes up to 64 messages (on every path: the loop stops at the same
        // point, so both report alike). Under wasmtime 48 the loop may stop earlier, at a
        // refused send (a short count, as after a full buffer; see
        // `many_datagrams_each_way_with_addresses`).
        if cfg!(target_os = "wasi") {
            assert!((1..=64).contains(&n), "{path:?} {n}");
        } else {
            assert_eq!(n, 64, "{path:?}");
        }
    }
}

#[test]
fn empty_datagrams() {
    for path in PATHS {
        let mut p = Pair::new(any_local(), path);
        let to = p.to();
        p.send_all(&[Transmit::new(to, &[]), Transmit::new(to, b"x")]);
        let got = p.recv(2, 64);
        assert_eq!(got[0].0.len, 0);
        assert_eq!(got[1].1, b"x");
    }
}

/// Two sockets `connect`ed to each other send to the peer (named as the destination) and
/// receive from it, both ways; a third socket's datagram is not delivered to them. (Where the
/// system refuses a destination on a connected socket, WASI here, send_batch sends without.)
#[test]
fn connected_sockets_both_ways() {
    for (path, addr) in paths_and_loopbacks() {
        let mut p = Pair::new(addr, path);
        p.tx.connect(p.to()).unwrap();
        p.rx.connect(p.from()).unwrap();
        for _direction in 0..2 {
            let (from, to) = (p.from(), p.to());
            assert_eq!(p.tx.peer_addr().unwrap(), to);
            // Sent first: if the connection let it through, it would be received first.
            let stranger = std::net::UdpSocket::bind(addr).unwrap();
            assert_eq!(stranger.send_to(b"stranger", to).unwrap(), 8);
            let payloads: Vec<[u8; 3]> = (0..10u8).map(|i| [i; 3]).collect();
            let transmits: Vec<Transmit<'_>> =
                payloads.iter().map(|d| Transmit::new(to, d)).collect();
            p.send_all(&transmits);
            let got = p.recv(10, 64);
            assert_eq!(got.len(), 10, "{path:?} {addr}");
            for ((m, bytes), sent) in got.iter().zip(&payloads) {
                assert_eq!(bytes, sent, "{path:?} {addr}");
                assert_eq!(m.addr, from, "{path:?} {addr}");
            }
            p.assert_empty();
            p.reverse();
        }
    }
}

#[test]
fn ecn_both_ways() {
    for addr in loopbacks() {
        for path in PATHS {
            let mut p = Pair::new(addr, path);
            if !p.tx_state.carries_metadata() {
                continue;
            }
            let to = p.to();
            let marks = [
                Some(EcnCodepoint::Ect0),
                Some(EcnCodepoint::Ect1),
                Some(EcnCodepoint::Ce),
                None,
            ];
            let transmits: Vec<Transmit<'_>> = marks
                .iter()
                .map(|&ecn| Transmit {
                    ecn,
                    ..Transmit::new(to, b"ecn")
                })
                .collect();
            p.send_all(&transmits);
            let got: Vec<_> = p.recv(4, 64).iter().map(|(m, _)| m.ecn).collect();
            assert_eq!(got, marks, "{addr} {path:?}");
        }
    }
}

/// A datagram sent from a chosen local address arrives from it, and the receiver learns the
/// address it was sent to. The sender is bound to the wildcard address, as the BSDs'
/// `IP_SENDSRCADDR` wants it.
#[cfg(any(ferrio_udp_pktinfo_v4, ferrio_udp_srcaddr_v4))]
#[test]
fn source_and_destination_addresses() {
    for path in PATHS {
        let poll_free_tx = std::net::UdpSocket::bind("0.0.0.0:0").unwrap();
        // Linux gives loopback all of 127.0.0.0/8; most other systems only 127.0.0.1.
        let Ok(rx) = UdpSocket::bind("127.0.0.3:0".parse().unwrap()) else {
            return;
        };
        let (tx_state, rx_state) = (
            UdpBatch::new(&poll_free_tx).unwrap(),
            udp_batch_pair::state(&rx, path),
        );
        if path == Path::Loop {
            tx_state.disable_batch_calls();
        }
        let to = rx.local_addr().unwrap();
        let from: IpAddr = "127.0.0.2".parse().unwrap();
        let t = Transmit {
            src_ip: Some(from),
            ..Transmit::new(to, b"from .2")
        };
        assert_eq!(send_batch(&tx_state, &poll_free_tx, &[t]).unwrap(), 1);
        let mut poll = ferrio::Poll::new().unwrap();
        let mut events = ferrio::Events::with_capacity(4);
        let mut buf = [0u8; 64];
        let mut meta = [RecvMeta::default()];
        let n = util::until_ready(&mut poll, &mut events, || {
            recv_batch(&rx_state, &rx, &mut [IoSliceMut::new(&mut buf)], &mut meta)
        })
        .unwrap();
        assert_eq!(n, 1);
        assert_eq!(meta[0].addr.ip(), from, "{path:?}");
        assert_eq!(meta[0].dst_ip, Some(to.ip()), "{path:?}");
        assert_eq!(&buf[..meta[0].len], b"from .2");
    }
}

/// An IPv6 socket sends to IPv4 destinations (as mapped addresses).
#[cfg(ferrio_udp_ecn_v4)]
#[test]
fn ipv4_destination_from_a_dual_stack_socket() {
    let Some(_) = udp_batch_pair::loopback_v6() else {
        return;
    };
    for path in PATHS {
        // FreeBSD's IPv6 sockets are IPv6-only unless told otherwise.
        let Ok(tx) = UdpSocket::bind("[::ffff:127.0.0.1]:0".parse().unwrap()) else {
            return;
        };
        let mut p = Pair::new(any_local(), path);
        let tx_state = udp_batch_pair::state(&tx, path);
        let to = p.to();
        let t = Transmit {
            ecn: Some(EcnCodepoint::Ect0),
            ..Transmit::new(to, b"mapped")
        };
        assert_eq!(tx.send_batch(&tx_state, &[t]).unwrap(), 1);
        let got = p.recv(1, 64);
        assert_eq!(got[0].1, b"mapped");
        assert_eq!(got[0].0.ecn, Some(EcnCodepoint::Ect0));
    }
}

/// Builds a train of `n` datagrams of `size` bytes (the last `last` bytes long).
fn train_bytes(n: usize, size: usize, last: usize) -> Vec<u8> {
    let len = (n - 1) * size + last;
    (0..len as u64).map(|k| pattern(7, k)).collect()
}

/// The buffers `got` hold the train of `train_bytes(10, 1200, 700)` that is `data`: its bytes
/// in order, and datagrams of 1200 bytes (the last 700) by their stride.
fn assert_train(got: &[(RecvMeta, Vec<u8>)], data: &[u8], context: &str) {
    let mut joined = Vec::new();
    let mut sizes = Vec::new();
    for (m, bytes) in got {
        joined.extend_from_slice(bytes);
        for k in 0..segments(m) {
            sizes.push((m.len - k * m.stride).min(m.stride));
        }
    }
    assert_eq!(joined, data, "{context}");
    let mut expected = vec![1200; 9];
    expected.push(700);
    assert_eq!(sizes, expected, "{context}");
}

/// The datagrams of a train arrive in order with the right bytes, in one buffer (GRO) or
/// several, whatever the sender's and receiver's offloads.
fn train_arrives(addr: SocketAddr, path: Path, gso: bool, gro: bool) {
    let mut p = Pair::new(addr, path);
    if !gso {
        p.tx_state.disable_gso();
        assert_eq!(p.tx_state.max_gso_segments(), 1);
    }
    if !gro {
        p.rx_state.set_gro(&p.rx, false).unwrap();
        assert_eq!(p.rx_state.gro_segments(), 1);
    }
    // Windows leaves receive coalescing (URO) off until asked for; where the stack refuses
    // it (Wine 8, the plain path), the train arrives datagram by datagram.
    #[cfg(windows)]
    if gro && p.rx_state.set_gro(&p.rx, true).is_err() {
        assert_eq!(p.rx_state.gro_segments(), 1);
    }
    let to = p.to();
    let data = train_bytes(10, 1200, 700);
    p.send_all(&[
        Transmit {
            segment_size: Some(1200),
            ..Transmit::new(to, &data)
        },
        Transmit::new(to, b"after"),
    ]);
    let got = p.recv(11, 65536);
    let train = &got[..got.len() - 1];
    if p.rx_state.gro_segments() == 1 {
        assert!(train.iter().all(|(m, _)| m.stride == m.len), "{train:?}");
    }
    assert_train(
        train,
        &data,
        &format!("{addr} {path:?} gso {gso} gro {gro}"),
    );
    assert_eq!(got.last().unwrap().1, b"after", "{addr}");
    p.assert_empty();
}

#[test]
#[cfg_attr(
    target_os = "wasi",
    ignore = "its 16 rounds send 176 datagrams: under wasmtime 48 a socket that has made about \
              128 calls without the program blocking refuses sends (EWOULDBLOCK) and is never \
              reported writable again"
)]
fn trains_with_and_without_offloads() {
    for addr in loopbacks() {
        for path in PATHS {
            for (gso, gro) in [(true, true), (true, false), (false, true), (false, false)] {
                train_arrives(addr, path, gso, gro);
            }
        }
    }
}

/// Where the kernel has GSO and GRO, a train over loopback arrives as one buffer.
#[cfg(ferrio_udp_gso)]
#[test]
fn gso_train_arrives_coalesced() {
    let mut p = Pair::new(any_local(), Path::Batch);
    if p.tx_state.max_gso_segments() == 1 || p.rx_state.gro_segments() == 1 {
        return; // A kernel before 5.0.
    }
    assert_eq!(p.tx_state.max_gso_segments(), MAX_GSO_SEGMENTS);
    let to = p.to();
    let data = train_bytes(20, 1200, 1200);
    p.send_all(&[Transmit {
        segment_size: Some(1200),
        ..Transmit::new(to, &data)
    }]);
    let got = p.recv(20, 65536);
    assert_eq!(
        got.len(),
        1,
        "{:?}",
        got.iter().map(|g| g.0).collect::<Vec<_>>()
    );
    assert_eq!(got[0].0.stride, 1200);
    assert_eq!(got[0].0.len, 24000);
}

/// On Windows the batch path receives with `WSARecvMsg` and packet info (Windows and Wine 8
/// both have them): every datagram reports the address it was sent to and the interface,
/// whether or not ECN marks are carried too; the plain path reports neither.
#[cfg(windows)]
#[test]
fn windows_packet_info_on_receive() {
    for (path, addr) in paths_and_loopbacks() {
        let mut p = Pair::new(addr, path);
        let to = p.to();
        p.send_all(&[Transmit::new(to, b"one"), Transmit::new(to, b"two")]);
        for (m, _) in p.recv(2, 64) {
            if path == Path::Batch {
                assert_eq!(m.dst_ip, Some(to.ip()), "{path:?} {m:?}");
                assert!(m.interface.is_some_and(|i| i > 0), "{path:?} {m:?}");
            } else {
                assert_eq!((m.dst_ip, m.interface), (None, None), "{path:?}");
            }
        }
    }
}

#[test]
fn truncated_datagram_is_flagged() {
    for path in PATHS {
        let mut p = Pair::new(any_local(), path);
        p.rx_state.set_gro(&p.rx, false).unwrap();
        let to = p.to();
        p.send_all(&[Transmit::new(to, &[5u8; 100]), Transmit::new(to, b"short")]);
        let got = p.recv(2, 10);
        // Without recvmsg (Horizon, Hermit, WASI; `--cfg ferrio_no_msghdr` on Linux) the
        // system does not say: the datagram fills the buffer, as documented.
        assert_eq!(got[0].0.truncated, cfg!(not(ferrio_no_msghdr)), "{path:?}");
        assert_eq!(got[0].0.len, 10);
        assert!(!got[1].0.truncated);
        assert_eq!(got[1].1, b"short");
    }
}

#[test]
fn bad_input_is_refused_and_nothing_is_sent() {
    for path in PATHS {
        let p = Pair::new(any_local(), path);
        let to = p.to();
        let big = vec![0u8; MAX_TRANSMIT_LEN + 1];
        let long_train = vec![0u8; MAX_GSO_SEGMENTS + 1];
        let ok = Transmit::new(to, b"fine");
        let cases: Vec<Vec<Transmit<'_>>> = vec![
            vec![],
            vec![
                ok,
                Transmit {
                    segment_size: Some(0),
                    ..ok
                },
            ],
            vec![ok, Transmit::new(to, &big)],
            vec![
                ok,
                Transmit {
                    segment_size: Some(1),
                    ..Transmit::new(to, &long_train)
                },
            ],
        ];
        for case in &cases {
            let err = p.tx.send_batch(&p.tx_state, case).unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{case:?}");
            let err = send_batch(&p.tx_state, &p.tx, case).unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{case:?}");
        }
        let mut buf = [0u8; 16];
        let err =
            p.rx.recv_batch(&p.rx_state, &mut [IoSliceMut::new(&mut buf)], &mut [])
                .unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        let err = p.rx.recv_batch(&p.rx_state, &mut [], &mut []).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        // Nothing reached the receiver. (A datagram would be there by now: loopback delivers
        // within the send call.)
        p.assert_empty();
    }
}

/// After `WouldBlock` from a batch receive, the next datagram is reported again: on the
/// poll(2) backend this needs the re-arm that every operation does.
#[test]
fn would_block_rearms() {
    for path in PATHS {
        let mut p = Pair::new(any_local(), path);
        let to = p.to();
        for round in 0..3u8 {
            p.assert_empty();
            let data = [round; 3];
            let n =
                p.tx.send_batch(&p.tx_state, &[Transmit::new(to, &data)])
                    .unwrap();
            assert_eq!(n, 1);
            expect_events(
                &mut p.poll,
                &mut p.events,
                &[Expect::new(RX, Interest::READABLE)],
            );
            let mut buf = [0u8; 16];
            let mut meta = [RecvMeta::default(); 2];
            let mut b2 = [0u8; 16];
            let n =
                p.rx.recv_batch(
                    &p.rx_state,
                    &mut [IoSliceMut::new(&mut buf), IoSliceMut::new(&mut b2)],
                    &mut meta,
                )
                .unwrap();
            assert_eq!(n, 1, "{path:?}");
            assert_eq!(&buf[..meta[0].len], &data);
        }
    }
}

/// The free functions work on any socket handle: here std's, with no ferrio socket.
#[test]
#[cfg_attr(
    target_os = "wasi",
    ignore = "std's socket cannot take a read timeout on WASI (ENOPROTOOPT)"
)]
fn free_functions_on_std_sockets() {
    for path in PATHS {
        let a = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let b = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        b.set_read_timeout(Some(util::TIMEOUT)).unwrap();
        let (sa, sb) = (UdpBatch::new(&a).unwrap(), UdpBatch::new(&b).unwrap());
        if path == Path::Loop {
            sa.disable_batch_calls();
            sb.disable_batch_calls();
        }
        let to = b.local_addr().unwrap();
        let n = send_batch(
            &sa,
            &a,
            &[Transmit::new(to, b"one"), Transmit::new(to, b"two")],
        )
        .unwrap();
        assert_eq!(n, 2);
        let mut got = Vec::new();
        while got.len() < 2 {
            let mut bufs = [[0u8; 16]; 4];
            let mut meta = [RecvMeta::default(); 4];
            let [b0, b1, b2, b3] = &mut bufs;
            let mut slices = [
                IoSliceMut::new(b0),
                IoSliceMut::new(b1),
                IoSliceMut::new(b2),
                IoSliceMut::new(b3),
            ];
            // b is blocking (with a timeout): the call waits for the first datagram only.
            let n = recv_batch(&sb, &b, &mut slices, &mut meta).unwrap();
            for (m, buf) in meta[..n].iter().zip(&bufs) {
                got.push(buf[..m.len].to_vec());
            }
        }
        assert_eq!(got, [b"one".to_vec(), b"two".to_vec()], "{path:?}");
    }
}

#[test]
fn capabilities_are_reported() {
    let s = UdpSocket::bind(any_local()).unwrap();
    let state = UdpBatch::new(&s).unwrap();
    assert_eq!(state.batch_calls(), cfg!(ferrio_mmsg));
    #[cfg(not(windows))]
    assert_eq!(state.carries_metadata(), cfg!(ferrio_udp_meta_v4));
    // An IPv6 socket carries its IPv6 datagrams' metadata wherever the system has RFC 3542's
    // messages.
    #[cfg(not(windows))]
    if let Some(addr) = udp_batch_pair::loopback_v6() {
        let s6 = UdpSocket::bind(addr).unwrap();
        let state6 = UdpBatch::new(&s6).unwrap();
        assert_eq!(state6.carries_metadata(), cfg!(ferrio_udp_cmsg_v6));
    }
    // On Windows it depends on the stack (ECN needs Windows 10; Wine 8 has no IP_RECVECN),
    // but the fallback path never carries metadata.
    #[cfg(windows)]
    {
        let plain = UdpBatch::new(&s).unwrap();
        plain.disable_batch_calls();
        assert!(!plain.carries_metadata());
        assert_eq!(plain.max_gso_segments(), 1);
    }
    assert!([1, MAX_GSO_SEGMENTS].contains(&state.max_gso_segments()));
    assert!([1, MAX_GSO_SEGMENTS].contains(&state.gro_segments()));
    state.disable_gso();
    assert_eq!(state.max_gso_segments(), 1);
    let debug = format!("{state:?}");
    assert!(debug.contains("max_gso_segments: 1"), "{debug}");
    // Not a UDP socket of an IP family: refused.
    #[cfg(unix)]
    {
        let (unix, _) = std::os::unix::net::UnixDatagram::pair().unwrap();
        assert!(UdpBatch::new(&unix).is_err());
    }
}

// ---------------------------------------------------------------------------------------------
// No allocation per call
// ---------------------------------------------------------------------------------------------

/// The system allocator, counting the allocations of threads that ask for it.
struct Counting;

thread_local! {
    static COUNTING: Cell<bool> = const { Cell::new(false) };
}
static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every method hands the request unchanged to `System`; the counter is bookkeeping.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if COUNTING.try_with(Cell::get).unwrap_or(false) {
            ALLOCATIONS.fetch_add(1, Ordering::SeqCst);
        }
        // SAFETY: the caller's promises about `layout` are passed on.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System` with `layout`.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Runs `f` and returns how many allocations this thread made meanwhile.
fn allocations(f: impl FnOnce()) -> usize {
    let before = ALLOCATIONS.load(Ordering::SeqCst);
    COUNTING.with(|c| c.set(true));
    f();
    COUNTING.with(|c| c.set(false));
    ALLOCATIONS.load(Ordering::SeqCst) - before
}

#[test]
#[cfg_attr(
    target_os = "wasi",
    ignore = "wasi-libc's recvfrom takes each datagram as a component-model list, which it \
              allocates through the program's allocator"
)]
fn no_allocation_per_call() {
    for path in PATHS {
        let mut p = Pair::new(any_local(), path);
        let to = p.to();
        let data = train_bytes(4, 1000, 1000);
        let transmits = [
            Transmit {
                segment_size: Some(1000),
                ecn: Some(EcnCodepoint::Ect0),
                ..Transmit::new(to, &data)
            },
            Transmit::new(to, b"x"),
        ];
        let mut sent = 0;
        let count = allocations(|| {
            sent = p.tx.send_batch(&p.tx_state, &transmits).unwrap();
        });
        assert_eq!((sent, count), (2, 0), "{path:?}");
        expect_events(
            &mut p.poll,
            &mut p.events,
            &[Expect::new(RX, Interest::READABLE)],
        );
        let mut bufs = [[0u8; 4096]; 8];
        let mut meta = [RecvMeta::default(); 8];
        let mut received = 0;
        while received < 5 {
            let [b0, b1, b2, b3, b4, b5, b6, b7] = &mut bufs;
            let mut slices = [b0, b1, b2, b3, b4, b5, b6, b7].map(|b| IoSliceMut::new(b));
            let mut result = None;
            let count = allocations(|| {
                result = Some(p.rx.recv_batch(&p.rx_state, &mut slices, &mut meta));
            });
            assert_eq!(count, 0, "{path:?}");
            match result.unwrap() {
                Ok(n) => received += meta[..n].iter().map(segments).sum::<usize>(),
                Err(e) if would_block(&e) => {
                    util::poll_retrying(&mut p.poll, &mut p.events, Some(util::QUIET))
                }
                Err(e) => panic!("{e}"),
            }
        }
    }
}
