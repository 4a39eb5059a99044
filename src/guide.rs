// One rustdoc page, read in order: its length is the tutorial's, with no code to split off
// (every line is documentation). A chapter that grows on its own becomes a child module.
//! A guide to writing event loops with ferrio, from the first `poll` to code that behaves the
//! same on every operating system.
//!
//! This module holds no code, only this page and its child pages. Read it in order the first time; later, the
//! sections stand on their own.
//!
//! 1. [Getting started](#getting-started): `Poll`, `Registry`, `Events`, `Token`, `Interest`.
//! 2. [The edge-triggered rules](#the-edge-triggered-rules): drain until `WouldBlock`, live
//!    with spurious events, and why a short read proves nothing.
//! 3. [Connecting without blocking](#connecting-without-blocking).
//! 4. [Deregistering and dropping](#deregistering-and-dropping).
//! 5. [Wakers and threads](#wakers-and-threads).
//! 6. [What differs between backends](#what-differs-between-backends): the rules a portable
//!    program keeps.
//! 7. [The poll(2) backend](#the-poll2-backend): how it keeps the contract, and how to force
//!    it.
//! 8. [Batched UDP](batched_udp): many datagrams per call, segmentation offload, and when
//!    they pay (a page of its own).
//!
//! The examples on this page are doc-tests: they run with the default features, in CI on both
//! of the Linux backends (epoll and poll(2)).
//!
//! # Getting started
//!
//! An event loop built on ferrio has six moving parts.
//!
//! - [`Poll`](crate::Poll) owns the operating system's poller (an epoll or kqueue instance,
//!   or the poll(2) backend's table). One thread calls [`Poll::poll`](crate::Poll::poll),
//!   which waits until something is ready. It takes `&mut self`, so only one thread can wait
//!   on a given `Poll` at a time.
//! - [`Registry`](crate::Registry), reached through
//!   [`Poll::registry`](crate::Poll::registry), adds, changes and removes the sources being
//!   watched. Its methods take `&self`, so it can be used while `poll` is waiting, also from
//!   other threads (see [Wakers and threads](#wakers-and-threads)).
//! - A *source* is anything that implements [`event::Source`](crate::event::Source): the
//!   sockets of [`net`](crate::net), the pipes of [`unix::pipe`](crate::unix::pipe), any file
//!   descriptor through [`unix::SourceFd`](crate::unix::SourceFd), or a type of your own that
//!   holds one of those.
//! - A [`Token`](crate::Token) is the number you register a source under. ferrio hands it back
//!   in every event for that source and never looks at it, so it can be an index into a table
//!   of connections, a key in a map, or a constant for a fixed source such as a listener.
//! - [`Interest`](crate::Interest) says which readiness to report: `READABLE`, `WRITABLE`, or
//!   both (`Interest::READABLE | Interest::WRITABLE`).
//! - [`Events`](crate::Events) is the buffer `poll` fills. Make it once, with room for as many
//!   events as you want to handle per call, and reuse it; polling allocates nothing. When more
//!   sources are ready than it has room for, the rest are reported by the following calls.
//!   A buffer made with capacity 0 makes `poll` fail with `InvalidInput`.
//!
//! Every loop has the same shape: poll, then for each event find the state that belongs to its
//! token and do all the work that is possible now. Here is a server that keeps its
//! connections in a map, with a plain blocking std client to talk to:
//!
//! ```
//! use std::collections::HashMap;
//! use std::io::{self, Read, Write};
//! use std::time::Duration;
//!
//! use ferrio::net::{TcpListener, TcpStream};
//! use ferrio::{Events, Interest, Poll, Token};
//!
//! const LISTENER: Token = Token(0);
//!
//! fn main() -> io::Result<()> {
//!     let mut poll = Poll::new()?;
//!     let mut events = Events::with_capacity(256);
//!     let mut listener = TcpListener::bind("127.0.0.1:0".parse().unwrap())?;
//!     poll.registry().register(&mut listener, LISTENER, Interest::READABLE)?;
//!
//!     // Someone to talk to: sends one line, then closes its writing half.
//!     let mut client = std::net::TcpStream::connect(listener.local_addr()?)?;
//!     client.write_all(b"hello\n")?;
//!     client.shutdown(std::net::Shutdown::Write)?;
//!
//!     let mut connections: HashMap<Token, (TcpStream, Vec<u8>)> = HashMap::new();
//!     let mut next_token = 1;
//!     let mut finished = Vec::new();
//!
//!     while finished.is_empty() {
//!         match poll.poll(&mut events, Some(Duration::from_secs(5))) {
//!             Ok(()) => {}
//!             // A signal arrived while waiting: just poll again.
//!             Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
//!             Err(e) => return Err(e),
//!         }
//!         if events.is_empty() {
//!             return Err(io::Error::new(io::ErrorKind::TimedOut, "nothing happened for 5 s"));
//!         }
//!         for event in events.iter() {
//!             if event.token() == LISTENER {
//!                 // Accept every waiting connection, not just one.
//!                 loop {
//!                     match listener.accept() {
//!                         Ok((mut stream, _peer)) => {
//!                             let token = Token(next_token);
//!                             next_token += 1;
//!                             poll.registry().register(&mut stream, token, Interest::READABLE)?;
//!                             connections.insert(token, (stream, Vec::new()));
//!                         }
//!                         Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
//!                         Err(e) => return Err(e),
//!                     }
//!                 }
//!                 continue;
//!             }
//!             // The connection may be gone already (closed earlier in this batch).
//!             let Some((stream, received)) = connections.get_mut(&event.token()) else {
//!                 continue;
//!             };
//!             let mut buf = [0; 4096];
//!             let closed = loop {
//!                 match stream.read(&mut buf) {
//!                     Ok(0) => break true, // the peer will send nothing more
//!                     Ok(n) => received.extend_from_slice(&buf[..n]),
//!                     Err(e) if e.kind() == io::ErrorKind::WouldBlock => break false,
//!                     Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
//!                     Err(e) => return Err(e),
//!                 }
//!             };
//!             if closed {
//!                 // Dropping the stream closes it and ends its registration.
//!                 let (_stream, received) = connections.remove(&event.token()).unwrap();
//!                 finished.push(received);
//!             }
//!         }
//!     }
//!     assert_eq!(finished, [b"hello\n".to_vec()]);
//!     Ok(())
//! }
//! ```
//!
//! A few things in that loop are worth copying:
//!
//! - `poll` can fail with [`Interrupted`](std::io::ErrorKind::Interrupted) when a signal
//!   arrives; that is not an error, call it again.
//! - The timeout (`None` waits with no limit) is the only clock ferrio has. `poll` may also
//!   return with no events before the timeout, so a program with deadlines checks the time
//!   itself.
//! - Every operation is tried until it returns `WouldBlock`, which the next section explains.
//! - An event whose token names nothing is skipped, not treated as a bug.
//!
//! # The edge-triggered rules
//!
//! ferrio reports *changes*: a source is reported when it becomes ready, not for as long as it
//! is ready. After an event, the program has to use up the readiness it was told about;
//! ferrio promises a new event only once the operation has said `WouldBlock`. Three rules
//! follow.
//!
//! **1. Repeat the operation until it returns `WouldBlock`.** Read until `WouldBlock` (or
//! until a read returns 0, the end of the stream), accept until `WouldBlock`, receive
//! datagrams until `WouldBlock`, and write until either your data runs out or the write says
//! `WouldBlock`. A program that stops earlier may never hear about that source again: the data
//! that is left does not count as a change.
//!
//! ```
//! # #[cfg(unix)]
//! # mod example {
//! use std::io::{self, Read, Write};
//! use std::time::Duration;
//!
//! use ferrio::unix::pipe;
//! use ferrio::{Events, Interest, Poll, Token};
//!
//! /// Reads everything `reader` has now. Returns whether the writing end is gone.
//! fn drain(mut reader: impl Read, into: &mut Vec<u8>) -> io::Result<bool> {
//!     let mut buf = [0; 1024];
//!     loop {
//!         match reader.read(&mut buf) {
//!             Ok(0) => return Ok(true),
//!             Ok(n) => into.extend_from_slice(&buf[..n]),
//!             Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(false),
//!             Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
//!             Err(e) => return Err(e),
//!         }
//!     }
//! }
//!
//! # pub fn main() -> io::Result<()> {
//! let mut poll = Poll::new()?;
//! let mut events = Events::with_capacity(8);
//! let (mut tx, mut rx) = pipe::new()?;
//! poll.registry().register(&mut rx, Token(1), Interest::READABLE)?;
//!
//! tx.write_all(b"one ")?;
//! tx.write_all(b"two ")?;
//! poll.poll(&mut events, Some(Duration::from_secs(5)))?;
//! let mut got = Vec::new();
//! assert!(!drain(&rx, &mut got)?);
//! assert_eq!(got, b"one two ");
//!
//! // Drained: nothing new has happened, so there is nothing to report ...
//! poll.poll(&mut events, Some(Duration::ZERO))?;
//! assert!(events.is_empty());
//!
//! // ... until more data arrives.
//! tx.write_all(b"three")?;
//! poll.poll(&mut events, Some(Duration::from_secs(5)))?;
//! assert!(events.iter().any(|e| e.token() == Token(1) && e.is_readable()));
//! drop(tx);
//! assert!(drain(&rx, &mut got)?);
//! assert_eq!(got, b"one two three");
//! # Ok(())
//! # }
//! # }
//! # #[cfg(unix)]
//! # fn main() -> std::io::Result<()> { example::main() }
//! # #[cfg(not(unix))] // Unix-only items: nothing to run elsewhere.
//! # fn main() {}
//! ```
//!
//! Writing follows the same rule from the other side. Keep the bytes that did not fit in a
//! buffer of your own, and write them when the source is next reported writable. Registering
//! a stream for `READABLE | WRITABLE` once, when it is created, is the simplest correct design:
//! with edge-triggered readiness a writable registration costs nothing while there is nothing
//! to write, because it is reported only after a write has said `WouldBlock` and room has
//! opened up again.
//!
//! ```
//! # #[cfg(unix)]
//! # mod example {
//! use std::io::{self, Read, Write};
//! use std::time::Duration;
//!
//! use ferrio::net::UnixStream;
//! use ferrio::{Events, Interest, Poll, Token};
//!
//! /// Bytes on their way out, and how far they got.
//! struct Outbox {
//!     data: Vec<u8>,
//!     written: usize,
//! }
//!
//! impl Outbox {
//!     /// Writes as much as the stream takes now. `Ok(true)` once everything is written.
//!     fn flush(&mut self, mut stream: &UnixStream) -> io::Result<bool> {
//!         while self.written < self.data.len() {
//!             match stream.write(&self.data[self.written..]) {
//!                 Ok(n) => self.written += n,
//!                 Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(false),
//!                 Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
//!                 Err(e) => return Err(e),
//!             }
//!         }
//!         Ok(true)
//!     }
//! }
//!
//! # pub fn main() -> io::Result<()> {
//! let mut poll = Poll::new()?;
//! let mut events = Events::with_capacity(8);
//! let (mut writer, reader) = UnixStream::pair()?;
//! poll.registry().register(&mut writer, Token(0), Interest::READABLE | Interest::WRITABLE)?;
//!
//! // More than any socket buffer holds, so the first flush stops at WouldBlock.
//! let mut outbox = Outbox { data: vec![7; 8 << 20], written: 0 };
//! let mut received = 0;
//! let mut buf = vec![0; 64 << 10];
//! while !outbox.flush(&writer)? {
//!     // The other end takes what arrived, which makes room ...
//!     loop {
//!         match (&reader).read(&mut buf) {
//!             Ok(n) => received += n,
//!             Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
//!             Err(e) => return Err(e),
//!         }
//!     }
//!     // ... and the writer is told so by an event.
//!     poll.poll(&mut events, Some(Duration::from_secs(5)))?;
//!     assert!(events.iter().any(|e| e.token() == Token(0) && e.is_writable()));
//! }
//! # Ok(())
//! # }
//! # }
//! # #[cfg(unix)]
//! # fn main() -> std::io::Result<()> { example::main() }
//! # #[cfg(not(unix))] // Unix-only items: nothing to run elsewhere.
//! # fn main() {}
//! ```
//!
//! **2. Events can be spurious.** An event is a hint that readiness may have changed, not a
//! promise that the next operation succeeds: the operation may still return `WouldBlock`, and
//! one change may be reported more than once. Treat `WouldBlock` as "wait for the next event"
//! everywhere, never as a failure, and make handlers safe to run when there is nothing to do.
//!
//! **3. A short read proves nothing by itself.** A read that returns fewer bytes than the
//! buffer holds *usually* means the socket is empty, and it is tempting to stop there and save
//! the read that would return `WouldBlock`. Whether that is safe depends on the backend:
//!
//! - On epoll and kqueue, readiness is truly edge-triggered: every arrival of new data is a new
//!   edge and is reported. A program that stopped after a short read loses nothing *if* that
//!   read emptied the socket. But a read can be short without emptying it: the system may hand
//!   out less than is queued at internal boundaries (urgent data on TCP, a change of sender
//!   on a Unix socket), and what is left is not reported until more data arrives.
//! - On the poll(2) backend (and on backends that emulate edge triggering the same way), a
//!   source that was reported stays quiet until an operation on it returns `WouldBlock`.
//!   Stopping after a short read means **no further event at all**, however much data
//!   arrives later.
//! - On datagram sockets a short read is the normal case: each receive returns one datagram,
//!   however large the buffer, and others may be queued behind it. The example below stops
//!   after one datagram; the second is still waiting, and no event says so.
//!
//! ```
//! use std::time::Duration;
//!
//! use ferrio::net::UdpSocket;
//! use ferrio::{Events, Interest, Poll, Token};
//!
//! # fn main() -> std::io::Result<()> {
//! let mut poll = Poll::new()?;
//! let mut events = Events::with_capacity(8);
//! let mut socket = UdpSocket::bind("127.0.0.1:0".parse().unwrap())?;
//! poll.registry().register(&mut socket, Token(0), Interest::READABLE)?;
//!
//! let sender = std::net::UdpSocket::bind("127.0.0.1:0")?;
//! sender.send_to(b"first", socket.local_addr()?)?;
//! sender.send_to(b"second", socket.local_addr()?)?;
//!
//! poll.poll(&mut events, Some(Duration::from_secs(5)))?;
//! let mut buf = [0; 1500];
//! let (n, _) = socket.recv_from(&mut buf)?;
//! assert_eq!(&buf[..n], b"first"); // a short read: 5 bytes of 1500
//!
//! // Stopping here would strand the second datagram: no event reports it.
//! poll.poll(&mut events, Some(Duration::from_millis(50)))?;
//! assert!(events.is_empty());
//! let (n, _) = socket.recv_from(&mut buf)?;
//! assert_eq!(&buf[..n], b"second");
//! # Ok(())
//! # }
//! ```
//!
//! So read until `WouldBlock`. A program that wants the shortcut anyway must know it runs on a
//! truly edge-triggered backend, which is exactly what tokio does (see
//! [below](#the-poll2-backend)).
//!
//! **Stopping early on purpose.** Fairness sometimes calls for handling at most so many bytes
//! or connections per event, so that one busy source cannot starve the others. That is
//! allowed, but the program then owes that source a visit: keep its token in a queue of its
//! own, and while the queue is not empty, poll with a zero timeout and serve the queue after
//! the events. No event will remind you.
//!
//! **What the other flags mean.** [`Event::is_readable`](crate::event::Event::is_readable)
//! and [`Event::is_writable`](crate::event::Event::is_writable) mean the same on every
//! platform. [`is_read_closed`](crate::event::Event::is_read_closed),
//! [`is_write_closed`](crate::event::Event::is_write_closed) and
//! [`is_error`](crate::event::Event::is_error) are hints that some systems give and others do
//! not; the truth is what the operation returns: a read of 0 bytes is the end of the stream,
//! and an error from `read`, `write` or `take_error` is the error.
//!
//! # Connecting without blocking
//!
//! [`TcpStream::connect`](crate::net::TcpStream::connect) (and
//! [`UnixStream::connect`](crate::net::UnixStream::connect)) starts a connection and returns
//! at once, nearly always before the connection exists. A failure that the system sees
//! immediately comes back from `connect` itself; every other outcome arrives later, as an
//! event. The protocol:
//!
//! 1. Register the stream with an interest that includes `WRITABLE`.
//! 2. Wait for an event for it (writable, or with an error or hang-up flag).
//! 3. Call [`take_error`](crate::net::TcpStream::take_error). `Some(error)` means the
//!    connection failed; the error says why (refused, unreachable, timed out).
//! 4. Call [`peer_addr`](crate::net::TcpStream::peer_addr). `Ok` means the connection is
//!    established. An error of kind [`NotConnected`](std::io::ErrorKind::NotConnected) means
//!    the event came before the connection was settled: go back to step 2. Any other error
//!    means the connection failed.
//!
//! Check `take_error` first: it also clears the error, and after a failure `peer_addr` alone
//! would only say "not connected". ferrio has no connect timeout; keep a deadline and drop the
//! stream to give up.
//!
//! ```
//! use std::io;
//! use std::net::SocketAddr;
//! use std::time::Duration;
//!
//! use ferrio::net::{TcpListener, TcpStream};
//! use ferrio::{Events, Interest, Poll, Token};
//!
//! /// After an event for a connecting stream: `Ok(true)` if it is connected, `Ok(false)` if
//! /// it is not settled yet (wait for the next event), `Err` if the connection failed.
//! fn connected(stream: &TcpStream) -> io::Result<bool> {
//!     if let Some(error) = stream.take_error()? {
//!         return Err(error);
//!     }
//!     match stream.peer_addr() {
//!         Ok(_) => Ok(true),
//!         Err(e) if e.kind() == io::ErrorKind::NotConnected => Ok(false),
//!         Err(e) => Err(e),
//!     }
//! }
//!
//! /// Connects to `addr` through the event loop, within five seconds.
//! fn connect(poll: &mut Poll, addr: SocketAddr) -> io::Result<TcpStream> {
//!     let mut events = Events::with_capacity(8);
//!     let mut stream = TcpStream::connect(addr)?;
//!     poll.registry().register(&mut stream, Token(0), Interest::WRITABLE)?;
//!     let deadline = std::time::Instant::now() + Duration::from_secs(5);
//!     loop {
//!         let left = deadline.saturating_duration_since(std::time::Instant::now());
//!         if left.is_zero() {
//!             return Err(io::ErrorKind::TimedOut.into());
//!         }
//!         poll.poll(&mut events, Some(left))?;
//!         if events.iter().any(|e| e.token() == Token(0)) && connected(&stream)? {
//!             return Ok(stream);
//!         }
//!     }
//! }
//!
//! # fn main() -> io::Result<()> {
//! let mut poll = Poll::new()?;
//! let listener = TcpListener::bind("127.0.0.1:0".parse().unwrap())?;
//! let addr = listener.local_addr()?;
//! let stream = connect(&mut poll, addr)?;
//! assert_eq!(stream.peer_addr()?, addr);
//!
//! // Once nobody listens on the port, the connection is refused: either by `connect` at
//! // once or, as usual, through the protocol.
//! drop((listener, stream));
//! let mut poll = Poll::new()?;
//! let error = connect(&mut poll, addr).unwrap_err();
//! assert_eq!(error.kind(), io::ErrorKind::ConnectionRefused);
//! # Ok(())
//! # }
//! ```
//!
//! # Deregistering and dropping
//!
//! [`Registry::deregister`](crate::Registry::deregister) stops the reports for a source. Its
//! guarantee is about the future: **no call to `poll` that begins after `deregister` returned
//! reports that source**, on every backend. Events that an earlier `poll` already put in your
//! `Events` buffer stay there. While you go through one batch, an event for a source that an
//! earlier event of the same batch deregistered or dropped can still come up. Look every token
//! up in your own table and skip the ones that are gone, as the first example does, and do not
//! give a freed token to a new source until the batch is over; a program whose tokens are
//! pointers must be especially careful here.
//!
//! [`Registry::reregister`](crate::Registry::reregister) replaces both the token and the
//! interests of a source (and, on the poll(2) backend, arms it again). The same rule holds:
//! events of the current batch may carry the old token.
//!
//! **Dropping a source** made by ferrio (sockets, pipe ends) ends its registration; you need
//! not deregister it first. On the poll(2) backend the drop removes the source from the
//! backend's table before the file descriptor is closed, and on kqueue closing the descriptor
//! removes its registration. epoll has an exception: it keeps a registration while *any*
//! descriptor for the same open file exists, such as one made by `dup` or one inherited by a
//! child process created with `fork` that has not called `exec` yet. Events then keep coming
//! with the old token. If descriptors of a source may have been duplicated, deregister it
//! before dropping it.
//!
//! **A [`SourceFd`](crate::unix::SourceFd) must be deregistered before its file descriptor is
//! closed.** ferrio does not own that descriptor and cannot know when it closes. On epoll and
//! kqueue, closing the descriptor ends the registration silently (on epoll, unless it was
//! duplicated). On the poll(2) backend the next `poll` finds the descriptor closed, reports
//! one event under the old token with `is_error()` set (and nothing else), and forgets the
//! entry: a later `deregister` returns `NotFound`, and the number can be registered again. If
//! the system hands the number to a new file before that `poll`, the entry reports the new
//! file under the old token instead, and registering the new file fails with `AlreadyExists`.
//!
//! A source belongs to one `Poll` at a time. To move it to another, deregister it from the
//! first. Mistakes are reported: registering a source that is already registered gives
//! [`AlreadyExists`](std::io::ErrorKind::AlreadyExists) ("already registered"), and
//! reregistering or deregistering one that is not gives
//! [`NotFound`](std::io::ErrorKind::NotFound) ("not registered"). The epoll and poll(2)
//! backends detect this exactly. kqueue cannot tell without bookkeeping that would cost every
//! registration, so there it is best-effort: a second `register` adds to the first, and a
//! `reregister` of an unregistered source registers it. ferrio's own sockets and pipes also
//! know which `Poll` they belong to, on every backend: using one through another `Poll`'s
//! registry (`register`, `reregister` or `deregister`) gives `AlreadyExists` ("already
//! registered with another Poll") and leaves it where it was. A `SourceFd` has no such record
//! (see [`Registry::register`](crate::Registry::register)).
//!
//! ```
//! # #[cfg(unix)]
//! # mod example {
//! use std::io::Write;
//! use std::time::Duration;
//!
//! use ferrio::unix::pipe;
//! use ferrio::{Events, Interest, Poll, Token};
//!
//! # pub fn main() -> std::io::Result<()> {
//! let mut poll = Poll::new()?;
//! let mut events = Events::with_capacity(8);
//! let (mut tx, mut rx) = pipe::new()?;
//! poll.registry().register(&mut rx, Token(3), Interest::READABLE)?;
//! tx.write_all(b"unread")?;
//!
//! poll.registry().deregister(&mut rx)?;
//! poll.poll(&mut events, Some(Duration::from_millis(50)))?;
//! assert!(events.is_empty());
//!
//! let error = poll.registry().deregister(&mut rx).unwrap_err();
//! assert_eq!(error.kind(), std::io::ErrorKind::NotFound);
//! # Ok(())
//! # }
//! # }
//! # #[cfg(unix)]
//! # fn main() -> std::io::Result<()> { example::main() }
//! # #[cfg(not(unix))] // Unix-only items: nothing to run elsewhere.
//! # fn main() {}
//! ```
//!
//! Dropping the `Poll` itself ends the reports for everything registered with it. Sources
//! stay usable for I/O.
//!
//! # Wakers and threads
//!
//! `Poll::poll` needs `&mut Poll`, so one thread waits. Everything else can happen elsewhere:
//!
//! - [`Registry::try_clone`](crate::Registry::try_clone) gives an owned `Registry` for the
//!   same poller that can be moved to another thread (a `Registry` is `Send + Sync`). A source
//!   registered, changed or deregistered from another thread while `poll` is waiting takes
//!   effect in that same call: the waiting thread reports its events without a timeout having
//!   to pass first.
//! - A [`Waker`](crate::Waker) lets another thread interrupt the wait. `Waker::new` registers
//!   it under a token; [`Waker::wake`](crate::Waker::wake), callable from any thread through an
//!   `Arc<Waker>`, makes the poller report a readable event with that token.
//!
//! A wake-up carries no data. Several `wake` calls before the poller runs may be reported as
//! one event, so put the actual messages in a queue (a channel, a mutex-protected vector) and
//! empty the whole queue on every Waker event:
//!
//! ```
//! use std::sync::{mpsc, Arc};
//! use std::thread;
//! use std::time::Duration;
//!
//! use ferrio::{Events, Poll, Token, Waker};
//!
//! const WAKER: Token = Token(0);
//!
//! # fn main() -> std::io::Result<()> {
//! let mut poll = Poll::new()?;
//! let waker = Arc::new(Waker::new(poll.registry(), WAKER)?);
//! let (results, inbox) = mpsc::channel();
//!
//! let workers: Vec<_> = (1..=4u64)
//!     .map(|n| {
//!         let (waker, results) = (Arc::clone(&waker), results.clone());
//!         thread::spawn(move || {
//!             results.send(n * n).unwrap(); // the message first ...
//!             waker.wake().unwrap(); // ... then the wake-up
//!         })
//!     })
//!     .collect();
//!
//! let mut events = Events::with_capacity(8);
//! let mut sum = 0;
//! let mut received = 0;
//! while received < 4 {
//!     poll.poll(&mut events, Some(Duration::from_secs(5)))?;
//!     assert!(!events.is_empty(), "timed out");
//!     if events.iter().any(|e| e.token() == WAKER) {
//!         // One event may stand for several wakes: take everything.
//!         for n in inbox.try_iter() {
//!             sum += n;
//!             received += 1;
//!         }
//!     }
//! }
//! assert_eq!(sum, 1 + 4 + 9 + 16);
//! for worker in workers {
//!     worker.join().unwrap();
//! }
//! # Ok(())
//! # }
//! ```
//!
//! The order matters: send the message, then wake. The other order can leave a message in the
//! queue after the poller has looked, with no event to bring it back.
//!
//! A registration from another thread needs no Waker:
//!
//! ```
//! # #[cfg(unix)]
//! # mod example {
//! use std::io::Write;
//! use std::thread;
//! use std::time::Duration;
//!
//! use ferrio::unix::pipe;
//! use ferrio::{Events, Interest, Poll, Token};
//!
//! # pub fn main() -> std::io::Result<()> {
//! let mut poll = Poll::new()?;
//! let registry = poll.registry().try_clone()?;
//! let helper = thread::spawn(move || -> std::io::Result<pipe::Receiver> {
//!     let (mut tx, mut rx) = pipe::new()?;
//!     registry.register(&mut rx, Token(9), Interest::READABLE)?;
//!     tx.write_all(b"ready")?;
//!     Ok(rx)
//! });
//!
//! // Possibly waiting before the pipe even exists: the registration still counts.
//! let mut events = Events::with_capacity(8);
//! while events.is_empty() {
//!     poll.poll(&mut events, Some(Duration::from_secs(5)))?;
//! }
//! assert!(events.iter().all(|e| e.token() == Token(9)));
//! let _rx = helper.join().unwrap()?;
//! # Ok(())
//! # }
//! # }
//! # #[cfg(unix)]
//! # fn main() -> std::io::Result<()> { example::main() }
//! # #[cfg(not(unix))] // Unix-only items: nothing to run elsewhere.
//! # fn main() {}
//! ```
//!
//! More about Wakers:
//!
//! - ferrio allows any number of Wakers per `Poll`, each with its own token, and a Waker may
//!   share its token with other sources, since ferrio never tells a wake-up apart by its token.
//!   mio allows one Waker per `Poll` (debug builds panic on the second); code that must also
//!   build against mio should keep to one.
//! - Events are promised only while the Waker exists. Once it is dropped, its token can still
//!   appear in the batch being handled, but not in a later one.
//! - A Waker is an eventfd on Linux and Android, a user event (`EVFILT_USER`) on the kqueue
//!   systems, and a pipe with the poll(2) backend elsewhere. `wake` does not fail in practice:
//!   a full counter or pipe is emptied and the write retried.
//!
//! # What differs between backends
//!
//! A program that keeps the edge-triggered rules above is most of the way to portable. These
//! are the remaining differences it has to respect.
//!
//! **Readable and writable may arrive as one event or as two.** epoll and poll(2) report a
//! source that is both readable and writable as one event with both flags. kqueue reports each
//! direction as its own event with the same token, so both can appear in one batch. Handle
//! each flag on its own (no `else` between the readable and the writable branch), and expect a
//! token more than once per batch. The order of events in a batch means nothing.
//!
//! **Closed and error flags are hints.** `is_read_closed` needs the system to say that the
//! peer shut down its writing half: Linux and Android do (`EPOLLRDHUP`, `POLLRDHUP`), kqueue
//! does (`EV_EOF`), but poll(2) on other systems only reports a full hang-up, so there a
//! half-close shows up as a readable event and a read of 0 bytes. `is_write_closed` and
//! `is_error` vary in the same way. Base decisions on what operations return.
//!
//! **Some interests exist only on some systems.** [`Interest::PRIORITY`](crate::Interest)
//! (out-of-band and other priority data) exists on Linux and Android; `Interest::AIO` on the
//! kqueue systems that report POSIX AIO completions (FreeBSD, DragonFly and Apple's); and
//! `Interest::LIO` on FreeBSD. Elsewhere the constant does not exist, so code that uses one
//! needs a `#[cfg]`. The matching `Event::is_priority`, `is_aio` and `is_lio` exist everywhere
//! and are false where the interest does not. Priority data also counts as readable.
//!
//! ```
//! use ferrio::Interest;
//!
//! #[cfg(any(target_os = "linux", target_os = "android"))]
//! let interest = Interest::READABLE | Interest::PRIORITY;
//! #[cfg(not(any(target_os = "linux", target_os = "android")))]
//! let interest = Interest::READABLE;
//! assert!(interest.is_readable());
//! ```
//!
//! **Timeouts have different resolutions.** epoll and poll(2) count in milliseconds: a timeout
//! is rounded up to the next millisecond (so a short positive timeout never becomes a busy
//! poll), `Duration::ZERO` does not wait, and very long timeouts are clamped, which can make
//! `poll` return early with no events. kqueue takes the timeout with nanosecond precision.
//!
//! **Registration mistakes are detected exactly on epoll and poll(2)**, best-effort on kqueue
//! (see [Deregistering and dropping](#deregistering-and-dropping)).
//!
//! **I/O done behind ferrio's back.** On epoll and kqueue, reading a ferrio socket through its
//! raw file descriptor works, because the kernel tracks readiness itself. On the poll(2)
//! backend ferrio re-arms a source only when one of *its* operations returns `WouldBlock`, so
//! I/O done by other means must run inside the type's `try_io` method (for example
//! [`TcpStream::try_io`](crate::net::TcpStream::try_io)), which does the re-arming. Register
//! ferrio's own types rather than their raw descriptors through `SourceFd`, for the same
//! reason.
//!
//! **The poller's own descriptor.** `Poll` and `Registry` implement `AsRawFd` (and `Registry`
//! `AsFd`) on epoll and kqueue only: the poll(2) backend has no descriptor that could stand for
//! the whole poller.
//!
//! **Windows** works the same way: a socket is polled through the AFD driver one request at a
//! time, and ferrio asks again only for the direction whose operation returned `WouldBlock`
//! (a blocked read re-arms readability, a blocked write writability; `try_io`, which cannot
//! know, re-arms every registered interest). A program written to the poll(2) backend's rules
//! is ready for it.
//!
//! # The poll(2) backend
//!
//! poll(2) exists on every Unix. ferrio uses it where the system has neither epoll nor kqueue,
//! and anywhere when asked to:
//!
//! ```text
//! RUSTFLAGS="--cfg ferrio_force_poll" cargo test
//! ```
//!
//! Forcing it on Linux is the cheapest way to check that a program keeps the rules of this
//! guide: code that stops reading before `WouldBlock` tends to work on epoll and to stall on
//! poll(2). ferrio's own test suite runs in full on both.
//!
//! **How it keeps the contract.** poll(2) itself is level-triggered: it reports a ready
//! descriptor on every call for as long as it stays ready. To make that edge-triggered, the
//! backend stops watching a direction (reading or writing) of a source as soon as it has
//! reported it, and starts again when an operation on that source returns `WouldBlock` in that
//! direction, or when the source is reregistered. What was not reported is still watched: a
//! shutdown of the reading half (where poll(2) can tell, as on Linux), a hang-up or an error
//! that comes after a readable or writable event is reported once. A hang-up or an error stops
//! all watching of the source until it is re-armed, so a closed connection cannot make every
//! poll return at once. Every
//! operation of ferrio's own types that can return `WouldBlock` goes through one internal
//! wrapper that does this re-arming, so none of them can forget it; and only the direction
//! that blocked is re-armed, so a blocked read does not bring a spurious writable event. At
//! most `Events::capacity()` events are returned per call, and the scan for the next call
//! starts where the last one stopped, so no source is starved.
//!
//! **`SourceFd` with poll(2).** ferrio cannot see I/O done on a descriptor it does not own,
//! so it cannot re-arm it. With a `SourceFd`, call
//! [`Registry::reregister`](crate::Registry::reregister) after handling each event; on epoll
//! and kqueue that is harmless, so a portable program always does it:
//!
//! ```
//! # #[cfg(unix)]
//! # mod example {
//! use std::io::{self, Read, Write};
//! use std::os::fd::AsRawFd;
//! use std::os::unix::net::UnixStream;
//! use std::time::Duration;
//!
//! use ferrio::unix::SourceFd;
//! use ferrio::{Events, Interest, Poll, Token};
//!
//! # pub fn main() -> io::Result<()> {
//! let mut poll = Poll::new()?;
//! let mut events = Events::with_capacity(8);
//! let (mut peer, socket) = UnixStream::pair()?;
//! socket.set_nonblocking(true)?;
//! let fd = socket.as_raw_fd();
//! poll.registry().register(&mut SourceFd(&fd), Token(5), Interest::READABLE)?;
//!
//! let mut buf = [0; 64];
//! for message in [&b"first"[..], b"second"] {
//!     peer.write_all(message)?;
//!     poll.poll(&mut events, Some(Duration::from_secs(5)))?;
//!     assert!(events.iter().any(|e| e.token() == Token(5)));
//!     let n = (&socket).read(&mut buf)?;
//!     assert_eq!(&buf[..n], message);
//!     assert_eq!(
//!         (&socket).read(&mut buf).unwrap_err().kind(),
//!         io::ErrorKind::WouldBlock
//!     );
//!     // Arm it again; without this, poll(2) would not report "second".
//!     poll.registry().reregister(&mut SourceFd(&fd), Token(5), Interest::READABLE)?;
//! }
//! // Deregister before the descriptor is closed.
//! poll.registry().deregister(&mut SourceFd(&fd))?;
//! drop(socket);
//! # Ok(())
//! # }
//! # }
//! # #[cfg(unix)]
//! # fn main() -> std::io::Result<()> { example::main() }
//! # #[cfg(not(unix))] // Unix-only items: nothing to run elsewhere.
//! # fn main() {}
//! ```
//!
//! **What it costs.** Each poll(2) call passes every registered descriptor to the kernel, so a
//! call costs time in proportion to the number of sources, not to the number that are ready.
//! Registrations live in a table behind a lock; a registration, or a re-arm, made while
//! another thread is blocked in `poll` wakes that thread so that the change takes effect at
//! once. That is fine for tens or hundreds of sources and for tests; for many thousands of
//! connections, epoll and kqueue are the backends to use.
//!
//! **tokio on the poll(2) backend.** tokio skips the final read that would return
//! `WouldBlock` when a read comes back short, trusting that the backend is truly
//! edge-triggered, on every system where mio would use epoll or kqueue, unless the build sets
//! mio's cfg `mio_unsupported_force_poll_poll`. Forced with ferrio's name alone, ferrio would
//! be on poll(2) while tokio still took the shortcut, and a connection would wait for an event
//! that never comes. ferrio accepts mio's name as a synonym, so a program that runs tokio
//! forces poll(2) with mio's name, which both crates read:
//!
//! ```text
//! RUSTFLAGS="--cfg mio_unsupported_force_poll_poll" cargo test
//! ```
//!
//! Without either cfg, epoll and kqueue stay in place and tokio's shortcut is sound.
//!
//! One part of tokio does not work reliably on the poll(2) backend, mio's or ferrio's:
//! `AsyncFd`, which registers a descriptor through `SourceFd` and leaves the I/O to the
//! program, so that nothing re-arms the descriptor after `WouldBlock`.

pub mod batched_udp;
