//! Soak test: thousands of connections held and churned for a while, with the process's
//! descriptor count and resident memory watched for leaks.
//!
//! ```text
//! cargo run --release --example soak -- --secs 20 --conns 1000
//! ```
//!
//! One event loop holds `--conns` loopback TCP connections (both ends in this process, so
//! twice as many sockets), plus UDP sockets, Unix pipes (on Unix) and a Waker that a second
//! thread wakes every 2 ms. Every second it:
//!
//! - closes `--churn` percent of the connections (half of them deregistered first, half just
//!   dropped; a third of them from the accepting side) and opens new ones to make up the
//!   number, and replaces a few UDP sockets and pipes the same way;
//! - sends a 32-byte ping on every connected client, which the accepting side echoes, a
//!   datagram from every UDP socket to another, and a byte down every pipe;
//! - re-registers a tenth of the sockets;
//! - samples the process's descriptor count (`/proc/self/fd`) and resident memory
//!   (`VmRSS` and its anonymous part `RssAnon`, heap and stacks, of `/proc/self/status`),
//!   and prints one line.
//!
//! **Warm-up** is the first quarter of the run, at least 5 s (`--warmup S` sets it). The run
//! fails (exit status 1) if, after warm-up:
//!
//! - the descriptor count at the last sample differs from the one at the last warm-up sample
//!   by 1 % or more;
//! - anonymous resident memory drifts: the highest `RssAnon` sample of the last quarter of
//!   the run (at least 3 samples) is 1 % or more above the highest sample of the warm-up.
//!   (`VmRSS` drift is printed too, not checked: it also counts pages of the program and its
//!   libraries, which grow by a few pages whenever a code path first runs, however late.
//!   The soak makes its own tables and lists up front, so they do not grow either);
//! - a second passes without echoed pings, datagrams or Waker events;
//! - at the end, the established connections fall short of `--conns` by more than one
//!   second's churn, or an I/O operation failed in a way a churned connection does not
//!   explain.
//!
//! The clock starts once all `--conns` connections are open. The two leak checks need
//! Linux's `/proc`; elsewhere (Windows, the BSDs) they are skipped and only the traffic is
//! checked. On Unix the soft `RLIMIT_NOFILE` is raised to the hard limit first.

// WASI has no Waker and no threads (as in mio): there the soak only says so.
#[cfg(ferrio_no_waker)]
fn main() {
    println!("soak: this target has no Waker (WASI runs one thread)");
}

#[cfg(not(ferrio_no_waker))]
mod conns;

#[cfg(not(ferrio_no_waker))]
use std::io;
#[cfg(not(ferrio_no_waker))]
use std::process::ExitCode;
#[cfg(not(ferrio_no_waker))]
use std::sync::atomic::{AtomicBool, Ordering};
#[cfg(not(ferrio_no_waker))]
use std::sync::Arc;
#[cfg(not(ferrio_no_waker))]
use std::thread;
#[cfg(not(ferrio_no_waker))]
use std::time::{Duration, Instant};

#[cfg(not(ferrio_no_waker))]
use ferrio::net::TcpListener;
#[cfg(not(ferrio_no_waker))]
use ferrio::{Events, Interest, Poll, Waker};

#[cfg(not(ferrio_no_waker))]
use conns::{Counts, Entry, Kind, Rng, Soak, LISTENER, WAKER};

#[cfg(not(ferrio_no_waker))]
struct Args {
    secs: u64,
    conns: usize,
    churn_pct: f64,
    warmup: Option<u64>,
}

#[cfg(not(ferrio_no_waker))]
fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        secs: 20,
        conns: 1000,
        churn_pct: 5.0,
        warmup: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().ok_or(format!("{flag} needs a value"))?;
        let bad = || format!("bad value for {flag}: {value}");
        match flag.as_str() {
            "--secs" => args.secs = value.parse().map_err(|_| bad())?,
            "--conns" => args.conns = value.parse().map_err(|_| bad())?,
            "--churn" => args.churn_pct = value.parse().map_err(|_| bad())?,
            "--warmup" => args.warmup = Some(value.parse().map_err(|_| bad())?),
            _ => return Err(format!("unknown flag {flag}")),
        }
    }
    Ok(args)
}

/// One sample of the process's resources: descriptors, and resident memory in KiB (all of
/// it, `VmRSS`, and its anonymous part, `RssAnon`: heap and stacks, where a leak would be).
#[derive(Clone, Copy)]
#[cfg(not(ferrio_no_waker))]
struct Sample {
    fds: Option<usize>,
    rss_kib: Option<u64>,
    anon_kib: Option<u64>,
}

/// Reads `/proc` on Linux; elsewhere there is nothing to sample (under Wine `/proc` is
/// visible, but its figures are Wine's, not the Windows process's).
#[cfg(not(any(target_os = "linux", target_os = "android")))]
#[cfg(not(ferrio_no_waker))]
fn sample() -> Sample {
    Sample {
        fds: None,
        rss_kib: None,
        anon_kib: None,
    }
}

#[cfg(any(target_os = "linux", target_os = "android"))]
#[cfg(not(ferrio_no_waker))]
fn sample() -> Sample {
    let fds = std::fs::read_dir("/proc/self/fd").ok().map(|d| d.count());
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| -> Option<u64> {
        let line = status.lines().find(|l| l.starts_with(name))?;
        line.split_whitespace().nth(1)?.parse().ok()
    };
    Sample {
        fds,
        rss_kib: field("VmRSS:"),
        anon_kib: field("RssAnon:"),
    }
}

// Fuchsia and the PS Vita have no resource limits (libc declares none there).
#[cfg(all(unix, not(any(target_os = "fuchsia", target_os = "vita"))))]
#[cfg(not(ferrio_no_waker))]
fn raise_fd_limit() {
    let mut rl = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit only writes the live `rl` it is given.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut rl) } != 0 || rl.rlim_cur >= rl.rlim_max {
        return;
    }
    let old = rl.rlim_cur;
    rl.rlim_cur = rl.rlim_max;
    // SAFETY: setrlimit only reads the live, initialised `rl`.
    if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &rl) } == 0 {
        println!("RLIMIT_NOFILE raised from {old} to {}", rl.rlim_max);
    }
}

#[cfg(not(ferrio_no_waker))]
fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(e) => {
            eprintln!("soak: {e}\nusage: soak [--secs N] [--conns N] [--churn PCT] [--warmup S]");
            return ExitCode::from(2);
        }
    };
    match run(&args) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("soak: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(not(ferrio_no_waker))]
fn run(args: &Args) -> io::Result<bool> {
    #[cfg(all(unix, not(any(target_os = "fuchsia", target_os = "vita"))))]
    raise_fd_limit();
    let warmup = args.warmup.unwrap_or((args.secs / 4).max(5));
    println!(
        "soak: {} s, {} connections, {} % churn per second, warm-up {} s",
        args.secs, args.conns, args.churn_pct, warmup
    );
    let poll = Poll::new()?;
    let mut listener = TcpListener::bind("127.0.0.1:0".parse().unwrap())?;
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)?;
    let addr = listener.local_addr()?;
    let waker = Arc::new(Waker::new(poll.registry(), WAKER)?);
    let mut soak = Soak {
        poll,
        listener,
        addr,
        slab: Vec::new(),
        free: Vec::new(),
        udp_addrs: Vec::new(),
        counts: Counts::default(),
        rng: Rng(0x9e37_79b9_7f4a_7c15),
        scratch: (
            Vec::with_capacity(args.conns),
            Vec::with_capacity(args.conns),
        ),
    };
    let side = (args.conns / 32).clamp(4, 64);
    // Every slot the run can need, made (and its memory touched) up front: a table that grew
    // to a new high-water mark late in the run would look like a leak.
    let slots = 3 * args.conns + 4 * side + 64;
    soak.slab.resize_with(slots, || None);
    soak.free = (0..slots).rev().collect();
    for _ in 0..side {
        soak.new_udp()?;
        #[cfg(unix)]
        soak.new_pipe()?;
    }
    let stop = Arc::new(AtomicBool::new(false));
    let waker_thread = {
        let (waker, stop) = (Arc::clone(&waker), Arc::clone(&stop));
        thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                waker.wake().expect("wake");
                thread::sleep(Duration::from_millis(2));
            }
        })
    };
    let mut events = Events::with_capacity(1024);
    // Open the connections in batches, letting the loop accept each batch.
    let mut opened = 0;
    while opened < args.conns {
        let batch = (args.conns - opened).min(100);
        for _ in 0..batch {
            soak.connect();
        }
        opened += batch;
        soak.poll_until(Instant::now() + Duration::from_millis(20), &mut events)?;
    }
    let start = Instant::now();
    // The figures the checks need, kept as the run goes: a list of every sample would grow
    // (and its pages would count in the resident memory being watched).
    let mut watch = Watch::new(args.secs, warmup);
    let mut quiet_seconds = 0;
    let mut last = (0, 0, 0);
    for second in 1..=args.secs {
        soak.churn(args.churn_pct);
        let settle = start + Duration::from_secs(second - 1) + Duration::from_millis(100);
        soak.poll_until(settle, &mut events)?;
        soak.tick(args.conns);
        soak.poll_until(start + Duration::from_secs(second), &mut events)?;
        let s = sample();
        let c = &soak.counts;
        let now = (c.echoed, c.datagrams, c.wakes);
        let post_warmup = second > warmup;
        if post_warmup && (now.0 == last.0 || now.1 == last.1 || now.2 == last.2) {
            quiet_seconds += 1;
        }
        last = now;
        let show = |v: Option<u64>| v.map_or("n/a".to_string(), |v| v.to_string());
        println!(
            "t={second:>5}s{} fds={} rss_kib={} anon_kib={} echoed={} datagrams={} pipe_bytes={} \
             wakes={} churned={} accepted={} reregistered={} benign_errors={} errors={}",
            if post_warmup { " " } else { "w" },
            show(s.fds.map(|v| v as u64)),
            show(s.rss_kib),
            show(s.anon_kib),
            c.echoed,
            c.datagrams,
            c.pipe_bytes,
            c.wakes,
            c.churned,
            c.accepted,
            c.reregistered,
            c.benign_errors,
            c.errors,
        );
        watch.add(second, s);
    }
    stop.store(true, Ordering::Relaxed);
    waker_thread.join().expect("the waker thread panicked");
    let clients = soak
        .slab
        .iter()
        .filter(|e| {
            matches!(
                e,
                Some(Entry {
                    kind: Kind::Client {
                        connected: true,
                        ..
                    },
                    ..
                })
            )
        })
        .count();
    let servers = soak
        .slab
        .iter()
        .filter(|e| {
            matches!(
                e,
                Some(Entry {
                    kind: Kind::Server { .. },
                    ..
                })
            )
        })
        .count();
    report(args, &watch, &soak.counts, clients, servers, quiet_seconds)
}

/// The samples' figures that the drift checks compare.
#[cfg(not(ferrio_no_waker))]
struct Watch {
    warmup: u64,
    /// The last `tail` seconds of the run are its end.
    tail: u64,
    secs: u64,
    /// The descriptor count at the last warm-up sample, and at the last sample.
    warm_fds: Option<usize>,
    end_fds: Option<usize>,
    /// The highest resident memory (all, anonymous) during warm-up, and during the tail.
    warm_rss: Option<u64>,
    tail_rss: Option<u64>,
    warm_anon: Option<u64>,
    tail_anon: Option<u64>,
}

#[cfg(not(ferrio_no_waker))]
impl Watch {
    fn new(secs: u64, warmup: u64) -> Watch {
        let tail = (secs / 4).max(3).min(secs.saturating_sub(warmup));
        Watch {
            warmup,
            tail,
            secs,
            warm_fds: None,
            end_fds: None,
            warm_rss: None,
            tail_rss: None,
            warm_anon: None,
            tail_anon: None,
        }
    }

    fn add(&mut self, second: u64, s: Sample) {
        if second <= self.warmup {
            self.warm_fds = s.fds;
            self.warm_rss = self.warm_rss.max(s.rss_kib);
            self.warm_anon = self.warm_anon.max(s.anon_kib);
        } else {
            self.end_fds = s.fds;
        }
        if second > self.secs - self.tail {
            self.tail_rss = self.tail_rss.max(s.rss_kib);
            self.tail_anon = self.tail_anon.max(s.anon_kib);
        }
    }
}

#[cfg(not(ferrio_no_waker))]
fn report(
    args: &Args,
    watch: &Watch,
    c: &Counts,
    clients: usize,
    servers: usize,
    quiet_seconds: u32,
) -> io::Result<bool> {
    let mut ok = true;
    let mut fail = |msg: String| {
        println!("FAIL: {msg}");
        ok = false;
    };
    println!(
        "summary: {} s, connections held {clients} (accepted side {servers}), churned {}, \
         accepted {}, re-registered {}, echoed bytes {}, datagrams {}, pipe bytes {}, \
         Waker events {}, benign errors {}, errors {}",
        args.secs,
        c.churned,
        c.accepted,
        c.reregistered,
        c.echoed,
        c.datagrams,
        c.pipe_bytes,
        c.wakes,
        c.benign_errors,
        c.errors
    );
    if c.errors > 0 {
        fail(format!("{} unexplained errors", c.errors));
    }
    if quiet_seconds > 0 {
        fail(format!(
            "{quiet_seconds} s after warm-up without echoes, datagrams or wakes"
        ));
    }
    // Every client whose connection is up, at the last sample (a churned one may still be
    // connecting: allow the second's churn).
    let slack = ((args.conns as f64) * args.churn_pct / 100.0).ceil() as usize + 1;
    if clients + slack < args.conns {
        fail(format!("only {clients} of {} connections up", args.conns));
    }
    if watch.tail == 0 {
        println!("run not longer than its warm-up: no drift check");
        return Ok(ok);
    }
    if let (Some(base), Some(end)) = (watch.warm_fds, watch.end_fds) {
        let drift = (end as f64 - base as f64) / base as f64 * 100.0;
        println!("fds: {base} at the end of warm-up, {end} at the end: drift {drift:+.2} %");
        if drift.abs() >= 1.0 {
            fail(format!("descriptor count drifted {drift:+.2} %"));
        }
    } else {
        println!("fds: not available on this system");
    }
    // All resident memory is reported; its anonymous part is checked (the rest is pages of
    // the program and its libraries, which grow by a few pages whenever a code path runs for
    // the first time, however late).
    for (name, base, end, checked) in [
        ("rss", watch.warm_rss, watch.tail_rss, false),
        ("anon", watch.warm_anon, watch.tail_anon, true),
    ] {
        let (Some(base), Some(end)) = (base, end) else {
            println!("{name}: not available on this system");
            continue;
        };
        let drift = (end as f64 - base as f64) / base as f64 * 100.0;
        println!(
            "{name}: {base} KiB highest in warm-up, {end} KiB highest in the last {} s: \
             drift {drift:+.2} %{}",
            watch.tail,
            if checked { "" } else { " (not checked)" }
        );
        if checked && drift >= 1.0 {
            fail(format!("anonymous resident memory drifted {drift:+.2} %"));
        }
    }
    println!("soak: {}", if ok { "PASS" } else { "FAIL" });
    Ok(ok)
}
