//! What a measured thread counts between `start` and `stop`: CPU time (of the thread, as
//! getrusage(RUSAGE_THREAD) counts it), allocations (a counting global allocator, this thread only) and system calls (a
//! per-thread perf tracepoint counter, or markers that a strace run finds in its trace).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::io;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use crate::perf::SyscallCounter;

/// The global allocator of the bench binary: the system allocator, counting the allocations
/// (alloc, alloc_zeroed, realloc) of a thread while that thread's meter runs.
pub struct CountingAlloc;

thread_local! {
    static COUNTING: Cell<bool> = const { Cell::new(false) };
    static ALLOCS: Cell<u64> = const { Cell::new(0) };
}

fn note_alloc() {
    // `try_with`: an allocation during thread teardown must not panic. The thread-locals are
    // const-initialised and have no destructor, so touching them never allocates.
    let _ = COUNTING.try_with(|on| {
        if on.get() {
            ALLOCS.with(|n| n.set(n.get() + 1));
        }
    });
}

// SAFETY: every method forwards to `System` with the caller's arguments unchanged; counting
// touches only thread-locals that never allocate.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note_alloc();
        System.alloc(layout)
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note_alloc();
        System.alloc_zeroed(layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note_alloc();
        System.realloc(ptr, layout, new_size)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }
}

/// How system calls are counted in this process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyscallMode {
    /// Not counted.
    Off,
    /// A perf counter on the `raw_syscalls:sys_enter` tracepoint (its id), per thread.
    Perf(u64),
    /// This process runs under `strace -ff`: meters emit marker calls that the parent finds.
    StraceMarkers,
}

static MODE: OnceLock<SyscallMode> = OnceLock::new();
/// System calls a perf window counts when nothing runs in it (the disabling ioctl).
static PERF_OVERHEAD: OnceLock<u64> = OnceLock::new();

/// Sets the process-wide counting mode (once, before any meter is made).
pub fn set_mode(mode: SyscallMode) {
    let _ = MODE.set(mode);
    if let SyscallMode::Perf(_) = mode {
        let overhead = ThreadMeter::new()
            .ok()
            .and_then(|mut m| {
                m.start();
                m.stop().syscalls
            })
            .unwrap_or(0);
        let _ = PERF_OVERHEAD.set(overhead);
    }
}

pub fn mode() -> SyscallMode {
    MODE.get().copied().unwrap_or(SyscallMode::Off)
}

/// The marker strings of strace mode (a failing `write(-1, MARKER, len)` shows in the trace).
pub const START_MARKER: &[u8] = b"ferrio-bench-start";
pub const STOP_MARKER: &[u8] = b"ferrio-bench-stop";

fn marker(text: &[u8]) {
    // SAFETY: writes `text.len()` bytes from a live slice to fd -1, which fails with EBADF
    // without touching anything; only strace sees the call.
    unsafe { libc::write(-1, text.as_ptr().cast(), text.len()) };
}

/// What one thread did in its measured window.
#[derive(Debug, Clone, Copy, Default)]
pub struct ThreadStats {
    pub cpu: Duration,
    pub wall: Duration,
    /// `None` when system calls are not counted in this process.
    pub syscalls: Option<u64>,
    pub allocs: u64,
}

/// A measuring handle owned by one thread: make it in the thread during setup (that opens the
/// perf counter), `start` it where the measured work begins and `stop` it where it ends.
pub struct ThreadMeter {
    counter: Option<SyscallCounter>,
    cpu0: Duration,
    wall0: Option<Instant>,
    allocs0: u64,
}

/// The CPU time the calling thread has used (user + system): the quantity
/// `getrusage(RUSAGE_THREAD)` reports, read through `CLOCK_THREAD_CPUTIME_ID` because that
/// clock includes the time since the thread's last scheduler tick (getrusage of a running
/// thread only advances at ticks, too coarse for short windows).
pub fn thread_cpu() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a live, writable timespec.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

impl ThreadMeter {
    pub fn new() -> io::Result<ThreadMeter> {
        let counter = match mode() {
            SyscallMode::Perf(id) => Some(SyscallCounter::open(id)?),
            _ => None,
        };
        Ok(ThreadMeter {
            counter,
            cpu0: Duration::ZERO,
            wall0: None,
            allocs0: 0,
        })
    }

    /// Begins the window. The perf counter is enabled last, so nothing here is counted.
    pub fn start(&mut self) {
        self.cpu0 = thread_cpu();
        self.allocs0 = ALLOCS.with(Cell::get);
        COUNTING.with(|c| c.set(true));
        self.wall0 = Some(Instant::now());
        if mode() == SyscallMode::StraceMarkers {
            marker(START_MARKER);
        }
        if let Some(c) = &self.counter {
            c.enable();
        }
    }

    /// Ends the window (the perf counter is disabled first).
    pub fn stop(&mut self) -> ThreadStats {
        let syscalls = self.counter.as_ref().map(|c| {
            c.disable();
            c.read()
                .saturating_sub(PERF_OVERHEAD.get().copied().unwrap_or(0))
        });
        if mode() == SyscallMode::StraceMarkers {
            marker(STOP_MARKER);
        }
        let wall = self.wall0.map(|t| t.elapsed()).unwrap_or_default();
        COUNTING.with(|c| c.set(false));
        let allocs = ALLOCS.with(Cell::get) - self.allocs0;
        let cpu = thread_cpu().saturating_sub(self.cpu0);
        if let Some(c) = &self.counter {
            c.reset();
        }
        ThreadStats {
            cpu,
            wall,
            syscalls,
            allocs,
        }
    }
}

/// One run of one workload on one variant.
#[derive(Debug, Clone, Default)]
pub struct Sample {
    /// Operations completed in the window.
    pub ops: u64,
    /// The thread whose CPU time is reported as "server CPU" (the event loop under test).
    pub server: ThreadStats,
    /// Other threads that ran the library under test (their calls and allocations count).
    pub others: Vec<ThreadStats>,
    /// Syscalls counted by a strace parent (filled in there), by name.
    pub strace: Option<Vec<(String, u64)>>,
}

impl Sample {
    pub fn new(ops: u64, server: ThreadStats) -> Sample {
        Sample {
            ops,
            server,
            others: Vec::new(),
            strace: None,
        }
    }

    pub fn with_others(mut self, others: Vec<ThreadStats>) -> Sample {
        self.others = others;
        self
    }

    fn all(&self) -> impl Iterator<Item = &ThreadStats> {
        std::iter::once(&self.server).chain(self.others.iter())
    }

    pub fn syscalls(&self) -> Option<u64> {
        if let Some(by_name) = &self.strace {
            return Some(by_name.iter().map(|(_, n)| n).sum());
        }
        self.all().map(|t| t.syscalls).sum()
    }

    pub fn allocs(&self) -> u64 {
        self.all().map(|t| t.allocs).sum()
    }

    /// The longest window of the measured threads: the time the operations took.
    pub fn wall(&self) -> Duration {
        self.all().map(|t| t.wall).max().unwrap_or_default()
    }

    pub fn total_cpu(&self) -> Duration {
        self.all().map(|t| t.cpu).sum()
    }
}
