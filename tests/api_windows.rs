//! The Windows-only public surface, named item by item so that any drift from the API contract
//! (mio 1.x) fails to compile: `windows::NamedPipe` (feature `os-ext`). The `net` types, with
//! their socket handle traits on Windows, are checked by `net_api.rs` on every platform.
#![cfg(all(windows, feature = "net", feature = "os-ext"))]
// The crate's unsafe rules (see src/lib.rs) hold in the tests too.
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(
    clippy::undocumented_unsafe_blocks,
    clippy::multiple_unsafe_ops_per_block
)]

mod util;

use std::fmt::Debug;
use std::io::{self, Read, Write};

use ferrio::event::Source;

fn is_read<T: Read>() {}
fn is_write<T: Write>() {}
fn is_source<T: Source>() {}
fn is_debug<T: Debug>() {}

#[test]
fn named_pipe_surface() {
    use std::ffi::OsStr;
    use std::os::windows::io::{AsRawHandle, FromRawHandle, RawHandle};

    use ferrio::windows::NamedPipe;

    let _: fn(&'static str) -> io::Result<NamedPipe> = NamedPipe::new::<&str>;
    let _: fn(&'static OsStr) -> io::Result<NamedPipe> = NamedPipe::new::<&OsStr>;
    let _: fn(String) -> io::Result<NamedPipe> = NamedPipe::new::<String>;
    let _: fn(&NamedPipe) -> io::Result<()> = NamedPipe::connect;
    let _: fn(&NamedPipe) -> io::Result<()> = NamedPipe::disconnect;
    let _: fn(&NamedPipe) -> io::Result<Option<io::Error>> = NamedPipe::take_error;
    let _: unsafe fn(RawHandle) -> NamedPipe = NamedPipe::from_raw_handle;
    let _: fn(&NamedPipe) -> RawHandle = NamedPipe::as_raw_handle;

    is_read::<NamedPipe>();
    is_write::<NamedPipe>();
    is_read::<&NamedPipe>();
    is_write::<&NamedPipe>();
    is_source::<NamedPipe>();
    is_debug::<NamedPipe>();
    util::assert_send_sync::<NamedPipe>();

    // And the items work as named: a fresh server end is not connected yet.
    let name = format!(r"\\.\pipe\ferrio-api-windows-{}", std::process::id());
    let pipe = NamedPipe::new(&name).unwrap();
    assert!(pipe.take_error().unwrap().is_none());
    assert!(!pipe.as_raw_handle().is_null());
    assert_eq!(
        (&pipe).read(&mut [0; 8]).unwrap_err().kind(),
        io::ErrorKind::WouldBlock,
        "I/O on an unregistered pipe would block"
    );
}
