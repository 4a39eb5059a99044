//! The Windows socket layer: every Winsock call ferrio makes for a socket is in this module
//! (options in `opt/`, one file per topic as on Unix). The functions the rest of the crate may
//! call, and their signatures, are listed in `sys/socket_api.rs`, which the compiler checks
//! against this module.
//!
//! | operation                   | calls                                                  |
//! |-----------------------------|--------------------------------------------------------|
//! | `TcpListener::bind`         | `WSASocketW`, `ioctlsocket(FIONBIO)`, `bind`, `listen` |
//! | `TcpStream::connect`        | `WSASocketW`, `ioctlsocket(FIONBIO)`, `connect`        |
//! | `UdpSocket::bind`           | `WSASocketW`, `ioctlsocket(FIONBIO)`, `bind`           |
//! | `accept`                    | `accept`, `ioctlsocket(FIONBIO)`, `SetHandleInformation` |
//! | read / `recv` / `peek`      | one `recv`                                             |
//! | write / `send`              | one `send`                                             |
//! | vectored read / write       | one `WSARecv` / `WSASend`                              |
//!
//! Sockets are created overlapped (which AFD polling and IOCP need), not inheritable
//! (`WSA_FLAG_NO_HANDLE_INHERIT`) and non-blocking. Listeners do **not** get `SO_REUSEADDR`:
//! on Windows it lets another socket steal the port, unlike on Unix. Winsock is started once
//! per process, before the first socket is made.
//!
//! A datagram larger than the receive buffer fills the buffer with its first part and the
//! receive fails with `WSAEMSGSIZE`, as std's and mio's sockets do on Windows (a `recv` or
//! `recv_from` discards the rest; a `peek` leaves the datagram queued).
//! Errors are the Winsock errors (`WSAGetLastError`), unwrapped; `WSAEWOULDBLOCK` from a
//! stream `connect` is success (the connection is in progress).

use std::io::{self, IoSlice, IoSliceMut};
use std::mem;
use std::net::{Ipv4Addr, Ipv6Addr, Shutdown, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::os::windows::io::{AsRawSocket, BorrowedSocket, FromRawSocket, OwnedSocket};
use std::ptr;
use std::sync::Once;

use windows_sys::Win32::Foundation::{SetHandleInformation, HANDLE, HANDLE_FLAG_INHERIT};
use windows_sys::Win32::Networking::WinSock::{
    self as ws, IN6_ADDR, IN6_ADDR_0, IN_ADDR, IN_ADDR_0, SOCKADDR, SOCKADDR_IN, SOCKADDR_IN6,
    SOCKADDR_IN6_0, SOCKADDR_STORAGE, SOCKET, SOCKET_ERROR, WSABUF,
};

#[cfg(ferrio_udp_batch)]
mod batch;
mod opt;

#[cfg(ferrio_udp_batch)]
pub(crate) use self::batch::{recv_batch, send_batch, BatchState};
pub(crate) use self::opt::*;
pub(crate) use crate::sys::socket_api::{
    only_v6_named, tcp_bind_connect, tcp_connect, tcp_listener, udp_bind, KeepaliveParams, Kind,
    Membership,
};

/// The backlog of `tcp_listener`: the one std's `TcpListener::bind` uses on Windows.
pub(crate) const TCP_BACKLOG: u32 = 128;

/// Whether `tcp_listener` sets `SO_REUSEADDR`: never on Windows, where it would let another
/// socket take the port over (see the module docs).
pub(crate) const LISTENER_REUSEADDR: bool = false;

fn last_error() -> io::Error {
    // SAFETY: reads this thread's last Winsock error.
    io::Error::from_raw_os_error(unsafe { ws::WSAGetLastError() })
}

/// Converts a `SOCKET_ERROR`-on-failure return value into an `io::Result`.
fn cvt(ret: i32) -> io::Result<i32> {
    if ret == SOCKET_ERROR {
        Err(last_error())
    } else {
        Ok(ret)
    }
}

fn raw(s: BorrowedSocket<'_>) -> SOCKET {
    s.as_raw_socket() as SOCKET
}

/// Starts Winsock (version 2.2) once for the process; it is never cleaned up, as in std.
fn init() {
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        // SAFETY: WSADATA is plain data that the call fills in.
        let mut data: ws::WSADATA = unsafe { mem::zeroed() };
        // SAFETY: `data` is writable. A failure shows up as the error of the next call.
        let _ = unsafe { ws::WSAStartup(0x0202, &mut data) };
    });
}

// ---------------------------------------------------------------------------------------------
// Addresses
// ---------------------------------------------------------------------------------------------

/// Room for either kind of IP address.
#[repr(C)]
union RawAddr {
    v4: SOCKADDR_IN,
    v6: SOCKADDR_IN6,
}

fn to_raw(addr: &SocketAddr) -> (RawAddr, i32) {
    match addr {
        SocketAddr::V4(a) => (
            RawAddr {
                v4: SOCKADDR_IN {
                    sin_family: ws::AF_INET,
                    sin_port: a.port().to_be(),
                    sin_addr: IN_ADDR {
                        S_un: IN_ADDR_0 {
                            S_addr: u32::from_ne_bytes(a.ip().octets()),
                        },
                    },
                    sin_zero: [0; 8],
                },
            },
            mem::size_of::<SOCKADDR_IN>() as i32,
        ),
        SocketAddr::V6(a) => (
            RawAddr {
                v6: SOCKADDR_IN6 {
                    sin6_family: ws::AF_INET6,
                    sin6_port: a.port().to_be(),
                    sin6_flowinfo: a.flowinfo(),
                    sin6_addr: IN6_ADDR {
                        u: IN6_ADDR_0 {
                            Byte: a.ip().octets(),
                        },
                    },
                    Anonymous: SOCKADDR_IN6_0 {
                        sin6_scope_id: a.scope_id(),
                    },
                },
            },
            mem::size_of::<SOCKADDR_IN6>() as i32,
        ),
    }
}

fn from_raw(storage: &SOCKADDR_STORAGE) -> io::Result<SocketAddr> {
    let base = storage as *const SOCKADDR_STORAGE;
    match storage.ss_family {
        ws::AF_INET => {
            // SAFETY: the family says the storage holds a SOCKADDR_IN, which fits in it.
            let a = unsafe { &*(base as *const SOCKADDR_IN) };
            // SAFETY: every view of the union is plain bytes.
            let ip = Ipv4Addr::from(unsafe { a.sin_addr.S_un.S_addr }.to_ne_bytes());
            Ok(SocketAddr::V4(SocketAddrV4::new(
                ip,
                u16::from_be(a.sin_port),
            )))
        }
        ws::AF_INET6 => {
            // SAFETY: the family says the storage holds a SOCKADDR_IN6, which fits in it
            // (SOCKADDR_STORAGE is large and aligned enough for any address).
            let a = unsafe { &*(base as *const SOCKADDR_IN6) };
            // SAFETY: every view of the address union is sixteen plain bytes.
            let ip = unsafe { a.sin6_addr.u.Byte };
            // SAFETY: both views of this union are the same plain `u32`.
            let scope = unsafe { a.Anonymous.sin6_scope_id };
            Ok(SocketAddr::V6(SocketAddrV6::new(
                Ipv6Addr::from(ip),
                u16::from_be(a.sin6_port),
                a.sin6_flowinfo,
                scope,
            )))
        }
        _ => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "the socket address is not an IP address",
        )),
    }
}

fn zeroed_storage() -> SOCKADDR_STORAGE {
    SOCKADDR_STORAGE::default()
}

type NameFn = unsafe extern "system" fn(SOCKET, *mut SOCKADDR, *mut i32) -> i32;

fn sock_name(s: BorrowedSocket<'_>, f: NameFn) -> io::Result<SocketAddr> {
    let mut storage = zeroed_storage();
    let mut len = mem::size_of::<SOCKADDR_STORAGE>() as i32;
    // SAFETY: `storage` is writable for `len` bytes.
    cvt(unsafe { f(raw(s), &mut storage as *mut _ as *mut SOCKADDR, &mut len) })?;
    from_raw(&storage)
}

/// `getsockname`.
pub(crate) fn local_addr(s: BorrowedSocket<'_>) -> io::Result<SocketAddr> {
    sock_name(s, ws::getsockname)
}

/// `getpeername`. `WSAENOTCONN` (kind `NotConnected`) while a connect is in progress.
pub(crate) fn peer_addr(s: BorrowedSocket<'_>) -> io::Result<SocketAddr> {
    sock_name(s, ws::getpeername)
}

// ---------------------------------------------------------------------------------------------
// Creation
// ---------------------------------------------------------------------------------------------

fn set_nonblocking(s: SOCKET) -> io::Result<()> {
    let mut on: u32 = 1;
    // SAFETY: `on` is the argument FIONBIO reads.
    cvt(unsafe { ws::ioctlsocket(s, ws::FIONBIO, &mut on) }).map(drop)
}

/// A new overlapped, non-inheritable, non-blocking IP socket.
pub(crate) fn inet_new(v6: bool, kind: Kind) -> io::Result<OwnedSocket> {
    init();
    let family = if v6 { ws::AF_INET6 } else { ws::AF_INET };
    let ty = match kind {
        Kind::Stream => ws::SOCK_STREAM,
        Kind::Datagram => ws::SOCK_DGRAM,
    };
    // SAFETY: no protocol info is passed; the flags are valid.
    let s = unsafe {
        ws::WSASocketW(
            i32::from(family),
            ty,
            0,
            ptr::null(),
            0,
            ws::WSA_FLAG_OVERLAPPED | ws::WSA_FLAG_NO_HANDLE_INHERIT,
        )
    };
    if s == ws::INVALID_SOCKET {
        return Err(last_error());
    }
    // SAFETY: `s` is a new socket that nothing else owns; it is closed on the error below.
    let owned = unsafe { OwnedSocket::from_raw_socket(s as _) };
    set_nonblocking(s)?;
    Ok(owned)
}

/// `bind`.
pub(crate) fn bind(s: BorrowedSocket<'_>, addr: &SocketAddr) -> io::Result<()> {
    let (a, len) = to_raw(addr);
    // SAFETY: `a` is a valid address of `len` bytes.
    cvt(unsafe { ws::bind(raw(s), &a as *const RawAddr as *const SOCKADDR, len) }).map(drop)
}

/// `listen`, the backlog clamped to what the call takes.
pub(crate) fn listen(s: BorrowedSocket<'_>, backlog: u32) -> io::Result<()> {
    let backlog = backlog.min(i32::MAX as u32) as i32;
    // SAFETY: takes no pointers.
    cvt(unsafe { ws::listen(raw(s), backlog) }).map(drop)
}

/// `connect` on a stream: `WSAEWOULDBLOCK` means in progress, which is success here.
pub(crate) fn connect_stream(s: BorrowedSocket<'_>, addr: &SocketAddr) -> io::Result<()> {
    let (a, len) = to_raw(addr);
    // SAFETY: `a` is a valid address of `len` bytes that outlives the call, which only reads
    // it.
    match cvt(unsafe { ws::connect(raw(s), &a as *const RawAddr as *const SOCKADDR, len) }) {
        Err(e) if e.raw_os_error() == Some(ws::WSAEWOULDBLOCK) => Ok(()),
        r => r.map(drop),
    }
}

/// Connects a datagram socket (sets its default peer).
pub(crate) fn connect(s: BorrowedSocket<'_>, addr: &SocketAddr) -> io::Result<()> {
    let (a, len) = to_raw(addr);
    // SAFETY: `a` is a valid address of `len` bytes that outlives the call, which only reads
    // it.
    cvt(unsafe { ws::connect(raw(s), &a as *const RawAddr as *const SOCKADDR, len) }).map(drop)
}

/// `accept`; the new socket is made non-blocking and non-inheritable.
pub(crate) fn accept(s: BorrowedSocket<'_>) -> io::Result<(OwnedSocket, SocketAddr)> {
    let mut storage = zeroed_storage();
    let mut len = mem::size_of::<SOCKADDR_STORAGE>() as i32;
    // SAFETY: `storage` is writable for `len` bytes.
    let new = unsafe { ws::accept(raw(s), &mut storage as *mut _ as *mut SOCKADDR, &mut len) };
    if new == ws::INVALID_SOCKET {
        return Err(last_error());
    }
    // SAFETY: `new` is a new socket that nothing else owns; closed on the errors below.
    let owned = unsafe { OwnedSocket::from_raw_socket(new as _) };
    set_nonblocking(new)?;
    // SAFETY: `new` is an open socket handle; only its inherit flag changes.
    if unsafe { SetHandleInformation(new as HANDLE, HANDLE_FLAG_INHERIT, 0) } == 0 {
        return Err(io::Error::last_os_error());
    }
    Ok((owned, from_raw(&storage)?))
}

// ---------------------------------------------------------------------------------------------
// Data transfer
// ---------------------------------------------------------------------------------------------

fn clamp_len(len: usize) -> i32 {
    len.min(i32::MAX as usize) as i32
}

/// Turns `WSAESHUTDOWN` on a receive into end-of-file, as std does. `WSAEMSGSIZE` (a datagram
/// longer than the buffer) stays an error, as in std.
fn recv_result(ret: i32) -> io::Result<usize> {
    match cvt(ret) {
        Ok(n) => Ok(n as usize),
        Err(e) if e.raw_os_error() == Some(ws::WSAESHUTDOWN) => Ok(0),
        Err(e) => Err(e),
    }
}

fn recv_flags(s: BorrowedSocket<'_>, buf: &mut [u8], flags: i32) -> io::Result<usize> {
    let len = clamp_len(buf.len());
    // SAFETY: `buf` is writable for `len` bytes.
    let ret = unsafe { ws::recv(raw(s), buf.as_mut_ptr(), len, flags) };
    recv_result(ret)
}

/// One `recv`.
pub(crate) fn recv(s: BorrowedSocket<'_>, buf: &mut [u8]) -> io::Result<usize> {
    recv_flags(s, buf, 0)
}

/// One `recv` with `MSG_PEEK`.
pub(crate) fn peek(s: BorrowedSocket<'_>, buf: &mut [u8]) -> io::Result<usize> {
    recv_flags(s, buf, ws::MSG_PEEK)
}

/// The buffer array of `WSARecv` and `WSASend`: `IoSliceMut` and `IoSlice` have the layout of
/// `WSABUF` on Windows (std guarantees it). Up to `u32::MAX` buffers are passed; the call then
/// transfers a prefix, as a short read or write may.
fn wsabufs<T>(bufs: &[T]) -> (*const WSABUF, u32) {
    (
        bufs.as_ptr().cast(),
        bufs.len().min(u32::MAX as usize) as u32,
    )
}

/// One `WSARecv`.
pub(crate) fn recv_vectored(
    s: BorrowedSocket<'_>,
    bufs: &mut [IoSliceMut<'_>],
) -> io::Result<usize> {
    let (mut received, mut flags) = (0u32, 0u32);
    let (bufs, count) = wsabufs(bufs);
    // SAFETY: `bufs` points to `count` WSABUFs describing the caller's writable buffers, which
    // outlive the call; `received` and `flags` are live locals; no overlapped operation is
    // started, so nothing is used after the call returns.
    let ret = unsafe {
        ws::WSARecv(
            raw(s),
            bufs,
            count,
            &mut received,
            &mut flags,
            ptr::null_mut(),
            None,
        )
    };
    recv_result(ret).map(|_| received as usize)
}

/// One `send`.
pub(crate) fn send(s: BorrowedSocket<'_>, buf: &[u8]) -> io::Result<usize> {
    // SAFETY: `buf` is readable for the length passed.
    let ret = unsafe { ws::send(raw(s), buf.as_ptr(), clamp_len(buf.len()), 0) };
    cvt(ret).map(|n| n as usize)
}

/// One `WSASend`.
pub(crate) fn send_vectored(s: BorrowedSocket<'_>, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
    let mut sent = 0u32;
    let (bufs, count) = wsabufs(bufs);
    // SAFETY: `bufs` points to `count` WSABUFs describing the caller's buffers, which outlive
    // the call and are only read; `sent` is a live local; no overlapped operation is started.
    let ret = unsafe { ws::WSASend(raw(s), bufs, count, &mut sent, 0, ptr::null_mut(), None) };
    cvt(ret).map(|_| sent as usize)
}

/// One `recvfrom` into `buf`: its return value, and the sender's address as the system wrote
/// it (also when the datagram was longer than `buf`, which batched receives report).
fn recvfrom_raw(s: BorrowedSocket<'_>, buf: &mut [u8], flags: i32) -> (i32, SOCKADDR_STORAGE) {
    let mut storage = zeroed_storage();
    let mut addr_len = mem::size_of::<SOCKADDR_STORAGE>() as i32;
    let len = clamp_len(buf.len());
    // SAFETY: `buf` is writable for `len` bytes, `storage` for `addr_len`.
    let ret = unsafe {
        ws::recvfrom(
            raw(s),
            buf.as_mut_ptr(),
            len,
            flags,
            &mut storage as *mut _ as *mut SOCKADDR,
            &mut addr_len,
        )
    };
    (ret, storage)
}

fn recv_from_flags(
    s: BorrowedSocket<'_>,
    buf: &mut [u8],
    flags: i32,
) -> io::Result<(usize, SocketAddr)> {
    let (ret, storage) = recvfrom_raw(s, buf, flags);
    let n = recv_result(ret)?;
    Ok((n, from_raw(&storage)?))
}

/// One `recvfrom`.
pub(crate) fn recv_from(s: BorrowedSocket<'_>, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
    recv_from_flags(s, buf, 0)
}

/// One `recvfrom` with `MSG_PEEK`.
pub(crate) fn peek_from(s: BorrowedSocket<'_>, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
    recv_from_flags(s, buf, ws::MSG_PEEK)
}

/// One `sendto`.
pub(crate) fn send_to(s: BorrowedSocket<'_>, buf: &[u8], target: &SocketAddr) -> io::Result<usize> {
    let (a, len) = to_raw(target);
    // SAFETY: `buf` is readable for the length passed; `a` is a valid address of `len` bytes.
    let ret = unsafe {
        ws::sendto(
            raw(s),
            buf.as_ptr(),
            clamp_len(buf.len()),
            0,
            &a as *const RawAddr as *const SOCKADDR,
            len,
        )
    };
    cvt(ret).map(|n| n as usize)
}

/// `shutdown`.
pub(crate) fn shutdown(s: BorrowedSocket<'_>, how: Shutdown) -> io::Result<()> {
    let how = match how {
        Shutdown::Read => ws::SD_RECEIVE,
        Shutdown::Write => ws::SD_SEND,
        Shutdown::Both => ws::SD_BOTH,
    };
    // SAFETY: takes no pointers.
    cvt(unsafe { ws::shutdown(raw(s), how) }).map(drop)
}
