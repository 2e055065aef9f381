//! Time budgets: long loops check a deadline and stop with a clear error.

use std::time::{Duration, Instant};

/// Why a graph query stopped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    /// The query ran past its time budget.
    #[error("the query ran past its time budget of {0:?}")]
    Timeout(Duration),
    /// A size limit was reached.
    #[error("{what} would exceed the limit of {limit}")]
    LimitExceeded {
        /// What grew too large.
        what: &'static str,
        /// The limit.
        limit: usize,
    },
    /// An iterative method did not converge.
    #[error("{0} did not converge within its iteration limit")]
    NoConvergence(&'static str),
}

/// A deadline for one query; cheap to copy and to check.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    deadline: Option<Instant>,
    limit: Duration,
}

impl Budget {
    /// No deadline.
    pub fn unlimited() -> Self {
        Self {
            deadline: None,
            limit: Duration::MAX,
        }
    }

    /// A deadline `limit` from now.
    pub fn of(limit: Duration) -> Self {
        Self {
            deadline: Instant::now().checked_add(limit),
            limit,
        }
    }

    /// Errors when the deadline has passed.
    #[inline]
    pub fn check(&self) -> Result<(), QueryError> {
        match self.deadline {
            Some(d) if Instant::now() > d => Err(QueryError::Timeout(self.limit)),
            _ => Ok(()),
        }
    }
}
