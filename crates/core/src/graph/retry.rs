//! When the pipeline repeats a request, and how long it waits first.
//!
//! Invariants: reads (GET) are repeated on 429, 5xx and transport failures; writes only on
//! 429 (Graph throttles before it processes) and on failures to connect (nothing was sent) —
//! never on a 5xx or a lost answer, which the caller reconciles by re-reading. A `Retry-After`
//! is honoured in both forms (delta-seconds and HTTP-date); without one, exponential backoff
//! with jitter (the `backon` crate) up to a cap. Waits longer than `max_wait` are not slept
//! through: the error goes to the caller with its retry-after.

use std::time::{Duration, SystemTime};

use backon::{BackoffBuilder, ExponentialBackoff, ExponentialBuilder};

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryPolicy {
    /// Attempts in all, including the first.
    pub max_attempts: usize,
    /// First backoff delay (before jitter).
    pub base_delay: Duration,
    /// No backoff delay is longer than this.
    pub max_delay: Duration,
    /// A `Retry-After` longer than this is handed to the caller instead of slept through.
    pub max_wait: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 5,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
            max_wait: Duration::from_secs(120),
        }
    }
}

impl RetryPolicy {
    /// Backoff delays for one request's retries; `seed` makes the jitter reproducible.
    pub fn backoff(&self, seed: u64) -> impl Iterator<Item = Duration> + use<> {
        let cap = self.max_delay;
        let delays: ExponentialBackoff = ExponentialBuilder::new()
            .with_min_delay(self.base_delay)
            .with_max_delay(self.max_delay)
            .with_factor(2.0)
            .with_jitter()
            .with_jitter_seed(seed)
            .with_max_times(self.max_attempts.saturating_sub(1))
            .build();
        // backon jitters on top of its own cap; ours is a hard one.
        delays.map(move |d| d.min(cap))
    }
}

/// Parses `Retry-After`: delta-seconds (`"41"`) or an HTTP-date
/// (`"Wed, 21 Oct 2015 07:28:00 GMT"`), relative to `now`. A date in the past means "now".
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_in_both_forms() {
        let now = httpdate::parse_http_date("Wed, 21 Oct 2026 07:28:00 GMT").unwrap();
        assert_eq!(parse_retry_after("41", now), Some(Duration::from_secs(41)));
        assert_eq!(parse_retry_after(" 0 ", now), Some(Duration::ZERO));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2026 07:28:07 GMT", now),
            Some(Duration::from_secs(7))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2026 07:27:00 GMT", now),
            Some(Duration::ZERO),
            "a date already past means retry now"
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-3", now), None);
    }

    #[test]
    fn backoff_grows_with_jitter_and_stays_under_the_cap() {
        let policy = RetryPolicy {
            max_attempts: 8,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(1_000),
            max_wait: Duration::from_secs(10),
        };
        for seed in 0..50 {
            let delays: Vec<Duration> = policy.backoff(seed).collect();
            assert_eq!(delays.len(), 7, "one delay per retry");
            for (i, d) in delays.iter().enumerate() {
                let nominal =
                    Duration::from_millis(100 * (1 << i)).min(Duration::from_millis(1_000));
                // Jitter adds up to the nominal delay again, never past the cap.
                let low = nominal - Duration::from_millis(1);
                let high = (nominal * 2).min(Duration::from_millis(1_000));
                assert!(
                    *d >= low && *d <= high,
                    "seed {seed} retry {i}: {d:?} outside [{low:?}, {high:?}]"
                );
            }
        }
        let a: Vec<_> = policy.backoff(1).collect();
        let b: Vec<_> = policy.backoff(2).collect();
        assert_ne!(a, b, "different seeds jitter differently");
        assert_eq!(
            a,
            policy.backoff(1).collect::<Vec<_>>(),
            "same seed, same delays"
        );
    }
}
