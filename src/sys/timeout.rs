//! The one rule for turning a `poll` timeout into the milliseconds a wait call takes
//! (`epoll_wait`, `poll`, `GetQueuedCompletionStatusEx`; kqueue takes a timespec instead).

use std::time::Duration;

/// A wait call's millisecond argument: a C `int` on Unix, a `DWORD` on Windows.
pub(crate) trait Millis: Copy + TryFrom<u64> {
    /// The value that means "wait forever": `-1` on Unix, `INFINITE` on Windows.
    const FOREVER: Self;
    /// `self` as a bound in milliseconds (a negative bound counts as 0).
    fn as_u64(self) -> u64;
}

impl Millis for i32 {
    const FOREVER: i32 = -1;
    fn as_u64(self) -> u64 {
        u64::try_from(self).unwrap_or(0)
    }
}

impl Millis for u32 {
    const FOREVER: u32 = u32::MAX;
    fn as_u64(self) -> u64 {
        u64::from(self)
    }
}

/// Converts a timeout to whole milliseconds: rounded up so that a sub-millisecond wait never
/// becomes a busy poll, `Duration::ZERO` stays 0, `None` is [`Millis::FOREVER`], and anything
/// above `max_ms` is clamped to it (never overflowing into "forever").
#[cfg_attr(ferrio_kqueue, allow(dead_code))]
pub(crate) fn timeout_ms<T: Millis>(timeout: Option<Duration>, max_ms: T) -> T {
    match timeout {
        None => T::FOREVER,
        Some(t) => {
            let ms = t
                .as_secs()
                .saturating_mul(1_000)
                .saturating_add(u64::from((t.subsec_nanos() + 999_999) / 1_000_000));
            T::try_from(ms.min(max_ms.as_u64())).unwrap_or(max_ms)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::timeout_ms;
    use std::time::Duration;

    #[test]
    fn timeouts_round_up_and_clamp() {
        assert_eq!(timeout_ms(None, i32::MAX), -1);
        assert_eq!(timeout_ms(Some(Duration::ZERO), i32::MAX), 0);
        assert_eq!(timeout_ms(Some(Duration::from_nanos(1)), i32::MAX), 1);
        assert_eq!(timeout_ms(Some(Duration::from_micros(999)), i32::MAX), 1);
        assert_eq!(timeout_ms(Some(Duration::from_millis(1)), i32::MAX), 1);
        assert_eq!(
            timeout_ms(Some(Duration::from_nanos(1_000_001)), i32::MAX),
            2
        );
        assert_eq!(timeout_ms(Some(Duration::from_secs(3)), i32::MAX), 3000);
        assert_eq!(timeout_ms(Some(Duration::MAX), i32::MAX), i32::MAX);
        assert_eq!(
            timeout_ms(Some(Duration::from_secs(30 * 86_400)), i32::MAX),
            i32::MAX
        );
        assert_eq!(
            timeout_ms(Some(Duration::from_secs(3_000)), 1_789_569),
            1_789_569
        );
    }

    #[test]
    fn dword_timeouts_never_become_infinite() {
        assert_eq!(timeout_ms(None, u32::MAX - 1), u32::MAX);
        assert_eq!(timeout_ms(Some(Duration::MAX), u32::MAX - 1), u32::MAX - 1);
        assert_eq!(
            timeout_ms(Some(Duration::from_micros(1_001)), u32::MAX - 1),
            2
        );
    }
}
