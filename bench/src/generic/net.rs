//! The network workloads' servers, written once against `super::lib` (`ferrio` or `mio`). The
//! clients are the shared ones of `harness`; only the server thread (the caller) is measured.

use std::io::{self, Read, Write};
use std::sync::{Arc, Barrier};

use super::lib;
use crate::harness::{
    self, timed_out, Params, CHUNK, FLOOD_ACK_EVERY, MSG, PINGPONG_CONNS, TIMEOUT, UDP_WINDOW,
};
use crate::meter::{Sample, ThreadMeter};
use lib::net::{TcpListener, TcpStream, UdpSocket};
use lib::{Events, Interest, Poll, Token};

const LISTENER: Token = Token(usize::MAX - 1);

fn poll_some(poll: &mut Poll, events: &mut Events) -> io::Result<()> {
    loop {
        match poll.poll(events, Some(TIMEOUT)) {
            Ok(()) if events.is_empty() => return Err(timed_out("poll")),
            Ok(()) => return Ok(()),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
}

fn loopback() -> std::net::SocketAddr {
    std::net::SocketAddr::from(([127, 0, 0, 1], 0))
}

fn unexpected(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::Other, what.to_string())
}

/// Accepts `count` connections (setup, not measured) and registers each for reading under
/// tokens 0..count.
fn accept_all(
    poll: &mut Poll,
    listener: &mut TcpListener,
    count: usize,
) -> io::Result<Vec<TcpStream>> {
    let mut events = Events::with_capacity(64);
    poll.registry()
        .register(listener, LISTENER, Interest::READABLE)?;
    let mut conns = Vec::with_capacity(count);
    while conns.len() < count {
        poll_some(poll, &mut events)?;
        loop {
            match listener.accept() {
                Ok((mut s, _)) => {
                    s.set_nodelay(true)?;
                    poll.registry()
                        .register(&mut s, Token(conns.len()), Interest::READABLE)?;
                    conns.push(s);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) => return Err(e),
            }
        }
    }
    poll.registry().deregister(listener)?;
    Ok(conns)
}

/// 64 connections, one 32-byte message in flight on each; the server echoes. One op = one
/// message echoed.
pub fn tcp_pingpong(p: &Params) -> io::Result<Sample> {
    let mut poll = Poll::new()?;
    let mut listener = TcpListener::bind(loopback())?;
    let go = Arc::new(Barrier::new(2));
    let client =
        harness::tcp_pingpong_client(listener.local_addr()?, PINGPONG_CONNS, Arc::clone(&go));
    let mut conns = accept_all(&mut poll, &mut listener, PINGPONG_CONNS)?;
    let mut events = Events::with_capacity(256);
    let mut buf = [0u8; 4096];
    let target = p.ops * MSG as u64;
    let mut echoed = 0u64;
    let mut meter = ThreadMeter::new()?;
    go.wait();
    meter.start();
    while echoed < target {
        poll_some(&mut poll, &mut events)?;
        for event in events.iter() {
            let conn = &mut conns[event.token().0];
            loop {
                match conn.read(&mut buf) {
                    Ok(0) => return Err(unexpected("client closed")),
                    Ok(n) => {
                        if conn.write(&buf[..n])? != n {
                            return Err(unexpected("short write"));
                        }
                        echoed += n as u64;
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                    Err(e) => return Err(e),
                }
            }
        }
    }
    let stats = meter.stop();
    client.finish()?;
    Ok(Sample::new(echoed / MSG as u64, stats))
}

/// One connection; the client writes as fast as the server reads. One op = 64 KiB read.
/// Server and client are pinned to different CPUs, so every round copies across cores.
pub fn tcp_stream(p: &Params) -> io::Result<Sample> {
    let _pinned = harness::Pinned::to_cpu(0);
    let mut poll = Poll::new()?;
    let mut listener = TcpListener::bind(loopback())?;
    let go = Arc::new(Barrier::new(2));
    let client = harness::tcp_stream_client(listener.local_addr()?, p.ops, Arc::clone(&go));
    let mut conns = accept_all(&mut poll, &mut listener, 1)?;
    let conn = &mut conns[0];
    let mut events = Events::with_capacity(64);
    let mut buf = vec![0u8; CHUNK];
    let target = p.ops * CHUNK as u64;
    let mut received = 0u64;
    let mut meter = ThreadMeter::new()?;
    go.wait();
    meter.start();
    while received < target {
        poll_some(&mut poll, &mut events)?;
        loop {
            match conn.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => received += n as u64,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) => return Err(e),
            }
        }
    }
    let stats = meter.stop();
    client.finish()?;
    Ok(Sample::new(received / CHUNK as u64, stats))
}

/// Connections slots kept ready before the window, so the server never allocates in it.
const CHURN_SLOTS: usize = 1024;

/// A client connects, sends 32 bytes, gets 32 back, closes; again. The server accepts,
/// registers, reads, writes, deregisters and closes. One op = one connection served.
pub fn tcp_churn(p: &Params) -> io::Result<Sample> {
    let mut poll = Poll::new()?;
    let mut listener = TcpListener::bind(loopback())?;
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)?;
    let go = Arc::new(Barrier::new(2));
    let client = harness::tcp_churn_client(listener.local_addr()?, Arc::clone(&go));
    let mut slots: Vec<Option<(TcpStream, usize)>> = Vec::with_capacity(CHURN_SLOTS);
    let mut free: Vec<usize> = Vec::with_capacity(CHURN_SLOTS);
    let mut events = Events::with_capacity(256);
    let mut buf = [0u8; MSG];
    let mut served = 0u64;
    let mut meter = ThreadMeter::new()?;
    go.wait();
    meter.start();
    while served < p.ops {
        poll_some(&mut poll, &mut events)?;
        for event in events.iter() {
            if event.token() == LISTENER {
                loop {
                    match listener.accept() {
                        Ok((mut s, _)) => {
                            let idx = free.pop().unwrap_or(slots.len());
                            poll.registry()
                                .register(&mut s, Token(idx), Interest::READABLE)?;
                            if idx == slots.len() {
                                slots.push(Some((s, 0)));
                            } else {
                                slots[idx] = Some((s, 0));
                            }
                        }
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                        Err(e) => return Err(e),
                    }
                }
                continue;
            }
            let idx = event.token().0;
            let Some((conn, got)) = slots[idx].as_mut() else {
                continue;
            };
            let done = loop {
                match conn.read(&mut buf[*got..]) {
                    Ok(0) => break true,
                    Ok(n) => {
                        *got += n;
                        if *got == MSG {
                            conn.write_all(&buf)?;
                            served += 1;
                            break true;
                        }
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break false,
                    Err(e) => return Err(e),
                }
            };
            if done {
                if let Some((mut conn, _)) = slots[idx].take() {
                    poll.registry().deregister(&mut conn)?;
                }
                free.push(idx);
            }
        }
    }
    let stats = meter.stop();
    client.finish()?;
    Ok(Sample::new(served, stats))
}

const UDP_SERVER: Token = Token(0);

/// `UDP_WINDOW` datagrams in flight; the server echoes each. One op = one datagram echoed.
pub fn udp_pingpong(p: &Params) -> io::Result<Sample> {
    let mut poll = Poll::new()?;
    let mut socket = UdpSocket::bind(loopback())?;
    poll.registry()
        .register(&mut socket, UDP_SERVER, Interest::READABLE)?;
    let go = Arc::new(Barrier::new(2));
    let client = harness::udp_pingpong_client(socket.local_addr()?, UDP_WINDOW, Arc::clone(&go))?;
    let mut events = Events::with_capacity(64);
    let mut buf = [0u8; 2048];
    let mut echoed = 0u64;
    let mut meter = ThreadMeter::new()?;
    go.wait();
    meter.start();
    while echoed < p.ops {
        poll_some(&mut poll, &mut events)?;
        loop {
            match socket.recv_from(&mut buf) {
                Ok((n, from)) => {
                    match socket.send_to(&buf[..n], from) {
                        Ok(_) => {}
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                        Err(e) => return Err(e),
                    }
                    echoed += 1;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) => return Err(e),
            }
        }
    }
    let stats = meter.stop();
    client.finish()?;
    Ok(Sample::new(echoed, stats))
}

/// The client sends datagrams as fast as the server's acknowledgements (one per 32) allow.
/// One op = one datagram received.
pub fn udp_flood(p: &Params) -> io::Result<Sample> {
    let mut poll = Poll::new()?;
    let mut socket = UdpSocket::bind(loopback())?;
    poll.registry()
        .register(&mut socket, UDP_SERVER, Interest::READABLE)?;
    let go = Arc::new(Barrier::new(2));
    let client = harness::udp_flood_client(socket.local_addr()?, Arc::clone(&go))?;
    let mut events = Events::with_capacity(64);
    let mut buf = [0u8; 2048];
    let mut received = 0u64;
    let mut meter = ThreadMeter::new()?;
    go.wait();
    meter.start();
    while received < p.ops {
        poll_some(&mut poll, &mut events)?;
        loop {
            match socket.recv_from(&mut buf) {
                Ok((_, from)) => {
                    received += 1;
                    if received % FLOOD_ACK_EVERY == 0 {
                        match socket.send_to(&received.to_ne_bytes(), from) {
                            Ok(_) => {}
                            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                            Err(e) => return Err(e),
                        }
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) => return Err(e),
            }
        }
    }
    let stats = meter.stop();
    client.finish()?;
    Ok(Sample::new(received, stats))
}
