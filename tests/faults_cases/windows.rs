//! The Windows cases of `tests/faults.rs`, for the failpoints Windows has: AFD poll
//! submissions (`afd_poll`), the `Read`/`Write` operations of streams, and batched UDP
//! (`WSAIoctl` looking `WSARecvMsg` up, `WSASendMsg`, `WSARecvMsg`). A failed submission
//! is not an error of the call that caused it: it arrives as an error event on that socket,
//! its OS code comes from `take_error`, and the submission is made again by the next poll.

use std::io::{IoSliceMut, Read, Write};
use std::net::{TcpListener as StdListener, TcpStream as StdStream, UdpSocket as StdUdp};
use std::time::{Duration, Instant};

use ferrio::net::{recv_batch, send_batch, RecvMeta, TcpStream, Transmit, UdpBatch};
use ferrio::{Events, Interest, Poll, Token};

use crate::util::{expect_events, poll_retrying, Expect, TIMEOUT};
use crate::Case;

const BYSTANDER: Token = Token(1);
const FRESH: Token = Token(2);
const SUBJECT: Token = Token(3);

const WSAEOPNOTSUPP: i32 = 10045;
const WSAEMFILE: i32 = 10024;
const WSAECONNRESET: i32 = 10054;
const WSAENOBUFS: i32 = 10055;
const ERROR_NO_SYSTEM_RESOURCES: i32 = 1450;

/// A `Poll` with one registered bystander stream, its poll request outstanding.
struct World {
    poll: Poll,
    events: Events,
    bystander: TcpStream,
    peer: StdStream,
    seen: Vec<(Token, bool)>,
}

/// A connected pair: a non-blocking ferrio stream and a std one.
fn pair() -> (TcpStream, StdStream) {
    let listener = StdListener::bind("127.0.0.1:0").unwrap();
    let client = StdStream::connect(listener.local_addr().unwrap()).unwrap();
    let (server, _) = listener.accept().unwrap();
    client.set_nonblocking(true).unwrap();
    (TcpStream::from_std(client), server)
}

impl World {
    fn new() -> World {
        let poll = Poll::new().unwrap();
        let (mut bystander, peer) = pair();
        poll.registry()
            .register(&mut bystander, BYSTANDER, Interest::READABLE)
            .unwrap();
        let mut world = World {
            poll,
            events: Events::with_capacity(16),
            bystander,
            peer,
            seen: Vec::new(),
        };
        // The bystander's poll request is submitted now and stays outstanding through the
        // fault. (Its data comes after: a reported event queues a new submission, which
        // would take the fault meant for the subject, as plans are per thread, not socket.)
        world.settle();
        world
    }

    /// Polls once without waiting, noting the events: submits what registrations queued.
    fn settle(&mut self) {
        poll_retrying(&mut self.poll, &mut self.events, Some(Duration::ZERO));
        for e in self.events.iter() {
            self.seen.push((e.token(), e.is_error()));
        }
    }

    /// Polls (bounded) until an event for `token` arrives; returns whether it was an error
    /// event. Every event seen is noted.
    fn next_event(&mut self, token: Token) -> bool {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            if let Some(i) = self.seen.iter().position(|(t, _)| *t == token) {
                return self.seen.remove(i).1;
            }
            assert!(Instant::now() < deadline, "no event for {token:?}");
            poll_retrying(
                &mut self.poll,
                &mut self.events,
                Some(Duration::from_millis(50)),
            );
            for e in self.events.iter() {
                self.seen.push((e.token(), e.is_error()));
            }
        }
    }

    /// The bystander's pending event arrives, it keeps working, and a new registration works.
    fn check(mut self) {
        self.peer.write_all(b"p").unwrap();
        assert!(!self.next_event(BYSTANDER));
        drain(&mut self.bystander);
        self.peer.write_all(b"q").unwrap();
        let seen = expect_events(
            &mut self.poll,
            &mut self.events,
            &[Expect::new(BYSTANDER, Interest::READABLE)],
        );
        assert!(!seen.is_empty());
        drain(&mut self.bystander);
        let (mut fresh, mut fresh_peer) = pair();
        self.poll
            .registry()
            .register(&mut fresh, FRESH, Interest::READABLE)
            .unwrap();
        fresh_peer.write_all(b"f").unwrap();
        expect_events(
            &mut self.poll,
            &mut self.events,
            &[Expect::new(FRESH, Interest::READABLE)],
        );
        self.poll.registry().deregister(&mut fresh).unwrap();
        self.poll
            .registry()
            .deregister(&mut self.bystander)
            .unwrap();
    }
}

/// Reads until `WouldBlock`; returns the bytes read.
fn drain(source: &mut impl Read) -> usize {
    let mut buf = [0u8; 64];
    let mut total = 0;
    loop {
        match source.read(&mut buf) {
            Ok(0) => return total,
            Ok(n) => total += n,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return total,
            Err(e) => panic!("read failed: {e}"),
        }
    }
}

/// The registration's submission fails: an error event for the socket, `take_error` gives
/// the OS code (once), and the next submission works: the socket's own event follows.
fn submission_fails(case: &Case) {
    let mut world = World::new();
    let (mut subject, _peer) = pair();
    case.arm();
    world
        .poll
        .registry()
        .register(&mut subject, SUBJECT, Interest::WRITABLE)
        .unwrap();
    // The submission is made by the next poll.
    assert!(
        world.next_event(SUBJECT),
        "no error event for the failed submission"
    );
    case.fired();
    let err = subject
        .take_error()
        .unwrap()
        .expect("take_error after the error event");
    assert_eq!(err.raw_os_error(), Some(case.errno), "{err:?}");
    assert!(subject.take_error().unwrap().is_none());
    assert!(
        !world.next_event(SUBJECT),
        "the submission was not made again"
    );
    world.poll.registry().deregister(&mut subject).unwrap();
    world.check();
}

/// A read or write that fails returns its error and changes nothing else.
fn transfer_fails(case: &Case) {
    let mut world = World::new();
    let (mut subject, mut peer) = pair();
    world
        .poll
        .registry()
        .register(&mut subject, SUBJECT, Interest::READABLE)
        .unwrap();
    let mut buf = [0u8; 8];
    if case.point == "write" {
        case.arm();
        case.check(subject.write(b"lost"));
        subject.write_all(b"kept").unwrap();
        let mut got = [0u8; 4];
        peer.read_exact(&mut got).unwrap();
        assert_eq!(&got, b"kept");
    } else {
        peer.write_all(b"data").unwrap();
        assert!(!world.next_event(SUBJECT));
        case.arm();
        case.check(subject.read(&mut buf));
        assert_eq!(drain(&mut subject), 4);
    }
    world.poll.registry().deregister(&mut subject).unwrap();
    world.check();
}

/// Two UDP sockets on loopback, the receiver blocking with a read timeout (so a receive waits,
/// bounded, for the datagram), and the sender's batch state.
fn udp_pair() -> (StdUdp, StdUdp, UdpBatch) {
    let tx = StdUdp::bind("127.0.0.1:0").unwrap();
    let rx = StdUdp::bind("127.0.0.1:0").unwrap();
    rx.set_read_timeout(Some(TIMEOUT)).unwrap();
    let state = UdpBatch::new(&tx).unwrap();
    (tx, rx, state)
}

/// Receives one datagram with `state` on `rx`; returns its metadata and bytes.
fn recv_one(state: &UdpBatch, rx: &StdUdp) -> (RecvMeta, Vec<u8>) {
    let mut buf = [0u8; 64];
    let mut meta = [RecvMeta::default()];
    let n = recv_batch(state, rx, &mut [IoSliceMut::new(&mut buf)], &mut meta).unwrap();
    assert_eq!(n, 1);
    (meta[0], buf[..meta[0].len].to_vec())
}

/// The provider has no `WSARecvMsg`: the state takes the `sendto`/`recvfrom` path, which
/// carries no metadata, and both calls work.
fn udp_lookup_fails(case: &Case) {
    let (tx, rx, tx_state) = udp_pair();
    case.arm();
    let rx_state = UdpBatch::new(&rx).unwrap();
    case.fired();
    assert!(!rx_state.carries_metadata());
    assert_eq!(rx_state.gro_segments(), 1);
    let to = rx.local_addr().unwrap();
    assert_eq!(
        send_batch(&tx_state, &tx, &[Transmit::new(to, b"plain")]).unwrap(),
        1
    );
    let (meta, bytes) = recv_one(&rx_state, &rx);
    assert_eq!(bytes, b"plain");
    assert_eq!(meta.addr, tx.local_addr().unwrap());
    assert_eq!((meta.dst_ip, meta.interface), (None, None));
}

/// A failed `WSASendMsg` reaches the caller unchanged, nothing went out, and the next call
/// works.
fn udp_send_fails(case: &Case) {
    let (tx, rx, tx_state) = udp_pair();
    let to = rx.local_addr().unwrap();
    case.arm();
    case.check(send_batch(
        &tx_state,
        &tx,
        &[Transmit::new(to, b"lost"), Transmit::new(to, b"x")],
    ));
    assert_eq!(
        send_batch(&tx_state, &tx, &[Transmit::new(to, b"kept")]).unwrap(),
        1
    );
    let rx_state = UdpBatch::new(&rx).unwrap();
    assert_eq!(recv_one(&rx_state, &rx).1, b"kept");
}

/// A failed `WSARecvMsg` reaches the caller unchanged; the datagram stays queued for the next
/// call.
fn udp_recv_fails(case: &Case) {
    let (tx, rx, tx_state) = udp_pair();
    let rx_state = UdpBatch::new(&rx).unwrap();
    let to = rx.local_addr().unwrap();
    assert_eq!(
        send_batch(&tx_state, &tx, &[Transmit::new(to, b"queued")]).unwrap(),
        1
    );
    let mut buf = [0u8; 64];
    case.arm();
    case.check(recv_batch(
        &rx_state,
        &rx,
        &mut [IoSliceMut::new(&mut buf)],
        &mut [RecvMeta::default()],
    ));
    assert_eq!(recv_one(&rx_state, &rx).1, b"queued");
}

macro_rules! case {
    ($name:literal, $point:literal, $errno:expr, $run:path) => {
        Case {
            name: $name,
            point: $point,
            errno: $errno,
            on: crate::On::Both,
            run: $run,
        }
    };
}

#[rustfmt::skip]
const CASES: &[Case] = &[
    case!("register, afd_poll WSAENOBUFS", "afd_poll", WSAENOBUFS, submission_fails),
    case!("register, afd_poll WSAEMFILE", "afd_poll", WSAEMFILE, submission_fails),
    case!("register, afd_poll ERROR_NO_SYSTEM_RESOURCES", "afd_poll", ERROR_NO_SYSTEM_RESOURCES, submission_fails),
    case!("TcpStream read, read (operation) WSAECONNRESET", "read", WSAECONNRESET, transfer_fails),
    case!("TcpStream write, write (operation) WSAENOBUFS", "write", WSAENOBUFS, transfer_fails),
    case!("UdpBatch::new, WSAIoctl WSAEOPNOTSUPP (no WSARecvMsg: sendto/recvfrom)", "WSAIoctl", WSAEOPNOTSUPP, udp_lookup_fails),
    case!("send_batch, WSASendMsg WSAENOBUFS", "WSASendMsg", WSAENOBUFS, udp_send_fails),
    case!("recv_batch, WSARecvMsg WSAENOBUFS", "WSARecvMsg", WSAENOBUFS, udp_recv_fails),
];

/// Every case.
pub fn cases() -> impl Iterator<Item = &'static Case> {
    CASES.iter()
}
