//! A 64-bit atomic counter on every target.
//!
//! The epoll Waker's generation and the poll(2) backend's epoch must never wrap: a counter that
//! came back to an old value would make a `wake` or a re-arm believe nothing had changed, and
//! skip its system call. Where the target has 64-bit atomics this is `std`'s `AtomicU64`.
//! Where it has not (32-bit ARM before ARMv6K, such as `arm-linux-androideabi`, 32-bit MIPS
//! and PowerPC), a mutex-guarded `u64` with the same methods stands in: slower, but every
//! access is then ordered by the lock, which is at least as strong as the orderings the
//! callers ask for.

#[cfg(all(target_has_atomic = "64", not(all(loom, test))))]
pub(crate) use std::sync::atomic::AtomicU64;
// The loom models (see `crate::sys::sync`).
#[cfg(all(loom, test))]
pub(crate) use loom::sync::atomic::AtomicU64;

#[cfg(all(not(target_has_atomic = "64"), not(all(loom, test))))]
pub(crate) use self::locked::AtomicU64;

// Compiled for the unit tests on every target, so the stand-in is run, not only type-checked
// (except on WASI, where the test's threads cannot run: `ferrio_no_waker`).
#[cfg(any(not(target_has_atomic = "64"), all(test, not(ferrio_no_waker))))]
mod locked {
    use std::sync::atomic::Ordering;
    use std::sync::{Mutex, MutexGuard};

    /// `AtomicU64`'s `new`, `load`, `store` and `fetch_add`, over a mutex.
    #[derive(Debug)]
    pub(crate) struct AtomicU64(Mutex<u64>);

    impl AtomicU64 {
        pub(crate) const fn new(value: u64) -> AtomicU64 {
            AtomicU64(Mutex::new(value))
        }

        pub(crate) fn load(&self, _: Ordering) -> u64 {
            *self.lock()
        }

        pub(crate) fn store(&self, value: u64, _: Ordering) {
            *self.lock() = value;
        }

        pub(crate) fn fetch_add(&self, value: u64, _: Ordering) -> u64 {
            let mut guard = self.lock();
            let old = *guard;
            *guard = old.wrapping_add(value);
            old
        }

        fn lock(&self) -> MutexGuard<'_, u64> {
            // The value is a plain integer, valid whatever a panicking holder left.
            self.0.lock().unwrap_or_else(|e| e.into_inner())
        }
    }
}

#[cfg(all(test, not(ferrio_no_waker)))]
mod tests {
    use std::sync::atomic::Ordering::SeqCst;
    use std::sync::Arc;
    use std::thread;

    use super::locked::AtomicU64 as Locked;

    #[test]
    fn the_stand_in_counts_past_32_bits_across_threads() {
        let counter = Arc::new(Locked::new(u64::from(u32::MAX) - 1000));
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let counter = Arc::clone(&counter);
                thread::spawn(move || {
                    for _ in 0..1000 {
                        counter.fetch_add(1, SeqCst);
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(counter.load(SeqCst), u64::from(u32::MAX) + 3000);
        counter.store(u64::MAX, SeqCst);
        assert_eq!(counter.fetch_add(1, SeqCst), u64::MAX);
        assert_eq!(counter.load(SeqCst), 0);
    }
}
