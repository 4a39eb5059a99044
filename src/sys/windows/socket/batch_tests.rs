//! The control-message layout of batched UDP on Windows, without a socket: what `encode`
//! writes for a transmit (ECN, source address, USO segment size) and what `decode_cmsgs`
//! reads back (ECN or TOS, packet info, URO stride), malformed buffers included. Wine refuses
//! USO, URO and `IP_RECVECN`, so these are the parts of those paths that run here.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use super::*;

/// The (level, type, data) of each control message in `ctrl`, walked as a stack would.
fn messages(ctrl: &[u8]) -> Vec<(i32, i32, Vec<u8>)> {
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(h) = ctrl.get(at..).and_then(read_header) {
        assert!(h.cmsg_len >= DATA_OFFSET, "length {}", h.cmsg_len);
        assert!(
            at + h.cmsg_len <= ctrl.len(),
            "length {} at {at}",
            h.cmsg_len
        );
        out.push((
            h.cmsg_level,
            h.cmsg_type,
            ctrl[at + DATA_OFFSET..at + h.cmsg_len].to_vec(),
        ));
        at += align(h.cmsg_len);
    }
    assert_eq!(at, ctrl.len(), "messages end where the length says");
    out
}

fn v4(a: u8, b: u8, c: u8, d: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(a, b, c, d))
}

#[test]
fn a_transmit_without_metadata_has_no_control_messages() {
    let to = SocketAddr::new(v4(127, 0, 0, 1), 9);
    let t = Transmit::new(to, b"x");
    assert_eq!(encode(&t, &to, true, true).len, 0);
}

#[test]
fn ecn_source_and_segment_size_are_written_in_order() {
    let to = SocketAddr::new(v4(127, 0, 0, 1), 9);
    let data = [0u8; 3600];
    let mut t = Transmit::new(to, &data);
    t.ecn = Some(EcnCodepoint::Ect0);
    t.src_ip = Some(v4(127, 0, 0, 2));
    t.segment_size = Some(1200);
    let enc = encode(&t, &to, true, true);
    let got = messages(&enc.buf.0[..enc.len]);
    assert_eq!(got.len(), 3, "{got:?}");
    assert_eq!((got[0].0, got[0].1), (ws::IPPROTO_IP, ws::IP_ECN));
    assert_eq!(got[0].2, 2i32.to_ne_bytes());
    assert_eq!((got[1].0, got[1].1), (ws::IPPROTO_IP, ws::IP_PKTINFO));
    assert_eq!(got[1].2.len(), mem::size_of::<IN_PKTINFO>());
    assert_eq!(got[1].2[..4], [127, 0, 0, 2]);
    assert_eq!(
        (got[2].0, got[2].1),
        (ws::IPPROTO_UDP, ws::UDP_SEND_MSG_SIZE)
    );
    assert_eq!(got[2].2, 1200u32.to_ne_bytes());
}

#[test]
fn marks_only_where_the_stack_takes_them_and_segments_only_for_uso() {
    let to = SocketAddr::new(v4(127, 0, 0, 1), 9);
    let data = [0u8; 2400];
    let mut t = Transmit::new(to, &data);
    t.ecn = Some(EcnCodepoint::Ce);
    t.segment_size = Some(1200);
    // No IP_RECVECN (Wine): no IP_ECN message; no USO: no segment size.
    assert_eq!(encode(&t, &to, false, false).len, 0);
}

#[test]
fn ipv6_and_mapped_destinations_take_their_family_s_messages() {
    let to6 = SocketAddr::new(IpAddr::V6(Ipv6Addr::LOCALHOST), 9);
    let mut t = Transmit::new(to6, b"x");
    t.ecn = Some(EcnCodepoint::Ect1);
    t.src_ip = Some(IpAddr::V6(Ipv6Addr::LOCALHOST));
    let enc = encode(&t, &to6, true, false);
    let got = messages(&enc.buf.0[..enc.len]);
    assert_eq!((got[0].0, got[0].1), (ws::IPPROTO_IPV6, ws::IPV6_ECN));
    assert_eq!(got[0].2, 1i32.to_ne_bytes());
    assert_eq!((got[1].0, got[1].1), (ws::IPPROTO_IPV6, ws::IPV6_PKTINFO));
    assert_eq!(got[1].2[..16], Ipv6Addr::LOCALHOST.octets());

    // An IPv4 peer of an IPv6 socket (a mapped address) takes the IPv4 messages, and a
    // mapped source address becomes an IPv4 one.
    let mapped = SocketAddr::new(IpAddr::V6(Ipv4Addr::new(127, 0, 0, 1).to_ipv6_mapped()), 9);
    t.src_ip = Some(IpAddr::V6(Ipv4Addr::new(127, 0, 0, 3).to_ipv6_mapped()));
    let enc = encode(&t, &mapped, true, false);
    let got = messages(&enc.buf.0[..enc.len]);
    assert_eq!((got[0].0, got[0].1), (ws::IPPROTO_IP, ws::IP_ECN));
    assert_eq!((got[1].0, got[1].1), (ws::IPPROTO_IP, ws::IP_PKTINFO));
    assert_eq!(got[1].2[..4], [127, 0, 0, 3]);
}

#[test]
fn received_messages_fill_the_metadata() {
    let mut enc = Encoder {
        buf: Cmsg([0; CMSG_CAP]),
        len: 0,
    };
    let info = IN_PKTINFO {
        ipi_addr: IN_ADDR {
            S_un: IN_ADDR_0 {
                S_addr: u32::from_ne_bytes([127, 0, 0, 5]),
            },
        },
        ipi_ifindex: 7,
    };
    enc.push(ws::IPPROTO_IP, ws::IP_PKTINFO, info);
    enc.push(ws::IPPROTO_IP, ws::IP_ECN, 3i32);
    enc.push(ws::IPPROTO_UDP, ws::UDP_COALESCED_INFO as i32, 1200u32);
    let mut m = RecvMeta {
        len: 3600,
        stride: 3600,
        ..RecvMeta::default()
    };
    decode_cmsgs(&enc.buf.0[..enc.len], &mut m);
    assert_eq!(m.dst_ip, Some(v4(127, 0, 0, 5)));
    assert_eq!(m.interface, Some(7));
    assert_eq!(m.ecn, Some(EcnCodepoint::Ce));
    assert_eq!(m.stride, 1200);
}

#[test]
fn tos_and_traffic_class_give_the_ecn_bits() {
    for (level, kind) in [
        (ws::IPPROTO_IP, ws::IP_TOS),
        (ws::IPPROTO_IPV6, ws::IPV6_TCLASS),
    ] {
        let mut enc = Encoder {
            buf: Cmsg([0; CMSG_CAP]),
            len: 0,
        };
        // DSCP bits above the two ECN bits are ignored.
        enc.push(level, kind, 0b1010_1001i32);
        let mut m = RecvMeta::default();
        decode_cmsgs(&enc.buf.0[..enc.len], &mut m);
        assert_eq!(m.ecn, Some(EcnCodepoint::Ect1), "{level} {kind}");
    }
}

#[test]
fn malformed_control_space_is_read_no_further() {
    let mut enc = Encoder {
        buf: Cmsg([0; CMSG_CAP]),
        len: 0,
    };
    enc.push(ws::IPPROTO_IP, ws::IP_ECN, 2i32);
    let good = enc.len;
    let expect = Some(EcnCodepoint::Ect0);
    // A length shorter than a header, a length past the end, a cut-off header, and no bytes:
    // whatever came before is kept, nothing panics.
    let mut short = enc.buf.0;
    short[good..good + mem::size_of::<usize>()].copy_from_slice(&1usize.to_ne_bytes());
    let mut long = enc.buf.0;
    long[good..good + mem::size_of::<usize>()].copy_from_slice(&usize::MAX.to_ne_bytes());
    for (bytes, len, ecn) in [
        (&short[..], good + DATA_OFFSET + 4, expect),
        (&long[..], good + DATA_OFFSET + 4, expect),
        (&enc.buf.0[..], good + 3, expect),
        (&enc.buf.0[..], 3, None),
        (&enc.buf.0[..], 0, None),
    ] {
        let mut m = RecvMeta::default();
        decode_cmsgs(&bytes[..len], &mut m);
        assert_eq!(m.ecn, ecn, "{len}");
    }
}
