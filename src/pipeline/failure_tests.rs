//! Tests of the pipeline's failure paths: an error or a panic in the source, a stage or the
//! sink ends the run with that error, even when the source never ends; a cancelled handle
//! stops a run; and everything the run was given has been dropped when it returns.
//!
//! Every test body runs under the watchdog from `tests`; no test asserts anything about speed.

use std::io;
use std::sync::Arc;

use super::tests::{endless, fail_at_7, pass, watchdog};
use super::{run, run_one, PipelineConfig};
use crate::error::Error;

#[test]
fn stage_error_ends_an_endless_run_and_releases_everything() {
    watchdog(|| {
        for threads in [1, 2, 4] {
            let guard = Arc::new(());
            let mut seen = Vec::new();
            let config = PipelineConfig::with_threads(threads);
            let sink = |x| {
                seen.push(x);
                Ok(())
            };
            let stages = (("transform", fail_at_7), ("entropy", pass));
            let result = run(&config, endless(&guard), stages.0, stages.1, sink);
            assert!(
                matches!(&result, Err(Error::InvalidArgument(m)) if m == "bad item 7"),
                "{threads} threads: {result:?}"
            );
            assert!(seen.len() <= 7 && seen.iter().copied().eq(0..seen.len() as u64));
            assert_eq!(Arc::strong_count(&guard), 1, "the source was dropped");
        }
    });
}

#[test]
fn panic_in_a_stage_is_reported_with_the_worker_name() {
    watchdog(|| {
        for threads in [1, 3] {
            let entropy = |x: u64| {
                if x == 5 {
                    panic!("cannot code item {x}");
                }
                Ok(x)
            };
            let config = PipelineConfig::with_threads(threads);
            let source = (0..100).map(Ok);
            let result = run(
                &config,
                source,
                ("transform", pass),
                ("entropy", entropy),
                |_| Ok(()),
            );
            let Err(Error::Pipeline(message)) = result else {
                panic!("expected a pipeline error, got {result:?}");
            };
            assert!(message.starts_with("worker quanta-entropy-"), "{message}");
            assert!(
                message.ends_with(" panicked: cannot code item 5"),
                "{message}"
            );
            if threads == 1 {
                assert_eq!(
                    message,
                    "worker quanta-entropy-0 panicked: cannot code item 5"
                );
            }
        }
    });
}

#[test]
fn panic_in_the_sink_is_reported() {
    watchdog(|| {
        for threads in [1, 2] {
            let guard = Arc::new(());
            let config = PipelineConfig::with_threads(threads);
            let sink = |x: u64| {
                if x == 3 {
                    panic!("disk on fire");
                }
                Ok(())
            };
            let result = run_one(&config, endless(&guard), ("square", pass), sink);
            let Err(Error::Pipeline(message)) = result else {
                panic!("expected a pipeline error, got {result:?}");
            };
            assert_eq!(message, "the sink panicked: disk on fire");
            assert_eq!(Arc::strong_count(&guard), 1);
        }
    });
}

#[test]
fn sink_error_ends_an_endless_run() {
    watchdog(|| {
        for threads in [1, 2, 4] {
            let guard = Arc::new(());
            let held = Arc::clone(&guard);
            let transform = move |x: u64| {
                let _keep_alive = &held;
                Ok(x)
            };
            assert_eq!(Arc::strong_count(&guard), 2, "the stage holds the guard");
            let mut written = 0;
            let sink = |_| {
                written += 1;
                if written == 50 {
                    let closed = io::Error::from(io::ErrorKind::BrokenPipe);
                    return Err(Error::io("cannot write to standard output", closed));
                }
                Ok(())
            };
            let config = PipelineConfig::with_threads(threads);
            let source = std::iter::repeat_with(|| Ok(1u64));
            let result = run(
                &config,
                source,
                ("transform", transform),
                ("entropy", pass),
                sink,
            );
            assert!(matches!(result, Err(Error::Io { .. })), "{result:?}");
            assert_eq!(written, 50);
            assert_eq!(
                Arc::strong_count(&guard),
                1,
                "the stage closure was dropped"
            );
        }
    });
}

#[test]
fn source_error_ends_the_run() {
    watchdog(|| {
        for threads in [1, 3] {
            let source = (0..).map(|x: u64| match x {
                20 => Err(Error::Media("truncated tile 20".to_string())),
                _ => Ok(x),
            });
            let mut seen = Vec::new();
            let config = PipelineConfig::with_threads(threads);
            let sink = |x| {
                seen.push(x);
                Ok(())
            };
            let result = run(
                &config,
                source,
                ("transform", pass),
                ("entropy", pass),
                sink,
            );
            assert!(
                matches!(&result, Err(Error::Media(m)) if m == "truncated tile 20"),
                "{result:?}"
            );
            assert!(seen.len() <= 20 && seen.iter().copied().eq(0..seen.len() as u64));
            if threads == 1 {
                assert_eq!(seen.len(), 20);
            }
        }
    });
}

#[test]
fn cancel_from_another_thread_stops_an_endless_run() {
    watchdog(|| {
        for threads in [1, 3] {
            let guard = Arc::new(());
            let config = PipelineConfig::with_threads(threads);
            let cancel = config.cancel.clone();
            // The stage runs on a worker thread whenever threads > 1.
            let transform = move |x: u64| {
                if x == 40 {
                    cancel.cancel();
                }
                Ok(x)
            };
            let stages = (("transform", transform), ("entropy", pass));
            let result = run(&config, endless(&guard), stages.0, stages.1, |_| Ok(()));
            assert!(
                matches!(&result, Err(Error::Pipeline(m)) if m.contains("cancelled")),
                "{result:?}"
            );
            assert!(config.cancel.is_cancelled());
            assert_eq!(Arc::strong_count(&guard), 1);
        }
    });
}

#[test]
fn a_cancelled_handle_stops_a_run_before_it_starts() {
    watchdog(|| {
        for threads in [1, 2] {
            let config = PipelineConfig::with_threads(threads);
            config.cancel.cancel();
            let mut written = 0;
            let result = run_one(&config, (0..10).map(Ok), ("square", pass), |_| {
                written += 1;
                Ok(())
            });
            assert!(matches!(result, Err(Error::Pipeline(_))));
            assert!(written <= 10);
        }
    });
}
