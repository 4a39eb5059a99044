//! The operations: each changes the endpoints through ferrio and updates the model.

use std::io;
use std::time::Duration;

#[cfg(unix)]
use ferrio::net::UnixStream;
use ferrio::net::{TcpStream, UdpSocket};
#[cfg(unix)]
use ferrio::unix::pipe;
use ferrio::Token;

use super::ep::{pattern, Io, MAX_DATAGRAMS};
use super::{Model, MAX_ENDPOINTS};

/// The operations and their relative weights.
const OPS: [(&str, usize); 15] = [
    ("connect", 4),
    ("pair", 5),
    ("register", 10),
    ("reregister", 8),
    ("deregister", 4),
    ("drop", 4),
    ("read", 12),
    ("drain", 6),
    ("peek", 4),
    ("write", 12),
    ("fill", 3),
    ("pump", 4),
    ("shutdown", 2),
    ("wake", 3),
    ("poll", 20),
];

pub const OP_NAMES: [&str; OPS.len()] = {
    let mut names = [""; OPS.len()];
    let mut i = 0;
    while i < OPS.len() {
        names[i] = OPS[i].0;
        i += 1;
    }
    names
};

/// Bytes a `fill` writes at most (it stops earlier at `WouldBlock`).
const FILL_LIMIT: usize = 8 << 20;

fn unexpected(what: &str, label: &str, e: &io::Error) -> String {
    format!(
        "{what} on {label} failed unexpectedly: {e} ({:?})",
        e.kind()
    )
}

impl Model {
    /// One random operation (one that cannot apply right now does nothing).
    pub(super) fn step(&mut self) -> Result<(), String> {
        let total: usize = OPS.iter().map(|&(_, w)| w).sum();
        let mut r = self.rng.below(total);
        let mut op = 0;
        while r >= OPS[op].1 {
            r -= OPS[op].1;
            op += 1;
        }
        self.stats.by_op[op] += 1;
        let started = std::time::Instant::now();
        let result = self.run_op(op);
        self.stats.op_time[op] += started.elapsed();
        result?;
        self.refresh();
        Ok(())
    }

    fn run_op(&mut self, op: usize) -> Result<(), String> {
        match OP_NAMES[op] {
            "connect" => self.connect(),
            "pair" => self.pair(),
            "register" => match self.pick(|e| e.reg.is_none()) {
                Some(slot) => self.register(slot),
                None => Ok(()),
            },
            "reregister" => match self.pick(|e| e.reg.is_some()) {
                Some(slot) => self.reregister(slot),
                None => Ok(()),
            },
            "deregister" => match self.pick(|e| e.reg.is_some()) {
                Some(slot) => self.deregister(slot),
                None => Ok(()),
            },
            "drop" => {
                if let Some(slot) = self.pick(|e| !e.io.is_listener()) {
                    self.drop_ep(slot);
                }
                Ok(())
            }
            "read" | "drain" => {
                let drain = OP_NAMES[op] == "drain";
                match self.pick(|e| e.io.has_read_side() && !e.read_done && e.connecting.is_none())
                {
                    Some(slot) => self.read(slot, drain),
                    None => Ok(()),
                }
            }
            "peek" => {
                match self.pick(|e| e.io.can_peek() && !e.read_done && e.connecting.is_none()) {
                    Some(slot) => self.peek(slot),
                    None => Ok(()),
                }
            }
            "write" | "fill" => {
                let fill = OP_NAMES[op] == "fill";
                let slots = &self.slots;
                let ok = |slot: usize| {
                    let e = slots[slot].as_ref().unwrap();
                    let udp_room = match (e.io.is_udp(), e.peer) {
                        (false, _) => true,
                        (true, Some(p)) => slots[p].as_ref().unwrap().inbox < MAX_DATAGRAMS,
                        (true, None) => false,
                    };
                    e.io.has_write_side() && !e.write_done && e.connecting.is_none() && udp_room
                };
                let candidates: Vec<usize> = (0..self.slots.len())
                    .filter(|&s| self.slots[s].is_some() && ok(s))
                    .collect();
                if candidates.is_empty() {
                    return Ok(());
                }
                let slot = candidates[self.rng.below(candidates.len())];
                self.write(slot, fill)
            }
            // Fill a stream or pipe until its write blocks, then drain its peer: the
            // writer is owed a writable event.
            "pump" => {
                let slots = &self.slots;
                let pumpable = |slot: &usize| {
                    let Some(e) = slots[*slot].as_ref() else {
                        return false;
                    };
                    let peer_reads = e.peer.is_some_and(|p| {
                        let p = slots[p].as_ref().unwrap();
                        !p.read_done && !p.chaotic
                    });
                    !e.io.is_udp() && e.io.has_write_side() && !e.write_done && peer_reads
                };
                let candidates: Vec<usize> = (0..slots.len()).filter(pumpable).collect();
                let choice =
                    (!candidates.is_empty()).then(|| candidates[self.rng.below(candidates.len())]);
                match choice {
                    Some(slot) => {
                        self.write(slot, true)?;
                        let peer = self.ep(slot).peer.unwrap();
                        self.refresh();
                        self.read(peer, true)
                    }
                    None => Ok(()),
                }
            }
            "shutdown" => {
                match self.pick(|e| e.io.is_stream() && !e.write_done && e.connecting.is_none()) {
                    Some(slot) => self.shutdown(slot),
                    None => Ok(()),
                }
            }
            "wake" => self.wake(),
            "poll" => self.poll_once(),
            other => unreachable!("operation {other}"),
        }
    }

    fn fresh_token(&mut self) -> Token {
        self.next_token += 1;
        Token(self.next_token)
    }

    /// A new TCP client connecting to the listener (accepted by a later read of the listener).
    fn connect(&mut self) -> Result<(), String> {
        if self.live() + 2 > MAX_ENDPOINTS {
            return Ok(());
        }
        let stream =
            TcpStream::connect(self.listener_addr).map_err(|e| unexpected("connect", "tcp", &e))?;
        tune_tcp(&stream);
        let local = stream
            .local_addr()
            .map_err(|e| unexpected("local_addr", "tcp", &e))?;
        let slot = self.insert(Io::Tcp(stream));
        self.ep_mut(slot).connecting = Some(local);
        let listener = self.listener;
        self.ep_mut(listener).inbox += 1;
        self.note(format!("connect {} from {local}", self.ep(slot).label()));
        if self.rng.chance(50) {
            self.register(slot)?;
        }
        Ok(())
    }

    /// A new pair of connected endpoints: UDP, a Unix stream pair or a pipe.
    fn pair(&mut self) -> Result<(), String> {
        if self.live() + 2 > MAX_ENDPOINTS {
            return Ok(());
        }
        let kinds = if cfg!(unix) { 3 } else { 1 };
        let (a, b) = match self.rng.below(kinds) {
            0 => {
                let bind = |_| UdpSocket::bind("127.0.0.1:0".parse().unwrap());
                let (x, y) = (bind(0), bind(1));
                let (x, y) = (x.map_err(|e| unexpected("bind", "udp", &e))?, y.unwrap());
                let (xa, ya) = (x.local_addr().unwrap(), y.local_addr().unwrap());
                (Io::Udp(x, ya), Io::Udp(y, xa))
            }
            #[cfg(unix)]
            1 => {
                let (x, y) = UnixStream::pair().map_err(|e| unexpected("pair", "unix", &e))?;
                for s in [&x, &y] {
                    let s = socket2::SockRef::from(s);
                    let _ = s.set_send_buffer_size(8192);
                    let _ = s.set_recv_buffer_size(8192);
                }
                (Io::Unix(x), Io::Unix(y))
            }
            #[cfg(unix)]
            _ => {
                let (tx, rx) = pipe::new().map_err(|e| unexpected("new", "pipe", &e))?;
                (Io::PipeTx(tx), Io::PipeRx(rx))
            }
            #[cfg(not(unix))]
            _ => unreachable!(),
        };
        let (a, b) = (self.insert(a), self.insert(b));
        self.ep_mut(a).peer = Some(b);
        self.ep_mut(b).peer = Some(a);
        self.note(format!(
            "pair {} <-> {}",
            self.ep(a).label(),
            self.ep(b).label()
        ));
        Ok(())
    }

    pub(super) fn register(&mut self, slot: usize) -> Result<(), String> {
        let token = self.fresh_token();
        let interest = self.rng.interest();
        let registry = self.poll.registry();
        let ep = self.slots[slot].as_mut().unwrap();
        let label = ep.label();
        registry
            .register(ep.io.source(), token, interest)
            .map_err(|e| unexpected("register", &label, &e))?;
        ep.registered(token, interest);
        self.tokens.insert(token, slot);
        self.note(format!("register {label} {token:?} {interest:?}"));
        Ok(())
    }

    fn reregister(&mut self, slot: usize) -> Result<(), String> {
        let (old, _) = self.ep(slot).reg.unwrap();
        let token = if self.rng.chance(50) {
            self.fresh_token()
        } else {
            old
        };
        let interest = self.rng.interest();
        let registry = self.poll.registry();
        let ep = self.slots[slot].as_mut().unwrap();
        let label = ep.label();
        registry
            .reregister(ep.io.source(), token, interest)
            .map_err(|e| unexpected("reregister", &label, &e))?;
        ep.registered(token, interest);
        self.tokens.remove(&old);
        self.tokens.insert(token, slot);
        self.note(format!(
            "reregister {label} {old:?} -> {token:?} {interest:?}"
        ));
        Ok(())
    }

    pub(super) fn deregister(&mut self, slot: usize) -> Result<(), String> {
        let registry = self.poll.registry();
        let ep = self.slots[slot].as_mut().unwrap();
        let label = ep.label();
        registry
            .deregister(ep.io.source())
            .map_err(|e| unexpected("deregister", &label, &e))?;
        let (token, _) = ep.reg.take().unwrap();
        ep.rd_armed = false;
        ep.wr_armed = false;
        ep.exp_rd = None;
        ep.exp_wr = None;
        self.tokens.remove(&token);
        self.note(format!("deregister {label} {token:?}"));
        Ok(())
    }

    /// Drops the endpoint (registered or not) and tells its peer.
    pub(super) fn drop_ep(&mut self, slot: usize) {
        let ep = self.slots[slot].take().unwrap();
        if let Some((token, _)) = ep.reg {
            self.tokens.remove(&token);
        }
        self.note(format!("drop {} (reg {:?})", ep.label(), ep.reg));
        if let Some(peer) = ep.peer {
            let p = self.ep_mut(peer);
            p.peer = None;
            p.peer_gone = true;
            // A stream closed with unread data resets the connection.
            if ep.io.is_stream() && ep.inbox > 0 {
                p.chaotic = true;
            }
        }
        // A client dropped before it was accepted: the listener accepts a dead connection.
        drop(ep);
    }

    fn read(&mut self, slot: usize, drain: bool) -> Result<(), String> {
        if self.ep(slot).io.is_listener() {
            return self.accept(drain);
        }
        let size = if self.ep(slot).io.is_udp() {
            1024 // a whole datagram
        } else if drain {
            self.rng.range(4096, 65536) // as for a fill: big chunks
        } else if self.rng.chance(50) {
            self.rng.range(1, 64)
        } else {
            self.rng.range(65, 65536)
        };
        let mut buf = vec![0u8; size];
        let mut total = 0;
        let mut rounds = 0;
        for _ in 0..100_000 {
            let ep = self.slots[slot].as_mut().unwrap();
            let label = ep.label();
            match ep.io.read(&mut buf) {
                Ok(0) if !ep.io.is_udp() => {
                    ep.read_done = true;
                    ep.rd_armed = false;
                    ep.exp_rd = None;
                    let (inbox, eof_in, chaotic) = (ep.inbox, ep.eof_in, ep.chaotic);
                    self.note(format!("read {label}: {total} bytes then end of stream"));
                    if !chaotic && inbox > 0 {
                        return Err(self.failure(format!(
                            "{label}: end of stream with {inbox} bytes written and unread"
                        )));
                    }
                    if !eof_in && !chaotic && !self.ep(slot).peer_gone {
                        return Err(self.failure(format!("{label}: unexpected end of stream")));
                    }
                    return Ok(());
                }
                Ok(n) => {
                    ep.rd_armed = false;
                    ep.exp_rd = None;
                    if let Err(what) = consume(ep, &buf[..n]) {
                        return Err(self.failure(format!("{label}: {what}")));
                    }
                    total += n;
                    if !drain {
                        self.note(format!("read {label}: {n} bytes"));
                        return Ok(());
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    ep.rd_armed = true;
                    ep.rd_blocked = true;
                    ep.exp_rd = None;
                    // A drain reads everything written so far: what is still on its way
                    // (a stream's sender waits for the window to open) gets a few short polls
                    // (which check their events as any poll does) to arrive.
                    let more = ep.inbox > 0 && !ep.chaotic && !ep.io.is_udp();
                    self.note(format!("read {label}: {total} bytes then WouldBlock"));
                    if !drain || !more || rounds == 50 {
                        return Ok(());
                    }
                    rounds += 1;
                    self.refresh();
                    self.poll_once_with(Duration::from_millis(2))?;
                    if self.slots[slot].is_none() {
                        return Ok(());
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    // A reset, or on Windows a datagram's port-unreachable report.
                    let explained = ep.chaotic || (ep.io.is_udp() && ep.peer_gone);
                    ep.read_done = !ep.io.is_udp();
                    ep.rd_armed = false;
                    ep.exp_rd = None;
                    self.note(format!("read {label}: {total} bytes then {e}"));
                    if explained {
                        return Ok(());
                    }
                    let what = unexpected("read", &label, &e);
                    return Err(self.failure(what));
                }
            }
        }
        Ok(())
    }

    /// A peek takes nothing, so data it finds leaves the promises as they are; a peek that
    /// returns `WouldBlock` arms the source as a read would (ferrio routes peeks through the
    /// same re-arming path as reads).
    fn peek(&mut self, slot: usize) -> Result<(), String> {
        let mut buf = vec![0u8; 1024];
        let ep = self.slots[slot].as_mut().unwrap();
        let label = ep.label();
        match ep.io.peek(&mut buf) {
            Ok(n) => {
                // What a peek shows is what the next read returns: check it the same way,
                // on a copy of the model's state.
                let (inbox, rx_pos) = (ep.inbox, ep.rx_pos);
                let checked = if n == 0 {
                    Ok(())
                } else {
                    consume(ep, &buf[..n])
                };
                (ep.inbox, ep.rx_pos) = (inbox, rx_pos);
                self.note(format!("peek {label}: {n} bytes"));
                checked.map_err(|what| self.failure(format!("{label} (peek): {what}")))
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                ep.rd_armed = true;
                ep.rd_blocked = true;
                ep.exp_rd = None;
                self.note(format!("peek {label}: WouldBlock"));
                Ok(())
            }
            Err(e) => {
                let explained = ep.chaotic || (ep.io.is_udp() && ep.peer_gone);
                self.note(format!("peek {label}: {e}"));
                if explained {
                    Ok(())
                } else {
                    Err(self.failure(unexpected("peek", &label, &e)))
                }
            }
        }
    }

    fn accept(&mut self, drain: bool) -> Result<(), String> {
        let listener = self.listener;
        loop {
            let Io::Listener(l) = &self.ep(listener).io else {
                unreachable!()
            };
            match l.accept() {
                Ok((stream, from)) => {
                    tune_tcp(&stream);
                    let ep = self.ep_mut(listener);
                    ep.rd_armed = false;
                    ep.exp_rd = None;
                    if ep.inbox == 0 {
                        return Err(self.failure(format!("accepted {from} never connected")));
                    }
                    ep.inbox -= 1;
                    let server = self.insert(Io::Tcp(stream));
                    let client = self.pick(|e| e.connecting == Some(from));
                    match client {
                        Some(client) => {
                            let c = self.ep_mut(client);
                            c.connecting = None;
                            c.peer = Some(server);
                            self.ep_mut(server).peer = Some(client);
                        }
                        // Its client was dropped before the accept: FIN or reset.
                        None => {
                            let s = self.ep_mut(server);
                            s.peer_gone = true;
                            s.chaotic = true;
                        }
                    }
                    let label = self.ep(server).label();
                    self.note(format!(
                        "accept {label} from {from} (client slot {client:?})"
                    ));
                    if self.rng.chance(50) {
                        self.register(server)?;
                    }
                    if !drain || self.live() >= MAX_ENDPOINTS {
                        return Ok(());
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    let ep = self.ep_mut(listener);
                    ep.rd_armed = true;
                    ep.rd_blocked = true;
                    ep.exp_rd = None;
                    self.note("accept: WouldBlock".into());
                    return Ok(());
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(self.failure(unexpected("accept", "listener", &e))),
            }
        }
    }

    fn write(&mut self, slot: usize, fill: bool) -> Result<(), String> {
        let udp = self.ep(slot).io.is_udp();
        // A fill writes big chunks: thousands of tiny writes add nothing but time.
        let size = match (udp, fill, self.rng.chance(50)) {
            (true, _, _) => self.rng.range(8, 512),
            (false, true, _) => self.rng.range(4096, 65536),
            (false, false, true) => self.rng.range(1, 64),
            (false, false, false) => self.rng.range(65, 32768),
        };
        let mut written = 0;
        let mut buf = vec![0u8; size];
        while written < FILL_LIMIT {
            let peer = self.ep(slot).peer;
            if udp && peer.map_or(true, |p| self.ep(p).inbox >= MAX_DATAGRAMS) {
                return Ok(());
            }
            let ep = self.slots[slot].as_mut().unwrap();
            let label = ep.label();
            if udp {
                buf[..8].copy_from_slice(&ep.tx_pos.to_le_bytes());
            } else {
                let n = buf.len();
                buf.copy_from_slice(pattern(ep.tx_pos, n));
            }
            match ep.io.write(&buf) {
                Ok(n) => {
                    ep.wr_armed = false;
                    ep.exp_wr = None;
                    if udp && n != buf.len() {
                        return Err(self.failure(format!("{label}: datagram cut to {n}")));
                    }
                    ep.tx_pos += if udp { 1 } else { n as u64 };
                    if ep.peer_gone {
                        ep.chaotic = true;
                    }
                    written += n;
                    if let Some(p) = peer {
                        self.ep_mut(p).inbox += if udp { 1 } else { n as u64 };
                    }
                    if !fill {
                        self.note(format!("write {label}: {n} bytes"));
                        return Ok(());
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    ep.wr_armed = true;
                    ep.wr_blocked = true;
                    ep.exp_wr = None;
                    self.note(format!("write {label}: {written} bytes then WouldBlock"));
                    return Ok(());
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    ep.write_done = true;
                    ep.wr_armed = false;
                    ep.exp_wr = None;
                    let explained = ep.peer_gone || ep.chaotic;
                    ep.chaotic |= explained;
                    self.note(format!("write {label}: {written} bytes then {e}"));
                    if explained {
                        return Ok(());
                    }
                    let what = unexpected("write", &label, &e);
                    return Err(self.failure(what));
                }
            }
        }
        self.note(format!(
            "fill {}: stopped after {written} bytes",
            self.ep(slot).label()
        ));
        Ok(())
    }

    fn shutdown(&mut self, slot: usize) -> Result<(), String> {
        let ep = self.slots[slot].as_mut().unwrap();
        let label = ep.label();
        let r = ep.io.shutdown_write();
        ep.write_done = true;
        ep.wr_armed = false;
        ep.exp_wr = None;
        let peer = ep.peer;
        self.note(format!("shutdown(Write) {label}: {r:?}"));
        match (r, peer) {
            (Ok(()), Some(p)) => self.ep_mut(p).eof_in = true,
            (Ok(()), None) => {}
            (Err(_), None) => {}
            (Err(e), Some(_)) => return Err(self.failure(unexpected("shutdown", &label, &e))),
        }
        Ok(())
    }

    fn wake(&mut self) -> Result<(), String> {
        self.waker
            .wake()
            .map_err(|e| unexpected("wake", "waker", &e))?;
        if self.waker_exp.is_none() {
            self.waker_exp = Some(self.promise(4));
        }
        self.note("wake".into());
        Ok(())
    }
}

/// Checks what a read returned against what the peer wrote, and counts it off the inbox.
fn consume(ep: &mut super::ep::Ep, data: &[u8]) -> Result<(), String> {
    if ep.io.is_udp() {
        if data.len() < 8 {
            return Err(format!("datagram of {} bytes", data.len()));
        }
        let seq = u64::from_le_bytes(data[..8].try_into().unwrap());
        if seq != ep.rx_pos || ep.inbox == 0 {
            return Err(format!(
                "datagram {seq} received, expected {} ({} in flight)",
                ep.rx_pos, ep.inbox
            ));
        }
        ep.rx_pos += 1;
        ep.inbox -= 1;
        return Ok(());
    }
    if data.len() as u64 > ep.inbox {
        return Err(format!(
            "read {} bytes, only {} written and unread",
            data.len(),
            ep.inbox
        ));
    }
    let expected = pattern(ep.rx_pos, data.len());
    if data != expected {
        let i = data.iter().zip(expected).position(|(a, b)| a != b).unwrap();
        return Err(format!(
            "stream byte {} is {}, not {}",
            ep.rx_pos + i as u64,
            data[i],
            expected[i]
        ));
    }
    ep.rx_pos += data.len() as u64;
    ep.inbox -= data.len() as u64;
    Ok(())
}

/// Fixed, smallish buffers, so that `fill` reaches `WouldBlock` soon (but a receive buffer
/// smaller than loopback's 64 KiB segments would stall the sender until its persist timer
/// fires), and no Nagle delay.
fn tune_tcp(stream: &TcpStream) {
    let _ = stream.set_nodelay(true);
    let s = socket2::SockRef::from(stream);
    let _ = s.set_send_buffer_size(16 << 10);
    let _ = s.set_recv_buffer_size(128 << 10);
}
