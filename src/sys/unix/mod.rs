//! Unix: the selectors, the Waker and pipe primitives, and (with `net`) the socket layer.
//!
//! Every backend (`epoll/`, `kqueue/`, `ports/`, `poll/`) implements the traits of
//! `sys/api.rs` (`SelectorApi`, `EventApi`, `IoSourceApi`, `WakerApi`), so the compiler checks
//! that each offers exactly the interface the portable code calls; each keeps its Waker in
//! `waker.rs`. The two whose registrations the kernel does not keep armed (poll(2), event
//! ports) share the re-arm rule and per-source state of `edge/`. The poll(2) backend is
//! compiled on every Unix build, selected or not, so it never rots.

use std::io;

use crate::sys::failpoints::syscall;

#[cfg(ferrio_epoll)]
mod epoll;
// Also compiled in the unit tests of every Unix build, for the part that needs no kernel.
#[cfg(any(ferrio_kqueue, test))]
mod kqueue;
// Also compiled in the unit tests of every Unix build (not WASI's: its tests need threads and
// Unix sockets), for the part that needs no kernel.
#[cfg(any(ferrio_ports, all(test, unix)))]
mod ports;
// Compiled on every Unix so that it never rots; unused unless it is the selector.
#[cfg_attr(not(ferrio_poll), allow(dead_code, unused_imports))]
mod poll;
// The emulated edge triggering of poll(2) and event ports.
#[cfg_attr(not(any(ferrio_poll, ferrio_ports)), allow(dead_code, unused_imports))]
mod edge;

// The kqueue and event ports Wakers are kernel events: there, only the poll(2) backend uses a
// notifier.
#[cfg_attr(ferrio_kqueue, allow(unused_imports))]
mod atomic64;
// (Under loom the models' kernel stands in for it.)
#[cfg_attr(any(ferrio_kqueue, ferrio_ports, all(loom, test)), allow(dead_code))]
mod notify;
// The kernel of the loom models (see `crate::sys::sync`); its eventfd edges serve the epoll
// model only.
#[cfg(all(loom, test))]
#[cfg_attr(not(ferrio_epoll), allow(dead_code))]
mod loom_kernel;
// Hermit and WASI have no pipe (their notifier: see `notify.rs`).
#[cfg(unix)]
pub(crate) mod pipe;
#[cfg(feature = "net")]
pub(crate) mod socket;
#[cfg(all(feature = "os-sources", any(ferrio_timer, ferrio_signals)))]
pub(crate) mod sources;

#[cfg(ferrio_epoll)]
use self::epoll as backend;
#[cfg(all(ferrio_epoll, ferrio_epoll_pwait2, ferrio_failpoints))]
pub(crate) use self::epoll::pwait2;
#[cfg(ferrio_kqueue)]
use self::kqueue as backend;
#[cfg(ferrio_poll)]
use self::poll as backend;
#[cfg(ferrio_ports)]
use self::ports as backend;

#[cfg(all(
    any(ferrio_poll, ferrio_ports),
    any(feature = "net", feature = "os-ext", feature = "os-sources")
))]
pub(crate) use self::backend::IoSourceState;
#[cfg(not(ferrio_no_waker))]
pub(crate) use self::backend::Waker;
pub(crate) use self::backend::{Event, Selector};

/// The raw handle the selectors watch: a file descriptor.
// Only sources (`net`, `os-ext`) name it outside the selector interface; without them older
// compilers (1.71, forced poll(2)) find it unused.
#[cfg_attr(not(any(feature = "net", feature = "os-ext")), allow(dead_code))]
pub(crate) type RawIo = std::os::fd::RawFd;

/// The events buffer every backend fills: a vector whose capacity is the caller's limit.
pub(crate) type Events = Vec<Event>;

/// Converts a `-1`-on-error return value into an `io::Result`, keeping the OS error.
pub(crate) fn cvt<T: IsMinusOne>(ret: T) -> io::Result<T> {
    if ret.is_minus_one() {
        Err(io::Error::last_os_error())
    } else {
        Ok(ret)
    }
}

pub(crate) trait IsMinusOne {
    fn is_minus_one(&self) -> bool;
}

macro_rules! impl_is_minus_one {
    ($($t:ty)*) => { $( impl IsMinusOne for $t { fn is_minus_one(&self) -> bool { *self == -1 } } )* };
}
impl_is_minus_one!(i32 i64 isize);

/// Sets close-on-exec on `fd` (for systems whose calls cannot create fds with it).
#[allow(dead_code)] // Only where `pipe2`, `SOCK_CLOEXEC` or `kqueue1` is missing.
#[cfg(not(ferrio_no_cloexec))]
pub(crate) fn set_cloexec(fd: std::os::fd::BorrowedFd<'_>) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    // SAFETY: `F_SETFD` takes an integer argument and no pointer; `fd` is open while borrowed.
    syscall!("fcntl", unsafe {
        libc::fcntl(fd.as_raw_fd(), libc::F_SETFD, libc::FD_CLOEXEC)
    })
    .map(drop)
}

/// Nothing to do where there is no exec (WASI, whose `fcntl` refuses `F_SETFD` with EINVAL).
#[cfg(ferrio_no_cloexec)]
pub(crate) fn set_cloexec(_fd: std::os::fd::BorrowedFd<'_>) -> io::Result<()> {
    Ok(())
}

/// Turns `O_NONBLOCK` on or off for `fd`: one `F_GETFL`, and one `F_SETFL` if that changes
/// anything.
#[allow(dead_code)] // Without `os-ext`, only where `SOCK_NONBLOCK` is missing.
pub(crate) fn set_nonblocking(
    fd: std::os::fd::BorrowedFd<'_>,
    nonblocking: bool,
) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    let fd = fd.as_raw_fd();
    // SAFETY: `F_GETFL` ignores its argument (passed as 0 because Hermit's `fcntl` is not
    // variadic and takes three); `fd` is open while borrowed.
    let flags = syscall!("fcntl", unsafe { libc::fcntl(fd, libc::F_GETFL, 0) })?;
    let new = if nonblocking {
        flags | libc::O_NONBLOCK
    } else {
        flags & !libc::O_NONBLOCK
    };
    if new != flags {
        // SAFETY: `F_SETFL` takes an integer argument and no pointer; `fd` is open while
        // borrowed.
        syscall!("fcntl", unsafe { libc::fcntl(fd, libc::F_SETFL, new) })?;
    }
    Ok(())
}

// The timeout rule of epoll_wait and poll (kqueue takes a timespec instead).
pub(crate) use crate::sys::timeout::timeout_ms;
