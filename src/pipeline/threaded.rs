//! The threaded run: a source thread, a pool of workers per stage, and the sink on the caller.
//!
//! Items travel as `(sequence number, item)` pairs through bounded channels:
//! `quanta-source` → `quanta-<a>-<i>` workers → `quanta-<b>-<i>` workers → the sink, which
//! puts them back in order with a [`ReorderBuffer`]. The source must send one credit into a
//! channel of capacity [`window`](super::PipelineConfig::window) before it reads each item, and
//! the sink takes one back after consuming each item, so at most `window` items are alive.
//!
//! Shutdown works by dropping channel ends. The sink waits on its input and on the stop
//! signals at once; when it stops (on the first error, a cancellation, or a failing sink) it
//! drops its channels, which makes the last stage's sends fail, and so on up to the source,
//! whose credit sends fail too. Every thread also checks the stop flag between items. All
//! threads are scoped, so they have all finished when a run returns.

use std::thread::{self, Scope, ScopedJoinHandle};
use std::time::Instant;

use crossbeam_channel::{bounded, select, Receiver, Sender};

use super::reorder::ReorderBuffer;
use super::stage::{guarded, process, worker_name, Shared, Tally, SINK, SOURCE_THREAD};
use super::{PipelineConfig, RunStats, StageStats};
use crate::error::{Error, Result};

/// An item and its position in the source order.
type Numbered<T> = (u64, T);

/// Runs `source -> a -> b -> sink` with `config.workers()` threads per stage.
pub(super) fn run_two<I, M, O, Src, A, B, S>(
    config: &PipelineConfig,
    source: Src,
    (name_a, a): (&'static str, A),
    (name_b, b): (&'static str, B),
    sink: S,
) -> Result<RunStats>
where
    Src: Iterator<Item = Result<I>> + Send,
    A: Fn(I) -> Result<M> + Sync,
    B: Fn(M) -> Result<O> + Sync,
    S: FnMut(O) -> Result<()>,
    I: Send,
    M: Send,
    O: Send,
{
    let started = Instant::now();
    let shared = Shared::new(&config.cancel);
    let (workers, depth) = (config.workers(), config.queue_capacity());
    let stages = thread::scope(|scope| {
        let (credit_tx, credit_rx) = bounded(config.window());
        let (input_tx, input_rx) = bounded(depth);
        let (middle_tx, middle_rx) = bounded(depth);
        let (output_tx, output_rx) = bounded(depth);
        let source = spawn_source(scope, &shared, source, credit_tx, input_tx);
        let stage_a = spawn_stage(scope, &shared, name_a, &a, workers, input_rx, middle_tx);
        let stage_b = spawn_stage(scope, &shared, name_b, &b, workers, middle_rx, output_tx);
        let sink = drain(&shared, output_rx, credit_rx, sink);
        vec![
            source.join(&shared),
            stage_a.join(&shared),
            stage_b.join(&shared),
            sink.stats("sink"),
        ]
    });
    shared.finish(stages, started)
}

/// Runs `source -> f -> sink` with `config.workers()` threads for the stage.
pub(super) fn run_one<I, O, Src, F, S>(
    config: &PipelineConfig,
    source: Src,
    (name, f): (&'static str, F),
    sink: S,
) -> Result<RunStats>
where
    Src: Iterator<Item = Result<I>> + Send,
    F: Fn(I) -> Result<O> + Sync,
    S: FnMut(O) -> Result<()>,
    I: Send,
    O: Send,
{
    let started = Instant::now();
    let shared = Shared::new(&config.cancel);
    let (workers, depth) = (config.workers(), config.queue_capacity());
    let stages = thread::scope(|scope| {
        let (credit_tx, credit_rx) = bounded(config.window());
        let (input_tx, input_rx) = bounded(depth);
        let (output_tx, output_rx) = bounded(depth);
        let source = spawn_source(scope, &shared, source, credit_tx, input_tx);
        let stage = spawn_stage(scope, &shared, name, &f, workers, input_rx, output_tx);
        let sink = drain(&shared, output_rx, credit_rx, sink);
        vec![
            source.join(&shared),
            stage.join(&shared),
            sink.stats("sink"),
        ]
    });
    shared.finish(stages, started)
}

/// The running threads of one stage.
struct Running<'scope> {
    name: &'static str,
    threads: Vec<(String, ScopedJoinHandle<'scope, Tally>)>,
}

impl<'scope> Running<'scope> {
    fn new(name: &'static str) -> Running<'scope> {
        Running {
            name,
            threads: Vec::new(),
        }
    }

    /// Starts `body` on a thread called `thread`; if that fails, the run fails.
    fn spawn<'env>(
        &mut self,
        scope: &'scope Scope<'scope, 'env>,
        shared: &Shared,
        thread: String,
        body: impl FnOnce() -> Tally + Send + 'scope,
    ) {
        match thread::Builder::new()
            .name(thread.clone())
            .spawn_scoped(scope, body)
        {
            Ok(handle) => self.threads.push((thread, handle)),
            Err(error) => shared.fail(Error::io(format!("cannot start thread {thread}"), error)),
        }
    }

    /// Waits for every thread of the stage and sums their work.
    fn join(self, shared: &Shared) -> StageStats {
        let mut total = Tally::default();
        for (thread, handle) in self.threads {
            match handle.join() {
                Ok(tally) => total.add(tally),
                // Caller code runs under catch_unwind, so this would be a fault in the pipeline.
                Err(_) => shared.fail(Error::Pipeline(format!("thread {thread} panicked"))),
            }
        }
        total.stats(self.name)
    }
}

/// Starts the source thread: it numbers the items and sends them to `output`, taking a
/// credit before reading each one.
fn spawn_source<'scope, 'env, I, Src>(
    scope: &'scope Scope<'scope, 'env>,
    shared: &'scope Shared,
    mut source: Src,
    credits: Sender<()>,
    output: Sender<Numbered<I>>,
) -> Running<'scope>
where
    Src: Iterator<Item = Result<I>> + Send + 'scope,
    I: Send + 'scope,
{
    let mut running = Running::new("source");
    let body = move || {
        let who = format!("worker {SOURCE_THREAD}");
        let mut tally = Tally::default();
        let mut seq = 0;
        // A failed credit send means the sink has gone: the run is over.
        while !shared.stopped() && credits.send(()).is_ok() {
            let item = match guarded(&who, &mut tally, || source.next()) {
                Ok(Some(Ok(item))) => item,
                Ok(None) => break,
                Ok(Some(Err(error))) | Err(error) => {
                    shared.fail(error);
                    break;
                }
            };
            tally.items += 1;
            if output.send((seq, item)).is_err() {
                break;
            }
            seq += 1;
        }
        tally
    };
    running.spawn(scope, shared, SOURCE_THREAD.to_string(), body);
    running
}

/// Starts `workers` threads that apply `f` to items from `input` and send the results on.
fn spawn_stage<'scope, 'env, In, Out, F>(
    scope: &'scope Scope<'scope, 'env>,
    shared: &'scope Shared,
    name: &'static str,
    f: &'scope F,
    workers: usize,
    input: Receiver<Numbered<In>>,
    output: Sender<Numbered<Out>>,
) -> Running<'scope>
where
    F: Fn(In) -> Result<Out> + Sync,
    In: Send + 'scope,
    Out: Send + 'scope,
{
    let mut running = Running::new(name);
    for index in 0..workers {
        let thread = worker_name(name, index);
        let who = format!("worker {thread}");
        let (input, output) = (input.clone(), output.clone());
        let body = move || {
            let mut tally = Tally::default();
            // The loop ends when every upstream thread has finished and the input is empty.
            for (seq, item) in input.iter() {
                if shared.stopped() {
                    break;
                }
                let result = match process(&who, &mut tally, f, item) {
                    Ok(result) => result,
                    Err(error) => {
                        shared.fail(error);
                        break;
                    }
                };
                // A failed send means the next stage has stopped: the run is over.
                if output.send((seq, result)).is_err() {
                    break;
                }
            }
            tally
        };
        running.spawn(scope, shared, thread, body);
    }
    running
}

/// The sink loop, on the calling thread: restores the source order and hands each output
/// to `sink`, returning one credit per output. Returns when the input is exhausted or the
/// run stops; its channel ends are dropped then, which unblocks the other threads.
fn drain<O>(
    shared: &Shared,
    input: Receiver<Numbered<O>>,
    credits: Receiver<()>,
    mut sink: impl FnMut(O) -> Result<()>,
) -> Tally {
    let (stop, caller) = shared.stop_signals();
    let mut pending = ReorderBuffer::new();
    let mut tally = Tally::default();
    'run: loop {
        let received = select! {
            recv(input) -> received => received,
            recv(stop.wake()) -> _ => break,
            recv(caller.wake()) -> _ => break,
        };
        let Ok((seq, output)) = received else {
            // Every worker has finished. Items left over mean one went missing, which only
            // a stopped run may do.
            if pending.len() > 0 && !shared.stopped() {
                let lost = format!("{} outputs never reached the sink", pending.len());
                shared.fail(Error::Pipeline(lost));
            }
            break;
        };
        pending.insert(seq, output);
        while let Some(output) = pending.pop_next() {
            if shared.stopped() {
                break 'run;
            }
            if let Err(error) = guarded(SINK, &mut tally, || sink(output)).and_then(|r| r) {
                shared.fail(error);
                break 'run;
            }
            tally.items += 1;
            // Let the source read one more item. The credit is always there: the source sent
            // it before reading this item, and a credit channel keeps its contents even after
            // the source has finished.
            let _ = credits.try_recv();
        }
    }
    tally
}
