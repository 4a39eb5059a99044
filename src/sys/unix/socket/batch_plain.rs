//! Batched UDP (`crate::net::UdpBatch`) where the system has no `sendmsg`/`recvmsg`
//! (`ferrio_no_msghdr`: Horizon, Hermit, WASI preview 2): the loop of single calls.
//!
//! | what                    | here                                                      |
//! |-------------------------|-----------------------------------------------------------|
//! | send                    | one `sendto` per datagram, a train cut into its datagrams |
//! | receive                 | one `recvfrom` per call: one datagram                     |
//! | packet info, ECN        | not carried (no control messages without `msghdr`)        |
//! | truncation              | not seen: `recvfrom` gives no `MSG_TRUNC` flag            |
//!
//! A receive stops after one datagram because these systems' `recvfrom` cannot be told not to
//! wait on a blocking socket (no `MSG_DONTWAIT` on Hermit and WASI); callers call again until
//! `WouldBlock`, as they do after a short batch anywhere. No unsafe code: the socket layer's
//! `send_to` and `recv_from` do the calls.

use std::io::{self, IoSliceMut};
use std::net::SocketAddr;
use std::os::fd::BorrowedFd;

use super::addr::family;
use crate::net::{RecvMeta, Transmit};
use crate::sys::batch_plan::{all_to_peer, destination, one_by_one, Plan};

/// The state `UdpBatch` keeps for one socket: only its family.
#[derive(Debug)]
pub(crate) struct BatchState {
    /// The socket is IPv6 (IPv4 destinations are then sent to as mapped addresses).
    v6: bool,
}

impl BatchState {
    /// Checks that `fd` is an IP socket (see `UdpBatch::new`); nothing to set up, with or
    /// without metadata (`recv_meta`), which is never carried here.
    pub(crate) fn new(fd: BorrowedFd<'_>, recv_meta: bool) -> io::Result<BatchState> {
        let _ = recv_meta;
        let v6 = match family(fd)? {
            libc::AF_INET => false,
            libc::AF_INET6 => true,
            _ => return Err(io::Error::from_raw_os_error(libc::EAFNOSUPPORT)),
        };
        Ok(BatchState { v6 })
    }

    pub(crate) fn max_gso_segments(&self) -> usize {
        1
    }

    pub(crate) fn gro_segments(&self) -> usize {
        1
    }

    pub(crate) fn batch_calls(&self) -> bool {
        false
    }

    pub(crate) fn carries_metadata(&self) -> bool {
        false
    }

    pub(crate) fn disable_gso(&self) {}

    pub(crate) fn disable_batch_calls(&self) {}

    /// No GRO here: turning it off succeeds, turning it on does not.
    pub(crate) fn set_gro(&self, fd: BorrowedFd<'_>, on: bool) -> io::Result<()> {
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

/// Sends `transmits` (checked by the caller) with one `sendto` per datagram, up to
/// `MAX_BATCH` datagrams; returns how many transmits went out, by the rules of a batch made
/// one call per datagram (`sys/batch_plan.rs`).
pub(crate) fn send_batch(
    fd: BorrowedFd<'_>,
    state: &BatchState,
    transmits: &[Transmit<'_>],
) -> io::Result<usize> {
    match send_once(fd, state, transmits, true) {
        Err(e)
            if e.raw_os_error() == Some(libc::EISCONN)
                && all_to_peer(state.v6, transmits, super::peer_addr(fd)) =>
        {
            send_once(fd, state, transmits, false)
        }
        other => other,
    }
}

/// One `sendto` per datagram, or if not `named` one `send` (to the connected peer).
fn send_once(
    fd: BorrowedFd<'_>,
    state: &BatchState,
    transmits: &[Transmit<'_>],
    named: bool,
) -> io::Result<usize> {
    let plan = Plan::new(transmits, false);
    let sent = one_by_one(plan.len(), |i| {
        let (t, bytes) = plan.message(i);
        if named {
            super::send_to(fd, bytes, &destination(state.v6, &t.destination)).map(drop)
        } else {
            super::send(fd, bytes).map(drop)
        }
    })?;
    Ok(plan.transmits_sent(sent))
}

/// Receives one datagram into `bufs[0]` (the caller checked that `bufs` and `meta` are
/// equally long and not empty) with one `recvfrom`; returns 1, or the error.
pub(crate) fn recv_batch(
    fd: BorrowedFd<'_>,
    state: &BatchState,
    bufs: &mut [IoSliceMut<'_>],
    meta: &mut [RecvMeta],
) -> io::Result<usize> {
    let _ = state;
    let (len, addr) = super::recv_from::<SocketAddr>(fd, &mut bufs[0][..])?;
    meta[0] = RecvMeta {
        addr,
        len,
        stride: len,
        ecn: None,
        dst_ip: None,
        interface: None,
        truncated: false,
    };
    Ok(1)
}
