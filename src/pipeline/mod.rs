//! The streaming pipeline: independent units of work go in, processed outputs come out in order.
//!
//! A run pulls items from a `source` iterator (image tiles, audio frame groups, video rows: any
//! units that can be processed independently), passes each through one or two stage functions
//! (for example transform + quantize, then entropy coding) and hands the results to a `sink`
//! in exactly the order the source produced them. The pipeline knows nothing about media.
//!
//! Threads: the source runs on a thread named `quanta-source`; each stage runs on
//! [`PipelineConfig::workers`] threads named `quanta-<stage>-<index>` (for example
//! `quanta-transform-0`); the sink runs on the calling thread. Neighbours are joined by bounded
//! channels, so a slow stage holds the faster ones back instead of letting queues grow. With a
//! single worker everything runs inline on the calling thread instead, in the same order, with
//! the same stage functions and the same results, and no thread is started.
//!
//! Memory: the source may run at most [`PipelineConfig::window`] items ahead of the sink, so
//! the number of items alive at once stays bounded even when one item is slow and the sink
//! has to hold later ones back to restore the order.
//!
//! Failure: the first error from the source, a stage or the sink (and any panic, reported as
//! [`Error::Pipeline`] naming the thread) stops every stage and is returned from the run. A
//! [`Cancel`] handle stops a run from outside. When [`run`] returns, every thread it started
//! has finished.

mod cancel;
mod inline;
mod reorder;
mod stage;
mod threaded;

#[cfg(test)]
mod failure_tests;
#[cfg(test)]
mod tests;

use std::time::Duration;

use crate::error::{Error, Result};

pub use cancel::Cancel;

/// How a run is spread over threads.
#[derive(Debug, Clone, Default)]
pub struct PipelineConfig {
    /// Worker threads per stage; 0 means one per available core. With 1 (or on a one-core
    /// machine with 0) the whole run happens inline on the calling thread.
    pub threads: usize,
    /// Capacity of each channel between two neighbouring stages; 0 means twice the workers.
    pub queue_depth: usize,
    /// Stops the run early when cancelled from another thread (for example on Ctrl-C).
    /// The run then returns [`Error::Pipeline`] saying it was cancelled.
    pub cancel: Cancel,
}

impl PipelineConfig {
    /// A configuration with `threads` workers per stage and default queues.
    pub fn with_threads(threads: usize) -> PipelineConfig {
        PipelineConfig {
            threads,
            ..PipelineConfig::default()
        }
    }

    /// The number of workers per stage this configuration gives, at least 1.
    pub fn workers(&self) -> usize {
        match self.threads {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        }
    }

    /// The capacity of each channel between stages, at least 1.
    pub fn queue_capacity(&self) -> usize {
        match self.queue_depth {
            0 => 2 * self.workers(),
            n => n,
        }
    }

    /// The most items that can be alive at once: read by the source but not yet consumed by
    /// the sink. It is `3 * queue_capacity() + 2 * workers()`, enough to fill every channel
    /// and keep every worker busy; beyond it the source waits for the sink.
    pub fn window(&self) -> usize {
        3 * self.queue_capacity() + 2 * self.workers()
    }
}

/// What one stage did during a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageStats {
    /// `"source"`, the stage name given to [`run`], or `"sink"`.
    pub name: &'static str,
    /// Items the stage completed successfully.
    pub items: u64,
    /// Time spent inside the stage's function, summed over its workers.
    pub busy: Duration,
}

/// What a whole run did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunStats {
    /// One entry per stage, in pipeline order: source, the stages, sink.
    pub stages: Vec<StageStats>,
    /// Wall-clock time of the whole run.
    pub wall: Duration,
}

/// Runs `source -> stage_a -> stage_b -> sink` and returns what each stage did.
///
/// `source` yields the units of work; an `Err` from it ends the run with that error. Each
/// stage is a name (used for thread names and statistics) and a function that may run on
/// several threads at once. `sink` runs on the calling thread and receives the outputs in
/// source order. The first error, or a panic, anywhere stops the run and is returned; when
/// several items fail at about the same time, the one reported is the first to be noticed.
/// If `config.cancel` is cancelled before the run returns, the run ends with
/// [`Error::Pipeline`] unless another error came first.
///
/// The run returns once every thread has finished; a source blocked inside `next` (reading
/// a slow input, say) is waited for.
pub fn run<I, M, O, Src, A, B, S>(
    config: &PipelineConfig,
    source: Src,
    stage_a: (&'static str, A),
    stage_b: (&'static str, B),
    sink: S,
) -> Result<RunStats>
where
    Src: IntoIterator<Item = Result<I>>,
    Src::IntoIter: Send,
    A: Fn(I) -> Result<M> + Sync,
    B: Fn(M) -> Result<O> + Sync,
    S: FnMut(O) -> Result<()>,
    I: Send,
    M: Send,
    O: Send,
{
    let source = source.into_iter();
    if config.workers() == 1 {
        inline::run_two(&config.cancel, source, stage_a, stage_b, sink)
    } else {
        threaded::run_two(config, source, stage_a, stage_b, sink)
    }
}

/// Runs `source -> stage -> sink`: [`run`] with a single stage.
pub fn run_one<I, O, Src, F, S>(
    config: &PipelineConfig,
    source: Src,
    stage: (&'static str, F),
    sink: S,
) -> Result<RunStats>
where
    Src: IntoIterator<Item = Result<I>>,
    Src::IntoIter: Send,
    F: Fn(I) -> Result<O> + Sync,
    S: FnMut(O) -> Result<()>,
    I: Send,
    O: Send,
{
    let source = source.into_iter();
    if config.workers() == 1 {
        inline::run_one(&config.cancel, source, stage, sink)
    } else {
        threaded::run_one(config, source, stage, sink)
    }
}

/// The error a run returns when its [`Cancel`] handle was used.
fn cancelled_error() -> Error {
    Error::Pipeline("the run was cancelled".to_string())
}
