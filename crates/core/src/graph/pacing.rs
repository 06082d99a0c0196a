//! Client-side pacing for Graph's virtual-event limits (750 GET and 15 create/update/delete per
//! 30 s per app), so normal use never sees a 429.
//!
//! Each limit is a token bucket whose tokens come back exactly one window after they were
//! spent (a rolling window). A bucket that refills continuously would let `limit` requests
//! through at once and then keep refilling during the same window, which a server counting
//! "N per 30 s" rejects; returning each token a full window later never exceeds N in any
//! window, whether the server counts fixed or sliding windows. A small margin is added to the
//! window because the server counts arrivals, not our departures.
//!
//! Invariants: [`RollingBudget`] is pure (time is passed in); [`Pacer`] is shared by every
//! Graph client of one app instance; a `Retry-After` from Graph pauses the whole class of
//! requests, since Graph keeps counting while it throttles.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Mutex, Semaphore, SemaphorePermit};
use tokio::time::Instant;

/// The documented limits, and how much concurrency reads may use.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    pub reads_per_window: usize,
    pub writes_per_window: usize,
    pub window: Duration,
    /// Added to `window` for the arrival-versus-departure difference.
    pub margin: Duration,
    /// Reads in flight at once.
    pub read_concurrency: usize,
}

impl Limits {
    /// Graph's throttling limits for virtual events (graph-api.md §2.4).
    pub const GRAPH: Limits = Limits {
        reads_per_window: 750,
        writes_per_window: 15,
        window: Duration::from_secs(30),
        margin: Duration::from_millis(500),
        // Enough for every chain of pages of a series sync to proceed side by side; the rolling
        // budget, not this, keeps the rate under the limit.
        read_concurrency: 20,
    };

    /// The same limits on a faster clock (tests and benchmarks against a time-scaled tenant).
    pub fn scaled(self, factor: f64) -> Limits {
        Limits {
            window: self.window.mul_f64(factor),
            margin: self.margin.mul_f64(factor),
            ..self
        }
    }
}

/// Which limit a request counts against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    Read,
    Write,
}

/// At most `limit` departures in any `window`: a pure bookkeeping of when tokens were spent.
#[derive(Debug, Clone)]
pub struct RollingBudget {
    limit: usize,
    window: Duration,
    spent: VecDeque<Instant>,
    paused_until: Option<Instant>,
}

impl RollingBudget {
    pub fn new(limit: usize, window: Duration) -> Self {
        Self {
            limit: limit.max(1),
            window,
            spent: VecDeque::new(),
            paused_until: None,
        }
    }

    /// Spends a token at `now`, or says when the next one becomes free.
    pub fn try_spend(&mut self, now: Instant) -> Result<(), Instant> {
        if let Some(until) = self.paused_until {
            if now < until {
                return Err(until);
            }
            self.paused_until = None;
        }
        while let Some(&oldest) = self.spent.front() {
            if now.duration_since(oldest) >= self.window {
                self.spent.pop_front();
            } else {
                break;
            }
        }
        if self.spent.len() < self.limit {
            self.spent.push_back(now);
            Ok(())
        } else {
            Err(self.spent[0] + self.window)
        }
    }

    /// Nothing more before `until` (Graph's `Retry-After`).
    pub fn pause_until(&mut self, until: Instant) {
        self.paused_until = Some(self.paused_until.map_or(until, |p| p.max(until)));
    }
}

/// The shared pacer: one rolling budget per class, and a cap on reads in flight.
#[derive(Debug)]
pub struct Pacer {
    limits: Limits,
    reads: Mutex<RollingBudget>,
    writes: Mutex<RollingBudget>,
    in_flight: Semaphore,
}

/// Held while a request is in flight; dropping it frees the slot.
#[derive(Debug)]
pub struct Slot<'a> {
    _permit: Option<SemaphorePermit<'a>>,
}

impl Pacer {
    pub fn new(limits: Limits) -> Arc<Self> {
        let window = limits.window + limits.margin;
        Arc::new(Self {
            limits,
            reads: Mutex::new(RollingBudget::new(limits.reads_per_window, window)),
            writes: Mutex::new(RollingBudget::new(limits.writes_per_window, window)),
            in_flight: Semaphore::new(limits.read_concurrency.max(1)),
        })
    }

    pub fn limits(&self) -> Limits {
        self.limits
    }

    fn budget(&self, class: Class) -> &Mutex<RollingBudget> {
        match class {
            Class::Read => &self.reads,
            Class::Write => &self.writes,
        }
    }

    /// Waits until a request of `class` may leave, and returns its slot.
    pub async fn acquire(&self, class: Class) -> Slot<'_> {
        // Reads take a concurrency slot first, so waiting readers queue fairly on the semaphore.
        let permit = match class {
            Class::Read => Some(self.in_flight.acquire().await.expect("never closed")),
            Class::Write => None,
        };
        loop {
            let wait = self.budget(class).lock().await.try_spend(Instant::now());
            match wait {
                Ok(()) => return Slot { _permit: permit },
                Err(at) => tokio::time::sleep_until(at).await,
            }
        }
    }

    /// Graph throttled us: hold every request of `class` for `delay`.
    pub async fn pause(&self, class: Class, delay: Duration) {
        self.budget(class)
            .lock()
            .await
            .pause_until(Instant::now() + delay);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(base: Instant, ms: u64) -> Instant {
        base + Duration::from_millis(ms)
    }

    #[test]
    fn never_more_than_the_limit_in_any_window() {
        let base = Instant::now();
        let mut b = RollingBudget::new(15, Duration::from_secs(30));
        let mut sent = Vec::new();
        let mut now = base;
        // Ask continuously for 100 tokens; jump to the time the budget names.
        while sent.len() < 100 {
            match b.try_spend(now) {
                Ok(()) => sent.push(now),
                Err(next) => {
                    assert!(next > now, "the next free token is in the future");
                    now = next;
                }
            }
        }
        for (i, t) in sent.iter().enumerate() {
            let in_window = sent[i..]
                .iter()
                .take_while(|u| u.duration_since(*t) < Duration::from_secs(30))
                .count();
            assert!(
                in_window <= 15,
                "{in_window} requests within 30 s of request {i}"
            );
        }
        // And it is not slower than the limit allows: 100 = 15 × 6 + 10 → six full windows.
        assert_eq!(sent[99].duration_since(base), Duration::from_secs(180));
    }

    #[test]
    fn a_burst_up_to_the_limit_goes_at_once() {
        let base = Instant::now();
        let mut b = RollingBudget::new(750, Duration::from_secs(30));
        for _ in 0..750 {
            b.try_spend(base).expect("within the limit");
        }
        assert_eq!(b.try_spend(at(base, 10)), Err(at(base, 30_000)));
    }

    #[test]
    fn a_pause_holds_even_with_tokens_left() {
        let base = Instant::now();
        let mut b = RollingBudget::new(15, Duration::from_secs(30));
        b.pause_until(at(base, 5_000));
        assert_eq!(b.try_spend(base), Err(at(base, 5_000)));
        // A shorter second pause does not shorten the first.
        b.pause_until(at(base, 1_000));
        assert_eq!(b.try_spend(at(base, 2_000)), Err(at(base, 5_000)));
        assert_eq!(b.try_spend(at(base, 5_000)), Ok(()));
    }

    #[test]
    fn scaled_limits_keep_the_counts() {
        let l = Limits::GRAPH.scaled(0.1);
        assert_eq!(l.window, Duration::from_secs(3));
        assert_eq!(l.writes_per_window, 15);
        assert_eq!(l.reads_per_window, 750);
    }
}
