//! Windows: the process's handle count stays flat while sockets come and go, however many
//! registrations there were (mio's bound is 16 handles for this workload). The AFD helper
//! handles that watch sockets are released once no socket uses them.
//!
//! The test runs in a child process of its own, so that no other test opens or closes handles
//! while it counts them.
#![cfg(all(windows, feature = "net", feature = "os-poll"))]
// The crate's unsafe rules (see src/lib.rs) hold in the tests too.
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(
    clippy::undocumented_unsafe_blocks,
    clippy::multiple_unsafe_ops_per_block
)]

mod util;

use std::net::SocketAddr;
use std::time::Duration;

use ferrio::net::UdpSocket;
use ferrio::{Events, Interest, Poll, Token};
use windows_sys::Win32::Foundation::{GetHandleInformation, HANDLE};
use windows_sys::Win32::System::Threading::{GetCurrentProcess, GetProcessHandleCount};

/// How many more handles than at the start the workload may leave open (and hold at any one
/// time): the socket still alive and the AFD helper kept for the next registration, with
/// room for a handle the system opens lazily.
const SLACK: u32 = 4;

/// The number of open handles of this process: `GetProcessHandleCount`, or, where that
/// reports none (Wine 8 answers 0), a count of the handle values `GetHandleInformation`
/// accepts. Handle values are multiples of 4 handed out lowest-free first, so the scan stops
/// after a long run of unused values.
fn handle_count() -> u32 {
    let mut count = 0u32;
    // SAFETY: takes no arguments; the pseudo-handle it returns needs no closing.
    let me = unsafe { GetCurrentProcess() };
    // SAFETY: `me` is the current process's pseudo-handle, always valid; `count` is a live,
    // writable place for the result.
    let ok = unsafe { GetProcessHandleCount(me, &mut count) };
    assert_ne!(
        ok,
        0,
        "GetProcessHandleCount: {}",
        std::io::Error::last_os_error()
    );
    if count != 0 {
        return count;
    }
    let (mut open, mut gap, mut value) = (0u32, 0u32, 4usize);
    while gap < 2048 {
        let mut flags = 0u32;
        // SAFETY: only queries the flags of whatever handle has this value, if any, into a
        // local; an unused value fails with ERROR_INVALID_HANDLE.
        if unsafe { GetHandleInformation(value as HANDLE, &mut flags) } != 0 {
            open += 1;
            gap = 0;
        } else {
            gap += 1;
        }
        value += 4;
    }
    open
}

fn local() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

#[test]
fn handles_stay_flat_across_registrations() {
    if !util::in_child() {
        return util::run_in_child("handles_stay_flat_across_registrations");
    }
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(64);
    // Warm up what the process opens once (Winsock, the first AFD helper).
    {
        let mut socket = UdpSocket::bind(local()).unwrap();
        poll.registry()
            .register(&mut socket, Token(0), Interest::READABLE)
            .unwrap();
        poll.poll(&mut events, Some(Duration::ZERO)).unwrap();
        poll.registry().deregister(&mut socket).unwrap();
    }
    poll.poll(&mut events, Some(Duration::ZERO)).unwrap();
    let before = handle_count();
    let mut peak = before;

    for i in 0..3000 {
        let mut socket = UdpSocket::bind(local()).unwrap();
        poll.registry()
            .register(&mut socket, Token(i), Interest::READABLE)
            .unwrap();
        poll.registry()
            .reregister(&mut socket, Token(i), Interest::WRITABLE)
            .unwrap();
        poll.registry().deregister(&mut socket).unwrap();
        drop(socket);
        if i % 250 == 0 {
            peak = peak.max(handle_count());
        }
    }
    let mut socket = UdpSocket::bind(local()).unwrap();
    for i in 0..3000 {
        poll.registry()
            .register(&mut socket, Token(i), Interest::READABLE)
            .unwrap();
        poll.registry().deregister(&mut socket).unwrap();
        if i % 250 == 0 {
            peak = peak.max(handle_count());
        }
    }
    poll.poll(&mut events, Some(Duration::ZERO)).unwrap();
    let after = handle_count();
    println!("handles: {before} before, {peak} at most during, {after} after");
    assert!(
        after <= before + SLACK,
        "{} more handles after the registrations ({before} -> {after})",
        after - before
    );
    assert!(
        peak <= before + SLACK,
        "{} more handles at the peak ({before} -> {peak})",
        peak - before
    );
}
