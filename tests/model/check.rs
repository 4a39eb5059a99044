//! Polling, and the checks on what a poll reports: tokens, interests and promised events.

use std::io;
use std::time::{Duration, Instant};

use super::ep::Pending;
use super::{Model, WAKER};

/// What one event said, copied out of the `Events` buffer.
#[derive(Debug, Clone, Copy)]
struct Seen {
    token: ferrio::Token,
    readable: bool,
    writable: bool,
    error: bool,
    read_closed: bool,
    write_closed: bool,
}

impl Model {
    pub(super) fn promise(&self, why: usize) -> Pending {
        Pending {
            since_poll: self.stats.polls,
            since: Instant::now(),
            why,
        }
    }

    pub(super) fn open_promises(&self) -> bool {
        self.waker_exp.is_some()
            || self
                .slots
                .iter()
                .flatten()
                .any(|e| e.exp_rd.is_some() || e.exp_wr.is_some())
    }

    /// Opens the promises that the endpoints' state makes: a source registered for a
    /// direction, armed in it, and known ready that way, is owed an event.
    pub(super) fn refresh(&mut self) {
        for slot in 0..self.slots.len() {
            let Some(ep) = self.slots[slot].as_ref() else {
                continue;
            };
            let Some((_, interest)) = ep.reg else {
                continue;
            };
            let readable = interest.is_readable() && ep.rd_armed && ep.known_readable();
            let writable = interest.is_writable() && ep.wr_armed && self.known_writable(slot);
            let rd = self.promise(usize::from(ep.rd_blocked));
            let wr = self.promise(2 + usize::from(ep.wr_blocked));
            let ep = self.slots[slot].as_mut().unwrap();
            if readable && ep.exp_rd.is_none() {
                ep.exp_rd = Some(rd);
            }
            if writable && ep.exp_wr.is_none() {
                ep.exp_wr = Some(wr);
            }
        }
    }

    /// Whether the model knows the endpoint is (or is about to be) writable: its peer has
    /// read everything it wrote, so its send buffer is empty (or the peer went, which the
    /// source reports as an error or hang-up).
    fn known_writable(&self, slot: usize) -> bool {
        let ep = self.ep(slot);
        if ep.write_done || !ep.io.has_write_side() || ep.connecting.is_some() {
            return false;
        }
        if ep.io.is_udp() {
            return true;
        }
        match ep.peer {
            Some(p) => self.ep(p).inbox == 0,
            None => ep.peer_gone,
        }
    }

    /// One poll: without waiting when nothing is promised, otherwise up to `limits.wait`.
    pub(super) fn poll_once(&mut self) -> Result<(), String> {
        let timeout = if self.open_promises() {
            self.limits.wait
        } else if self.rng.chance(20) {
            Duration::from_millis(1)
        } else {
            Duration::ZERO
        };
        self.poll_once_with(timeout)
    }

    pub(super) fn poll_once_with(&mut self, timeout: Duration) -> Result<(), String> {
        match self.poll.poll(&mut self.events, Some(timeout)) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => return Ok(()),
            Err(e) => return Err(self.failure(format!("poll failed: {e}"))),
        }
        self.stats.polls += 1;
        let seen: Vec<Seen> = self
            .events
            .iter()
            .map(|e| Seen {
                token: e.token(),
                readable: e.is_readable(),
                writable: e.is_writable(),
                error: e.is_error(),
                read_closed: e.is_read_closed(),
                write_closed: e.is_write_closed(),
            })
            .collect();
        self.stats.events += seen.len() as u64;
        if !seen.is_empty() {
            self.note(format!("poll({timeout:?}): {}", describe(&seen, self)));
        }
        for event in seen {
            self.check_event(event)?;
        }
        self.check_overdue()
    }

    fn keep(&mut self, promise: Option<Pending>) {
        if let Some(p) = promise {
            self.stats.promises_kept += 1;
            self.stats.kept_by_kind[p.why] += 1;
            // The poll that delivered the event counts.
            let polls = self.stats.polls - p.since_poll;
            self.stats.max_polls = self.stats.max_polls.max(polls);
            self.stats.max_wait = self.stats.max_wait.max(p.since.elapsed());
        }
    }

    fn check_event(&mut self, ev: Seen) -> Result<(), String> {
        if ev.token == WAKER {
            if !ev.readable {
                return Err(self.failure(format!("Waker event not readable: {ev:?}")));
            }
            let p = self.waker_exp.take();
            self.keep(p);
            return Ok(());
        }
        let Some(&slot) = self.tokens.get(&ev.token) else {
            return Err(self.failure(format!(
                "event {ev:?} for a token that no registration has now (deregistered, \
                 re-registered with another token, dropped, or never used)"
            )));
        };
        let ep = self.ep(slot);
        let label = ep.label();
        let (_, interest) = ep.reg.expect("registered");
        // Error and hang-up flags ride along with any registration (and on Windows an abort
        // reports both directions); a plain readiness must be one that was asked for.
        let hint = ev.error || ev.read_closed || ev.write_closed;
        if (ev.readable && !interest.is_readable() && !hint)
            || (ev.writable && !interest.is_writable() && !hint)
        {
            return Err(self.failure(format!(
                "{label} registered for {interest:?} got an event for what it did not ask: {ev:?}"
            )));
        }
        let ep = self.ep_mut(slot);
        let (mut rd, mut wr) = (None, None);
        if ev.readable || ev.read_closed || ev.error {
            ep.rd_armed = false;
            rd = ep.exp_rd.take();
        }
        if ev.writable || ev.write_closed || ev.error {
            ep.wr_armed = false;
            wr = ep.exp_wr.take();
        }
        self.keep(rd);
        self.keep(wr);
        Ok(())
    }

    /// Fails when a promised event is overdue: `limits.polls` polls and `limits.patience`
    /// have both passed since the promise began, and (on Unix) the kernel's level-triggered
    /// poll(2) of the descriptor confirms the readiness. A promise the kernel does not
    /// confirm rested on an assumption of the model (say, that a send buffer is empty once
    /// the peer has read everything): it is withdrawn and counted, not failed.
    fn check_overdue(&mut self) -> Result<(), String> {
        let (polls, limits) = (self.stats.polls, self.limits);
        let overdue = |p: &Pending| {
            polls - p.since_poll >= limits.polls && p.since.elapsed() >= limits.patience
        };
        let describe = |p: &Pending| {
            format!(
                "promised {} polls and {:?} ago",
                polls - p.since_poll,
                p.since.elapsed()
            )
        };
        if let Some(p) = self.waker_exp.as_ref().filter(|p| overdue(p)) {
            return Err(self.failure(format!("no Waker event after a wake: {}", describe(p))));
        }
        for slot in 0..self.slots.len() {
            let Some(ep) = self.slots[slot].as_ref() else {
                continue;
            };
            for (writable, exp) in [(false, ep.exp_rd), (true, ep.exp_wr)] {
                let Some(p) = exp.filter(overdue) else {
                    continue;
                };
                let dir = if writable { "writable" } else { "readable" };
                let ep = self.ep(slot);
                let level = level_ready(&ep.io, writable);
                if level == Some(false) {
                    let label = ep.label();
                    let ep = self.ep_mut(slot);
                    if writable {
                        (ep.exp_wr, ep.wr_armed) = (None, false);
                    } else {
                        (ep.exp_rd, ep.rd_armed) = (None, false);
                    }
                    self.stats.withdrawn += 1;
                    self.note(format!(
                        "{label}: promise of a {dir} event withdrawn: the kernel's poll(2) \
                         says not {dir} ({})",
                        describe(&p)
                    ));
                    continue;
                }
                let level = match level {
                    Some(_) => format!("poll(2) of the descriptor says {dir} now"),
                    None => "no level-triggered check on this system".to_string(),
                };
                return Err(self.failure(format!(
                    "{} ({:?}) ready and armed, but no {dir} event: {}; {level}",
                    ep.label(),
                    ep.reg,
                    describe(&p)
                )));
            }
        }
        Ok(())
    }
}

/// The kernel's own level-triggered view of one direction (Unix: poll(2) with no wait);
/// `None` where there is no such check (Windows).
#[cfg(unix)]
fn level_ready(io: &super::ep::Io, writable: bool) -> Option<bool> {
    let want = if writable {
        libc::POLLOUT
    } else {
        libc::POLLIN
    };
    let mut pfd = libc::pollfd {
        fd: io.raw_fd(),
        events: want,
        revents: 0,
    };
    // SAFETY: one live, initialised pollfd; a zero timeout, so nothing outlives the call.
    let n = unsafe { libc::poll(&mut pfd, 1, 0) };
    if n < 0 {
        return None;
    }
    Some(pfd.revents & (want | libc::POLLERR | libc::POLLHUP) != 0)
}

#[cfg(not(unix))]
fn level_ready(_: &super::ep::Io, _: bool) -> Option<bool> {
    None
}

fn describe(seen: &[Seen], model: &Model) -> String {
    let mut out = Vec::new();
    for ev in seen {
        let who = if ev.token == WAKER {
            "waker".to_string()
        } else {
            match model.tokens.get(&ev.token) {
                Some(&slot) => model.ep(slot).label(),
                None => "?".to_string(),
            }
        };
        let mut flags = String::new();
        for (on, c) in [
            (ev.readable, 'R'),
            (ev.writable, 'W'),
            (ev.error, 'E'),
            (ev.read_closed, 'r'),
            (ev.write_closed, 'w'),
        ] {
            if on {
                flags.push(c);
            }
        }
        out.push(format!("{}={who}:{flags}", ev.token.0));
    }
    out.join(" ")
}
