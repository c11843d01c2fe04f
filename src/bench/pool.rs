//! The worker pool of the bench and the study: a list of jobs run on a bounded number of
//! scoped threads, results returned in job order.
//!
//! Input: the jobs, a thread count (0 = one per core; never more threads than jobs), a name
//! for the threads, and the work of one job. Output: one result per job, in job order,
//! whatever the number of threads or the order in which jobs finish. Each thread takes the
//! next job index from a shared counter. The first error cancels the pool: the flag the work
//! receives turns true, no new job starts, and that error is returned (a job that sees the
//! flag may stop early by returning `Ok(None)`). A worker panic becomes an
//! [`Error::Pipeline`].

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;

use crate::error::{Error, Result};

/// Runs `work(index, job, cancelled)` for every job on up to `threads` threads.
pub fn run_pool<J, T, F>(jobs: &[J], threads: usize, name: &str, work: F) -> Result<Vec<T>>
where
    J: Sync,
    T: Send,
    F: Fn(usize, &J, &AtomicBool) -> Result<Option<T>> + Sync,
{
    let workers = match threads {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    }
    .clamp(1, jobs.len().max(1));
    let next = AtomicUsize::new(0);
    let cancelled = AtomicBool::new(false);
    let slots: Mutex<Vec<Option<T>>> = Mutex::new((0..jobs.len()).map(|_| None).collect());
    let first_error: Mutex<Option<Error>> = Mutex::new(None);
    let fail = |e: Error| {
        cancelled.store(true, Ordering::SeqCst);
        if let Ok(mut slot) = first_error.lock() {
            slot.get_or_insert(e);
        }
    };
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|w| {
                std::thread::Builder::new()
                    .name(format!("{name}-{w}"))
                    .spawn_scoped(scope, || loop {
                        if cancelled.load(Ordering::SeqCst) {
                            break;
                        }
                        let index = next.fetch_add(1, Ordering::SeqCst);
                        let Some(job) = jobs.get(index) else {
                            break;
                        };
                        match work(index, job, &cancelled) {
                            Ok(Some(result)) => match slots.lock() {
                                Ok(mut slots) => slots[index] = Some(result),
                                Err(_) => fail(Error::Pipeline(format!("{name} results lost"))),
                            },
                            Ok(None) => break,
                            Err(e) => fail(e),
                        }
                    })
            })
            .collect();
        for handle in handles {
            match handle {
                Ok(h) => {
                    if h.join().is_err() {
                        fail(Error::Pipeline(format!("a {name} worker panicked")));
                    }
                }
                Err(e) => fail(Error::io(format!("cannot start a {name} worker thread"), e)),
            }
        }
    });
    if let Some(e) = first_error.into_inner().ok().flatten() {
        return Err(e);
    }
    let slots = slots
        .into_inner()
        .map_err(|_| Error::Pipeline(format!("{name} results lost")))?;
    let results: Vec<T> = slots.into_iter().flatten().collect();
    if results.len() != jobs.len() {
        return Err(Error::Pipeline(format!(
            "{name}: {} of {} jobs gave no result",
            jobs.len() - results.len(),
            jobs.len()
        )));
    }
    Ok(results)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn results_come_in_job_order_at_any_thread_count() {
        let jobs: Vec<u64> = (0..12).collect();
        for threads in [0, 1, 3, 50] {
            let out = run_pool(&jobs, threads, "test", |index, &job, _| {
                // Early jobs sleep longest, so they finish last.
                std::thread::sleep(Duration::from_millis(12 - job));
                Ok(Some((index, job * job)))
            })
            .unwrap();
            let expected: Vec<(usize, u64)> = (0..12).map(|i| (i as usize, i * i)).collect();
            assert_eq!(out, expected, "{threads} threads");
        }
        let none: Vec<u8> = Vec::new();
        assert!(run_pool(&none, 4, "test", |_, _, _| Ok(Some(1u8)))
            .unwrap()
            .is_empty());
    }

    #[test]
    fn the_first_error_stops_the_pool() {
        let jobs: Vec<usize> = (0..100).collect();
        let started = AtomicUsize::new(0);
        let err = run_pool(&jobs, 2, "test", |_, &job, cancelled| {
            started.fetch_add(1, Ordering::SeqCst);
            if job == 3 {
                return Err(Error::InvalidArgument("job 3 is bad".into()));
            }
            std::thread::sleep(Duration::from_millis(2));
            Ok((!cancelled.load(Ordering::SeqCst)).then_some(job))
        })
        .unwrap_err();
        assert!(err.to_string().contains("job 3 is bad"), "{err}");
        assert!(started.load(Ordering::SeqCst) < 100);
        let panic = run_pool(&jobs[..2], 2, "test", |_, &job, _| {
            assert!(job != 1, "job 1 panics");
            Ok(Some(job))
        })
        .unwrap_err();
        assert!(panic.to_string().contains("panicked"), "{panic}");
    }
}
