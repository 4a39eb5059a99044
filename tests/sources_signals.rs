//! `ferrio::sources::Signals` (feature `os-sources`): which signals arrived, several sources
//! per signal, chaining to the handler installed before, the default action given back once
//! nobody watches, and refused signals. Each test uses signals of its own, so the tests may
//! share a process (`cargo test`) as well as run one per process (nextest). Runs on epoll and
//! on the forced poll(2) backend.
// The cfgs are build.rs's: the systems where `ferrio::sources` has this source.
#![cfg(all(feature = "os-sources", ferrio_signals))]

mod util;

use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use ferrio::sources::{SignalSet, Signals};
use ferrio::{Events, Interest, Poll, Token};

use util::{expect_events, expect_no_events, Expect};

fn raise(signal: i32) {
    // SAFETY: raise takes no pointers.
    assert_eq!(unsafe { libc::raise(signal) }, 0);
}

/// Waits for the source's event and reads it, skipping a stale event's `WouldBlock`.
#[track_caller]
fn receive(poll: &mut Poll, events: &mut Events, signals: &Signals, token: Token) -> SignalSet {
    loop {
        expect_events(poll, events, &[Expect::new(token, Interest::READABLE)]);
        match signals.received() {
            Ok(set) => return set,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
            Err(e) => panic!("{e}"),
        }
    }
}

#[track_caller]
fn assert_nothing(signals: &Signals) {
    match signals.received() {
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
        other => panic!("expected WouldBlock, got {other:?}"),
    }
}

#[test]
fn a_raised_signal_is_reported_once() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let mut signals = Signals::new(&[libc::SIGUSR1]).unwrap();
    poll.registry()
        .register(&mut signals, Token(1), Interest::READABLE)
        .unwrap();
    assert_nothing(&signals);
    raise(libc::SIGUSR1);
    raise(libc::SIGUSR1);
    let set = receive(&mut poll, &mut events, &signals, Token(1));
    assert_eq!(set.iter().collect::<Vec<_>>(), [libc::SIGUSR1]);
    assert_nothing(&signals);
    expect_no_events(&mut poll, &mut events, &[Token(1)]);
    // And again, after a read.
    raise(libc::SIGUSR1);
    let set = receive(&mut poll, &mut events, &signals, Token(1));
    assert!(set.contains(libc::SIGUSR1));
}

#[test]
fn the_set_says_which_signals_arrived() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let mut signals = Signals::new(&[libc::SIGWINCH, libc::SIGURG]).unwrap();
    poll.registry()
        .register(&mut signals, Token(1), Interest::READABLE)
        .unwrap();
    raise(libc::SIGURG);
    let set = receive(&mut poll, &mut events, &signals, Token(1));
    assert!(
        set.contains(libc::SIGURG) && !set.contains(libc::SIGWINCH),
        "{set:?}"
    );
    raise(libc::SIGWINCH);
    raise(libc::SIGURG);
    let set = receive(&mut poll, &mut events, &signals, Token(1));
    assert!(
        set.contains(libc::SIGURG) && set.contains(libc::SIGWINCH),
        "{set:?}"
    );
    assert!(!set.is_empty() && !set.contains(0) && !set.contains(65));
}

#[test]
fn several_sources_watch_one_signal_and_a_dropped_one_is_forgotten() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let mut a = Signals::new(&[libc::SIGUSR2]).unwrap();
    let mut b = Signals::new(&[libc::SIGUSR2]).unwrap();
    let mut c = Signals::new(&[libc::SIGUSR2]).unwrap();
    for (s, t) in [(&mut a, 1), (&mut b, 2), (&mut c, 3)] {
        poll.registry()
            .register(s, Token(t), Interest::READABLE)
            .unwrap();
    }
    // Another thread sends it to the process.
    std::thread::spawn(|| {
        // SAFETY: kill and getpid take no pointers.
        assert_eq!(unsafe { libc::kill(libc::getpid(), libc::SIGUSR2) }, 0);
    })
    .join()
    .unwrap();
    expect_events(
        &mut poll,
        &mut events,
        &[
            Expect::new(Token(1), Interest::READABLE),
            Expect::new(Token(2), Interest::READABLE),
            Expect::new(Token(3), Interest::READABLE),
        ],
    );
    for s in [&a, &b, &c] {
        assert!(s.received().unwrap().contains(libc::SIGUSR2));
    }
    // Dropped with a signal pending: the others still hear of the next one, and a new
    // source (reusing the dropped one's slot) hears only what arrives after it.
    raise(libc::SIGUSR2);
    drop(b);
    let mut d = Signals::new(&[libc::SIGUSR2]).unwrap();
    poll.registry()
        .register(&mut d, Token(4), Interest::READABLE)
        .unwrap();
    assert_nothing(&d);
    expect_events(
        &mut poll,
        &mut events,
        &[
            Expect::new(Token(1), Interest::READABLE),
            Expect::new(Token(3), Interest::READABLE),
        ],
    );
    for s in [&a, &c] {
        assert!(s.received().unwrap().contains(libc::SIGUSR2));
    }
    raise(libc::SIGUSR2);
    assert!(receive(&mut poll, &mut events, &d, Token(4)).contains(libc::SIGUSR2));
}

static PREVIOUS_RAN: AtomicUsize = AtomicUsize::new(0);

extern "C" fn previous_handler(_: libc::c_int) {
    PREVIOUS_RAN.fetch_add(1, Ordering::SeqCst);
}

#[test]
fn the_previous_handler_still_runs() {
    // A handler installed before ferrio's, for SIGHUP (this test's own signal).
    // SAFETY: an all-zero sigaction is valid; the handler is a plain extern "C" fn(c_int).
    let mut action: libc::sigaction = unsafe { std::mem::zeroed() };
    let handler: extern "C" fn(libc::c_int) = previous_handler;
    action.sa_sigaction = handler as libc::sighandler_t;
    // SAFETY: `action` is a live sigaction.
    assert_eq!(
        unsafe { libc::sigaction(libc::SIGHUP, &action, std::ptr::null_mut()) },
        0
    );

    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let mut signals = Signals::new(&[libc::SIGHUP]).unwrap();
    poll.registry()
        .register(&mut signals, Token(1), Interest::READABLE)
        .unwrap();
    raise(libc::SIGHUP);
    assert!(receive(&mut poll, &mut events, &signals, Token(1)).contains(libc::SIGHUP));
    // raise returns after the handler ran, on this thread.
    assert_eq!(PREVIOUS_RAN.load(Ordering::SeqCst), 1);
}

#[test]
fn signals_that_cannot_be_watched_are_invalid_input() {
    for bad in [
        &[libc::SIGKILL][..],
        &[libc::SIGSTOP],
        &[libc::SIGSEGV],
        &[libc::SIGUSR1, libc::SIGKILL],
        &[0],
        &[-1],
        &[65],
        &[],
    ] {
        let err = Signals::new(bad).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{bad:?}");
    }
}

/// Once no source watches SIGTERM, its default action (ending the process) comes back. Run
/// in a child process, which must die of the signal.
#[test]
fn an_unwatched_signal_gets_its_default_action_back() {
    use std::os::unix::process::ExitStatusExt;
    use std::process::{Command, Stdio};

    if util::in_child() {
        let mut poll = Poll::new().unwrap();
        let mut events = Events::with_capacity(8);
        let mut signals = Signals::new(&[libc::SIGTERM]).unwrap();
        poll.registry()
            .register(&mut signals, Token(1), Interest::READABLE)
            .unwrap();
        // Watched: the process survives and is told.
        raise(libc::SIGTERM);
        assert!(receive(&mut poll, &mut events, &signals, Token(1)).contains(libc::SIGTERM));
        drop(signals);
        raise(libc::SIGTERM);
        // Not reached: the raise ends the process.
        std::process::exit(3);
    }
    let name = "an_unwatched_signal_gets_its_default_action_back";
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([name, "--exact", "--nocapture", "--test-threads=1"])
        .env("FERRIO_CHILD", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + util::TIMEOUT;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("the child never ended");
        }
        // Waiting for another process to end: nothing to poll for it here.
        std::thread::sleep(Duration::from_millis(5));
    };
    assert_eq!(status.signal(), Some(libc::SIGTERM), "{status:?}");
}

/// A signal sent while the poller is blocked in `poll` wakes it: the source's event comes
/// (after an `Interrupted` return if the handler ran on the polling thread).
#[test]
fn a_signal_wakes_a_blocked_poll() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let mut signals = Signals::new(&[libc::SIGPROF]).unwrap();
    poll.registry()
        .register(&mut signals, Token(1), Interest::READABLE)
        .unwrap();
    let tid = util::thread_id();
    let sender = std::thread::spawn(move || {
        util::wait_until_blocked(tid);
        // SAFETY: kill and getpid take no pointers.
        assert_eq!(unsafe { libc::kill(libc::getpid(), libc::SIGPROF) }, 0);
    });
    let deadline = std::time::Instant::now() + util::TIMEOUT;
    let set = loop {
        assert!(
            std::time::Instant::now() < deadline,
            "the signal never came"
        );
        match poll.poll(&mut events, Some(util::TIMEOUT)) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => panic!("{e}"),
        }
        match signals.received() {
            Ok(set) => break set,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
            Err(e) => panic!("{e}"),
        }
    };
    assert!(set.contains(libc::SIGPROF));
    sender.join().unwrap();
}
