//! A per-token write-rate limit: `governor`'s keyed GCRA limiter, one cell per token
//! name.

use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::middleware::NoOpMiddleware;
use governor::state::keyed::HashMapStateStore;
use governor::{Quota, RateLimiter};

/// One GCRA cell per token name, on clock `C`.
type Cells<C> =
    RateLimiter<String, HashMapStateStore<String>, C, NoOpMiddleware<<C as Clock>::Instant>>;

/// `rate` writes per second per token on average, bursts of up to twice that (at
/// least 1); a rate of 0 is no limit.
pub struct WriteLimiter<C: Clock = DefaultClock> {
    limiter: Option<Cells<C>>,
    clock: C,
}

impl std::fmt::Debug for WriteLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WriteLimiter")
            .field("limited", &self.limiter.is_some())
            .finish()
    }
}

impl WriteLimiter {
    /// A limiter of `rate` writes per second per token.
    pub fn new(rate: f64) -> Self {
        Self::with_clock(rate, DefaultClock::default())
    }
}

impl<C: Clock + Clone> WriteLimiter<C> {
    fn with_clock(rate: f64, clock: C) -> Self {
        let quota = (rate > 0.0 && rate.is_finite())
            .then(|| Quota::with_period(Duration::from_secs_f64(1.0 / rate)))
            .flatten()
            .map(|quota| {
                let burst = (rate * 2.0).ceil().clamp(1.0, f64::from(u32::MAX)) as u32;
                quota.allow_burst(NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN))
            });
        Self {
            limiter: quota.map(|q| RateLimiter::hashmap_with_clock(q, clock.clone())),
            clock,
        }
    }

    /// Takes one write for the token `name`; `Err(wait)` when its bucket is empty,
    /// with the time until its next write is allowed.
    pub fn take(&self, name: &str) -> Result<(), Duration> {
        let Some(limiter) = &self.limiter else {
            return Ok(());
        };
        limiter
            .check_key(&name.to_string())
            .map_err(|not_until| not_until.wait_time_from(self.clock.now()))
    }
}

#[cfg(test)]
mod tests {
    use governor::clock::FakeRelativeClock;

    use super::*;

    #[test]
    fn a_bucket_allows_its_burst_then_refills_at_the_rate() {
        let clock = FakeRelativeClock::default();
        let limiter = WriteLimiter::with_clock(10.0, clock.clone());
        for _ in 0..20 {
            assert!(limiter.take("editor").is_ok());
        }
        let wait = limiter.take("editor").unwrap_err();
        assert!(
            wait <= Duration::from_millis(100) && wait > Duration::ZERO,
            "{wait:?}"
        );
        assert!(limiter.take("other").is_ok(), "buckets are per token");
        clock.advance(Duration::from_millis(100));
        assert!(limiter.take("editor").is_ok(), "one write per 100 ms");
        assert!(limiter.take("editor").is_err());
    }

    #[test]
    fn a_rate_of_zero_is_no_limit() {
        let limiter = WriteLimiter::new(0.0);
        for _ in 0..10_000 {
            assert!(limiter.take("editor").is_ok());
        }
    }
}
