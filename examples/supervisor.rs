//! A process supervisor on one `Poll` (feature `os-sources`, Unix): it starts a few child
//! processes, restarts any that exit, prints a status line on a periodic timer, and on
//! SIGINT or SIGTERM kills and reaps its children and exits.
//!
//! ```text
//! cargo run --example supervisor --features os-sources            # until Ctrl-C
//! cargo run --example supervisor --features os-sources -- --self-test
//! ```
//!
//! Each child is `sh -c 'sleep N; exit C'` with its own lifetime, so they exit (and are
//! restarted) at different times. Every source is an ordinary ferrio source with its own
//! token: a [`ChildExit`] per child, one periodic [`Timer`], one [`Signals`] for SIGINT and
//! SIGTERM. Nothing polls on a schedule: the loop sleeps in `poll` until one of them fires.
//!
//! With `--self-test` (what CI runs), a one-shot timer sends the process SIGTERM after two
//! seconds; the example then checks that some children were restarted and that every child
//! was reaped, and exits with a failure otherwise.

use std::process::ExitCode;

// The cfgs are build.rs's: the systems where `ferrio::sources` has all three sources.
#[cfg(all(ferrio_child_exit, ferrio_timer, ferrio_signals))]
mod supervisor {
    use std::io;
    use std::os::unix::process::CommandExt;
    use std::process::{Child, Command, ExitCode, Stdio};
    use std::time::{Duration, Instant};

    use ferrio::sources::{ChildExit, Signals, Timer};
    use ferrio::{Events, Interest, Poll, Token};

    const STATUS: Token = Token(0);
    const SIGNALS: Token = Token(1);
    const SELF_TEST: Token = Token(2);
    /// Children use the tokens from here on: child `i` is `Token(FIRST_CHILD + i)`.
    const FIRST_CHILD: usize = 10;

    /// Each child's command: how long it lives and its exit code.
    const CHILDREN: &[(&str, i32)] = &[("0.3", 0), ("0.5", 1), ("0.8", 0), ("60", 0)];

    /// A supervised child and the source that reports its exit.
    struct Slot {
        child: Child,
        exit: ChildExit,
        restarts: u32,
    }

    fn start(poll: &Poll, index: usize) -> io::Result<(Child, ChildExit)> {
        let (life, code) = CHILDREN[index];
        // Each child leads a process group of its own (the shell and its `sleep`), so that
        // the shutdown can end both; its output goes nowhere, so that no grandchild keeps
        // the supervisor's stdout open.
        let child = Command::new("sh")
            .arg("-c")
            .arg(format!("sleep {life}; exit {code}"))
            .process_group(0)
            .stdout(Stdio::null())
            .spawn()?;
        let mut exit = ChildExit::new(&child)?;
        poll.registry()
            .register(&mut exit, Token(FIRST_CHILD + index), Interest::READABLE)?;
        Ok((child, exit))
    }

    pub fn main() -> ExitCode {
        match run() {
            Ok(true) => ExitCode::SUCCESS,
            Ok(false) => ExitCode::FAILURE,
            Err(e) => {
                eprintln!("supervisor: {e}");
                ExitCode::FAILURE
            }
        }
    }

    /// Runs until SIGINT or SIGTERM; returns whether the self-test (if any) passed.
    fn run() -> io::Result<bool> {
        let self_test = std::env::args().any(|a| a == "--self-test");
        let mut poll = Poll::new()?;
        let mut events = Events::with_capacity(64);
        let started = Instant::now();

        let mut signals = Signals::new(&[libc::SIGINT, libc::SIGTERM])?;
        poll.registry()
            .register(&mut signals, SIGNALS, Interest::READABLE)?;
        let mut status = Timer::new()?;
        poll.registry()
            .register(&mut status, STATUS, Interest::READABLE)?;
        status.set_periodic(Duration::from_millis(500))?;
        let mut deadline = Timer::new()?;
        if self_test {
            poll.registry()
                .register(&mut deadline, SELF_TEST, Interest::READABLE)?;
            deadline.set_oneshot(Duration::from_secs(2))?;
        }

        let mut slots = Vec::new();
        for index in 0..CHILDREN.len() {
            let (child, exit) = start(&poll, index)?;
            slots.push(Slot {
                child,
                exit,
                restarts: 0,
            });
        }
        println!("supervisor: started {} children", slots.len());

        let received = 'outer: loop {
            match poll.poll(&mut events, None) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                other => other?,
            }
            for event in events.iter() {
                match event.token() {
                    STATUS => {
                        if status.expirations().is_ok() {
                            let restarts: u32 = slots.iter().map(|s| s.restarts).sum();
                            println!(
                                "supervisor: {:>5.1}s, {} children running, {restarts} restarts",
                                started.elapsed().as_secs_f64(),
                                slots.len()
                            );
                        }
                    }
                    SELF_TEST => {
                        if deadline.expirations().is_ok() {
                            println!("supervisor: self-test deadline, sending SIGTERM to itself");
                            // SAFETY: kill and getpid take no pointers.
                            unsafe { libc::kill(libc::getpid(), libc::SIGTERM) };
                        }
                    }
                    SIGNALS => match signals.received() {
                        Ok(set) => break 'outer set,
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                        Err(e) => return Err(e),
                    },
                    Token(t) => {
                        let index = t - FIRST_CHILD;
                        let slot = &mut slots[index];
                        if slot.exit.exited().is_ok() {
                            // Stop watching, then reap: the watch never reaps by itself.
                            poll.registry().deregister(&mut slot.exit)?;
                            let status = slot.child.wait()?;
                            let (child, exit) = start(&poll, index)?;
                            slot.child = child;
                            slot.exit = exit;
                            slot.restarts += 1;
                            println!("supervisor: child {index} exited ({status}), restarted");
                        }
                    }
                }
            }
        };

        println!(
            "supervisor: received {:?}, stopping",
            received.iter().collect::<Vec<_>>()
        );
        let restarts: u32 = slots.iter().map(|s| s.restarts).sum();
        let mut reaped = 0;
        for slot in &mut slots {
            poll.registry().deregister(&mut slot.exit)?;
            // The whole group: the shell and its `sleep`. (A child that has exited unseen is a
            // zombie until reaped, and its group ID is still its own: the kill is harmless.)
            let group = libc::pid_t::try_from(slot.child.id()).expect("a pid");
            // SAFETY: kill takes no pointers; `-group` names the child's own process group,
            // which exists until the child is reaped below.
            unsafe { libc::kill(-group, libc::SIGKILL) };
            slot.child.wait()?;
            reaped += 1;
        }
        println!("supervisor: {reaped} children reaped, {restarts} restarts in all");
        if self_test {
            let ok = reaped == CHILDREN.len() && restarts >= 3;
            println!(
                "supervisor: self-test {}",
                if ok { "passed" } else { "FAILED" }
            );
            return Ok(ok);
        }
        Ok(true)
    }
}

#[cfg(all(ferrio_child_exit, ferrio_timer, ferrio_signals))]
fn main() -> ExitCode {
    supervisor::main()
}

#[cfg(not(all(ferrio_child_exit, ferrio_timer, ferrio_signals)))]
fn main() -> ExitCode {
    // Windows has the timers and child exits, but no Unix signals to shut down on.
    eprintln!("supervisor: ferrio::sources lacks timers, child exits or Unix signals here");
    ExitCode::SUCCESS
}
