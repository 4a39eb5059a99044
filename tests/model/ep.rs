//! The endpoints the model drives (ferrio sources), and what the model knows about each.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr};
use std::time::Instant;

use ferrio::event::Source;
#[cfg(unix)]
use ferrio::net::UnixStream;
use ferrio::net::{TcpListener, TcpStream, UdpSocket};
#[cfg(unix)]
use ferrio::unix::pipe;
use ferrio::{Interest, Token};

/// At most this many datagrams are in flight toward a UDP socket, far below what its receive
/// buffer holds, so none is dropped and the model's count stays exact.
pub const MAX_DATAGRAMS: u64 = 32;

/// A ferrio source of one of the kinds the model covers.
pub enum Io {
    Listener(TcpListener),
    Tcp(TcpStream),
    /// A UDP socket and the address of the socket it exchanges datagrams with.
    Udp(UdpSocket, SocketAddr),
    #[cfg(unix)]
    Unix(UnixStream),
    #[cfg(unix)]
    PipeTx(pipe::Sender),
    #[cfg(unix)]
    PipeRx(pipe::Receiver),
}

impl Io {
    pub fn source(&mut self) -> &mut dyn Source {
        match self {
            Io::Listener(s) => s,
            Io::Tcp(s) => s,
            Io::Udp(s, _) => s,
            #[cfg(unix)]
            Io::Unix(s) => s,
            #[cfg(unix)]
            Io::PipeTx(s) => s,
            #[cfg(unix)]
            Io::PipeRx(s) => s,
        }
    }

    #[cfg(unix)]
    pub fn raw_fd(&self) -> std::os::fd::RawFd {
        use std::os::fd::AsRawFd;
        match self {
            Io::Listener(s) => s.as_raw_fd(),
            Io::Tcp(s) => s.as_raw_fd(),
            Io::Udp(s, _) => s.as_raw_fd(),
            Io::Unix(s) => s.as_raw_fd(),
            Io::PipeTx(s) => s.as_raw_fd(),
            Io::PipeRx(s) => s.as_raw_fd(),
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            Io::Listener(_) => "tcp-listener",
            Io::Tcp(_) => "tcp",
            Io::Udp(..) => "udp",
            #[cfg(unix)]
            Io::Unix(_) => "unix",
            #[cfg(unix)]
            Io::PipeTx(_) => "pipe-tx",
            #[cfg(unix)]
            Io::PipeRx(_) => "pipe-rx",
        }
    }

    /// Byte streams (TCP, Unix): shutdown, and FIN or reset when the peer goes.
    pub fn is_stream(&self) -> bool {
        match self {
            Io::Tcp(_) => true,
            #[cfg(unix)]
            Io::Unix(_) => true,
            _ => false,
        }
    }

    pub fn is_udp(&self) -> bool {
        matches!(self, Io::Udp(..))
    }

    pub fn is_listener(&self) -> bool {
        matches!(self, Io::Listener(_))
    }

    pub fn has_read_side(&self) -> bool {
        #[cfg(unix)]
        if matches!(self, Io::PipeTx(_)) {
            return false;
        }
        true
    }

    pub fn has_write_side(&self) -> bool {
        #[cfg(unix)]
        if matches!(self, Io::PipeRx(_)) {
            return false;
        }
        !self.is_listener()
    }

    /// One read (one datagram for UDP). Not for the listener.
    pub fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Io::Tcp(s) => s.read(buf),
            Io::Udp(s, _) => s.recv_from(buf).map(|(n, _)| n),
            #[cfg(unix)]
            Io::Unix(s) => s.read(buf),
            #[cfg(unix)]
            Io::PipeRx(s) => s.read(buf),
            _ => unreachable!("read on {}", self.name()),
        }
    }

    /// One peek (TCP and UDP only): data without taking it.
    pub fn peek(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Io::Tcp(s) => s.peek(buf),
            Io::Udp(s, _) => s.peek_from(buf).map(|(n, _)| n),
            _ => unreachable!("peek on {}", self.name()),
        }
    }

    pub fn can_peek(&self) -> bool {
        matches!(self, Io::Tcp(_) | Io::Udp(..))
    }

    /// One write (one datagram for UDP).
    pub fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Io::Tcp(s) => s.write(buf),
            Io::Udp(s, to) => s.send_to(buf, *to),
            #[cfg(unix)]
            Io::Unix(s) => s.write(buf),
            #[cfg(unix)]
            Io::PipeTx(s) => s.write(buf),
            _ => unreachable!("write on {}", self.name()),
        }
    }

    pub fn shutdown_write(&self) -> io::Result<()> {
        match self {
            Io::Tcp(s) => s.shutdown(Shutdown::Write),
            #[cfg(unix)]
            Io::Unix(s) => s.shutdown(Shutdown::Write),
            _ => unreachable!("shutdown on {}", self.name()),
        }
    }
}

/// An event the model waits for: when the promise began, in polls and in time.
#[derive(Clone, Copy, Debug)]
pub struct Pending {
    pub since_poll: u64,
    pub since: Instant,
    /// Why the event is owed: an index into `PROMISES`.
    pub why: usize,
}

/// The kinds of promised events, for the statistics.
pub const PROMISES: [&str; 5] = [
    "readable after (re)registration",
    "readable after WouldBlock",
    "writable after (re)registration",
    "writable after WouldBlock",
    "wake",
];

/// One endpoint and the model's knowledge of it.
pub struct Ep {
    /// Unique for the run (slots are reused, ids are not); names the endpoint in the log.
    pub id: u64,
    pub io: Io,
    /// The slot of the other end: the connected stream, the pipe's other end, the UDP socket
    /// this one exchanges datagrams with. `None` before a TCP client is accepted, and after
    /// the other end was dropped (then `peer_gone`).
    pub peer: Option<usize>,
    pub peer_gone: bool,
    /// A TCP client whose connection the listener has not accepted yet.
    pub connecting: Option<SocketAddr>,
    pub reg: Option<(Token, Interest)>,
    /// A readable (writable) event is promised once the source is ready that way: set by
    /// (re)registration and by a read (write) that returned `WouldBlock`, cleared by an event
    /// of that direction and by a read (write) that did not block.
    pub rd_armed: bool,
    pub wr_armed: bool,
    /// Whether the arming came from `WouldBlock` (rather than registration).
    pub rd_blocked: bool,
    pub wr_blocked: bool,
    /// Written to this endpoint and not read yet: bytes (streams, pipes), datagrams (UDP),
    /// connections (the listener).
    pub inbox: u64,
    /// Stream position of the next byte (datagram sequence number) read and written, for the
    /// content check.
    pub rx_pos: u64,
    pub tx_pos: u64,
    /// The peer shut down its writing side or went away: reads end after `inbox`.
    pub eof_in: bool,
    /// A read returned end-of-stream or an error: no more reads.
    pub read_done: bool,
    /// Writing side shut down, or a write failed: no more writes.
    pub write_done: bool,
    /// A reset may have hit this endpoint (its peer went with unread data, or it wrote to a
    /// peer that had gone): its data may be cut short and its operations may fail.
    pub chaotic: bool,
    pub exp_rd: Option<Pending>,
    pub exp_wr: Option<Pending>,
}

impl Ep {
    /// Records a successful register or reregister: (re)registration arms both directions
    /// again on every backend, and no promise made before it is kept pending.
    pub fn registered(&mut self, token: Token, interest: Interest) {
        self.reg = Some((token, interest));
        self.rd_armed = true;
        self.wr_armed = true;
        self.rd_blocked = false;
        self.wr_blocked = false;
        self.exp_rd = None;
        self.exp_wr = None;
    }

    pub fn new(id: u64, io: Io) -> Ep {
        Ep {
            id,
            io,
            peer: None,
            peer_gone: false,
            connecting: None,
            reg: None,
            rd_armed: false,
            wr_armed: false,
            rd_blocked: false,
            wr_blocked: false,
            inbox: 0,
            rx_pos: 0,
            tx_pos: 0,
            eof_in: false,
            read_done: false,
            write_done: false,
            chaotic: false,
            exp_rd: None,
            exp_wr: None,
        }
    }

    pub fn label(&self) -> String {
        format!("{}#{}", self.io.name(), self.id)
    }

    /// Whether the model knows this endpoint is (or is about to be) readable: data or
    /// connections on their way, or the end of the stream.
    pub fn known_readable(&self) -> bool {
        if self.read_done || !self.io.has_read_side() || self.connecting.is_some() {
            return false;
        }
        if self.io.is_listener() || self.io.is_udp() {
            return self.inbox > 0;
        }
        self.inbox > 0 || self.eof_in || self.peer_gone || self.chaotic
    }
}

/// The bytes of a stream are `pos % 251` (a prime, so no buffer size lines up with it).
const CYCLE: usize = 251;

/// The `len` bytes of a stream from position `pos` (`len` at most 64 KiB).
pub fn pattern(pos: u64, len: usize) -> &'static [u8] {
    use std::sync::OnceLock;
    static BYTES: OnceLock<Vec<u8>> = OnceLock::new();
    let bytes = BYTES.get_or_init(|| (0..CYCLE + 65536).map(|i| (i % CYCLE) as u8).collect());
    let start = (pos % CYCLE as u64) as usize;
    &bytes[start..start + len]
}
