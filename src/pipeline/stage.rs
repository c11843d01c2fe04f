//! What the threaded and inline runs share: timed, panic-safe calls into caller code, the
//! per-stage tallies, and the run-wide stop state.
//!
//! Every call into the source, a stage function or the sink goes through [`guarded`], which
//! times it and turns a panic into [`Error::Pipeline`] naming the thread. [`Shared`] is
//! borrowed by every thread of a threaded run: it keeps the first error and the stop signal.

use std::any::Any;
use std::panic::{self, AssertUnwindSafe};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use super::{cancelled_error, Cancel, RunStats, StageStats};
use crate::error::{Error, Result};

/// The name of the source thread.
pub(super) const SOURCE_THREAD: &str = "quanta-source";

/// How the sink is named in error messages.
pub(super) const SINK: &str = "the sink";

/// The name of worker `index` of stage `stage`, e.g. `quanta-transform-0`.
pub(super) fn worker_name(stage: &str, index: usize) -> String {
    format!("quanta-{stage}-{index}")
}

/// Items done and time spent by one thread (or, summed, by one stage).
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Tally {
    pub(super) items: u64,
    pub(super) busy: Duration,
}

impl Tally {
    /// Adds another thread's work to this one.
    pub(super) fn add(&mut self, other: Tally) {
        self.items += other.items;
        self.busy += other.busy;
    }

    /// The statistics of a stage called `name`.
    pub(super) fn stats(self, name: &'static str) -> StageStats {
        StageStats {
            name,
            items: self.items,
            busy: self.busy,
        }
    }
}

/// Calls `work`, adding its duration to `tally`. A panic inside it becomes
/// `Error::Pipeline("<who> panicked: <message>")`. The caller counts finished items.
pub(super) fn guarded<T>(who: &str, tally: &mut Tally, work: impl FnOnce() -> T) -> Result<T> {
    let started = Instant::now();
    // The caller's state is not looked at again after a panic (the run stops), so observing
    // it half-updated is not a concern.
    let outcome = panic::catch_unwind(AssertUnwindSafe(work));
    tally.busy += started.elapsed();
    outcome.map_err(|payload| panicked(who, payload.as_ref()))
}

/// Runs stage function `f` on one item through [`guarded`], counting it if it succeeded.
pub(super) fn process<In, Out>(
    who: &str,
    tally: &mut Tally,
    f: &impl Fn(In) -> Result<Out>,
    item: In,
) -> Result<Out> {
    let output = guarded(who, tally, || f(item))??;
    tally.items += 1;
    Ok(output)
}

/// The error for a panic in `who`, quoting the panic message when it is text.
pub(super) fn panicked(who: &str, payload: &(dyn Any + Send)) -> Error {
    let message = if let Some(text) = payload.downcast_ref::<&str>() {
        text
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.as_str()
    } else {
        "(no message)"
    };
    Error::Pipeline(format!("{who} panicked: {message}"))
}

/// The state every thread of a threaded run shares.
pub(super) struct Shared {
    /// Cancelled by the first failure; stops every stage.
    stop: Cancel,
    /// The caller's handle, from the configuration.
    caller: Cancel,
    first_error: Mutex<Option<Error>>,
}

impl Shared {
    pub(super) fn new(caller: &Cancel) -> Shared {
        Shared {
            stop: Cancel::new(),
            caller: caller.clone(),
            first_error: Mutex::new(None),
        }
    }

    /// Records `error` unless an earlier one was recorded, then stops the run.
    pub(super) fn fail(&self, error: Error) {
        {
            // Nothing can panic while the lock is held, but a poisoned slot is still usable.
            let mut slot = self
                .first_error
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            slot.get_or_insert(error);
        }
        self.stop.cancel();
    }

    /// Whether the run should stop: a stage failed or the caller cancelled.
    pub(super) fn stopped(&self) -> bool {
        self.stop.is_cancelled() || self.caller.is_cancelled()
    }

    /// The handles whose cancellation a waiting thread must wake up for.
    pub(super) fn stop_signals(&self) -> (&Cancel, &Cancel) {
        (&self.stop, &self.caller)
    }

    /// The outcome of the run once every thread has finished.
    pub(super) fn finish(self, stages: Vec<StageStats>, started: Instant) -> Result<RunStats> {
        let error = self
            .first_error
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner);
        finish(error, &self.caller, stages, started)
    }
}

/// The outcome of a run: its first error, else a cancellation, else its statistics.
pub(super) fn finish(
    error: Option<Error>,
    caller: &Cancel,
    stages: Vec<StageStats>,
    started: Instant,
) -> Result<RunStats> {
    match error {
        Some(error) => Err(error),
        None if caller.is_cancelled() => Err(cancelled_error()),
        None => Ok(RunStats {
            stages,
            wall: started.elapsed(),
        }),
    }
}
