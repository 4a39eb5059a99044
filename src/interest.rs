use std::num::NonZeroU8;
use std::{fmt, ops};

/// The kinds of readiness a caller wants to hear about for a source.
///
/// Interests combine with `|` (or [`Interest::add`]); [`Interest::remove`] takes one away and
/// returns `None` when nothing would be left, because a registration always wants something.
///
/// [`READABLE`](Interest::READABLE) and [`WRITABLE`](Interest::WRITABLE) exist everywhere.
/// `PRIORITY`, `AIO` and `LIO` exist only on the systems that have them
/// (see each constant); the `is_*` methods exist everywhere and return false for a kind the
/// system does not have.
///
/// ```
/// use ferrio::Interest;
///
/// let both = Interest::READABLE | Interest::WRITABLE;
/// assert!(both.is_readable() && both.is_writable());
/// assert_eq!(both.remove(Interest::WRITABLE), Some(Interest::READABLE));
/// assert_eq!(Interest::READABLE.remove(Interest::READABLE), None);
/// assert_eq!(format!("{:?}", both), "READABLE | WRITABLE");
/// ```
#[derive(Copy, PartialEq, Eq, Clone, PartialOrd, Ord)]
pub struct Interest(NonZeroU8);

const READABLE: u8 = 0b0_0001;
const WRITABLE: u8 = 0b0_0010;
const AIO: u8 = 0b0_0100;
const LIO: u8 = 0b0_1000;
const PRIORITY: u8 = 0b1_0000;

/// Builds a constant from a bit pattern that is known to be non-zero.
const fn from_bits(bits: u8) -> Interest {
    match NonZeroU8::new(bits) {
        Some(bits) => Interest(bits),
        None => panic!("an interest is never empty"),
    }
}

/// Defines the `is_*` queries, one per kind: whether `self` has that kind's bit.
macro_rules! is_methods {
    ($($(#[$doc:meta])* $name:ident => $bit:ident;)*) => {$(
        $(#[$doc])*
        #[must_use]
        pub const fn $name(self) -> bool {
            self.0.get() & $bit != 0
        }
    )*};
}

impl Interest {
    /// Readiness to read: data, a new connection, end of stream or an error.
    pub const READABLE: Interest = from_bits(READABLE);

    /// Readiness to write: room in the send buffer, a finished connect, or an error.
    pub const WRITABLE: Interest = from_bits(WRITABLE);

    fact_gated! { ferrio_aio:
        /// Completion of POSIX asynchronous I/O (`EVFILT_AIO`).
        ///
        /// Exists only on DragonFly, FreeBSD and Apple's systems, the kqueue systems that
        /// report AIO completions; elsewhere, code that names it needs a `#[cfg]`.
        pub const AIO: Interest = from_bits(AIO);
    }

    fact_gated! { ferrio_lio:
        /// Completion of a `lio_listio` batch (`EVFILT_LIO`).
        ///
        /// Exists only on FreeBSD; elsewhere, code that names it needs a `#[cfg]`.
        pub const LIO: Interest = from_bits(LIO);
    }

    fact_gated! { ferrio_priority:
        /// Priority data, such as TCP out-of-band data (`EPOLLPRI`, or `POLLPRI` on the poll(2)
        /// backend).
        ///
        /// Exists only on Linux and Android; elsewhere, code that names it needs a `#[cfg]`.
        /// Priority data is also reported as readable.
        pub const PRIORITY: Interest = from_bits(PRIORITY);
    }

    /// Both interests together; the same as `self | other`, usable in constants.
    #[allow(clippy::should_implement_trait)]
    #[must_use]
    pub const fn add(self, other: Interest) -> Interest {
        from_bits(self.0.get() | other.0.get())
    }

    /// `self` without the kinds in `other`, or `None` if nothing is left.
    #[must_use]
    pub fn remove(self, other: Interest) -> Option<Interest> {
        NonZeroU8::new(self.0.get() & !other.0.get()).map(Interest)
    }

    is_methods! {
        /// Whether readable readiness is wanted.
        is_readable => READABLE;
        /// Whether writable readiness is wanted.
        is_writable => WRITABLE;
        /// Whether AIO completion is wanted (always false where `AIO` does not exist).
        is_aio => AIO;
        /// Whether LIO completion is wanted (always false where `LIO` does not exist).
        is_lio => LIO;
        /// Whether priority readiness is wanted (always false where `PRIORITY` does not exist).
        is_priority => PRIORITY;
    }
}

impl ops::BitOr for Interest {
    type Output = Self;

    #[inline]
    fn bitor(self, other: Self) -> Self {
        self.add(other)
    }
}

impl ops::BitOrAssign for Interest {
    #[inline]
    fn bitor_assign(&mut self, other: Self) {
        *self = self.add(other);
    }
}

impl fmt::Debug for Interest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: [(bool, &str); 5] = [
            (self.is_readable(), "READABLE"),
            (self.is_writable(), "WRITABLE"),
            (cfg!(ferrio_aio) && self.is_aio(), "AIO"),
            (cfg!(ferrio_lio) && self.is_lio(), "LIO"),
            (cfg!(ferrio_priority) && self.is_priority(), "PRIORITY"),
        ];
        let mut first = true;
        for (_, name) in names.iter().filter(|(set, _)| *set) {
            if !first {
                f.write_str(" | ")?;
            }
            f.write_str(name)?;
            first = false;
        }
        Ok(())
    }
}
