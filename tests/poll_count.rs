//! How many polls a fixed, deterministic workload takes: a ping-pong between a client and an
//! echo server on one `Poll` in one thread, handled edge-triggered (on each event, read and
//! write until `WouldBlock`), as `examples/demo.rs` does.
//!
//! Every event must report something that happened: each round trip takes exactly two polls
//! of one event each (the server's data, then the echo), and no write blocks, so no writable
//! event comes once the connection is set up. This is the least a poller can do without
//! spurious events: the echo cannot be reported by the poll that reports the data it answers.
//! (mio on Windows takes one poll per round trip for the same loop, because every blocked
//! read there re-arms writing too: its polls carry a spurious writable event per socket, and
//! a handler run for one of those finds the echo that arrived earlier in the same batch.)
//!
//! Runs on every backend: epoll, forced poll(2), and Windows under Wine.
#![cfg(all(feature = "net", feature = "os-poll"))]
// WASI preview 1 cannot create sockets (as in mio): the tests make their sockets with `bind` and `connect`.
#![cfg(not(ferrio_wasi))]

mod net_common;
mod util;

use std::io::{self, Read, Write};

use ferrio::net::TcpStream;
use ferrio::{Events, Interest, Poll, Token};
use net_common::tcp_pair;
use util::{expect_events, poll_retrying, Expect, TIMEOUT};

const CLIENT: Token = Token(1);
const SERVER: Token = Token(2);
const ROUND_TRIPS: usize = 100;
const MESSAGE: usize = 64;

/// Reads until `WouldBlock`, appending to `into`.
fn read_all(stream: &mut TcpStream, into: &mut Vec<u8>) {
    let mut buf = [0u8; 4 * MESSAGE];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => panic!("unexpected end of stream"),
            Ok(n) => into.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
            Err(e) => panic!("read: {e}"),
        }
    }
}

/// Writes all of `data` (small, so it never blocks on loopback).
fn write_all(stream: &mut TcpStream, data: &[u8]) {
    let n = stream.write(data).unwrap();
    assert_eq!(
        n,
        data.len(),
        "a short write of a {}-byte message",
        data.len()
    );
}

#[test]
#[cfg_attr(
    target_os = "wasi",
    ignore = "wasmtime makes sockets ready asynchronously: a poll may end before data sent by this thread shows, so the count varies"
)]
fn a_round_trip_takes_two_polls_and_no_spurious_event() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(64);
    let (mut client, mut server) = tcp_pair(&mut poll, &mut events);
    let both = Interest::READABLE | Interest::WRITABLE;
    poll.registry().register(&mut client, CLIENT, both).unwrap();
    poll.registry().register(&mut server, SERVER, both).unwrap();
    // Set-up: both ends report that they can write.
    expect_events(
        &mut poll,
        &mut events,
        &[
            Expect::new(CLIENT, Interest::WRITABLE),
            Expect::new(SERVER, Interest::WRITABLE),
        ],
    );

    let message = |round: usize| -> Vec<u8> {
        (0..MESSAGE)
            .map(|i| (round * 31 + i) as u8)
            .collect::<Vec<u8>>()
    };
    let (mut polls, mut event_count, mut writable_only) = (0usize, 0usize, 0usize);
    let mut round = 0;
    let mut echoed = Vec::new();
    let mut request = Vec::new();
    write_all(&mut client, &message(round));
    let deadline = std::time::Instant::now() + TIMEOUT;
    while round < ROUND_TRIPS {
        assert!(
            std::time::Instant::now() < deadline,
            "stalled at round trip {round} after {polls} polls"
        );
        poll_retrying(&mut poll, &mut events, Some(TIMEOUT));
        polls += 1;
        for event in events.iter() {
            event_count += 1;
            if event.is_writable() && !event.is_readable() {
                writable_only += 1;
            }
            match event.token() {
                SERVER => {
                    read_all(&mut server, &mut request);
                    if !request.is_empty() {
                        write_all(&mut server, &request);
                        request.clear();
                    }
                }
                CLIENT => {
                    read_all(&mut client, &mut echoed);
                    if echoed.len() == MESSAGE {
                        assert_eq!(echoed, message(round), "round trip {round}");
                        echoed.clear();
                        round += 1;
                        if round < ROUND_TRIPS {
                            write_all(&mut client, &message(round));
                        }
                    }
                }
                other => panic!("event for an unknown token {other:?}"),
            }
        }
    }
    println!("{ROUND_TRIPS} round trips: {polls} polls, {event_count} events");
    assert_eq!(writable_only, 0, "spurious writable events");
    assert_eq!(
        polls,
        2 * ROUND_TRIPS,
        "polls for {ROUND_TRIPS} round trips"
    );
    assert_eq!(
        event_count,
        2 * ROUND_TRIPS,
        "events for {ROUND_TRIPS} round trips"
    );
}
