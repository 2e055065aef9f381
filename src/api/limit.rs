//! A per-token write-rate limit: one token bucket per token name.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Token buckets, one per token name: `rate` writes per second on average, bursts of
/// up to `burst`.
#[derive(Debug)]
pub struct WriteLimiter {
    rate: f64,
    burst: f64,
    buckets: Mutex<HashMap<String, Bucket>>,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

impl WriteLimiter {
    /// A limiter of `rate` writes per second per token, bursts of twice that (at least 1).
    /// A rate of 0 means no limit.
    pub fn new(rate: f64) -> Self {
        Self {
            rate,
            burst: (rate * 2.0).max(1.0),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one write from `name`'s bucket; `Err(wait)` when it is empty, with the
    /// time until the next write is allowed.
    pub fn take(&self, name: &str) -> Result<(), Duration> {
        self.take_at(name, Instant::now())
    }

    fn take_at(&self, name: &str, now: Instant) -> Result<(), Duration> {
        if self.rate <= 0.0 {
            return Ok(());
        }
        let mut buckets = match self.buckets.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        let bucket = buckets.entry(name.to_string()).or_insert(Bucket {
            tokens: self.burst,
            at: now,
        });
        let elapsed = now.saturating_duration_since(bucket.at).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * self.rate).min(self.burst);
        bucket.at = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - bucket.tokens) / self.rate))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_allows_its_burst_then_refills_at_the_rate() {
        let limiter = WriteLimiter::new(10.0);
        let t0 = Instant::now();
        for _ in 0..20 {
            assert!(limiter.take_at("editor", t0).is_ok());
        }
        let wait = limiter.take_at("editor", t0).unwrap_err();
        assert!(wait <= Duration::from_millis(100) && wait > Duration::ZERO);
        assert!(
            limiter.take_at("other", t0).is_ok(),
            "buckets are per token"
        );
        let later = t0 + Duration::from_millis(100);
        assert!(
            limiter.take_at("editor", later).is_ok(),
            "one write per 100 ms"
        );
        assert!(limiter.take_at("editor", later).is_err());
    }

    #[test]
    fn a_rate_of_zero_is_no_limit() {
        let limiter = WriteLimiter::new(0.0);
        for _ in 0..10_000 {
            assert!(limiter.take("editor").is_ok());
        }
    }
}
