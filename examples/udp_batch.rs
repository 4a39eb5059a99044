//! Batched UDP: the same burst of 1200-byte datagrams sent both ways over loopback, first one
//! datagram per system call (`send_to`, `recv_from`), then batched with the offloads the
//! system has (`send_batch` with GSO trains, `recv_batch` with GRO). Prints datagrams per
//! second and CPU time per datagram for each.
//!
//! ```text
//! cargo run --release --example udp_batch            # 200,000 datagrams each way
//! cargo run --release --example udp_batch -- 50000   # another count
//! ```
//!
//! One thread drives both sockets through one `Poll`: it sends a window of 64 datagrams,
//! then receives until they have all arrived (waiting for readiness when the receiver is
//! ahead), and repeats. On Linux the batched run makes about one `sendmmsg` and one
//! `recvmmsg` per window, each carrying two trains of 32 datagrams that the kernel cuts (GSO)
//! and joins again at the receiver (GRO); the plain run makes two system calls per datagram.
//! Where the system has no batch calls or offloads (see `UdpBatch`), the batched run loops
//! over one call per datagram and shows no gain. See the guide's "Batched UDP" section
//! (`ferrio::guide`) for when batching pays.

#[cfg(all(unix, ferrio_udp_batch, ferrio_getrusage))]
fn main() -> std::process::ExitCode {
    run::main()
}

// (Windows, and the systems whose libc has no `getrusage` for the CPU times.)
#[cfg(not(all(unix, ferrio_udp_batch, ferrio_getrusage)))]
fn main() {
    println!("this example does not run on this system (it measures CPU time with getrusage)");
}

#[cfg(all(unix, ferrio_udp_batch, ferrio_getrusage))]
mod run {
    use std::io::{self, IoSliceMut};
    use std::process::ExitCode;
    use std::time::{Duration, Instant};

    use ferrio::net::{RecvMeta, Transmit, UdpBatch, UdpSocket};
    use ferrio::{Events, Interest, Poll, Token};

    const DATAGRAM: usize = 1200;
    /// Datagrams sent before the receiver catches up.
    const WINDOW: usize = 64;
    /// Datagrams per GSO train.
    const TRAIN: usize = 32;
    /// How long a window may take to arrive before the rest counts as lost.
    const LIMIT: Duration = Duration::from_secs(2);

    /// The CPU time of the process: in user space, in the kernel.
    fn cpu_time() -> (Duration, Duration) {
        // SAFETY: all-zero is a valid rusage, and getrusage only writes the live `usage`.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        // SAFETY: `usage` is a live, writable rusage.
        unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
        let time = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
        (time(usage.ru_utime), time(usage.ru_stime))
    }

    /// Two registered sockets on loopback, with their batch states.
    struct Sockets {
        poll: Poll,
        events: Events,
        ends: [(UdpSocket, UdpBatch); 2],
    }

    impl Sockets {
        /// Without `offloads`, GSO and GRO are turned off (the batch calls stay).
        fn new(offloads: bool) -> io::Result<Sockets> {
            let poll = Poll::new()?;
            let make = |token| -> io::Result<(UdpSocket, UdpBatch)> {
                let mut socket = UdpSocket::bind("127.0.0.1:0".parse().unwrap())?;
                socket.set_recv_buffer_size(1 << 20)?;
                poll.registry()
                    .register(&mut socket, token, Interest::READABLE)?;
                let state = UdpBatch::new(&socket)?;
                if !offloads {
                    state.disable_gso();
                    state.set_gro(&socket, false)?;
                }
                Ok((socket, state))
            };
            let ends = [make(Token(0))?, make(Token(1))?];
            Ok(Sockets {
                poll,
                events: Events::with_capacity(8),
                ends,
            })
        }

        /// Waits until a socket may have become readable; false after `LIMIT` of silence.
        fn wait(&mut self) -> io::Result<bool> {
            self.poll.poll(&mut self.events, Some(LIMIT))?;
            Ok(!self.events.is_empty())
        }
    }

    /// One direction of one run: `count` datagrams from `ends[from]` to the other end, sent
    /// and received with `send` and `recv` (each returns how many datagrams it moved, or
    /// `WouldBlock`). Returns the datagrams received.
    fn transfer(
        sockets: &mut Sockets,
        from: usize,
        count: usize,
        send: &mut dyn FnMut(
            &UdpSocket,
            &UdpBatch,
            std::net::SocketAddr,
            usize,
        ) -> io::Result<usize>,
        recv: &mut dyn FnMut(&UdpSocket, &UdpBatch) -> io::Result<usize>,
    ) -> io::Result<usize> {
        let to = sockets.ends[1 - from].0.local_addr()?;
        let (mut sent, mut received, mut lost) = (0, 0, 0);
        while sent < count {
            let window = WINDOW.min(count - sent);
            let mut moved = 0;
            while moved < window {
                let (socket, state) = &sockets.ends[from];
                moved += send(socket, state, to, window - moved)?;
            }
            sent += window;
            while received < sent {
                let (socket, state) = &sockets.ends[1 - from];
                match recv(socket, state) {
                    Ok(n) => received += n,
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                        if !sockets.wait()? {
                            // Lost on the way: counted as such, not waited for.
                            lost += sent - received;
                            received = sent;
                        }
                    }
                    Err(e) => return Err(e),
                }
            }
        }
        Ok(received - lost)
    }

    /// Runs both directions with one pair of operations; prints and returns the CPU time
    /// per datagram.
    fn measure(
        label: &str,
        count: usize,
        offloads: bool,
        send: &mut dyn FnMut(
            &UdpSocket,
            &UdpBatch,
            std::net::SocketAddr,
            usize,
        ) -> io::Result<usize>,
        recv: &mut dyn FnMut(&UdpSocket, &UdpBatch) -> io::Result<usize>,
    ) -> io::Result<Duration> {
        let mut sockets = Sockets::new(offloads)?;
        let (wall0, cpu0) = (Instant::now(), cpu_time());
        let mut received = transfer(&mut sockets, 0, count, send, recv)?;
        received += transfer(&mut sockets, 1, count, send, recv)?;
        let (wall, cpu1) = (wall0.elapsed(), cpu_time());
        let (user, system) = (cpu1.0 - cpu0.0, cpu1.1 - cpu0.1);
        let n = received.max(1) as u32;
        let per = (user + system) / n;
        println!(
            "{label:<30} {:>10.0} datagrams/s {:>6} ns CPU per datagram ({} user, {} kernel)",
            received as f64 / wall.as_secs_f64(),
            per.as_nanos(),
            (user / n).as_nanos(),
            (system / n).as_nanos(),
        );
        if received < 2 * count {
            println!("    ({} lost)", 2 * count - received);
        }
        Ok(per)
    }

    pub fn main() -> ExitCode {
        let count = std::env::args()
            .nth(1)
            .and_then(|n| n.parse().ok())
            .unwrap_or(200_000);
        match run(count) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::FAILURE
            }
        }
    }

    fn run(count: usize) -> io::Result<()> {
        let probe = UdpSocket::bind("127.0.0.1:0".parse().unwrap())?;
        let caps = UdpBatch::new(&probe)?;
        println!("{count} datagrams of {DATAGRAM} bytes each way over loopback; {caps:?}");
        let payload = vec![0x5a; DATAGRAM * WINDOW];
        let mut buf = vec![0u8; 65536];

        let plain = measure(
            "one datagram per call",
            count,
            false,
            &mut |socket, _, to, _| socket.send_to(&payload[..DATAGRAM], to).map(|_| 1),
            &mut |socket, _| socket.recv_from(&mut buf).map(|_| 1),
        )?;

        let mut bufs = vec![vec![0u8; 65536]; 16];
        // Made once: the buffers are only written (by the kernel), never read here.
        let mut slices: Vec<IoSliceMut<'_>> = bufs.iter_mut().map(|b| IoSliceMut::new(b)).collect();
        let mut meta = [RecvMeta::default(); 16];
        let mut send_trains = |socket: &UdpSocket, state: &UdpBatch, to, n| {
            // Trains of TRAIN datagrams; the last one shorter.
            let mut transmits = [Transmit::new(to, &[]); WINDOW / TRAIN + 1];
            let trains = (n + TRAIN - 1) / TRAIN;
            for (k, t) in transmits[..trains].iter_mut().enumerate() {
                let datagrams = TRAIN.min(n - k * TRAIN);
                *t = Transmit {
                    segment_size: Some(DATAGRAM),
                    ..Transmit::new(to, &payload[..datagrams * DATAGRAM])
                };
            }
            let sent = socket.send_batch(state, &transmits[..trains])?;
            Ok(transmits[..sent].iter().map(Transmit::segments).sum())
        };
        let mut recv_many = |socket: &UdpSocket, state: &UdpBatch| {
            let n = socket.recv_batch(state, &mut slices, &mut meta)?;
            Ok(meta[..n]
                .iter()
                .map(|m| (m.len + m.stride - 1) / m.stride.max(1))
                .sum())
        };
        let calls_only = measure(
            "batch calls, no GSO or GRO",
            count,
            false,
            &mut send_trains,
            &mut recv_many,
        )?;
        let batched = measure(
            "batch calls with GSO and GRO",
            count,
            true,
            &mut send_trains,
            &mut recv_many,
        )?;
        println!(
            "CPU per datagram against one per call: batch calls {:.2}, with offloads {:.2}",
            calls_only.as_secs_f64() / plain.as_secs_f64(),
            batched.as_secs_f64() / plain.as_secs_f64()
        );
        Ok(())
    }
}
