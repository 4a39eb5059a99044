//! Batched UDP (`crate::net::UdpBatch`) on Windows, for now as the loop that systems without
//! batch calls take: one `sendto` per datagram, one `recvfrom` per buffer. No offloads
//! (`UDP_SEND_MSG_SIZE`, `UDP_RECV_MAX_COALESCED_SIZE`) and no metadata (`WSASendMsg`,
//! `WSARecvMsg` with packet info and ECN) yet: trains go datagram by datagram, and received
//! metadata holds the address, the length and the truncation flag.
//!
//! After the first datagram, a receive is made only while `FIONREAD` reports data waiting, so
//! that a blocking socket waits for the first datagram only (Windows has no `MSG_DONTWAIT`).

use std::io::{self, IoSliceMut};
use std::mem;
use std::net::{IpAddr, SocketAddr};
use std::os::windows::io::BorrowedSocket;

use windows_sys::Win32::Networking::WinSock::{self as ws, SOCKADDR, SOCKADDR_STORAGE};

use super::{clamp_len, from_raw, last_error, local_addr, raw, send_to, zeroed_storage};
use crate::net::{RecvMeta, Transmit, MAX_GSO_SEGMENTS};

/// The most datagrams one call sends or receives, as on Linux.
const MAX_BATCH: usize = 64;
const _: () = assert!(MAX_BATCH >= MAX_GSO_SEGMENTS);

/// The state `UdpBatch` keeps for one socket.
#[derive(Debug)]
pub(crate) struct BatchState {
    /// The socket is IPv6 (IPv4 destinations are then sent to as mapped addresses).
    v6: bool,
}

impl BatchState {
    pub(crate) fn new(s: BorrowedSocket<'_>) -> io::Result<BatchState> {
        Ok(BatchState {
            v6: local_addr(s)?.is_ipv6(),
        })
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

    pub(crate) fn set_gro(&self, _: BorrowedSocket<'_>, on: bool) -> io::Result<()> {
        if on {
            Err(crate::sys::socket_api::unsupported(
                "set_gro: no UDP receive coalescing here yet",
            ))
        } else {
            Ok(())
        }
    }
}

/// Sends as many of `transmits` (checked by the caller) as `MAX_BATCH` datagrams allow, one
/// `sendto` each; returns how many transmits went out (a train whose first datagram went
/// counts, as on Linux).
pub(crate) fn send_batch(
    s: BorrowedSocket<'_>,
    state: &BatchState,
    transmits: &[Transmit<'_>],
) -> io::Result<usize> {
    let mut datagrams = 0;
    for (done, t) in transmits.iter().enumerate() {
        let segments = t.segments();
        if datagrams + segments > MAX_BATCH {
            return Ok(done);
        }
        let to = match t.destination {
            SocketAddr::V4(a) if state.v6 => {
                SocketAddr::new(IpAddr::V6(a.ip().to_ipv6_mapped()), a.port())
            }
            other => other,
        };
        let size = match t.segment_size {
            Some(size) if segments > 1 => size,
            _ => t.contents.len().max(1),
        };
        for k in 0..segments {
            let start = (k * size).min(t.contents.len());
            let end = (start + size).min(t.contents.len());
            match send_to(s, &t.contents[start..end], &to) {
                Ok(_) => datagrams += 1,
                Err(e) if datagrams == 0 => return Err(e),
                // What went out is reported; the error comes with the next call.
                Err(_) if k == 0 => return Ok(done),
                Err(_) => return Ok(done + 1),
            }
        }
    }
    Ok(transmits.len())
}

/// Receives into `bufs` (as many as `meta`, not empty: checked by the caller); fills `meta`
/// for each; returns how many.
pub(crate) fn recv_batch(
    s: BorrowedSocket<'_>,
    _: &BatchState,
    bufs: &mut [IoSliceMut<'_>],
    meta: &mut [RecvMeta],
) -> io::Result<usize> {
    let n = bufs.len().min(meta.len()).min(MAX_BATCH);
    for i in 0..n {
        if i > 0 && !data_waiting(s) {
            return Ok(i);
        }
        match recv_one(s, &mut bufs[i]) {
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

/// One `recvfrom`; a datagram longer than the buffer (`WSAEMSGSIZE`: the buffer holds its
/// first part, the rest is gone) is reported as truncated.
fn recv_one(s: BorrowedSocket<'_>, buf: &mut [u8]) -> io::Result<RecvMeta> {
    let mut storage: SOCKADDR_STORAGE = zeroed_storage();
    let mut addr_len = mem::size_of::<SOCKADDR_STORAGE>() as i32;
    let len = clamp_len(buf.len());
    // SAFETY: `buf` is writable for `len` bytes, `storage` for `addr_len`, both live for the
    // call.
    let ret = unsafe {
        ws::recvfrom(
            raw(s),
            buf.as_mut_ptr(),
            len,
            0,
            &mut storage as *mut SOCKADDR_STORAGE as *mut SOCKADDR,
            &mut addr_len,
        )
    };
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
