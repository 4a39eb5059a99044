//! The cases of `ferrio::sources` (feature `os-sources`): timers, signal watches, child-exit
//! watches, and the `pidfd_open` fallback.

use std::io;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use ferrio::__failpoints as fp;
use ferrio::sources::{ChildExit, Signals, Timer};
use ferrio::Interest;

use super::{Case, World, SUBJECT};
use crate::util::Expect;

/// A child that runs until its stdin closes.
fn cat() -> Child {
    Command::new("cat")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap()
}

/// The step of a timer's life at which a timer case injects its fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    New,
    Set,
    Read,
}

/// A timer's life (made, registered, set, fired, read) with `at` failing once: the caller
/// gets the error, the same step then works (a failed read consumed no expiration), and so
/// does the world.
fn timer_fails_at(case: &Case, at: Step) {
    let mut world = World::new();
    if at == Step::New {
        case.arm();
        case.check(Timer::new());
    }
    let mut timer = Timer::new().unwrap();
    world
        .registry()
        .register(&mut timer, SUBJECT, Interest::READABLE)
        .unwrap();
    if at == Step::Set {
        case.arm();
        case.check(timer.set_oneshot(Duration::from_millis(1)));
    }
    timer.set_oneshot(Duration::from_micros(100)).unwrap();
    world.expect(&[Expect::new(SUBJECT, Interest::READABLE)]);
    if at == Step::Read {
        case.arm();
        case.check(timer.expirations());
    }
    assert_eq!(timer.expirations().unwrap(), 1);
    world.registry().deregister(&mut timer).unwrap();
    world.check();
}

pub(super) fn timer_new(case: &Case) {
    timer_fails_at(case, Step::New);
}

pub(super) fn timer_set(case: &Case) {
    timer_fails_at(case, Step::Set);
}

pub(super) fn timer_read(case: &Case) {
    timer_fails_at(case, Step::Read);
}

pub(super) fn signals_new(case: &Case) {
    let world = World::new();
    case.arm();
    case.check(Signals::new(&[libc::SIGUSR1]));
    Signals::new(&[libc::SIGUSR1]).unwrap();
    world.check();
}

/// Watches a `cat` until it exits (stdin closed), then reaps it.
fn child_exit_works(mut world: World) {
    let mut child = cat();
    let mut exit = ChildExit::new(&child).unwrap();
    world
        .registry()
        .register(&mut exit, SUBJECT, Interest::READABLE)
        .unwrap();
    drop(child.stdin.take());
    world.expect(&[Expect::new(SUBJECT, Interest::READABLE)]);
    world.until_ready(|| exit.exited()).unwrap();
    world.registry().deregister(&mut exit).unwrap();
    drop(exit);
    assert!(child.wait().unwrap().success());
    world.check();
}

/// `pidfd_open` missing (ENOSYS, before Linux 5.3) or refused (EPERM, seccomp): the watch
/// falls back to SIGCHLD, works, and later watches do not try the call again.
pub(super) fn pidfd_fallback(case: &Case) {
    let world = World::new();
    assert!(fp::pidfd_available(), "pidfd_open already given up");
    case.arm();
    let mut child = cat();
    let exit = ChildExit::new(&child);
    case.fired();
    assert!(
        !fp::pidfd_available(),
        "the missing call was not remembered"
    );
    let mut exit = exit.unwrap();
    let mut world = world;
    world
        .registry()
        .register(&mut exit, SUBJECT, Interest::READABLE)
        .unwrap();
    match exit.exited() {
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
        other => panic!("a running child: {other:?}"),
    }
    drop(child.stdin.take());
    world.expect(&[Expect::new(SUBJECT, Interest::READABLE)]);
    world.until_ready(|| exit.exited()).unwrap();
    world.registry().deregister(&mut exit).unwrap();
    drop(exit);
    assert!(child.wait().unwrap().success());
    fp::forget_missing_pidfd();
    child_exit_works(world);
}

pub(super) fn pidfd_fails(case: &Case) {
    let world = World::new();
    let mut child = cat();
    case.arm();
    case.check(ChildExit::new(&child));
    assert!(fp::pidfd_available());
    drop(child.stdin.take());
    child.wait().unwrap();
    child_exit_works(world);
}

/// `waitid` interrupted: retried inside, so the caller sees the child still running.
pub(super) fn waitid_retried(case: &Case) {
    let world = World::new();
    let mut child = cat();
    let exit = ChildExit::new(&child).unwrap();
    case.arm();
    match exit.exited() {
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
        other => panic!("a running child: {other:?}"),
    }
    case.fired();
    drop(exit);
    drop(child.stdin.take());
    child.wait().unwrap();
    world.check();
}
