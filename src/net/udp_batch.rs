//! Batched UDP: many datagrams per system call, segmentation offload, per-datagram metadata.
//!
//! The types follow quinn-udp's shape (`Transmit`, `RecvMeta`, `EcnCodepoint`, and a state
//! kept per socket), since that is what QUIC stacks already speak. The system calls are in
//! `sys/unix/socket/batch.rs` (`batch_plain.rs` where there is no `msghdr`) and
//! `sys/windows/socket/batch.rs`; this file holds the public types and the checks of the
//! caller's input, which are the same on every system.

use std::fmt;
use std::io::{self, IoSliceMut};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use crate::sys::socket::{self, BatchState};
use crate::sys::{AsIo, BorrowedIo};

/// The most datagrams one GSO train may hold: Linux's `UDP_MAX_SEGMENTS`. Longer trains are
/// refused with `InvalidInput` on every system, so that a train sent where the kernel cuts
/// it and one sent datagram by datagram are accepted alike.
pub const MAX_GSO_SEGMENTS: usize = 64;

/// The most bytes a [`Transmit`] may carry, a train included: 64 KiB less one byte, what the
/// 16-bit length of a UDP datagram (or of a GSO train, which the kernel builds as one)
/// allows. The kernel takes off its headers and may refuse a little less with `EMSGSIZE`.
pub const MAX_TRANSMIT_LEN: usize = u16::MAX as usize;

/// The two Explicit Congestion Notification bits of an IP packet (RFC 3168), as QUIC uses
/// them. "Not ECN-capable" (`0b00`) is the absence of a codepoint: `Option::None`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum EcnCodepoint {
    /// ECN-capable transport, codepoint 0 (`0b10`).
    Ect0 = 0b10,
    /// ECN-capable transport, codepoint 1 (`0b01`).
    Ect1 = 0b01,
    /// Congestion experienced (`0b11`), set by a router instead of dropping the packet.
    Ce = 0b11,
}

impl EcnCodepoint {
    /// The codepoint in the two low bits of `bits` (a TOS or traffic-class byte), or `None`
    /// for "not ECN-capable".
    pub fn from_bits(bits: u8) -> Option<EcnCodepoint> {
        match bits & 0b11 {
            0b10 => Some(EcnCodepoint::Ect0),
            0b01 => Some(EcnCodepoint::Ect1),
            0b11 => Some(EcnCodepoint::Ce),
            _ => None,
        }
    }

    /// The two bits of the codepoint.
    pub fn bits(self) -> u8 {
        self as u8
    }
}

/// One message for [`send_batch`]: a datagram, or with a segment size a train of datagrams
/// in one buffer.
#[derive(Clone, Copy)]
pub struct Transmit<'a> {
    /// Where the datagrams go. On an IPv6 socket an IPv4 destination is sent to as its
    /// IPv4-mapped IPv6 address.
    pub destination: SocketAddr,
    /// The ECN codepoint to mark the datagrams with (`None`: not ECN-capable).
    pub ecn: Option<EcnCodepoint>,
    /// The payload: one datagram, or with `segment_size` the datagrams of a train back to
    /// back. At most [`MAX_TRANSMIT_LEN`] bytes.
    pub contents: &'a [u8],
    /// With `Some(size)`, `contents` is a train: datagrams of `size` bytes each, the last one
    /// possibly shorter, at most [`MAX_GSO_SEGMENTS`] of them. Where the kernel can cut the
    /// train itself (GSO, see [`UdpBatch::max_gso_segments`]) it goes down in one message;
    /// elsewhere each datagram is a message of its own, with the same result on the wire.
    pub segment_size: Option<usize>,
    /// The local address to send from (`None`: the one the system picks), for sockets bound
    /// to a wildcard address on a host with several. Needs
    /// [`UdpBatch::carries_metadata`] (or a state made by
    /// [`without_metadata`](UdpBatch::without_metadata) on a system where `new`'s would
    /// carry it). FreeBSD, NetBSD and OpenBSD take an IPv4 source only on
    /// a socket bound to the wildcard address (elsewhere the send may fail with the system's
    /// error); DragonFly ignores it.
    pub src_ip: Option<IpAddr>,
}

impl<'a> Transmit<'a> {
    /// One datagram of `contents` to `destination`, with no metadata.
    pub fn new(destination: SocketAddr, contents: &'a [u8]) -> Transmit<'a> {
        Transmit {
            destination,
            ecn: None,
            contents,
            segment_size: None,
            src_ip: None,
        }
    }

    /// How many datagrams this transmit stands for (1 for an empty one).
    pub fn segments(&self) -> usize {
        match self.segment_size {
            Some(size) if size > 0 && self.contents.len() > size => {
                (self.contents.len() + size - 1) / size
            }
            _ => 1,
        }
    }
}

impl fmt::Debug for Transmit<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The contents' length, not the bytes.
        f.debug_struct("Transmit")
            .field("destination", &self.destination)
            .field("ecn", &self.ecn)
            .field("len", &self.contents.len())
            .field("segment_size", &self.segment_size)
            .field("src_ip", &self.src_ip)
            .finish()
    }
}

/// What [`recv_batch`] reports for one buffer it filled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecvMeta {
    /// The sender's address.
    pub addr: SocketAddr,
    /// How many bytes of the buffer were filled.
    pub len: usize,
    /// The size of each datagram in the buffer: equal to `len` for one datagram; with GRO
    /// ([`UdpBatch::gro_segments`] above 1) the buffer may hold a train of datagrams of
    /// `stride` bytes each, the last one possibly shorter.
    pub stride: usize,
    /// The ECN codepoint the datagram arrived with. Needs [`UdpBatch::carries_metadata`].
    pub ecn: Option<EcnCodepoint>,
    /// The local address the datagram was sent to (useful on a socket bound to a wildcard
    /// address). Needs [`UdpBatch::carries_metadata`].
    pub dst_ip: Option<IpAddr>,
    /// The index of the network interface the datagram arrived on. Needs
    /// [`UdpBatch::carries_metadata`].
    pub interface: Option<u32>,
    /// The datagram (or train) was longer than the buffer: `len` bytes were kept, the rest is
    /// lost. Where the system has no `recvmsg` (Horizon, Hermit, WASI preview 2) truncation
    /// cannot be seen and this stays `false`: give buffers one byte longer than the longest
    /// datagram expected, and a full buffer (`len` equal to its length) means one that may have
    /// been cut.
    pub truncated: bool,
}

impl Default for RecvMeta {
    fn default() -> RecvMeta {
        RecvMeta {
            addr: SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0),
            len: 0,
            stride: 0,
            ecn: None,
            dst_ip: None,
            interface: None,
            truncated: false,
        }
    }
}

/// The state of batched I/O on one UDP socket, kept by the caller: what the system supports,
/// and whether segmentation offload is still in use. Made once per socket with
/// [`UdpBatch::new`], then passed to every [`send_batch`] and [`recv_batch`] on that socket
/// (or to [`UdpSocket::send_batch`](crate::net::UdpSocket::send_batch) and
/// [`recv_batch`](crate::net::UdpSocket::recv_batch)). It is `Send + Sync`: one state serves
/// every thread that uses the socket.
///
/// Nothing is allocated per call: the message headers and control-message space live on the
/// stack, and the datagrams go straight from and into the caller's buffers. One call makes
/// one system call on Linux, Android, NetBSD and OpenBSD (`sendmmsg` or `recvmmsg`, up to 64
/// messages; FreeBSD has them too, as loops in its C library), and on other
/// systems one `sendmsg` or `recvmsg` per message (on Windows `WSASendMsg` or `WSARecvMsg`,
/// or where the socket's provider lacks them `sendto` or `recvfrom`). Where the system has no
/// `sendmsg`/`recvmsg` at all (Horizon, Hermit, WASI preview 2), a send is one `sendto` per
/// datagram and a receive is one `recvfrom`, which fills one buffer per call, without
/// metadata or truncation flag. The calls take any UDP socket handle, so
/// they work on sockets of other libraries too; a tokio user calls them inside
/// `tokio::net::UdpSocket::try_io`:
///
/// ```
/// # fn main() -> std::io::Result<()> {
/// use ferrio::net::{recv_batch, send_batch, RecvMeta, Transmit, UdpBatch};
/// use std::io::IoSliceMut;
/// # let (a, b) = (std::net::UdpSocket::bind("127.0.0.1:0")?, std::net::UdpSocket::bind("127.0.0.1:0")?);
/// # b.set_read_timeout(Some(std::time::Duration::from_secs(5)))?;
/// let (state_a, state_b) = (UdpBatch::new(&a)?, UdpBatch::new(&b)?);
/// let to = b.local_addr()?;
/// // Two datagrams in one call, the second a train of three cut by the kernel where it can.
/// let train = [7u8; 3000];
/// let sent = send_batch(&state_a, &a, &[
///     Transmit::new(to, b"hello"),
///     Transmit { segment_size: Some(1000), ..Transmit::new(to, &train) },
/// ])?;
/// assert_eq!(sent, 2);
///
/// let mut bufs = vec![[0u8; 65536]; 4];
/// let mut slices: Vec<IoSliceMut<'_>> = bufs.iter_mut().map(|b| IoSliceMut::new(b)).collect();
/// let mut meta = [RecvMeta::default(); 4];
/// let mut datagrams = 0;
/// while datagrams < 4 {
///     let n = recv_batch(&state_b, &b, &mut slices, &mut meta)?;
///     // With GRO, one buffer may hold several datagrams of `stride` bytes each (none of
///     // them is empty here).
///     datagrams += meta[..n].iter().map(|m| (m.len + m.stride - 1) / m.stride).sum::<usize>();
/// }
/// assert_eq!(meta[0].addr, a.local_addr()?);
/// # Ok(())
/// # }
/// ```
pub struct UdpBatch {
    state: BatchState,
    /// Received metadata is reported (`new`), rather than dropped (`without_metadata`).
    recv_meta: bool,
}

impl UdpBatch {
    /// Prepares `socket`, an IPv4 or IPv6 UDP socket, for batched I/O and records what the
    /// system supports. On Linux it turns on the reception of packet info and of the traffic
    /// class (`IP_PKTINFO`, `IP_RECVTOS`; `IPV6_RECVPKTINFO`, `IPV6_RECVTCLASS` on IPv6
    /// sockets, and the IPv4 ones too for dual-stack use), probes GSO (`UDP_SEGMENT`) and
    /// turns on GRO (`UDP_GRO`) where the kernel has them. On Windows it fetches `WSARecvMsg`,
    /// turns on packet info (`IP_PKTINFO`, `IPV6_PKTINFO`) and ECN reception (`IP_RECVECN`,
    /// `IPV6_RECVECN`, or where the stack lacks them `IP_RECVTOS`, `IPV6_RECVTCLASS`), and
    /// probes send offload (`UDP_SEND_MSG_SIZE`); receive coalescing (URO) stays off until
    /// [`set_gro`](UdpBatch::set_gro) turns it on. Where any of that is refused, the calls
    /// fall back to what remains, down to a loop of `sendto` and `recvfrom`.
    /// [`without_metadata`](UdpBatch::without_metadata) leaves the receive options off.
    ///
    /// With GRO on, the kernel may hand the socket a train of datagrams in one receive: plain
    /// `recv_from` calls then see it as one long datagram. Receive with [`recv_batch`], whose
    /// metadata gives the stride, or turn GRO off with [`set_gro`](UdpBatch::set_gro).
    pub fn new(socket: impl AsBatchHandle) -> io::Result<UdpBatch> {
        let state = BatchState::new(socket.batch_handle(), true)?;
        Ok(UdpBatch {
            state,
            recv_meta: true,
        })
    }

    /// Like [`new`](UdpBatch::new), but without asking the system for the metadata of
    /// received datagrams: the packet-info and traffic-class options are left off (fewer
    /// system calls here, and none of the kernel's per-datagram work of writing those
    /// control messages, measured at about 15 % of a receiver's CPU time in a UDP flood).
    /// For servers that need neither the local address nor the ECN bits of what they
    /// receive.
    ///
    /// Received datagrams then report their sender, length and truncation as before, and the
    /// stride of GRO trains (GSO and GRO are probed and turned on as by `new`); their
    /// [`RecvMeta::ecn`], [`RecvMeta::dst_ip`] and [`RecvMeta::interface`] are `None`.
    /// Sending is unchanged: ECN marks and source addresses go out where they do with a state
    /// made by `new` on the same system (they need no receive option; on Windows, where the
    /// stack knows `IP_RECVECN`). [`carries_metadata`](UdpBatch::carries_metadata), which
    /// speaks of both ways, answers `false`.
    ///
    /// Nothing is turned off: on a socket whose options are already on (a state made for it
    /// by `new`, or the caller's own `setsockopt`), the kernel keeps writing the metadata, and
    /// the receive calls drop it.
    ///
    /// ```
    /// # fn main() -> std::io::Result<()> {
    /// use ferrio::net::{recv_batch, send_batch, EcnCodepoint, RecvMeta, Transmit, UdpBatch};
    /// use std::io::IoSliceMut;
    /// # let (a, b) = (std::net::UdpSocket::bind("127.0.0.1:0")?, std::net::UdpSocket::bind("127.0.0.1:0")?);
    /// # b.set_read_timeout(Some(std::time::Duration::from_secs(5)))?;
    /// let (state_a, state_b) = (UdpBatch::new(&a)?, UdpBatch::without_metadata(&b)?);
    /// assert!(!state_b.carries_metadata());
    /// let marked = Transmit { ecn: Some(EcnCodepoint::Ect0), ..Transmit::new(b.local_addr()?, b"hi") };
    /// send_batch(&state_a, &a, &[marked])?;
    ///
    /// let mut buf = [0u8; 1500];
    /// let mut meta = [RecvMeta::default()];
    /// let n = recv_batch(&state_b, &b, &mut [IoSliceMut::new(&mut buf)], &mut meta)?;
    /// assert_eq!((n, meta[0].len, meta[0].addr), (1, 2, a.local_addr()?));
    /// // Whatever the sender marked, no metadata is reported.
    /// assert_eq!((meta[0].ecn, meta[0].dst_ip, meta[0].interface), (None, None, None));
    /// # Ok(())
    /// # }
    /// ```
    pub fn without_metadata(socket: impl AsBatchHandle) -> io::Result<UdpBatch> {
        let state = BatchState::new(socket.batch_handle(), false)?;
        Ok(UdpBatch {
            state,
            recv_meta: false,
        })
    }

    /// The most datagrams a [`Transmit`] train goes down as in one message, cut by the kernel
    /// (GSO): [`MAX_GSO_SEGMENTS`] where the kernel has `UDP_SEGMENT` (on Windows,
    /// `UDP_SEND_MSG_SIZE`), 1 where it does not
    /// or after it refused a train (see [`send_batch`]). Longer trains (up to
    /// `MAX_GSO_SEGMENTS`) are still accepted, and sent datagram by datagram.
    pub fn max_gso_segments(&self) -> usize {
        self.state.max_gso_segments()
    }

    /// The most datagrams one receive buffer may hold (GRO; on Windows URO):
    /// [`MAX_GSO_SEGMENTS`] where it is on, otherwise 1. Buffers of 64 KiB hold any train.
    pub fn gro_segments(&self) -> usize {
        self.state.gro_segments()
    }

    /// Whether calls go to the kernel as batches (`sendmmsg`/`recvmmsg`), rather than as one
    /// `sendmsg` or `recvmsg` per message. Always `false` on Windows, which has no such
    /// calls.
    pub fn batch_calls(&self) -> bool {
        self.state.batch_calls()
    }

    /// Whether ECN marks, the source address to send from and the local address and
    /// interface of received datagrams are carried ([`Transmit::ecn`],
    /// [`Transmit::src_ip`], [`RecvMeta::ecn`], [`RecvMeta::dst_ip`],
    /// [`RecvMeta::interface`]), all of them both ways, for the socket this state was made
    /// for: on Linux and Android, macOS, iOS and Apple's other systems, and FreeBSD
    /// (through control messages of `sendmsg` and `recvmsg`; an IPv4 socket needs a kernel
    /// with `IP_RECVTOS`, which older macOS and FreeBSD lack), and on Windows 10 and later
    /// (through `WSASendMsg` and `WSARecvMsg`, ECN with `IP_ECN`/`IPV6_ECN`). On NetBSD,
    /// OpenBSD and DragonFly it is `true` for IPv6 sockets; their IPv4 sockets carry no ECN
    /// (and on DragonFly no source), but still report the local address and interface of
    /// received datagrams. On other Unix systems the metadata is ignored on send and `None`
    /// on receive.
    ///
    /// An IPv6 socket's answer is about IPv6 datagrams. The IPv4 datagrams of a dual-stack
    /// socket (as mapped addresses) carry their metadata on Linux and Android; other systems
    /// may report less of it (Apple's systems, for one, no ECN), so use an IPv4 socket for
    /// IPv4 where it matters.
    ///
    /// A state made by [`without_metadata`](UdpBatch::without_metadata) answers `false`: its
    /// received datagrams carry none of it, while sending carries what a state made by
    /// [`new`](UdpBatch::new) would.
    ///
    /// Where Windows lacks ECN reception (`IP_RECVECN`) this is `false`, yet received
    /// datagrams still report their local address and interface, and their ECN bits where
    /// `IP_RECVTOS` gives them. That is the case under Wine 8, which also does not apply the
    /// ECN marks or the source address of sent datagrams.
    pub fn carries_metadata(&self) -> bool {
        self.state.carries_metadata()
    }

    /// Stops sending trains as one message: from now on each of their datagrams goes as a
    /// message of its own. [`send_batch`] does this by itself when the kernel refuses a
    /// train.
    pub fn disable_gso(&self) {
        self.state.disable_gso();
    }

    /// Stops using `sendmmsg` and `recvmmsg`: from now on every message is a `sendmsg` or
    /// `recvmsg` call of its own, with the same results (for comparisons, and to test the
    /// path systems without them take). On Windows it switches to the fallback: `sendto`
    /// and `recvfrom`, with no metadata and no offloads.
    pub fn disable_batch_calls(&self) {
        self.state.disable_batch_calls();
    }

    /// Turns GRO (on Windows URO, `UDP_RECV_MAX_COALESCED_SIZE`) on `socket` (the socket
    /// this state was made for) on or off; where the system has no GRO, turning it off
    /// succeeds and turning it on fails (`Unsupported`, or the OS error).
    pub fn set_gro(&self, socket: impl AsBatchHandle, on: bool) -> io::Result<()> {
        self.state.set_gro(socket.batch_handle(), on)
    }
}

impl fmt::Debug for UdpBatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UdpBatch")
            .field("max_gso_segments", &self.max_gso_segments())
            .field("gro_segments", &self.gro_segments())
            .field("batch_calls", &self.batch_calls())
            .field("carries_metadata", &self.carries_metadata())
            .finish()
    }
}

/// A UDP socket handle the batch calls take: anything that lends its fd (`AsFd`: ferrio's,
/// std's, tokio's and socket2's UDP sockets, and references to them); on Windows, its socket
/// (`AsSocket`).
pub trait AsBatchHandle {
    /// The socket's fd (on Windows, its socket), borrowed.
    #[cfg(not(windows))]
    fn batch_handle(&self) -> std::os::fd::BorrowedFd<'_>;
    /// The socket's fd (on Windows, its socket), borrowed.
    #[cfg(windows)]
    fn batch_handle(&self) -> std::os::windows::io::BorrowedSocket<'_>;
}

#[cfg(not(windows))]
impl<T: std::os::fd::AsFd> AsBatchHandle for T {
    fn batch_handle(&self) -> std::os::fd::BorrowedFd<'_> {
        self.as_io()
    }
}

#[cfg(windows)]
impl<T: std::os::windows::io::AsSocket> AsBatchHandle for T {
    fn batch_handle(&self) -> std::os::windows::io::BorrowedSocket<'_> {
        self.as_io()
    }
}

fn invalid(message: &'static str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, message)
}

/// The checks of item 7: nothing is sent unless every transmit is acceptable.
fn check_transmits(transmits: &[Transmit<'_>]) -> io::Result<()> {
    if transmits.is_empty() {
        return Err(invalid("send_batch: no transmits"));
    }
    for t in transmits {
        if t.contents.len() > MAX_TRANSMIT_LEN {
            return Err(invalid("send_batch: a transmit is longer than 64 KiB"));
        }
        if let Some(size) = t.segment_size {
            if size == 0 {
                return Err(invalid("send_batch: a segment size of 0"));
            }
            if t.segments() > MAX_GSO_SEGMENTS {
                return Err(invalid(
                    "send_batch: a train of more than MAX_GSO_SEGMENTS datagrams",
                ));
            }
        }
    }
    Ok(())
}

/// Sends `transmits` on `socket` (a UDP socket; `state` made for it), as many as one system
/// call takes (up to 64 messages on Linux), and returns how many transmits went out; the
/// caller sends the rest with another call, as after a short write. A train cut short because
/// the socket's buffer filled up while its datagrams went one by one counts as sent: its
/// remaining datagrams are dropped, as the network may drop them, rather than sent twice.
///
/// `WouldBlock` (when nothing went out) and other OS errors come back unchanged, except that
/// a train the kernel refuses with `EIO` or `EINVAL` turns GSO off for `state` (see
/// [`UdpBatch::max_gso_segments`]) and is sent again datagram by datagram. Input that no
/// system accepts fails with `InvalidInput` before anything is sent: an empty list, a segment
/// size of 0, a train of more than [`MAX_GSO_SEGMENTS`] datagrams, a transmit longer than
/// [`MAX_TRANSMIT_LEN`].
///
/// On a connected socket, name the peer as each transmit's destination. Linux and Windows take
/// it as it is; Apple's systems, the BSDs and WASI refuse any destination on a connected socket
/// (`EISCONN`), so there a batch refused so, whose every transmit goes to the peer, is sent
/// again without addresses (at the cost of the refused call and a `getpeername`, each call). A
/// batch for another address than the peer fails with the system's error, as `send_to` does.
///
/// Registered ferrio sockets should use [`UdpSocket::send_batch`](crate::net::UdpSocket::send_batch),
/// which re-arms the socket on `WouldBlock` where the backend needs it (poll(2) and Windows);
/// other libraries' sockets call this inside their own readiness wrapper (tokio's `try_io`).
pub fn send_batch(
    state: &UdpBatch,
    socket: impl AsBatchHandle,
    transmits: &[Transmit<'_>],
) -> io::Result<usize> {
    send_on(state, socket.batch_handle(), transmits)
}

/// Receives datagrams into `bufs`, one buffer per datagram (or per GRO train), as many as
/// one system call gives (up to 64 on Linux), and returns how many buffers were filled:
/// `meta[i]` describes `bufs[i]` for each `i` below that count. `WouldBlock` when nothing
/// was waiting. `bufs` and `meta` must have the same, non-zero length (`InvalidInput`
/// otherwise, before any system call).
///
/// A datagram longer than its buffer fills it and is marked [`RecvMeta::truncated`]; with
/// GRO on, give buffers of 64 KiB so that trains fit.
///
/// Where the system has no `recvmsg` (Horizon, Hermit, WASI preview 2) one call receives one
/// datagram (`recvfrom`, which cannot be told not to wait on a blocking socket there), and
/// truncation is not flagged (see [`RecvMeta::truncated`]).
///
/// Registered ferrio sockets should use [`UdpSocket::recv_batch`](crate::net::UdpSocket::recv_batch)
/// (see [`send_batch`]).
pub fn recv_batch(
    state: &UdpBatch,
    socket: impl AsBatchHandle,
    bufs: &mut [IoSliceMut<'_>],
    meta: &mut [RecvMeta],
) -> io::Result<usize> {
    recv_on(state, socket.batch_handle(), bufs, meta)
}

pub(crate) fn send_on(
    state: &UdpBatch,
    socket: BorrowedIo<'_>,
    transmits: &[Transmit<'_>],
) -> io::Result<usize> {
    check_transmits(transmits)?;
    socket::send_batch(socket, &state.state, transmits)
}

pub(crate) fn recv_on(
    state: &UdpBatch,
    socket: BorrowedIo<'_>,
    bufs: &mut [IoSliceMut<'_>],
    meta: &mut [RecvMeta],
) -> io::Result<usize> {
    if bufs.len() != meta.len() {
        return Err(invalid(
            "recv_batch: buffer and metadata lists of different lengths",
        ));
    }
    if bufs.is_empty() {
        return Err(invalid("recv_batch: no buffers"));
    }
    let got = socket::recv_batch(socket, &state.state, bufs, meta)?;
    if !state.recv_meta {
        // Only where another state (or the caller) turned the options on is there any.
        for m in &mut meta[..got] {
            (m.ecn, m.dst_ip, m.interface) = (None, None, None);
        }
    }
    Ok(got)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ecn_bits_round_trip() {
        for ecn in [EcnCodepoint::Ect0, EcnCodepoint::Ect1, EcnCodepoint::Ce] {
            assert_eq!(EcnCodepoint::from_bits(ecn.bits()), Some(ecn));
            // The DSCP bits above are ignored.
            assert_eq!(EcnCodepoint::from_bits(0b1010_1000 | ecn.bits()), Some(ecn));
        }
        assert_eq!(EcnCodepoint::from_bits(0b1111_1100), None);
    }

    #[test]
    fn segments_of_a_transmit() {
        let to: SocketAddr = "127.0.0.1:9".parse().unwrap();
        let data = [0u8; 2500];
        let train = |size| Transmit {
            segment_size: size,
            ..Transmit::new(to, &data)
        };
        assert_eq!(train(None).segments(), 1);
        assert_eq!(train(Some(1000)).segments(), 3);
        assert_eq!(train(Some(2500)).segments(), 1);
        assert_eq!(train(Some(4000)).segments(), 1);
        assert_eq!(Transmit::new(to, &[]).segments(), 1);
    }

    #[test]
    fn bad_transmits_are_refused() {
        let to: SocketAddr = "127.0.0.1:9".parse().unwrap();
        let big = vec![0u8; MAX_TRANSMIT_LEN + 1];
        let long_train = vec![0u8; MAX_GSO_SEGMENTS + 1];
        let cases: [&[Transmit<'_>]; 4] = [
            &[],
            &[Transmit {
                segment_size: Some(0),
                ..Transmit::new(to, b"x")
            }],
            &[Transmit::new(to, b"ok"), Transmit::new(to, &big)],
            &[Transmit {
                segment_size: Some(1),
                ..Transmit::new(to, &long_train)
            }],
        ];
        for case in cases {
            let err = check_transmits(case).unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{case:?}");
        }
        let full_train = vec![0u8; MAX_GSO_SEGMENTS];
        check_transmits(&[Transmit {
            segment_size: Some(1),
            ..Transmit::new(to, &full_train)
        }])
        .unwrap();
    }
}
