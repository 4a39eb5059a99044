//! Model-based randomized testing of edge-triggered readiness.
//!
//! Random sequences of connect/accept, register, reregister (same or new token, any
//! interest), deregister, drop, read, drain (read until `WouldBlock`), peek, write, fill
//! (write until `WouldBlock`), pump (fill, then drain the peer), shutdown, wake and poll run
//! over TCP, UDP, Unix stream pairs and pipes (the last two on Unix only), at most 14
//! endpoints at a time, with a small `Events` capacity (1 to 64, chosen by the seed). A
//! model of every endpoint
//! (what was written to it and not read, whether its peer is gone, whether its last read or
//! write met `WouldBlock`) checks, after every poll:
//!
//! 1. **No event for a token that has no registration now**: tokens are never reused, so an
//!    event for a deregistered, re-registered or dropped source, or a stale token from a
//!    descriptor number used again, fails.
//! 2. **No readiness that was not asked for**: an event of a source registered for READABLE
//!    only is never writable, and the other way round, unless it carries an error or
//!    closed flag (those ride along with any registration, and an abort on Windows reports
//!    both directions).
//! 3. **Every promised event arrives**: when a registered source is armed in a direction (by
//!    registration, re-registration, or an operation that returned `WouldBlock`) and the
//!    model knows it is ready that way (data, a connection or end-of-stream sent to it; its
//!    peer has read everything it wrote; its peer went away), an event for that direction
//!    (or an error/closed flag) must come within `FERRIO_MODEL_POLLS` polls (default 8) *and*
//!    `FERRIO_MODEL_PATIENCE_MS` (default 2 s; 5 s on Windows), polls waiting 20 ms while a
//!    promise is open. A Waker's wake is owed a readable event the same way. On Unix an
//!    overdue promise fails only if the kernel's own level-triggered poll(2) of the
//!    descriptor confirms the readiness; one it does not confirm rested on an assumption of
//!    the model and is withdrawn (and counted in the summary line).
//! 4. **Data integrity**: stream bytes arrive in order and unaltered, datagrams in order, no
//!    end-of-stream before everything written was read.
//!
//! Each run ends by waiting for every open promise, then deregistering half of the sources,
//! dropping all and polling: no event may follow.
//!
//! Knobs (environment):
//!
//! - `FERRIO_MODEL_SEED=0x...`: run that one seed (the failure message prints it).
//! - `FERRIO_MODEL_OPS=N`: operations per seed (default 2500).
//! - `FERRIO_MODEL_SEEDS=N`: number of seeds (default 8), derived from a fixed base seed.
//! - `FERRIO_MODEL_SECS=S`: soak mode: new seeds (from the clock) until S seconds have passed.
//!
//! Replay: `FERRIO_MODEL_SEED=0x... FERRIO_MODEL_OPS=N cargo test --test model_readiness`
//! (with `RUSTFLAGS="--cfg ferrio_force_poll"` for the poll(2) backend). The operation
//! sequence follows the seed, but it also depends on what the system did (a read that found
//! data or `WouldBlock`), so a replay retraces the run only as far as the system behaves the
//! same.
#![cfg(all(feature = "net", feature = "os-ext"))]
// Not under Miri: it has no UDP or AF_UNIX sockets, no poll(2) (the overdue-promise check),
// and not the TCP buffer-size options the model sets.
#![cfg(not(miri))]
// The model drives a Waker and socket2, neither of which WASI has.
#![cfg(not(target_os = "wasi"))]

mod model;

use std::time::{Duration, Instant};

use model::{Limits, Model, Stats};

fn env_u64(name: &str) -> Option<u64> {
    let v = std::env::var(name).ok()?;
    let v = v.trim();
    let parsed = match v.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => v.parse(),
    };
    Some(parsed.unwrap_or_else(|_| panic!("{name}={v} is not a number")))
}

fn limits() -> Limits {
    let default_patience = if cfg!(windows) { 5000 } else { 2000 };
    Limits {
        polls: env_u64("FERRIO_MODEL_POLLS").unwrap_or(8),
        patience: Duration::from_millis(
            env_u64("FERRIO_MODEL_PATIENCE_MS").unwrap_or(default_patience),
        ),
        wait: Duration::from_millis(20),
    }
}

fn backend() -> &'static str {
    if cfg!(windows) {
        "windows"
    } else if cfg!(ferrio_poll) {
        "poll(2)"
    } else if cfg!(ferrio_kqueue) {
        "kqueue"
    } else if cfg!(ferrio_ports) {
        "event ports"
    } else {
        "epoll"
    }
}

fn replay_command(seed: u64, ops: u64) -> String {
    let flags = if cfg!(ferrio_force_poll) {
        "RUSTFLAGS=\"--cfg ferrio_force_poll\" "
    } else {
        ""
    };
    let mut cmd = format!(
        "FERRIO_MODEL_SEED={seed:#x} FERRIO_MODEL_OPS={ops} {flags}cargo test --test \
         model_readiness"
    );
    if cfg!(windows) {
        cmd.push_str(" (Windows: the same variables, test binary under Wine)");
    }
    cmd
}

/// One seed's run; panics with the seed and the replay command on a violation.
fn run_seed(seed: u64, ops: u64, limits: Limits) -> Stats {
    let mut model = Model::new(seed, limits);
    if let Err(report) = model.run(ops) {
        panic!(
            "{report}\nbackend {}, seed {seed:#x}, {ops} operations\nreplay: {}",
            backend(),
            replay_command(seed, ops)
        );
    }
    model.stats
}

/// splitmix64 of `x`: spreads the seeds of one run apart.
fn mix(x: u64) -> u64 {
    model::Rng::new(x).next()
}

#[test]
fn random_operations_keep_the_readiness_contract() {
    let limits = limits();
    let ops = env_u64("FERRIO_MODEL_OPS").unwrap_or(2500);
    let start = Instant::now();
    let mut total = Stats::default();
    let mut seeds = Vec::new();
    if let Some(seed) = env_u64("FERRIO_MODEL_SEED") {
        total.add(&run_seed(seed, ops, limits));
        seeds.push(seed);
    } else if let Some(secs) = env_u64("FERRIO_MODEL_SECS") {
        let base = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos() as u64;
        let mut i = 0;
        while start.elapsed() < Duration::from_secs(secs) {
            let seed = mix(base.wrapping_add(i));
            println!("seed {seed:#x}");
            total.add(&run_seed(seed, ops, limits));
            seeds.push(seed);
            i += 1;
        }
    } else {
        let n = env_u64("FERRIO_MODEL_SEEDS").unwrap_or(8);
        for i in 0..n {
            let seed = mix(0x00fe_4410 + i);
            total.add(&run_seed(seed, ops, limits));
            seeds.push(seed);
        }
    }
    println!(
        "model ({}): {} seeds, {} operations, {} polls, {} events, {} endpoints, {} promised \
         events kept (slowest: {} polls, {:?}) in {:?}",
        backend(),
        seeds.len(),
        total.ops,
        total.polls,
        total.events,
        total.endpoints,
        total.promises_kept,
        total.max_polls,
        total.max_wait,
        start.elapsed()
    );
    println!("operations: {}", total.ops_line());
    println!(
        "promised events kept: {}; withdrawn (the kernel's poll(2) did not confirm the \
         readiness): {}",
        total.promises_line(),
        total.withdrawn
    );
    if seeds.len() <= 8 {
        let list: Vec<String> = seeds.iter().map(|s| format!("{s:#x}")).collect();
        println!("seeds: {}", list.join(" "));
    }
}
