//! Soak test: thousands of connections held and churned for a while, with the process's
//! descriptor count and resident memory watched for leaks.
//!
//! ```text
//! cargo run --release --example soak -- --secs 20 --conns 1000
//! ```
//!
//! One event loop holds `--conns` loopback TCP connections (both ends in this process, so
//! twice as many sockets), plus UDP sockets, Unix pipes (on Unix) and a Waker that a second
//! thread wakes every 2 ms. Every second it:
//!
//! - closes `--churn` percent of the connections (half of them deregistered first, half just
//!   dropped; a third of them from the accepting side) and opens new ones to make up the
//!   number, and replaces a few UDP sockets and pipes the same way;
//! - sends a 32-byte ping on every connected client, which the accepting side echoes, a
//!   datagram from every UDP socket to another, and a byte down every pipe;
//! - re-registers a tenth of the sockets;
//! - samples the process's descriptor count (`/proc/self/fd`) and resident memory
//!   (`VmRSS` of `/proc/self/status`), and prints one line.
//!
//! **Warm-up** is the first quarter of the run, at least 5 s (`--warmup S` sets it). The run
//! fails (exit status 1) if, after warm-up:
//!
//! - the descriptor count at the last sample differs from the one at the last warm-up sample
//!   by 1 % or more;
//! - resident memory drifts: the highest sample of the last quarter of the run (at least 3
//!   samples) is 1 % or more above the highest sample of the warm-up;
//! - a second passes without echoed pings, datagrams or Waker events;
//! - fewer than `--conns` connections are established at the end, or an I/O operation fails
//!   in a way a churned connection does not explain.
//!
//! The two leak checks need Linux's `/proc`; elsewhere (Windows, the BSDs) they are skipped
//! and only the traffic is checked. On Unix the soft `RLIMIT_NOFILE` is raised to the hard limit first.

use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use ferrio::net::{TcpListener, TcpStream, UdpSocket};
#[cfg(unix)]
use ferrio::unix::pipe;
use ferrio::{Events, Interest, Poll, Token, Waker};

const LISTENER: Token = Token(0);
const WAKER: Token = Token(1);
/// Tokens of the slab's entries start here.
const FIRST: usize = 2;
const PING: &[u8; 32] = b"ping ping ping ping ping ping pi";

struct Args {
    secs: u64,
    conns: usize,
    churn_pct: f64,
    warmup: Option<u64>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        secs: 20,
        conns: 1000,
        churn_pct: 5.0,
        warmup: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().ok_or(format!("{flag} needs a value"))?;
        let bad = || format!("bad value for {flag}: {value}");
        match flag.as_str() {
            "--secs" => args.secs = value.parse().map_err(|_| bad())?,
            "--conns" => args.conns = value.parse().map_err(|_| bad())?,
            "--churn" => args.churn_pct = value.parse().map_err(|_| bad())?,
            "--warmup" => args.warmup = Some(value.parse().map_err(|_| bad())?),
            _ => return Err(format!("unknown flag {flag}")),
        }
    }
    Ok(args)
}

/// A small xorshift generator: which connections churn need not be random, only spread.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

enum Kind {
    /// The connecting end; `connected` once its first writable event saw the connection up.
    Client {
        stream: TcpStream,
        connected: bool,
    },
    /// The accepting end: echoes what it reads.
    Server {
        stream: TcpStream,
    },
    Udp(UdpSocket),
    #[cfg(unix)]
    PipeTx(pipe::Sender),
    #[cfg(unix)]
    PipeRx(pipe::Receiver),
}

struct Entry {
    kind: Kind,
    /// Bytes still to write (a server's echo that met `WouldBlock`).
    out: Vec<u8>,
}

#[derive(Default)]
struct Counts {
    echoed: u64,
    datagrams: u64,
    pipe_bytes: u64,
    wakes: u64,
    churned: u64,
    reregistered: u64,
    accepted: u64,
    /// Errors that churn explains (a reset from a closed peer, a refused connection).
    benign_errors: u64,
    /// Errors nothing explains: the run fails if there are any.
    errors: u64,
}

struct Soak {
    poll: Poll,
    listener: TcpListener,
    addr: SocketAddr,
    slab: Vec<Option<Entry>>,
    free: Vec<usize>,
    udp_addrs: Vec<(usize, SocketAddr)>,
    counts: Counts,
    rng: Rng,
}

fn benign(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::BrokenPipe
            | io::ErrorKind::ConnectionRefused
            | io::ErrorKind::NotConnected
    )
}

impl Soak {
    fn insert(&mut self, mut entry: Entry, interest: Interest) -> io::Result<usize> {
        let idx = self.free.pop().unwrap_or_else(|| {
            self.slab.push(None);
            self.slab.len() - 1
        });
        let token = Token(FIRST + idx);
        let registry = self.poll.registry();
        match &mut entry.kind {
            Kind::Client { stream, .. } | Kind::Server { stream } => {
                registry.register(stream, token, interest)?
            }
            Kind::Udp(s) => registry.register(s, token, interest)?,
            #[cfg(unix)]
            Kind::PipeTx(s) => registry.register(s, token, Interest::WRITABLE)?,
            #[cfg(unix)]
            Kind::PipeRx(s) => registry.register(s, token, Interest::READABLE)?,
        }
        self.slab[idx] = Some(entry);
        Ok(idx)
    }

    /// Removes entry `idx`; `deregister` says whether to deregister before the drop.
    fn remove(&mut self, idx: usize, deregister: bool) {
        let Some(mut entry) = self.slab[idx].take() else {
            return;
        };
        self.free.push(idx);
        self.udp_addrs.retain(|&(i, _)| i != idx);
        if deregister {
            let registry = self.poll.registry();
            let r = match &mut entry.kind {
                Kind::Client { stream, .. } | Kind::Server { stream } => {
                    registry.deregister(stream)
                }
                Kind::Udp(s) => registry.deregister(s),
                #[cfg(unix)]
                Kind::PipeTx(s) => registry.deregister(s),
                #[cfg(unix)]
                Kind::PipeRx(s) => registry.deregister(s),
            };
            if let Err(e) = r {
                eprintln!("deregister {idx}: {e}");
                self.counts.errors += 1;
            }
        }
    }

    fn connect(&mut self) {
        match TcpStream::connect(self.addr) {
            Ok(stream) => {
                let entry = Entry {
                    kind: Kind::Client {
                        stream,
                        connected: false,
                    },
                    out: Vec::new(),
                };
                if let Err(e) = self.insert(entry, Interest::READABLE | Interest::WRITABLE) {
                    eprintln!("register a client: {e}");
                    self.counts.errors += 1;
                }
            }
            // Out of ephemeral ports for a moment, or the backlog is full: next second.
            Err(e) => {
                eprintln!("connect: {e}");
                self.counts.benign_errors += 1;
            }
        }
    }

    fn new_udp(&mut self) -> io::Result<()> {
        let socket = UdpSocket::bind("127.0.0.1:0".parse().unwrap())?;
        let addr = socket.local_addr()?;
        let entry = Entry {
            kind: Kind::Udp(socket),
            out: Vec::new(),
        };
        let idx = self.insert(entry, Interest::READABLE)?;
        self.udp_addrs.push((idx, addr));
        Ok(())
    }

    #[cfg(unix)]
    fn new_pipe(&mut self) -> io::Result<()> {
        let (tx, rx) = pipe::new()?;
        for kind in [Kind::PipeTx(tx), Kind::PipeRx(rx)] {
            let entry = Entry {
                kind,
                out: Vec::new(),
            };
            self.insert(entry, Interest::READABLE)?;
        }
        Ok(())
    }

    fn accept_all(&mut self) {
        loop {
            match self.listener.accept() {
                Ok((stream, _)) => {
                    self.counts.accepted += 1;
                    let entry = Entry {
                        kind: Kind::Server { stream },
                        out: Vec::new(),
                    };
                    if let Err(e) = self.insert(entry, Interest::READABLE) {
                        eprintln!("register an accepted stream: {e}");
                        self.counts.errors += 1;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) => {
                    eprintln!("accept: {e}");
                    self.counts.benign_errors += 1;
                    return;
                }
            }
        }
    }

    /// Handles an event for entry `idx`: reads and writes until `WouldBlock`, drops the entry
    /// when its peer is gone.
    fn handle(&mut self, idx: usize, writable: bool) {
        let Some(entry) = self.slab[idx].as_mut() else {
            return; // dropped earlier in this batch
        };
        let mut buf = [0u8; 4096];
        let mut close = false;
        let mut unexplained = None;
        match &mut entry.kind {
            Kind::Client { stream, connected } => {
                if writable && !*connected {
                    match (stream.take_error(), stream.peer_addr()) {
                        (Ok(None), Ok(_)) => *connected = true,
                        (Ok(Some(e)) | Err(e), _) => {
                            unexplained = (!benign(&e)).then_some(e);
                            close = true;
                        }
                        _ => {} // not connected yet (a spurious event)
                    }
                }
                loop {
                    match stream.read(&mut buf) {
                        Ok(0) => break close = true,
                        Ok(n) => self.counts.echoed += n as u64,
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(e) => {
                            unexplained = (!benign(&e)).then_some(e);
                            break close = true;
                        }
                    }
                }
            }
            Kind::Server { stream } => loop {
                match stream.read(&mut buf) {
                    Ok(0) => break close = true,
                    Ok(n) => entry.out.extend_from_slice(&buf[..n]),
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => {
                        unexplained = (!benign(&e)).then_some(e);
                        break close = true;
                    }
                }
            },
            Kind::Udp(socket) => loop {
                match socket.recv_from(&mut buf) {
                    Ok(_) => self.counts.datagrams += 1,
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                    // Windows reports a datagram sent to a closed port on a later receive.
                    Err(e) if benign(&e) => self.counts.benign_errors += 1,
                    Err(e) => break unexplained = Some(e),
                }
            },
            #[cfg(unix)]
            Kind::PipeTx(_) => {}
            #[cfg(unix)]
            Kind::PipeRx(rx) => loop {
                match rx.read(&mut buf) {
                    Ok(0) => break close = true,
                    Ok(n) => self.counts.pipe_bytes += n as u64,
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                    Err(e) => break unexplained = Some(e),
                }
            },
        }
        if !close {
            self.flush(idx);
        }
        if let Some(e) = unexplained {
            eprintln!("entry {idx}: {e}");
            self.counts.errors += 1;
        }
        if close {
            self.remove(idx, false);
        }
    }

    /// Writes an entry's pending output until it is empty or the write would block.
    fn flush(&mut self, idx: usize) {
        let Some(entry) = self.slab[idx].as_mut() else {
            return;
        };
        let stream = match &mut entry.kind {
            Kind::Client { stream, .. } | Kind::Server { stream } => stream,
            _ => return,
        };
        while !entry.out.is_empty() {
            match stream.write(&entry.out) {
                Ok(n) => drop(entry.out.drain(..n)),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    // Stays registered for writability until the rest is out.
                    let token = Token(FIRST + idx);
                    let both = Interest::READABLE | Interest::WRITABLE;
                    if let Err(e) = self.poll.registry().reregister(stream, token, both) {
                        eprintln!("reregister {idx}: {e}");
                        self.counts.errors += 1;
                    }
                    return;
                }
                Err(e) => {
                    if !benign(&e) {
                        eprintln!("write {idx}: {e}");
                        self.counts.errors += 1;
                    }
                    entry.out.clear();
                    return;
                }
            }
        }
    }

    /// The first half of the once-a-second work: churn.
    fn churn(&mut self, churn_pct: f64) {
        let live: Vec<usize> = (0..self.slab.len())
            .filter(|&i| {
                matches!(
                    self.slab[i],
                    Some(Entry {
                        kind: Kind::Client { .. },
                        ..
                    })
                )
            })
            .collect();
        let servers: Vec<usize> = (0..self.slab.len())
            .filter(|&i| {
                matches!(
                    self.slab[i],
                    Some(Entry {
                        kind: Kind::Server { .. },
                        ..
                    })
                )
            })
            .collect();
        // Churn: close a fraction; a third of them from the accepting side (the client then
        // sees the end of the stream and closes itself).
        let n = ((live.len() as f64) * churn_pct / 100.0).round() as usize;
        for k in 0..n {
            let victim = if k % 3 == 2 && !servers.is_empty() {
                servers[self.rng.below(servers.len())]
            } else if !live.is_empty() {
                live[self.rng.below(live.len())]
            } else {
                break;
            };
            if self.slab[victim].is_some() {
                self.counts.churned += 1;
                self.remove(victim, k % 2 == 0);
            }
        }
        let udp: Vec<usize> = self.udp_addrs.iter().map(|&(i, _)| i).collect();
        for _ in 0..2.min(udp.len()) {
            let victim = udp[self.rng.below(udp.len())];
            let deregister = self.rng.next() % 2 == 0;
            self.remove(victim, deregister);
            if let Err(e) = self.new_udp() {
                eprintln!("new UDP socket: {e}");
                self.counts.errors += 1;
            }
        }
        #[cfg(unix)]
        self.churn_pipes();
    }

    /// The second half of the once-a-second work, once the churned connections' peers have
    /// seen them go: top-up, traffic and re-registration.
    fn tick(&mut self, conns: usize) {
        // Top up to `conns` clients (those closed by their server side included).
        let clients = (0..self.slab.len())
            .filter(|&i| {
                matches!(
                    self.slab[i],
                    Some(Entry {
                        kind: Kind::Client { .. },
                        ..
                    })
                )
            })
            .count();
        for _ in clients..conns {
            self.connect();
        }
        // Traffic and re-registration.
        let rereg = Interest::READABLE | Interest::WRITABLE;
        for idx in 0..self.slab.len() {
            let token = Token(FIRST + idx);
            let reregister = self.rng.below(10) == 0;
            let Some(entry) = self.slab[idx].as_mut() else {
                continue;
            };
            let registry = self.poll.registry();
            let r = match &mut entry.kind {
                Kind::Client { stream, connected } => {
                    if *connected {
                        entry.out.extend_from_slice(PING);
                    }
                    if reregister {
                        registry.reregister(stream, token, rereg)
                    } else {
                        Ok(())
                    }
                }
                Kind::Server { stream } if reregister => {
                    registry.reregister(stream, token, Interest::READABLE)
                }
                Kind::Udp(socket) => {
                    let (_, to) = self.udp_addrs[self.rng.below(self.udp_addrs.len())];
                    match socket.send_to(b"datagram", to) {
                        Err(e) if e.kind() != io::ErrorKind::WouldBlock && !benign(&e) => {
                            eprintln!("send_to: {e}");
                            self.counts.errors += 1;
                        }
                        _ => {}
                    }
                    if reregister {
                        registry.reregister(socket, token, Interest::READABLE)
                    } else {
                        Ok(())
                    }
                }
                #[cfg(unix)]
                Kind::PipeTx(tx) => match tx.write(b"p") {
                    Err(e) if e.kind() != io::ErrorKind::WouldBlock => Err(e),
                    _ => Ok(()),
                },
                _ => Ok(()),
            };
            match r {
                Ok(()) => self.counts.reregistered += u64::from(reregister),
                Err(e) => {
                    eprintln!("tick {idx}: {e}");
                    self.counts.errors += 1;
                }
            }
            self.flush(idx);
        }
    }

    #[cfg(unix)]
    fn churn_pipes(&mut self) {
        let senders: Vec<usize> = (0..self.slab.len())
            .filter(|&i| {
                matches!(
                    self.slab[i],
                    Some(Entry {
                        kind: Kind::PipeTx(_),
                        ..
                    })
                )
            })
            .collect();
        if senders.is_empty() {
            return;
        }
        // Dropping the sender ends the pipe: its receiver reads the end and closes itself.
        let victim = senders[self.rng.below(senders.len())];
        self.remove(victim, false);
        if let Err(e) = self.new_pipe() {
            eprintln!("new pipe: {e}");
            self.counts.errors += 1;
        }
    }

    fn poll_until(&mut self, deadline: Instant, events: &mut Events) -> io::Result<()> {
        loop {
            let now = Instant::now();
            if now >= deadline {
                return Ok(());
            }
            match self.poll.poll(events, Some(deadline - now)) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
            for event in events.iter() {
                match event.token() {
                    LISTENER => self.accept_all(),
                    WAKER => self.counts.wakes += 1,
                    Token(t) => self.handle(t - FIRST, event.is_writable()),
                }
            }
        }
    }
}

/// One sample of the process's resources: descriptors and resident memory in KiB.
#[derive(Clone, Copy)]
struct Sample {
    fds: Option<usize>,
    rss_kib: Option<u64>,
}

/// Reads `/proc` on Linux; elsewhere there is nothing to sample (under Wine `/proc` is
/// visible, but its figures are Wine's, not the Windows process's).
#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn sample() -> Sample {
    Sample {
        fds: None,
        rss_kib: None,
    }
}

#[cfg(any(target_os = "linux", target_os = "android"))]
fn sample() -> Sample {
    let fds = std::fs::read_dir("/proc/self/fd").ok().map(|d| d.count());
    let rss_kib = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            let line = s.lines().find(|l| l.starts_with("VmRSS:"))?;
            line.split_whitespace().nth(1)?.parse().ok()
        });
    Sample { fds, rss_kib }
}

#[cfg(unix)]
fn raise_fd_limit() {
    let mut rl = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit only writes the live `rl` it is given.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut rl) } != 0 || rl.rlim_cur >= rl.rlim_max {
        return;
    }
    let old = rl.rlim_cur;
    rl.rlim_cur = rl.rlim_max;
    // SAFETY: setrlimit only reads the live, initialised `rl`.
    if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &rl) } == 0 {
        println!("RLIMIT_NOFILE raised from {old} to {}", rl.rlim_max);
    }
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(e) => {
            eprintln!("soak: {e}\nusage: soak [--secs N] [--conns N] [--churn PCT] [--warmup S]");
            return ExitCode::from(2);
        }
    };
    match run(&args) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("soak: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &Args) -> io::Result<bool> {
    #[cfg(unix)]
    raise_fd_limit();
    let warmup = args.warmup.unwrap_or((args.secs / 4).max(5));
    println!(
        "soak: {} s, {} connections, {} % churn per second, warm-up {} s",
        args.secs, args.conns, args.churn_pct, warmup
    );
    let poll = Poll::new()?;
    let mut listener = TcpListener::bind("127.0.0.1:0".parse().unwrap())?;
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)?;
    let addr = listener.local_addr()?;
    let waker = Arc::new(Waker::new(poll.registry(), WAKER)?);
    let mut soak = Soak {
        poll,
        listener,
        addr,
        slab: Vec::new(),
        free: Vec::new(),
        udp_addrs: Vec::new(),
        counts: Counts::default(),
        rng: Rng(0x9e37_79b9_7f4a_7c15),
    };
    let side = (args.conns / 32).clamp(4, 64);
    for _ in 0..side {
        soak.new_udp()?;
        #[cfg(unix)]
        soak.new_pipe()?;
    }
    let stop = Arc::new(AtomicBool::new(false));
    let waker_thread = {
        let (waker, stop) = (Arc::clone(&waker), Arc::clone(&stop));
        thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                waker.wake().expect("wake");
                thread::sleep(Duration::from_millis(2));
            }
        })
    };
    let mut events = Events::with_capacity(1024);
    // Open the connections in batches, letting the loop accept each batch.
    let mut opened = 0;
    while opened < args.conns {
        let batch = (args.conns - opened).min(100);
        for _ in 0..batch {
            soak.connect();
        }
        opened += batch;
        soak.poll_until(Instant::now() + Duration::from_millis(20), &mut events)?;
    }
    let start = Instant::now();
    // The figures the checks need, kept as the run goes: a list of every sample would grow
    // (and its pages would count in the resident memory being watched).
    let mut watch = Watch::new(args.secs, warmup);
    let mut quiet_seconds = 0;
    let mut last = (0, 0, 0);
    for second in 1..=args.secs {
        soak.churn(args.churn_pct);
        let settle = start + Duration::from_secs(second - 1) + Duration::from_millis(100);
        soak.poll_until(settle, &mut events)?;
        soak.tick(args.conns);
        soak.poll_until(start + Duration::from_secs(second), &mut events)?;
        let s = sample();
        let c = &soak.counts;
        let now = (c.echoed, c.datagrams, c.wakes);
        let post_warmup = second > warmup;
        if post_warmup && (now.0 == last.0 || now.1 == last.1 || now.2 == last.2) {
            quiet_seconds += 1;
        }
        last = now;
        let show = |v: Option<u64>| v.map_or("n/a".to_string(), |v| v.to_string());
        println!(
            "t={second:>5}s{} fds={} rss_kib={} echoed={} datagrams={} pipe_bytes={} wakes={} \
             churned={} accepted={} reregistered={} benign_errors={} errors={}",
            if post_warmup { " " } else { "w" },
            show(s.fds.map(|v| v as u64)),
            show(s.rss_kib),
            c.echoed,
            c.datagrams,
            c.pipe_bytes,
            c.wakes,
            c.churned,
            c.accepted,
            c.reregistered,
            c.benign_errors,
            c.errors,
        );
        watch.add(second, s);
    }
    stop.store(true, Ordering::Relaxed);
    waker_thread.join().expect("the waker thread panicked");
    let clients = soak
        .slab
        .iter()
        .filter(|e| {
            matches!(
                e,
                Some(Entry {
                    kind: Kind::Client {
                        connected: true,
                        ..
                    },
                    ..
                })
            )
        })
        .count();
    let servers = soak
        .slab
        .iter()
        .filter(|e| {
            matches!(
                e,
                Some(Entry {
                    kind: Kind::Server { .. },
                    ..
                })
            )
        })
        .count();
    report(args, &watch, &soak.counts, clients, servers, quiet_seconds)
}

/// The samples' figures that the drift checks compare.
struct Watch {
    warmup: u64,
    /// The last `tail` seconds of the run are its end.
    tail: u64,
    secs: u64,
    /// The descriptor count at the last warm-up sample, and at the last sample.
    warm_fds: Option<usize>,
    end_fds: Option<usize>,
    /// The highest resident memory during warm-up, and during the tail.
    warm_rss: Option<u64>,
    tail_rss: Option<u64>,
}

impl Watch {
    fn new(secs: u64, warmup: u64) -> Watch {
        let tail = (secs / 4).max(3).min(secs.saturating_sub(warmup));
        Watch {
            warmup,
            tail,
            secs,
            warm_fds: None,
            end_fds: None,
            warm_rss: None,
            tail_rss: None,
        }
    }

    fn add(&mut self, second: u64, s: Sample) {
        if second <= self.warmup {
            self.warm_fds = s.fds;
            self.warm_rss = self.warm_rss.max(s.rss_kib);
        } else {
            self.end_fds = s.fds;
        }
        if second > self.secs - self.tail {
            self.tail_rss = self.tail_rss.max(s.rss_kib);
        }
    }
}

fn report(
    args: &Args,
    watch: &Watch,
    c: &Counts,
    clients: usize,
    servers: usize,
    quiet_seconds: u32,
) -> io::Result<bool> {
    let mut ok = true;
    let mut fail = |msg: String| {
        println!("FAIL: {msg}");
        ok = false;
    };
    println!(
        "summary: {} s, connections held {clients} (accepted side {servers}), churned {}, \
         accepted {}, re-registered {}, echoed bytes {}, datagrams {}, pipe bytes {}, \
         Waker events {}, benign errors {}, errors {}",
        args.secs,
        c.churned,
        c.accepted,
        c.reregistered,
        c.echoed,
        c.datagrams,
        c.pipe_bytes,
        c.wakes,
        c.benign_errors,
        c.errors
    );
    if c.errors > 0 {
        fail(format!("{} unexplained errors", c.errors));
    }
    if quiet_seconds > 0 {
        fail(format!(
            "{quiet_seconds} s after warm-up without echoes, datagrams or wakes"
        ));
    }
    // Every client whose connection is up, at the last sample (a churned one may still be
    // connecting: allow the second's churn).
    let slack = ((args.conns as f64) * args.churn_pct / 100.0).ceil() as usize + 1;
    if clients + slack < args.conns {
        fail(format!("only {clients} of {} connections up", args.conns));
    }
    if watch.tail == 0 {
        println!("run not longer than its warm-up: no drift check");
        return Ok(ok);
    }
    if let (Some(base), Some(end)) = (watch.warm_fds, watch.end_fds) {
        let drift = (end as f64 - base as f64) / base as f64 * 100.0;
        println!("fds: {base} at the end of warm-up, {end} at the end: drift {drift:+.2} %");
        if drift.abs() >= 1.0 {
            fail(format!("descriptor count drifted {drift:+.2} %"));
        }
    } else {
        println!("fds: not available on this system");
    }
    if let (Some(base), Some(end)) = (watch.warm_rss, watch.tail_rss) {
        let drift = (end as f64 - base as f64) / base as f64 * 100.0;
        println!(
            "rss: {base} KiB highest in warm-up, {end} KiB highest in the last {} s: \
             drift {drift:+.2} %",
            watch.tail
        );
        if drift >= 1.0 {
            fail(format!("resident memory drifted {drift:+.2} %"));
        }
    } else {
        println!("rss: not available on this system");
    }
    println!("soak: {}", if ok { "PASS" } else { "FAIL" });
    Ok(ok)
}
