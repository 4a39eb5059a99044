//! File-descriptor hygiene: no fd leaks over thousands of socket lifetimes, and running out of
//! fds in `accept` (EMFILE) leaves the listener usable. Both run in a child process so that
//! other tests' fds do not disturb the counts and the lowered fd limit disturbs nobody.
#![cfg(all(target_os = "linux", feature = "net", feature = "os-poll"))]
// Not under Miri: every test runs in a child process, which Miri cannot spawn.
#![cfg(not(miri))]

mod net_common;
mod util;

use std::fs::File;
use std::io::{Read, Write};

use ferrio::net::{TcpListener, TcpStream, UdpSocket, UnixDatagram, UnixListener, UnixStream};
use ferrio::{Events, Interest, Poll, Token};
use net_common::{any_local, would_block};
use util::{expect_events, until_ready, Expect};

const CYCLES: usize = 2000;

#[test]
fn fd_count_unchanged_after_thousands_of_socket_cycles() {
    if !util::in_child() {
        return util::run_in_child("fd_count_unchanged_after_thousands_of_socket_cycles");
    }
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(64);
    let mut listener = TcpListener::bind(any_local()).unwrap();
    let addr = listener.local_addr().unwrap();
    poll.registry()
        .register(&mut listener, Token(0), Interest::READABLE)
        .unwrap();
    let dir = net_common::temp_dir("fds");
    let mut ulistener = UnixListener::bind(dir.join("l.sock")).unwrap();
    poll.registry()
        .register(&mut ulistener, Token(1), Interest::READABLE)
        .unwrap();
    let before = util::open_fds();

    let both = Interest::READABLE | Interest::WRITABLE;
    for i in 0..CYCLES {
        // TCP: connect, accept, register both ends, exchange a byte, close.
        let mut client = TcpStream::connect(addr).unwrap();
        poll.registry()
            .register(&mut client, Token(10), both)
            .unwrap();
        let (mut server, _) = until_ready(&mut poll, &mut events, || listener.accept()).unwrap();
        poll.registry()
            .register(&mut server, Token(11), both)
            .unwrap();
        until_ready(&mut poll, &mut events, || client.write(b"x")).unwrap();
        until_ready(&mut poll, &mut events, || server.read(&mut [0; 1])).unwrap();
        if i % 2 == 0 {
            // Half the time deregister first, half the time just drop.
            poll.registry().deregister(&mut client).unwrap();
            poll.registry().deregister(&mut server).unwrap();
        }
        drop((client, server));

        // UDP and Unix sockets: create, register, drop.
        let mut udp = UdpSocket::bind(any_local()).unwrap();
        poll.registry().register(&mut udp, Token(12), both).unwrap();
        let (mut a, mut b) = UnixStream::pair().unwrap();
        poll.registry().register(&mut a, Token(13), both).unwrap();
        poll.registry().register(&mut b, Token(14), both).unwrap();
        let (mut c, d) = UnixDatagram::pair().unwrap();
        poll.registry().register(&mut c, Token(15), both).unwrap();
        let mut e = UnixStream::connect(dir.join("l.sock")).unwrap();
        poll.registry().register(&mut e, Token(16), both).unwrap();
        let (f, _) = until_ready(&mut poll, &mut events, || ulistener.accept()).unwrap();
        drop((udp, a, b, c, d, e, f));
    }
    assert_eq!(util::open_fds(), before, "fds leaked over {CYCLES} cycles");

    // Failures after the socket exists (bind, connect) close it again.
    let taken = dir.join("l.sock");
    let missing = dir.join("missing.sock");
    for _ in 0..CYCLES / 4 {
        assert!(TcpListener::bind(addr).is_err());
        assert!(UdpSocket::bind("192.0.2.1:0".parse().unwrap()).is_err());
        assert!(UnixListener::bind(&taken).is_err());
        assert!(UnixDatagram::bind(&taken).is_err());
        assert!(UnixStream::connect(&missing).is_err());
        assert!(UnixDatagram::unbound().unwrap().connect(&missing).is_err());
    }
    assert_eq!(util::open_fds(), before, "fds leaked on error paths");
    std::fs::remove_dir_all(&dir).unwrap();
}

fn set_fd_limit(limit: u64) {
    let mut rl = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit with a live rlimit struct.
    assert_eq!(unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut rl) }, 0);
    rl.rlim_cur = limit as libc::rlim_t;
    // SAFETY: `rl` is a live, initialised rlimit that setrlimit only reads.
    assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &rl) }, 0);
}

#[test]
fn emfile_from_accept_leaves_the_listener_usable() {
    if !util::in_child() {
        return util::run_in_child("emfile_from_accept_leaves_the_listener_usable");
    }
    const LISTENER: Token = Token(0);
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(64);
    let mut listener = TcpListener::bind(any_local()).unwrap();
    let addr = listener.local_addr().unwrap();
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)
        .unwrap();

    // Keep the limit close to what is open, then use up every remaining fd.
    set_fd_limit(util::open_fds() as u64 + 16);
    let first = TcpStream::connect(addr).unwrap();
    expect_events(
        &mut poll,
        &mut events,
        &[Expect::new(LISTENER, Interest::READABLE)],
    );
    let mut hog = Vec::new();
    loop {
        match File::open("/dev/null") {
            Ok(f) => hog.push(f),
            Err(e) if e.raw_os_error() == Some(libc::EMFILE) => break,
            Err(e) => panic!("open: {e}"),
        }
    }
    let err = listener.accept().unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::EMFILE), "{err}");

    // Free fds: the waiting connection is accepted, and the listener keeps reporting new ones.
    hog.clear();
    let (mut server, peer) = listener.accept().unwrap();
    assert_eq!(peer, first.local_addr().unwrap());
    assert!(would_block(&listener.accept().unwrap_err()));
    let _second = TcpStream::connect(addr).unwrap();
    expect_events(
        &mut poll,
        &mut events,
        &[Expect::new(LISTENER, Interest::READABLE)],
    );
    listener.accept().unwrap();

    (&first).write_all(b"k").unwrap();
    poll.registry()
        .register(&mut server, Token(1), Interest::READABLE)
        .unwrap();
    assert_eq!(
        until_ready(&mut poll, &mut events, || server.read(&mut [0; 1])).unwrap(),
        1
    );
}
