//! Client transaction retransmission over UDP (RFC 8489 §6.2.1).
//!
//! The request is sent at once and retransmitted after RTO, 2·RTO, 4·RTO, ... until `Rc`
//! transmissions have been made; the transaction fails `Rm`·RTO after the last one. With the
//! defaults (RTO 500 ms, Rc 7, Rm 16) requests go out at 0, 0.5, 1.5, 3.5, 7.5, 15.5 and 31.5 s and
//! the transaction fails at 39.5 s. All deadlines surface through `poll_timeout`.

use std::time::{Duration, Instant};

/// Retransmission parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetransmitConfig {
    /// Initial RTO (RFC 8489 §6.2.1: 500 ms recommended).
    pub rto: Duration,
    /// Total transmissions, `Rc` (7).
    pub max_transmissions: u32,
    /// `Rm`: how many initial RTOs to wait after the last transmission (16).
    pub last_wait_multiplier: u32,
}

impl Default for RetransmitConfig {
    fn default() -> Self {
        Self {
            rto: Duration::from_millis(500),
            max_transmissions: 7,
            last_wait_multiplier: 16,
        }
    }
}

/// What to do when a transaction's deadline passes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RetransmitAction {
    /// Not due yet.
    Wait,
    /// Send the request again (same bytes, same transaction id).
    Retransmit,
    /// No response in time: the transaction failed.
    GiveUp,
}

/// The retransmission state of one client transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Retransmit {
    config: RetransmitConfig,
    transmissions: u32,
    rto: Duration,
    deadline: Instant,
}

impl Retransmit {
    /// A transaction whose first transmission happens at `now`.
    pub(crate) fn new(now: Instant, config: RetransmitConfig) -> Self {
        let mut r = Self {
            config,
            transmissions: 1,
            rto: config.rto,
            deadline: now,
        };
        r.deadline = now + r.wait_after_send();
        r
    }

    fn wait_after_send(&self) -> Duration {
        if self.transmissions >= self.config.max_transmissions.max(1) {
            self.config.rto * self.config.last_wait_multiplier
        } else {
            self.rto
        }
    }

    /// When the next retransmission or the failure is due.
    pub(crate) fn deadline(&self) -> Instant {
        self.deadline
    }

    /// Transmissions so far.
    pub(crate) fn transmissions(&self) -> u32 {
        self.transmissions
    }

    /// Advances the schedule at `now`.
    pub(crate) fn on_timeout(&mut self, now: Instant) -> RetransmitAction {
        if now < self.deadline {
            return RetransmitAction::Wait;
        }
        if self.transmissions >= self.config.max_transmissions.max(1) {
            return RetransmitAction::GiveUp;
        }
        self.transmissions += 1;
        self.rto *= 2;
        self.deadline = now + self.wait_after_send();
        RetransmitAction::Retransmit
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc8489_default_schedule() {
        let b = crate::test_util::base();
        let mut r = Retransmit::new(b, RetransmitConfig::default());
        let mut sends = vec![Duration::ZERO];
        loop {
            let now = r.deadline();
            match r.on_timeout(now) {
                RetransmitAction::Retransmit => sends.push(now - b),
                RetransmitAction::GiveUp => {
                    assert_eq!(now - b, Duration::from_millis(39_500));
                    break;
                }
                RetransmitAction::Wait => unreachable!("at the deadline"),
            }
        }
        let ms: Vec<u64> = sends.iter().map(|d| d.as_millis() as u64).collect();
        assert_eq!(ms, [0, 500, 1500, 3500, 7500, 15500, 31500]);
        assert_eq!(r.transmissions(), 7);
    }

    #[test]
    fn early_timeout_is_a_no_op() {
        let b = crate::test_util::base();
        let mut r = Retransmit::new(b, RetransmitConfig::default());
        assert_eq!(
            r.on_timeout(b + Duration::from_millis(499)),
            RetransmitAction::Wait
        );
        assert_eq!(r.transmissions(), 1);
    }
}
