//! The Windows socket layer: every Winsock call ferrio makes for a socket is in this file.
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
//! A datagram larger than the receive buffer is truncated and reported with the buffer's
//! length, as on Unix (Winsock reports `WSAEMSGSIZE`, which is turned into that result).
//! Errors are the Winsock errors (`WSAGetLastError`), unwrapped; `WSAEWOULDBLOCK` from a
//! stream `connect` is success (the connection is in progress).

use std::io::{self, IoSlice, IoSliceMut};
use std::mem;
use std::net::{Ipv4Addr, Ipv6Addr, Shutdown, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::os::windows::io::{AsRawSocket, BorrowedSocket, FromRawSocket, OwnedSocket};
use std::ptr;
use std::sync::Once;
use std::time::Duration;

use windows_sys::Win32::Foundation::{SetHandleInformation, HANDLE, HANDLE_FLAG_INHERIT};
use windows_sys::Win32::Networking::WinSock::{
    self as ws, IN6_ADDR, IN6_ADDR_0, IN_ADDR, IN_ADDR_0, IPV6_MREQ, IP_MREQ, LINGER, SOCKADDR,
    SOCKADDR_IN, SOCKADDR_IN6, SOCKADDR_IN6_0, SOCKADDR_STORAGE, SOCKET, SOCKET_ERROR, WSABUF,
};

/// Whether a socket carries a byte stream or datagrams.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Kind {
    Stream,
    Datagram,
}

/// Keep-alive parameters: idle time, probe interval, probe count (as on Unix).
pub(crate) type KeepaliveParams = (Option<Duration>, Option<Duration>, Option<u32>);

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
            // SAFETY: as above, for SOCKADDR_IN6.
            let a = unsafe { &*(base as *const SOCKADDR_IN6) };
            // SAFETY: every view of the unions is plain data.
            let (ip, scope) = unsafe { (a.sin6_addr.u.Byte, a.Anonymous.sin6_scope_id) };
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

fn inet_socket(addr: &SocketAddr, kind: Kind) -> io::Result<OwnedSocket> {
    inet_new(addr.is_ipv6(), kind)
}

fn borrow(s: &OwnedSocket) -> BorrowedSocket<'_> {
    std::os::windows::io::AsSocket::as_socket(s)
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
    // SAFETY: as in `bind`.
    match cvt(unsafe { ws::connect(raw(s), &a as *const RawAddr as *const SOCKADDR, len) }) {
        Err(e) if e.raw_os_error() == Some(ws::WSAEWOULDBLOCK) => Ok(()),
        r => r.map(drop),
    }
}

/// socket + bind + listen (backlog 1024). No `SO_REUSEADDR`: see the module docs.
pub(crate) fn tcp_listener(addr: &SocketAddr) -> io::Result<OwnedSocket> {
    let s = inet_socket(addr, Kind::Stream)?;
    bind(borrow(&s), addr)?;
    listen(borrow(&s), 1024)?;
    Ok(s)
}

/// socket + connect.
pub(crate) fn tcp_connect(addr: &SocketAddr) -> io::Result<OwnedSocket> {
    let s = inet_socket(addr, Kind::Stream)?;
    connect_stream(borrow(&s), addr)?;
    Ok(s)
}

/// socket + bind + connect.
pub(crate) fn tcp_bind_connect(local: &SocketAddr, target: &SocketAddr) -> io::Result<OwnedSocket> {
    if local.is_ipv4() != target.is_ipv4() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "bind_connect: bind_addr and target_addr are of different address families",
        ));
    }
    let s = inet_socket(target, Kind::Stream)?;
    bind(borrow(&s), local)?;
    connect_stream(borrow(&s), target)?;
    Ok(s)
}

/// socket + bind.
pub(crate) fn udp_bind(addr: &SocketAddr) -> io::Result<OwnedSocket> {
    let s = inet_socket(addr, Kind::Datagram)?;
    bind(borrow(&s), addr)?;
    Ok(s)
}

/// Connects a datagram socket (sets its default peer).
pub(crate) fn udp_connect(s: BorrowedSocket<'_>, addr: &SocketAddr) -> io::Result<()> {
    let (a, len) = to_raw(addr);
    // SAFETY: as in `bind`.
    cvt(unsafe { ws::connect(raw(s), &a as *const RawAddr as *const SOCKADDR, len) }).map(drop)
}

/// `accept`; the new socket is made non-blocking and non-inheritable.
pub(crate) fn tcp_accept(s: BorrowedSocket<'_>) -> io::Result<(OwnedSocket, SocketAddr)> {
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

/// Turns `WSAEMSGSIZE` (a datagram longer than the buffer, truncated) into the buffer's
/// length, and `WSAESHUTDOWN` on a receive into end-of-file, as on Unix.
fn recv_result(ret: i32, len: usize) -> io::Result<usize> {
    match cvt(ret) {
        Ok(n) => Ok(n as usize),
        Err(e) if e.raw_os_error() == Some(ws::WSAEMSGSIZE) => Ok(len),
        Err(e) if e.raw_os_error() == Some(ws::WSAESHUTDOWN) => Ok(0),
        Err(e) => Err(e),
    }
}

fn recv_flags(s: BorrowedSocket<'_>, buf: &mut [u8], flags: i32) -> io::Result<usize> {
    let len = clamp_len(buf.len());
    // SAFETY: `buf` is writable for `len` bytes.
    let ret = unsafe { ws::recv(raw(s), buf.as_mut_ptr(), len, flags) };
    recv_result(ret, len as usize)
}

/// One `recv`.
pub(crate) fn recv(s: BorrowedSocket<'_>, buf: &mut [u8]) -> io::Result<usize> {
    recv_flags(s, buf, 0)
}

/// One `recv` with `MSG_PEEK`.
pub(crate) fn peek(s: BorrowedSocket<'_>, buf: &mut [u8]) -> io::Result<usize> {
    recv_flags(s, buf, ws::MSG_PEEK)
}

/// One `WSARecv` over up to `u32::MAX` buffers.
pub(crate) fn recv_vectored(
    s: BorrowedSocket<'_>,
    bufs: &mut [IoSliceMut<'_>],
) -> io::Result<usize> {
    let count = bufs.len().min(u32::MAX as usize) as u32;
    let mut received = 0u32;
    let mut flags = 0u32;
    // SAFETY: on Windows `IoSliceMut` is guaranteed to have the layout of WSABUF; the buffers
    // are writable; no overlapped operation is started.
    let ret = unsafe {
        ws::WSARecv(
            raw(s),
            bufs.as_mut_ptr() as *const WSABUF,
            count,
            &mut received,
            &mut flags,
            ptr::null_mut(),
            None,
        )
    };
    match cvt(ret) {
        Ok(_) => Ok(received as usize),
        Err(e) if e.raw_os_error() == Some(ws::WSAESHUTDOWN) => Ok(0),
        Err(e) => Err(e),
    }
}

/// One `send`.
pub(crate) fn send(s: BorrowedSocket<'_>, buf: &[u8]) -> io::Result<usize> {
    // SAFETY: `buf` is readable for the length passed.
    let ret = unsafe { ws::send(raw(s), buf.as_ptr(), clamp_len(buf.len()), 0) };
    cvt(ret).map(|n| n as usize)
}

/// One `WSASend`.
pub(crate) fn send_vectored(s: BorrowedSocket<'_>, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
    let count = bufs.len().min(u32::MAX as usize) as u32;
    let mut sent = 0u32;
    // SAFETY: `IoSlice` has the layout of WSABUF on Windows; the call only reads the buffers.
    let ret = unsafe {
        ws::WSASend(
            raw(s),
            bufs.as_ptr() as *const WSABUF,
            count,
            &mut sent,
            0,
            ptr::null_mut(),
            None,
        )
    };
    cvt(ret).map(|_| sent as usize)
}

fn recv_from_flags(
    s: BorrowedSocket<'_>,
    buf: &mut [u8],
    flags: i32,
) -> io::Result<(usize, SocketAddr)> {
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
    let n = recv_result(ret, len as usize)?;
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

// ---------------------------------------------------------------------------------------------
// Options
// ---------------------------------------------------------------------------------------------

fn setsockopt<T: Copy>(s: BorrowedSocket<'_>, level: i32, name: i32, value: T) -> io::Result<()> {
    // SAFETY: `value` is readable for its size, which is what the option takes.
    cvt(unsafe {
        ws::setsockopt(
            raw(s),
            level,
            name,
            &value as *const T as *const u8,
            mem::size_of::<T>() as i32,
        )
    })
    .map(drop)
}

/// Reads an option of type `T` (plain data: integers or C structs of them). The value starts
/// zeroed, so an option the system writes with fewer bytes (a one-byte BOOL) reads correctly.
fn getsockopt<T: Copy + Default>(s: BorrowedSocket<'_>, level: i32, name: i32) -> io::Result<T> {
    let mut value = T::default();
    let mut len = mem::size_of::<T>() as i32;
    // SAFETY: `value` is writable for `len` bytes.
    cvt(unsafe {
        ws::getsockopt(
            raw(s),
            level,
            name,
            &mut value as *mut T as *mut u8,
            &mut len,
        )
    })?;
    Ok(value)
}

fn set_flag(s: BorrowedSocket<'_>, level: i32, name: i32, on: bool) -> io::Result<()> {
    setsockopt(s, level, name, u32::from(on))
}

fn flag(s: BorrowedSocket<'_>, level: i32, name: i32) -> io::Result<bool> {
    getsockopt::<u32>(s, level, name).map(|v| v != 0)
}

fn set_u32(s: BorrowedSocket<'_>, level: i32, name: i32, v: u32) -> io::Result<()> {
    setsockopt(s, level, name, v)
}

fn get_u32(s: BorrowedSocket<'_>, level: i32, name: i32) -> io::Result<u32> {
    getsockopt::<u32>(s, level, name)
}

/// Returns and clears the pending error (`SO_ERROR`).
pub(crate) fn take_error(s: BorrowedSocket<'_>) -> io::Result<Option<io::Error>> {
    let code: i32 = getsockopt(s, ws::SOL_SOCKET, ws::SO_ERROR)?;
    Ok((code != 0).then(|| io::Error::from_raw_os_error(code)))
}

/// `IP_TTL`.
pub(crate) fn set_ttl(s: BorrowedSocket<'_>, ttl: u32) -> io::Result<()> {
    set_u32(s, ws::IPPROTO_IP, ws::IP_TTL, ttl)
}

/// `IP_TTL`.
pub(crate) fn ttl(s: BorrowedSocket<'_>) -> io::Result<u32> {
    get_u32(s, ws::IPPROTO_IP, ws::IP_TTL)
}

/// `TCP_NODELAY`.
pub(crate) fn set_nodelay(s: BorrowedSocket<'_>, on: bool) -> io::Result<()> {
    set_flag(s, ws::IPPROTO_TCP, ws::TCP_NODELAY, on)
}

/// `TCP_NODELAY`.
pub(crate) fn nodelay(s: BorrowedSocket<'_>) -> io::Result<bool> {
    getsockopt::<u8>(s, ws::IPPROTO_TCP, ws::TCP_NODELAY).map(|v| v != 0)
}

/// `SO_BROADCAST`.
pub(crate) fn set_broadcast(s: BorrowedSocket<'_>, on: bool) -> io::Result<()> {
    set_flag(s, ws::SOL_SOCKET, ws::SO_BROADCAST, on)
}

/// `SO_BROADCAST`.
pub(crate) fn broadcast(s: BorrowedSocket<'_>) -> io::Result<bool> {
    flag(s, ws::SOL_SOCKET, ws::SO_BROADCAST)
}

/// `IP_MULTICAST_LOOP`.
pub(crate) fn set_multicast_loop_v4(s: BorrowedSocket<'_>, on: bool) -> io::Result<()> {
    set_flag(s, ws::IPPROTO_IP, ws::IP_MULTICAST_LOOP, on)
}

/// `IP_MULTICAST_LOOP`.
pub(crate) fn multicast_loop_v4(s: BorrowedSocket<'_>) -> io::Result<bool> {
    flag(s, ws::IPPROTO_IP, ws::IP_MULTICAST_LOOP)
}

/// `IP_MULTICAST_TTL`.
pub(crate) fn set_multicast_ttl_v4(s: BorrowedSocket<'_>, ttl: u32) -> io::Result<()> {
    set_u32(s, ws::IPPROTO_IP, ws::IP_MULTICAST_TTL, ttl)
}

/// `IP_MULTICAST_TTL`.
pub(crate) fn multicast_ttl_v4(s: BorrowedSocket<'_>) -> io::Result<u32> {
    get_u32(s, ws::IPPROTO_IP, ws::IP_MULTICAST_TTL)
}

/// `IPV6_MULTICAST_LOOP`.
pub(crate) fn set_multicast_loop_v6(s: BorrowedSocket<'_>, on: bool) -> io::Result<()> {
    set_flag(s, ws::IPPROTO_IPV6, ws::IPV6_MULTICAST_LOOP, on)
}

/// `IPV6_MULTICAST_LOOP`.
pub(crate) fn multicast_loop_v6(s: BorrowedSocket<'_>) -> io::Result<bool> {
    flag(s, ws::IPPROTO_IPV6, ws::IPV6_MULTICAST_LOOP)
}

/// `IPV6_V6ONLY`.
pub(crate) fn only_v6(s: BorrowedSocket<'_>) -> io::Result<bool> {
    flag(s, ws::IPPROTO_IPV6, ws::IPV6_V6ONLY)
}

/// `IP_ADD_MEMBERSHIP` (`join`) or `IP_DROP_MEMBERSHIP`.
pub(crate) fn multicast_v4(
    s: BorrowedSocket<'_>,
    join: bool,
    group: &Ipv4Addr,
    interface: &Ipv4Addr,
) -> io::Result<()> {
    let in_addr = |a: &Ipv4Addr| IN_ADDR {
        S_un: IN_ADDR_0 {
            S_addr: u32::from_ne_bytes(a.octets()),
        },
    };
    let mreq = IP_MREQ {
        imr_multiaddr: in_addr(group),
        imr_interface: in_addr(interface),
    };
    let name = if join {
        ws::IP_ADD_MEMBERSHIP
    } else {
        ws::IP_DROP_MEMBERSHIP
    };
    setsockopt(s, ws::IPPROTO_IP, name, mreq)
}

/// `IPV6_ADD_MEMBERSHIP` (`join`) or `IPV6_DROP_MEMBERSHIP`.
pub(crate) fn multicast_v6(
    s: BorrowedSocket<'_>,
    join: bool,
    group: &Ipv6Addr,
    interface: u32,
) -> io::Result<()> {
    let mreq = IPV6_MREQ {
        ipv6mr_multiaddr: IN6_ADDR {
            u: IN6_ADDR_0 {
                Byte: group.octets(),
            },
        },
        ipv6mr_interface: interface,
    };
    let name = if join {
        ws::IPV6_ADD_MEMBERSHIP
    } else {
        ws::IPV6_DROP_MEMBERSHIP
    };
    setsockopt(s, ws::IPPROTO_IPV6, name, mreq)
}

// ---------------------------------------------------------------------------------------------
// Configuration beyond std
// ---------------------------------------------------------------------------------------------

fn whole_secs(d: Duration, max: u64) -> u64 {
    d.as_secs()
        .saturating_add(u64::from(d.subsec_nanos() > 0))
        .min(max)
}

/// `SO_REUSEADDR`. On Windows this lets another socket bind the same port even while this
/// one is active: ferrio never sets it on its own.
pub(crate) fn set_reuseaddr(s: BorrowedSocket<'_>, on: bool) -> io::Result<()> {
    set_flag(s, ws::SOL_SOCKET, ws::SO_REUSEADDR, on)
}

/// `SO_REUSEADDR`.
pub(crate) fn reuseaddr(s: BorrowedSocket<'_>) -> io::Result<bool> {
    flag(s, ws::SOL_SOCKET, ws::SO_REUSEADDR)
}

/// `IPV6_V6ONLY`, set before binding.
pub(crate) fn set_only_v6(s: BorrowedSocket<'_>, on: bool) -> io::Result<()> {
    set_flag(s, ws::IPPROTO_IPV6, ws::IPV6_V6ONLY, on)
}

/// `IPV6_V6ONLY`, read from a socket that is being configured.
pub(crate) fn only_v6_named(s: BorrowedSocket<'_>) -> io::Result<bool> {
    only_v6(s)
}

/// `SO_LINGER` (whole seconds, rounded up, at most `u16::MAX`).
pub(crate) fn set_linger(s: BorrowedSocket<'_>, linger: Option<Duration>) -> io::Result<()> {
    let value = LINGER {
        l_onoff: u16::from(linger.is_some()),
        l_linger: linger.map_or(0, |d| whole_secs(d, u64::from(u16::MAX))) as u16,
    };
    setsockopt(s, ws::SOL_SOCKET, ws::SO_LINGER, value)
}

/// `SO_LINGER`.
pub(crate) fn linger(s: BorrowedSocket<'_>) -> io::Result<Option<Duration>> {
    let value: LINGER = getsockopt(s, ws::SOL_SOCKET, ws::SO_LINGER)?;
    Ok((value.l_onoff != 0).then(|| Duration::from_secs(u64::from(value.l_linger))))
}

/// `SO_KEEPALIVE`.
pub(crate) fn set_keepalive(s: BorrowedSocket<'_>, on: bool) -> io::Result<()> {
    set_flag(s, ws::SOL_SOCKET, ws::SO_KEEPALIVE, on)
}

/// `SO_KEEPALIVE`.
pub(crate) fn keepalive(s: BorrowedSocket<'_>) -> io::Result<bool> {
    flag(s, ws::SOL_SOCKET, ws::SO_KEEPALIVE)
}

/// Turns `SO_KEEPALIVE` on and sets `TCP_KEEPIDLE`, `TCP_KEEPINTVL` and `TCP_KEEPCNT` (in
/// seconds; Windows 10 1709 and later) for the parameters that are `Some`.
pub(crate) fn set_tcp_keepalive(s: BorrowedSocket<'_>, params: KeepaliveParams) -> io::Result<()> {
    let (time, interval, retries) = params;
    set_keepalive(s, true)?;
    let secs = |d: Duration| whole_secs(d, i32::MAX as u64) as u32;
    if let Some(time) = time {
        set_u32(s, ws::IPPROTO_TCP, ws::TCP_KEEPIDLE, secs(time))?;
    }
    if let Some(interval) = interval {
        set_u32(s, ws::IPPROTO_TCP, ws::TCP_KEEPINTVL, secs(interval))?;
    }
    if let Some(retries) = retries {
        set_u32(s, ws::IPPROTO_TCP, ws::TCP_KEEPCNT, retries)?;
    }
    Ok(())
}

/// The keep-alive parameters, as the system reports them.
pub(crate) fn tcp_keepalive(s: BorrowedSocket<'_>) -> io::Result<KeepaliveParams> {
    let secs = |name| get_u32(s, ws::IPPROTO_TCP, name).map(|v| Duration::from_secs(v.into()));
    Ok((
        Some(secs(ws::TCP_KEEPIDLE)?),
        Some(secs(ws::TCP_KEEPINTVL)?),
        Some(get_u32(s, ws::IPPROTO_TCP, ws::TCP_KEEPCNT)?),
    ))
}

/// `SO_RCVBUF`.
pub(crate) fn set_recv_buffer_size(s: BorrowedSocket<'_>, size: u32) -> io::Result<()> {
    set_u32(s, ws::SOL_SOCKET, ws::SO_RCVBUF, size.min(i32::MAX as u32))
}

/// `SO_RCVBUF`.
pub(crate) fn recv_buffer_size(s: BorrowedSocket<'_>) -> io::Result<u32> {
    get_u32(s, ws::SOL_SOCKET, ws::SO_RCVBUF)
}

/// `SO_SNDBUF`.
pub(crate) fn set_send_buffer_size(s: BorrowedSocket<'_>, size: u32) -> io::Result<()> {
    set_u32(s, ws::SOL_SOCKET, ws::SO_SNDBUF, size.min(i32::MAX as u32))
}

/// `SO_SNDBUF`.
pub(crate) fn send_buffer_size(s: BorrowedSocket<'_>) -> io::Result<u32> {
    get_u32(s, ws::SOL_SOCKET, ws::SO_SNDBUF)
}

/// `IP_TOS`.
pub(crate) fn set_tos_v4(s: BorrowedSocket<'_>, tos: u32) -> io::Result<()> {
    set_u32(s, ws::IPPROTO_IP, ws::IP_TOS, tos)
}

/// `IP_TOS`.
pub(crate) fn tos_v4(s: BorrowedSocket<'_>) -> io::Result<u32> {
    get_u32(s, ws::IPPROTO_IP, ws::IP_TOS)
}
