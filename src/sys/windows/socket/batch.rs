//! Batched UDP (`crate::net::UdpBatch`) on Windows. Winsock has no call that sends or
//! receives several messages, so a batch is a loop of one call per message, of one of two
//! kinds:
//!
//! | path      | calls                              | metadata, offloads                           |
//! |-----------|------------------------------------|----------------------------------------------|
//! | messages  | `WSASendMsg`, `WSARecvMsg`         | `IP_PKTINFO`/`IPV6_PKTINFO` both ways; ECN (`IP_ECN`/`IPV6_ECN`, or `IP_TOS`/`IPV6_TCLASS` received); `MSG_TRUNC`; `UDP_SEND_MSG_SIZE` (USO) and `UDP_RECV_MAX_COALESCED_SIZE` (URO, stride from `UDP_COALESCED_INFO`) where accepted |
//! | plain     | `sendto`, `recvfrom`               | address, length, truncation (`WSAEMSGSIZE`)  |
//!
//! `BatchState::new` takes the message path when `WSARecvMsg` (fetched with `WSAIoctl`
//! `SIO_GET_EXTENSION_FUNCTION_POINTER`) and packet info (unless asked for no metadata) are
//! available, and probes the offloads; the plain path is the fallback, and
//! `disable_batch_calls` forces it (tests).
//! Under Wine 8, `WSARecvMsg`, `WSASendMsg`, packet info on receive and `IP_RECVTOS` work;
//! `IP_RECVECN`, `UDP_SEND_MSG_SIZE` and `UDP_RECV_MAX_COALESCED_SIZE` are refused, and the
//! control messages of sent datagrams (source address) are not applied. ECN marks are only
//! attached where `IP_RECVECN` was accepted (without metadata: where `getsockopt` knows it): a
//! stack without it may refuse `IP_ECN`.
//!
//! After the first datagram, a receive is made only while `FIONREAD` reports data waiting, so
//! that a blocking socket waits for the first datagram only (Windows has no `MSG_DONTWAIT`).
//! Nothing is allocated: the message header, address and control space of the one message in
//! flight are on the stack.

use std::io::{self, IoSliceMut};
use std::mem;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::ptr;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering};

use std::os::windows::io::BorrowedSocket;

use windows_sys::Win32::Networking::WinSock::{
    self as ws, CMSGHDR, IN6_ADDR, IN6_ADDR_0, IN6_PKTINFO, IN_ADDR, IN_ADDR_0, IN_PKTINFO,
    LPFN_WSARECVMSG, SOCKADDR, SOCKADDR_STORAGE, WSABUF, WSAMSG,
};

use super::opt::{getsockopt, setsockopt};
use super::{
    clamp_len, from_raw, last_error, local_addr, raw, recvfrom_raw, send_to, to_raw, zeroed_storage,
};
use crate::net::{EcnCodepoint, RecvMeta, Transmit, MAX_GSO_SEGMENTS, MAX_TRANSMIT_LEN};
use crate::sys::batch_plan::{destination, one_by_one, Plan, MAX_BATCH};
use crate::sys::failpoints::failpoint;

/// Room for the control messages of one datagram: packet info (20 bytes for IPv6), ECN or
/// traffic class, and a segment size or stride, each with a 16-byte header and padding.
const CMSG_CAP: usize = 128;

/// The most bytes URO may coalesce into one buffer: what one UDP datagram can carry.
const URO_MAX: u32 = MAX_TRANSMIT_LEN as u32 - 8;

/// How received ECN bits are asked for.
const ECN_NONE: u8 = 0;
/// `IP_RECVECN`/`IPV6_RECVECN`, messages `IP_ECN`/`IPV6_ECN`.
const ECN_ECN: u8 = 1;
/// `IP_RECVTOS`/`IPV6_RECVTCLASS`, messages `IP_TOS`/`IPV6_TCLASS`.
const ECN_TOS: u8 = 2;

/// A control-message buffer, aligned for `CMSGHDR`.
#[repr(C, align(8))]
struct Cmsg([u8; CMSG_CAP]);

/// The state `UdpBatch` keeps for one socket.
#[derive(Debug)]
pub(crate) struct BatchState {
    /// The socket is IPv6 (IPv4 destinations are then sent to as mapped addresses).
    v6: bool,
    /// Packet info and ECN reception were turned on (`UdpBatch::new`).
    recv_meta: bool,
    /// `WSARecvMsg`, fetched from the socket's provider.
    recv_msg: LPFN_WSARECVMSG,
    /// The message path is in use (`WSARecvMsg` found, packet info on).
    msg: AtomicBool,
    /// How ECN bits are received (`ECN_*`); without metadata, `ECN_ECN` only says that the
    /// stack knows `IP_RECVECN`, and so `IP_ECN` for sent marks.
    ecn: AtomicU8,
    /// How many datagrams a train may hold when the stack cuts it (USO); 1: none.
    gso: AtomicUsize,
    /// How many datagrams one receive buffer may hold (URO); 1: none.
    gro: AtomicUsize,
}

/// Turns a boolean option on; whether the system accepted it.
fn turn_on(s: BorrowedSocket<'_>, level: i32, name: i32) -> bool {
    setsockopt::<u32>(s, level, name, 1).is_ok()
}

/// Turns on the first option of `names` the socket accepts, at the IPv6 level (`v6`, with
/// the IPv4 one too for dual-stack use) or the IPv4 one.
fn turn_on_family(s: BorrowedSocket<'_>, v6: bool, v4_name: i32, v6_name: i32) -> bool {
    if v6 {
        let on = turn_on(s, ws::IPPROTO_IPV6, v6_name);
        // IPv4 datagrams on a dual-stack socket come with the IPv4 messages; an IPv6-only
        // socket may refuse them, which changes nothing.
        let _ = turn_on(s, ws::IPPROTO_IP, v4_name);
        on
    } else {
        turn_on(s, ws::IPPROTO_IP, v4_name)
    }
}

/// `WSARecvMsg` of the socket's provider, if it has one.
fn fetch_recv_msg(s: BorrowedSocket<'_>) -> LPFN_WSARECVMSG {
    lookup_recv_msg(s).ok().flatten()
}

/// The `WSAIoctl` that looks `WSARecvMsg` up (failpoint `WSAIoctl`).
fn lookup_recv_msg(s: BorrowedSocket<'_>) -> io::Result<LPFN_WSARECVMSG> {
    failpoint!("WSAIoctl");
    let guid = ws::WSAID_WSARECVMSG;
    let mut f: LPFN_WSARECVMSG = None;
    let mut bytes = 0u32;
    // SAFETY: the input is the live GUID, the output the live `f`, an `Option` of a function
    // pointer, which the call fills with the function's address (or leaves alone); the sizes
    // are theirs; no overlapped I/O.
    let ret = unsafe {
        ws::WSAIoctl(
            raw(s),
            ws::SIO_GET_EXTENSION_FUNCTION_POINTER,
            ptr::addr_of!(guid).cast(),
            mem::size_of_val(&guid) as u32,
            ptr::addr_of_mut!(f).cast(),
            mem::size_of::<LPFN_WSARECVMSG>() as u32,
            &mut bytes,
            ptr::null_mut(),
            None,
        )
    };
    if ret == 0 {
        Ok(f)
    } else {
        Err(last_error())
    }
}

impl BatchState {
    /// Probes and sets up `s` (see `UdpBatch::new`); with `recv_meta` false, without turning
    /// on packet info and ECN reception (`UdpBatch::without_metadata`): whether the stack has
    /// `IP_ECN` for sent marks is then asked with `getsockopt(IP_RECVECN)`.
    pub(crate) fn new(s: BorrowedSocket<'_>, recv_meta: bool) -> io::Result<BatchState> {
        let v6 = local_addr(s)?.is_ipv6();
        let recv_msg = fetch_recv_msg(s);
        let msg = recv_msg.is_some()
            && (!recv_meta || turn_on_family(s, v6, ws::IP_PKTINFO, ws::IPV6_PKTINFO));
        let mut ecn = ECN_NONE;
        let mut gso = 1;
        if msg {
            let (level, name) = if v6 {
                (ws::IPPROTO_IPV6, ws::IPV6_RECVECN)
            } else {
                (ws::IPPROTO_IP, ws::IP_RECVECN)
            };
            ecn = if !recv_meta {
                if getsockopt::<u32>(s, level, name).is_ok() {
                    ECN_ECN
                } else {
                    ECN_NONE
                }
            } else if turn_on_family(s, v6, ws::IP_RECVECN, ws::IPV6_RECVECN) {
                ECN_ECN
            } else if turn_on_family(s, v6, ws::IP_RECVTOS, ws::IPV6_RECVTCLASS) {
                ECN_TOS
            } else {
                ECN_NONE
            };
            // Windows 10 2004 and later know UDP_SEND_MSG_SIZE.
            if getsockopt::<u32>(s, ws::IPPROTO_UDP, ws::UDP_SEND_MSG_SIZE).is_ok() {
                gso = MAX_GSO_SEGMENTS;
            }
        }
        Ok(BatchState {
            v6,
            recv_meta,
            recv_msg,
            msg: AtomicBool::new(msg),
            ecn: AtomicU8::new(ecn),
            gso: AtomicUsize::new(gso),
            gro: AtomicUsize::new(1),
        })
    }

    pub(crate) fn max_gso_segments(&self) -> usize {
        self.gso.load(Ordering::Relaxed)
    }

    pub(crate) fn gro_segments(&self) -> usize {
        self.gro.load(Ordering::Relaxed)
    }

    pub(crate) fn batch_calls(&self) -> bool {
        false
    }

    fn messages(&self) -> bool {
        self.msg.load(Ordering::Relaxed)
    }

    /// Metadata is carried both ways where the stack knows `IP_RECVECN` (Windows 10 and
    /// later), whose `IP_ECN` control message also marks sent datagrams. With `IP_RECVTOS`
    /// only (Wine 8, which also drops the control messages of `WSASendMsg`), received
    /// datagrams still get packet info and the ECN bits, but sent ones are not marked.
    pub(crate) fn carries_metadata(&self) -> bool {
        self.recv_meta && self.messages() && self.ecn.load(Ordering::Relaxed) == ECN_ECN
    }

    pub(crate) fn disable_gso(&self) {
        self.gso.store(1, Ordering::Relaxed);
    }

    /// Forces the plain path (`sendto`, `recvfrom`): no metadata, no offloads.
    pub(crate) fn disable_batch_calls(&self) {
        self.msg.store(false, Ordering::Relaxed);
        self.disable_gso();
    }

    /// URO (`UDP_RECV_MAX_COALESCED_SIZE`) on or off; needs the message path, whose
    /// `UDP_COALESCED_INFO` gives the stride.
    pub(crate) fn set_gro(&self, s: BorrowedSocket<'_>, on: bool) -> io::Result<()> {
        if !self.messages() {
            return if on {
                Err(crate::sys::socket_api::unsupported(
                    "set_gro: no UDP receive coalescing without WSARecvMsg",
                ))
            } else {
                Ok(())
            };
        }
        let size = if on { URO_MAX } else { 0 };
        match setsockopt::<u32>(s, ws::IPPROTO_UDP, ws::UDP_RECV_MAX_COALESCED_SIZE, size) {
            Ok(()) => {}
            // A system without URO has it off.
            Err(_) if !on => {}
            Err(e) => return Err(e),
        }
        let segments = if on { MAX_GSO_SEGMENTS } else { 1 };
        self.gro.store(segments, Ordering::Relaxed);
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Control messages (the layout of winsock2.h's WSA_CMSG_* macros)
// ---------------------------------------------------------------------------------------------

/// Rounds `n` up to the alignment of control-message data (`MAX_NATURAL_ALIGNMENT`, the size
/// of a pointer), which is also that of `CMSGHDR`.
const fn align(n: usize) -> usize {
    let a = mem::size_of::<usize>();
    (n + a - 1) & !(a - 1)
}

/// Where the data of a control message starts (`WSA_CMSG_DATA`).
const DATA_OFFSET: usize = align(mem::size_of::<CMSGHDR>());
const _: () = assert!(mem::align_of::<CMSGHDR>() <= mem::size_of::<usize>());
const _: () = assert!(mem::align_of::<Cmsg>() >= mem::align_of::<CMSGHDR>());

/// Writes control messages one after another into a [`Cmsg`].
struct Encoder {
    buf: Cmsg,
    len: usize,
}

impl Encoder {
    /// Appends a message of `level` and `kind` carrying `value`.
    fn push<T: Copy>(&mut self, level: i32, kind: i32, value: T) {
        let space = DATA_OFFSET + align(mem::size_of::<T>());
        // At most three messages of at most 20 bytes each are ever pushed (see CMSG_CAP).
        assert!(self.len + space <= CMSG_CAP, "control-message space");
        let header = CMSGHDR {
            cmsg_len: DATA_OFFSET + mem::size_of::<T>(),
            cmsg_level: level,
            cmsg_type: kind,
        };
        let at = self.buf.0[self.len..].as_mut_ptr();
        let data = self.buf.0[self.len + DATA_OFFSET..].as_mut_ptr();
        // SAFETY: `at` has `space` bytes of the buffer after it (checked above), enough for
        // the header, written unaligned.
        unsafe { at.cast::<CMSGHDR>().write_unaligned(header) };
        // SAFETY: `data`, DATA_OFFSET bytes further, has room for a `T` before the end of
        // `space` (checked above); written unaligned.
        unsafe { data.cast::<T>().write_unaligned(value) };
        self.len += space;
    }
}

/// C types read from control messages: plain integers and structs of them, valid for any
/// bits.
trait Plain: Copy {}
impl Plain for i32 {}
impl Plain for u32 {}
impl Plain for u8 {}
impl Plain for IN_PKTINFO {}
impl Plain for IN6_PKTINFO {}

/// A `T` from the start of `data`, if it holds one.
fn read<T: Plain>(data: &[u8]) -> Option<T> {
    // SAFETY: `data` holds at least a `T`'s bytes, read unaligned, and `T: Plain` is valid
    // for any bits.
    (data.len() >= mem::size_of::<T>())
        .then(|| unsafe { data.as_ptr().cast::<T>().read_unaligned() })
}

/// Reads the control messages in `ctrl` (the bytes the call wrote) into `m`.
fn decode_cmsgs(ctrl: &[u8], m: &mut RecvMeta) {
    let mut at = 0;
    while let Some(header) = ctrl.get(at..).and_then(read_header) {
        let end = at.saturating_add(header.cmsg_len).min(ctrl.len());
        if header.cmsg_len < DATA_OFFSET || at + DATA_OFFSET > end {
            return;
        }
        decode_one(
            header.cmsg_level,
            header.cmsg_type,
            &ctrl[at + DATA_OFFSET..end],
            m,
        );
        // A length reaching the end (or, from a broken stack, past it) makes this the last
        // message; checked first so that rounding it up cannot overflow.
        if header.cmsg_len >= ctrl.len() - at {
            return;
        }
        at += align(header.cmsg_len);
    }
}

fn read_header(data: &[u8]) -> Option<CMSGHDR> {
    let len = read::<usize>(data)?;
    let level = read::<i32>(data.get(mem::size_of::<usize>()..)?)?;
    let kind = read::<i32>(data.get(mem::size_of::<usize>() + 4..)?)?;
    Some(CMSGHDR {
        cmsg_len: len,
        cmsg_level: level,
        cmsg_type: kind,
    })
}

impl Plain for usize {}

/// One control message: its level, type and data.
fn decode_one(level: i32, kind: i32, data: &[u8], m: &mut RecvMeta) {
    match (level, kind) {
        (ws::IPPROTO_IP, ws::IP_ECN) | (ws::IPPROTO_IPV6, ws::IPV6_ECN) => {
            m.ecn = read::<i32>(data).and_then(|bits| EcnCodepoint::from_bits(bits as u8));
        }
        (ws::IPPROTO_IP, ws::IP_TOS) | (ws::IPPROTO_IPV6, ws::IPV6_TCLASS) => {
            // An int, or on some stacks one byte: its first byte is the low one either way.
            m.ecn = read::<u8>(data).and_then(EcnCodepoint::from_bits);
        }
        (ws::IPPROTO_IP, ws::IP_PKTINFO) => {
            if let Some(info) = read::<IN_PKTINFO>(data) {
                // SAFETY: every view of the address union is plain bytes.
                let addr = unsafe { info.ipi_addr.S_un.S_addr }.to_ne_bytes();
                m.dst_ip = Some(IpAddr::V4(Ipv4Addr::from(addr)));
                m.interface = Some(info.ipi_ifindex);
            }
        }
        (ws::IPPROTO_IPV6, ws::IPV6_PKTINFO) => {
            if let Some(info) = read::<IN6_PKTINFO>(data) {
                // SAFETY: every view of the address union is sixteen plain bytes.
                let addr = unsafe { info.ipi6_addr.u.Byte };
                m.dst_ip = Some(IpAddr::V6(addr.into()));
                m.interface = Some(info.ipi6_ifindex);
            }
        }
        (ws::IPPROTO_UDP, kind) if kind == ws::UDP_COALESCED_INFO as i32 => {
            if let Some(size) = read::<u32>(data) {
                if size > 0 {
                    m.stride = size as usize;
                }
            }
        }
        _ => {}
    }
}

/// The control messages of a datagram of `t` to `to`: ECN (where the stack has `IP_ECN`:
/// `ecn`; a stack without it may refuse the message), source address, and the segment size of
/// a train the stack cuts (`uso`).
fn encode(t: &Transmit<'_>, to: &SocketAddr, ecn: bool, uso: bool) -> Encoder {
    let mut enc = Encoder {
        buf: Cmsg([0; CMSG_CAP]),
        len: 0,
    };
    let to_v4 = match to.ip() {
        IpAddr::V4(_) => true,
        IpAddr::V6(ip) => ip.to_ipv4_mapped().is_some(),
    };
    if let Some(mark) = t.ecn.filter(|_| ecn) {
        let bits = i32::from(mark.bits());
        if to_v4 {
            enc.push(ws::IPPROTO_IP, ws::IP_ECN, bits);
        } else {
            enc.push(ws::IPPROTO_IPV6, ws::IPV6_ECN, bits);
        }
    }
    let src = t.src_ip.map(|ip| match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    });
    match src {
        Some(IpAddr::V4(ip)) => {
            let info = IN_PKTINFO {
                ipi_addr: IN_ADDR {
                    S_un: IN_ADDR_0 {
                        S_addr: u32::from_ne_bytes(ip.octets()),
                    },
                },
                ipi_ifindex: 0,
            };
            enc.push(ws::IPPROTO_IP, ws::IP_PKTINFO, info);
        }
        Some(IpAddr::V6(ip)) => {
            let info = IN6_PKTINFO {
                ipi6_addr: IN6_ADDR {
                    u: IN6_ADDR_0 { Byte: ip.octets() },
                },
                ipi6_ifindex: 0,
            };
            enc.push(ws::IPPROTO_IPV6, ws::IPV6_PKTINFO, info);
        }
        None => {}
    }
    if uso {
        if let Some(size) = t.segment_size {
            // At most MAX_TRANSMIT_LEN (checked by the caller), so it fits.
            enc.push(ws::IPPROTO_UDP, ws::UDP_SEND_MSG_SIZE, size as u32);
        }
    }
    enc
}

// ---------------------------------------------------------------------------------------------
// Sending
// ---------------------------------------------------------------------------------------------

/// One `WSASendMsg` of `chunk` to `to` with the control messages of `t`.
fn send_msg(
    s: BorrowedSocket<'_>,
    state: &BatchState,
    t: &Transmit<'_>,
    to: &SocketAddr,
    chunk: &[u8],
    uso: bool,
) -> io::Result<()> {
    failpoint!("WSASendMsg");
    let (mut name, name_len) = to_raw(to);
    let ecn = state.ecn.load(Ordering::Relaxed) == ECN_ECN;
    let mut ctrl = encode(t, to, ecn, uso);
    let mut buf = WSABUF {
        // At most MAX_TRANSMIT_LEN (checked by the caller).
        len: chunk.len() as u32,
        // WSASendMsg only reads the buffer.
        buf: chunk.as_ptr() as *mut u8,
    };
    let msg = WSAMSG {
        name: ptr::addr_of_mut!(name).cast::<SOCKADDR>(),
        namelen: name_len,
        lpBuffers: &mut buf,
        dwBufferCount: 1,
        Control: WSABUF {
            len: ctrl.len as u32,
            buf: if ctrl.len > 0 {
                ctrl.buf.0.as_mut_ptr()
            } else {
                ptr::null_mut()
            },
        },
        dwFlags: 0,
    };
    let mut sent = 0u32;
    // SAFETY: `msg` points to the live address, buffer description (whose bytes are
    // `chunk`'s) and control messages, of the lengths given; the call only reads them and
    // writes `sent`; no overlapped I/O.
    let ret = unsafe { ws::WSASendMsg(raw(s), &msg, 0, &mut sent, ptr::null_mut(), None) };
    if ret == ws::SOCKET_ERROR {
        Err(last_error())
    } else {
        Ok(())
    }
}

/// The errors with which Winsock refuses a USO train it cannot send that way.
fn refuses_uso(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(ws::WSAEINVAL) | Some(ws::WSAEOPNOTSUPP) | Some(ws::WSAENOPROTOOPT)
    )
}

/// Sends as many of `transmits` (checked by the caller) as `MAX_BATCH` messages allow, one
/// call each; returns how many transmits went out (by the rules of `sys/batch_plan.rs`, as on
/// Unix). A train the stack refuses to cut turns USO off and is sent again datagram by
/// datagram.
pub(crate) fn send_batch(
    s: BorrowedSocket<'_>,
    state: &BatchState,
    transmits: &[Transmit<'_>],
) -> io::Result<usize> {
    loop {
        let uso = state.messages() && state.max_gso_segments() > 1;
        match send_once(s, state, transmits, uso) {
            Err(e) if uso && transmits[0].segments() > 1 && refuses_uso(&e) => {
                state.disable_gso();
            }
            other => return other,
        }
    }
}

/// One message per call: trains as one message each if `uso`, else datagram by datagram.
fn send_once(
    s: BorrowedSocket<'_>,
    state: &BatchState,
    transmits: &[Transmit<'_>],
    uso: bool,
) -> io::Result<usize> {
    let messages = state.messages();
    let plan = Plan::new(transmits, uso);
    let sent = one_by_one(plan.len(), |i| {
        let (t, bytes) = plan.message(i);
        let to = destination(state.v6, &t.destination);
        if messages {
            send_msg(s, state, t, &to, bytes, uso && t.segments() > 1)
        } else {
            send_to(s, bytes, &to).map(drop)
        }
    })?;
    Ok(plan.transmits_sent(sent))
}

// ---------------------------------------------------------------------------------------------
// Receiving
// ---------------------------------------------------------------------------------------------

/// Receives into `bufs` (as many as `meta`, not empty: checked by the caller); fills `meta`
/// for each; returns how many.
pub(crate) fn recv_batch(
    s: BorrowedSocket<'_>,
    state: &BatchState,
    bufs: &mut [IoSliceMut<'_>],
    meta: &mut [RecvMeta],
) -> io::Result<usize> {
    let n = bufs.len().min(meta.len()).min(MAX_BATCH);
    let recv_msg = match state.recv_msg {
        Some(f) if state.messages() => Some(f),
        _ => None,
    };
    for i in 0..n {
        if i > 0 && !data_waiting(s) {
            return Ok(i);
        }
        let result = match recv_msg {
            Some(f) => recv_one_msg(s, f, &mut bufs[i]),
            None => recv_one(s, &mut bufs[i]),
        };
        match result {
            Ok(m) => meta[i] = m,
            Err(e) if i == 0 => return Err(e),
            Err(_) => return Ok(i),
        }
    }
    Ok(n)
}

/// Whether `FIONREAD` reports data waiting.
fn data_waiting(s: BorrowedSocket<'_>) -> bool {
    let mut waiting = 0u32;
    // SAFETY: FIONREAD writes one u32 into the live `waiting`.
    let ret = unsafe { ws::ioctlsocket(raw(s), ws::FIONREAD, &mut waiting) };
    ret == 0 && waiting > 0
}

/// `WSARecvMsg`'s type, as fetched.
type RecvMsgFn = unsafe extern "system" fn(
    ws::SOCKET,
    *mut WSAMSG,
    *mut u32,
    *mut windows_sys::Win32::System::IO::OVERLAPPED,
    ws::LPWSAOVERLAPPED_COMPLETION_ROUTINE,
) -> i32;

/// One `WSARecvMsg`, with packet info, ECN and the URO stride from its control messages.
fn recv_one_msg(s: BorrowedSocket<'_>, f: RecvMsgFn, buf: &mut [u8]) -> io::Result<RecvMeta> {
    failpoint!("WSARecvMsg");
    let mut storage: SOCKADDR_STORAGE = zeroed_storage();
    let mut ctrl = Cmsg([0; CMSG_CAP]);
    let mut data = WSABUF {
        len: clamp_len(buf.len()) as u32,
        buf: buf.as_mut_ptr(),
    };
    let mut msg = WSAMSG {
        name: ptr::addr_of_mut!(storage).cast::<SOCKADDR>(),
        namelen: mem::size_of::<SOCKADDR_STORAGE>() as i32,
        lpBuffers: &mut data,
        dwBufferCount: 1,
        Control: WSABUF {
            len: CMSG_CAP as u32,
            buf: ctrl.0.as_mut_ptr(),
        },
        dwFlags: 0,
    };
    let mut got = 0u32;
    // SAFETY: `f` is the provider's WSARecvMsg. `msg` points to the live address storage,
    // buffer description (the caller's writable `buf`, of the length given) and control
    // space, all writable for the sizes given; the call writes into them, into `msg` and
    // into `got`; no overlapped I/O.
    let ret = unsafe { f(raw(s), &mut msg, &mut got, ptr::null_mut(), None) };
    let mut truncated = msg.dwFlags & ws::MSG_TRUNC != 0;
    let len = if ret == ws::SOCKET_ERROR {
        let e = last_error();
        if e.raw_os_error() != Some(ws::WSAEMSGSIZE) {
            return Err(e);
        }
        // The buffer holds the datagram's first part, the rest is gone.
        truncated = true;
        buf.len()
    } else {
        (got as usize).min(buf.len())
    };
    let mut meta = RecvMeta {
        // A UDP socket reports an IP address; should it not, the datagram is kept anyway.
        addr: from_raw(&storage)
            .unwrap_or_else(|_| SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0)),
        len,
        stride: len,
        truncated,
        ..RecvMeta::default()
    };
    // Control messages that did not fit (MSG_CTRUNC) are missing, the others are whole.
    let ctrl_len = (msg.Control.len as usize).min(CMSG_CAP);
    decode_cmsgs(&ctrl.0[..ctrl_len], &mut meta);
    if meta.stride == 0 {
        meta.stride = len;
    }
    Ok(meta)
}

/// One `recvfrom`; a datagram longer than the buffer (`WSAEMSGSIZE`: the buffer holds its
/// first part, the rest is gone) is reported as truncated.
fn recv_one(s: BorrowedSocket<'_>, buf: &mut [u8]) -> io::Result<RecvMeta> {
    let (ret, storage) = recvfrom_raw(s, buf, 0);
    let (len, truncated) = if ret == ws::SOCKET_ERROR {
        let e = last_error();
        if e.raw_os_error() != Some(ws::WSAEMSGSIZE) {
            return Err(e);
        }
        (buf.len(), true)
    } else {
        (ret as usize, false)
    };
    Ok(RecvMeta {
        addr: from_raw(&storage)?,
        len,
        stride: len,
        truncated,
        ..RecvMeta::default()
    })
}

#[cfg(test)]
#[path = "batch_tests.rs"]
mod tests;
