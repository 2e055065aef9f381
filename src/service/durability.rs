//! Group commit of flushes. A writer commits under the writer lock without flushing,
//! then waits here until its version is on disk. One waiting writer at a time flushes
//! (one `fsync` for every version committed before its flush began); the others sleep
//! until a flush covers them. Thirty-two concurrent writers cost a handful of flushes,
//! not thirty-two.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};

use crate::store::StoreError;

/// Which versions are committed and which are on disk.
/// A flush this slow is logged: it is what a writer's latency tail is made of.
const SLOW_FLUSH: std::time::Duration = std::time::Duration::from_millis(50);

pub(crate) struct Durability {
    committed: AtomicU64,
    state: Mutex<FlushState>,
    flushed: Condvar,
}

struct FlushState {
    durable: u64,
    flushing: bool,
}

impl Durability {
    /// Everything up to `version` is committed and on disk.
    pub(crate) fn new(version: u64) -> Self {
        Self {
            committed: AtomicU64::new(version),
            state: Mutex::new(FlushState {
                durable: version,
                flushing: false,
            }),
            flushed: Condvar::new(),
        }
    }

    /// Records that `version` is committed (writer lock held, after the commit).
    pub(crate) fn committed(&self, version: u64) {
        self.committed.fetch_max(version, Ordering::SeqCst);
    }

    /// Returns once `version` is on disk, flushing with `flush` when no one else is.
    pub(crate) fn wait_durable(
        &self,
        version: u64,
        flush: impl Fn() -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let mut state = self.lock();
        loop {
            if state.durable >= version {
                return Ok(());
            }
            if !state.flushing {
                state.flushing = true;
                // Every version committed by now is in the store's log: one flush covers all.
                let target = self.committed.load(Ordering::SeqCst);
                drop(state);
                let started = std::time::Instant::now();
                let flushed = flush();
                let took = started.elapsed();
                if took >= SLOW_FLUSH {
                    tracing::warn!(ms = took.as_millis() as u64, "slow flush to disk");
                }
                state = self.lock();
                state.flushing = false;
                if flushed.is_ok() {
                    state.durable = state.durable.max(target);
                }
                self.flushed.notify_all();
                flushed?;
                continue;
            }
            state = match self.flushed.wait(state) {
                Ok(guard) => guard,
                Err(poisoned) => poisoned.into_inner(),
            };
        }
    }

    fn lock(&self) -> MutexGuard<'_, FlushState> {
        match self.state.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;
    use std::sync::Arc;

    #[test]
    fn writers_committed_before_a_flush_share_it_and_none_returns_before_its_flush() {
        let durability = Arc::new(Durability::new(0));
        let flushes = Arc::new(AtomicUsize::new(0));
        let on_disk = Arc::new(AtomicU64::new(0));
        let all_committed = Arc::new(std::sync::Barrier::new(32));
        let threads: Vec<_> = (1..=32u64)
            .map(|version| {
                let durability = Arc::clone(&durability);
                let flushes = Arc::clone(&flushes);
                let on_disk = Arc::clone(&on_disk);
                let all_committed = Arc::clone(&all_committed);
                std::thread::spawn(move || {
                    durability.committed(version);
                    all_committed.wait();
                    durability
                        .wait_durable(version, || {
                            flushes.fetch_add(1, Ordering::SeqCst);
                            let covered = durability.committed.load(Ordering::SeqCst);
                            std::thread::sleep(std::time::Duration::from_millis(5));
                            on_disk.fetch_max(covered, Ordering::SeqCst);
                            Ok(())
                        })
                        .unwrap();
                    assert!(on_disk.load(Ordering::SeqCst) >= version);
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(flushes.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn a_failed_flush_is_reported_and_the_next_writer_flushes_again() {
        let durability = Durability::new(3);
        durability.committed(4);
        let failed = durability.wait_durable(4, || Err(StoreError::Codec("disk full".into())));
        assert!(failed.is_err());
        let calls = AtomicUsize::new(0);
        durability
            .wait_durable(4, || {
                calls.fetch_add(1, Ordering::SeqCst);
                Ok(())
            })
            .unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        durability.wait_durable(2, || unreachable!()).unwrap();
    }
}
