//! The poll(2) bits that both emulating backends speak: poll(2) reports them in `revents`, and
//! Solaris event ports in `portev_events`. What an interest arms, what a report disarms, what a
//! blocked operation re-arms and how the bits read as readiness are decided here, once.

use crate::Interest;

/// The integer type of `pollfd.events` and `revents` and of the `POLL*` constants: a C short,
/// but a C int on Horizon (`ferrio_poll_int_events` in build.rs).
#[cfg(not(ferrio_poll_int_events))]
pub(crate) type PollBits = libc::c_short;
#[cfg(ferrio_poll_int_events)]
pub(crate) type PollBits = libc::c_int;

/// POLLRDHUP (the peer shut down its writing half), where it exists (`ferrio_pollrdhup`).
#[cfg(ferrio_pollrdhup)]
pub(crate) const POLLRDHUP: PollBits = libc::POLLRDHUP;
#[cfg(not(ferrio_pollrdhup))]
pub(crate) const POLLRDHUP: PollBits = 0;

/// POLLPRI (priority data), absent from WASI (`ferrio_no_pollpri`), where nothing is ever
/// reported as priority.
#[cfg(not(ferrio_no_pollpri))]
pub(crate) const POLLPRI: PollBits = libc::POLLPRI;
#[cfg(ferrio_no_pollpri)]
pub(crate) const POLLPRI: PollBits = 0;

/// POLLNVAL: the fd polled is not open. libc lacks it for ESP-IDF (`ferrio_no_libc_pollnval`),
/// whose <sys/poll.h> gives it as `1 << 7`.
#[cfg(not(ferrio_no_libc_pollnval))]
pub(crate) const POLLNVAL: PollBits = libc::POLLNVAL;
#[cfg(ferrio_no_libc_pollnval)]
pub(crate) const POLLNVAL: PollBits = 1 << 7;

/// Bits that end an fd's readiness for every direction until it is re-armed.
pub(crate) const FATAL: PollBits = libc::POLLHUP | libc::POLLERR | POLLNVAL;

/// Whether `revents` says the reading half is shut: the peer shut down its writing half, or
/// this end shut down reading (never, where POLLRDHUP is absent).
#[cfg(ferrio_pollrdhup)]
pub(crate) fn peer_shut_down(revents: PollBits) -> bool {
    revents & POLLRDHUP != 0
}
#[cfg(not(ferrio_pollrdhup))]
pub(crate) fn peer_shut_down(_revents: PollBits) -> bool {
    false
}

/// The poll(2) bits that registered interests stand for.
pub(crate) fn interest_bits(interests: Interest) -> PollBits {
    let mut bits = 0;
    if interests.is_readable() {
        bits |= libc::POLLIN | POLLRDHUP;
    }
    if interests.is_writable() {
        bits |= libc::POLLOUT;
    }
    if interests.is_priority() {
        bits |= POLLPRI;
    }
    bits
}

/// The poll(2) bits to re-arm for the directions an operation found blocked. A blocked read
/// also re-arms PRIORITY, since both are reported as readable.
pub(crate) fn blocked_bits(blocked: Interest) -> PollBits {
    let bits = interest_bits(blocked);
    if blocked.is_readable() {
        bits | POLLPRI
    } else {
        bits
    }
}

/// What is still armed after `revents` was reported for a registration armed with `armed`.
///
/// Readable data (POLLIN) disarms POLLIN only: POLLRDHUP stays armed, so that a later
/// shutdown of the reading half (by the peer, or locally) is still reported once, as epoll
/// reports it as a new edge. poll(2) reports POLLRDHUP only while it is asked for and, unlike
/// POLLIN, only once the reading half is shut, so watching it cannot repeat the data event.
/// A hang-up, error or closed fd disarms everything.
// Without POLLPRI (WASI) its mask below is zero.
#[cfg_attr(ferrio_no_pollpri, allow(clippy::bad_bit_mask))]
pub(crate) fn disarm(armed: PollBits, revents: PollBits) -> PollBits {
    if revents & FATAL != 0 {
        return 0;
    }
    let mut clear = 0;
    if peer_shut_down(revents) {
        clear |= libc::POLLIN | POLLRDHUP;
    } else if revents & libc::POLLIN != 0 {
        clear |= libc::POLLIN;
    }
    if revents & POLLPRI != 0 {
        clear |= POLLPRI;
    }
    if revents & libc::POLLOUT != 0 {
        clear |= libc::POLLOUT;
    }
    armed & !clear
}

/// The bits to report for `revents`: when the reading half is shut the fd reads end of stream,
/// so it is readable as well, which poll(2) does not say when POLLIN was not asked for (epoll
/// says it in the same case).
pub(crate) fn reported(revents: PollBits) -> PollBits {
    if peer_shut_down(revents) {
        revents | libc::POLLIN
    } else {
        revents
    }
}

/// How reported bits read as readiness: the `EventApi` methods of both backends' events.
pub(crate) mod readiness {
    use super::{peer_shut_down, PollBits, POLLNVAL, POLLPRI};

    pub(crate) fn is_readable(r: PollBits) -> bool {
        r & (libc::POLLIN | POLLPRI) != 0
    }
    pub(crate) fn is_writable(r: PollBits) -> bool {
        r & libc::POLLOUT != 0
    }
    /// POLLNVAL: the fd was closed while registered.
    pub(crate) fn is_error(r: PollBits) -> bool {
        r & (libc::POLLERR | POLLNVAL) != 0
    }
    pub(crate) fn is_read_closed(r: PollBits) -> bool {
        r & libc::POLLHUP != 0 || (r & libc::POLLIN != 0 && peer_shut_down(r))
    }
    pub(crate) fn is_write_closed(r: PollBits) -> bool {
        r & libc::POLLHUP != 0
            || (r & libc::POLLOUT != 0 && r & libc::POLLERR != 0)
            || r == libc::POLLERR
    }
    // Without POLLPRI (WASI) the mask is zero: never priority.
    #[cfg_attr(ferrio_no_pollpri, allow(clippy::bad_bit_mask))]
    pub(crate) fn is_priority(r: PollBits) -> bool {
        r & POLLPRI != 0
    }
}

/// The poll(2) bits a registration can have armed, each stored as one bit of a record.
const ARMABLE: [PollBits; 4] = [libc::POLLIN, POLLPRI, libc::POLLOUT, POLLRDHUP];

/// The bits of `ARMABLE` that `bits` has, packed into the low 4 bits.
pub(crate) fn compact(bits: PollBits) -> u64 {
    ARMABLE
        .iter()
        .enumerate()
        .filter(|&(_, &b)| b != 0 && bits & b == b)
        .fold(0, |acc, (i, _)| acc | 1 << i)
}

/// Packs a record for `Registration::armed`: the epoch above 4 bits of `compact(bits)`. Its
/// 60 bits of epoch would take over 30 000 years to wrap at a million polls a second.
pub(crate) fn armed_record(epoch: u64, bits: PollBits) -> u64 {
    epoch << 4 | compact(bits)
}

#[cfg(test)]
mod tests {
    use super::*;

    const R: PollBits = libc::POLLIN | POLLRDHUP;
    const W: PollBits = libc::POLLOUT;

    #[test]
    fn interest_mapping() {
        assert_eq!(interest_bits(Interest::READABLE), R);
        assert_eq!(interest_bits(Interest::WRITABLE), W);
        #[cfg(ferrio_priority)]
        assert_eq!(interest_bits(Interest::PRIORITY), POLLPRI);
        assert_eq!(
            interest_bits(Interest::READABLE | Interest::WRITABLE),
            R | W
        );
        #[cfg(ferrio_pollrdhup)]
        assert_eq!(POLLRDHUP, libc::POLLRDHUP);
        #[cfg(not(ferrio_pollrdhup))]
        assert_eq!(POLLRDHUP, 0);
        // Re-arming READABLE also re-arms PRIORITY.
        assert_eq!(blocked_bits(Interest::READABLE), R | POLLPRI);
        assert_eq!(blocked_bits(Interest::WRITABLE), W);
    }

    #[test]
    fn disarm_per_direction() {
        let all = R | W | POLLPRI;
        // Data leaves the shutdown of the reading half armed; the shutdown disarms both.
        assert_eq!(disarm(all, libc::POLLIN), W | POLLPRI | POLLRDHUP);
        assert_eq!(disarm(all, libc::POLLIN | POLLRDHUP), W | POLLPRI);
        assert_eq!(disarm(all, libc::POLLOUT), R | POLLPRI);
        assert_eq!(disarm(all, POLLPRI), R | W);
        assert_eq!(
            disarm(all, libc::POLLIN | libc::POLLOUT),
            POLLPRI | POLLRDHUP
        );
        for fatal in [
            libc::POLLHUP,
            libc::POLLERR,
            POLLNVAL,
            libc::POLLIN | libc::POLLHUP,
        ] {
            assert_eq!(disarm(all, fatal), 0);
        }
    }

    #[test]
    fn readiness_of_bits() {
        use readiness::*;
        assert!(is_readable(libc::POLLIN));
        // Priority data reads as readable too (where poll(2) has it: not on WASI).
        #[cfg(not(ferrio_no_pollpri))]
        assert!(is_readable(POLLPRI) && is_priority(POLLPRI));
        assert!(!is_readable(libc::POLLOUT) && is_writable(libc::POLLOUT));
        assert!(is_error(libc::POLLERR) && is_error(POLLNVAL));
        assert!(is_read_closed(libc::POLLHUP) && is_write_closed(libc::POLLHUP));
        // A pipe whose reading end closed reports POLLERR alone to the writer.
        assert!(is_write_closed(libc::POLLERR) && !is_read_closed(libc::POLLERR));
        assert!(is_write_closed(libc::POLLOUT | libc::POLLERR));
        assert!(!is_priority(libc::POLLIN));
        // The shut-down reading half reads as readable and read-closed, where it exists.
        assert_eq!(is_read_closed(reported(POLLRDHUP)), cfg!(ferrio_pollrdhup));
        assert_eq!(reported(libc::POLLOUT), libc::POLLOUT);
    }

    #[test]
    fn armed_records() {
        let all = libc::POLLIN | POLLPRI | libc::POLLOUT | POLLRDHUP;
        // POLLPRI (WASI) and POLLRDHUP (all but Linux and Android) may be missing: 0, no bit.
        let pri = if POLLPRI == 0 { 0 } else { 0b10 };
        let rdhup = if POLLRDHUP == 0 { 0 } else { 0b1000 };
        let n = 0b101 | pri | rdhup;
        assert_eq!(compact(all), n);
        assert_eq!(compact(libc::POLLOUT), 0b100);
        assert_eq!(compact(0), 0);
        assert_eq!(armed_record(5, libc::POLLIN), 5 << 4 | 1);
    }
}
