//! WASI preview 1 with a socket handed in by the runtime, the only way preview 1 has sockets:
//! a listener preopened as fd 3 (wasmtime's `-S tcplisten=ADDR`), and a client on the host.
//! Run it by hand with a runtime that can hand one in, and a host client that connects, sends
//! `ping\n` and expects `pong\n` back (for example wasmtime's legacy preview-1 host:
//! `wasmtime run -S preview2=n -S tcplisten=127.0.0.1:PORT FILE --ignored`). Neither runtime
//! `.ci/wasi` has can (see its header), so the test is ignored by default.
#![cfg(all(ferrio_wasi, feature = "net"))]

use std::io::{self, Read, Write};
use std::net::Shutdown;
use std::os::fd::{FromRawFd, RawFd};
use std::time::{Duration, Instant};

use ferrio::net::{TcpListener, TcpStream};
use ferrio::{Events, Interest, Poll, Token};

const LISTENER: Token = Token(0);
const CLIENT: Token = Token(1);

/// The preopened listener's fd: 3, the first after stdio, unless the runner says otherwise.
fn listener_fd() -> RawFd {
    std::env::var("FERRIO_WASI_LISTEN_FD")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3)
}

#[test]
#[ignore = "needs a preopened listener and a host client (see the file's header)"]
fn a_preopened_listener_accepts_and_answers() {
    // SAFETY: the runtime preopened this fd as a listening socket, and nothing else owns it.
    let std_listener = unsafe { std::net::TcpListener::from_raw_fd(listener_fd()) };
    std_listener.set_nonblocking(true).unwrap();
    let mut listener = TcpListener::from_std(std_listener);
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)
        .unwrap();

    // Preview 1 has no address calls and no socket options: std's `Unsupported`, as in mio.
    assert_eq!(
        listener.local_addr().unwrap_err().kind(),
        io::ErrorKind::Unsupported
    );

    let deadline = Instant::now() + Duration::from_secs(20);
    let mut client: Option<TcpStream> = None;
    let mut got = Vec::new();
    let mut answered = false;
    while !answered {
        let left = deadline
            .checked_duration_since(Instant::now())
            .expect("no ping from the host client within 20 s");
        poll.poll(&mut events, Some(left)).unwrap();
        for event in events.iter() {
            match event.token() {
                LISTENER if client.is_none() => match listener.accept() {
                    Ok((mut stream, _)) => {
                        assert_eq!(
                            stream.set_nodelay(true).unwrap_err().kind(),
                            io::ErrorKind::Unsupported
                        );
                        poll.registry()
                            .register(&mut stream, CLIENT, Interest::READABLE)
                            .unwrap();
                        client = Some(stream);
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                    Err(e) => panic!("accept: {e}"),
                },
                CLIENT => {
                    let stream = client.as_mut().unwrap();
                    let mut buf = [0u8; 64];
                    loop {
                        match stream.read(&mut buf) {
                            Ok(0) => panic!("the client left after {got:?}"),
                            Ok(n) => got.extend_from_slice(&buf[..n]),
                            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                            Err(e) => panic!("read: {e}"),
                        }
                    }
                    if got.ends_with(b"\n") {
                        assert_eq!(got, b"ping\n");
                        // Five bytes fit in any send buffer: one write.
                        assert_eq!(stream.write(b"pong\n").unwrap(), 5);
                        stream.shutdown(Shutdown::Write).unwrap();
                        answered = true;
                    }
                }
                _ => {}
            }
        }
    }
}
