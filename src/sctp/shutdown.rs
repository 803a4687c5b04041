//! RFC 9260 §9: ending an association. ABORT both ways (§9.1), the graceful SHUTDOWN, SHUTDOWN
//! ACK and SHUTDOWN COMPLETE sequence (§9.2) with its T2-shutdown timer and the
//! T5-shutdown-guard timer.

use super::assoc::{Association, AssociationState, CloseReason, Timer};
use super::chunk::{self, Params, cause, typ, write_chunk, write_param};
use bytes::BytesMut;
use std::time::Instant;

impl Association {
    /// RFC 9260 §9.2: graceful shutdown once queued data is delivered.
    pub fn shutdown(&mut self, now: Instant) {
        self.advance(now);
        match self.state {
            AssociationState::Established => {
                self.state = AssociationState::ShutdownPending;
                self.maybe_progress_shutdown();
            }
            AssociationState::Closed
            | AssociationState::CookieWait
            | AssociationState::CookieEchoed => self.close(CloseReason::Shutdown),
            _ => {}
        }
    }

    /// RFC 9260 §9.1: abort at once (ABORT with a User-Initiated Abort cause).
    pub fn abort(&mut self, now: Instant) {
        self.advance(now);
        if self.state == AssociationState::Closed {
            return;
        }
        self.send_abort(cause::USER_ABORT);
        self.close(CloseReason::LocalAbort);
    }

    /// RFC 9260 §9.1: sends an ABORT with one error cause (when the peer's tag is known).
    pub(super) fn send_abort(&mut self, cause_code: u16) {
        if self.peer_tag == 0 {
            return;
        }
        let mut out = BytesMut::with_capacity(32);
        self.write_header(&mut out, self.peer_tag);
        write_chunk(&mut out, typ::ABORT, 0, |o| write_param(o, cause_code, &[]));
        let z = self.caps.zero_checksum;
        self.finish_packet(&mut out, z);
        self.queue_packet(out);
    }

    /// RFC 9260 §9.1: the peer aborted; the association ends at once.
    pub(super) fn on_abort(&mut self, causes: Params<'_>) {
        let cause = causes.iter().next().map(|p| p.typ);
        if self.state != AssociationState::Closed {
            self.close(CloseReason::PeerAbort { cause });
        }
    }

    /// RFC 9260 §9.2: a SHUTDOWN acknowledges data up to its cumulative TSN and moves us to
    /// SHUTDOWN-RECEIVED (or, when both sides shut down at once, to SHUTDOWN-ACK-SENT).
    pub(super) fn on_shutdown(&mut self, cum_tsn: u32) {
        match self.state {
            AssociationState::Established | AssociationState::ShutdownPending => {
                self.sender.on_sack(
                    self.now,
                    cum_tsn,
                    self.sender.peer_rwnd() as u32,
                    std::iter::empty(),
                );
                self.state = AssociationState::ShutdownReceived;
                self.timers
                    .set(Timer::ShutdownGuard, self.now + 5 * self.cfg.rto_max);
            }
            AssociationState::ShutdownReceived => {
                self.sender.on_sack(
                    self.now,
                    cum_tsn,
                    self.sender.peer_rwnd() as u32,
                    std::iter::empty(),
                );
            }
            AssociationState::ShutdownSent => {
                // Both sides shut down at once: answer with SHUTDOWN ACK.
                self.state = AssociationState::ShutdownAckSent;
                self.shutdown_ack_due = true;
                self.timers
                    .set(Timer::T2Shutdown, self.now + self.sender.rto.rto());
            }
            _ => self.stats.dropped.unexpected += 1,
        }
    }

    /// RFC 9260 §9.2: a SHUTDOWN ACK is answered with SHUTDOWN COMPLETE.
    pub(super) fn on_shutdown_ack(&mut self, tag: u32) {
        match self.state {
            AssociationState::ShutdownSent | AssociationState::ShutdownAckSent => {
                let mut out = BytesMut::with_capacity(16);
                self.write_header(&mut out, self.peer_tag);
                write_chunk(&mut out, typ::SHUTDOWN_COMPLETE, 0, |_| {});
                let z = self.caps.zero_checksum;
                self.finish_packet(&mut out, z);
                self.queue_packet(out);
                self.close(CloseReason::Shutdown);
            }
            _ => {
                // §8.4 item 5 / §9.2: a SHUTDOWN ACK we do not expect (our SHUTDOWN COMPLETE
                // was lost and we are closed, or it is stale) is answered with a SHUTDOWN
                // COMPLETE whose T bit says the tag is reflected, so the peer can finish.
                self.stats.dropped.unexpected += 1;
                if self.out_packets.len() < 8 {
                    let mut out = BytesMut::with_capacity(16);
                    self.write_header(&mut out, tag);
                    write_chunk(&mut out, typ::SHUTDOWN_COMPLETE, chunk::flags::T, |_| {});
                    self.finish_packet(&mut out, false);
                    self.queue_packet(out);
                }
            }
        }
    }

    /// RFC 9260 §9.2: a SHUTDOWN COMPLETE in SHUTDOWN-ACK-SENT ends the association.
    pub(super) fn on_shutdown_complete(&mut self) {
        if self.state == AssociationState::ShutdownAckSent {
            self.close(CloseReason::Shutdown);
        }
    }

    /// RFC 9260 §9.2: once nothing is queued or in flight, a pending shutdown sends SHUTDOWN
    /// and a received one SHUTDOWN ACK.
    pub(super) fn maybe_progress_shutdown(&mut self) {
        if !self.sender.is_idle() {
            return;
        }
        match self.state {
            AssociationState::ShutdownPending => {
                self.state = AssociationState::ShutdownSent;
                self.shutdown_due = true;
                self.timers
                    .set(Timer::T2Shutdown, self.now + self.sender.rto.rto());
                self.timers
                    .set(Timer::ShutdownGuard, self.now + 5 * self.cfg.rto_max);
            }
            AssociationState::ShutdownReceived => {
                self.state = AssociationState::ShutdownAckSent;
                self.shutdown_ack_due = true;
                self.timers
                    .set(Timer::T2Shutdown, self.now + self.sender.rto.rto());
            }
            _ => {}
        }
    }

    /// RFC 9260 §9.2 / §6.3.3: T2-shutdown expired: SHUTDOWN or SHUTDOWN ACK goes again with
    /// the RTO backed off.
    pub(super) fn on_t2_expiry(&mut self) {
        let now = self.now;
        if !self.bump_errors() {
            return;
        }
        self.sender.rto.back_off();
        match self.state {
            AssociationState::ShutdownSent => self.shutdown_due = true,
            AssociationState::ShutdownAckSent => self.shutdown_ack_due = true,
            _ => return,
        }
        self.timers
            .set(Timer::T2Shutdown, now + self.sender.rto.rto());
    }

    /// RFC 9260 §9.2: T5-shutdown-guard ends a shutdown that does not complete.
    pub(super) fn on_shutdown_guard_expiry(&mut self) {
        self.send_abort(cause::USER_ABORT);
        self.close(CloseReason::Shutdown);
    }
}
