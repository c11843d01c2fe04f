//! The single-threaded run: source, stages and sink called in turn on the calling thread.
//!
//! Each item is read from the source, passed through the stage functions and handed to the
//! sink before the next one is read, so no reordering, channels or threads are needed. Errors
//! and panics are reported exactly as a threaded run reports them (a stage counts as worker 0),
//! so a run gives the same outputs and the same errors whatever the number of threads.

use std::time::Instant;

use super::stage::{self, guarded, process, worker_name, Tally, SINK, SOURCE_THREAD};
use super::{Cancel, RunStats};
use crate::error::Result;

/// Runs `source -> a -> b -> sink` on the calling thread.
pub(super) fn run_two<I, M, O, A, B, S>(
    cancel: &Cancel,
    source: impl Iterator<Item = Result<I>>,
    (name_a, a): (&'static str, A),
    (name_b, b): (&'static str, B),
    sink: S,
) -> Result<RunStats>
where
    A: Fn(I) -> Result<M>,
    B: Fn(M) -> Result<O>,
    S: FnMut(O) -> Result<()>,
{
    let started = Instant::now();
    let who_a = format!("worker {}", worker_name(name_a, 0));
    let who_b = format!("worker {}", worker_name(name_b, 0));
    let [mut read, mut tally_a, mut tally_b, mut written] = [Tally::default(); 4];
    let both = |item| {
        let middle = process(&who_a, &mut tally_a, &a, item)?;
        process(&who_b, &mut tally_b, &b, middle)
    };
    let outcome = drive(cancel, source, both, sink, &mut read, &mut written);
    let stages = vec![
        read.stats("source"),
        tally_a.stats(name_a),
        tally_b.stats(name_b),
        written.stats("sink"),
    ];
    stage::finish(outcome.err(), cancel, stages, started)
}

/// Runs `source -> f -> sink` on the calling thread.
pub(super) fn run_one<I, O, F, S>(
    cancel: &Cancel,
    source: impl Iterator<Item = Result<I>>,
    (name, f): (&'static str, F),
    sink: S,
) -> Result<RunStats>
where
    F: Fn(I) -> Result<O>,
    S: FnMut(O) -> Result<()>,
{
    let started = Instant::now();
    let who = format!("worker {}", worker_name(name, 0));
    let [mut read, mut tally, mut written] = [Tally::default(); 3];
    let one = |item| process(&who, &mut tally, &f, item);
    let outcome = drive(cancel, source, one, sink, &mut read, &mut written);
    let stages = vec![
        read.stats("source"),
        tally.stats(name),
        written.stats("sink"),
    ];
    stage::finish(outcome.err(), cancel, stages, started)
}

/// Feeds every source item through `stages` into `sink`, one at a time, until the source
/// ends, something fails or `cancel` is cancelled. The source is dropped on return.
fn drive<I, O>(
    cancel: &Cancel,
    mut source: impl Iterator<Item = Result<I>>,
    mut stages: impl FnMut(I) -> Result<O>,
    mut sink: impl FnMut(O) -> Result<()>,
    read: &mut Tally,
    written: &mut Tally,
) -> Result<()> {
    let source_who = format!("worker {SOURCE_THREAD}");
    while !cancel.is_cancelled() {
        let Some(item) = guarded(&source_who, read, || source.next())? else {
            break;
        };
        let item = item?;
        read.items += 1;
        let output = stages(item)?;
        guarded(SINK, written, || sink(output))??;
        written.items += 1;
    }
    Ok(())
}
