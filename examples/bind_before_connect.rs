//! Connecting from a chosen local address: `TcpSocket` and `TcpStream::bind_connect`.
//!
//! ```text
//! cargo run --example bind_before_connect
//! ```
//!
//! A client sometimes has to choose where its connection comes from: a particular interface or
//! source address, or a fixed source port that a firewall expects. With mio that takes socket2;
//! ferrio does it itself. This example runs a listener on 127.0.0.1 and connects to it twice,
//! through one `Poll`:
//!
//! 1. with a `TcpSocket`: create, set options, `bind` to a local address, then `connect`;
//! 2. with `TcpStream::bind_connect(local, remote)`, which does the same in one call (on Linux,
//!    a local port of 0 lets the kernel pick the port at connect time, so a busy client does
//!    not run out of ports).
//!
//! Both streams come back still connecting, like one from `TcpStream::connect`; the example
//! finishes each connection with the connect protocol and checks that the server sees the local
//! address the client chose. It exits by itself, with a failure status on any error.

// WASI preview 1 cannot create sockets (the runtime hands them in): there the example only
// says so.
#[cfg(ferrio_wasi)]
fn main() {
    println!("bind_before_connect: WASI preview 1 cannot create sockets");
}

#[cfg(not(ferrio_wasi))]
use std::io;
#[cfg(not(ferrio_wasi))]
use std::net::SocketAddr;
#[cfg(not(ferrio_wasi))]
use std::process::ExitCode;
#[cfg(not(ferrio_wasi))]
use std::time::{Duration, Instant};

#[cfg(not(ferrio_wasi))]
use ferrio::net::{TcpListener, TcpSocket, TcpStream};
#[cfg(not(ferrio_wasi))]
use ferrio::{Events, Interest, Poll, Token};

#[cfg(not(ferrio_wasi))]
const SERVER: Token = Token(0);
#[cfg(not(ferrio_wasi))]
const CLIENT: Token = Token(1);
#[cfg(not(ferrio_wasi))]
const PATIENCE: Duration = Duration::from_secs(5);

/// Polls until an event for `token` arrives, or fails after `PATIENCE`.
#[cfg(not(ferrio_wasi))]
fn wait_for(poll: &mut Poll, events: &mut Events, token: Token) -> io::Result<()> {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(io::Error::new(io::ErrorKind::TimedOut, "no event in time"));
        }
        match poll.poll(events, Some(left)) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
        if events.iter().any(|e| e.token() == token) {
            return Ok(());
        }
    }
}

/// Waits until the connecting `stream` is connected, following the connect protocol:
/// writable, then `take_error`, then `peer_addr` (NotConnected means "not yet").
#[cfg(not(ferrio_wasi))]
fn finish_connect(poll: &mut Poll, events: &mut Events, stream: &mut TcpStream) -> io::Result<()> {
    poll.registry()
        .register(stream, CLIENT, Interest::WRITABLE)?;
    let result = loop {
        if let Err(e) = wait_for(poll, events, CLIENT) {
            break Err(e);
        }
        if let Some(error) = stream.take_error()? {
            break Err(error);
        }
        match stream.peer_addr() {
            Ok(_) => break Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotConnected => continue,
            Err(e) => break Err(e),
        }
    };
    poll.registry().deregister(stream)?;
    result
}

/// Accepts one connection and returns the address the server sees it come from.
#[cfg(not(ferrio_wasi))]
fn accepted_peer(
    poll: &mut Poll,
    events: &mut Events,
    listener: &TcpListener,
) -> io::Result<SocketAddr> {
    loop {
        match listener.accept() {
            Ok((_stream, peer)) => return Ok(peer),
            // Edge-triggered: after WouldBlock the listener reports the next connection.
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => wait_for(poll, events, SERVER)?,
            Err(e) => return Err(e),
        }
    }
}

#[cfg(not(ferrio_wasi))]
fn run() -> io::Result<()> {
    let mut poll = Poll::new()?;
    let mut events = Events::with_capacity(8);
    let mut listener = TcpListener::bind("127.0.0.1:0".parse().unwrap())?;
    poll.registry()
        .register(&mut listener, SERVER, Interest::READABLE)?;
    let server = listener.local_addr()?;
    println!("bind_before_connect: server on {server}");

    // 1. TcpSocket: options first, then bind, then connect.
    let socket = TcpSocket::new_for_addr(server)?;
    socket.set_reuseaddr(true)?;
    socket.set_nodelay(true)?;
    socket.bind("127.0.0.1:0".parse().unwrap())?;
    // Bound, not connected: the local address already exists.
    let chosen = socket.local_addr()?;
    let mut stream = socket.connect(server)?;
    finish_connect(&mut poll, &mut events, &mut stream)?;
    let seen = accepted_peer(&mut poll, &mut events, &listener)?;
    println!("bind_before_connect: TcpSocket bound to {chosen}, server sees {seen}");
    if seen != chosen || stream.local_addr()? != chosen || !stream.nodelay()? {
        return Err(io::Error::new(
            io::ErrorKind::Other,
            "TcpSocket: wrong address",
        ));
    }

    // 2. bind_connect: a local address with port 0, the port chosen while connecting.
    let mut stream = TcpStream::bind_connect("127.0.0.1:0".parse().unwrap(), server)?;
    finish_connect(&mut poll, &mut events, &mut stream)?;
    let local = stream.local_addr()?;
    let seen = accepted_peer(&mut poll, &mut events, &listener)?;
    println!("bind_before_connect: bind_connect got {local}, server sees {seen}");
    if seen != local {
        return Err(io::Error::new(
            io::ErrorKind::Other,
            "bind_connect: wrong address",
        ));
    }
    Ok(())
}

#[cfg(not(ferrio_wasi))]
fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bind_before_connect: {e}");
            ExitCode::FAILURE
        }
    }
}
