//! Writes to a broken stream return `EPIPE` and never raise `SIGPIPE`, even in a process that
//! keeps `SIGPIPE` at its default action (terminate). Each test runs in a child process with
//! the signal reset to `SIG_DFL`: if any write raised it, the child would die and the test
//! fail. (Rust programs normally ignore `SIGPIPE`, which hides the bug; C hosts and some
//! runtimes do not.)
#![cfg(all(unix, feature = "net", feature = "os-poll"))]

mod net_common;
mod util;

use std::io::{self, IoSlice, Write};
use std::net::Shutdown;
use std::time::Instant;

use ferrio::net::{TcpStream, UnixStream};
use ferrio::{Events, Poll};

fn default_sigpipe() {
    // SAFETY: installs the default disposition; no handler code runs in this process.
    let old = unsafe { libc::signal(libc::SIGPIPE, libc::SIG_DFL) };
    assert_ne!(old, libc::SIG_ERR);
}

/// Writes (plainly or vectored) until the write fails, and returns that error. Data written
/// before the failure is fine: the peer may not have noticed yet that its side is gone.
fn write_until_error(mut w: impl Write, vectored: bool) -> io::Error {
    let deadline = Instant::now() + util::TIMEOUT;
    loop {
        let res = if vectored {
            w.write_vectored(&[IoSlice::new(b"ab"), IoSlice::new(b"cd")])
        } else {
            w.write(b"abcd")
        };
        match res {
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(e) => return e,
        }
        assert!(Instant::now() < deadline, "writes never failed");
        std::thread::yield_now();
    }
}

#[track_caller]
fn assert_epipe(e: io::Error) {
    // A TCP peer that closed answers the first write with a reset, reported once as
    // ECONNRESET; every later write is EPIPE. Either way no signal may be raised.
    assert!(
        matches!(e.raw_os_error(), Some(libc::EPIPE) | Some(libc::ECONNRESET)),
        "unexpected error {e}"
    );
}

#[test]
fn tcp_writes_to_closed_peer_return_epipe_without_signal() {
    if !util::in_child() {
        return util::run_in_child("tcp_writes_to_closed_peer_return_epipe_without_signal");
    }
    default_sigpipe();
    let (mut poll, mut events) = (Poll::new().unwrap(), Events::with_capacity(8));
    for vectored in [false, true] {
        // The peer closes.
        let (client, server) = net_common::tcp_pair(&mut poll, &mut events);
        drop(server);
        assert_epipe(write_until_error(&client, vectored));
        let e = write_until_error(&client, vectored);
        assert_eq!(e.raw_os_error(), Some(libc::EPIPE), "{e}");

        // Our own side shut down for writing: EPIPE at once.
        let (mut client, _server) = net_common::tcp_pair(&mut poll, &mut events);
        client.shutdown(Shutdown::Write).unwrap();
        let e = write_until_error(&mut client, vectored);
        assert_eq!(e.raw_os_error(), Some(libc::EPIPE), "{e}");
    }
    // Adopted std streams get the same protection.
    let (client, server) = net_common::tcp_pair(&mut poll, &mut events);
    let client = TcpStream::from_std(std::net::TcpStream::from(client));
    drop(server);
    write_until_error(&client, true);
}

#[test]
fn unix_writes_to_closed_peer_return_epipe_without_signal() {
    if !util::in_child() {
        return util::run_in_child("unix_writes_to_closed_peer_return_epipe_without_signal");
    }
    default_sigpipe();
    for vectored in [false, true] {
        let (a, b) = UnixStream::pair().unwrap();
        drop(b);
        let e = write_until_error(&a, vectored);
        assert_eq!(e.raw_os_error(), Some(libc::EPIPE), "{e}");

        let (mut a, _b) = UnixStream::pair().unwrap();
        a.shutdown(Shutdown::Write).unwrap();
        let e = write_until_error(&mut a, vectored);
        assert_eq!(e.raw_os_error(), Some(libc::EPIPE), "{e}");
    }
}
