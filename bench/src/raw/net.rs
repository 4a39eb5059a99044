//! The network workloads' servers on a hand-written epoll loop: the same algorithm as the
//! generic servers (drain every ready socket until EAGAIN), with std sockets for the I/O calls
//! (one system call each) and `accept4(SOCK_NONBLOCK | SOCK_CLOEXEC)` for accepting.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::os::fd::{AsRawFd, FromRawFd, RawFd};
use std::sync::{Arc, Barrier};

use crate::harness::{
    self, Epoll, Params, CHUNK, ET_READ, FLOOD_ACK_EVERY, MSG, PINGPONG_CONNS, UDP_WINDOW,
};
use crate::meter::{Sample, ThreadMeter};

const LISTENER: u64 = u64::MAX - 1;

fn unexpected(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::Other, what.to_string())
}

fn listener() -> io::Result<TcpListener> {
    let l = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))?;
    l.set_nonblocking(true)?;
    Ok(l)
}

/// One non-blocking accept, the way mio does it.
fn accept(listener: RawFd) -> io::Result<TcpStream> {
    // SAFETY: null address pointers are allowed (the peer address is not wanted).
    let fd = unsafe {
        libc::accept4(
            listener,
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
        )
    };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: a new fd owned by nobody else.
    Ok(unsafe { TcpStream::from_raw_fd(fd) })
}

fn accept_all(ep: &mut Epoll, listener: &TcpListener, count: usize) -> io::Result<Vec<TcpStream>> {
    ep.add(listener.as_raw_fd(), ET_READ, LISTENER)?;
    let mut conns = Vec::with_capacity(count);
    while conns.len() < count {
        ep.wait_some()?;
        loop {
            match accept(listener.as_raw_fd()) {
                Ok(s) => {
                    s.set_nodelay(true)?;
                    ep.add(s.as_raw_fd(), ET_READ, conns.len() as u64)?;
                    conns.push(s);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) => return Err(e),
            }
        }
    }
    ep.delete(listener.as_raw_fd())?;
    Ok(conns)
}

pub fn tcp_pingpong(p: &Params) -> io::Result<Sample> {
    let mut ep = Epoll::new(256)?;
    let listener = listener()?;
    let go = Arc::new(Barrier::new(2));
    let client =
        harness::tcp_pingpong_client(listener.local_addr()?, PINGPONG_CONNS, Arc::clone(&go));
    let conns = accept_all(&mut ep, &listener, PINGPONG_CONNS)?;
    let mut buf = [0u8; 4096];
    let target = p.ops * MSG as u64;
    let mut echoed = 0u64;
    let mut meter = ThreadMeter::new()?;
    go.wait();
    meter.start();
    while echoed < target {
        for event in ep.wait_some()? {
            let mut conn = &conns[event.u64 as usize];
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

pub fn tcp_stream(p: &Params) -> io::Result<Sample> {
    let _pinned = harness::Pinned::to_cpu(0);
    let mut ep = Epoll::new(64)?;
    let listener = listener()?;
    let go = Arc::new(Barrier::new(2));
    let client = harness::tcp_stream_client(listener.local_addr()?, p.ops, Arc::clone(&go));
    let conns = accept_all(&mut ep, &listener, 1)?;
    let mut conn = &conns[0];
    let mut buf = vec![0u8; CHUNK];
    let target = p.ops * CHUNK as u64;
    let mut received = 0u64;
    let mut meter = ThreadMeter::new()?;
    go.wait();
    meter.start();
    while received < target {
        ep.wait_some()?;
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

const CHURN_SLOTS: usize = 1024;

pub fn tcp_churn(p: &Params) -> io::Result<Sample> {
    let mut ep = Epoll::new(256)?;
    let listener = listener()?;
    ep.add(listener.as_raw_fd(), ET_READ, LISTENER)?;
    let go = Arc::new(Barrier::new(2));
    let client = harness::tcp_churn_client(listener.local_addr()?, Arc::clone(&go));
    let mut slots: Vec<Option<(TcpStream, usize)>> = Vec::with_capacity(CHURN_SLOTS);
    let mut free: Vec<usize> = Vec::with_capacity(CHURN_SLOTS);
    let mut ready: Vec<u64> = Vec::with_capacity(256);
    let mut buf = [0u8; MSG];
    let mut served = 0u64;
    let mut meter = ThreadMeter::new()?;
    go.wait();
    meter.start();
    while served < p.ops {
        ready.clear();
        ready.extend(ep.wait_some()?.iter().map(|e| e.u64));
        for &token in &ready {
            if token == LISTENER {
                loop {
                    match accept(listener.as_raw_fd()) {
                        Ok(s) => {
                            let idx = free.pop().unwrap_or(slots.len());
                            ep.add(s.as_raw_fd(), ET_READ, idx as u64)?;
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
            let idx = token as usize;
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
                if let Some((conn, _)) = slots[idx].take() {
                    ep.delete(conn.as_raw_fd())?;
                }
                free.push(idx);
            }
        }
    }
    let stats = meter.stop();
    client.finish()?;
    Ok(Sample::new(served, stats))
}

fn udp_server(ep: &Epoll) -> io::Result<UdpSocket> {
    let socket = UdpSocket::bind(SocketAddr::from(([127, 0, 0, 1], 0)))?;
    socket.set_nonblocking(true)?;
    ep.add(socket.as_raw_fd(), ET_READ, 0)?;
    Ok(socket)
}

pub fn udp_pingpong(p: &Params) -> io::Result<Sample> {
    let mut ep = Epoll::new(64)?;
    let socket = udp_server(&ep)?;
    let go = Arc::new(Barrier::new(2));
    let client = harness::udp_pingpong_client(socket.local_addr()?, UDP_WINDOW, Arc::clone(&go))?;
    let mut buf = [0u8; 2048];
    let mut echoed = 0u64;
    let mut meter = ThreadMeter::new()?;
    go.wait();
    meter.start();
    while echoed < p.ops {
        ep.wait_some()?;
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

pub fn udp_flood(p: &Params) -> io::Result<Sample> {
    let mut ep = Epoll::new(64)?;
    let socket = udp_server(&ep)?;
    let go = Arc::new(Barrier::new(2));
    let client = harness::udp_flood_client(socket.local_addr()?, Arc::clone(&go))?;
    let mut buf = [0u8; 2048];
    let mut received = 0u64;
    let mut meter = ThreadMeter::new()?;
    go.wait();
    meter.start();
    while received < p.ops {
        ep.wait_some()?;
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
