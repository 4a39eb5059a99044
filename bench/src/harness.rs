//! What every variant shares: parameters, a minimal raw epoll wrapper, fd helpers, and the
//! client side of the network workloads. Clients are the same code for every variant (plain
//! std sockets or raw epoll), so differences between variants come from the server side only,
//! and client threads are never measured.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier};
use std::thread::{self, JoinHandle};
use std::time::Duration;

/// How long any single wait of a workload may take before the run is declared broken.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// Parameters of one run.
#[derive(Debug, Clone, Copy)]
pub struct Params {
    /// Operations to perform in the measured window.
    pub ops: u64,
}

/// Threads that wake the same Waker in the many-wakes workload.
pub const WAKING_THREADS: usize = 2;
/// fds cycled through by the registration churn.
pub const CHURN_FDS: usize = 256;
/// Registered sources that never become ready in the idle-sources workload.
pub const IDLE_SOURCES: usize = 10_000;
/// Connections of the TCP ping-pong workload.
pub const PINGPONG_CONNS: usize = 64;
/// Datagrams in flight in the UDP ping-pong workload.
pub const UDP_WINDOW: usize = 16;

pub fn timed_out(what: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::TimedOut,
        format!("no progress within {TIMEOUT:?}: {what}"),
    )
}

/// Converts a libc return value into an io::Result.
pub fn cvt(ret: libc::c_int) -> io::Result<libc::c_int> {
    if ret < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(ret)
    }
}

/// Raises the soft fd limit to the hard limit (the idle-sources workload needs 10,000 fds).
pub fn raise_fd_limit() {
    // SAFETY: `lim` is a live rlimit for getrlimit to fill and setrlimit to read.
    unsafe {
        let mut lim: libc::rlimit = std::mem::zeroed();
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) == 0 && lim.rlim_cur < lim.rlim_max {
            lim.rlim_cur = lim.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
        }
    }
}

/// Pins the calling thread to one CPU until dropped (then the previous affinity comes back).
/// Used where the cost of an operation depends on whether two threads share a core (copying
/// stream data is cheaper from a warm cache), so every round measures the same case.
pub struct Pinned {
    previous: Option<libc::cpu_set_t>,
}

impl Pinned {
    pub fn to_cpu(cpu: usize) -> Pinned {
        // SAFETY: cpu_set_t is plain data; the calls get live pointers of the right size, and
        // CPU_SET is only given an index below the set's capacity.
        unsafe {
            let mut previous: libc::cpu_set_t = std::mem::zeroed();
            let size = std::mem::size_of::<libc::cpu_set_t>();
            if libc::sched_getaffinity(0, size, &mut previous) != 0
                || !libc::CPU_ISSET(cpu, &previous)
            {
                return Pinned { previous: None };
            }
            let mut one: libc::cpu_set_t = std::mem::zeroed();
            libc::CPU_SET(cpu, &mut one);
            if libc::sched_setaffinity(0, size, &one) != 0 {
                return Pinned { previous: None };
            }
            Pinned {
                previous: Some(previous),
            }
        }
    }
}

impl Drop for Pinned {
    fn drop(&mut self) {
        if let Some(previous) = &self.previous {
            // SAFETY: restores a mask the kernel gave us.
            unsafe { libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), previous) };
        }
    }
}

/// `count` non-blocking eventfds.
pub fn eventfds(count: usize) -> io::Result<Vec<OwnedFd>> {
    (0..count)
        .map(|_| {
            // SAFETY: eventfd takes no pointers.
            let fd = cvt(unsafe { libc::eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK) })?;
            // SAFETY: a new fd owned by nobody else.
            Ok(unsafe { OwnedFd::from_raw_fd(fd) })
        })
        .collect()
}

/// Adds 1 to an eventfd's counter (one write).
pub fn eventfd_write(fd: RawFd) -> io::Result<()> {
    let one = 1u64;
    // SAFETY: writes the 8 bytes of a live u64.
    let n = unsafe { libc::write(fd, (&one as *const u64).cast(), 8) };
    if n < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

/// A bare epoll instance, edge-triggered, tokens in `u64`: the floor the libraries are
/// compared with, and the clients' poller.
pub struct Epoll {
    fd: OwnedFd,
    events: Vec<libc::epoll_event>,
}

pub const ET_READ: u32 = (libc::EPOLLET | libc::EPOLLIN | libc::EPOLLRDHUP) as u32;
pub const ET_READ_WRITE: u32 = ET_READ | libc::EPOLLOUT as u32;

impl Epoll {
    pub fn new(capacity: usize) -> io::Result<Epoll> {
        // SAFETY: no pointers.
        let fd = cvt(unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) })?;
        // SAFETY: a new fd owned by nobody else.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        Ok(Epoll {
            fd,
            events: Vec::with_capacity(capacity),
        })
    }

    fn ctl(&self, op: libc::c_int, fd: RawFd, flags: u32, token: u64) -> io::Result<()> {
        let mut ev = libc::epoll_event {
            events: flags,
            u64: token,
        };
        // SAFETY: `ev` is live for the call.
        cvt(unsafe { libc::epoll_ctl(self.fd.as_raw_fd(), op, fd, &mut ev) }).map(drop)
    }

    pub fn add(&self, fd: RawFd, flags: u32, token: u64) -> io::Result<()> {
        self.ctl(libc::EPOLL_CTL_ADD, fd, flags, token)
    }

    pub fn modify(&self, fd: RawFd, flags: u32, token: u64) -> io::Result<()> {
        self.ctl(libc::EPOLL_CTL_MOD, fd, flags, token)
    }

    pub fn delete(&self, fd: RawFd) -> io::Result<()> {
        // SAFETY: EPOLL_CTL_DEL ignores the event pointer.
        cvt(unsafe {
            libc::epoll_ctl(
                self.fd.as_raw_fd(),
                libc::EPOLL_CTL_DEL,
                fd,
                std::ptr::null_mut(),
            )
        })
        .map(drop)
    }

    /// Waits up to `timeout_ms`; returns the tokens ready (as a slice of raw events).
    pub fn wait(&mut self, timeout_ms: libc::c_int) -> io::Result<&[libc::epoll_event]> {
        self.events.clear();
        let cap = self.events.capacity() as libc::c_int;
        // SAFETY: the kernel writes at most `cap` events into the spare capacity.
        let n = unsafe {
            libc::epoll_wait(
                self.fd.as_raw_fd(),
                self.events.as_mut_ptr(),
                cap,
                timeout_ms,
            )
        };
        if n < 0 {
            let e = io::Error::last_os_error();
            return if e.kind() == io::ErrorKind::Interrupted {
                Ok(&[])
            } else {
                Err(e)
            };
        }
        // SAFETY: epoll_wait initialised `n` elements.
        unsafe { self.events.set_len(n as usize) };
        Ok(&self.events)
    }

    /// Waits for at least one event or fails after [`TIMEOUT`].
    pub fn wait_some(&mut self) -> io::Result<&[libc::epoll_event]> {
        let deadline = std::time::Instant::now() + TIMEOUT;
        loop {
            // Re-borrow dance: check emptiness, then return a fresh borrow.
            if !self.wait(TIMEOUT.as_millis() as libc::c_int)?.is_empty() {
                return Ok(&self.events);
            }
            if std::time::Instant::now() > deadline {
                return Err(timed_out("epoll_wait"));
            }
        }
    }
}

/// A client thread plus the flag that stops it.
pub struct Client {
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<io::Result<()>>>,
}

impl Client {
    fn spawn(stop: Arc<AtomicBool>, f: impl FnOnce() -> io::Result<()> + Send + 'static) -> Client {
        Client {
            stop,
            handle: Some(thread::spawn(f)),
        }
    }

    /// Stops the client and waits for it.
    pub fn finish(mut self) -> io::Result<()> {
        self.stop.store(true, Ordering::SeqCst);
        match self.handle.take().map(JoinHandle::join) {
            Some(Ok(result)) => result,
            Some(Err(_)) => Err(io::Error::new(
                io::ErrorKind::Other,
                "client thread panicked",
            )),
            None => Ok(()),
        }
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

fn stopped(stop: &AtomicBool) -> bool {
    stop.load(Ordering::Relaxed)
}

fn would_block_or_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

/// Size of a ping-pong message.
pub const MSG: usize = 32;

/// TCP ping-pong client: `conns` connections, one `MSG`-byte message in flight on each; a
/// message is sent again as soon as its echo is complete. Connects before `go`, starts sending
/// after it.
pub fn tcp_pingpong_client(addr: SocketAddr, conns: usize, go: Arc<Barrier>) -> Client {
    let stop = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&stop);
    Client::spawn(stop, move || {
        let mut ep = Epoll::new(conns)?;
        let mut streams = Vec::with_capacity(conns);
        for i in 0..conns {
            let s = TcpStream::connect(addr)?;
            s.set_nodelay(true)?;
            s.set_nonblocking(true)?;
            ep.add(s.as_raw_fd(), ET_READ, i as u64)?;
            streams.push((s, 0usize));
        }
        go.wait();
        let msg = [7u8; MSG];
        for (s, _) in &streams {
            (&*s).write_all(&msg)?;
        }
        let mut buf = [0u8; 4096];
        while !stopped(&flag) {
            let ready: Vec<usize> = ep.wait(20)?.iter().map(|e| e.u64 as usize).collect();
            for i in ready {
                let (s, got) = &mut streams[i];
                loop {
                    match (&*s).read(&mut buf) {
                        Ok(0) => return Ok(()),
                        Ok(n) => {
                            *got += n;
                            while *got >= MSG {
                                *got -= MSG;
                                if stopped(&flag) {
                                    break;
                                }
                                match (&*s).write(&msg) {
                                    Ok(_) => {}
                                    Err(e) if stopped(&flag) => drop(e),
                                    Err(e) => return Err(e),
                                }
                            }
                        }
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                        Err(_) if stopped(&flag) => return Ok(()),
                        Err(e) => return Err(e),
                    }
                }
            }
        }
        Ok(())
    })
}

/// Size of one streaming chunk (and one operation of the streaming workload).
pub const CHUNK: usize = 64 * 1024;

/// Streaming client: after `go`, writes `chunks` chunks of `CHUNK` bytes as fast as the server
/// reads them, then closes. Runs on CPU 1 (the server pins itself to CPU 0).
pub fn tcp_stream_client(addr: SocketAddr, chunks: u64, go: Arc<Barrier>) -> Client {
    let stop = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&stop);
    Client::spawn(stop, move || {
        let _pinned = Pinned::to_cpu(1);
        let mut s = TcpStream::connect(addr)?;
        s.set_write_timeout(Some(Duration::from_millis(100)))?;
        let chunk = vec![1u8; CHUNK];
        go.wait();
        for _ in 0..chunks {
            let mut off = 0;
            while off < CHUNK {
                match s.write(&chunk[off..]) {
                    Ok(n) => off += n,
                    Err(e) if would_block_or_timeout(&e) && !stopped(&flag) => {}
                    Err(_) if stopped(&flag) => return Ok(()),
                    Err(e) => return Err(e),
                }
            }
        }
        Ok(())
    })
}

/// Connection-churn client: after `go`, connects, sends `MSG` bytes, reads the `MSG`-byte
/// reply, closes; again until stopped.
pub fn tcp_churn_client(addr: SocketAddr, go: Arc<Barrier>) -> Client {
    let stop = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&stop);
    Client::spawn(stop, move || {
        let msg = [3u8; MSG];
        go.wait();
        'conns: while !stopped(&flag) {
            let mut s = match TcpStream::connect(addr) {
                Ok(s) => s,
                Err(_) if stopped(&flag) => break,
                Err(e) => return Err(e),
            };
            s.set_read_timeout(Some(Duration::from_millis(50)))?;
            s.write_all(&msg)?;
            let mut got = 0;
            let mut buf = [0u8; MSG];
            while got < MSG {
                match s.read(&mut buf[got..]) {
                    Ok(0) => continue 'conns,
                    Ok(n) => got += n,
                    Err(e) if would_block_or_timeout(&e) => {
                        if stopped(&flag) {
                            break 'conns;
                        }
                    }
                    Err(e) => return Err(e),
                }
            }
        }
        Ok(())
    })
}

/// UDP ping-pong client: `window` datagrams of `MSG` bytes in flight; each echo sends the next.
/// A datagram lost (no reply for 20 ms) is replaced.
pub fn udp_pingpong_client(
    server: SocketAddr,
    window: usize,
    go: Arc<Barrier>,
) -> io::Result<Client> {
    let stop = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&stop);
    let socket = UdpSocket::bind("127.0.0.1:0")?;
    socket.connect(server)?;
    socket.set_read_timeout(Some(Duration::from_millis(20)))?;
    Ok(Client::spawn(stop, move || {
        let msg = [5u8; MSG];
        let mut buf = [0u8; 2048];
        go.wait();
        for _ in 0..window {
            socket.send(&msg)?;
        }
        while !stopped(&flag) {
            match socket.recv(&mut buf) {
                Ok(_) => {}
                Err(e) if would_block_or_timeout(&e) => {}
                Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => return Ok(()),
                Err(e) => return Err(e),
            }
            if !stopped(&flag) {
                let _ = socket.send(&msg);
            }
        }
        Ok(())
    }))
}

/// Datagrams the flood client keeps unacknowledged.
pub const FLOOD_WINDOW: u64 = 128;
/// The server acknowledges every this many datagrams.
pub const FLOOD_ACK_EVERY: u64 = 32;

/// UDP flood client: sends `MSG`-byte datagrams, never more than `FLOOD_WINDOW` beyond the
/// server's last acknowledged count (an 8-byte total); a silence of 20 ms counts the missing
/// ones as lost.
pub fn udp_flood_client(server: SocketAddr, go: Arc<Barrier>) -> io::Result<Client> {
    let stop = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&stop);
    let socket = UdpSocket::bind("127.0.0.1:0")?;
    socket.connect(server)?;
    socket.set_read_timeout(Some(Duration::from_millis(20)))?;
    Ok(Client::spawn(stop, move || {
        let msg = [9u8; MSG];
        let mut buf = [0u8; 64];
        let (mut sent, mut acked) = (0u64, 0u64);
        go.wait();
        while !stopped(&flag) {
            while sent - acked < FLOOD_WINDOW {
                match socket.send(&msg) {
                    Ok(_) => sent += 1,
                    Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => return Ok(()),
                    Err(e) => return Err(e),
                }
            }
            match socket.recv(&mut buf) {
                Ok(8) => {
                    let total = u64::from_ne_bytes(buf[..8].try_into().unwrap_or([0; 8]));
                    // Anything sent but not counted by the server by now is in flight or lost.
                    acked = acked.max(total.min(sent));
                }
                Ok(_) => {}
                Err(e) if would_block_or_timeout(&e) => acked = sent,
                Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => return Ok(()),
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }))
}
