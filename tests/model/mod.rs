//! Model-based randomized testing of readiness (see `tests/model_readiness.rs` for the
//! properties). `Model` holds ferrio's poller, the endpoints and what the model knows of
//! them; `ops.rs` has the operations, `check.rs` polls and checks the events.
#![allow(dead_code)]

mod check;
pub mod ep;
mod ops;

use std::collections::{HashMap, VecDeque};
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::time::Duration;

use ferrio::net::TcpListener;
use ferrio::{Events, Interest, Poll, Token, Waker};

use ep::{Ep, Io, Pending};

pub const WAKER: Token = Token(0);

/// splitmix64: a small seeded generator (no `rand` dependency).
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }
    pub fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
    pub fn interest(&mut self) -> Interest {
        match self.below(3) {
            0 => Interest::READABLE,
            1 => Interest::WRITABLE,
            _ => Interest::READABLE | Interest::WRITABLE,
        }
    }
}

/// How long a promised event may take: it is overdue once at least `polls` polls *and*
/// `patience` have passed since the promise began.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub polls: u64,
    pub patience: Duration,
    /// A poll's timeout while some event is promised (otherwise polls do not wait).
    pub wait: Duration,
}

/// What a run did, for the test's summary line.
#[derive(Default, Debug, Clone)]
pub struct Stats {
    pub ops: u64,
    pub polls: u64,
    pub events: u64,
    pub promises_kept: u64,
    /// Overdue promises that the kernel's level-triggered poll did not confirm.
    pub withdrawn: u64,
    /// Kept promises by kind (`ep::PROMISES`).
    pub kept_by_kind: [u64; ep::PROMISES.len()],
    /// The most polls and the longest time a kept promise took.
    pub max_polls: u64,
    pub max_wait: Duration,
    pub by_op: [u64; ops::OP_NAMES.len()],
    /// Time spent in each operation.
    pub op_time: [Duration; ops::OP_NAMES.len()],
    pub endpoints: u64,
}

impl Stats {
    pub fn add(&mut self, other: &Stats) {
        self.ops += other.ops;
        self.polls += other.polls;
        self.events += other.events;
        self.promises_kept += other.promises_kept;
        self.withdrawn += other.withdrawn;
        for (a, b) in self.kept_by_kind.iter_mut().zip(other.kept_by_kind.iter()) {
            *a += b;
        }
        self.max_polls = self.max_polls.max(other.max_polls);
        self.max_wait = self.max_wait.max(other.max_wait);
        for (a, b) in self.by_op.iter_mut().zip(other.by_op.iter()) {
            *a += b;
        }
        for (a, b) in self.op_time.iter_mut().zip(other.op_time.iter()) {
            *a += *b;
        }
        self.endpoints += other.endpoints;
    }

    pub fn ops_line(&self) -> String {
        let mut s = String::new();
        for ((name, n), t) in ops::OP_NAMES.iter().zip(&self.by_op).zip(&self.op_time) {
            let _ = write!(s, "{name}={n} ({}ms) ", t.as_millis());
        }
        s.trim_end().to_string()
    }

    pub fn promises_line(&self) -> String {
        let parts: Vec<String> = ep::PROMISES
            .iter()
            .zip(self.kept_by_kind.iter())
            .map(|(name, n)| format!("{name}: {n}"))
            .collect();
        parts.join(", ")
    }
}

pub struct Model {
    pub rng: Rng,
    pub limits: Limits,
    poll: Poll,
    events: Events,
    waker: Waker,
    /// A wake whose event has not arrived yet.
    waker_exp: Option<Pending>,
    slots: Vec<Option<Ep>>,
    /// Live registrations: token to slot. Tokens are never reused, so an event whose token
    /// is not here belongs to a source that was deregistered, re-registered with another
    /// token, or dropped (or to nothing at all).
    tokens: HashMap<Token, usize>,
    next_token: usize,
    next_id: u64,
    listener: usize,
    listener_addr: SocketAddr,
    pub stats: Stats,
    /// The latest operations, printed with a failure.
    log: VecDeque<String>,
    op_index: u64,
}

/// Endpoints at most (the listener included).
const MAX_ENDPOINTS: usize = 14;

impl Model {
    pub fn new(seed: u64, limits: Limits) -> Model {
        let poll = Poll::new().expect("Poll::new");
        let waker = Waker::new(poll.registry(), WAKER).expect("Waker::new");
        let listener = TcpListener::bind("127.0.0.1:0".parse().unwrap()).expect("bind");
        let listener_addr = listener.local_addr().unwrap();
        let mut rng = Rng::new(seed);
        let capacity = [1, 4, 16, 64][rng.below(4)];
        let mut model = Model {
            rng,
            limits,
            poll,
            events: Events::with_capacity(capacity),
            waker,
            waker_exp: None,
            slots: Vec::new(),
            tokens: HashMap::new(),
            next_token: 1,
            next_id: 0,
            listener: 0,
            listener_addr,
            stats: Stats::default(),
            log: VecDeque::new(),
            op_index: 0,
        };
        model.listener = model.insert(Io::Listener(listener));
        model.note(format!("start: events capacity {capacity}"));
        model
    }

    fn insert(&mut self, io: Io) -> usize {
        self.next_id += 1;
        self.stats.endpoints += 1;
        let ep = Ep::new(self.next_id, io);
        match self.slots.iter().position(Option::is_none) {
            Some(i) => {
                self.slots[i] = Some(ep);
                i
            }
            None => {
                self.slots.push(Some(ep));
                self.slots.len() - 1
            }
        }
    }

    fn ep(&self, slot: usize) -> &Ep {
        self.slots[slot].as_ref().expect("live slot")
    }

    fn ep_mut(&mut self, slot: usize) -> &mut Ep {
        self.slots[slot].as_mut().expect("live slot")
    }

    fn live(&self) -> usize {
        self.slots.iter().filter(|s| s.is_some()).count()
    }

    /// A random live slot satisfying `f`.
    fn pick(&mut self, f: impl Fn(&Ep) -> bool) -> Option<usize> {
        let matching: Vec<usize> = (0..self.slots.len())
            .filter(|&i| self.slots[i].as_ref().is_some_and(&f))
            .collect();
        if matching.is_empty() {
            None
        } else {
            Some(matching[self.rng.below(matching.len())])
        }
    }

    fn note(&mut self, line: String) {
        if self.log.len() == 60 {
            self.log.pop_front();
        }
        self.log.push_back(format!("[{:>5}] {line}", self.op_index));
    }

    /// The failure report: what broke, the model's state and the latest operations.
    fn failure(&self, what: String) -> String {
        let mut s = format!("model violation at op {}: {what}\n", self.op_index);
        s.push_str("endpoints:\n");
        for ep in self.slots.iter().flatten() {
            let _ = writeln!(
                s,
                "  {} reg={:?} peer={:?} gone={} inbox={} eof_in={} rd_armed={} wr_armed={} \
                 read_done={} write_done={} chaotic={} connecting={:?} exp_rd={:?} exp_wr={:?}",
                ep.label(),
                ep.reg,
                ep.peer.map(|p| self.ep(p).label()),
                ep.peer_gone,
                ep.inbox,
                ep.eof_in,
                ep.rd_armed,
                ep.wr_armed,
                ep.read_done,
                ep.write_done,
                ep.chaotic,
                ep.connecting,
                ep.exp_rd.map(|p| p.since_poll),
                ep.exp_wr.map(|p| p.since_poll),
            );
        }
        let _ = writeln!(s, "polls so far: {}; latest operations:", self.stats.polls);
        for line in &self.log {
            let _ = writeln!(s, "  {line}");
        }
        s
    }

    /// Runs `ops` random operations, then waits for every promised event, then deregisters
    /// and drops everything and checks that no event follows.
    pub fn run(&mut self, ops: u64) -> Result<(), String> {
        for i in 0..ops {
            self.op_index = i;
            self.step()?;
            self.stats.ops += 1;
        }
        self.op_index = ops;
        self.settle()?;
        self.teardown()
    }

    /// Polls until no promise is open (a broken promise fails in `poll_once`).
    fn settle(&mut self) -> Result<(), String> {
        self.note("settle".into());
        while self.open_promises() {
            self.poll_once()?;
        }
        Ok(())
    }

    /// Deregisters half of the endpoints, drops them all, and polls a few times: no event
    /// may name any of their tokens (the model has forgotten them all).
    fn teardown(&mut self) -> Result<(), String> {
        self.note("teardown".into());
        for slot in 0..self.slots.len() {
            if self.slots[slot].is_some() {
                if self.rng.chance(50) && self.ep(slot).reg.is_some() {
                    self.deregister(slot)?;
                }
                self.drop_ep(slot);
            }
        }
        for _ in 0..3 {
            self.poll_once_with(Duration::from_millis(10))?;
        }
        Ok(())
    }
}
