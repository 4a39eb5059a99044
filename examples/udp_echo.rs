//! A UDP echo server and a client, both driven by one `Poll` on one thread.
//!
//! ```text
//! cargo run --example udp_echo                    # self-test, exits by itself
//! cargo run --example udp_echo -- 127.0.0.1:7000  # serve until stopped with Ctrl-C
//! ```
//!
//! Without an argument the program binds the server to a free port of 127.0.0.1, and a client
//! socket, connected to the server, sends 100 datagrams one at a time (an empty one among
//! them: it is a real datagram and comes back as one), waiting for each to come back before
//! sending the next. It exits when all have come back, with a failure status if that takes
//! more than 10 seconds. With an address it only serves, until the process is interrupted; try
//! it with `nc -u 127.0.0.1 7000`.
//!
//! What it shows:
//!
//! - receiving until `WouldBlock`: one event can stand for many datagrams, and each receive
//!   returns exactly one, however large the buffer;
//! - a send that says `WouldBlock` keeps the datagram in a queue, and the server stops
//!   receiving until a writable event lets it send again (the socket is registered for both
//!   directions once);
//! - UDP loses datagrams by design: the client sends again when an answer is late, and knows
//!   a late duplicate answer when it sees one.

// WASI preview 1 cannot create sockets (the runtime hands them in): there the example only
// says so.
#[cfg(ferrio_wasi)]
fn main() {
    println!("udp_echo: WASI preview 1 cannot create sockets");
}

#[cfg(not(ferrio_wasi))]
use std::collections::VecDeque;
#[cfg(not(ferrio_wasi))]
use std::io;
#[cfg(not(ferrio_wasi))]
use std::net::SocketAddr;
#[cfg(not(ferrio_wasi))]
use std::process::ExitCode;
#[cfg(not(ferrio_wasi))]
use std::time::{Duration, Instant};

#[cfg(not(ferrio_wasi))]
use ferrio::net::UdpSocket;
#[cfg(not(ferrio_wasi))]
use ferrio::{Events, Interest, Poll, Token};

#[cfg(not(ferrio_wasi))]
const SERVER: Token = Token(0);
#[cfg(not(ferrio_wasi))]
const CLIENT: Token = Token(1);
/// The largest datagram this program handles (the largest UDP payload over IPv4).
#[cfg(not(ferrio_wasi))]
const MAX_DATAGRAM: usize = 65_507;
/// Self-test: datagrams to echo, how long an answer may take, and the overall limit.
#[cfg(not(ferrio_wasi))]
const MESSAGES: usize = 100;
#[cfg(not(ferrio_wasi))]
const RESEND_AFTER: Duration = Duration::from_millis(500);
#[cfg(not(ferrio_wasi))]
const DEADLINE: Duration = Duration::from_secs(10);

/// The echo server: a socket, and the answers it could not send yet.
#[cfg(not(ferrio_wasi))]
struct Server {
    socket: UdpSocket,
    unsent: VecDeque<(Vec<u8>, SocketAddr)>,
    echoed: usize,
}

#[cfg(not(ferrio_wasi))]
impl Server {
    /// Sends what is queued, then receives and answers until the socket says `WouldBlock`.
    fn serve(&mut self, buf: &mut [u8]) -> io::Result<()> {
        loop {
            while let Some((datagram, to)) = self.unsent.front() {
                match self.socket.send_to(datagram, *to) {
                    Ok(_) => {
                        self.unsent.pop_front();
                        self.echoed += 1;
                    }
                    // Stop receiving too: the queue must not grow without bound. The writable
                    // event that follows brings the server back here.
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => {
                        // This datagram cannot be delivered (for example, no route): drop it
                        // and go on with the others, as UDP would anyway.
                        eprintln!("udp_echo: send to {to}: {e}");
                        self.unsent.pop_front();
                    }
                }
            }
            match self.socket.recv_from(buf) {
                Ok((n, from)) => self.unsent.push_back((buf[..n].to_vec(), from)),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }
}

/// The datagrams the self-test sends: all different, so that a late answer to an earlier one
/// cannot be taken for the answer to the current one.
#[cfg(not(ferrio_wasi))]
fn messages() -> Vec<Vec<u8>> {
    let sizes = [1, 512, 1472, 8192];
    let mut messages = vec![b"hello".to_vec(), Vec::new()];
    messages.extend((2..MESSAGES).map(|i| vec![i as u8; sizes[i % sizes.len()]]));
    messages
}

#[cfg(not(ferrio_wasi))]
fn self_test() -> io::Result<bool> {
    let mut poll = Poll::new()?;
    let mut events = Events::with_capacity(64);
    let mut buf = vec![0; MAX_DATAGRAM];

    let mut server = Server {
        socket: UdpSocket::bind("127.0.0.1:0".parse().unwrap())?,
        unsent: VecDeque::new(),
        echoed: 0,
    };
    poll.registry().register(
        &mut server.socket,
        SERVER,
        Interest::READABLE | Interest::WRITABLE,
    )?;
    let server_addr = server.socket.local_addr()?;

    // The client talks to the server only: `connect` makes `send` and `recv` available and
    // filters out datagrams from anyone else.
    let mut client = UdpSocket::bind("127.0.0.1:0".parse().unwrap())?;
    client.connect(server_addr)?;
    poll.registry()
        .register(&mut client, CLIENT, Interest::READABLE)?;
    println!("udp_echo: self-test, server on {server_addr}, {MESSAGES} datagrams");

    let messages = messages();
    let start = Instant::now();
    let mut current = 0;
    let mut resent = 0;
    let mut bytes = 0;
    // Send the first datagram.
    let mut sent_at = send(&client, &messages[current])?;

    while current < messages.len() {
        if start.elapsed() > DEADLINE {
            eprintln!("udp_echo: gave up after {DEADLINE:?}, at datagram {current}");
            return Ok(false);
        }
        let wait = RESEND_AFTER.saturating_sub(sent_at.elapsed());
        match poll.poll(&mut events, Some(wait)) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }

        for event in events.iter() {
            match event.token() {
                SERVER => server.serve(&mut buf)?,
                CLIENT => loop {
                    match client.recv(&mut buf) {
                        Ok(n) if buf[..n] == messages[current][..] => {
                            bytes += n;
                            current += 1;
                            if current == messages.len() {
                                break;
                            }
                            sent_at = send(&client, &messages[current])?;
                        }
                        // A late answer to a datagram that was sent twice.
                        Ok(_) => {}
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(e) => return Err(e),
                    }
                },
                _ => unreachable!("no other token was registered"),
            }
        }

        if current < messages.len() && sent_at.elapsed() >= RESEND_AFTER {
            sent_at = send(&client, &messages[current])?;
            resent += 1;
        }
    }
    println!(
        "udp_echo: {} datagrams ({bytes} bytes) came back in {:.0?}; {resent} sent again; \
         the server answered {}",
        messages.len(),
        start.elapsed(),
        server.echoed
    );
    Ok(true)
}

/// Sends one datagram from the client. A send that would block counts as lost: the resend
/// timer covers it, as it covers a datagram lost on the way.
#[cfg(not(ferrio_wasi))]
fn send(client: &UdpSocket, datagram: &[u8]) -> io::Result<Instant> {
    match client.send(datagram) {
        Ok(_) => {}
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
        Err(e) => return Err(e),
    }
    Ok(Instant::now())
}

/// Serves on `addr` until the process is interrupted.
#[cfg(not(ferrio_wasi))]
fn serve_forever(addr: SocketAddr) -> io::Result<bool> {
    let mut poll = Poll::new()?;
    let mut events = Events::with_capacity(64);
    let mut buf = vec![0; MAX_DATAGRAM];
    let mut server = Server {
        socket: UdpSocket::bind(addr)?,
        unsent: VecDeque::new(),
        echoed: 0,
    };
    poll.registry().register(
        &mut server.socket,
        SERVER,
        Interest::READABLE | Interest::WRITABLE,
    )?;
    println!("udp_echo: serving on {addr}; stop with Ctrl-C");
    loop {
        match poll.poll(&mut events, None) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
        if !events.is_empty() {
            server.serve(&mut buf)?;
        }
    }
}

#[cfg(not(ferrio_wasi))]
fn main() -> ExitCode {
    let result = match std::env::args().nth(1) {
        None => self_test(),
        Some(arg) => match arg.parse::<SocketAddr>() {
            Ok(addr) => serve_forever(addr),
            Err(_) => {
                eprintln!("usage: udp_echo [ADDRESS:PORT]   (no argument: self-test)");
                return ExitCode::from(2);
            }
        },
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("udp_echo: {e}");
            ExitCode::FAILURE
        }
    }
}
