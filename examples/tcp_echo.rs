//! A TCP echo server: every byte a client sends comes back to it.
//!
//! ```text
//! cargo run --example tcp_echo                    # self-test, exits by itself
//! cargo run --example tcp_echo -- 127.0.0.1:7000  # serve until stopped with Ctrl-C
//! ```
//!
//! Without an argument the program tests itself: it starts the server on a free port of
//! 127.0.0.1, runs a few clients on threads of their own (plain blocking std sockets, each
//! sending 1 MiB and shutting down its writing side), checks that every client got its bytes
//! back, prints a summary and exits, with a failure status if anything went wrong. With an
//! address it serves on that address until the process is interrupted; try it with
//! `nc 127.0.0.1 7000`.
//!
//! What the server shows:
//!
//! - one thread and one `Poll`; the listener under a fixed token, each connection under a
//!   token of its own, kept in a map;
//! - each connection registered once, for reading and writing, and never reregistered:
//!   edge-triggered readiness makes that both correct and cheap;
//! - every operation repeated until it returns `WouldBlock`;
//! - back-pressure: each connection has a bounded buffer of bytes read and not yet written
//!   back. When it is full the server stops reading that client, and when writing has made
//!   room it resumes reading at once, without waiting for an event, because none will come for
//!   data that was already there;
//! - half-close: when a client shuts down its writing side (a read returns 0), the server
//!   finishes writing back what it has, then closes the connection;
//! - an accept that fails for a reason other than `WouldBlock` is retried after a short
//!   pause instead of being forgotten.

// WASI preview 1 cannot create sockets (the runtime hands them in): there the example only
// says so.
#[cfg(ferrio_wasi)]
fn main() {
    println!("tcp_echo: WASI preview 1 cannot create sockets");
}

#[cfg(not(ferrio_wasi))]
use std::collections::HashMap;
#[cfg(not(ferrio_wasi))]
use std::io::{self, Read, Write};
#[cfg(not(ferrio_wasi))]
use std::net::{Shutdown, SocketAddr};
#[cfg(not(ferrio_wasi))]
use std::process::ExitCode;
#[cfg(not(ferrio_wasi))]
use std::thread;
#[cfg(not(ferrio_wasi))]
use std::time::{Duration, Instant};

#[cfg(not(ferrio_wasi))]
use ferrio::net::{TcpListener, TcpStream};
#[cfg(not(ferrio_wasi))]
use ferrio::{Events, Interest, Poll, Token};

#[cfg(not(ferrio_wasi))]
const LISTENER: Token = Token(0);
/// Bytes a connection may hold, read from its client and not yet written back.
#[cfg(not(ferrio_wasi))]
const MAX_PENDING: usize = 256 * 1024;
/// Self-test: the clients, and what each one sends.
#[cfg(not(ferrio_wasi))]
const CLIENTS: usize = 4;
#[cfg(not(ferrio_wasi))]
const BYTES_PER_CLIENT: usize = 1 << 20;
/// Self-test: the longest the server or a client waits for anything before giving up.
#[cfg(not(ferrio_wasi))]
const PATIENCE: Duration = Duration::from_secs(10);

/// One client's connection, as the server sees it.
#[cfg(not(ferrio_wasi))]
struct Connection {
    stream: TcpStream,
    /// Bytes read and not yet written back: `pending[written..]`.
    pending: Vec<u8>,
    written: usize,
    /// The client shut down its writing side: nothing more will be read.
    read_closed: bool,
}

#[cfg(not(ferrio_wasi))]
impl Connection {
    fn new(stream: TcpStream) -> Connection {
        Connection {
            stream,
            pending: Vec::with_capacity(MAX_PENDING),
            written: 0,
            read_closed: false,
        }
    }

    /// Does all the work that is possible now: reads while there is room, writes while there
    /// is something to write, and repeats until neither makes progress. Returns `Ok(true)`
    /// once the connection is finished (the client is done sending and has everything back).
    ///
    /// When this returns `Ok(false)`, either a read or a write has just said `WouldBlock`, so
    /// the next event for this connection is guaranteed, whichever direction it is for.
    fn serve(&mut self) -> io::Result<bool> {
        let mut buf = [0; 16 * 1024];
        loop {
            let mut progress = false;

            // Read while the buffer has room. Stopping because it is full (not because of
            // WouldBlock) is fine: the writes below make room, and the loop comes back here.
            while !self.read_closed && self.pending.len() < MAX_PENDING {
                let room = (MAX_PENDING - self.pending.len()).min(buf.len());
                match self.stream.read(&mut buf[..room]) {
                    Ok(0) => {
                        self.read_closed = true;
                        progress = true;
                    }
                    Ok(n) => {
                        self.pending.extend_from_slice(&buf[..n]);
                        progress = true;
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            }

            // Write back what is pending.
            while self.written < self.pending.len() {
                match self.stream.write(&self.pending[self.written..]) {
                    Ok(n) => {
                        self.written += n;
                        progress = true;
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            }
            if self.written == self.pending.len() {
                // Everything went out: the whole buffer is free again.
                self.pending.clear();
                self.written = 0;
            } else if self.written >= MAX_PENDING / 2 {
                // Move the unwritten tail to the front, so that reading has room.
                self.pending.drain(..self.written);
                self.written = 0;
            }

            if self.read_closed && self.pending.is_empty() {
                return Ok(true);
            }
            if !progress {
                return Ok(false);
            }
        }
    }
}

/// What the server did, for the self-test's summary.
#[derive(Default)]
#[cfg(not(ferrio_wasi))]
struct Stats {
    accepted: usize,
    finished: usize,
    failed: usize,
}

/// Runs the server on `listener`. With `stop_after = Some(n)` it returns once `n`
/// connections have finished (the self-test); with `None` it runs until the process ends.
#[cfg(not(ferrio_wasi))]
fn run_server(mut listener: TcpListener, stop_after: Option<usize>) -> io::Result<Stats> {
    let mut poll = Poll::new()?;
    let mut events = Events::with_capacity(256);
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)?;

    let mut connections: HashMap<Token, Connection> = HashMap::new();
    // Tokens are never reused, so an event left over in a batch for a connection that was
    // closed earlier in the same batch can never be mistaken for a new connection's.
    let mut next_token = 1;
    let mut stats = Stats::default();
    // Set when an accept failed with an error other than WouldBlock: connections may be
    // waiting, and no event will say so.
    let mut accept_again = false;

    while stop_after.map_or(true, |n| stats.finished + stats.failed < n) {
        let timeout = if accept_again {
            Some(Duration::from_millis(100))
        } else if stop_after.is_some() {
            Some(PATIENCE)
        } else {
            None
        };
        match poll.poll(&mut events, timeout) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
        if events.is_empty() && !accept_again {
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "no event for the whole timeout",
            ));
        }

        let listener_ready = accept_again || events.iter().any(|e| e.token() == LISTENER);
        if listener_ready {
            accept_again = false;
            loop {
                match listener.accept() {
                    Ok((stream, _peer)) => {
                        let token = Token(next_token);
                        next_token += 1;
                        let mut connection = Connection::new(stream);
                        poll.registry().register(
                            &mut connection.stream,
                            token,
                            Interest::READABLE | Interest::WRITABLE,
                        )?;
                        connections.insert(token, connection);
                        stats.accepted += 1;
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => {
                        // For example EMFILE (out of file descriptors) or a connection reset
                        // before it was accepted. Try again shortly.
                        eprintln!("tcp_echo: accept: {e}");
                        accept_again = true;
                        break;
                    }
                }
            }
        }

        for event in events.iter() {
            let token = event.token();
            if token == LISTENER {
                continue;
            }
            // The connection may have been closed by an earlier event of this batch.
            let Some(connection) = connections.get_mut(&token) else {
                continue;
            };
            // Whatever the event says (readable, writable, closed, error), the operations
            // tell the truth: try both directions.
            match connection.serve() {
                Ok(false) => {}
                Ok(true) => {
                    // Dropping the stream closes it and ends its registration.
                    connections.remove(&token);
                    stats.finished += 1;
                }
                Err(e) => {
                    eprintln!("tcp_echo: connection {}: {e}", token.0);
                    connections.remove(&token);
                    stats.failed += 1;
                }
            }
        }
    }
    Ok(stats)
}

/// A self-test client: sends `BYTES_PER_CLIENT` bytes (from one thread) while reading the echo
/// (on another), and checks that what came back is what was sent.
#[cfg(not(ferrio_wasi))]
fn client(addr: SocketAddr, seed: u8) -> io::Result<()> {
    let data: Vec<u8> = (0..BYTES_PER_CLIENT)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect();
    let stream = std::net::TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(PATIENCE))?;
    stream.set_write_timeout(Some(PATIENCE))?;

    let mut writer = stream.try_clone()?;
    let to_send = data.clone();
    let sender = thread::spawn(move || -> io::Result<()> {
        for chunk in to_send.chunks(64 * 1024) {
            writer.write_all(chunk)?;
        }
        writer.shutdown(Shutdown::Write)
    });

    let mut echoed = Vec::with_capacity(BYTES_PER_CLIENT);
    (&stream).read_to_end(&mut echoed)?;
    sender.join().expect("sender thread panicked")?;
    if echoed != data {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "echo differs: sent {} bytes, got {}",
                data.len(),
                echoed.len()
            ),
        ));
    }
    Ok(())
}

#[cfg(not(ferrio_wasi))]
fn self_test() -> io::Result<bool> {
    let listener = TcpListener::bind("127.0.0.1:0".parse().unwrap())?;
    let addr = listener.local_addr()?;
    println!("tcp_echo: self-test on {addr}: {CLIENTS} clients, {BYTES_PER_CLIENT} bytes each");

    let start = Instant::now();
    let clients: Vec<_> = (0..CLIENTS)
        .map(|i| thread::spawn(move || client(addr, i as u8)))
        .collect();
    let stats = run_server(listener, Some(CLIENTS))?;
    let mut ok = stats.failed == 0;
    for (i, handle) in clients.into_iter().enumerate() {
        if let Err(e) = handle.join().expect("client thread panicked") {
            eprintln!("tcp_echo: client {i}: {e}");
            ok = false;
        }
    }
    println!(
        "tcp_echo: {} connections accepted, {} finished, {} failed; {} MiB echoed in {:.0?}",
        stats.accepted,
        stats.finished,
        stats.failed,
        (stats.finished * BYTES_PER_CLIENT) >> 20,
        start.elapsed()
    );
    Ok(ok)
}

#[cfg(not(ferrio_wasi))]
fn main() -> ExitCode {
    let result = match std::env::args().nth(1) {
        None => self_test(),
        Some(arg) => match arg.parse::<SocketAddr>() {
            Ok(addr) => TcpListener::bind(addr).and_then(|listener| {
                println!("tcp_echo: serving on {addr}; stop with Ctrl-C");
                run_server(listener, None).map(|_| true)
            }),
            Err(_) => {
                eprintln!("usage: tcp_echo [ADDRESS:PORT]   (no argument: self-test)");
                return ExitCode::from(2);
            }
        },
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("tcp_echo: {e}");
            ExitCode::FAILURE
        }
    }
}
