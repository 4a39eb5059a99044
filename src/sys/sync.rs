//! The synchronisation primitives of ferrio's cross-thread protocols: `std`'s, or loom's when
//! the crate is built with `RUSTFLAGS="--cfg loom"` for the models (`.ci/loom` runs them).
//!
//! Only the protocol code takes its types from here: the epoll Waker's coalescing
//! (`unix/epoll/`), the poll(2) backend's handshake between modifiers and the poller
//! (`unix/poll/`), and the Windows selector's update queue and per-socket states
//! (`windows/queue.rs`). Under loom they run unchanged against loom's types, which explore
//! their interleavings; everything else keeps `std`'s. A loom build is for the models only:
//! outside `loom::model` its types panic. (loom is a dev-dependency, so only the unit-test build
//! of the library takes loom's types; any other build with `--cfg loom` keeps `std`'s.)

#[cfg(not(all(loom, test)))]
#[allow(unused_imports)]
pub(crate) use std::sync::{
    atomic::{fence, AtomicBool, AtomicUsize},
    Arc, Condvar, Mutex, MutexGuard,
};
#[cfg(not(all(loom, test)))]
#[allow(unused_imports)]
pub(crate) use std::thread::yield_now;

#[cfg(all(loom, test))]
#[allow(unused_imports)]
pub(crate) use loom::sync::{
    atomic::{fence, AtomicBool, AtomicUsize},
    Arc, Condvar, Mutex, MutexGuard,
};
#[cfg(all(loom, test))]
#[allow(unused_imports)]
pub(crate) use loom::thread::yield_now;

/// Runs the loom model `f` in every interleaving loom explores with at most `preemptions`
/// preemptions per execution (`LOOM_MAX_PREEMPTIONS` overrides it), and prints how many
/// executions that was (run the tests with `--nocapture` to see it).
#[cfg(all(loom, test))]
pub(crate) fn check_model(name: &str, preemptions: usize, f: impl Fn() + Sync + Send + 'static) {
    use std::sync::atomic::{AtomicUsize as Count, Ordering::Relaxed};

    let mut builder = loom::model::Builder::new();
    if std::env::var_os("LOOM_MAX_PREEMPTIONS").is_none() {
        builder.preemption_bound = Some(preemptions);
    }
    let bound = builder.preemption_bound;
    let runs = std::sync::Arc::new(Count::new(0));
    let counter = std::sync::Arc::clone(&runs);
    let start = std::time::Instant::now();
    builder.check(move || {
        counter.fetch_add(1, Relaxed);
        f();
    });
    println!(
        "loom model {name}: {} interleavings, preemption bound {}, {:.1?}",
        runs.load(Relaxed),
        bound.map_or_else(|| "none".to_string(), |b| b.to_string()),
        start.elapsed()
    );
}
