//! What the batched-UDP paths share (Unix `socket/batch.rs`, `socket/batch_plain.rs` where
//! there is no `msghdr`, and Windows `socket/batch.rs`): which datagrams one `send_batch` call
//! sends, and the rules of a batch made one system call per datagram.
//!
//! Those rules, the ones `sendmmsg` and `recvmmsg` follow: an error on the first datagram is
//! returned; an error on a later one ends the call, with what went through reported and the
//! error left for the next call to meet; a transmit counts as sent once its first datagram
//! went out (the rest of a train cut short is dropped, as the network may drop it, rather
//! than sent twice).

use std::io;
use std::net::{IpAddr, SocketAddr};

use crate::net::{Transmit, MAX_GSO_SEGMENTS};

/// The most messages (datagrams, or trains the kernel cuts) one call sends or receives. A
/// train sent datagram by datagram (at most `MAX_GSO_SEGMENTS`) always fits in one call.
pub(crate) const MAX_BATCH: usize = 64;
const _: () = assert!(MAX_BATCH >= MAX_GSO_SEGMENTS && MAX_BATCH <= u8::MAX as usize);

/// The messages of one send: whole transmits from the start of the list, as many as
/// [`MAX_BATCH`] messages hold. A transmit is one message (a datagram, or a train the kernel
/// cuts: `gso`) or, a train without GSO, one message per datagram.
pub(crate) struct Plan<'a, 'b> {
    transmits: &'a [Transmit<'b>],
    gso: bool,
    /// For each message: the index of its transmit, and which of the transmit's datagrams it
    /// is (both below `MAX_BATCH`).
    messages: [(u8, u8); MAX_BATCH],
    len: usize,
}

impl<'a, 'b> Plan<'a, 'b> {
    /// The messages of `transmits` (checked by the caller: no train longer than
    /// `MAX_GSO_SEGMENTS`), trains as one message each if `gso`.
    pub(crate) fn new(transmits: &'a [Transmit<'b>], gso: bool) -> Self {
        let mut plan = Plan {
            transmits,
            gso,
            messages: [(0, 0); MAX_BATCH],
            len: 0,
        };
        for (i, t) in transmits.iter().enumerate() {
            let count = if gso { 1 } else { t.segments() };
            if plan.len + count > MAX_BATCH {
                break;
            }
            for k in 0..count {
                // Both fit: `i <= plan.len < MAX_BATCH` (every transmit has a message), and
                // `k < count <= MAX_BATCH`.
                plan.messages[plan.len] = (i as u8, k as u8);
                plan.len += 1;
            }
        }
        plan
    }

    /// How many messages.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Message `i` (below [`len`](Self::len)): its transmit, and the bytes it carries.
    pub(crate) fn message(&self, i: usize) -> (&'a Transmit<'b>, &'b [u8]) {
        let (index, k) = self.messages[i];
        let t = &self.transmits[usize::from(index)];
        let bytes = match t.segment_size {
            Some(size) if !self.gso && t.segments() > 1 => {
                let start = (usize::from(k) * size).min(t.contents.len());
                let end = (start + size).min(t.contents.len());
                &t.contents[start..end]
            }
            _ => t.contents,
        };
        (t, bytes)
    }

    /// How many transmits went out when the first `sent` messages did: those whose first
    /// message did.
    pub(crate) fn transmits_sent(&self, sent: usize) -> usize {
        match sent.min(self.len) {
            0 => 0,
            n => usize::from(self.messages[n - 1].0) + 1,
        }
    }
}

/// A batch of `count` messages made one system call each, `call(i)` for message `i`; returns
/// how many went through, by the rules in this module's documentation.
pub(crate) fn one_by_one(
    count: usize,
    mut call: impl FnMut(usize) -> io::Result<()>,
) -> io::Result<usize> {
    for i in 0..count {
        match call(i) {
            Ok(()) => {}
            Err(e) if i == 0 => return Err(e),
            // As sendmmsg and recvmmsg do: what went through is reported, the error comes
            // with the next call.
            Err(_) => return Ok(i),
        }
    }
    Ok(count)
}

/// The address a datagram goes to: on an IPv6 socket, IPv4 destinations as mapped
/// addresses.
pub(crate) fn destination(v6: bool, addr: &SocketAddr) -> SocketAddr {
    match addr {
        SocketAddr::V4(a) if v6 => SocketAddr::new(IpAddr::V6(a.ip().to_ipv6_mapped()), a.port()),
        _ => *addr,
    }
}

/// Whether every transmit goes to `peer`, the address a connected socket is connected to
/// (`Err`: not connected). Apple's systems, the BSDs and WASI refuse any destination on a
/// connected UDP socket (`EISCONN`), where Linux and Windows take the peer's own address; a
/// batch refused so is sent again without addresses when it goes to the peer alone. (Not
/// needed on Windows.)
#[cfg(ferrio_posix)]
pub(crate) fn all_to_peer(
    v6: bool,
    transmits: &[Transmit<'_>],
    peer: io::Result<SocketAddr>,
) -> bool {
    match peer {
        Ok(peer) => transmits
            .iter()
            .all(|t| destination(v6, &t.destination) == destination(v6, &peer)),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn to() -> SocketAddr {
        "127.0.0.1:9".parse().unwrap()
    }

    fn train(contents: &[u8], size: usize) -> Transmit<'_> {
        Transmit {
            segment_size: Some(size),
            ..Transmit::new(to(), contents)
        }
    }

    #[test]
    fn trains_are_cut_unless_the_kernel_cuts_them() {
        let data = [7u8; 2500];
        let list = [Transmit::new(to(), b"ab"), train(&data, 1000)];
        let plan = Plan::new(&list, false);
        assert_eq!(plan.len(), 4);
        let lens: Vec<usize> = (0..4).map(|i| plan.message(i).1.len()).collect();
        assert_eq!(lens, [2, 1000, 1000, 500]);
        assert_eq!(plan.message(0).1, b"ab");
        let plan = Plan::new(&list, true);
        assert_eq!(plan.len(), 2);
        assert_eq!(plan.message(1).1.len(), 2500);
        let empty = [Transmit::new(to(), &[])];
        assert_eq!(Plan::new(&empty, false).len(), 1);
    }

    #[test]
    fn only_whole_transmits_up_to_a_batch() {
        let data = [0u8; MAX_GSO_SEGMENTS];
        // 40 datagrams, then a train of 64: the train waits for the next call.
        let mut list = vec![Transmit::new(to(), b"x"); 40];
        list.push(train(&data, 1));
        let plan = Plan::new(&list, false);
        assert_eq!(plan.len(), 40);
        assert_eq!(plan.transmits_sent(plan.len()), 40);
        // A full train first always fits.
        let plan = Plan::new(&list[40..], false);
        assert_eq!(plan.len(), MAX_BATCH);
        let many = vec![Transmit::new(to(), b"x"); 100];
        assert_eq!(Plan::new(&many, true).len(), MAX_BATCH);
    }

    #[test]
    fn a_transmit_counts_once_its_first_datagram_went() {
        let data = [0u8; 30];
        let list = [
            Transmit::new(to(), b"a"),
            train(&data, 10),
            Transmit::new(to(), b"b"),
        ];
        let plan = Plan::new(&list, false);
        let counts: Vec<usize> = (0..=6).map(|sent| plan.transmits_sent(sent)).collect();
        assert_eq!(counts, [0, 1, 2, 2, 2, 3, 3]);
    }

    #[test]
    fn one_by_one_reports_a_first_error_and_keeps_a_later_one() {
        let fail_at = |at: usize| {
            move |i: usize| {
                if i == at {
                    Err(io::Error::from(io::ErrorKind::WouldBlock))
                } else {
                    Ok(())
                }
            }
        };
        let e = one_by_one(5, fail_at(0)).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::WouldBlock);
        assert_eq!(one_by_one(5, fail_at(3)).unwrap(), 3);
        assert_eq!(one_by_one(5, fail_at(9)).unwrap(), 5);
        let mut calls = 0;
        assert_eq!(
            one_by_one(5, |i| {
                calls += 1;
                fail_at(2)(i)
            })
            .unwrap(),
            2
        );
        assert_eq!(calls, 3, "no call after the failing one");
    }

    #[cfg(ferrio_posix)]
    #[test]
    fn a_connected_socket_s_batch_goes_without_addresses_only_to_its_peer() {
        let other: SocketAddr = "127.0.0.2:9".parse().unwrap();
        let to_peer = [Transmit::new(to(), b"a"), Transmit::new(to(), b"b")];
        assert!(all_to_peer(false, &to_peer, Ok(to())));
        let mixed = [Transmit::new(to(), b"a"), Transmit::new(other, b"b")];
        assert!(!all_to_peer(false, &mixed, Ok(to())));
        let not_connected = io::Error::from(io::ErrorKind::NotConnected);
        assert!(!all_to_peer(false, &to_peer, Err(not_connected)));
        // An IPv6 socket reports an IPv4 peer as a mapped address; a transmit may name it
        // either way.
        let mapped = SocketAddr::new(
            IpAddr::V6(std::net::Ipv4Addr::new(127, 0, 0, 1).to_ipv6_mapped()),
            9,
        );
        assert!(all_to_peer(true, &to_peer, Ok(mapped)));
    }
}
