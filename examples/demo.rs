//! An echo server and a crowd of clients in one process, one thread, one `Poll`.
//!
//! ```text
//! cargo run --release --example demo
//! cargo run --release --example demo -- --clients 256 --messages 500 --size 4096 --seconds 5
//! ```
//!
//! The server listens on 127.0.0.1 (a port the OS picks). Each client connects, then sends its
//! messages one at a time and waits for each to come back byte for byte before sending the
//! next. Every socket is registered once, for reading and writing, and driven edge-triggered:
//! on an event, read and write until the operation says `WouldBlock`, then wait for the next
//! event. The run ends when every message has come back or at the deadline, whichever is
//! first, and prints a summary. The exit status is non-zero if anything went wrong (an I/O
//! error, a corrupted echo, or the deadline reached before the last message).

// WASI preview 1 cannot create sockets (the runtime hands them in): there the example only
// says so.
#[cfg(ferrio_wasi)]
fn main() {
    println!("demo: WASI preview 1 cannot create sockets");
}

#[cfg(not(ferrio_wasi))]
use std::collections::HashMap;
#[cfg(not(ferrio_wasi))]
use std::io::{self, Read, Write};
#[cfg(not(ferrio_wasi))]
use std::net::SocketAddr;
#[cfg(not(ferrio_wasi))]
use std::process::ExitCode;
#[cfg(not(ferrio_wasi))]
use std::time::{Duration, Instant};

#[cfg(not(ferrio_wasi))]
use ferrio::net::{TcpListener, TcpStream};
#[cfg(not(ferrio_wasi))]
use ferrio::{Events, Interest, Poll, Registry, Token};

#[cfg(not(ferrio_wasi))]
const LISTENER: Token = Token(0);
/// Tokens of accepted (server-side) connections start here ...
#[cfg(not(ferrio_wasi))]
const SERVER_BASE: usize = 1;
/// ... and tokens of client connections start here.
#[cfg(not(ferrio_wasi))]
const CLIENT_BASE: usize = usize::MAX / 2 + 1;

#[cfg(not(ferrio_wasi))]
struct Config {
    clients: usize,
    messages: usize,
    size: usize,
    deadline: Duration,
}

#[cfg(not(ferrio_wasi))]
impl Config {
    fn from_args() -> Result<Config, String> {
        let mut config = Config {
            clients: 64,
            messages: 2000,
            size: 1024,
            deadline: Duration::from_secs(10),
        };
        let mut args = std::env::args().skip(1);
        while let Some(flag) = args.next() {
            let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
            let number: u64 = value
                .parse()
                .map_err(|_| format!("{flag}: not a number: {value}"))?;
            if number == 0 {
                return Err(format!("{flag} must be at least 1"));
            }
            match flag.as_str() {
                "--clients" => config.clients = number.min(CLIENT_BASE as u64 - 1) as usize,
                "--messages" => config.messages = number as usize,
                "--size" => config.size = number.min(64 << 20) as usize,
                "--seconds" => config.deadline = Duration::from_secs(number),
                _ => {
                    return Err(format!(
                        "unknown option {flag} (use --clients, --messages, --size, --seconds)"
                    ))
                }
            }
        }
        Ok(config)
    }
}

/// Running totals for the summary.
#[derive(Default)]
#[cfg(not(ferrio_wasi))]
struct Stats {
    accepted: usize,
    server_closed: usize,
    clients_done: usize,
    messages: u64,
    bytes: u64,
    polls: u64,
    events: u64,
}

/// The server side of one connection: echoes what it reads.
#[cfg(not(ferrio_wasi))]
struct ServerConn {
    stream: TcpStream,
    /// Bytes read but not yet written back; `pos` is how much of it has been written.
    pending: Vec<u8>,
    pos: usize,
}

#[cfg(not(ferrio_wasi))]
impl ServerConn {
    /// Reads and echoes until the socket would block. Returns `Ok(true)` once the client
    /// has closed its end.
    fn pump(&mut self, scratch: &mut [u8]) -> io::Result<bool> {
        loop {
            // Flush what is pending first; if the peer is slow, stop reading so that the
            // buffer stays bounded (the next writable event resumes here).
            while self.pos < self.pending.len() {
                match self.stream.write(&self.pending[self.pos..]) {
                    Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                    Ok(n) => self.pos += n,
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(false),
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            }
            self.pending.clear();
            self.pos = 0;
            match self.stream.read(scratch) {
                Ok(0) => return Ok(true),
                Ok(n) => self.pending.extend_from_slice(&scratch[..n]),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(false),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }
}

/// One client: sends `messages` messages, one at a time, and checks each echo.
#[cfg(not(ferrio_wasi))]
struct Client {
    id: usize,
    stream: TcpStream,
    connected: bool,
    /// The message in flight, how much of it is written, and how much has come back.
    message: Vec<u8>,
    written: usize,
    echoed: usize,
    completed: usize,
}

#[cfg(not(ferrio_wasi))]
impl Client {
    /// Fills `message` with a pattern unique to this client and message number, so a byte
    /// from the wrong connection or the wrong message is caught.
    fn next_message(&mut self) {
        let seed = (self.id as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ self.completed as u64;
        for (i, byte) in self.message.iter_mut().enumerate() {
            *byte = (seed
                .wrapping_add(i as u64)
                .wrapping_mul(0x2545_F491_4F6C_DD1D)
                >> 56) as u8;
        }
        self.written = 0;
        self.echoed = 0;
    }

    /// Handles an event while connecting: the connect has finished when the socket reports
    /// no error and has a peer address.
    fn finish_connect(&mut self) -> io::Result<bool> {
        if let Some(e) = self.stream.take_error()? {
            return Err(e);
        }
        match self.stream.peer_addr() {
            Ok(_) => {
                self.connected = true;
                Ok(true)
            }
            Err(e) if e.kind() == io::ErrorKind::NotConnected => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Writes and reads until both would block. Returns `Ok(true)` when the last message
    /// has come back.
    fn pump(&mut self, target: usize, scratch: &mut [u8], stats: &mut Stats) -> io::Result<bool> {
        loop {
            while self.written < self.message.len() {
                match self.stream.write(&self.message[self.written..]) {
                    Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                    Ok(n) => self.written += n,
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            }
            loop {
                match self.stream.read(scratch) {
                    Ok(0) => {
                        return Err(io::Error::new(
                            io::ErrorKind::UnexpectedEof,
                            "server closed early",
                        ))
                    }
                    Ok(n) => {
                        let expected = self.message.get(self.echoed..self.echoed + n);
                        if expected != Some(&scratch[..n]) {
                            return Err(io::Error::new(
                                io::ErrorKind::InvalidData,
                                "echo does not match",
                            ));
                        }
                        self.echoed += n;
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            }
            if self.echoed < self.message.len() {
                // Both directions would block (or the echo is still on its way).
                return Ok(false);
            }
            self.completed += 1;
            stats.messages += 1;
            stats.bytes += self.message.len() as u64;
            if self.completed == target {
                return Ok(true);
            }
            self.next_message();
        }
    }
}

#[cfg(not(ferrio_wasi))]
fn main() -> ExitCode {
    let config = match Config::from_args() {
        Ok(config) => config,
        Err(e) => {
            eprintln!("demo: {e}");
            return ExitCode::from(2);
        }
    };
    match run(&config) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("demo: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Runs the echo exchange; returns whether every message came back before the deadline.
#[cfg(not(ferrio_wasi))]
fn run(config: &Config) -> io::Result<bool> {
    let start = Instant::now();
    let deadline = start + config.deadline;
    let mut poll = Poll::new()?;
    let mut events = Events::with_capacity(1024);
    let mut scratch = vec![0u8; 64 * 1024];
    let mut stats = Stats::default();

    let mut listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))?;
    let addr = listener.local_addr()?;
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)?;

    let mut servers: HashMap<usize, ServerConn> = HashMap::new();
    let mut next_server = SERVER_BASE;
    let mut clients: HashMap<usize, Client> = HashMap::new();
    for id in 0..config.clients {
        let mut stream = TcpStream::connect(addr)?;
        stream.set_nodelay(true)?;
        poll.registry().register(
            &mut stream,
            Token(CLIENT_BASE + id),
            Interest::READABLE | Interest::WRITABLE,
        )?;
        let client = Client {
            id,
            stream,
            connected: false,
            message: vec![0; config.size],
            written: 0,
            echoed: 0,
            completed: 0,
        };
        clients.insert(id, client);
    }
    for client in clients.values_mut() {
        client.next_message();
    }

    let mut error: Option<String> = None;
    while (!clients.is_empty() || !servers.is_empty()) && error.is_none() {
        let now = Instant::now();
        if now >= deadline {
            break;
        }
        match poll.poll(&mut events, Some(deadline - now)) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
        stats.polls += 1;
        for event in events.iter() {
            stats.events += 1;
            let result = match event.token() {
                LISTENER => accept_all(
                    &listener,
                    poll.registry(),
                    &mut servers,
                    &mut next_server,
                    &mut scratch,
                    &mut stats,
                ),
                Token(t) if t >= CLIENT_BASE => on_client(
                    t - CLIENT_BASE,
                    config,
                    &mut clients,
                    poll.registry(),
                    &mut scratch,
                    &mut stats,
                ),
                Token(t) => on_server(t, &mut servers, poll.registry(), &mut scratch, &mut stats),
            };
            if let Err(e) = result {
                error = Some(format!("{:?}: {e}", event.token()));
                break;
            }
        }
    }
    let elapsed = start.elapsed();
    let complete = error.is_none() && stats.clients_done == config.clients;
    print_summary(config, &stats, elapsed, complete);
    if let Some(e) = error {
        eprintln!("demo: error on {e}");
    } else if !complete {
        eprintln!(
            "demo: the deadline of {:?} passed before every message came back",
            config.deadline
        );
    }
    Ok(complete)
}

#[cfg(not(ferrio_wasi))]
fn accept_all(
    listener: &TcpListener,
    registry: &Registry,
    servers: &mut HashMap<usize, ServerConn>,
    next: &mut usize,
    scratch: &mut [u8],
    stats: &mut Stats,
) -> io::Result<()> {
    loop {
        match listener.accept() {
            Ok((mut stream, _peer)) => {
                stream.set_nodelay(true)?;
                let token = *next;
                *next += 1;
                registry.register(
                    &mut stream,
                    Token(token),
                    Interest::READABLE | Interest::WRITABLE,
                )?;
                servers.insert(
                    token,
                    ServerConn {
                        stream,
                        pending: Vec::new(),
                        pos: 0,
                    },
                );
                stats.accepted += 1;
                // The client may have written already: serve it now rather than wait for an
                // event about data that is already there.
                on_server(token, servers, registry, scratch, stats)?;
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

#[cfg(not(ferrio_wasi))]
fn on_server(
    token: usize,
    servers: &mut HashMap<usize, ServerConn>,
    registry: &Registry,
    scratch: &mut [u8],
    stats: &mut Stats,
) -> io::Result<()> {
    // An event may still name a connection closed earlier in the same batch.
    let Some(conn) = servers.get_mut(&token) else {
        return Ok(());
    };
    if conn.pump(scratch)? {
        let mut conn = servers.remove(&token).expect("present");
        registry.deregister(&mut conn.stream)?;
        stats.server_closed += 1;
    }
    Ok(())
}

#[cfg(not(ferrio_wasi))]
fn on_client(
    id: usize,
    config: &Config,
    clients: &mut HashMap<usize, Client>,
    registry: &Registry,
    scratch: &mut [u8],
    stats: &mut Stats,
) -> io::Result<()> {
    let Some(client) = clients.get_mut(&id) else {
        return Ok(());
    };
    // An event while connecting (writable, error, hang-up) normally means the connect
    // finished one way or the other; `finish_connect` tells which. Should it still be under
    // way, register again so that the next change is reported on every backend.
    if !client.connected && !client.finish_connect()? {
        let token = Token(CLIENT_BASE + id);
        return registry.reregister(
            &mut client.stream,
            token,
            Interest::READABLE | Interest::WRITABLE,
        );
    }
    if client.pump(config.messages, scratch, stats)? {
        // Done: close this client; the server sees end of stream and closes its side.
        let mut client = clients.remove(&id).expect("present");
        registry.deregister(&mut client.stream)?;
        stats.clients_done += 1;
    }
    Ok(())
}

#[cfg(not(ferrio_wasi))]
fn print_summary(config: &Config, stats: &Stats, elapsed: Duration, complete: bool) {
    let secs = elapsed.as_secs_f64().max(1e-9);
    let mib = stats.bytes as f64 / (1024.0 * 1024.0);
    let backend = if cfg!(any(ferrio_force_poll, mio_unsupported_force_poll_poll)) {
        "poll(2), forced"
    } else if cfg!(any(target_os = "linux", target_os = "android")) {
        "epoll"
    } else {
        "the platform's default"
    };
    println!("ferrio demo: echo server + clients on one Poll ({backend}), 127.0.0.1");
    println!(
        "  connections  {} clients, {} accepted, {} closed by the server",
        config.clients, stats.accepted, stats.server_closed
    );
    println!(
        "  clients done {} of {}{}",
        stats.clients_done,
        config.clients,
        if complete { "" } else { " (incomplete)" }
    );
    println!(
        "  messages     {} of {} echoed ({} bytes each)",
        stats.messages,
        config.clients as u64 * config.messages as u64,
        config.size
    );
    println!(
        "  bytes        {:.1} MiB each way ({} bytes)",
        mib, stats.bytes
    );
    println!("  elapsed      {:.3} s", secs);
    println!(
        "  throughput   {:.0} messages/s, {:.1} MiB/s each way",
        stats.messages as f64 / secs,
        mib / secs
    );
    println!(
        "  polling      {} polls, {} events ({:.1} events per poll)",
        stats.polls,
        stats.events,
        stats.events as f64 / stats.polls.max(1) as f64
    );
}
