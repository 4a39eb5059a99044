//! Writes to a broken stream return `EPIPE` and never raise `SIGPIPE`, even in a process that
//! keeps `SIGPIPE` at its default action (terminate); writes to a broken `unix::pipe` do raise
//! it, as documented. Each test runs in a child process with
//! the signal reset to `SIG_DFL`: if any write raised it, the child would die and the test
//! fail. (Rust programs normally ignore `SIGPIPE`, which hides the bug; C hosts and some
//! runtimes do not.)
#![cfg(all(unix, feature = "net", feature = "os-poll"))]
// Not under Miri: every test runs in a child process, which Miri cannot spawn.
#![cfg(not(miri))]

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

/// Pipes are the exception, as documented on `unix::pipe::Sender`: a pipe has no
/// `MSG_NOSIGNAL`, so a write to one whose reader is gone raises `SIGPIPE` (harmless in a Rust
/// program, which ignores the signal, unless it restored the default). The signal is blocked
/// here so that it stays pending instead of killing the child, and then collected. (Not on the
/// PS Vita, whose libc has no signal masks.)
#[cfg(all(feature = "os-ext", not(target_os = "vita")))]
#[test]
fn pipe_writes_to_closed_reader_raise_sigpipe() {
    use std::mem::MaybeUninit;

    if !util::in_child() {
        return util::run_in_child("pipe_writes_to_closed_reader_raise_sigpipe");
    }
    default_sigpipe();
    // SAFETY: `set` is a live local, initialised by sigemptyset before it is read.
    let pipe_only = unsafe {
        let mut set = MaybeUninit::<libc::sigset_t>::uninit();
        libc::sigemptyset(set.as_mut_ptr());
        libc::sigaddset(set.as_mut_ptr(), libc::SIGPIPE);
        set.assume_init()
    };
    // SAFETY: blocks SIGPIPE in this thread only; `pipe_only` is initialised, no old mask is
    // asked for.
    let blocked =
        unsafe { libc::pthread_sigmask(libc::SIG_BLOCK, &pipe_only, std::ptr::null_mut()) };
    assert_eq!(blocked, 0);
    // SAFETY: `set` is a live local, initialised by sigemptyset, then filled by sigpending.
    let pending = || unsafe {
        let mut set = MaybeUninit::<libc::sigset_t>::uninit();
        libc::sigemptyset(set.as_mut_ptr());
        assert_eq!(libc::sigpending(set.as_mut_ptr()), 0);
        libc::sigismember(set.as_ptr(), libc::SIGPIPE) == 1
    };

    // A socket first: EPIPE and no signal.
    let (a, b) = UnixStream::pair().unwrap();
    drop(b);
    let e = write_until_error(&a, false);
    assert_eq!(e.raw_os_error(), Some(libc::EPIPE), "{e}");
    assert!(!pending(), "a socket write raised SIGPIPE");

    // A pipe: EPIPE, and the signal.
    let (tx, rx) = ferrio::unix::pipe::new().unwrap();
    drop(rx);
    let e = write_until_error(&tx, false);
    assert_eq!(e.raw_os_error(), Some(libc::EPIPE), "{e}");
    assert!(
        pending(),
        "the pipe write raised no SIGPIPE: update the docs"
    );
}
