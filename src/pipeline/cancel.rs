//! A cancellation handle: one thread cancels, every thread of a run notices.
//!
//! A [`Cancel`] goes in with the pipeline configuration; any clone of it can be cancelled from
//! any thread (a Ctrl-C handler, a user interface). Threads of the run check the flag between
//! items, and a thread waiting on a channel is woken at once: cancelling closes a private
//! channel that the waiting thread selects on. The run also uses one internally to stop all
//! its stages after the first error.

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use crossbeam_channel::{Receiver, Sender};

/// Stops a pipeline run early. Clones share one flag; once cancelled, a handle stays cancelled.
///
/// Put a clone in [`PipelineConfig::cancel`](super::PipelineConfig::cancel) and call
/// [`Cancel::cancel`] from another thread: the run stops its stages promptly and returns
/// [`Error::Pipeline`](crate::error::Error::Pipeline).
#[derive(Clone)]
pub struct Cancel {
    inner: Arc<Inner>,
}

struct Inner {
    cancelled: AtomicBool,
    /// Never sends; dropped on cancel, which disconnects `wake` and so wakes its waiters.
    alarm: Mutex<Option<Sender<()>>>,
    wake: Receiver<()>,
}

impl Cancel {
    /// A handle that is not cancelled.
    pub fn new() -> Cancel {
        let (alarm, wake) = crossbeam_channel::bounded(0);
        Cancel {
            inner: Arc::new(Inner {
                cancelled: AtomicBool::new(false),
                alarm: Mutex::new(Some(alarm)),
                wake,
            }),
        }
    }

    /// Cancels every run using this handle or a clone of it. Calling it again does nothing.
    pub fn cancel(&self) {
        self.inner.cancelled.store(true, Ordering::SeqCst);
        // A poisoned lock still holds a valid Option: take the sender out all the same.
        let mut alarm = self
            .inner
            .alarm
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        drop(alarm.take());
    }

    /// Whether [`Cancel::cancel`] has been called on this handle or a clone.
    pub fn is_cancelled(&self) -> bool {
        self.inner.cancelled.load(Ordering::SeqCst)
    }

    /// A channel that never delivers a message and becomes disconnected when cancelled, for
    /// use in a `select` next to the channel a thread is waiting on.
    pub(super) fn wake(&self) -> &Receiver<()> {
        &self.inner.wake
    }
}

impl Default for Cancel {
    fn default() -> Cancel {
        Cancel::new()
    }
}

impl fmt::Debug for Cancel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cancel")
            .field("cancelled", &self.is_cancelled())
            .finish()
    }
}
