//! `ferrio::sources::ChildExit` (feature `os-sources`): an exit is reported once the child
//! ends (not before), also for a child that ended before the watch began; the child is left
//! for the caller to reap; a reaped child or a process that is not a child is refused; many
//! children each report once. The children are `cat`s that end when their stdin closes, so
//! the test decides when each one exits (on Windows, this test binary run as such a child:
//! see `stdin_reader_child`). Runs on epoll and on the forced poll(2) backend, and under
//! Wine.
// The cfgs are build.rs's: the systems where `ferrio::sources` has this source.
#![cfg(all(feature = "os-sources", ferrio_child_exit))]

mod util;

use std::io;
use std::process::{Child, Command, Stdio};

use ferrio::sources::ChildExit;
use ferrio::{Events, Interest, Poll, Token};

use util::{expect_events, expect_no_events, Expect};

/// A child that runs until its stdin is closed.
#[cfg(windows)]
fn cat() -> Child {
    Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "stdin_reader_child", "--test-threads=1", "-q"])
        .env(CHILD_ENV, "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

#[cfg(windows)]
const CHILD_ENV: &str = "FERRIO_TEST_STDIN_CHILD";

/// The body of `cat()`'s child on Windows (which has no `cat`): reads its stdin to the end.
/// Run as an ordinary test, it does nothing.
#[cfg(windows)]
#[test]
fn stdin_reader_child() {
    if std::env::var_os(CHILD_ENV).is_some() {
        let _ = io::copy(&mut io::stdin(), &mut io::sink());
    }
}

/// A child that runs until its stdin is closed.
#[cfg(unix)]
fn cat() -> Child {
    Command::new("cat")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap()
}

#[track_caller]
fn assert_running(exit: &ChildExit) {
    match exit.exited() {
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
        other => panic!("expected WouldBlock, got {other:?}"),
    }
}

/// Waits until the child's source says it exited (bounded).
#[track_caller]
fn wait_exit(poll: &mut Poll, events: &mut Events, exit: &ChildExit, token: Token) {
    loop {
        expect_events(poll, events, &[Expect::new(token, Interest::READABLE)]);
        match exit.exited() {
            Ok(()) => return,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
            Err(e) => panic!("{e}"),
        }
    }
}

#[test]
fn an_exit_is_reported_and_the_child_is_left_to_reap() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let mut child = cat();
    let mut exit = ChildExit::new(&child).unwrap();
    poll.registry()
        .register(&mut exit, Token(1), Interest::READABLE)
        .unwrap();
    assert_running(&exit);
    expect_no_events(&mut poll, &mut events, &[Token(1)]);
    drop(child.stdin.take());
    wait_exit(&mut poll, &mut events, &exit, Token(1));
    // Still says so, and did not reap: the caller does.
    exit.exited().unwrap();
    drop(exit);
    let status = child
        .try_wait()
        .unwrap()
        .expect("the exited child is still there to reap");
    assert!(status.success(), "{status:?}");
}

#[test]
fn a_child_that_exited_before_the_watch_is_reported() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let mut child = cat();
    let mut first = ChildExit::new(&child).unwrap();
    poll.registry()
        .register(&mut first, Token(1), Interest::READABLE)
        .unwrap();
    drop(child.stdin.take());
    wait_exit(&mut poll, &mut events, &first, Token(1));
    // A zombie now: a new watch reports it at once.
    let mut second = ChildExit::new(&child).unwrap();
    poll.registry()
        .register(&mut second, Token(2), Interest::READABLE)
        .unwrap();
    wait_exit(&mut poll, &mut events, &second, Token(2));
    drop((first, second));
    assert!(child.wait().unwrap().success());
}

#[cfg(unix)]
#[test]
fn reaped_children_and_strangers_are_refused() {
    let mut child = Command::new("true").spawn().unwrap();
    child.wait().unwrap();
    let err = ChildExit::new(&child).unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::ECHILD), "{err:?}");
    // init is nobody's child here.
    let err = ChildExit::from_pid(1).unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::ECHILD), "{err:?}");
    for bad in [0, u32::MAX] {
        let err = ChildExit::from_pid(bad).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{bad}: {err:?}");
    }
}

/// Windows has nothing to reap: a child already waited for is watched, and has exited. Bad
/// process IDs are refused.
#[cfg(windows)]
#[test]
fn waited_children_report_at_once_and_bad_pids_are_refused() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let mut child = cat();
    drop(child.stdin.take());
    assert!(child.wait().unwrap().success());
    let mut exit = ChildExit::new(&child).unwrap();
    exit.exited().unwrap();
    poll.registry()
        .register(&mut exit, Token(3), Interest::READABLE)
        .unwrap();
    wait_exit(&mut poll, &mut events, &exit, Token(3));
    // The same through its process ID (the `Child` keeps the ID from being reused).
    let mut by_pid = ChildExit::from_pid(child.id()).unwrap();
    poll.registry()
        .register(&mut by_pid, Token(4), Interest::READABLE)
        .unwrap();
    wait_exit(&mut poll, &mut events, &by_pid, Token(4));
    for bad in [0, u32::MAX] {
        let err = ChildExit::from_pid(bad).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{bad}: {err:?}");
    }
}

/// A watch dropped while registered and before its child ends reports nothing, and the
/// others still do.
#[test]
fn a_dropped_watch_reports_nothing() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let mut first = cat();
    let mut second = cat();
    let mut dropped = ChildExit::new(&first).unwrap();
    let mut kept = ChildExit::new(&second).unwrap();
    poll.registry()
        .register(&mut dropped, Token(1), Interest::READABLE)
        .unwrap();
    poll.registry()
        .register(&mut kept, Token(2), Interest::READABLE)
        .unwrap();
    drop(dropped);
    drop(first.stdin.take());
    assert!(first.wait().unwrap().success());
    drop(second.stdin.take());
    loop {
        let seen = expect_events(
            &mut poll,
            &mut events,
            &[Expect::new(Token(2), Interest::READABLE)],
        );
        assert!(seen.iter().all(|e| e.token != Token(1)), "{seen:?}");
        if kept.exited().is_ok() {
            break;
        }
    }
    expect_no_events(&mut poll, &mut events, &[Token(1)]);
    drop(kept);
    assert!(second.wait().unwrap().success());
}

#[test]
fn many_children_each_report_their_exit() {
    // Fewer on Windows, where each child is a test binary (slow to start under Wine).
    const N: usize = if cfg!(windows) { 12 } else { 40 };
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(16);
    let mut children: Vec<Child> = (0..N).map(|_| cat()).collect();
    let mut exits: Vec<ChildExit> = children
        .iter()
        .map(|c| ChildExit::new(c).unwrap())
        .collect();
    for (i, exit) in exits.iter_mut().enumerate() {
        poll.registry()
            .register(exit, Token(i), Interest::READABLE)
            .unwrap();
    }
    for child in &mut children {
        drop(child.stdin.take());
    }
    let mut done = vec![false; N];
    let deadline = std::time::Instant::now() + util::TIMEOUT;
    while done.contains(&false) {
        assert!(
            std::time::Instant::now() < deadline,
            "missing exits: {done:?}"
        );
        util::poll_retrying(
            &mut poll,
            &mut events,
            Some(std::time::Duration::from_millis(100)),
        );
        for event in events.iter() {
            let i = event.token().0;
            if exits[i].exited().is_ok() {
                done[i] = true;
            }
        }
    }
    drop(exits);
    for mut child in children {
        assert!(child.wait().unwrap().success());
    }
}
