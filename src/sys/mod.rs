//! All operating-system code lives below this module; the public types above it call only the
//! small interface re-exported here. ARCHITECTURE.md, at the repository's root, describes the
//! layers and how to add a backend.
//!
//! One backend is compiled in as *the* selector for each target. build.rs picks it and sets one
//! cfg, so this table is the whole story:
//!
//! | cfg                | targets                                       | selector file        |
//! |--------------------|-----------------------------------------------|----------------------|
//! | `ferrio_epoll`     | Linux, Android, Emscripten, Redox, illumos    | `unix/epoll/`        |
//! | `ferrio_kqueue`    | macOS, iOS, tvOS, visionOS, watchOS, FreeBSD, NetBSD, OpenBSD, DragonFly | `unix/kqueue/` |
//! | `ferrio_ports`     | Solaris                                       | `unix/ports/`        |
//! | `ferrio_poll`      | other Unix, Hermit, WASI preview 2; any Unix when forced | `unix/poll/` |
//! | `ferrio_wasi`      | WASI preview 1 (`poll_oneoff`)                | `wasi/`              |
//! | `ferrio_windows`   | Windows                                       | `windows/selector.rs` (IOCP + AFD) |
//!
//! Forcing poll(2): `RUSTFLAGS="--cfg ferrio_force_poll"` or mio's
//! `--cfg mio_unsupported_force_poll_poll`.

mod api;
// (What the batched-UDP paths of every system share: which datagrams a send takes, and the
// rules of a batch made one call per datagram.)
#[cfg(all(feature = "net", ferrio_udp_batch))]
pub(crate) mod batch_plan;
mod error;
pub(crate) mod failpoints;
// (WASI preview 1 has a handful of socket calls of its own: `wasi/socket.rs`.)
#[cfg(all(feature = "net", not(ferrio_wasi)))]
mod socket_api;
pub(crate) mod sync;
// (`poll_oneoff` takes its timeout as a clock subscription in nanoseconds.)
#[cfg(not(ferrio_wasi))]
mod timeout;

#[cfg(not(ferrio_no_waker))]
pub(crate) use self::api::WakerApi;
pub(crate) use self::api::{EventApi, SelectorApi};
// Only sources use these on WASI preview 1 (on Unix the poll(2) backend, always compiled, does).
#[cfg_attr(
    not(any(feature = "net", feature = "os-ext", feature = "os-sources")),
    allow(unused_imports)
)]
pub(crate) use self::api::{IoSourceApi, Watch};
pub(crate) use self::error::*;

// Unix, Hermit and WASI preview 2 (`ferrio_posix`: fd-based like Unix; Hermit's libc is
// smaller, and wasi-libc offers poll(2) and BSD sockets).
#[cfg(ferrio_posix)]
mod unix;
#[cfg(ferrio_posix)]
pub(crate) use self::unix::*;

// The per-source state of epoll, kqueue and WASI preview 1: none. (Only sources use it.)
#[cfg(all(
    any(ferrio_epoll, ferrio_kqueue, ferrio_wasi),
    any(feature = "net", feature = "os-ext", feature = "os-sources")
))]
mod direct;
#[cfg(all(
    any(ferrio_epoll, ferrio_kqueue, ferrio_wasi),
    any(feature = "net", feature = "os-ext", feature = "os-sources")
))]
pub(crate) use self::direct::IoSourceState;

// WASI preview 1: `poll_oneoff`, and sockets handed in by the runtime.
#[cfg(ferrio_wasi)]
mod wasi;
#[cfg(ferrio_wasi)]
pub(crate) use self::wasi::*;

#[cfg(windows)]
mod windows;
// The Windows selector's kernel-free part, compiled in the unit tests on Unix too, for its
// loom model (`windows/loom_model.rs`).
#[cfg(all(unix, test, loom))]
#[path = "windows/loom_model.rs"]
mod windows_loom_model;
#[cfg(all(unix, test))]
#[allow(dead_code)]
#[path = "windows/sock_state.rs"]
mod windows_sock_state;
#[cfg(windows)]
pub(crate) use self::windows::*;

use crate::event::Event as PublicEvent;

// The socket handle types of the platform, named once so that the socket types in `crate::net`
// are written once: fds on Unix and WASI, sockets on Windows.
#[cfg(ferrio_fd)]
pub(crate) use std::os::fd::BorrowedFd as BorrowedIo;
#[cfg(all(ferrio_fd, feature = "net"))]
pub(crate) use std::os::fd::OwnedFd as OwnedIo;
#[cfg(windows)]
pub(crate) use std::os::windows::io::BorrowedSocket as BorrowedIo;
#[cfg(all(windows, feature = "net"))]
pub(crate) use std::os::windows::io::OwnedSocket as OwnedIo;

/// Borrows the platform handle (`AsFd` on Unix, `AsSocket` on Windows) under one name.
#[cfg_attr(not(feature = "net"), allow(dead_code))]
pub(crate) trait AsIo {
    fn as_io(&self) -> BorrowedIo<'_>;
}

#[cfg(ferrio_fd)]
impl<T: std::os::fd::AsFd + ?Sized> AsIo for T {
    fn as_io(&self) -> BorrowedIo<'_> {
        self.as_fd()
    }
}

#[cfg(windows)]
impl<T: std::os::windows::io::AsSocket + ?Sized> AsIo for T {
    fn as_io(&self) -> BorrowedIo<'_> {
        self.as_socket()
    }
}

/// Views a backend event as the public [`Event`](crate::event::Event), which is a
/// `#[repr(transparent)]` wrapper around it.
pub(crate) fn public_event(raw: &Event) -> &PublicEvent {
    // SAFETY: `crate::event::Event` is `#[repr(transparent)]` over `sys::Event` (its only
    // field), so both types have the same layout; the result borrows from `raw` (elided
    // lifetime), so it lives no longer than the event it views.
    unsafe { &*(raw as *const Event as *const PublicEvent) }
}
