//! Batched UDP: the same burst of 1200-byte datagrams sent both ways over loopback, first one
//! datagram per system call (`send_to`, `recv_from`), then batched with the offloads the
//! system has (`send_batch` with GSO trains, `recv_batch` with GRO). Prints datagrams per
//! second and CPU time per datagram for each (the process's CPU time: `getrusage` on Unix,
//! `GetProcessTimes` on Windows).
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

// Where the batch API exists and the process's CPU time can be read: `getrusage` on Unix,
// `GetProcessTimes` on Windows.
#[cfg(all(ferrio_udp_batch, any(windows, all(unix, ferrio_getrusage))))]
fn main() -> std::process::ExitCode {
    run::main()
}

// (The systems whose libc has no `getrusage` for the CPU times.)
#[cfg(not(all(ferrio_udp_batch, any(windows, all(unix, ferrio_getrusage)))))]
fn main() {
    println!("this example does not run on this system (it measures CPU time with getrusage)");
}

#[cfg(all(ferrio_udp_batch, any(windows, all(unix, ferrio_getrusage))))]
mod run {
    use std::io::{self, IoSliceMut};
    use std::net::SocketAddr;
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
    #[cfg(unix)]
    fn cpu_time() -> (Duration, Duration) {
        // SAFETY: all-zero is a valid rusage, and getrusage only writes the live `usage`.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        // SAFETY: `usage` is a live, writable rusage.
        unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
        let time = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
        (time(usage.ru_utime), time(usage.ru_stime))
    }

    /// The CPU time of the process: in user space, in the kernel.
    #[cfg(windows)]
    fn cpu_time() -> (Duration, Duration) {
        use windows_sys::Win32::Foundation::FILETIME;
        use windows_sys::Win32::System::Threading::{GetCurrentProcess, GetProcessTimes};
        let zero = FILETIME {
            dwLowDateTime: 0,
            dwHighDateTime: 0,
        };
        let (mut creation, mut exit, mut kernel, mut user) = (zero, zero, zero, zero);
        // SAFETY: GetCurrentProcess's pseudo-handle needs no closing and is valid for the
        // process's life; the four pointers are to live, writable FILETIMEs. On failure they
        // stay zero (not expected for the process itself).
        unsafe {
            GetProcessTimes(
                GetCurrentProcess(),
                &mut creation,
                &mut exit,
                &mut kernel,
                &mut user,
            )
        };
        // FILETIME durations count 100-nanosecond intervals.
        let time = |t: FILETIME| {
            Duration::from_nanos(((t.dwHighDateTime as u64) << 32 | t.dwLowDateTime as u64) * 100)
        };
        (time(user), time(kernel))
    }

    /// A socket and its batch state.
    type End = (UdpSocket, UdpBatch);

    /// Two registered sockets on loopback, with their batch states.
    struct Sockets {
        poll: Poll,
        events: Events,
        ends: [End; 2],
    }

    impl Sockets {
        /// Without `offloads`, GSO and GRO are turned off (the batch calls stay).
        fn new(offloads: bool) -> io::Result<Sockets> {
            let poll = Poll::new()?;
            let make = |token| -> io::Result<End> {
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

    /// One way of moving datagrams; each call returns how many datagrams it moved, or
    /// `WouldBlock`.
    trait Mover {
        /// Sends up to `n` datagrams from `end` to `to`.
        fn send(&mut self, end: &End, to: SocketAddr, n: usize) -> io::Result<usize>;
        /// Receives what is waiting at `end`.
        fn recv(&mut self, end: &End) -> io::Result<usize>;
    }

    /// One datagram per system call: `send_to`, `recv_from`.
    struct OnePerCall<'a> {
        payload: &'a [u8],
        buf: Vec<u8>,
    }

    impl Mover for OnePerCall<'_> {
        fn send(&mut self, (socket, _): &End, to: SocketAddr, _: usize) -> io::Result<usize> {
            socket.send_to(&self.payload[..DATAGRAM], to).map(|_| 1)
        }

        fn recv(&mut self, (socket, _): &End) -> io::Result<usize> {
            socket.recv_from(&mut self.buf).map(|_| 1)
        }
    }

    /// `send_batch` with trains of `TRAIN` datagrams, `recv_batch` into 16 buffers.
    struct Batched<'a> {
        payload: &'a [u8],
        /// Made once: the buffers are only written (by the kernel), never read here.
        slices: Vec<IoSliceMut<'a>>,
        meta: [RecvMeta; 16],
    }

    impl Mover for Batched<'_> {
        fn send(&mut self, (socket, state): &End, to: SocketAddr, n: usize) -> io::Result<usize> {
            // Trains of TRAIN datagrams; the last one shorter.
            let mut transmits = [Transmit::new(to, &[]); WINDOW / TRAIN + 1];
            let trains = (n + TRAIN - 1) / TRAIN;
            for (k, t) in transmits[..trains].iter_mut().enumerate() {
                let datagrams = TRAIN.min(n - k * TRAIN);
                *t = Transmit {
                    segment_size: Some(DATAGRAM),
                    ..Transmit::new(to, &self.payload[..datagrams * DATAGRAM])
                };
            }
            let sent = socket.send_batch(state, &transmits[..trains])?;
            Ok(transmits[..sent].iter().map(Transmit::segments).sum())
        }

        fn recv(&mut self, (socket, state): &End) -> io::Result<usize> {
            let n = socket.recv_batch(state, &mut self.slices, &mut self.meta)?;
            Ok(self.meta[..n]
                .iter()
                .map(|m| (m.len + m.stride - 1) / m.stride.max(1))
                .sum())
        }
    }

    /// One direction of one run: `count` datagrams from `ends[from]` to the other end, moved
    /// by `mover`. Returns the datagrams received.
    fn transfer(
        sockets: &mut Sockets,
        from: usize,
        count: usize,
        mover: &mut dyn Mover,
    ) -> io::Result<usize> {
        let to = sockets.ends[1 - from].0.local_addr()?;
        let (mut sent, mut received, mut lost) = (0, 0, 0);
        while sent < count {
            let window = WINDOW.min(count - sent);
            let mut moved = 0;
            while moved < window {
                moved += mover.send(&sockets.ends[from], to, window - moved)?;
            }
            sent += window;
            while received < sent {
                match mover.recv(&sockets.ends[1 - from]) {
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

    /// One row: both directions moved by `mover`, offloads on or off; prints and returns the
    /// CPU time per datagram.
    fn measure(
        label: &str,
        count: usize,
        offloads: bool,
        mover: &mut dyn Mover,
    ) -> io::Result<Duration> {
        let mut sockets = Sockets::new(offloads)?;
        let (wall0, cpu0) = (Instant::now(), cpu_time());
        let mut received = transfer(&mut sockets, 0, count, mover)?;
        received += transfer(&mut sockets, 1, count, mover)?;
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
        let mut one = OnePerCall {
            payload: &payload,
            buf: vec![0u8; 65536],
        };
        let plain = measure("one datagram per call", count, false, &mut one)?;

        let mut bufs = vec![vec![0u8; 65536]; 16];
        let mut batched = Batched {
            payload: &payload,
            slices: bufs.iter_mut().map(|b| IoSliceMut::new(b)).collect(),
            meta: [RecvMeta::default(); 16],
        };
        let mut ratios = [0.0; 2];
        for ((label, offloads), ratio) in [
            ("batch calls, no GSO or GRO", false),
            ("batch calls with GSO and GRO", true),
        ]
        .into_iter()
        .zip(&mut ratios)
        {
            let per = measure(label, count, offloads, &mut batched)?;
            *ratio = per.as_secs_f64() / plain.as_secs_f64();
        }
        println!(
            "CPU per datagram against one per call: batch calls {:.2}, with offloads {:.2}",
            ratios[0], ratios[1]
        );
        Ok(())
    }
}
