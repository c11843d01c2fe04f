//! Tests of the pipeline's normal operation: source order is kept for any thread count,
//! memory stays within the window, threads are named and all finished after a run. The
//! helpers here are shared with `failure_tests`.
//!
//! Every test body runs under a watchdog that fails it if a run hangs for 30 s; no test
//! asserts anything about speed.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::thread;
use std::time::Duration;

use super::{run, run_one, PipelineConfig, RunStats};
use crate::error::{Error, Result};

/// Runs `test` on its own thread and fails if it does not finish within 30 seconds.
pub(super) fn watchdog<T: Send + 'static>(test: impl FnOnce() -> T + Send + 'static) -> T {
    let (done, finished) = mpsc::channel();
    thread::spawn(move || {
        let _ = done.send(test());
    });
    match finished.recv_timeout(Duration::from_secs(30)) {
        Ok(value) => value,
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("the pipeline run hung"),
        Err(mpsc::RecvTimeoutError::Disconnected) => panic!("the test body panicked"),
    }
}

/// A reproducible pseudo-random delay of 0 to 2 ms for `item` (xorshift64, seeded by `salt`).
pub(super) fn jitter(item: u64, salt: u64) -> Duration {
    let mut x = (item + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ salt;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    Duration::from_micros(x % 2_001)
}

/// An iterator that keeps a clone of an `Arc` alive for as long as the iterator lives.
pub(super) struct Held<It> {
    pub(super) inner: It,
    pub(super) _guard: Arc<()>,
}

impl<It: Iterator> Iterator for Held<It> {
    type Item = It::Item;

    fn next(&mut self) -> Option<It::Item> {
        self.inner.next()
    }
}

/// An endless source of 0, 1, 2, ... that holds `guard`.
pub(super) fn endless(guard: &Arc<()>) -> Held<impl Iterator<Item = Result<u64>>> {
    Held {
        inner: (0..).map(Ok),
        _guard: Arc::clone(guard),
    }
}

/// A stage that passes items through unchanged.
pub(super) fn pass(x: u64) -> Result<u64> {
    Ok(x)
}

/// A stage that fails on item 7.
pub(super) fn fail_at_7(x: u64) -> Result<u64> {
    if x == 7 {
        return Err(Error::InvalidArgument("bad item 7".to_string()));
    }
    Ok(x)
}

/// Two stages with random delays over `0..items`; returns what the sink saw.
fn jittered_run(threads: usize, items: u64) -> (Vec<u64>, RunStats) {
    let transform = |x: u64| {
        thread::sleep(jitter(x, 0x1234));
        Ok(x * 3)
    };
    let entropy = |x: u64| {
        thread::sleep(jitter(x, 0xBEEF));
        Ok(x + 1)
    };
    let mut seen = Vec::new();
    let config = PipelineConfig::with_threads(threads);
    let source = (0..items).map(Ok);
    let sink = |x| {
        seen.push(x);
        Ok(())
    };
    let stats = run(
        &config,
        source,
        ("transform", transform),
        ("entropy", entropy),
        sink,
    )
    .expect("the run succeeds");
    (seen, stats)
}

#[test]
fn outputs_keep_source_order_for_1_to_8_threads() {
    watchdog(|| {
        let (inline, _) = jittered_run(1, 100);
        assert_eq!(inline, (0..100).map(|x| x * 3 + 1).collect::<Vec<_>>());
        for threads in 2..=8 {
            let (threaded, stats) = jittered_run(threads, 100);
            assert_eq!(threaded, inline, "{threads} threads");
            let names: Vec<_> = stats.stages.iter().map(|s| (s.name, s.items)).collect();
            let expected = [("source", 100), ("transform", 100), ("entropy", 100)];
            assert_eq!(names[..3], expected);
            assert_eq!(names[3], ("sink", 100));
        }
    });
}

#[test]
fn run_one_keeps_source_order() {
    watchdog(|| {
        for threads in 1..=4 {
            let square = |x: u64| {
                thread::sleep(jitter(x, 7));
                Ok(x * x)
            };
            let mut seen = Vec::new();
            let config = PipelineConfig::with_threads(threads);
            let source = (0..60).map(Ok);
            let sink = |x| {
                seen.push(x);
                Ok(())
            };
            let stats = run_one(&config, source, ("square", square), sink).expect("run");
            assert_eq!(seen, (0..60).map(|x| x * x).collect::<Vec<u64>>());
            assert_eq!(stats.stages.len(), 3);
            assert_eq!(stats.stages[1].name, "square");
        }
    });
}

#[test]
fn empty_source_is_a_successful_run() {
    for threads in [1, 3] {
        let config = PipelineConfig::with_threads(threads);
        let source = std::iter::empty::<Result<u64>>();
        let stats = run_one(&config, source, ("square", pass), |_| Ok(())).expect("run");
        assert!(stats.stages.iter().all(|s| s.items == 0));
    }
}

#[test]
fn items_in_flight_never_exceed_the_window() {
    watchdog(|| {
        for threads in [2, 4] {
            let config = PipelineConfig {
                threads,
                queue_depth: 2,
                ..PipelineConfig::default()
            };
            let in_flight = AtomicUsize::new(0);
            let peak = AtomicUsize::new(0);
            let source = (0u64..).map(|x| {
                let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                peak.fetch_max(now, Ordering::SeqCst);
                Ok(x)
            });
            // Item 0 is slow, so every later item has to wait in the reorder buffer.
            let transform = |x: u64| {
                if x == 0 {
                    thread::sleep(Duration::from_millis(20));
                }
                Ok(x)
            };
            let sink = |x: u64| {
                in_flight.fetch_sub(1, Ordering::SeqCst);
                thread::sleep(Duration::from_micros(500));
                match x {
                    150 => Err(Error::Pipeline("enough".to_string())),
                    _ => Ok(()),
                }
            };
            let result = run(
                &config,
                source,
                ("transform", transform),
                ("entropy", pass),
                sink,
            );
            assert!(matches!(&result, Err(Error::Pipeline(m)) if m == "enough"));
            let peak = peak.load(Ordering::SeqCst);
            assert!(peak <= config.window(), "peak {peak} > {}", config.window());
        }
    });
}

#[test]
fn threads_are_named_and_all_finished_after_a_run() {
    watchdog(|| {
        let guard = Arc::new(());
        let names = Arc::new(Mutex::new(BTreeSet::new()));
        let record = {
            let names = Arc::clone(&names);
            let guard = Arc::clone(&guard);
            move |x: u64| {
                let name = thread::current().name().unwrap_or("unnamed").to_string();
                names.lock().expect("names lock").insert(name);
                let _keep_alive = &guard;
                Ok(x)
            }
        };
        let source = Held {
            inner: (0..30).map(Ok),
            _guard: Arc::clone(&guard),
        };
        let config = PipelineConfig::with_threads(3);
        run_one(&config, source, ("transform", record), |_| Ok(())).expect("run");
        assert_eq!(Arc::strong_count(&guard), 1);
        let names = names.lock().expect("names lock");
        assert!(!names.is_empty());
        let allowed = [
            "quanta-transform-0",
            "quanta-transform-1",
            "quanta-transform-2",
        ];
        assert!(
            names.iter().all(|n| allowed.contains(&n.as_str())),
            "{names:?}"
        );
    });
}

#[test]
fn config_resolves_defaults() {
    let config = PipelineConfig::default();
    let cores = thread::available_parallelism().map_or(1, |n| n.get());
    assert_eq!(config.workers(), cores);
    assert_eq!(config.queue_capacity(), 2 * cores);
    assert_eq!(config.window(), 8 * cores);
    let config = PipelineConfig {
        threads: 4,
        queue_depth: 3,
        ..PipelineConfig::default()
    };
    assert_eq!(config.window(), 3 * 3 + 2 * 4);
}
