//! The socket layer: every socket system call ferrio makes is in this file.
//!
//! The public types in `crate::net` call the functions below and nothing else, so this file is
//! the complete answer to "which system calls does ferrio make for a socket?":
//!
//! | operation (Linux)           | system calls                                          |
//! |-----------------------------|-------------------------------------------------------|
//! | `TcpListener::bind`         | `socket`, `setsockopt(SO_REUSEADDR)`, `bind`, `listen` |
//! | `TcpStream::connect`        | `socket`, `connect`                                   |
//! | `UdpSocket::bind`           | `socket`, `bind`                                      |
//! | `TcpSocket::new_v4` (`_v6`) | `socket`                                              |
//! | `TcpStream::bind_connect`   | `socket`, `setsockopt`\*, `bind`, `connect`           |
//! | `accept` (TCP and Unix)     | one `accept4`                                         |
//! | read / `recv` / `peek`      | one `recv` (`recvfrom` on the wire)                   |
//! | write / `send`              | one `send` (`sendto` on the wire) with `MSG_NOSIGNAL` |
//! | vectored read / write       | one `recvmsg` / `sendmsg` (with `MSG_NOSIGNAL`)        |
//! | `send_batch` / `recv_batch` | one `sendmmsg` / `recvmmsg` (`batch.rs`)              |
//!
//! \* `IP_BIND_ADDRESS_NO_PORT`, only when the local port is 0.
//!
//! `tests/net_syscalls.rs` checks these counts under strace. Addresses are converted in
//! `addr.rs`; options are read and written in `opt/`, one file per topic. The functions the
//! rest of the crate may call, and their signatures, are listed in `sys/socket_api.rs`, which
//! the compiler checks against this module.
//!
//! New sockets are non-blocking and close-on-exec from the first instant where the OS can do
//! that atomically (`SOCK_NONBLOCK | SOCK_CLOEXEC`, `accept4`); elsewhere two `fcntl` calls
//! follow, and the fd is closed if they fail. Writes never raise `SIGPIPE`: `MSG_NOSIGNAL` on
//! every send where the OS has it, `SO_NOSIGPIPE` on each new socket on Apple systems.
//!
//! Errors are the OS errors, unwrapped; `EINPROGRESS` from a stream `connect` is success.

use std::io::{self, IoSlice, IoSliceMut};
use std::mem::{self, MaybeUninit};
use std::net::Shutdown;
// (`AsFd` serves the Unix-domain sockets only.)
#[cfg_attr(not(unix), allow(unused_imports))]
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
#[cfg(unix)]
use std::os::unix::net::SocketAddr as UnixAddr;

use libc::{c_int, sockaddr, sockaddr_storage, socklen_t};

use super::{set_cloexec, set_nonblocking};
use crate::sys::failpoints::syscall;

mod addr;
#[cfg(ferrio_udp_batch)]
#[cfg_attr(ferrio_no_msghdr, path = "batch_plain.rs")]
mod batch;
mod opt;

pub(crate) use self::addr::{local_addr, peer_addr};
use self::addr::{FromStorage, ToRaw};
#[cfg(ferrio_udp_batch)]
pub(crate) use self::batch::{recv_batch, send_batch, BatchState};
#[cfg(ferrio_so_nosigpipe)]
use self::opt::set_flag;
pub(crate) use self::opt::*;
pub(crate) use crate::sys::socket_api::{
    only_v6_named, tcp_bind_connect, tcp_connect, tcp_listener, udp_bind, KeepaliveParams, Kind,
    Membership,
};

/// Whether `tcp_listener` sets `SO_REUSEADDR`: yes on Unix, so that a restarted server can
/// bind its port while connections of its previous run linger in `TIME_WAIT`.
pub(crate) const LISTENER_REUSEADDR: bool = true;

/// The `type` argument of `socket` for `kind`.
fn sock_type(kind: Kind) -> c_int {
    match kind {
        Kind::Stream => libc::SOCK_STREAM,
        Kind::Datagram => libc::SOCK_DGRAM,
    }
}

// ---------------------------------------------------------------------------------------------
// Creation
// ---------------------------------------------------------------------------------------------

/// Type flags that make `socket`/`socketpair` return a non-blocking, close-on-exec fd in the
/// same call, on the systems that have them.
#[cfg(ferrio_sock_flags)]
const ATOMIC_FLAGS: c_int = libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC;

/// WASI preview 2 has no exec (so no close-on-exec), and its `fcntl` cannot make a socket
/// non-blocking afterwards: `SOCK_NONBLOCK` is the one flag, and the only way.
#[cfg(all(not(ferrio_sock_flags), ferrio_no_cloexec))]
const ATOMIC_FLAGS: c_int = libc::SOCK_NONBLOCK;

/// Elsewhere (Apple, AIX, Haiku, QNX Neutrino, ...) the flags are set with `fcntl` afterwards.
#[cfg(all(not(ferrio_sock_flags), not(ferrio_no_cloexec)))]
const ATOMIC_FLAGS: c_int = 0;

/// The flag that stops a send on a broken stream from raising `SIGPIPE`.
#[cfg(ferrio_msg_nosignal)]
const NOSIGNAL: c_int = libc::MSG_NOSIGNAL;

/// Apple systems use the `SO_NOSIGPIPE` socket option instead (set by [`prepare`]).
#[cfg(not(ferrio_msg_nosignal))]
const NOSIGNAL: c_int = 0;

/// Finishes a fd fresh from `socket`, `socketpair` or `accept`: sets what the system could not
/// set atomically. On error the caller drops `fd`, which closes it.
fn prepare(fd: &OwnedFd, atomic: bool) -> io::Result<()> {
    if !atomic {
        set_cloexec(borrow(fd))?;
        set_nonblocking(borrow(fd), true)?;
    }
    #[cfg(ferrio_so_nosigpipe)]
    set_flag(borrow(fd), libc::SOL_SOCKET, libc::SO_NOSIGPIPE, true)?;
    Ok(())
}

/// A new non-blocking, close-on-exec socket.
fn new_socket(domain: c_int, kind: Kind) -> io::Result<OwnedFd> {
    // SAFETY: socket takes no pointers.
    let raw = syscall!("socket", unsafe {
        libc::socket(domain, sock_type(kind) | ATOMIC_FLAGS, 0)
    })?;
    // SAFETY: `raw` is a new fd that nothing else owns.
    let fd = unsafe { OwnedFd::from_raw_fd(raw) };
    prepare(&fd, ATOMIC_FLAGS != 0)?;
    Ok(fd)
}

/// A new, unbound IPv4 (or, with `v6`, IPv6) socket.
pub(crate) fn inet_new(v6: bool, kind: Kind) -> io::Result<OwnedFd> {
    new_socket(if v6 { libc::AF_INET6 } else { libc::AF_INET }, kind)
}

/// The `listen` backlog of `tcp_listener` (`sys/socket_api.rs`): the value std's `TcpListener::bind` passes on
/// each system (128, except Horizon and Haiku, whose kernels take less), and mio's since 1.1,
/// so that swapping std or mio for ferrio changes nothing (tests/net_syscalls.rs compares the
/// traced calls). The kernel caps it at `net.core.somaxconn`. Servers that need a longer
/// queue use `TcpSocket::listen` (which calls [`listen`]) with any backlog.
pub(crate) const TCP_BACKLOG: u32 = if cfg!(ferrio_backlog_20) {
    20
} else if cfg!(ferrio_backlog_32) {
    32
} else {
    128
};

/// The backlog of Unix listeners ([`unix_bind`]), std's: `-1` means "the system maximum" where
/// the kernel accepts it, 128 on Redox, ESP-IDF and Horizon (no `SOMAXCONN` in their libc),
/// `SOMAXCONN` elsewhere.
#[cfg(all(unix, ferrio_listen_max))]
const UNIX_BACKLOG: c_int = -1;
#[cfg(all(unix, ferrio_listen_128))]
const UNIX_BACKLOG: c_int = 128;
#[cfg(all(unix, not(any(ferrio_listen_max, ferrio_listen_128))))]
const UNIX_BACKLOG: c_int = libc::SOMAXCONN;

/// `bind` to an IP or a Unix-domain address.
pub(crate) fn bind<A: ToRaw>(fd: BorrowedFd<'_>, addr: &A) -> io::Result<()> {
    addr.with_raw(|ptr, len| {
        // SAFETY: `ptr` points to a valid socket address of `len` bytes that lives for this
        // closure; the call only reads it.
        syscall!("bind", unsafe { libc::bind(fd.as_raw_fd(), ptr, len) })
    })?
    .map(drop)
}

/// `listen`; a backlog above `c_int::MAX` is clamped (the kernel caps it much lower anyway,
/// at `net.core.somaxconn` on Linux and `kern.ipc.soacceptqueue` on FreeBSD).
pub(crate) fn listen(fd: BorrowedFd<'_>, backlog: u32) -> io::Result<()> {
    let backlog = backlog.min(c_int::MAX as u32) as c_int;
    // SAFETY: listen takes no pointers.
    syscall!("listen", unsafe { libc::listen(fd.as_raw_fd(), backlog) }).map(drop)
}

/// `connect`: of a datagram socket, sets its default peer.
pub(crate) fn connect<A: ToRaw>(fd: BorrowedFd<'_>, addr: &A) -> io::Result<()> {
    addr.with_raw(|ptr, len| {
        // SAFETY: `ptr` points to a valid socket address of `len` bytes that lives for this
        // closure; the call only reads it.
        syscall!("connect", unsafe {
            libc::connect(fd.as_raw_fd(), ptr, len)
        })
    })?
    .map(drop)
}

/// `connect` of a stream socket; `EINPROGRESS` (the connection completes in the background)
/// is success.
pub(crate) fn connect_stream<A: ToRaw>(fd: BorrowedFd<'_>, addr: &A) -> io::Result<()> {
    match connect(fd, addr) {
        Err(e) if e.raw_os_error() == Some(libc::EINPROGRESS) => Ok(()),
        other => other,
    }
}

#[cfg(unix)] // Unix-domain sockets: not on WASI.
/// A Unix socket bound to `addr`; `listen` is called for streams. (An address too long for
/// `sun_path` fails before the socket is made.)
#[cfg(unix)]
pub(crate) fn unix_bind(addr: &UnixAddr, kind: Kind) -> io::Result<OwnedFd> {
    addr.with_raw(|_, _| ())?;
    let fd = new_socket(libc::AF_UNIX, kind)?;
    bind(fd.as_fd(), addr)?;
    if let Kind::Stream = kind {
        // SAFETY: listen takes no pointers; `fd` is open.
        syscall!("listen", unsafe {
            libc::listen(fd.as_raw_fd(), UNIX_BACKLOG)
        })?;
    }
    Ok(fd)
}

#[cfg(unix)] // Unix-domain sockets: not on WASI.
/// An unbound Unix socket (for `UnixDatagram::unbound`, which Emscripten lacks).
#[cfg(unix)]
#[cfg_attr(ferrio_no_uds_dgram, allow(dead_code))]
pub(crate) fn unix_unbound(kind: Kind) -> io::Result<OwnedFd> {
    new_socket(libc::AF_UNIX, kind)
}

#[cfg(unix)] // Unix-domain sockets: not on WASI.
/// socket + connect for a Unix stream; the connection may complete in the background.
#[cfg(unix)]
pub(crate) fn unix_stream_connect(addr: &UnixAddr) -> io::Result<OwnedFd> {
    addr.with_raw(|_, _| ())?;
    let fd = new_socket(libc::AF_UNIX, Kind::Stream)?;
    connect_stream(fd.as_fd(), addr)?;
    Ok(fd)
}

#[cfg(unix)] // Unix-domain sockets: not on WASI.
/// A connected pair of Unix sockets.
#[cfg(unix)]
pub(crate) fn unix_pair(kind: Kind) -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [-1 as c_int; 2];
    // SAFETY: `fds` is a live array of two ints, as socketpair requires.
    syscall!("socketpair", unsafe {
        libc::socketpair(
            libc::AF_UNIX,
            sock_type(kind) | ATOMIC_FLAGS,
            0,
            fds.as_mut_ptr(),
        )
    })?;
    // SAFETY: socketpair succeeded, so `fds[0]` is a new open fd owned by nobody else.
    let a = unsafe { OwnedFd::from_raw_fd(fds[0]) };
    // SAFETY: the same holds for `fds[1]`, the other end; owning both closes them on error.
    let b = unsafe { OwnedFd::from_raw_fd(fds[1]) };
    prepare(&a, ATOMIC_FLAGS != 0)?;
    prepare(&b, ATOMIC_FLAGS != 0)?;
    Ok((a, b))
}

// ---------------------------------------------------------------------------------------------
// accept
// ---------------------------------------------------------------------------------------------

/// `accept`; the flags are set afterwards (the `false`). Where `accept4` is missing or
/// forbidden (`ferrio_accept4` in build.rs; x86 Android's seccomp filter forbids it).
#[cfg(not(any(ferrio_accept4, ferrio_no_cloexec)))]
fn accept_raw(
    fd: BorrowedFd<'_>,
    ptr: *mut sockaddr,
    len: &mut socklen_t,
) -> io::Result<(c_int, bool)> {
    // SAFETY: `ptr` points to `*len` writable bytes of the caller's storage and `len` is a
    // live, writable local of the caller; the kernel writes at most `*len` bytes there.
    let raw = syscall!("accept", unsafe { libc::accept(fd.as_raw_fd(), ptr, len) })?;
    Ok((raw, false))
}

/// `accept4` with `SOCK_NONBLOCK | SOCK_CLOEXEC` (the `true`: nothing is left to set).
#[cfg(ferrio_accept4)]
fn accept_raw(
    fd: BorrowedFd<'_>,
    ptr: *mut sockaddr,
    len: &mut socklen_t,
) -> io::Result<(c_int, bool)> {
    let flags = libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC;
    // SAFETY: `ptr` points to `*len` writable bytes of the caller's storage and `len` is a
    // live, writable local of the caller; the kernel writes at most `*len` bytes there.
    let raw = syscall!("accept4", unsafe {
        libc::accept4(fd.as_raw_fd(), ptr, len, flags)
    })?;
    Ok((raw, true))
}

/// WASI preview 2: `accept4` with `SOCK_NONBLOCK` alone (see [`ATOMIC_FLAGS`]).
#[cfg(ferrio_no_cloexec)]
fn accept_raw(
    fd: BorrowedFd<'_>,
    ptr: *mut sockaddr,
    len: &mut socklen_t,
) -> io::Result<(c_int, bool)> {
    // SAFETY: `ptr` points to `*len` writable bytes of the caller's storage and `len` is a
    // live, writable local of the caller; the call writes at most `*len` bytes there.
    let raw = syscall!("accept4", unsafe {
        libc::accept4(fd.as_raw_fd(), ptr, len, libc::SOCK_NONBLOCK)
    })?;
    Ok((raw, true))
}

/// One `accept4` (or `accept` + `fcntl`): a non-blocking, close-on-exec connection and the
/// peer's address (an IP or a Unix-domain one).
pub(crate) fn accept<A: FromStorage>(fd: BorrowedFd<'_>) -> io::Result<(OwnedFd, A)> {
    let mut storage = MaybeUninit::<sockaddr_storage>::zeroed();
    let mut len = mem::size_of::<sockaddr_storage>() as socklen_t;
    let (raw, atomic) = accept_raw(fd, storage.as_mut_ptr().cast(), &mut len)?;
    // SAFETY: `raw` is the new fd accept returned, open and owned by nothing else; owning it
    // at once closes it on the errors below.
    let new = unsafe { OwnedFd::from_raw_fd(raw) };
    prepare(&new, atomic)?;
    // SAFETY: `storage` was zero-initialised and the kernel wrote only address bytes into
    // it, so every byte is initialised, and `sockaddr_storage` is plain integers.
    let addr = A::from_storage(unsafe { storage.assume_init_ref() }, len)?;
    Ok((new, addr))
}

// ---------------------------------------------------------------------------------------------
// Data transfer
// ---------------------------------------------------------------------------------------------

/// The most buffers one vectored call passes on (`IOV_MAX` on Linux and Apple systems); the
/// call then transfers a prefix, as a short read or write may.
#[cfg(not(ferrio_no_msghdr))]
const MAX_IOV: usize = 1024;

fn recv_flags(fd: BorrowedFd<'_>, buf: &mut [u8], flags: c_int) -> io::Result<usize> {
    // SAFETY: `buf` is writable for `buf.len()` bytes.
    let n = syscall!("recv", unsafe {
        libc::recv(fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len(), flags)
    })?;
    Ok(n as usize)
}

/// One `recv`.
pub(crate) fn recv(fd: BorrowedFd<'_>, buf: &mut [u8]) -> io::Result<usize> {
    recv_flags(fd, buf, 0)
}

/// One `recv` with `MSG_PEEK`: the data stays queued.
pub(crate) fn peek(fd: BorrowedFd<'_>, buf: &mut [u8]) -> io::Result<usize> {
    recv_flags(fd, buf, libc::MSG_PEEK)
}

/// One `recvmsg` into several buffers.
#[cfg(not(ferrio_no_msghdr))]
pub(crate) fn recv_vectored(fd: BorrowedFd<'_>, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
    // SAFETY: an all-zero msghdr is valid (null pointers, zero lengths).
    let mut msg: libc::msghdr = unsafe { mem::zeroed() };
    // `IoSliceMut` is ABI-compatible with `iovec` on Unix.
    msg.msg_iov = bufs.as_mut_ptr().cast();
    msg.msg_iovlen = bufs.len().min(MAX_IOV) as _;
    // SAFETY: `msg` points to `msg_iovlen` valid, writable iovecs and nothing else.
    let n = syscall!("recvmsg", unsafe {
        libc::recvmsg(fd.as_raw_fd(), &mut msg, 0)
    })?;
    Ok(n as usize)
}

/// One `send` that never raises `SIGPIPE`.
pub(crate) fn send(fd: BorrowedFd<'_>, buf: &[u8]) -> io::Result<usize> {
    // SAFETY: `buf` is readable for `buf.len()` bytes.
    let n = syscall!("send", unsafe {
        libc::send(fd.as_raw_fd(), buf.as_ptr().cast(), buf.len(), NOSIGNAL)
    })?;
    Ok(n as usize)
}

/// One `sendmsg` from several buffers that never raises `SIGPIPE`.
#[cfg(not(ferrio_no_msghdr))]
pub(crate) fn send_vectored(fd: BorrowedFd<'_>, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
    // SAFETY: an all-zero msghdr is valid.
    let mut msg: libc::msghdr = unsafe { mem::zeroed() };
    // `IoSlice` is ABI-compatible with `iovec`; sendmsg only reads through the pointer.
    msg.msg_iov = bufs.as_ptr() as *mut libc::iovec;
    msg.msg_iovlen = bufs.len().min(MAX_IOV) as _;
    // SAFETY: `msg` points to `msg_iovlen` valid iovecs and nothing else.
    let n = syscall!("sendmsg", unsafe {
        libc::sendmsg(fd.as_raw_fd(), &msg, NOSIGNAL)
    })?;
    Ok(n as usize)
}

/// Without `recvmsg` (Horizon, WASI): one `recv` into the first non-empty buffer, as std's
/// default `read_vectored` does.
#[cfg(ferrio_no_msghdr)]
pub(crate) fn recv_vectored(fd: BorrowedFd<'_>, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
    match bufs.iter_mut().find(|b| !b.is_empty()) {
        Some(buf) => recv(fd, buf),
        None => recv(fd, &mut []),
    }
}

/// Without `sendmsg` (Horizon, WASI): one `send` from the first non-empty buffer, as std's
/// default `write_vectored` does.
#[cfg(ferrio_no_msghdr)]
pub(crate) fn send_vectored(fd: BorrowedFd<'_>, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
    send(
        fd,
        bufs.iter()
            .find(|b| !b.is_empty())
            .map_or(&[][..], |b| &**b),
    )
}

/// One `recvfrom` with `flags`: the length and the sender's address.
fn recv_from_flags<A: FromStorage>(
    fd: BorrowedFd<'_>,
    buf: &mut [u8],
    flags: c_int,
) -> io::Result<(usize, A)> {
    let mut storage = MaybeUninit::<sockaddr_storage>::zeroed();
    let mut len = mem::size_of::<sockaddr_storage>() as socklen_t;
    let (data, data_len) = (buf.as_mut_ptr().cast(), buf.len());
    let addr = storage.as_mut_ptr().cast();
    // SAFETY: `data` points to `data_len` writable bytes of `buf`, `addr` to `len` writable
    // bytes of `storage`, and `len` is a live local; all outlive the call, and the kernel
    // writes at most those many bytes into each.
    let n = syscall!("recvfrom", unsafe {
        libc::recvfrom(fd.as_raw_fd(), data, data_len, flags, addr, &mut len)
    })?;
    // SAFETY: `storage` was zero-initialised and the kernel wrote only address bytes into
    // it, so every byte is initialised, and `sockaddr_storage` is plain integers.
    let from = A::from_storage(unsafe { storage.assume_init_ref() }, len)?;
    Ok((n as usize, from))
}

/// One `recvfrom`, from an IP or a Unix-domain socket.
pub(crate) fn recv_from<A: FromStorage>(
    fd: BorrowedFd<'_>,
    buf: &mut [u8],
) -> io::Result<(usize, A)> {
    recv_from_flags(fd, buf, 0)
}

/// One `recvfrom` with `MSG_PEEK`: the datagram stays queued.
pub(crate) fn peek_from<A: FromStorage>(
    fd: BorrowedFd<'_>,
    buf: &mut [u8],
) -> io::Result<(usize, A)> {
    recv_from_flags(fd, buf, libc::MSG_PEEK)
}

/// One `sendto` to an IP or a Unix-domain address, which never raises `SIGPIPE`.
pub(crate) fn send_to<A: ToRaw>(fd: BorrowedFd<'_>, buf: &[u8], target: &A) -> io::Result<usize> {
    let (data, data_len) = (buf.as_ptr().cast(), buf.len());
    let n = target.with_raw(|addr, len| {
        // SAFETY: `data` points to `data_len` readable bytes of `buf`, `addr` to a valid
        // socket address of `len` bytes; both live for this closure and the call only reads
        // them.
        syscall!("sendto", unsafe {
            libc::sendto(fd.as_raw_fd(), data, data_len, NOSIGNAL, addr, len)
        })
    })??;
    Ok(n as usize)
}

/// `shutdown`.
pub(crate) fn shutdown(fd: BorrowedFd<'_>, how: Shutdown) -> io::Result<()> {
    let how = match how {
        Shutdown::Read => libc::SHUT_RD,
        Shutdown::Write => libc::SHUT_WR,
        Shutdown::Both => libc::SHUT_RDWR,
    };
    // SAFETY: shutdown takes no pointers.
    syscall!("shutdown", unsafe { libc::shutdown(fd.as_raw_fd(), how) }).map(drop)
}

fn borrow(fd: &OwnedFd) -> BorrowedFd<'_> {
    std::os::fd::AsFd::as_fd(fd)
}
