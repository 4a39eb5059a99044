//! A per-thread count of system calls: a perf counter on the `raw_syscalls:sys_enter`
//! tracepoint, opened for the calling thread only and enabled just for the measured window.
//!
//! libc has `SYS_perf_event_open` but not `struct perf_event_attr` nor the ioctl numbers, so the
//! first 64 bytes of the attribute (`PERF_ATTR_SIZE_VER0`, which every kernel accepts) and the
//! three ioctls are declared here.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

/// `struct perf_event_attr` up to `PERF_ATTR_SIZE_VER0` (64 bytes).
#[repr(C)]
#[derive(Default)]
struct PerfEventAttr {
    type_: u32,
    size: u32,
    config: u64,
    sample_period: u64,
    sample_type: u64,
    read_format: u64,
    /// Bit 0: disabled; the other bits (inherit, exclude_*, ...) stay 0.
    flags: u64,
    wakeup_events: u32,
    bp_type: u32,
    config1: u64,
}

const PERF_TYPE_TRACEPOINT: u32 = 2;
const PERF_ATTR_SIZE_VER0: u32 = 64;
const FLAG_DISABLED: u64 = 1;
const PERF_FLAG_FD_CLOEXEC: libc::c_ulong = 8;
// _IO('$', 0), _IO('$', 1), _IO('$', 3)
const PERF_EVENT_IOC_ENABLE: libc::c_ulong = 0x2400;
const PERF_EVENT_IOC_DISABLE: libc::c_ulong = 0x2401;
const PERF_EVENT_IOC_RESET: libc::c_ulong = 0x2403;

/// The tracepoint id of `raw_syscalls:sys_enter`, if tracefs shows it.
pub fn sys_enter_id() -> Option<u64> {
    ["/sys/kernel/tracing", "/sys/kernel/debug/tracing"]
        .iter()
        .find_map(|root| {
            let text =
                std::fs::read_to_string(format!("{root}/events/raw_syscalls/sys_enter/id")).ok()?;
            text.trim().parse().ok()
        })
}

/// A disabled counter of the calling thread's system calls.
pub struct SyscallCounter {
    fd: OwnedFd,
}

impl SyscallCounter {
    pub fn open(tracepoint: u64) -> io::Result<SyscallCounter> {
        let attr = PerfEventAttr {
            type_: PERF_TYPE_TRACEPOINT,
            size: PERF_ATTR_SIZE_VER0,
            config: tracepoint,
            flags: FLAG_DISABLED,
            ..PerfEventAttr::default()
        };
        // SAFETY: `attr` is a live perf_event_attr of the size it declares; pid 0 / cpu -1
        // means "this thread, any CPU"; no group fd.
        let fd = unsafe {
            libc::syscall(
                libc::SYS_perf_event_open,
                &attr as *const PerfEventAttr,
                0 as libc::pid_t,
                -1 as libc::c_int,
                -1 as libc::c_int,
                PERF_FLAG_FD_CLOEXEC,
            )
        };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: a non-negative return is a new fd that nobody else owns.
        Ok(SyscallCounter {
            fd: unsafe { OwnedFd::from_raw_fd(fd as libc::c_int) },
        })
    }

    fn ioctl(&self, request: libc::c_ulong) {
        // SAFETY: a perf ioctl without a pointer argument on a perf fd we own.
        unsafe { libc::ioctl(self.fd.as_raw_fd(), request as _, 0) };
    }

    pub fn enable(&self) {
        self.ioctl(PERF_EVENT_IOC_ENABLE);
    }

    pub fn disable(&self) {
        self.ioctl(PERF_EVENT_IOC_DISABLE);
    }

    pub fn reset(&self) {
        self.ioctl(PERF_EVENT_IOC_RESET);
    }

    pub fn read(&self) -> u64 {
        let mut value = 0u64;
        // SAFETY: reads at most 8 bytes into a live u64.
        let n = unsafe { libc::read(self.fd.as_raw_fd(), (&mut value as *mut u64).cast(), 8) };
        if n == 8 {
            value
        } else {
            0
        }
    }
}

/// Whether perf counting works here (tracefs readable and perf_event_open permitted).
pub fn probe() -> Option<u64> {
    let id = sys_enter_id()?;
    SyscallCounter::open(id).ok().map(|_| id)
}
