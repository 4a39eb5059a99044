//! The metadata of a received datagram, read from its control messages (see the table in
//! `batch.rs`). The systems differ in which messages they write, not in how one message is
//! read, so the reading is one function driven by a `Layout`: the level and type of each
//! message on this system. The unit tests below feed it the messages of other systems, which
//! this way are tested on Linux too.

use std::mem;
use std::net::{IpAddr, Ipv4Addr};

use libc::c_int;

use crate::net::{EcnCodepoint, RecvMeta};

/// The level and type of a control message.
type Kind = (c_int, c_int);

/// Which control message holds each piece of metadata (`None`: the system writes none).
#[derive(Debug, Clone, Copy)]
pub(super) struct Layout {
    /// The TOS byte of an IPv4 datagram (ECN in its low bits): the type is `IP_TOS` on
    /// Linux, `IP_RECVTOS` on the BSDs and Apple's systems.
    tos: [Option<Kind>; 2],
    /// The traffic class of an IPv6 datagram: an int (one byte from some Apple kernels).
    tclass: Option<Kind>,
    /// An `in6_pktinfo`: the destination address and interface of an IPv6 datagram.
    #[cfg(ferrio_udp_cmsg_v6)]
    pktinfo_v6: Option<Kind>,
    /// An `in_pktinfo`: the destination address and interface of an IPv4 datagram.
    #[cfg(ferrio_udp_pktinfo_v4)]
    pktinfo_v4: Option<Kind>,
    /// An `in_addr`: the destination address of an IPv4 datagram.
    dstaddr_v4: Option<Kind>,
    /// A `sockaddr_dl`: the interface an IPv4 datagram arrived on, whose index (`sdl_index`,
    /// a `u16`) starts `sdl_index` bytes in.
    recvif: Option<Kind>,
    sdl_index: usize,
    /// The segment size of a GRO train: an int.
    gro: Option<Kind>,
}

impl Layout {
    /// No message at all.
    const NONE: Layout = Layout {
        tos: [None, None],
        tclass: None,
        #[cfg(ferrio_udp_cmsg_v6)]
        pktinfo_v6: None,
        #[cfg(ferrio_udp_pktinfo_v4)]
        pktinfo_v4: None,
        dstaddr_v4: None,
        recvif: None,
        sdl_index: 0,
        gro: None,
    };

    /// The messages this system writes (build.rs's facts).
    pub(super) fn system() -> Layout {
        let mut layout = Layout::NONE;
        #[cfg(ferrio_udp_ecn_v4)]
        {
            layout.tos = [
                Some((libc::IPPROTO_IP, libc::IP_TOS)),
                Some((libc::IPPROTO_IP, libc::IP_RECVTOS)),
            ];
        }
        #[cfg(ferrio_udp_cmsg_v6)]
        {
            layout.tclass = Some((libc::IPPROTO_IPV6, libc::IPV6_TCLASS));
            layout.pktinfo_v6 = Some((libc::IPPROTO_IPV6, libc::IPV6_PKTINFO));
        }
        #[cfg(ferrio_udp_pktinfo_v4)]
        {
            layout.pktinfo_v4 = Some((libc::IPPROTO_IP, libc::IP_PKTINFO));
        }
        #[cfg(ferrio_udp_dstaddr_v4)]
        {
            layout.dstaddr_v4 = Some((libc::IPPROTO_IP, libc::IP_RECVDSTADDR));
            layout.recvif = Some((libc::IPPROTO_IP, libc::IP_RECVIF));
            layout.sdl_index = sdl_index_offset();
        }
        #[cfg(ferrio_udp_gso)]
        {
            layout.gro = Some((libc::SOL_UDP, libc::UDP_GRO));
        }
        layout
    }
}

/// Where `sdl_index` lies in libc's `sockaddr_dl`.
#[cfg(ferrio_udp_dstaddr_v4)]
fn sdl_index_offset() -> usize {
    let dl = mem::MaybeUninit::<libc::sockaddr_dl>::uninit();
    let base = dl.as_ptr();
    // SAFETY: `addr_of!` computes the address of a field of `dl`, which is alive, without
    // reading it (it is uninitialised).
    let field = unsafe { std::ptr::addr_of!((*base).sdl_index) };
    field as usize - base as usize
}

/// C types read from control messages: plain integers and structs of them, valid for any
/// bits.
trait Plain: Copy {}
impl Plain for c_int {}
impl Plain for u16 {}
impl Plain for libc::in_addr {}
#[cfg(ferrio_udp_pktinfo_v4)]
impl Plain for libc::in_pktinfo {}
#[cfg(ferrio_udp_cmsg_v6)]
impl Plain for libc::in6_pktinfo {}

/// A `T` from the start of `data`, if it holds one.
fn read<T: Plain>(data: &[u8]) -> Option<T> {
    // SAFETY: `data` holds at least a `T`'s bytes, read unaligned, and `T: Plain` is valid
    // for any bits.
    (data.len() >= mem::size_of::<T>())
        .then(|| unsafe { data.as_ptr().cast::<T>().read_unaligned() })
}

/// One control message of this system: its level, type and data.
pub(super) fn decode_one(level: c_int, kind: c_int, data: &[u8], m: &mut RecvMeta) {
    decode_as(&Layout::system(), level, kind, data, m);
}

/// One control message, of a system whose messages are `layout`. Data too short for what the
/// message should hold leaves the metadata as it was.
fn decode_as(layout: &Layout, level: c_int, kind: c_int, data: &[u8], m: &mut RecvMeta) {
    match Some((level, kind)) {
        k if layout.tos.contains(&k) => {
            if let Some(&tos) = data.first() {
                m.ecn = EcnCodepoint::from_bits(tos);
            }
        }
        k if k == layout.tclass => {
            // (Apple's kernels have sent it as one byte, as quinn-udp found.)
            let class = match read::<c_int>(data) {
                Some(class) => Some(class as u8),
                None => data.first().copied(),
            };
            if let Some(class) = class {
                m.ecn = EcnCodepoint::from_bits(class);
            }
        }
        #[cfg(ferrio_udp_cmsg_v6)]
        k if k == layout.pktinfo_v6 => {
            if let Some(info) = read::<libc::in6_pktinfo>(data) {
                m.dst_ip = Some(IpAddr::V6(info.ipi6_addr.s6_addr.into()));
                // (Unsigned on most systems, signed in Android's declaration.)
                #[allow(clippy::unnecessary_cast)]
                let index = info.ipi6_ifindex as u32;
                m.interface = Some(index);
            }
        }
        #[cfg(ferrio_udp_pktinfo_v4)]
        k if k == layout.pktinfo_v4 => {
            if let Some(info) = read::<libc::in_pktinfo>(data) {
                let addr = info.ipi_addr.s_addr.to_ne_bytes();
                m.dst_ip = Some(IpAddr::V4(Ipv4Addr::from(addr)));
                // (Signed on Linux, unsigned on Apple's systems; never negative.)
                m.interface = u32::try_from(i64::from(info.ipi_ifindex)).ok();
            }
        }
        k if k == layout.dstaddr_v4 => {
            if let Some(addr) = read::<libc::in_addr>(data) {
                m.dst_ip = Some(IpAddr::V4(Ipv4Addr::from(addr.s_addr.to_ne_bytes())));
            }
        }
        k if k == layout.recvif => {
            // Index 0: the kernel did not know the interface.
            let index = data.get(layout.sdl_index..).and_then(read::<u16>);
            if let Some(index) = index.filter(|&i| i > 0) {
                m.interface = Some(u32::from(index));
            }
        }
        k if k == layout.gro => {
            if let Some(size) = read::<c_int>(data) {
                if size > 0 {
                    m.stride = size as usize;
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Control-message numbers of other systems, from their headers: FreeBSD's
    // <netinet/in.h> (IP_RECVDSTADDR 7, IP_RECVIF 20, IP_RECVTOS 68, IPV6_TCLASS 61), Apple's
    // <netinet/in.h> and <netinet6/in6.h> (IP_PKTINFO 26, IP_RECVTOS 27, IPV6_TCLASS 36),
    // OpenBSD's <netinet/in.h> (IP_RECVIF 30); IPPROTO_IP is 0 and IPPROTO_IPV6 41
    // everywhere.
    const IP: c_int = 0;
    const IPV6: c_int = 41;

    /// FreeBSD's messages for an IPv4 socket (NetBSD's and DragonFly's differ in numbers
    /// only, and have no TOS message).
    fn freebsd() -> Layout {
        Layout {
            tos: [Some((IP, 3)), Some((IP, 68))],
            tclass: Some((IPV6, 61)),
            dstaddr_v4: Some((IP, 7)),
            recvif: Some((IP, 20)),
            // <net/if_dl.h>: `u_char sdl_len; u_char sdl_family; u_short sdl_index; ...`.
            sdl_index: 2,
            ..Layout::NONE
        }
    }

    /// A `sockaddr_dl` as the BSDs write it for `IP_RECVIF`: length, family (AF_LINK),
    /// index, then type, name and address lengths and the name.
    fn sockaddr_dl(index: u16) -> Vec<u8> {
        let mut dl = vec![20, 18];
        dl.extend_from_slice(&index.to_ne_bytes());
        dl.extend_from_slice(&[6, 3, 0, 0]);
        dl.extend_from_slice(b"em0");
        dl.resize(20, 0);
        dl
    }

    fn decode_all(layout: &Layout, messages: &[(c_int, c_int, &[u8])]) -> RecvMeta {
        let mut m = RecvMeta {
            len: 10,
            stride: 10,
            ..RecvMeta::default()
        };
        for &(level, kind, data) in messages {
            decode_as(layout, level, kind, data, &mut m);
        }
        m
    }

    #[test]
    fn bsd_ipv4_destination_interface_and_ecn() {
        let dl = sockaddr_dl(3);
        let m = decode_all(
            &freebsd(),
            &[
                (IP, 7, &[192, 0, 2, 7]),
                (IP, 20, &dl),
                // DSCP bits above the ECN ones are not ECN.
                (IP, 68, &[0b1011_1010]),
            ],
        );
        assert_eq!(m.dst_ip, Some(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 7))));
        assert_eq!(m.interface, Some(3));
        assert_eq!(m.ecn, Some(EcnCodepoint::Ect0));
        assert_eq!((m.len, m.stride), (10, 10));
    }

    #[test]
    fn bsd_interface_unknown_or_cut_short() {
        let layout = freebsd();
        // Index 0 (the kernel's stand-in when it has no interface), and messages too short
        // for their contents: nothing is reported, nothing panics.
        let m = decode_all(
            &layout,
            &[
                (IP, 20, &sockaddr_dl(0)),
                (IP, 20, &[8, 18, 5]),
                (IP, 7, &[10, 0, 0]),
                (IP, 68, &[]),
            ],
        );
        assert_eq!((m.interface, m.dst_ip, m.ecn), (None, None, None));
        // OpenBSD's IP_RECVIF is 30; FreeBSD's number means nothing there.
        let openbsd = Layout {
            recvif: Some((IP, 30)),
            tos: [None, None],
            ..layout
        };
        let m = decode_all(&openbsd, &[(IP, 20, &sockaddr_dl(4)), (IP, 68, &[3])]);
        assert_eq!((m.interface, m.ecn), (None, None));
        let m = decode_all(&openbsd, &[(IP, 30, &sockaddr_dl(4))]);
        assert_eq!(m.interface, Some(4));
    }

    #[test]
    fn traffic_class_as_int_or_byte() {
        let apple = Layout {
            tos: [None, Some((IP, 27))],
            tclass: Some((IPV6, 36)),
            ..Layout::NONE
        };
        let int = (0b11 as c_int).to_ne_bytes();
        assert_eq!(
            decode_all(&apple, &[(IPV6, 36, &int)]).ecn,
            Some(EcnCodepoint::Ce)
        );
        assert_eq!(
            decode_all(&apple, &[(IPV6, 36, &[0b01])]).ecn,
            Some(EcnCodepoint::Ect1)
        );
        assert_eq!(
            decode_all(&apple, &[(IP, 27, &[0b10])]).ecn,
            Some(EcnCodepoint::Ect0)
        );
        // Not ECN-capable.
        assert_eq!(decode_all(&apple, &[(IP, 27, &[0xb8])]).ecn, None);
    }

    /// Apple's `in_pktinfo` has the layout of Linux's (an unsigned index), so Linux's struct
    /// stands for it.
    #[cfg(ferrio_udp_pktinfo_v4)]
    #[test]
    fn apple_ipv4_packet_info() {
        let apple = Layout {
            pktinfo_v4: Some((IP, 26)),
            ..Layout::NONE
        };
        // SAFETY: an all-zero in_pktinfo is valid.
        let mut info: libc::in_pktinfo = unsafe { mem::zeroed() };
        info.ipi_ifindex = 7;
        info.ipi_addr.s_addr = u32::from_ne_bytes([10, 1, 2, 3]);
        // SAFETY: `info` is a plain C struct without padding; its bytes are initialised.
        let bytes = unsafe {
            std::slice::from_raw_parts(
                (&info as *const libc::in_pktinfo).cast::<u8>(),
                mem::size_of::<libc::in_pktinfo>(),
            )
        };
        let m = decode_all(&apple, &[(IP, 26, bytes)]);
        assert_eq!(m.dst_ip, Some(IpAddr::V4(Ipv4Addr::new(10, 1, 2, 3))));
        assert_eq!(m.interface, Some(7));
        assert_eq!(decode_all(&apple, &[(IP, 26, &bytes[..8])]).dst_ip, None);
    }

    /// This system's own messages, as the kernel writes them (the integration tests see
    /// them come from a real kernel).
    #[cfg(all(ferrio_udp_ecn_v4, ferrio_udp_gso))]
    #[test]
    fn this_system() {
        let layout = Layout::system();
        let gro = (1200 as c_int).to_ne_bytes();
        let m = decode_all(
            &layout,
            &[
                (libc::IPPROTO_IP, libc::IP_TOS, &[0b11]),
                (libc::SOL_UDP, libc::UDP_GRO, &gro),
            ],
        );
        assert_eq!(m.ecn, Some(EcnCodepoint::Ce));
        assert_eq!(m.stride, 1200);
        // A message of no known kind is skipped.
        assert_eq!(
            decode_all(&layout, &[(IP, 9999, &[1, 2, 3])]),
            decode_all(&layout, &[])
        );
    }
}
