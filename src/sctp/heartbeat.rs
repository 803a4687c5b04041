//! RFC 9260 §8.3: path heartbeats. An idle association sends a HEARTBEAT every HB.interval
//! (jittered); the HEARTBEAT ACK gives an RTT measurement and an unanswered one counts towards
//! Association.Max.Retrans. The peer's HEARTBEATs are echoed back.

use super::assoc::{Association, Timer};
use super::chunk::{Params, param};
use std::time::Duration;

impl Association {
    /// RFC 9260 §8.3: arms the heartbeat timer.
    pub(super) fn arm_heartbeat(&mut self) {
        // §8.3: HB.interval + RTO, jittered by ±50% of RTO.
        let rto = self.sender.rto.rto();
        let jitter = self.rng.duration_between(Duration::ZERO, rto);
        self.timers.set(
            Timer::Heartbeat,
            self.now + self.cfg.heartbeat_interval + rto / 2 + jitter,
        );
    }

    /// RFC 9260 §8.3: the heartbeat timer expired: count the last heartbeat if it went
    /// unanswered, send a new one, and let an idle sender's cwnd decay (§7.2.1).
    pub(super) fn on_heartbeat_timer(&mut self) {
        let now = self.now;
        if !self.is_established() {
            return;
        }
        if self.heartbeat_outstanding.take().is_some() && !self.bump_errors() {
            return;
        }
        self.heartbeat_due = true;
        self.arm_heartbeat();
        self.sender.on_idle_check(now);
    }

    /// RFC 9260 §8.3: a HEARTBEAT from the peer is echoed in a HEARTBEAT ACK (a few at most).
    pub(super) fn on_heartbeat(&mut self, info: &[u8]) {
        if self.heartbeat_acks.len() < 4 {
            self.heartbeat_acks.push_back(info.to_vec());
        }
    }

    /// RFC 9260 §8.3: the answer to our HEARTBEAT, when its nonce matches.
    pub(super) fn on_heartbeat_ack(&mut self, info: &[u8]) {
        let Some(v) = Params::parse(info)
            .ok()
            .and_then(|p| p.find(param::HEARTBEAT_INFO))
        else {
            return;
        };
        if v.len() != 8 {
            self.stats.dropped.unexpected += 1;
            return;
        }
        let nonce = u64::from_be_bytes(v.try_into().expect("invariant: 8 bytes"));
        if let Some((n, at)) = self.heartbeat_outstanding
            && n == nonce
        {
            self.heartbeat_outstanding = None;
            self.error_count = 0;
            // §8.3: a heartbeat round trip is an RTT measurement.
            self.sender
                .rto
                .sample(self.now.saturating_duration_since(at));
        } else {
            self.stats.dropped.unexpected += 1;
        }
    }
}
