//! `ferrio::sources::ChildExit` (feature `os-sources`): an exit is reported once the child
//! ends (not before), also for a child that ended before the watch began; the child is left
//! for the caller to reap; a reaped child or a process that is not a child is refused; many
//! children each report once. The children are `cat`s that end when their stdin closes, so
//! the test decides when each one exits. Runs on epoll and on the forced poll(2) backend.
// The cfgs are build.rs's: the systems where `ferrio::sources` has this source.
#![cfg(all(feature = "os-sources", ferrio_child_exit))]

mod util;

use std::io;
use std::process::{Child, Command, Stdio};

use ferrio::sources::ChildExit;
use ferrio::{Events, Interest, Poll, Token};

use util::{expect_events, expect_no_events, Expect};

/// A child that runs until its stdin is closed.
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

#[test]
fn many_children_each_report_their_exit() {
    const N: usize = 40;
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
