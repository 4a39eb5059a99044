//! States made by `UdpBatch::without_metadata`, whose received datagrams report no metadata.
//! A module of `net_udp_batch`, so that it runs on every path that file runs on.

use super::*;
use crate::udp_batch_pair::on_path;

/// ECN marks of every kind, and none.
const MARKS: [Option<EcnCodepoint>; 4] = [
    Some(EcnCodepoint::Ect0),
    Some(EcnCodepoint::Ect1),
    Some(EcnCodepoint::Ce),
    None,
];

/// Datagrams of 1 to 4 bytes to `to`, marked with `MARKS` (growing sizes, so that GRO cannot
/// join them).
fn marked(to: SocketAddr) -> Vec<Transmit<'static>> {
    let payloads: [&'static [u8]; 4] = [b"a", b"bb", b"ccc", b"dddd"];
    payloads
        .into_iter()
        .zip(MARKS)
        .map(|(contents, ecn)| Transmit {
            ecn,
            ..Transmit::new(to, contents)
        })
        .collect()
}

/// Without metadata, datagrams arrive with their sender, length and bytes, and none of the
/// metadata, even ECN-marked ones (`ecn_both_ways` shows the marks arriving where metadata
/// is asked for); the offloads are those of a state made by `new`.
#[test]
fn without_metadata_reports_none() {
    for addr in loopbacks() {
        for path in PATHS {
            let mut p = Pair::with_metadata(addr, path, true, false);
            assert!(!p.rx_state.carries_metadata(), "{addr} {path:?}");
            // The sender's state, made by `new` for a socket of the same family.
            assert_eq!(p.rx_state.gro_segments(), p.tx_state.gro_segments());
            assert_eq!(p.rx_state.batch_calls(), p.tx_state.batch_calls());
            let (from, to) = (p.tx.local_addr().unwrap(), p.to());
            let transmits = marked(to);
            p.send_all(&transmits);
            let got = p.recv(4, 64);
            assert_eq!(got.len(), 4, "{addr} {path:?}");
            for ((m, bytes), t) in got.iter().zip(&transmits) {
                assert_eq!((m.addr, bytes.as_slice()), (from, t.contents), "{path:?}");
                assert_eq!(
                    (m.len, m.stride, m.truncated),
                    (t.contents.len(), m.len, false)
                );
                let none = (None, None, None);
                assert_eq!((m.ecn, m.dst_ip, m.interface), none, "{addr} {path:?}");
            }
            p.assert_empty();
        }
    }
}

/// A socket that a state made by `new` prepared keeps its options on; a state made for it
/// by `without_metadata` still reports no metadata.
#[test]
fn without_metadata_on_a_prepared_socket() {
    for path in PATHS {
        let mut p = Pair::new(any_local(), path);
        p.rx_state = on_path(UdpBatch::without_metadata(&p.rx).unwrap(), path);
        let transmits = marked(p.to());
        p.send_all(&transmits);
        for (m, _) in p.recv(4, 64) {
            assert_eq!(
                (m.ecn, m.dst_ip, m.interface),
                (None, None, None),
                "{path:?}"
            );
        }
    }
}

/// A state made by `without_metadata` still sends ECN marks, where a state made by `new`
/// carries them.
#[test]
fn without_metadata_still_marks_what_it_sends() {
    for addr in loopbacks() {
        for path in PATHS {
            // The receiver's state made by `new`, the sender's by `without_metadata`.
            let mut p = Pair::with_metadata(addr, path, false, true);
            if !p.rx_state.carries_metadata() {
                continue;
            }
            let transmits = marked(p.to());
            p.send_all(&transmits);
            let got: Vec<_> = p.recv(4, 64).iter().map(|(m, _)| m.ecn).collect();
            assert_eq!(got, MARKS, "{addr} {path:?}");
        }
    }
}

/// Without metadata, GRO still reports the stride of a train (in one buffer where GSO and
/// GRO are on), and a datagram longer than its buffer is still flagged.
#[test]
fn without_metadata_keeps_stride_and_truncation() {
    for addr in loopbacks() {
        for path in PATHS {
            let mut p = Pair::with_metadata(addr, path, true, false);
            // Windows leaves URO off until asked for; Wine 8 refuses it.
            #[cfg(windows)]
            let _ = p.rx_state.set_gro(&p.rx, true);
            let to = p.to();
            let data = train_bytes(10, 1200, 700);
            p.send_all(&[Transmit {
                segment_size: Some(1200),
                ..Transmit::new(to, &data)
            }]);
            let got = p.recv(10, 65536);
            assert_train(&got, &data, &format!("{addr} {path:?}"));
            // Where the kernel has GSO and GRO, the train arrives as one buffer.
            let offloads = p.tx_state.max_gso_segments() > 1 && p.rx_state.gro_segments() > 1;
            if cfg!(ferrio_udp_gso) && offloads {
                assert_eq!((got.len(), got[0].0.stride), (1, 1200), "{addr} {path:?}");
            }

            p.send_all(&[Transmit::new(to, &[5u8; 100])]);
            let got = p.recv(1, 10);
            // Without recvmsg the system does not say (see `truncated_datagram_is_flagged`).
            assert_eq!(got[0].0.truncated, cfg!(not(ferrio_no_msghdr)), "{path:?}");
            assert_eq!(got[0].0.len, 10);
            p.assert_empty();
        }
    }
}
