//! Batched UDP (`crate::net::UdpBatch`): the message headers, control messages and system
//! calls behind `send_batch` and `recv_batch`.
//!
//! | what                    | Linux, Android                          | other systems          |
//! |-------------------------|-----------------------------------------|------------------------|
//! | many messages per call  | `sendmmsg`, `recvmmsg` (`ferrio_mmsg`; also FreeBSD, NetBSD, OpenBSD) | one `sendmsg`/`recvmsg` each |
//! | trains (GSO), GRO       | `UDP_SEGMENT`, `UDP_GRO` (`ferrio_udp_gso`) | datagram by datagram |
//! | packet info, ECN        | control messages (`ferrio_udp_cmsg`)    | the same on Apple's systems and the BSDs (below), elsewhere not carried |
//!
//! The metadata of each datagram, by system (`-`: not carried; `batch/meta.rs` reads it):
//!
//! | metadata               | Linux, Android | Apple's systems | FreeBSD | NetBSD, OpenBSD | DragonFly |
//! |------------------------|----------------|-----------------|---------|-----------------|-----------|
//! | IPv6: all (`ferrio_udp_cmsg_v6`) | received with `IPV6_RECVPKTINFO`, `IPV6_RECVTCLASS`; sent with `IPV6_PKTINFO`, `IPV6_TCLASS` (an int) | same | same | same | same |
//! | IPv4 destination, interface | `IP_PKTINFO` (`ferrio_udp_pktinfo_v4`) | `IP_PKTINFO` | `IP_RECVDSTADDR`, `IP_RECVIF` (`ferrio_udp_dstaddr_v4`) | same | same |
//! | IPv4 source, sent      | `IP_PKTINFO`   | `IP_PKTINFO`    | `IP_SENDSRCADDR` (`ferrio_udp_srcaddr_v4`) | same | - |
//! | IPv4 ECN, received     | `IP_RECVTOS` (`ferrio_udp_ecn_v4`) | `IP_RECVTOS` | `IP_RECVTOS` | - | - |
//! | IPv4 ECN, sent         | `IP_TOS`, an int | `IP_TOS`, an int | `IP_TOS`, a byte (`ferrio_udp_tos_byte`) | - | - |
//!
//! `carries_metadata` is true where a socket carries all of it (and was asked to: not for
//! `without_metadata`, which leaves the receive options off): IPv6 sockets wherever
//! `ferrio_udp_cmsg_v6` holds, IPv4 sockets where `ferrio_udp_meta_v4` does (build.rs) and the
//! kernel takes `IP_RECVTOS` (older macOS and FreeBSD do not).
//!
//! `--cfg ferrio_udp_plain` (build.rs) turns these facts and the Linux ones above off, so that
//! tests run the path of systems without them on Linux. Systems without `msghdr`
//! (`ferrio_no_msghdr`) use `batch_plain.rs` instead of this file.
//!
//! Nothing is allocated: one call holds up to [`MAX_BATCH`] message headers, addresses and
//! control-message buffers in arrays on the stack, and only the entries it uses are
//! initialised. The datagrams go straight from and into the caller's buffers.

use std::io::{self, IoSliceMut};
use std::mem::{self, MaybeUninit};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::os::fd::{AsRawFd, BorrowedFd};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

#[cfg(any(ferrio_udp_cmsg, ferrio_udp_gso))]
use libc::c_int;
use libc::{c_void, sockaddr_storage, socklen_t};

use super::addr::{family, inet_to_raw, FromStorage, RawInet};
#[cfg(ferrio_udp_gso)]
use super::opt::getsockopt;
#[cfg(any(ferrio_udp_cmsg, ferrio_udp_gso))]
use super::opt::setsockopt;
use crate::net::{RecvMeta, Transmit, MAX_GSO_SEGMENTS};
use crate::sys::batch_plan::{all_to_peer, destination, one_by_one, Plan, MAX_BATCH};
use crate::sys::failpoints::syscall;

/// Room for the control messages of one datagram, each with its header (16 bytes on 64-bit
/// Linux and the 64-bit BSDs, 12 on Apple's systems) and padding to the next. Sent: at most a
/// TOS or traffic class, a source (20 bytes of data for IPv6) and a segment size, 88 bytes on
/// 64-bit Linux. Received: packet info, a TOS or traffic class and a segment size, 88 bytes
/// on 64-bit Linux (120 for an IPv4 datagram on a dual-stack socket, which gets both packet
/// infos); on FreeBSD an IPv4 socket's destination (4 bytes of data), interface
/// (`sockaddr_dl`, 56: the kernel pads it to at least libc's 54-byte struct) and TOS byte,
/// 120 bytes; less elsewhere.
const CMSG_CAP: usize = 128;

/// Room for the one control message a socket that asked for no metadata receives: GRO's
/// segment size (an int; 24 bytes with its header on 64-bit Linux, 16 on 32-bit). Linux
/// writes it before any other message, so it fits even on a socket that another state asked
/// metadata for.
#[cfg(ferrio_udp_gso)]
const GRO_CAP: usize = 32;

/// A control-message buffer, aligned for `cmsghdr`.
#[repr(C, align(8))]
struct Cmsg([u8; CMSG_CAP]);

/// The state `UdpBatch` keeps for one socket.
#[derive(Debug)]
pub(crate) struct BatchState {
    /// The socket is IPv6 (IPv4 destinations are then sent to as mapped addresses).
    v6: bool,
    /// All the metadata is carried (`carries_metadata`).
    metadata: bool,
    /// The receive options were turned on (`UdpBatch::new`, not `without_metadata`).
    recv_meta: bool,
    /// How many datagrams a train may hold when the kernel cuts it; 1: no GSO.
    gso: AtomicUsize,
    /// How many datagrams one receive buffer may hold; 1: no GRO.
    gro: AtomicUsize,
    /// `sendmmsg`/`recvmmsg` in use.
    mmsg: AtomicBool,
}

impl BatchState {
    /// Probes and sets up `fd` (see `UdpBatch::new`); with `recv_meta` false, without
    /// turning on the receive options of the metadata (`UdpBatch::without_metadata`).
    pub(crate) fn new(fd: BorrowedFd<'_>, recv_meta: bool) -> io::Result<BatchState> {
        let v6 = match family(fd)? {
            libc::AF_INET => false,
            libc::AF_INET6 => true,
            _ => return Err(io::Error::from_raw_os_error(libc::EAFNOSUPPORT)),
        };
        #[cfg(ferrio_udp_cmsg)]
        let metadata = recv_meta && BatchState::ask_for_metadata(fd, v6)?;
        #[cfg(not(ferrio_udp_cmsg))]
        let metadata = false;
        #[cfg(ferrio_udp_gso)]
        let (gso, gro) = {
            // Kernels before 4.18 know no UDP_SEGMENT, before 5.0 no UDP_GRO.
            let gso = getsockopt::<c_int>(fd, libc::SOL_UDP, libc::UDP_SEGMENT).is_ok();
            let gro = setsockopt::<c_int>(fd, libc::SOL_UDP, libc::UDP_GRO, 1).is_ok();
            (gso, gro)
        };
        #[cfg(not(ferrio_udp_gso))]
        let (gso, gro) = (false, false);
        Ok(BatchState {
            v6,
            metadata,
            recv_meta,
            gso: AtomicUsize::new(if gso { MAX_GSO_SEGMENTS } else { 1 }),
            gro: AtomicUsize::new(if gro { MAX_GSO_SEGMENTS } else { 1 }),
            mmsg: AtomicBool::new(cfg!(ferrio_mmsg)),
        })
    }

    /// Asks the kernel for the control messages of received datagrams; returns whether the
    /// socket carries all the metadata. An IPv6 socket needs its IPv6 messages, and asks for
    /// the IPv4 ones too, for the IPv4 datagrams of a dual-stack socket; an IPv6-only socket
    /// (and Apple's systems, for `IP_RECVTOS`) may refuse those, which changes nothing.
    #[cfg(ferrio_udp_cmsg)]
    fn ask_for_metadata(fd: BorrowedFd<'_>, v6: bool) -> io::Result<bool> {
        let on: c_int = 1;
        let ask_v4 = |name: c_int| match setsockopt(fd, libc::IPPROTO_IP, name, on) {
            Err(e) if !v6 => Err(e),
            _ => Ok(()),
        };
        #[cfg(ferrio_udp_pktinfo_v4)]
        ask_v4(libc::IP_PKTINFO)?;
        #[cfg(ferrio_udp_dstaddr_v4)]
        {
            ask_v4(libc::IP_RECVDSTADDR)?;
            ask_v4(libc::IP_RECVIF)?;
        }
        // Older macOS (as quinn-udp found) and FreeBSD kernels lack IP_RECVTOS: the socket then
        // works without ECN, and says so.
        #[cfg(ferrio_udp_ecn_v4)]
        let ecn_v4 = setsockopt(fd, libc::IPPROTO_IP, libc::IP_RECVTOS, on).is_ok();
        #[cfg(not(ferrio_udp_ecn_v4))]
        let ecn_v4 = false;
        if v6 {
            #[cfg(ferrio_udp_cmsg_v6)]
            {
                setsockopt(fd, libc::IPPROTO_IPV6, libc::IPV6_RECVPKTINFO, on)?;
                setsockopt(fd, libc::IPPROTO_IPV6, libc::IPV6_RECVTCLASS, on)?;
            }
            return Ok(cfg!(ferrio_udp_cmsg_v6));
        }
        Ok(cfg!(ferrio_udp_meta_v4) && ecn_v4)
    }

    pub(crate) fn max_gso_segments(&self) -> usize {
        self.gso.load(Ordering::Relaxed)
    }

    pub(crate) fn gro_segments(&self) -> usize {
        self.gro.load(Ordering::Relaxed)
    }

    pub(crate) fn batch_calls(&self) -> bool {
        self.mmsg.load(Ordering::Relaxed)
    }

    pub(crate) fn carries_metadata(&self) -> bool {
        self.metadata
    }

    /// The control-message space each received datagram gets: room for all the metadata,
    /// for GRO's segment size only (no metadata asked for), or none (no control messages).
    fn recv_cap(&self) -> usize {
        if self.recv_meta && cfg!(any(ferrio_udp_cmsg, ferrio_udp_gso)) {
            return CMSG_CAP;
        }
        #[cfg(ferrio_udp_gso)]
        return GRO_CAP;
        #[cfg(not(ferrio_udp_gso))]
        0
    }

    pub(crate) fn disable_gso(&self) {
        self.gso.store(1, Ordering::Relaxed);
    }

    pub(crate) fn disable_batch_calls(&self) {
        self.mmsg.store(false, Ordering::Relaxed);
    }

    /// `UDP_GRO` on or off.
    pub(crate) fn set_gro(&self, fd: BorrowedFd<'_>, on: bool) -> io::Result<()> {
        #[cfg(ferrio_udp_gso)]
        {
            setsockopt::<c_int>(fd, libc::SOL_UDP, libc::UDP_GRO, c_int::from(on))?;
            let segments = if on { MAX_GSO_SEGMENTS } else { 1 };
            self.gro.store(segments, Ordering::Relaxed);
            Ok(())
        }
        #[cfg(not(ferrio_udp_gso))]
        {
            let _ = fd;
            if on {
                Err(crate::sys::socket_api::unsupported(
                    "set_gro: this system has no UDP GRO",
                ))
            } else {
                Ok(())
            }
        }
    }
}

/// One message of a call: `sendmmsg`'s and `recvmmsg`'s `mmsghdr` where the system has them,
/// the same pair of fields elsewhere.
#[cfg(ferrio_mmsg)]
type Msg = libc::mmsghdr;

#[cfg(not(ferrio_mmsg))]
#[repr(C)]
struct Msg {
    msg_hdr: libc::msghdr,
    msg_len: libc::c_uint,
}

/// An array of `N` uninitialised entries.
fn uninit_array<T, const N: usize>() -> [MaybeUninit<T>; N] {
    // SAFETY: an array of `MaybeUninit` needs no initialisation: every bit pattern, and no
    // pattern at all, is a valid `MaybeUninit`.
    unsafe { MaybeUninit::<[MaybeUninit<T>; N]>::uninit().assume_init() }
}

/// A `msghdr` for one datagram: address `name` of `namelen` bytes, the one buffer `iov`,
/// `controllen` bytes of control messages at `control`.
fn msghdr(
    name: *mut c_void,
    namelen: socklen_t,
    iov: *mut libc::iovec,
    control: *mut c_void,
    controllen: usize,
) -> libc::msghdr {
    // SAFETY: an all-zero msghdr is valid (null pointers, zero lengths); some systems have
    // padding fields, so it cannot be written as a literal. (The padding stays zero, which
    // the `sendmmsg` system call on 64-bit musl relies on.)
    let mut hdr: libc::msghdr = unsafe { mem::zeroed() };
    hdr.msg_name = name;
    hdr.msg_namelen = namelen;
    hdr.msg_iov = iov;
    hdr.msg_iovlen = 1;
    if controllen > 0 {
        hdr.msg_control = control;
        hdr.msg_controllen = controllen as _;
    }
    hdr
}

// ---------------------------------------------------------------------------------------------
// Sending
// ---------------------------------------------------------------------------------------------

/// Writes control messages one after another into a [`Cmsg`].
#[cfg_attr(not(any(ferrio_udp_cmsg, ferrio_udp_gso)), allow(dead_code))]
struct Encoder<'a> {
    buf: &'a mut Cmsg,
    len: usize,
}

impl Encoder<'_> {
    /// Appends a message of `level` and `kind` carrying `value`. (Only where control messages
    /// are written: some systems' libc, ESP-IDF's and the Vita's, has no `CMSG_*` macros.)
    #[cfg(any(ferrio_udp_cmsg, ferrio_udp_gso))]
    fn push<T: Copy>(&mut self, level: c_int, kind: c_int, value: T) {
        let size = mem::size_of::<T>() as libc::c_uint;
        // SAFETY: CMSG_SPACE only computes a size.
        let space = unsafe { libc::CMSG_SPACE(size) } as usize;
        // SAFETY: CMSG_LEN only computes a size.
        let len = unsafe { libc::CMSG_LEN(size) };
        // At most three messages of at most 20 bytes each are ever pushed (see CMSG_CAP).
        assert!(self.len + space <= CMSG_CAP, "control-message space");
        // SAFETY: `self.len + space <= CMSG_CAP`: the offset stays inside `buf`.
        let hdr = unsafe { self.buf.0.as_mut_ptr().add(self.len) }.cast::<libc::cmsghdr>();
        // SAFETY: an all-zero cmsghdr is valid (some systems pad it, so no literal; the
        // padding stays zero, which the `sendmmsg` system call on 64-bit musl relies on).
        let mut header: libc::cmsghdr = unsafe { mem::zeroed() };
        header.cmsg_len = len as _;
        header.cmsg_level = level;
        header.cmsg_type = kind;
        // SAFETY: `hdr` lies inside `buf` with `space` bytes from it, and is aligned for
        // `cmsghdr`: `buf` is, and messages start at multiples of CMSG_SPACE, which keeps
        // that alignment.
        unsafe { hdr.write(header) };
        // SAFETY: CMSG_DATA only computes the address of the data, which lies within the
        // `space` bytes from `hdr`.
        let data = unsafe { libc::CMSG_DATA(hdr) }.cast::<T>();
        // SAFETY: `data` is inside `buf` with room for a `T` (CMSG_SPACE of its size);
        // written unaligned, as the C macros do not promise `T`'s alignment.
        unsafe { data.write_unaligned(value) };
        self.len += space;
    }
}

/// The control messages of a datagram of `t`: ECN, source address, and the segment size of
/// a train the kernel cuts (`gso`).
#[cfg_attr(not(all(ferrio_udp_cmsg, ferrio_udp_gso)), allow(unused_variables))]
fn encode(enc: &mut Encoder<'_>, t: &Transmit<'_>, to: &SocketAddr, gso: bool) {
    #[cfg(ferrio_udp_cmsg)]
    {
        let to_v4 = match to.ip() {
            IpAddr::V4(_) => true,
            IpAddr::V6(ip) => ip.to_ipv4_mapped().is_some(),
        };
        // Where a system has no message for a piece of metadata, it is left out (see the table
        // above).
        match t.ecn {
            #[cfg(all(ferrio_udp_ecn_v4, ferrio_udp_tos_byte))]
            Some(ecn) if to_v4 => enc.push(libc::IPPROTO_IP, libc::IP_TOS, ecn.bits()),
            #[cfg(all(ferrio_udp_ecn_v4, not(ferrio_udp_tos_byte)))]
            Some(ecn) if to_v4 => {
                enc.push(libc::IPPROTO_IP, libc::IP_TOS, c_int::from(ecn.bits()));
            }
            #[cfg(ferrio_udp_cmsg_v6)]
            Some(ecn) if !to_v4 => {
                enc.push(
                    libc::IPPROTO_IPV6,
                    libc::IPV6_TCLASS,
                    c_int::from(ecn.bits()),
                );
            }
            _ => {}
        }
        let src = t.src_ip.map(|ip| match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        });
        match src {
            #[cfg(ferrio_udp_pktinfo_v4)]
            Some(IpAddr::V4(ip)) => {
                // SAFETY: an all-zero in_pktinfo is valid.
                let mut info: libc::in_pktinfo = unsafe { mem::zeroed() };
                info.ipi_spec_dst = libc::in_addr {
                    s_addr: u32::from_ne_bytes(ip.octets()),
                };
                enc.push(libc::IPPROTO_IP, libc::IP_PKTINFO, info);
            }
            #[cfg(ferrio_udp_srcaddr_v4)]
            Some(IpAddr::V4(ip)) => {
                let addr = libc::in_addr {
                    s_addr: u32::from_ne_bytes(ip.octets()),
                };
                enc.push(libc::IPPROTO_IP, libc::IP_SENDSRCADDR, addr);
            }
            #[cfg(ferrio_udp_cmsg_v6)]
            Some(IpAddr::V6(ip)) => {
                // SAFETY: an all-zero in6_pktinfo is valid.
                let mut info: libc::in6_pktinfo = unsafe { mem::zeroed() };
                info.ipi6_addr = libc::in6_addr {
                    s6_addr: ip.octets(),
                };
                enc.push(libc::IPPROTO_IPV6, libc::IPV6_PKTINFO, info);
            }
            _ => {}
        }
    }
    #[cfg(ferrio_udp_gso)]
    if gso {
        if let Some(size) = t.segment_size {
            // At most MAX_TRANSMIT_LEN (checked by the caller), so it fits.
            enc.push(libc::SOL_UDP, libc::UDP_SEGMENT, size as u16);
        }
    }
}

/// Sends as many of `transmits` (checked by the caller) as one call takes; returns how many
/// went out. A train the kernel refuses with `EIO` or `EINVAL` turns GSO off and is sent
/// again datagram by datagram.
pub(crate) fn send_batch(
    fd: BorrowedFd<'_>,
    state: &BatchState,
    transmits: &[Transmit<'_>],
) -> io::Result<usize> {
    let mut named = true;
    loop {
        let gso = state.max_gso_segments() > 1;
        match send_once(fd, state, transmits, gso, named) {
            Err(e) if gso && transmits[0].segments() > 1 && refuses_gso(&e) => {
                state.disable_gso();
            }
            Err(e)
                if named
                    && e.raw_os_error() == Some(libc::EISCONN)
                    && all_to_peer(state.v6, transmits, super::peer_addr(fd)) =>
            {
                named = false;
            }
            other => return other,
        }
    }
}

/// The errors with which Linux refuses a GSO train it cannot send that way (a device without
/// checksum offload: `EIO`; a segment size it cannot use: `EINVAL`).
fn refuses_gso(e: &io::Error) -> bool {
    matches!(e.raw_os_error(), Some(libc::EIO) | Some(libc::EINVAL))
}

/// One call's worth of `transmits`: trains as one message each if `gso`; each message with
/// its destination if `named` (else to the connected peer).
fn send_once(
    fd: BorrowedFd<'_>,
    state: &BatchState,
    transmits: &[Transmit<'_>],
    gso: bool,
    named: bool,
) -> io::Result<usize> {
    let mut msgs = uninit_array::<Msg, MAX_BATCH>();
    let mut names = uninit_array::<RawInet, MAX_BATCH>();
    let mut iovs = uninit_array::<libc::iovec, MAX_BATCH>();
    let mut ctrls = uninit_array::<Cmsg, MAX_BATCH>();
    let plan = Plan::new(transmits, gso);
    for i in 0..plan.len() {
        let (t, chunk) = plan.message(i);
        let to = destination(state.v6, &t.destination);
        let (raw, raw_len) = inet_to_raw(&to);
        let ctrl = ctrls[i].write(Cmsg([0; CMSG_CAP]));
        let mut enc = Encoder { buf: ctrl, len: 0 };
        encode(&mut enc, t, &to, gso && t.segments() > 1);
        let ctrl_len = enc.len;
        let name = names[i].write(raw);
        let iov = iovs[i].write(libc::iovec {
            // sendmmsg and sendmsg only read the buffer.
            iov_base: chunk.as_ptr() as *mut c_void,
            iov_len: chunk.len(),
        });
        let ctrl_ptr = ctrls[i].as_mut_ptr().cast::<c_void>();
        msgs[i].write(Msg {
            msg_hdr: msghdr(
                if named {
                    (name as *mut RawInet).cast()
                } else {
                    std::ptr::null_mut()
                },
                if named { raw_len } else { 0 },
                iov,
                ctrl_ptr,
                ctrl_len,
            ),
            msg_len: 0,
        });
    }
    // SAFETY: the first `plan.len()` entries were initialised in the loop above.
    let msgs = unsafe { assume_init(&mut msgs[..plan.len()]) };
    let sent = send_messages(fd, state, msgs)?;
    Ok(plan.transmits_sent(sent))
}

/// Sends `msgs`, whose pointers are valid for reading; returns how many went out.
fn send_messages(fd: BorrowedFd<'_>, state: &BatchState, msgs: &mut [Msg]) -> io::Result<usize> {
    let flags = super::NOSIGNAL;
    #[cfg(ferrio_mmsg)]
    if state.batch_calls() {
        return sendmmsg(fd, msgs, flags);
    }
    let _ = state;
    one_by_one(msgs.len(), |i| {
        // SAFETY: the message's pointers are valid for the call; sendmsg only reads through
        // them.
        syscall!("sendmsg", unsafe {
            libc::sendmsg(fd.as_raw_fd(), &msgs[i].msg_hdr, flags)
        })
        .map(drop)
    })
}

/// `sendmmsg` of the C library.
#[cfg(all(ferrio_mmsg, not(ferrio_sendmmsg_syscall)))]
fn sendmmsg(fd: BorrowedFd<'_>, msgs: &mut [Msg], flags: libc::c_int) -> io::Result<usize> {
    // SAFETY: `msgs` holds `msgs.len()` `mmsghdr`s whose pointers (addresses, one iovec
    // each, control messages) point into the caller's arrays and the transmits' buffers, all
    // alive for this call; the kernel only reads through them and writes `msg_len`.
    let n = syscall!("sendmmsg", unsafe {
        libc::sendmmsg(
            fd.as_raw_fd(),
            msgs.as_mut_ptr(),
            // (A `size_t` on FreeBSD, an unsigned int elsewhere.)
            msgs.len() as _,
            // (An unsigned int in musl's declaration.)
            flags as _,
        )
    })?;
    Ok(n as usize)
}

/// `sendmmsg` as a system call of ferrio's own, on 64-bit musl (`ferrio_sendmmsg_syscall`),
/// whose C library makes its `sendmmsg` a loop of `sendmsg`: musl's `msghdr` and `cmsghdr`
/// hold the kernel's `size_t` lengths as an `int` or `socklen_t` beside a padding field, which
/// its `sendmsg` zeroes in a copy of the caller's headers, and its `sendmmsg` will not hand
/// the caller's headers to the kernel unchecked. Ours have every padding field zeroed.
#[cfg(ferrio_sendmmsg_syscall)]
fn sendmmsg(fd: BorrowedFd<'_>, msgs: &mut [Msg], flags: libc::c_int) -> io::Result<usize> {
    // SAFETY: the pointers are valid as for libc's `sendmmsg` (`msgs.len()` `mmsghdr`s
    // pointing into the caller's arrays and the transmits' buffers, all alive for this call;
    // the kernel only reads through them and writes `msg_len`), and the headers are laid out
    // as the kernel reads them. musl's `msghdr` and `cmsghdr` are the kernel's `user_msghdr`
    // and `cmsghdr` with each `size_t` length (`msg_iovlen`, `msg_controllen`, `cmsg_len`)
    // split into a 32-bit field and a 32-bit padding field, the padding always in the high
    // half: after the field on little-endian systems, before it on big-endian ones. With the
    // padding zero, each pair reads as the length, on either byte order. It is zero here:
    // `msghdr()` starts from an all-zero header, and `Encoder::push` writes headers made from
    // an all-zero `cmsghdr` into a zeroed buffer; the padding fields are fields (libc's
    // `Padding`, a `MaybeUninit`, or a plain `c_int`), so their zero bytes survive every copy.
    // Every argument is passed as a full register-sized value.
    let n = syscall!("sendmmsg", unsafe {
        libc::syscall(
            libc::SYS_sendmmsg,
            libc::c_long::from(fd.as_raw_fd()),
            msgs.as_mut_ptr(),
            msgs.len() as libc::c_long,
            libc::c_long::from(flags),
        )
    })?;
    Ok(n as usize)
}

// ---------------------------------------------------------------------------------------------
// Receiving
// ---------------------------------------------------------------------------------------------

/// Receives into `bufs` (as many as `meta`, not empty: checked by the caller) as many
/// datagrams as one call gives; fills `meta` for each; returns how many.
pub(crate) fn recv_batch(
    fd: BorrowedFd<'_>,
    state: &BatchState,
    bufs: &mut [IoSliceMut<'_>],
    meta: &mut [RecvMeta],
) -> io::Result<usize> {
    let n = bufs.len().min(meta.len()).min(MAX_BATCH);
    let mut msgs = uninit_array::<Msg, MAX_BATCH>();
    let mut names = uninit_array::<sockaddr_storage, MAX_BATCH>();
    let mut ctrls = uninit_array::<Cmsg, MAX_BATCH>();
    let iovs = bufs.as_mut_ptr();
    let cap = state.recv_cap();
    for i in 0..n {
        // SAFETY: all-zero is a valid sockaddr_storage.
        let name = names[i].write(unsafe { mem::zeroed() });
        let ctrl = ctrls[i].as_mut_ptr().cast::<u8>();
        // SAFETY: `cap <= CMSG_CAP`: the first `cap` bytes of the entry are zeroed (only
        // they are handed to the kernel, and only they are read back); a byte array has no
        // invalid values.
        unsafe { ctrl.write_bytes(0, cap) };
        msgs[i].write(Msg {
            msg_hdr: msghdr(
                (name as *mut sockaddr_storage).cast(),
                mem::size_of::<sockaddr_storage>() as socklen_t,
                // `IoSliceMut` is ABI-compatible with `iovec` on Unix; `i < bufs.len()`.
                iovs.wrapping_add(i).cast::<libc::iovec>(),
                ctrl.cast(),
                cap,
            ),
            msg_len: 0,
        });
    }
    // SAFETY: the first `n` entries were initialised in the loop above.
    let msgs = unsafe { assume_init(&mut msgs[..n]) };
    let got = recv_messages(fd, state, msgs)?;
    // SAFETY: the first `n` entries were initialised in the loop above, and the kernel wrote
    // into them only address bytes.
    let names = unsafe { assume_init(&mut names[..n]) };
    for ((m, msg), name) in meta[..got].iter_mut().zip(&*msgs).zip(&*names) {
        *m = decode(msg, name);
    }
    Ok(got)
}

/// Receives into `msgs`, whose pointers are valid for writing; returns how many were filled.
/// After the first, a receive that would wait ends the batch.
fn recv_messages(fd: BorrowedFd<'_>, state: &BatchState, msgs: &mut [Msg]) -> io::Result<usize> {
    #[cfg(ferrio_mmsg)]
    if state.batch_calls() {
        // SAFETY: `msgs` holds `msgs.len()` `mmsghdr`s whose pointers point to writable
        // addresses, buffers (one iovec each, the caller's) and control space of the sizes
        // given, all alive for this call. No timeout (a null pointer: `*const` on FreeBSD,
        // `*mut` elsewhere).
        let n = syscall!("recvmmsg", unsafe {
            libc::recvmmsg(
                fd.as_raw_fd(),
                msgs.as_mut_ptr(),
                msgs.len() as _,
                libc::MSG_WAITFORONE as _,
                std::ptr::null_mut::<libc::timespec>(),
            )
        })?;
        return Ok(n as usize);
    }
    let _ = state;
    // A receive after the first that fails ends the batch: nothing more is waiting (or an
    // error, which the next call meets).
    one_by_one(msgs.len(), |i| {
        // The first receive waits if the socket is blocking; the others never do.
        let flags = if i == 0 { 0 } else { libc::MSG_DONTWAIT };
        let msg = &mut msgs[i];
        // SAFETY: the message's pointers are valid, writable for the sizes given, for the
        // call.
        let len = syscall!("recvmsg", unsafe {
            libc::recvmsg(fd.as_raw_fd(), &mut msg.msg_hdr, flags)
        })?;
        msg.msg_len = len as _;
        Ok(())
    })
}

/// The metadata of one received message.
fn decode(msg: &Msg, name: &sockaddr_storage) -> RecvMeta {
    let hdr = &msg.msg_hdr;
    let len = msg.msg_len as usize;
    #[cfg_attr(not(any(ferrio_udp_cmsg, ferrio_udp_gso)), allow(unused_mut))]
    let mut meta = RecvMeta {
        // A UDP socket reports an IP address; should it not, the datagram is kept anyway.
        addr: SocketAddr::from_storage(name, hdr.msg_namelen)
            .unwrap_or_else(|_| SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0)),
        len,
        stride: len,
        ecn: None,
        dst_ip: None,
        interface: None,
        truncated: hdr.msg_flags & libc::MSG_TRUNC != 0,
    };
    #[cfg(any(ferrio_udp_cmsg, ferrio_udp_gso))]
    decode_cmsgs(hdr, &mut meta);
    meta
}

/// Reads the control messages the kernel wrote into `hdr`'s buffer.
#[cfg(any(ferrio_udp_cmsg, ferrio_udp_gso))]
fn decode_cmsgs(hdr: &libc::msghdr, meta: &mut RecvMeta) {
    // SAFETY: `hdr` describes a control buffer of `msg_controllen` bytes (zeroed, then
    // written by the kernel, which only shrinks the length it was given); CMSG_FIRSTHDR
    // returns null or a header inside it.
    let mut c = unsafe { libc::CMSG_FIRSTHDR(hdr) };
    while !c.is_null() {
        // SAFETY: `c` is a header inside the buffer (see above and below).
        let header = unsafe { c.read_unaligned() };
        // A length shorter than the header is no message, and the BSDs' and Apple's
        // CMSG_NXTHDR would return the same header again for a length of 0 (glibc's and
        // musl's stop): end there rather than loop.
        // (`cmsg_len` is a `size_t` on glibc, a `socklen_t` elsewhere.)
        #[allow(clippy::unnecessary_cast)]
        if (header.cmsg_len as usize) < mem::size_of::<libc::cmsghdr>() {
            break;
        }
        // SAFETY: CMSG_DATA only computes the address of the data following `c`.
        let data = unsafe { libc::CMSG_DATA(c) };
        let data_len = (header.cmsg_len as usize).saturating_sub(data as usize - c as usize);
        // (`msg_controllen` is a `size_t` on glibc, a `socklen_t` on musl.)
        #[allow(clippy::unnecessary_cast)]
        let end = hdr.msg_control as usize + hdr.msg_controllen as usize;
        let data_len = data_len.min(end.saturating_sub(data as usize));
        // SAFETY: `data_len` bytes at `data` lie inside the control buffer, which was
        // zeroed (so initialised) and is borrowed through `hdr` for this call.
        let data = unsafe { std::slice::from_raw_parts(data, data_len) };
        decode_one(header.cmsg_level, header.cmsg_type, data, meta);
        // SAFETY: CMSG_NXTHDR returns null or the next header inside the buffer.
        c = unsafe { libc::CMSG_NXTHDR(hdr, c) };
    }
}

/// The initialised prefix of an array of entries as what it holds.
///
/// # Safety
///
/// Every entry of `entries` must be initialised.
unsafe fn assume_init<T>(entries: &mut [MaybeUninit<T>]) -> &mut [T] {
    // SAFETY: `MaybeUninit<T>` has the layout of `T`, and the caller vouches that every
    // entry is initialised; the result borrows `entries`.
    unsafe { &mut *(entries as *mut [MaybeUninit<T>] as *mut [T]) }
}

/// Reading one control message (`decode_one`): what each system writes, and how it reads.
#[cfg(any(ferrio_udp_cmsg, ferrio_udp_gso))]
mod meta;
#[cfg(any(ferrio_udp_cmsg, ferrio_udp_gso))]
use self::meta::decode_one;
