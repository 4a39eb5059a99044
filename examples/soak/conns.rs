//! The soak's connections and other sources, and the event loop's handlers.

use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::time::Instant;

use ferrio::net::{TcpListener, TcpStream, UdpSocket};
#[cfg(unix)]
use ferrio::unix::pipe;
use ferrio::{Events, Interest, Poll, Token};

pub const LISTENER: Token = Token(0);
pub const WAKER: Token = Token(1);
/// Tokens of the slab's entries start here.
pub const FIRST: usize = 2;
pub const PING: &[u8; 32] = b"ping ping ping ping ping ping pi";

/// A small xorshift generator: which connections churn need not be random, only spread.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

pub enum Kind {
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

pub struct Entry {
    pub kind: Kind,
    /// Bytes still to write (a server's echo that met `WouldBlock`).
    pub out: Vec<u8>,
}

#[derive(Default)]
pub struct Counts {
    pub echoed: u64,
    pub datagrams: u64,
    pub pipe_bytes: u64,
    pub wakes: u64,
    pub churned: u64,
    pub reregistered: u64,
    pub accepted: u64,
    /// Errors that churn explains (a reset from a closed peer, a refused connection).
    pub benign_errors: u64,
    /// Errors nothing explains: the run fails if there are any.
    pub errors: u64,
}

pub struct Soak {
    pub poll: Poll,
    pub listener: TcpListener,
    pub addr: SocketAddr,
    pub slab: Vec<Option<Entry>>,
    pub free: Vec<usize>,
    pub udp_addrs: Vec<(usize, SocketAddr)>,
    pub counts: Counts,
    pub rng: Rng,
    /// Lists of slots that `churn` reuses every second.
    pub scratch: (Vec<usize>, Vec<usize>),
}

pub fn benign(e: &io::Error) -> bool {
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
    pub fn insert(&mut self, mut entry: Entry, interest: Interest) -> io::Result<usize> {
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
    pub fn remove(&mut self, idx: usize, deregister: bool) {
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

    pub fn connect(&mut self) {
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

    pub fn new_udp(&mut self) -> io::Result<()> {
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
    pub fn new_pipe(&mut self) -> io::Result<()> {
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

    pub fn accept_all(&mut self) {
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
    pub fn handle(&mut self, idx: usize, writable: bool) {
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
    pub fn flush(&mut self, idx: usize) {
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

    /// The slots whose entry `f` accepts, in `out` (a list kept from tick to tick, so the
    /// soak's own memory use stays flat).
    fn slots_where(&self, out: &mut Vec<usize>, f: impl Fn(&Kind) -> bool) {
        out.clear();
        out.extend(
            (0..self.slab.len()).filter(|&i| self.slab[i].as_ref().is_some_and(|e| f(&e.kind))),
        );
    }

    /// The first half of the once-a-second work: churn.
    pub fn churn(&mut self, churn_pct: f64) {
        let (mut live, mut servers) = std::mem::take(&mut self.scratch);
        self.slots_where(&mut live, |k| matches!(k, Kind::Client { .. }));
        self.slots_where(&mut servers, |k| matches!(k, Kind::Server { .. }));
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
        let udp = &mut live;
        udp.clear();
        udp.extend(self.udp_addrs.iter().map(|&(i, _)| i));
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
        {
            self.slots_where(&mut live, |k| matches!(k, Kind::PipeTx(_)));
            self.churn_pipes(&live);
        }
        self.scratch = (live, servers);
    }

    /// The second half of the once-a-second work, once the churned connections' peers have
    /// seen them go: top-up, traffic and re-registration.
    pub fn tick(&mut self, conns: usize) {
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
    fn churn_pipes(&mut self, senders: &[usize]) {
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

    pub fn poll_until(&mut self, deadline: Instant, events: &mut Events) -> io::Result<()> {
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
