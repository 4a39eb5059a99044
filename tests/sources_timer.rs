//! `ferrio::sources::Timer` (feature `os-sources`): one-shot and periodic expiry, the
//! expiration count, re-arming, cancelling, dropping while armed, bad input, and many timers
//! on one `Poll`. Every event is waited for through the poller (no retry loops that would
//! hide a lost event); runs on epoll and on the forced poll(2) backend, and under Wine.
// The cfgs are build.rs's: the systems where `ferrio::sources` has this source.
#![cfg(all(feature = "os-sources", ferrio_timer))]

mod util;

use std::io;
use std::time::{Duration, Instant};

use ferrio::sources::Timer;
use ferrio::{Events, Interest, Poll, Token};

use util::{expect_events, expect_no_events, Expect};

const TIMER: Token = Token(9);

fn setup() -> (Poll, Events, Timer) {
    let poll = Poll::new().unwrap();
    let mut timer = Timer::new().unwrap();
    poll.registry()
        .register(&mut timer, TIMER, Interest::READABLE)
        .unwrap();
    (poll, Events::with_capacity(64), timer)
}

#[track_caller]
fn expect_timer(poll: &mut Poll, events: &mut Events) {
    expect_events(poll, events, &[Expect::new(TIMER, Interest::READABLE)]);
}

#[track_caller]
fn assert_would_block(result: io::Result<u64>) {
    match result {
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
        other => panic!("expected WouldBlock, got {other:?}"),
    }
}

#[test]
fn oneshot_fires_once_and_not_early() {
    let (mut poll, mut events, timer) = setup();
    // Nothing before it is armed.
    assert_would_block(timer.expirations());
    let delay = Duration::from_millis(5);
    let start = Instant::now();
    timer.set_oneshot(delay).unwrap();
    expect_timer(&mut poll, &mut events);
    assert!(
        start.elapsed() >= delay,
        "fired after {:?}",
        start.elapsed()
    );
    assert_eq!(timer.expirations().unwrap(), 1);
    assert_would_block(timer.expirations());
    expect_no_events(&mut poll, &mut events, &[TIMER]);
}

#[test]
fn sub_millisecond_oneshot_fires() {
    let (mut poll, mut events, timer) = setup();
    let delay = Duration::from_micros(150);
    let start = Instant::now();
    timer.set_oneshot(delay).unwrap();
    expect_timer(&mut poll, &mut events);
    assert!(start.elapsed() >= delay);
    assert_eq!(timer.expirations().unwrap(), 1);
}

#[test]
fn zero_delay_fires_at_once_and_zero_period_is_invalid() {
    let (mut poll, mut events, timer) = setup();
    let err = timer.set_periodic(Duration::ZERO).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    // The refused call left the timer as it was: disarmed.
    assert_would_block(timer.expirations());
    timer.set_oneshot(Duration::ZERO).unwrap();
    expect_timer(&mut poll, &mut events);
    assert_eq!(timer.expirations().unwrap(), 1);
}

#[test]
fn periodic_reports_every_period_until_cancelled() {
    let (mut poll, mut events, timer) = setup();
    timer.set_periodic(Duration::from_millis(2)).unwrap();
    let mut total = 0;
    // Each read re-arms (the poll(2) backend needs that): five events in a row.
    for _ in 0..5 {
        expect_timer(&mut poll, &mut events);
        match timer.expirations() {
            Ok(n) => total += n,
            // An event racing the previous read.
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(e) => panic!("{e}"),
        }
    }
    assert!(total >= 4, "only {total} expirations in five events");
    timer.cancel().unwrap();
    assert_would_block(timer.expirations());
    // A stale event may still come; no expiration may.
    let deadline = Instant::now() + Duration::from_millis(30);
    while Instant::now() < deadline {
        util::poll_retrying(&mut poll, &mut events, Some(Duration::from_millis(10)));
        assert_would_block(timer.expirations());
    }
}

#[test]
fn missed_periods_are_counted_not_queued() {
    let (mut poll, mut events, timer) = setup();
    let period = Duration::from_millis(1);
    let start = Instant::now();
    timer.set_periodic(period).unwrap();
    // Time is the subject here: let several periods pass unread.
    std::thread::sleep(Duration::from_millis(10));
    expect_timer(&mut poll, &mut events);
    let n = timer.expirations().unwrap();
    let elapsed_periods = (start.elapsed().as_micros() / period.as_micros()) as u64;
    assert!(n >= 5, "{n} expirations after 10 ms of a 1 ms period");
    assert!(
        n <= elapsed_periods,
        "{n} expirations in {elapsed_periods} periods"
    );
}

#[test]
fn setting_again_replaces_the_deadline_and_drops_unread_expirations() {
    let (mut poll, mut events, timer) = setup();
    // Far, then near: the near one fires.
    timer.set_oneshot(Duration::from_secs(3600)).unwrap();
    timer.set_oneshot(Duration::from_millis(1)).unwrap();
    expect_timer(&mut poll, &mut events);
    // Expired but unread; setting again drops that expiration.
    timer.set_oneshot(Duration::from_secs(3600)).unwrap();
    assert_would_block(timer.expirations());
    // Near, then far: nothing within the quiet period.
    timer.set_oneshot(Duration::from_millis(1)).unwrap();
    timer.set_oneshot(Duration::from_secs(3600)).unwrap();
    let deadline = Instant::now() + Duration::from_millis(30);
    while Instant::now() < deadline {
        util::poll_retrying(&mut poll, &mut events, Some(Duration::from_millis(10)));
        assert_would_block(timer.expirations());
    }
    // And an expired, unread timer becomes periodic on request.
    timer.set_periodic(Duration::from_millis(1)).unwrap();
    expect_timer(&mut poll, &mut events);
    assert!(timer.expirations().unwrap() >= 1);
    expect_timer(&mut poll, &mut events);
}

#[test]
fn cancel_drops_an_unread_expiration_and_the_timer_can_be_set_again() {
    let (mut poll, mut events, timer) = setup();
    timer.cancel().unwrap(); // disarmed: nothing to do
    timer.set_oneshot(Duration::from_millis(1)).unwrap();
    expect_timer(&mut poll, &mut events);
    timer.cancel().unwrap();
    assert_would_block(timer.expirations());
    timer.set_oneshot(Duration::from_millis(1)).unwrap();
    expect_timer(&mut poll, &mut events);
    assert_eq!(timer.expirations().unwrap(), 1);
}

#[test]
fn dropping_an_armed_timer_leaves_no_event() {
    let (mut poll, mut events, timer) = setup();
    let mut other = Timer::new().unwrap();
    poll.registry()
        .register(&mut other, Token(10), Interest::READABLE)
        .unwrap();
    timer.set_periodic(Duration::from_millis(1)).unwrap();
    other.set_oneshot(Duration::from_millis(20)).unwrap();
    drop(timer);
    // The other timer still fires, and the dropped one never does.
    let seen = expect_events(
        &mut poll,
        &mut events,
        &[Expect::new(Token(10), Interest::READABLE)],
    );
    assert!(seen.iter().all(|e| e.token != TIMER), "{seen:?}");
    expect_no_events(&mut poll, &mut events, &[TIMER]);
}

#[test]
fn armed_before_registration_and_while_deregistered() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let mut timer = Timer::new().unwrap();
    timer.set_oneshot(Duration::from_millis(1)).unwrap();
    poll.registry()
        .register(&mut timer, TIMER, Interest::READABLE)
        .unwrap();
    expect_timer(&mut poll, &mut events);
    assert_eq!(timer.expirations().unwrap(), 1);

    poll.registry().deregister(&mut timer).unwrap();
    timer.set_oneshot(Duration::from_millis(1)).unwrap();
    expect_no_events(&mut poll, &mut events, &[TIMER]);
    // It kept counting while deregistered; registered again, it reports.
    poll.registry()
        .register(&mut timer, Token(11), Interest::READABLE)
        .unwrap();
    expect_events(
        &mut poll,
        &mut events,
        &[Expect::new(Token(11), Interest::READABLE)],
    );
    assert_eq!(timer.expirations().unwrap(), 1);
}

#[test]
fn many_timers_on_one_poll_each_fire_once() {
    const N: usize = 200;
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(64);
    let mut timers: Vec<Timer> = (0..N).map(|_| Timer::new().unwrap()).collect();
    for (i, timer) in timers.iter_mut().enumerate() {
        poll.registry()
            .register(timer, Token(i), Interest::READABLE)
            .unwrap();
        timer
            .set_oneshot(Duration::from_micros(100 * (i as u64 % 20)))
            .unwrap();
    }
    let mut fired = vec![0u64; N];
    let deadline = Instant::now() + util::TIMEOUT;
    while fired.contains(&0) {
        assert!(Instant::now() < deadline, "timers never fired: {fired:?}");
        util::poll_retrying(&mut poll, &mut events, Some(Duration::from_millis(100)));
        for event in events.iter() {
            if let Ok(n) = timers[event.token().0].expirations() {
                fired[event.token().0] += n;
            }
        }
    }
    assert!(fired.iter().all(|&n| n == 1), "{fired:?}");
}

#[test]
fn a_nearer_deadline_set_from_another_thread_is_reported() {
    let (mut poll, mut events, timer) = setup();
    // The clock (the kernel's, or the clock thread) is left waiting for a far deadline...
    timer.set_oneshot(Duration::from_secs(3600)).unwrap();
    expect_no_events(&mut poll, &mut events, &[TIMER]);
    // ... when another thread, while this one waits in `poll`, asks for a near one.
    let timer = std::sync::Arc::new(timer);
    let setter = {
        let timer = std::sync::Arc::clone(&timer);
        std::thread::spawn(move || timer.set_oneshot(Duration::from_millis(1)).unwrap())
    };
    expect_timer(&mut poll, &mut events);
    setter.join().unwrap();
    assert_eq!(timer.expirations().unwrap(), 1);
    expect_no_events(&mut poll, &mut events, &[TIMER]);
}

#[test]
fn an_unread_fast_periodic_timer_keeps_counting_and_resumes_after_a_read() {
    let (mut poll, mut events, timer) = setup();
    let period = Duration::from_micros(50);
    let start = Instant::now();
    timer.set_periodic(period).unwrap();
    expect_timer(&mut poll, &mut events);
    // Unread for a while: the count grows with the clock, whatever the events do meanwhile.
    let quiet = Instant::now() + Duration::from_millis(20);
    while Instant::now() < quiet {
        util::poll_retrying(&mut poll, &mut events, Some(Duration::from_millis(5)));
    }
    let n = timer.expirations().unwrap();
    let elapsed_periods = (start.elapsed().as_nanos() / period.as_nanos()) as u64;
    assert!(
        n >= 20_000 / 50,
        "{n} expirations of a 50 µs period in 20 ms"
    );
    assert!(n <= elapsed_periods, "{n} in {elapsed_periods} periods");
    // Reading took them all, and the timer goes on.
    expect_timer(&mut poll, &mut events);
    timer.cancel().unwrap();
}

#[test]
fn dropping_armed_timers_in_a_loop_leaves_no_event() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(64);
    for i in 0..200 {
        let mut timer = Timer::new().unwrap();
        poll.registry()
            .register(&mut timer, Token(100 + i), Interest::READABLE)
            .unwrap();
        // Expiring now, while being dropped, or later: a callback may be running.
        match i % 3 {
            0 => timer.set_oneshot(Duration::ZERO).unwrap(),
            1 => timer.set_periodic(Duration::from_micros(1)).unwrap(),
            _ => timer
                .set_oneshot(Duration::from_micros(20 * (i as u64 % 7)))
                .unwrap(),
        }
        if i % 2 == 0 {
            poll.poll(&mut events, Some(Duration::ZERO)).unwrap();
        }
        drop(timer);
    }
    let tokens: Vec<Token> = (100..300).map(Token).collect();
    expect_no_events(&mut poll, &mut events, &tokens);
}

#[test]
fn registration_errors() {
    let (poll, _events, mut timer) = setup();
    let other = Poll::new().unwrap();
    let kind = |r: io::Result<()>| r.unwrap_err().kind();
    assert_eq!(
        kind(
            poll.registry()
                .register(&mut timer, TIMER, Interest::READABLE)
        ),
        io::ErrorKind::AlreadyExists
    );
    assert_eq!(
        kind(
            other
                .registry()
                .register(&mut timer, TIMER, Interest::READABLE)
        ),
        io::ErrorKind::AlreadyExists
    );
    assert_eq!(
        kind(other.registry().deregister(&mut timer)),
        io::ErrorKind::AlreadyExists
    );
    poll.registry().deregister(&mut timer).unwrap();
    assert_eq!(
        kind(poll.registry().deregister(&mut timer)),
        io::ErrorKind::NotFound
    );
    // Free to go elsewhere, and back once that `Poll` is gone.
    other
        .registry()
        .register(&mut timer, TIMER, Interest::READABLE)
        .unwrap();
    drop(other);
    poll.registry()
        .register(&mut timer, TIMER, Interest::READABLE)
        .unwrap();
}

#[test]
fn a_timer_outlives_its_poll() {
    let (poll, mut events, mut timer) = setup();
    timer.set_oneshot(Duration::ZERO).unwrap();
    // Whatever the timer left queued for it goes with the poller.
    drop(poll);
    let mut poll = Poll::new().unwrap();
    poll.registry()
        .register(&mut timer, TIMER, Interest::READABLE)
        .unwrap();
    expect_timer(&mut poll, &mut events);
    assert_eq!(timer.expirations().unwrap(), 1);
    // And the other way round: a registered, armed timer dropped after its `Poll`.
    timer.set_periodic(Duration::from_micros(10)).unwrap();
    drop(poll);
    drop(timer);
}

/// Windows reports readability only to a registration that asks for it (as epoll does for a
/// `timerfd`, which is never writable).
#[cfg(windows)]
#[test]
fn a_writable_only_registration_reports_nothing() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let mut timer = Timer::new().unwrap();
    poll.registry()
        .register(&mut timer, TIMER, Interest::WRITABLE)
        .unwrap();
    timer.set_oneshot(Duration::ZERO).unwrap();
    expect_no_events(&mut poll, &mut events, &[TIMER]);
    poll.registry()
        .reregister(&mut timer, TIMER, Interest::READABLE)
        .unwrap();
    expect_timer(&mut poll, &mut events);
    assert_eq!(timer.expirations().unwrap(), 1);
}

#[test]
fn sources_are_send_and_sync() {
    util::assert_send_sync::<Timer>();
    #[cfg(ferrio_signals)]
    util::assert_send_sync::<ferrio::sources::Signals>();
    #[cfg(ferrio_signals)]
    util::assert_send_sync::<ferrio::sources::SignalSet>();
    #[cfg(ferrio_child_exit)]
    util::assert_send_sync::<ferrio::sources::ChildExit>();
}
