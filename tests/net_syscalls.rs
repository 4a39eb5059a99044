//! System calls per socket operation, measured with strace.
//!
//! How: `syscall_counts_under_strace` runs this test binary again, filtered to the test
//! `strace_child_mode`, under
//! `strace -f -e trace=network,read,write,readv,writev,fcntl,ioctl,close`.
//! In that child each operation is bracketed by two marker writes to fd -1 (they fail with
//! EBADF and change nothing, but show up in the trace), and the parent counts the calls
//! between each pair of markers. Waiting for readiness happens outside the markers, so
//! epoll/poll calls (not traced anyway) and a backend's notifier traffic never count.
//!
//! Measured on Linux (x86_64 and i686 glibc, x86_64 musl), on both the epoll and the poll(2)
//! backend (i686's `send` and `recv` system calls count as `sendto` and `recvfrom`):
//!
//! | operation                      | system calls                                   |
//! |--------------------------------|------------------------------------------------|
//! | `TcpListener::bind`            | socket, setsockopt(SO_REUSEADDR), bind, listen |
//! | `TcpStream::connect`           | socket, connect                                |
//! | `TcpListener::accept`          | accept4                                        |
//! | `read` / `peek`                | recvfrom (glibc's `recv`)                      |
//! | `write`                        | sendto (glibc's `send`, with MSG_NOSIGNAL)     |
//! | `read_vectored`                | recvmsg                                        |
//! | `write_vectored`               | sendmsg (with MSG_NOSIGNAL)                    |
//! | `UdpSocket::bind`              | socket, bind                                   |
//! | `UdpSocket::send_to`/`recv_from` | sendto / recvfrom                            |
//! | `UdpBatch::new` (IPv4)         | getsockname, setsockopt ×2 (packet info, TOS), getsockopt (GSO), setsockopt (GRO) |
//! | `UdpBatch::without_metadata` (IPv4) | getsockname, getsockopt (GSO), setsockopt (GRO) |
//! | `send_batch` (10 transmits, a train among them) | sendmmsg (64-bit musl too\*) |
//! | `recv_batch` (the 10 waiting, 16 buffers) | recvmmsg                            |
//! | `UnixStream::pair`             | socketpair                                     |
//! | `UnixListener::bind`           | socket, bind, listen                           |
//! | `UnixStream::connect`          | socket, connect                                |
//! | `UnixListener::accept`         | accept4                                        |
//! | `local_addr`, `set_nodelay`    | getsockname, setsockopt                        |
//! | `TcpStream::bind_connect`      | socket, setsockopt(IP_BIND_ADDRESS_NO_PORT) if port 0, bind, connect |
//! | `TcpSocket::new_v4`, `listen`  | socket; listen                                 |
//!
//! \* musl's own `sendmmsg` is a loop of `sendmsg` on 64-bit systems; ferrio makes the system
//! call itself there (`ferrio_sendmmsg_syscall`), and this test holds it to one call.
//!
//! The same trace checks that `TcpListener::bind` and `UnixListener::bind` pass `listen` the
//! backlog that std's listeners pass.
//!
//! Without strace on PATH (or where ptrace is not allowed) the test prints a note and passes.
#![cfg(all(target_os = "linux", feature = "net", feature = "os-poll"))]

mod net_common;
mod util;

use std::collections::BTreeMap;
use std::io::{IoSlice, IoSliceMut, Read, Write};
use std::process::Command;

use ferrio::net::{
    RecvMeta, TcpListener, TcpSocket, TcpStream, Transmit, UdpBatch, UdpSocket, UnixListener,
    UnixStream,
};
use ferrio::{Events, Interest, Poll, Token};
use net_common::any_local;
use util::{expect_events, Expect};

const CHILD_ENV: &str = "FERRIO_STRACE_CHILD";
const MARK: &str = "FERRIO_MARK ";

/// What each bracketed operation must cost.
const EXPECTED: &[(&str, &[&str])] = &[
    ("tcp_bind", &["socket", "setsockopt", "bind", "listen"]),
    ("tcp_connect", &["socket", "connect"]),
    ("tcp_accept", &["accept4"]),
    ("tcp_write", &["sendto"]),
    ("tcp_peek", &["recvfrom"]),
    ("tcp_read", &["recvfrom"]),
    ("tcp_write_vectored", &["sendmsg"]),
    ("tcp_read_vectored", &["recvmsg"]),
    ("tcp_local_addr", &["getsockname"]),
    ("tcp_set_nodelay", &["setsockopt"]),
    (
        "tcp_bind_connect",
        &["socket", "setsockopt", "bind", "connect"],
    ),
    ("tcp_bind_connect_port", &["socket", "bind", "connect"]),
    ("tcp_socket_new", &["socket"]),
    ("tcp_socket_listen", &["listen"]),
    ("udp_bind", &["socket", "bind"]),
    ("udp_send_to", &["sendto"]),
    ("udp_recv_from", &["recvfrom"]),
    (
        "udp_batch_new",
        &[
            "getsockname",
            "setsockopt",
            "setsockopt",
            "getsockopt",
            "setsockopt",
        ],
    ),
    (
        "udp_batch_without_metadata",
        &["getsockname", "getsockopt", "setsockopt"],
    ),
    ("udp_send_batch", &["sendmmsg"]),
    ("udp_recv_batch", &["recvmmsg"]),
    ("unix_pair", &["socketpair"]),
    ("unix_bind", &["socket", "bind", "listen"]),
    ("unix_connect", &["socket", "connect"]),
    ("unix_accept", &["accept4"]),
];

/// Writes a marker that strace records: a write to fd -1 fails with EBADF and does nothing.
fn mark(name: &str) {
    let text = format!("{MARK}{name}");
    // SAFETY: a write from a live buffer; fd -1 is never valid, so nothing is written.
    let _ = unsafe { libc::write(-1, text.as_ptr().cast(), text.len()) };
}

/// Runs `f` between a start marker named `name` and an end marker.
fn measured<T>(name: &str, f: impl FnOnce() -> T) -> T {
    mark(name);
    let out = f();
    mark("end");
    out
}

/// The child half: does each operation once between markers. Does nothing in a normal run.
#[test]
fn strace_child_mode() {
    if std::env::var_os(CHILD_ENV).is_none() {
        return;
    }
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(16);

    let mut listener = measured("tcp_bind", || TcpListener::bind(any_local()).unwrap());
    let _std_listener = measured("std_tcp_bind", || {
        std::net::TcpListener::bind(any_local()).unwrap()
    });
    let addr = listener.local_addr().unwrap();
    poll.registry()
        .register(&mut listener, Token(0), Interest::READABLE)
        .unwrap();
    let mut client = measured("tcp_connect", || TcpStream::connect(addr).unwrap());
    poll.registry()
        .register(&mut client, Token(1), Interest::WRITABLE)
        .unwrap();
    let ready = [
        Expect::new(Token(0), Interest::READABLE),
        Expect::new(Token(1), Interest::WRITABLE),
    ];
    expect_events(&mut poll, &mut events, &ready);
    let (mut server, _) = measured("tcp_accept", || listener.accept().unwrap());
    poll.registry()
        .register(&mut server, Token(2), Interest::READABLE)
        .unwrap();

    assert_eq!(measured("tcp_write", || client.write(b"abcd").unwrap()), 4);
    expect_events(
        &mut poll,
        &mut events,
        &[Expect::new(Token(2), Interest::READABLE)],
    );
    let mut buf = [0; 4];
    assert_eq!(measured("tcp_peek", || server.peek(&mut buf).unwrap()), 4);
    assert_eq!(measured("tcp_read", || server.read(&mut buf).unwrap()), 4);
    let n = measured("tcp_write_vectored", || {
        client
            .write_vectored(&[IoSlice::new(b"ab"), IoSlice::new(b"cd")])
            .unwrap()
    });
    assert_eq!(n, 4);
    util::until_ready(&mut poll, &mut events, || server.peek(&mut buf)).unwrap();
    let (mut x, mut y) = ([0; 2], [0; 2]);
    let n = measured("tcp_read_vectored", || {
        server
            .read_vectored(&mut [IoSliceMut::new(&mut x), IoSliceMut::new(&mut y)])
            .unwrap()
    });
    assert_eq!(n, 4);
    measured("tcp_local_addr", || server.local_addr().unwrap());
    measured("tcp_set_nodelay", || server.set_nodelay(true).unwrap());
    let local = "127.0.0.1:0".parse().unwrap();
    measured("tcp_bind_connect", || {
        TcpStream::bind_connect(local, addr).unwrap()
    });
    // A port that was free a moment ago, on an address no other test binds.
    let port = TcpListener::bind("127.0.0.6:0".parse().unwrap())
        .unwrap()
        .local_addr()
        .unwrap();
    measured("tcp_bind_connect_port", || {
        TcpStream::bind_connect(port, addr).unwrap()
    });
    let socket = measured("tcp_socket_new", || TcpSocket::new_v4().unwrap());
    measured("tcp_socket_listen", || socket.listen(1024).unwrap());

    let udp = measured("udp_bind", || UdpSocket::bind(any_local()).unwrap());
    let mut udp_rx = UdpSocket::bind(any_local()).unwrap();
    poll.registry()
        .register(&mut udp_rx, Token(3), Interest::READABLE)
        .unwrap();
    let to = udp_rx.local_addr().unwrap();
    measured("udp_send_to", || udp.send_to(b"u", to).unwrap());
    expect_events(
        &mut poll,
        &mut events,
        &[Expect::new(Token(3), Interest::READABLE)],
    );
    measured("udp_recv_from", || udp_rx.recv_from(&mut buf).unwrap());

    // Drained to `WouldBlock` (outside the markers), so that every backend reports the next
    // datagram.
    let drained = udp_rx.recv_from(&mut buf).unwrap_err();
    assert!(net_common::would_block(&drained), "{drained:?}");
    let tx_state = measured("udp_batch_new", || UdpBatch::new(&udp).unwrap());
    let bare = measured("udp_batch_without_metadata", || {
        UdpBatch::without_metadata(&udp).unwrap()
    });
    assert!(!bare.carries_metadata());
    let rx_state = UdpBatch::new(&udp_rx).unwrap();
    let train = [7u8; 3000];
    let mut transmits = vec![Transmit::new(to, b"b"); 9];
    transmits.push(Transmit {
        segment_size: Some(1000),
        ..Transmit::new(to, &train)
    });
    let sent = measured("udp_send_batch", || {
        udp.send_batch(&tx_state, &transmits).unwrap()
    });
    assert_eq!(sent, 10);
    expect_events(
        &mut poll,
        &mut events,
        &[Expect::new(Token(3), Interest::READABLE)],
    );
    let mut bufs = vec![[0u8; 4096]; 16];
    let mut slices: Vec<IoSliceMut<'_>> = bufs.iter_mut().map(|b| IoSliceMut::new(b)).collect();
    let mut meta = [RecvMeta::default(); 16];
    let n = measured("udp_recv_batch", || {
        udp_rx
            .recv_batch(&rx_state, &mut slices, &mut meta)
            .unwrap()
    });
    let datagrams: usize = meta[..n]
        .iter()
        .map(|m| (m.len + m.stride - 1) / m.stride)
        .sum();
    assert_eq!(datagrams, 12);

    let _pair = measured("unix_pair", || UnixStream::pair().unwrap());
    let dir = net_common::temp_dir("strace");
    let path = dir.join("s.sock");
    let mut ulistener = measured("unix_bind", || UnixListener::bind(&path).unwrap());
    let _std_ulistener = measured("std_unix_bind", || {
        std::os::unix::net::UnixListener::bind(dir.join("std.sock")).unwrap()
    });
    poll.registry()
        .register(&mut ulistener, Token(4), Interest::READABLE)
        .unwrap();
    let _uclient = measured("unix_connect", || UnixStream::connect(&path).unwrap());
    expect_events(
        &mut poll,
        &mut events,
        &[Expect::new(Token(4), Interest::READABLE)],
    );
    measured("unix_accept", || ulistener.accept().unwrap());
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The syscall name of one strace line (after an optional pid), if it is a call.
fn syscall_name(line: &str) -> Option<&str> {
    let line = line.trim_start();
    let line = match line.split_once(' ') {
        Some((pid, rest)) if pid.bytes().all(|b| b.is_ascii_digit()) => rest.trim_start(),
        _ => line,
    };
    if line.starts_with("<...") || line.starts_with("+++") || line.starts_with("---") {
        return None;
    }
    let name = &line[..line.find('(')?];
    name.bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_')
        .then_some(name)
}

/// The calls strace recorded between each start marker and the following end marker, with
/// 32-bit x86's `send` and `recv` named as the `sendto` and `recvfrom` they stand for.
fn regions(trace: &str) -> BTreeMap<String, Vec<String>> {
    regions_of(trace, |line| {
        syscall_name(line).map(|name| same_call(name).to_string())
    })
}

/// glibc's `send(fd, buf, len, flags)` and `recv` are the `sendto` and `recvfrom` system calls
/// with no address on x86_64, but i386 kernels have `send` and `recv` calls of their own, which
/// glibc uses there: either counts as one call of the same kind.
fn same_call(name: &str) -> &str {
    match name {
        "send" => "sendto",
        "recv" => "recvfrom",
        // 32-bit glibc calls the 64-bit-time variant.
        "recvmmsg_time64" => "recvmmsg",
        other => other,
    }
}

/// The backlog argument of each `listen` call, per region.
fn listen_backlogs(trace: &str) -> BTreeMap<String, Vec<String>> {
    regions_of(trace, |line| {
        if syscall_name(line)? != "listen" {
            return None;
        }
        let args = &line[line.find("listen(")? + "listen(".len()..];
        let (_, rest) = args.split_once(", ")?;
        Some(rest[..rest.find(')')?].to_string())
    })
}

/// What `pick` takes from each line strace recorded between each start marker and the
/// following end marker.
fn regions_of(trace: &str, pick: impl Fn(&str) -> Option<String>) -> BTreeMap<String, Vec<String>> {
    let mut out = BTreeMap::new();
    let mut current: Option<(String, Vec<String>)> = None;
    for line in trace.lines() {
        if let Some(pos) = line.find(MARK) {
            let rest = &line[pos + MARK.len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if name == "end" {
                if let Some((n, calls)) = current.take() {
                    out.insert(n, calls);
                }
            } else {
                current = Some((name, Vec::new()));
            }
            continue;
        }
        if let (Some((_, calls)), Some(picked)) = (current.as_mut(), pick(line)) {
            calls.push(picked);
        }
    }
    out
}

/// `ASAN_OPTIONS` as given, with LeakSanitizer turned off (the last setting wins).
fn asan_without_leak_check() -> std::ffi::OsString {
    let mut options = std::env::var_os("ASAN_OPTIONS").unwrap_or_default();
    options.push(":detect_leaks=0");
    options
}

#[test]
#[cfg_attr(miri, ignore = "Miri cannot spawn processes (strace)")]
fn syscall_counts_under_strace() {
    if std::env::var_os(CHILD_ENV).is_some() {
        return;
    }
    if Command::new("strace").arg("-V").output().is_err() {
        println!("note: strace is not on PATH; syscall counts not measured");
        return;
    }
    let out_file = std::env::temp_dir().join(format!("ferrio-strace-{}.txt", std::process::id()));
    let exe = std::env::current_exe().unwrap();
    let trace = "trace=network,read,write,readv,writev,fcntl,ioctl,close";
    let output = Command::new("strace")
        .args(["-f", "-qq", "-s", "64", "-e", trace, "-o"])
        .arg(&out_file)
        .arg(&exe)
        .args([
            "strace_child_mode",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, "1")
        // LeakSanitizer cannot work in a traced process (its leak check attaches to the process
        // with ptrace itself, and fails the run); in an AddressSanitizer build the traced child
        // goes without it, the other tests keep it.
        .env("ASAN_OPTIONS", asan_without_leak_check())
        .output()
        .unwrap();
    let text = std::fs::read_to_string(&out_file).unwrap_or_default();
    let _ = std::fs::remove_file(&out_file);
    if !output.status.success() && !text.contains(MARK) {
        let stderr = String::from_utf8_lossy(&output.stderr);
        if stderr.contains("ptrace") || stderr.contains("Operation not permitted") {
            println!(
                "note: strace cannot trace here ({}); syscall counts not measured",
                stderr.trim()
            );
            return;
        }
    }
    assert!(
        output.status.success(),
        "traced child failed: {}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );

    let found = regions(&text);
    let mut failures = Vec::new();
    for (name, expected) in EXPECTED {
        let got = found.get(*name).map(Vec::as_slice).unwrap_or(&[]);
        println!("{name:20} {}", got.join(", "));
        if got != *expected {
            failures.push(format!("{name}: expected {expected:?}, got {got:?}"));
        }
    }
    assert!(
        failures.is_empty(),
        "unexpected system calls:\n{}",
        failures.join("\n")
    );

    // The listeners listen with the backlog std's listeners use.
    let backlogs = listen_backlogs(&text);
    for (ours, std) in [("tcp_bind", "std_tcp_bind"), ("unix_bind", "std_unix_bind")] {
        let (got, want) = (backlogs.get(ours), backlogs.get(std));
        println!("{ours}: listen backlog {got:?}, std's {want:?}");
        assert_eq!(got.map(Vec::len), Some(1), "{backlogs:?}");
        assert_eq!(got, want, "{ours}: {backlogs:?}");
    }
}

#[test]
fn trace_parsing() {
    let trace = "\
123 write(-1, \"FERRIO_MARK tcp_bind\", 20) = -1 EBADF (Bad file descriptor)
123 socket(AF_INET, SOCK_STREAM|SOCK_CLOEXEC|SOCK_NONBLOCK, IPPROTO_IP) = 3
123 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0
124 +++ exited with 0 +++
123 write(-1, \"FERRIO_MARK end\", 15) = -1 EBADF (Bad file descriptor)
123 close(3) = 0
";
    let r = regions(trace);
    assert_eq!(r["tcp_bind"], ["socket", "setsockopt"]);
    assert_eq!(r.len(), 1);
    let listen = "\
7 write(-1, \"FERRIO_MARK a\", 13) = -1 EBADF (Bad file descriptor)
7 listen(3, 128) = 0
7 write(-1, \"FERRIO_MARK end\", 15) = -1 EBADF (Bad file descriptor)
";
    assert_eq!(listen_backlogs(listen)["a"], ["128"]);
}
