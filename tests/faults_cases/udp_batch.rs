//! Batched UDP: a GSO train the kernel refuses (`EIO`, `EINVAL`) turns GSO off and goes out
//! datagram by datagram; the other errors of the batch calls reach the caller unchanged, on
//! both paths (`sendmmsg`/`recvmmsg` and the loop of `sendmsg`/`recvmsg`).

use std::io::IoSliceMut;

use ferrio::net::{RecvMeta, Transmit, UdpBatch, UdpSocket};
use ferrio::Interest;

use super::{local, Case, World, SUBJECT};
use crate::util::Expect;

/// A sender, a registered receiver and their states; with `looped`, the loop path.
fn setup(world: &mut World, looped: bool) -> (UdpSocket, UdpSocket, UdpBatch, UdpBatch) {
    let tx = UdpSocket::bind(local()).unwrap();
    let mut rx = UdpSocket::bind(local()).unwrap();
    world
        .registry()
        .register(&mut rx, SUBJECT, Interest::READABLE)
        .unwrap();
    let (ts, rs) = (UdpBatch::new(&tx).unwrap(), UdpBatch::new(&rx).unwrap());
    if looped {
        ts.disable_batch_calls();
        rs.disable_batch_calls();
    }
    (tx, rx, ts, rs)
}

/// Receives until `want` datagrams (trains counted by stride) have arrived.
fn receive(world: &mut World, rx: &UdpSocket, state: &UdpBatch, want: usize) {
    let mut got = 0;
    let mut bufs = vec![[0u8; 65536]; 4];
    while got < want {
        let mut slices: Vec<IoSliceMut<'_>> = bufs.iter_mut().map(|b| IoSliceMut::new(b)).collect();
        let mut meta = [RecvMeta::default(); 4];
        let n = world
            .until_ready(|| rx.recv_batch(state, &mut slices, &mut meta))
            .unwrap();
        got += meta[..n]
            .iter()
            .map(|m| (m.len + m.stride - 1) / m.stride)
            .sum::<usize>();
    }
    assert_eq!(got, want);
}

/// The kernel refuses the train: GSO goes off, the train is resent datagram by datagram.
fn gso_refused(case: &Case) {
    let mut world = World::new();
    let (tx, mut rx, ts, rs) = setup(&mut world, false);
    if ts.max_gso_segments() == 1 {
        // No GSO here: nothing to refuse. (The fault stays unfired: clear it by hand.)
        return;
    }
    let data = [3u8; 4000];
    let train = Transmit {
        segment_size: Some(1000),
        ..Transmit::new(rx.local_addr().unwrap(), &data)
    };
    case.arm();
    assert_eq!(tx.send_batch(&ts, &[train]).unwrap(), 1);
    case.fired();
    assert_eq!(ts.max_gso_segments(), 1);
    receive(&mut world, &rx, &rs, 4);
    world.registry().deregister(&mut rx).unwrap();
    world.check();
}

/// Any other send error reaches the caller, and the next call works.
fn send_fails(case: &Case) {
    let mut world = World::new();
    let (tx, mut rx, ts, rs) = setup(&mut world, case.point == "sendmsg");
    let to = rx.local_addr().unwrap();
    case.arm();
    case.check(tx.send_batch(&ts, &[Transmit::new(to, b"a"), Transmit::new(to, b"b")]));
    assert_eq!(
        ts.max_gso_segments() > 1,
        UdpBatch::new(&tx).unwrap().max_gso_segments() > 1
    );
    assert_eq!(tx.send_batch(&ts, &[Transmit::new(to, b"c")]).unwrap(), 1);
    world.expect(&[Expect::new(SUBJECT, Interest::READABLE)]);
    receive(&mut world, &rx, &rs, 1);
    world.registry().deregister(&mut rx).unwrap();
    world.check();
}

/// A receive error reaches the caller; the datagram stays queued for the next call.
fn recv_fails(case: &Case) {
    let mut world = World::new();
    let (tx, mut rx, ts, rs) = setup(&mut world, case.point == "recvmsg");
    assert_eq!(
        tx.send_batch(&ts, &[Transmit::new(rx.local_addr().unwrap(), b"d")])
            .unwrap(),
        1
    );
    world.expect(&[Expect::new(SUBJECT, Interest::READABLE)]);
    let mut buf = [0u8; 16];
    case.arm();
    case.check(rx.recv_batch(
        &rs,
        &mut [IoSliceMut::new(&mut buf)],
        &mut [RecvMeta::default()],
    ));
    receive(&mut world, &rx, &rs, 1);
    world.registry().deregister(&mut rx).unwrap();
    world.check();
}

#[rustfmt::skip]
pub const UDP_BATCH_CASES: &[Case] = &[
    case!("send_batch, sendmmsg EIO on a train (GSO off, resent)", "sendmmsg", EIO, Both, gso_refused),
    case!("send_batch, sendmmsg EINVAL on a train (GSO off, resent)", "sendmmsg", EINVAL, Both, gso_refused),
    case!("send_batch, sendmmsg ENOBUFS", "sendmmsg", ENOBUFS, Both, send_fails),
    case!("send_batch (loop), sendmsg ENOBUFS", "sendmsg", ENOBUFS, Both, send_fails),
    case!("recv_batch, recvmmsg EINTR", "recvmmsg", EINTR, Both, recv_fails),
    case!("recv_batch (loop), recvmsg ENOMEM", "recvmsg", ENOMEM, Both, recv_fails),
];
