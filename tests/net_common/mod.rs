//! Helpers shared by the `net_*` integration tests (used next to `mod util;`).
#![allow(dead_code)]

use std::io;
use std::net::SocketAddr;
#[cfg(unix)]
use std::os::fd::AsRawFd;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use ferrio::net::{TcpListener, TcpStream};
use ferrio::{Events, Interest, Poll, Token};

use crate::util;

/// A token no test uses for its own sources.
pub const HELPER: Token = Token(usize::MAX - 1);

/// `127.0.0.1:0`.
pub fn any_local() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

/// Accepts one connection on `listener`, waiting (bounded) for it through `poll`. The
/// listener is registered under [`HELPER`] for the wait and deregistered afterwards.
#[track_caller]
pub fn accept(poll: &mut Poll, events: &mut Events, listener: &mut TcpListener) -> TcpStream {
    poll.registry()
        .register(listener, HELPER, Interest::READABLE)
        .unwrap();
    let (stream, _) = util::until_ready(poll, events, || listener.accept()).unwrap();
    poll.registry().deregister(listener).unwrap();
    stream
}

/// A connected (client, server) pair over loopback; neither is registered.
#[track_caller]
pub fn tcp_pair(poll: &mut Poll, events: &mut Events) -> (TcpStream, TcpStream) {
    let mut listener = TcpListener::bind(any_local()).unwrap();
    let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let server = accept(poll, events, &mut listener);
    (client, server)
}

/// Asserts that `fd` is non-blocking and close-on-exec.
#[cfg(unix)]
#[track_caller]
pub fn assert_nonblocking_cloexec(fd: &impl AsRawFd) {
    let fd = fd.as_raw_fd();
    // SAFETY: fcntl with integer arguments on an fd the caller keeps open.
    let fl = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    // SAFETY: F_GETFD takes no argument and only reads the flags of `fd`, which the caller
    // keeps open for this call.
    let fd_flags = unsafe { libc::fcntl(fd, libc::F_GETFD) };
    assert!(
        fl >= 0 && fd_flags >= 0,
        "fcntl failed: {}",
        io::Error::last_os_error()
    );
    assert!(fl & libc::O_NONBLOCK != 0, "fd {fd} is blocking");
    assert!(
        fd_flags & libc::FD_CLOEXEC != 0,
        "fd {fd} is not close-on-exec"
    );
}

/// A new, empty directory for socket files, unique to this process and call.
pub fn temp_dir(name: &str) -> PathBuf {
    static COUNT: AtomicUsize = AtomicUsize::new(0);
    let n = COUNT.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("ferrio-{}-{name}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The byte at `offset` of a deterministic stream identified by `seed` (for integrity checks
/// of long transfers without keeping a copy).
pub fn pattern(seed: u64, offset: u64) -> u8 {
    let mut x =
        seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ offset.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x ^= x >> 31;
    x = x.wrapping_mul(0x94D0_49BB_1331_11EB);
    (x >> 29) as u8
}

/// Whether `e` is `WouldBlock`.
pub fn would_block(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::WouldBlock
}

/// The OS error codes the tests compare with: errno values on Unix, Winsock errors on Windows.
pub mod errno {
    #[cfg(any(unix, target_os = "wasi"))]
    #[allow(unused_imports)] // each test binary uses a few
    pub use libc::{EADDRINUSE, EAGAIN, ECONNREFUSED, ECONNRESET, ENOTCONN};

    #[cfg(windows)]
    pub const EADDRINUSE: i32 = 10048; // WSAEADDRINUSE
    #[cfg(windows)]
    pub const EAGAIN: i32 = 10035; // WSAEWOULDBLOCK
    #[cfg(windows)]
    pub const ECONNREFUSED: i32 = 10061; // WSAECONNREFUSED
    #[cfg(windows)]
    pub const ECONNRESET: i32 = 10054; // WSAECONNRESET
    #[cfg(windows)]
    pub const ENOTCONN: i32 = 10057; // WSAENOTCONN
}
