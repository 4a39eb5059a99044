//! Fault injection (issue 14, item 4): a table of (system call, OS error) cases, each run
//! through the failpoints that `--cfg ferrio_failpoints` compiles in front of ferrio's system
//! calls (`src/sys/failpoints.rs`). For every case the caller must get the error with its OS
//! code, nothing may leak (fds, heap blocks, heap bytes), the `Poll` and every other
//! registration must keep working, and no pending event of another source may be lost.
//!
//! Run with `RUSTFLAGS="--cfg ferrio_failpoints"` (and `--cfg ferrio_force_poll` for the
//! poll(2) backend): `.ci/faults` does both. Without the cfg this file is empty.
#![cfg(all(
    ferrio_failpoints,
    any(target_os = "linux", windows),
    feature = "net",
    feature = "os-ext",
    feature = "os-sources"
))]

#[cfg(unix)]
mod faults_cases;
// Windows: a table of its own, for the failpoints it has (AFD submissions, stream I/O).
#[cfg(windows)]
#[path = "faults_cases/windows.rs"]
mod faults_cases;
mod util;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicIsize, Ordering::SeqCst};

use ferrio::__failpoints as fp;

use std::io;

/// The selector backend this binary was built with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Epoll,
    Poll,
    Windows,
}

impl Backend {
    pub fn current() -> Backend {
        if cfg!(windows) {
            Backend::Windows
        } else if cfg!(ferrio_force_poll) {
            Backend::Poll
        } else {
            Backend::Epoll
        }
    }
}

/// The backends a case applies to (the calls differ: poll(2) registers without a system
/// call, epoll waits in `epoll_wait` rather than `poll`). `Both`: every backend of the
/// platform whose table the case is in.
#[derive(Debug, Clone, Copy)]
pub enum On {
    Both,
    Epoll,
    PollOnly,
}

impl On {
    pub fn includes(self, backend: Backend) -> bool {
        match self {
            On::Both => true,
            On::Epoll => backend == Backend::Epoll,
            On::PollOnly => backend == Backend::Poll,
        }
    }
}

pub struct Case {
    pub name: &'static str,
    /// The failpoint (see `ferrio::__failpoints::NAMES`).
    pub point: &'static str,
    pub errno: i32,
    pub on: On,
    pub run: fn(&Case),
}

impl Case {
    /// The next call of the case's failpoint on this thread fails.
    pub fn arm(&self) {
        self.arm_nth(1);
    }

    /// The `nth` next call fails.
    pub fn arm_nth(&self, nth: usize) {
        fp::fail(self.point, nth, self.errno);
    }

    /// The case's fault reached the caller as itself: the OS code intact, and fired.
    #[track_caller]
    pub fn check<T: std::fmt::Debug>(&self, result: io::Result<T>) {
        let err = result.expect_err("the injected error was swallowed");
        assert_eq!(err.raw_os_error(), Some(self.errno), "{err:?}");
        self.fired();
    }

    /// The case's fault fired (for faults that ferrio absorbs).
    #[track_caller]
    pub fn fired(&self) {
        assert_eq!(
            fp::armed(),
            0,
            "the failpoint {:?} was not reached",
            self.point
        );
    }
}

/// The system allocator, counting the blocks and bytes that the thread running the cases
/// keeps alive, so that each case can check that it gave back all it took. (Only that
/// thread's: the cases make no threads, and the test harness's own threads may allocate
/// meanwhile.)
struct Counting;

thread_local! {
    static COUNTED: Cell<bool> = const { Cell::new(false) };
}

/// Whether this thread's allocations are counted (false during thread teardown).
fn counted() -> bool {
    COUNTED.try_with(Cell::get).unwrap_or(false)
}

static LIVE_BLOCKS: AtomicIsize = AtomicIsize::new(0);
static LIVE_BYTES: AtomicIsize = AtomicIsize::new(0);

// SAFETY: every method hands the request unchanged to `System`, which upholds the
// `GlobalAlloc` contract; the counters are only bookkeeping on the side.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's promises about `layout` are passed on as they are.
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() && counted() {
            LIVE_BLOCKS.fetch_add(1, SeqCst);
            LIVE_BYTES.fetch_add(layout.size() as isize, SeqCst);
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was allocated by `alloc` above (so by `System`) with `layout`.
        unsafe { System.dealloc(ptr, layout) };
        if counted() {
            LIVE_BLOCKS.fetch_sub(1, SeqCst);
            LIVE_BYTES.fetch_sub(layout.size() as isize, SeqCst);
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: `ptr` was allocated by `System` with `layout`; `new_size` is the caller's.
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        if !new.is_null() && counted() {
            LIVE_BYTES.fetch_add(new_size as isize - layout.size() as isize, SeqCst);
        }
        new
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// What a case could leave behind: open fds, live heap blocks, live heap bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Footprint {
    fds: usize,
    blocks: isize,
    bytes: isize,
}

/// Open fds (Linux).
#[cfg(unix)]
fn open_handles() -> usize {
    util::open_fds()
}

/// Open handles of the process (Windows).
#[cfg(windows)]
fn open_handles() -> usize {
    use std::ffi::c_void;
    #[link(name = "kernel32")]
    extern "system" {
        fn GetCurrentProcess() -> *mut c_void;
        fn GetProcessHandleCount(process: *mut c_void, count: *mut u32) -> i32;
    }
    let mut count = 0u32;
    // SAFETY: `GetCurrentProcess` returns a pseudo-handle that needs no closing, and
    // `count` is a live, writable u32 for the call to fill.
    let ok = unsafe { GetProcessHandleCount(GetCurrentProcess(), &mut count) };
    assert_ne!(ok, 0, "GetProcessHandleCount failed");
    count as usize
}

fn footprint() -> Footprint {
    // The directory listing allocates; its blocks are freed before the counters are read.
    let fds = open_handles();
    Footprint {
        fds,
        blocks: LIVE_BLOCKS.load(SeqCst),
        bytes: LIVE_BYTES.load(SeqCst),
    }
}

/// The whole table, in one test so that the cases run one after another in one process and
/// the fd and heap counts see no other test's work. Each case runs twice: the first run may
/// fill one-time state of std (lazily made thread handles, buffers); the leak checks apply to
/// the second, the behaviour checks to both.
#[test]
fn fault_table() {
    let backend = Backend::current();
    COUNTED.with(|c| c.set(true));
    // Arming a failpoint that does not exist is refused (a typo would never fire).
    let hook = panic::take_hook();
    panic::set_hook(Box::new(|_| {}));
    let refused = panic::catch_unwind(|| fp::fail("no_such_call", 1, 5));
    panic::set_hook(hook);
    assert!(refused.is_err());
    assert_eq!(fp::armed(), 0);
    // Give the failpoints' plan list room for the plans a case arms, so that its buffer is
    // not counted as a case's allocation.
    for _ in 0..4 {
        fp::fail("socket", usize::MAX, 0);
    }
    assert_eq!(fp::clear(), 4);

    let mut failures = Vec::new();
    let mut ran = 0;
    for case in faults_cases::cases().filter(|c| c.on.includes(backend)) {
        assert!(
            fp::NAMES.contains(&case.point),
            "{}: unknown failpoint",
            case.name
        );
        for round in 0..2 {
            let before = footprint();
            let result = panic::catch_unwind(AssertUnwindSafe(|| (case.run)(case)));
            let unfired = fp::clear();
            let after = footprint();
            let problem = match result {
                Err(_) => Some("panicked (see above)".to_string()),
                Ok(()) if unfired != 0 => Some("the failpoint never fired".to_string()),
                Ok(()) if round == 1 && after != before => {
                    Some(format!("leaked: before {before:?}, after {after:?}"))
                }
                Ok(()) => None,
            };
            if let Some(problem) = problem {
                failures.push(format!("{} (round {round}): {problem}", case.name));
                break;
            }
        }
        ran += 1;
    }
    println!("{ran} fault cases on the {backend:?} backend");
    let minimum = if backend == Backend::Windows { 4 } else { 30 };
    assert!(ran >= minimum, "only {ran} cases ran on {backend:?}");
    assert!(
        failures.is_empty(),
        "failed cases:\n{}",
        failures.join("\n")
    );
}
