//! RFC 6525 stream reset, as data channels close (RFC 8831 §6.7): our Outgoing SSN Reset
//! Requests with their RE-CONFIG timer, the peer's Outgoing and Incoming SSN Reset Requests
//! (with deferred processing until the data before them has arrived, §5.2.2), the request
//! sequence number check (§5.2.1) and Re-configuration Responses (§4.4).

use super::assoc::{Association, SctpEvent, Timer};
use super::chunk::{Chunk, Params, ReconfigParam, StreamList, reconfig_result};

/// One Outgoing SSN Reset Request (RFC 6525 §4.1), ours or the peer's.
#[derive(Debug, Clone)]
pub(super) struct ResetRequest {
    pub(super) seq: u32,
    pub(super) streams: Vec<u16>,
    pub(super) last_tsn: u32,
    pub(super) response_seq: u32,
}

impl Association {
    /// RFC 6525 §5.1.2 / RFC 8831 §6.7: reset (close) outgoing streams. Queued messages are sent
    /// first; no new ones are accepted on them until the reset completes.
    pub fn reset_streams(&mut self, streams: &[u16]) {
        for &s in streams {
            self.sender.stream(s).resetting = true;
            self.reset_wanted.insert(s);
        }
    }

    /// RFC 6525 §5.2: the parameters of a received RE-CONFIG chunk, one by one.
    pub(super) fn on_reconfig(&mut self, params: Params<'_>) {
        if self.receiver.is_none() {
            self.stats.dropped.unexpected += 1;
            return;
        }
        for p in Chunk::reconfig_params(params) {
            match p {
                ReconfigParam::OutgoingReset {
                    request_seq,
                    last_tsn,
                    streams,
                    ..
                } => {
                    let streams: Vec<u16> = streams.iter().collect();
                    self.on_peer_outgoing_reset(request_seq, last_tsn, streams);
                }
                ReconfigParam::IncomingReset {
                    request_seq,
                    streams,
                } => self.on_peer_incoming_reset(request_seq, streams),
                ReconfigParam::Response {
                    response_seq,
                    result,
                } => self.on_reconfig_response(response_seq, result),
                ReconfigParam::Other { request_seq, .. } => {
                    if let Some(seq) = request_seq {
                        self.deny_request(seq);
                    }
                }
            }
        }
    }

    /// RFC 6525 §5.2.3: the peer asks us to reset our outgoing streams; answered by an Outgoing
    /// SSN Reset Request of ours once they drain.
    fn on_peer_incoming_reset(&mut self, request_seq: u32, streams: StreamList<'_>) {
        if let Some(result) = self.check_request_seq(request_seq) {
            self.respond(request_seq, result);
            return;
        }
        self.peer_next_request_seq = request_seq.wrapping_add(1);
        // §5.2.3: answered by an Outgoing SSN Reset Request of ours.
        let list: Vec<u16> = if streams.is_empty() {
            (0..self.outbound_streams).collect()
        } else {
            streams.iter().collect()
        };
        self.reset_streams(&list);
        self.pending_response_seq = Some(request_seq);
        self.last_response = Some((request_seq, reconfig_result::IN_PROGRESS));
    }

    /// RFC 6525 §5.2: a request we do not perform (SSN/TSN reset, add streams) is denied.
    fn deny_request(&mut self, seq: u32) {
        if let Some(result) = self.check_request_seq(seq) {
            self.respond(seq, result);
            return;
        }
        self.peer_next_request_seq = seq.wrapping_add(1);
        self.respond(seq, reconfig_result::DENIED);
    }

    /// RFC 6525 §5.2.1: the request sequence number check. `Some(result)` answers without
    /// acting: the remembered result of a retransmitted request, or Bad Sequence Number.
    fn check_request_seq(&self, seq: u32) -> Option<u32> {
        if seq == self.peer_next_request_seq || self.reset_request_first_contact(seq) {
            return None;
        }
        match self.last_response {
            Some((s, r)) if s == seq => Some(r),
            _ => Some(reconfig_result::BAD_SEQUENCE_NUMBER),
        }
    }

    /// The first request's sequence number is the peer's initial TSN (§5.1.1), which we learn
    /// only from the INIT; until a first request is seen, accept it.
    fn reset_request_first_contact(&self, _seq: u32) -> bool {
        self.last_response.is_none() && self.peer_next_request_seq == 0
    }

    /// RFC 6525 §4.4: queues a Re-configuration Response (a few at most).
    fn respond(&mut self, seq: u32, result: u32) {
        if self.responses_due.len() < 8 {
            self.responses_due.push_back((seq, result));
        }
    }

    /// RFC 6525 §5.2.2: the peer resets its outgoing streams: performed now, or deferred until
    /// the data sent before the request has arrived.
    fn on_peer_outgoing_reset(&mut self, seq: u32, last_tsn: u32, streams: Vec<u16>) {
        if let Some(result) = self.check_request_seq(seq) {
            // A retransmission of a deferred request is answered with its current state.
            if self.deferred_reset.as_ref().is_some_and(|d| d.seq == seq) {
                self.respond(seq, reconfig_result::IN_PROGRESS);
            } else {
                self.respond(seq, result);
            }
            return;
        }
        let req = ResetRequest {
            seq,
            streams,
            last_tsn,
            response_seq: 0,
        };
        let done = self
            .receiver
            .as_ref()
            .is_some_and(|r| r.has_received_through(last_tsn));
        if done {
            self.perform_incoming_reset(req);
        } else {
            // §5.2.2: deferred reset processing until the cumulative point reaches last_tsn.
            self.peer_next_request_seq = seq.wrapping_add(1);
            self.last_response = Some((seq, reconfig_result::IN_PROGRESS));
            self.deferred_reset = Some(req);
            self.respond(seq, reconfig_result::IN_PROGRESS);
        }
    }

    /// RFC 6525 §5.2.2: resets the incoming streams and reports it.
    fn perform_incoming_reset(&mut self, req: ResetRequest) {
        let r = self
            .receiver
            .as_mut()
            .expect("invariant: checked by caller");
        if req.streams.is_empty() {
            r.reset_streams(None);
        } else {
            r.reset_streams(Some(&req.streams));
        }
        self.peer_next_request_seq = req.seq.wrapping_add(1);
        self.last_response = Some((req.seq, reconfig_result::PERFORMED));
        self.respond(req.seq, reconfig_result::PERFORMED);
        self.flush_messages();
        self.push_event(SctpEvent::IncomingStreamsReset {
            streams: req.streams,
        });
    }

    /// RFC 6525 §5.2.2: performs a deferred reset once the cumulative TSN reaches its last TSN.
    pub(super) fn check_deferred_reset(&mut self) {
        let ready = match (&self.deferred_reset, &self.receiver) {
            (Some(d), Some(r)) => r.has_received_through(d.last_tsn),
            _ => false,
        };
        if ready {
            let req = self.deferred_reset.take().expect("invariant: checked");
            self.perform_incoming_reset(req);
        }
    }

    /// RFC 6525 §5.1.4 / §4.4: the peer answered our request.
    fn on_reconfig_response(&mut self, seq: u32, result: u32) {
        let Some(req) = self.reset_request.as_ref().filter(|r| r.seq == seq) else {
            self.stats.dropped.unexpected += 1;
            return;
        };
        if result == reconfig_result::IN_PROGRESS {
            // Retried on the Reconfig timer with the same sequence number.
            let _ = req;
            return;
        }
        let req = self.reset_request.take().expect("invariant: matched");
        self.timers.stop(Timer::Reconfig);
        self.next_request_seq = self.next_request_seq.wrapping_add(1);
        // Performed or not, the streams are usable again from sequence number 0 (a denied reset
        // leaves the peer's side as it was; the application hears which).
        for &s in &req.streams {
            self.sender.reset_stream_sequence(s);
        }
        let streams = req.streams;
        self.push_event(match result {
            reconfig_result::PERFORMED | reconfig_result::NOTHING_TO_DO => {
                SctpEvent::OutgoingStreamsReset { streams }
            }
            _ => SctpEvent::StreamResetFailed { streams },
        });
    }

    /// Starts an outgoing reset request when streams wait and none is outstanding.
    pub(super) fn maybe_start_reset(&mut self) {
        if self.reset_request.is_some() || self.reset_wanted.is_empty() || !self.is_established() {
            return;
        }
        let max = (self.cfg.mtu - 64) / 2;
        let ready: Vec<u16> = self
            .reset_wanted
            .iter()
            .copied()
            .filter(|&s| self.sender.stream_drained(s))
            .take(max)
            .collect();
        if ready.is_empty() {
            return;
        }
        for s in &ready {
            self.reset_wanted.remove(s);
        }
        if !self.caps.reconfig {
            for &s in &ready {
                self.sender.reset_stream_sequence(s);
            }
            self.events
                .push_back(SctpEvent::StreamResetFailed { streams: ready });
            return;
        }
        let response_seq = self
            .pending_response_seq
            .take()
            .unwrap_or(self.peer_next_request_seq.wrapping_sub(1));
        self.reset_request = Some(ResetRequest {
            seq: self.next_request_seq,
            streams: ready,
            last_tsn: self.sender.last_assigned_tsn(),
            response_seq,
        });
        self.reset_request_due = true;
        self.timers
            .set(Timer::Reconfig, self.now + self.sender.rto.rto());
    }

    /// RFC 6525 §5.1.1: the RE-CONFIG timer expired with our request unanswered: it goes again.
    pub(super) fn on_reconfig_timer(&mut self) {
        let now = self.now;
        if self.reset_request.is_some() {
            if !self.bump_errors() {
                return;
            }
            self.reset_request_due = true;
            self.timers
                .set(Timer::Reconfig, now + self.sender.rto.rto());
        }
    }

    /// RFC 6525 §5.1 / RFC 9260 §3.3.10.6: the peer reported RE-CONFIG as an unrecognized chunk,
    /// so it does not do RFC 6525: our outstanding request fails.
    pub(super) fn on_reconfig_unsupported(&mut self) {
        if let Some(req) = self.reset_request.take() {
            self.timers.stop(Timer::Reconfig);
            for &s in &req.streams {
                self.sender.reset_stream_sequence(s);
            }
            self.push_event(SctpEvent::StreamResetFailed {
                streams: req.streams,
            });
        }
    }
}
