//! Simulated links: latency, jitter, loss (independent or Gilbert-Elliott bursts), reordering,
//! duplication, MTU, bandwidth with a tail-drop queue, and cut / restore.
//!
//! A link joins a host interface to its segment, or a NAT's outside to its parent segment. Each
//! direction has its own queue, loss state and random stream, so traffic one way never changes
//! what happens to traffic the other way.

use crate::rng::Rng;
use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// Every delay a link adds (serialisation, latency, jitter, reorder hold-back) is capped at one
/// day of virtual time, so no configuration can overflow `Instant` arithmetic.
pub const MAX_LINK_DELAY: Duration = Duration::from_secs(86_400);

/// Packet loss model of one link direction.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum Loss {
    /// No loss.
    #[default]
    None,
    /// Each datagram is lost independently with this probability.
    Independent(f64),
    /// The Gilbert-Elliott two-state burst model: each datagram first moves the chain
    /// (good → bad with `p`, bad → good with `r`), then is lost with the state's probability.
    /// The long-run loss rate is `(r·loss_good + p·loss_bad) / (p + r)`.
    GilbertElliott {
        /// P(good → bad) per datagram.
        p: f64,
        /// P(bad → good) per datagram.
        r: f64,
        /// Loss probability in the good state.
        loss_good: f64,
        /// Loss probability in the bad state.
        loss_bad: f64,
    },
}

impl Loss {
    /// The long-run fraction of datagrams lost.
    pub fn mean(&self) -> f64 {
        match *self {
            Loss::None => 0.0,
            Loss::Independent(p) => p.clamp(0.0, 1.0),
            Loss::GilbertElliott {
                p,
                r,
                loss_good,
                loss_bad,
            } => {
                if p + r <= 0.0 {
                    loss_good
                } else {
                    (r * loss_good + p * loss_bad) / (p + r)
                }
            }
        }
    }
}

/// Deliberate reordering: with `probability`, a datagram is held back by `extra_delay`, so
/// datagrams sent after it overtake it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reorder {
    /// Fraction of datagrams held back.
    pub probability: f64,
    /// How long they are held back.
    pub extra_delay: Duration,
}

/// The behaviour of a link, applied to each direction independently.
///
/// Sizes count the IP packet: the UDP payload plus 28 bytes of IPv4 + UDP headers (48 for IPv6).
#[derive(Debug, Clone, PartialEq)]
pub struct LinkConfig {
    /// One-way propagation delay.
    pub latency: Duration,
    /// Extra delay drawn uniformly from `0..=jitter` per datagram. Unless `reorder` is set the
    /// link stays FIFO: a datagram never arrives before one sent ahead of it.
    pub jitter: Duration,
    /// Loss model.
    pub loss: Loss,
    /// Probability that a datagram is delivered twice (the copy draws its own jitter).
    pub duplication: f64,
    /// Reordering, off by default.
    pub reorder: Option<Reorder>,
    /// Largest IP packet carried; larger ones are dropped (no fragmentation).
    pub mtu_bytes: Option<usize>,
    /// Serialisation rate in bits per second; `None` is infinitely fast.
    pub bandwidth_bps: Option<u64>,
    /// Bytes the queue in front of a bandwidth-limited link holds before tail drop.
    pub queue_bytes: usize,
}

impl Default for LinkConfig {
    fn default() -> Self {
        Self::ideal()
    }
}

impl LinkConfig {
    /// No delay, no loss, no limits.
    pub fn ideal() -> Self {
        Self {
            latency: Duration::ZERO,
            jitter: Duration::ZERO,
            loss: Loss::None,
            duplication: 0.0,
            reorder: None,
            mtu_bytes: None,
            bandwidth_bps: None,
            queue_bytes: 64 * 1024,
        }
    }

    /// Sets the one-way latency.
    pub fn latency(mut self, latency: Duration) -> Self {
        self.latency = latency;
        self
    }

    /// Sets the jitter.
    pub fn jitter(mut self, jitter: Duration) -> Self {
        self.jitter = jitter;
        self
    }

    /// Sets independent loss with probability `p`.
    pub fn loss(mut self, p: f64) -> Self {
        self.loss = Loss::Independent(p);
        self
    }

    /// Sets a loss model.
    pub fn loss_model(mut self, loss: Loss) -> Self {
        self.loss = loss;
        self
    }

    /// Sets the duplication probability.
    pub fn duplication(mut self, p: f64) -> Self {
        self.duplication = p;
        self
    }

    /// Holds back a fraction of datagrams so later ones overtake them.
    pub fn reorder(mut self, probability: f64, extra_delay: Duration) -> Self {
        self.reorder = Some(Reorder {
            probability,
            extra_delay,
        });
        self
    }

    /// Sets the MTU (IP packet bytes).
    pub fn mtu(mut self, mtu_bytes: usize) -> Self {
        self.mtu_bytes = Some(mtu_bytes);
        self
    }

    /// Limits the rate to `bps` bits per second behind a `queue_bytes` tail-drop queue.
    pub fn bandwidth(mut self, bps: u64, queue_bytes: usize) -> Self {
        self.bandwidth_bps = Some(bps);
        self.queue_bytes = queue_bytes;
        self
    }
}

/// Why a link dropped a datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LinkDrop {
    Down,
    OverMtu,
    QueueFull,
    Lost,
}

/// Counters of one link direction.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LinkStats {
    /// Datagrams offered to the link.
    pub offered: u64,
    /// Datagrams that left the far end (duplicates count twice).
    pub carried: u64,
    /// IP bytes offered.
    pub offered_bytes: u64,
    /// Dropped because the link was cut.
    pub dropped_down: u64,
    /// Dropped for exceeding the MTU.
    pub dropped_over_mtu: u64,
    /// Dropped at the tail of a full queue.
    pub dropped_queue_full: u64,
    /// Lost on the wire.
    pub lost: u64,
    /// Extra copies made.
    pub duplicated: u64,
}

/// The state of one direction of a link.
#[derive(Debug)]
pub(crate) struct LinkDirection {
    rng: Rng,
    /// Gilbert-Elliott state: `true` while in the bad state.
    bad: bool,
    /// When the transmitter finishes serialising what it has accepted so far.
    busy_until: Option<Instant>,
    /// Departure times and sizes of datagrams queued or being serialised.
    queue: VecDeque<(Instant, usize)>,
    queued_bytes: usize,
    /// Latest arrival time handed out, to keep a non-reordering link FIFO.
    last_arrival: Option<Instant>,
    pub(crate) stats: LinkStats,
}

impl LinkDirection {
    pub(crate) fn new(rng: Rng) -> Self {
        Self {
            rng,
            bad: false,
            busy_until: None,
            queue: VecDeque::new(),
            queued_bytes: 0,
            last_arrival: None,
            stats: LinkStats::default(),
        }
    }

    /// Offers a datagram of `size_bytes` (IP) at `now`; returns when it arrives at the far end
    /// (twice when duplicated), or why it was dropped.
    pub(crate) fn transmit(
        &mut self,
        config: &LinkConfig,
        up: bool,
        now: Instant,
        size_bytes: usize,
    ) -> Result<Arrivals, LinkDrop> {
        self.stats.offered += 1;
        self.stats.offered_bytes += size_bytes as u64;
        if !up {
            self.stats.dropped_down += 1;
            return Err(LinkDrop::Down);
        }
        if config.mtu_bytes.is_some_and(|mtu| size_bytes > mtu) {
            self.stats.dropped_over_mtu += 1;
            return Err(LinkDrop::OverMtu);
        }
        // Queue and serialisation: the datagram is accepted when the bytes still waiting to
        // leave plus its own fit the queue; it departs when the transmitter is free again.
        let departure = match config.bandwidth_bps {
            Some(bps) if bps > 0 => {
                while let Some(&(leaves, size)) = self.queue.front() {
                    if leaves > now {
                        break;
                    }
                    self.queued_bytes -= size;
                    self.queue.pop_front();
                }
                if self.queued_bytes + size_bytes > config.queue_bytes {
                    self.stats.dropped_queue_full += 1;
                    return Err(LinkDrop::QueueFull);
                }
                let start = self.busy_until.map_or(now, |b| b.max(now));
                let nanos = (size_bytes as u128 * 8 * 1_000_000_000).div_ceil(u128::from(bps));
                let serialise = Duration::from_nanos(nanos.min(u128::from(u64::MAX)) as u64);
                let done = start + serialise.min(MAX_LINK_DELAY);
                self.busy_until = Some(done);
                self.queue.push_back((done, size_bytes));
                self.queued_bytes += size_bytes;
                done
            }
            _ => now,
        };
        // Loss on the wire, after the datagram has used its share of the bandwidth.
        let lost = match config.loss {
            Loss::None => false,
            Loss::Independent(p) => self.rng.chance(p),
            Loss::GilbertElliott {
                p,
                r,
                loss_good,
                loss_bad,
            } => {
                self.bad = if self.bad {
                    !self.rng.chance(r)
                } else {
                    self.rng.chance(p)
                };
                self.rng.chance(if self.bad { loss_bad } else { loss_good })
            }
        };
        if lost {
            self.stats.lost += 1;
            return Err(LinkDrop::Lost);
        }
        let first = self.arrival(config, departure);
        let second = if config.duplication > 0.0 && self.rng.chance(config.duplication) {
            self.stats.duplicated += 1;
            Some(self.arrival(config, departure))
        } else {
            None
        };
        self.stats.carried += 1 + u64::from(second.is_some());
        Ok(Arrivals { first, second })
    }

    fn arrival(&mut self, config: &LinkConfig, departure: Instant) -> Instant {
        let mut at = departure + config.latency.min(MAX_LINK_DELAY);
        if !config.jitter.is_zero() {
            at += self
                .rng
                .duration_between(Duration::ZERO, config.jitter.min(MAX_LINK_DELAY));
        }
        match config.reorder {
            Some(r) => {
                if self.rng.chance(r.probability) {
                    at += r.extra_delay.min(MAX_LINK_DELAY);
                }
            }
            None => {
                // FIFO: jitter alone never lets a later datagram overtake an earlier one.
                if let Some(last) = self.last_arrival {
                    at = at.max(last);
                }
            }
        }
        self.last_arrival = Some(self.last_arrival.map_or(at, |l| l.max(at)));
        at
    }
}

/// When a datagram (and its duplicate, if any) reaches the far end.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Arrivals {
    pub(crate) first: Instant,
    pub(crate) second: Option<Instant>,
}
