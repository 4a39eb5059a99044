//! The batched-UDP workloads (issue 15): a flood of small datagrams received with one call per
//! batch (`flood`), the same flood from a sender fast enough to keep every receiver saturated
//! (`flood_saturated`), and a bulk transfer of 1200-byte datagrams sent as GSO trains and
//! received with GRO (`bulk`).
//! Variants: ferrio's batch calls (`UdpBatch`, `send_batch`, `recv_batch`; in
//! `flood_saturated` also with a state made by `UdpBatch::without_metadata`); mio with one
//! call per datagram, as mio users write it; quinn-udp (crates.io) on a std socket, with mio
//! for readiness, as a QUIC stack on tokio does.
//!
//! Flow control as in `udp_flood`: the receiver acknowledges every `ack_every` datagrams with
//! its 8-byte total, the sender keeps at most `window` datagrams unacknowledged, and a silence
//! of 20 ms counts the missing ones as lost. The receiving socket gets a 4 MiB buffer (capped
//! by `net.core.rmem_max`) so that a window in flight fits.
//!
//! In the floods, the sender is the same for every variant (ferrio's `send_batch` on a std
//! socket, 64 datagrams per call; in `flood_saturated` trains of 32, cut by the kernel on
//! arrival since no receiver has GRO there) and is not measured. In the bulk transfer each variant sends
//! its own way (ferrio: `send_batch` with trains of 32; mio: one `send` per datagram; quinn:
//! one train of 32 per `send`) and the sender thread is measured too (the "all-thread" CPU).

use std::io::{self, IoSliceMut};
use std::net::{SocketAddr, UdpSocket as StdUdp};
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use crate::harness::{timed_out, Params, TIMEOUT};
use crate::meter::{Sample, ThreadMeter, ThreadStats};

/// Receive buffer of the measured sockets.
const RCVBUF: usize = 4 << 20;
/// Payload of a flood datagram.
const FLOOD_MSG: usize = 32;
/// Payload of a bulk datagram, and the train's segment size.
const BULK_MSG: usize = 1200;
/// Datagrams per GSO train in the bulk transfer.
const TRAIN: usize = 32;
/// Buffers per receive call.
const BATCH: usize = 32;

/// Flow control of one workload.
#[derive(Clone, Copy)]
struct Flow {
    window: u64,
    ack_every: u64,
}

const FLOOD: Flow = Flow {
    window: 256,
    ack_every: 64,
};
const BULK: Flow = Flow {
    window: 256,
    ack_every: 64,
};

fn loopback() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

// ---------------------------------------------------------------------------------------------
// Senders
// ---------------------------------------------------------------------------------------------

/// How a sender puts `count` datagrams on the wire; returns how many went.
type SendFn = Box<dyn FnMut(&StdUdp, SocketAddr, usize) -> io::Result<usize> + Send>;

/// A sender thread, measured from `go` to `stop`.
struct Sender {
    stop: Arc<AtomicBool>,
    handle: JoinHandle<io::Result<ThreadStats>>,
}

impl Sender {
    /// A sender of `flow` to `server`, starting at `go`; its window is measured with
    /// `measured` (otherwise its CPU, calls and allocations count nowhere).
    fn spawn(
        server: SocketAddr,
        flow: Flow,
        go: Arc<Barrier>,
        measured: bool,
        mut send: SendFn,
    ) -> io::Result<Sender> {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let socket = StdUdp::bind(loopback())?;
        socket.set_read_timeout(Some(Duration::from_millis(20)))?;
        let handle = thread::spawn(move || {
            let mut meter = ThreadMeter::new()?;
            let mut buf = [0u8; 64];
            let (mut sent, mut acked) = (0u64, 0u64);
            go.wait();
            if measured {
                meter.start();
            }
            while !flag.load(Ordering::Relaxed) {
                while sent - acked < flow.window {
                    let room = (flow.window - (sent - acked)) as usize;
                    sent += send(&socket, server, room)? as u64;
                }
                match socket.recv(&mut buf) {
                    Ok(8) => {
                        let total = u64::from_ne_bytes(buf[..8].try_into().unwrap_or([0; 8]));
                        acked = acked.max(total.min(sent));
                    }
                    Ok(_) => {}
                    Err(e)
                        if matches!(
                            e.kind(),
                            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                        ) =>
                    {
                        acked = sent
                    }
                    Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => break,
                    Err(e) => return Err(e),
                }
            }
            Ok(if measured {
                meter.stop()
            } else {
                ThreadStats::default()
            })
        });
        Ok(Sender { stop, handle })
    }

    fn finish(self) -> io::Result<ThreadStats> {
        self.stop.store(true, Ordering::SeqCst);
        self.handle
            .join()
            .unwrap_or_else(|_| Err(io::Error::new(io::ErrorKind::Other, "sender panicked")))
    }
}

/// ferrio's `send_batch`: `count` datagrams of `len` bytes, trains of `TRAIN` when `gso`.
fn ferrio_sender(len: usize, gso: bool) -> SendFn {
    let payload = vec![7u8; len * 64];
    let mut state: Option<ferrio::net::UdpBatch> = None;
    Box::new(move |socket, to, count| {
        use ferrio::net::{send_batch, Transmit, UdpBatch};
        if state.is_none() {
            state = Some(UdpBatch::new(socket)?);
        }
        let state = state.as_ref().expect("made above");
        let count = count.min(64);
        let mut transmits = [Transmit::new(to, &[]); 64];
        let (per, n) = if gso {
            (TRAIN, (count + TRAIN - 1) / TRAIN)
        } else {
            (1, count)
        };
        for (k, t) in transmits[..n].iter_mut().enumerate() {
            let datagrams = per.min(count - k * per);
            *t = Transmit {
                segment_size: gso.then_some(len),
                ..Transmit::new(to, &payload[..datagrams * len])
            };
        }
        let mut done = 0;
        let mut datagrams = 0;
        while done < n {
            let m = send_batch(state, socket, &transmits[done..n])?;
            datagrams += transmits[done..done + m]
                .iter()
                .map(|t| t.segments())
                .sum::<usize>();
            done += m;
        }
        Ok(datagrams)
    })
}

/// One `send_to` per datagram (what a mio user's code amounts to on the wire).
fn plain_sender(len: usize) -> SendFn {
    let payload = vec![7u8; len];
    Box::new(move |socket, to, count| {
        for _ in 0..count {
            socket.send_to(&payload, to)?;
        }
        Ok(count)
    })
}

/// quinn-udp: one train of up to `TRAIN` datagrams per `send`.
fn quinn_sender(len: usize) -> SendFn {
    let payload = vec![7u8; len * TRAIN];
    let mut state: Option<quinn_udp::UdpSocketState> = None;
    Box::new(move |socket, to, count| {
        if state.is_none() {
            state = Some(quinn_udp::UdpSocketState::new(socket.into())?);
        }
        let state = state.as_ref().expect("made above");
        let n = count.min(TRAIN.min(state.max_gso_segments()));
        let t = quinn_udp::Transmit {
            destination: to,
            ecn: None,
            contents: &payload[..n * len],
            segment_size: (n > 1).then_some(len),
            src_ip: None,
        };
        state.send(socket.into(), &t)?;
        Ok(n)
    })
}

// ---------------------------------------------------------------------------------------------
// Receivers
// ---------------------------------------------------------------------------------------------

/// Datagrams in a received buffer of `len` bytes cut at `stride`.
fn datagrams(len: usize, stride: usize) -> u64 {
    if len == 0 || stride == 0 {
        1
    } else {
        ((len + stride - 1) / stride) as u64
    }
}

/// The metadata of a batched receive (ferrio's and quinn-udp's `RecvMeta`), as far as the
/// receive loop reads it.
trait BatchMeta: Copy + Default {
    /// How many datagrams the buffer holds (more than one with GRO).
    fn datagrams(&self) -> u64;
    fn source(&self) -> SocketAddr;
}

impl BatchMeta for ferrio::net::RecvMeta {
    fn datagrams(&self) -> u64 {
        datagrams(self.len, self.stride)
    }
    fn source(&self) -> SocketAddr {
        self.addr
    }
}

impl BatchMeta for quinn_udp::RecvMeta {
    fn datagrams(&self) -> u64 {
        datagrams(self.len, self.stride)
    }
    fn source(&self) -> SocketAddr {
        self.addr
    }
}

/// Waits until the measured socket is readable (or fails after [`TIMEOUT`]).
trait Readiness {
    fn wait(&mut self) -> io::Result<()>;
}

/// `Readiness` for a `Poll` and its `Events`, of ferrio or of mio (the same API).
macro_rules! readiness {
    ($lib:ident) => {
        impl Readiness for ($lib::Poll, $lib::Events) {
            fn wait(&mut self) -> io::Result<()> {
                let (poll, events) = self;
                loop {
                    match poll.poll(events, Some(TIMEOUT)) {
                        Ok(()) if events.is_empty() => return Err(timed_out("poll")),
                        Ok(()) => return Ok(()),
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(e) => return Err(e),
                    }
                }
            }
        }
    };
}
readiness!(ferrio);
readiness!(mio);

/// A run apart from its server: how many datagrams, the flow control, the sender, whether
/// the sender is measured, and whether the receiving socket has GRO (where the variant can).
struct Run {
    ops: u64,
    flow: Flow,
    send: SendFn,
    measured: bool,
    gro: bool,
}

impl Run {
    /// Starts the sender towards `server`, then measures the receive loop shared by every
    /// variant: `ready` waits until readable; `recv` returns the datagrams of one call and
    /// their sender (or `WouldBlock`); `ack` sends a total back. Returns the sample of the
    /// receiver's window, with the sender's when it is measured.
    fn serve(
        self,
        server: SocketAddr,
        mut ready: impl Readiness,
        mut recv: impl FnMut() -> io::Result<(u64, SocketAddr)>,
        mut ack: impl FnMut(&[u8], SocketAddr) -> io::Result<()>,
    ) -> io::Result<Sample> {
        let go = Arc::new(Barrier::new(2));
        let sender = Sender::spawn(server, self.flow, Arc::clone(&go), self.measured, self.send)?;
        let mut meter = ThreadMeter::new()?;
        go.wait();
        meter.start();
        let every = self.flow.ack_every;
        let mut received = 0u64;
        while received < self.ops {
            ready.wait()?;
            loop {
                match recv() {
                    Ok((n, from)) => {
                        let before = received / every;
                        received += n;
                        if received / every > before {
                            match ack(&received.to_ne_bytes(), from) {
                                Err(e) if e.kind() != io::ErrorKind::WouldBlock => return Err(e),
                                _ => {}
                            }
                        }
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                    Err(e) => return Err(e),
                }
            }
        }
        let stats = meter.stop();
        let sender = sender.finish()?;
        let sample = Sample::new(received, stats);
        Ok(if self.measured {
            sample.with_others(vec![sender])
        } else {
            sample
        })
    }

    /// [`Run::serve`] with a batch call: `call` fills `BATCH` buffers of `buf_len` bytes and
    /// their metadata, and returns how many it filled.
    fn serve_batched<M: BatchMeta>(
        self,
        server: SocketAddr,
        ready: impl Readiness,
        buf_len: usize,
        mut call: impl FnMut(&mut [IoSliceMut<'_>], &mut [M]) -> io::Result<usize>,
        ack: impl FnMut(&[u8], SocketAddr) -> io::Result<()>,
    ) -> io::Result<Sample> {
        let mut bufs = vec![vec![0u8; buf_len]; BATCH];
        let mut slices: Vec<IoSliceMut<'_>> = bufs.iter_mut().map(|b| IoSliceMut::new(b)).collect();
        let mut meta = [M::default(); BATCH];
        let recv = || {
            let n = call(&mut slices, &mut meta)?;
            let count = meta[..n].iter().map(BatchMeta::datagrams).sum();
            Ok((count, meta[0].source()))
        };
        self.serve(server, ready, recv, ack)
    }
}

/// ferrio: `recv_batch` into `BATCH` buffers of `buf_len` bytes; with `metadata` false, on a
/// state made by `UdpBatch::without_metadata`.
fn run_ferrio(run: Run, buf_len: usize, metadata: bool) -> io::Result<Sample> {
    use ferrio::net::{UdpBatch, UdpSocket};
    let poll = ferrio::Poll::new()?;
    let mut socket = UdpSocket::bind(loopback())?;
    socket.set_recv_buffer_size(RCVBUF as u32)?;
    poll.registry()
        .register(&mut socket, ferrio::Token(0), ferrio::Interest::READABLE)?;
    let state = if metadata {
        UdpBatch::new(&socket)?
    } else {
        UdpBatch::without_metadata(&socket)?
    };
    if !run.gro {
        state.set_gro(&socket, false)?;
    }
    let ready = (poll, ferrio::Events::with_capacity(64));
    run.serve_batched(
        socket.local_addr()?,
        ready,
        buf_len,
        |bufs, meta| socket.recv_batch(&state, bufs, meta),
        |total, to| socket.send_to(total, to).map(drop),
    )
}

/// mio: one `recv_from` per datagram.
fn run_mio(run: Run) -> io::Result<Sample> {
    let poll = mio::Poll::new()?;
    let std_socket = StdUdp::bind(loopback())?;
    std_socket.set_nonblocking(true)?;
    socket2::SockRef::from(&std_socket).set_recv_buffer_size(RCVBUF)?;
    let mut socket = mio::net::UdpSocket::from_std(std_socket);
    poll.registry()
        .register(&mut socket, mio::Token(0), mio::Interest::READABLE)?;
    let ready = (poll, mio::Events::with_capacity(64));
    let mut buf = [0u8; 2048];
    run.serve(
        socket.local_addr()?,
        ready,
        || socket.recv_from(&mut buf).map(|(_, from)| (1, from)),
        |total, to| socket.send_to(total, to).map(drop),
    )
}

/// quinn-udp on a std socket, with mio (`SourceFd`) for readiness.
fn run_quinn(run: Run, buf_len: usize) -> io::Result<Sample> {
    let poll = mio::Poll::new()?;
    let socket = StdUdp::bind(loopback())?;
    socket.set_nonblocking(true)?;
    let state = quinn_udp::UdpSocketState::new((&socket).into())?;
    state.set_recv_buffer_size((&socket).into(), RCVBUF)?;
    let fd = socket.as_raw_fd();
    if !run.gro {
        // quinn-udp turns GRO on where it can and has no call to turn it off.
        let off: libc::c_int = 0;
        // SAFETY: `fd` is the live socket above; the option value is a live c_int of the
        // length given.
        let r = unsafe {
            libc::setsockopt(
                fd,
                libc::SOL_UDP,
                libc::UDP_GRO,
                (&off as *const libc::c_int).cast(),
                std::mem::size_of::<libc::c_int>() as libc::socklen_t,
            )
        };
        if r != 0 && io::Error::last_os_error().raw_os_error() != Some(libc::ENOPROTOOPT) {
            return Err(io::Error::last_os_error());
        }
    }
    poll.registry().register(
        &mut mio::unix::SourceFd(&fd),
        mio::Token(0),
        mio::Interest::READABLE,
    )?;
    let ready = (poll, mio::Events::with_capacity(64));
    run.serve_batched(
        socket.local_addr()?,
        ready,
        buf_len,
        |bufs, meta| state.recv((&socket).into(), bufs, meta),
        |total, to| socket.send_to(total, to).map(drop),
    )
}

// ---------------------------------------------------------------------------------------------
// The workloads
// ---------------------------------------------------------------------------------------------

/// The three variants of a flood, whose module's `run(p)` gives the run (the same sender for
/// every variant); buffers of 2 KiB.
macro_rules! shared_sender_variants {
    () => {
        pub fn ferrio(p: &Params) -> io::Result<Sample> {
            run_ferrio(run(p), 2048, true)
        }

        pub fn mio(p: &Params) -> io::Result<Sample> {
            run_mio(run(p))
        }

        pub fn quinn(p: &Params) -> io::Result<Sample> {
            run_quinn(run(p), 2048)
        }
    };
}

/// Flood of 32-byte datagrams, the sender batching 64 per call; one op = one datagram
/// received.
pub mod flood {
    use super::*;

    fn run(p: &Params) -> Run {
        Run {
            ops: p.ops,
            flow: FLOOD,
            send: ferrio_sender(FLOOD_MSG, false),
            measured: false,
            gro: true,
        }
    }

    shared_sender_variants!();
}

/// The flood of `flood` with a sender that outpaces every receiver: it sends trains of 32
/// datagrams (GSO), and no receiving socket has GRO, so the kernel cuts each train on arrival
/// and every datagram is queued and received on its own, as in `flood`. The receivers never
/// run out of datagrams: no wake-ups, every batch call fills its buffers.
pub mod flood_saturated {
    use super::*;

    fn run(p: &Params) -> Run {
        Run {
            ops: p.ops,
            flow: FLOOD,
            send: ferrio_sender(FLOOD_MSG, true),
            measured: false,
            gro: false,
        }
    }

    shared_sender_variants!();

    /// ferrio without asking for received packet info and TOS (`UdpBatch::without_metadata`).
    pub fn ferrio_bare(p: &Params) -> io::Result<Sample> {
        run_ferrio(run(p), 2048, false)
    }
}

/// Bulk 1200-byte datagrams, GSO trains to GRO where the variant can; one op = one datagram
/// received (1200 bytes).
pub mod bulk {
    use super::*;

    fn run(p: &Params, send: SendFn) -> Run {
        Run {
            ops: p.ops,
            flow: BULK,
            send,
            measured: true,
            gro: true,
        }
    }

    pub fn ferrio(p: &Params) -> io::Result<Sample> {
        run_ferrio(run(p, ferrio_sender(BULK_MSG, true)), 65536, true)
    }

    pub fn mio(p: &Params) -> io::Result<Sample> {
        run_mio(run(p, plain_sender(BULK_MSG)))
    }

    pub fn quinn(p: &Params) -> io::Result<Sample> {
        run_quinn(run(p, quinn_sender(BULK_MSG)), 65536)
    }
}
