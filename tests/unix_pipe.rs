//! `ferrio::unix::pipe`: flags of new pipes, closed-end detection, edge-triggered transfer of
//! more data than the pipe holds, and pipes adopted from child processes.
// Unix only: Unix pipes (feature `os-ext`, which brings `os-poll`).
#![cfg(all(unix, feature = "os-ext"))]
// The crate's unsafe rules (see src/lib.rs) hold in the tests too.
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(
    clippy::undocumented_unsafe_blocks,
    clippy::multiple_unsafe_ops_per_block
)]

mod util;

use std::io::{self, Read, Write};
use std::os::fd::AsRawFd;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::Instant;

use ferrio::unix::pipe::{self, Receiver, Sender};
use ferrio::{Events, Interest, Poll, Token};

use util::{expect_event_where, TIMEOUT};

const RX: Token = Token(1);
const TX: Token = Token(2);

#[test]
fn new_pipes_are_non_blocking_and_close_on_exec() {
    let (tx, rx) = pipe::new().unwrap();
    for fd in [tx.as_raw_fd(), rx.as_raw_fd()] {
        // SAFETY: F_GETFL on `fd`, which the live `tx` or `rx` owns; no pointers are passed.
        let fl = unsafe { libc::fcntl(fd, libc::F_GETFL) };
        // SAFETY: F_GETFD on `fd`, which the live `tx` or `rx` owns; no pointers are passed.
        let fd_flags = unsafe { libc::fcntl(fd, libc::F_GETFD) };
        assert!(fl >= 0 && fd_flags >= 0);
        assert_ne!(fl & libc::O_NONBLOCK, 0, "fd {fd} is blocking");
        assert_ne!(
            fd_flags & libc::FD_CLOEXEC,
            0,
            "fd {fd} is inherited across exec"
        );
    }
    // set_nonblocking switches both ways.
    rx.set_nonblocking(false).unwrap();
    // SAFETY: F_GETFL on the fd of the live `rx`; no pointers are passed.
    let fl = unsafe { libc::fcntl(rx.as_raw_fd(), libc::F_GETFL) };
    assert_eq!(fl & libc::O_NONBLOCK, 0);
    rx.set_nonblocking(true).unwrap();
    // SAFETY: F_GETFL on the fd of the live `rx`; no pointers are passed.
    let fl = unsafe { libc::fcntl(rx.as_raw_fd(), libc::F_GETFL) };
    assert_ne!(fl & libc::O_NONBLOCK, 0);
}

#[test]
fn receiver_sees_read_closed_when_the_sender_is_dropped() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let (tx, mut rx) = pipe::new().unwrap();
    poll.registry()
        .register(&mut rx, RX, Interest::READABLE)
        .unwrap();
    drop(tx);
    // (Whether the event also says readable differs by backend, as in mio: epoll reports a
    // bare EPOLLHUP for a pipe with no data left.)
    expect_event_where(&mut poll, &mut events, "read_closed on the receiver", |e| {
        e.token() == RX && e.is_read_closed()
    });
    // And a read says end of stream.
    let mut buf = [0u8; 8];
    assert_eq!(rx.read(&mut buf).unwrap(), 0);
}

#[test]
fn data_then_close_is_read_to_the_end() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let (mut tx, mut rx) = pipe::new().unwrap();
    poll.registry()
        .register(&mut rx, RX, Interest::READABLE)
        .unwrap();
    tx.write_all(b"last words").unwrap();
    drop(tx);
    expect_event_where(&mut poll, &mut events, "readable receiver", |e| {
        e.token() == RX && e.is_readable()
    });
    let mut got = Vec::new();
    rx.read_to_end(&mut got).unwrap();
    assert_eq!(got, b"last words");
}

#[test]
fn sender_sees_write_closed_when_the_receiver_is_dropped() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let (mut tx, rx) = pipe::new().unwrap();
    poll.registry()
        .register(&mut tx, TX, Interest::WRITABLE)
        .unwrap();
    // First the pipe is simply writable.
    expect_event_where(&mut poll, &mut events, "writable sender", |e| {
        e.token() == TX && e.is_writable()
    });
    // Edge-triggered: another event is only promised once a write has said WouldBlock, so
    // fill the pipe first.
    let chunk = [0u8; 4096];
    loop {
        match tx.write(&chunk) {
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
            Err(e) => panic!("write: {e}"),
        }
    }
    drop(rx);
    expect_event_where(&mut poll, &mut events, "write_closed on the sender", |e| {
        e.token() == TX && e.is_write_closed()
    });
    // Writing now fails with a broken pipe (Rust programs start with SIGPIPE ignored).
    assert_eq!(
        tx.write(b"x").unwrap_err().kind(),
        io::ErrorKind::BrokenPipe
    );
}

/// Sends far more than a pipe buffer holds through one pipe, both ends registered with one
/// Poll and driven edge-triggered: every read and write continues until `WouldBlock`, and only
/// then waits for the next event. On backends that emulate edges this also proves that the
/// `WouldBlock` of each operation re-arms its direction.
#[test]
fn edge_triggered_transfer_larger_than_the_pipe() {
    // Less under Miri, which takes a minute for this much; its pipes hold 208 KiB, so they
    // still fill up (checked at the end).
    const TOTAL: usize = if cfg!(miri) { 256 << 10 } else { 4 << 20 };
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let (mut tx, mut rx) = pipe::new().unwrap();
    poll.registry()
        .register(&mut rx, RX, Interest::READABLE)
        .unwrap();
    poll.registry()
        .register(&mut tx, TX, Interest::WRITABLE)
        .unwrap();

    let chunk: Vec<u8> = (0..=255u8).cycle().take(64 * 1024).collect();
    let (mut sent, mut received, mut would_block_writes) = (0usize, 0usize, 0usize);
    let mut checksum_tx = 0u64;
    let mut checksum_rx = 0u64;
    let mut buf = vec![0u8; 32 * 1024];
    let mut tx = Some(tx);
    let deadline = Instant::now() + TIMEOUT;
    while received < TOTAL {
        assert!(
            Instant::now() < deadline,
            "stalled: sent {sent}, received {received}"
        );
        util::poll_retrying(&mut poll, &mut events, Some(TIMEOUT));
        for event in &events {
            if event.token() == TX {
                let Some(sender) = tx.as_mut() else { continue };
                while sent < TOTAL {
                    let start = sent % chunk.len();
                    let end = chunk.len().min(start + (TOTAL - sent));
                    match sender.write(&chunk[start..end]) {
                        Ok(n) => {
                            checksum_tx =
                                chunk[start..start + n].iter().fold(checksum_tx, |a, b| {
                                    a.wrapping_mul(31).wrapping_add(u64::from(*b))
                                });
                            sent += n;
                        }
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                            would_block_writes += 1;
                            break;
                        }
                        Err(e) => panic!("write: {e}"),
                    }
                }
                if sent == TOTAL {
                    let mut sender = tx.take().unwrap();
                    poll.registry().deregister(&mut sender).unwrap();
                }
            } else if event.token() == RX {
                loop {
                    match rx.read(&mut buf) {
                        Ok(0) => break,
                        Ok(n) => {
                            checksum_rx = buf[..n].iter().fold(checksum_rx, |a, b| {
                                a.wrapping_mul(31).wrapping_add(u64::from(*b))
                            });
                            received += n;
                        }
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                        Err(e) => panic!("read: {e}"),
                    }
                }
            }
        }
    }
    assert_eq!(received, TOTAL);
    assert_eq!(checksum_rx, checksum_tx);
    // The pipe (64 KiB by default on Linux) filled up many times along the way.
    assert!(would_block_writes > 0);
}

/// Waits for a child with a deadline (the waiting happens on a helper thread).
fn wait_child(mut child: Child) -> ExitStatus {
    let pid = child.id();
    let (tx, rx) = mpsc::channel();
    let waiter = std::thread::spawn(move || {
        let _ = tx.send(child.wait());
    });
    match rx.recv_timeout(TIMEOUT) {
        Ok(status) => {
            waiter.join().unwrap();
            status.expect("wait for child")
        }
        Err(_) => {
            // SAFETY: kill takes no pointers; the child has not been reaped, so the pid is ours.
            unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) };
            panic!("child {pid} did not exit within {TIMEOUT:?}");
        }
    }
}

/// Reads `rx` (registered under `token`) to end of stream, edge-triggered, within TIMEOUT.
fn read_to_eof(poll: &mut Poll, events: &mut Events, rx: &mut Receiver, token: Token) -> Vec<u8> {
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    let deadline = Instant::now() + TIMEOUT;
    loop {
        // Drain first: data may already be there before any event is awaited.
        loop {
            match rx.read(&mut buf) {
                Ok(0) => return out,
                Ok(n) => out.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => panic!("read: {e}"),
            }
        }
        let left = deadline.saturating_duration_since(Instant::now());
        assert!(
            !left.is_zero(),
            "no end of stream within {TIMEOUT:?}; got {out:?}"
        );
        util::poll_retrying(poll, events, Some(left));
        assert!(events.iter().all(|e| e.token() == token), "{events:?}");
    }
}

#[test]
#[cfg_attr(miri, ignore = "Miri cannot spawn processes")]
fn receiver_from_child_stdout() {
    let mut child = Command::new("echo")
        .arg("hello from a child")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn echo");
    let mut rx = Receiver::from(child.stdout.take().unwrap());
    // Adopted handles are left blocking, as in mio; make it non-blocking before polling.
    rx.set_nonblocking(true).unwrap();
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    poll.registry()
        .register(&mut rx, RX, Interest::READABLE)
        .unwrap();
    let out = read_to_eof(&mut poll, &mut events, &mut rx, RX);
    assert_eq!(out, b"hello from a child\n");
    assert!(wait_child(child).success());
}

#[test]
#[cfg_attr(miri, ignore = "Miri cannot spawn processes")]
fn receiver_from_child_stderr() {
    let mut child = Command::new("sh")
        .args(["-c", "echo oops >&2"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn sh");
    let mut rx = Receiver::from(child.stderr.take().unwrap());
    rx.set_nonblocking(true).unwrap();
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    poll.registry()
        .register(&mut rx, RX, Interest::READABLE)
        .unwrap();
    assert_eq!(read_to_eof(&mut poll, &mut events, &mut rx, RX), b"oops\n");
    assert!(wait_child(child).success());
}

#[test]
#[cfg_attr(miri, ignore = "Miri cannot spawn processes")]
fn sender_from_child_stdin_round_trip() {
    let mut child = Command::new("cat")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn cat");
    let mut tx = Sender::from(child.stdin.take().unwrap());
    let mut rx = Receiver::from(child.stdout.take().unwrap());
    tx.set_nonblocking(true).unwrap();
    rx.set_nonblocking(true).unwrap();
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    poll.registry()
        .register(&mut tx, TX, Interest::WRITABLE)
        .unwrap();
    expect_event_where(&mut poll, &mut events, "writable stdin", |e| {
        e.token() == TX && e.is_writable()
    });
    tx.write_all(b"ping\n").unwrap();
    poll.registry().deregister(&mut tx).unwrap();
    drop(tx); // cat sees end of input and exits
    poll.registry()
        .register(&mut rx, RX, Interest::READABLE)
        .unwrap();
    assert_eq!(read_to_eof(&mut poll, &mut events, &mut rx, RX), b"ping\n");
    assert!(wait_child(child).success());
}
