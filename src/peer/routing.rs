//! Routing between the layers: what ICE, TURN, DTLS and SCTP report becomes the next layer's
//! input or the application's event, and the W3C states are derived from the parts. The one
//! place where layers meet.

use super::*;

impl Peer {
    pub(super) fn push_event(&mut self, e: Event) {
        if self.events.len() >= self.limits.max_queued_events {
            self.stats.dropped.events += 1;
            return;
        }
        self.events.push_back(e);
    }

    pub(super) fn queue_negotiation_needed(&mut self) {
        // W3C: fired once per need, and only in stable (it is re-checked after an answer).
        if !self.negotiation_pending {
            self.negotiation_pending = true;
            self.push_event(Event::NegotiationNeeded);
        }
    }

    pub(super) fn drain_ice(&mut self) {
        while let Some(e) = self.ice.poll_event() {
            match e {
                IceEvent::LocalCandidate(c) => {
                    let (sdp_mid, sdp_m_line_index) = self.local_transport_section();
                    let init = IceCandidateInit {
                        candidate: Some(SdpCandidate::from_ice(&c)),
                        sdp_mid,
                        sdp_m_line_index,
                        username_fragment: Some(self.ice.local_credentials().ufrag.clone()),
                    };
                    self.push_event(Event::LocalCandidate(init))
                }
                IceEvent::GatheringComplete => {
                    self.ice_gathering_done = true;
                    self.maybe_gathering_complete();
                }
                IceEvent::GatherFailed {
                    local,
                    server,
                    code,
                    reason,
                } => self.push_event(Event::IceCandidateError(IceCandidateError {
                    local,
                    url: format!("stun:{server}"),
                    error_code: code,
                    error_text: if reason.is_empty() && code == 701 {
                        "STUN server did not answer".into()
                    } else {
                        reason
                    },
                })),
                IceEvent::StateChange(_) => {} // summed up in update_states
                IceEvent::SelectedPair { local, remote } => {
                    self.stats.selected_pair_changes += 1;
                    self.push_event(Event::SelectedPair { local, remote })
                }
                _ => {}
            }
        }
    }

    /// Gathering is complete when ICE's own gathering and every TURN Allocate are done.
    pub(super) fn maybe_gathering_complete(&mut self) {
        if self.ice_gathering_done
            && !self.gathering_complete
            && !self
                .turn
                .iter()
                .any(|c| !c.is_started() || c.is_allocating())
        {
            self.gathering_complete = true;
            // W3C (webrtc-pc §5.6, "finished gathering"): the end-of-candidates candidate,
            // then the state change.
            let (sdp_mid, sdp_m_line_index) = self.local_transport_section();
            self.push_event(Event::LocalCandidate(IceCandidateInit::end_of_candidates(
                sdp_mid,
                sdp_m_line_index,
                Some(self.ice.local_credentials().ufrag.clone()),
            )));
            self.set_gathering_state(IceGatheringState::Complete);
        }
    }

    pub(super) fn set_gathering_state(&mut self, state: IceGatheringState) {
        if state != self.gathering_state {
            self.gathering_state = state;
            self.push_event(Event::IceGatheringStateChange(state));
        }
    }

    pub(super) fn drain_turn(&mut self) {
        for i in 0..self.turn.len() {
            while let Some(e) = self.turn[i].poll_event() {
                match e {
                    TurnEvent::Allocated { relayed, mapped } => {
                        let (host, server) = (self.turn[i].base(), self.turn[i].server());
                        self.ice
                            .add_relayed_candidate(relayed, mapped, host, server);
                    }
                    TurnEvent::Failed(e) => {
                        self.stats.turn_failures += 1;
                        let c = &self.turn[i];
                        let error = IceCandidateError {
                            local: c.base(),
                            url: format!("turn:{}?transport=udp", c.server()),
                            error_code: e.code(),
                            error_text: e.to_string(),
                        };
                        self.push_event(Event::IceCandidateError(error));
                    }
                }
            }
        }
        self.drain_ice();
        self.maybe_gathering_complete();
    }

    pub(super) fn drain_dtls(&mut self) {
        let Some(dtls) = self.dtls.as_mut() else {
            return;
        };
        let mut keys = None;
        while let Some(e) = dtls.poll_event() {
            match e {
                DtlsEvent::Connected { .. } => {
                    // RFC 8841 §9.3 leaves who sends INIT open; both do, as browsers do, and the
                    // collision resolves per RFC 9260 §5.2.1.
                    if let Some(sctp) = self.sctp.as_mut()
                        && !self.sctp_started
                    {
                        self.sctp_started = true;
                        sctp.connect(self.now);
                    }
                }
                DtlsEvent::KeyingMaterial { material, profile } => {
                    keys = Some((profile, material, dtls.role()));
                }
                DtlsEvent::Data(b) => {
                    if let Some(sctp) = self.sctp.as_mut()
                        && self.sctp_started
                    {
                        sctp.handle_packet_bytes(self.now, &b);
                    }
                }
                DtlsEvent::Failed(f) => {
                    self.events.push_back(Event::Failed(PeerFailure::Dtls(f)));
                }
                DtlsEvent::Closed => {
                    for id in self.channels.close_all() {
                        self.events.push_back(Event::ChannelClosed {
                            id,
                            reason: ChannelCloseReason::TransportClosed,
                        });
                    }
                }
            }
        }
        if let Some((profile, material, role)) = keys {
            self.media_keys(profile, &material, role);
        }
    }

    pub(super) fn handle_sctp_event(&mut self, e: SctpEvent) {
        let Some(sctp) = self.sctp.as_mut() else {
            return;
        };
        match e {
            SctpEvent::Connected => {
                self.channels.open_established(sctp, &mut self.events);
            }
            SctpEvent::Message(m) => {
                self.channels
                    .on_message(sctp, m, &mut self.events, &mut self.stats.dropped);
            }
            SctpEvent::BufferedAmountLow { stream } => {
                if let Some(id) = self.channels.by_stream(stream) {
                    self.events.push_back(Event::BufferedAmountLow(id));
                }
            }
            SctpEvent::IncomingStreamsReset { streams } => {
                self.channels
                    .on_incoming_reset(sctp, &streams, &mut self.events);
            }
            SctpEvent::OutgoingStreamsReset { streams }
            | SctpEvent::StreamResetFailed { streams } => {
                self.channels.on_outgoing_reset(&streams, &mut self.events);
            }
            SctpEvent::Restarted => {}
            SctpEvent::Closed { reason } => {
                let channel_reason = match reason {
                    crate::sctp::CloseReason::PeerAbort { cause } => {
                        ChannelCloseReason::RemoteAbort { cause }
                    }
                    _ => ChannelCloseReason::TransportClosed,
                };
                let failure = sctp_close_is_failure(reason);
                for id in self.channels.close_all() {
                    self.events.push_back(Event::ChannelClosed {
                        id,
                        reason: channel_reason,
                    });
                }
                if !self.closed {
                    self.events.push_back(Event::SctpClosed(reason));
                    if failure {
                        self.events
                            .push_back(Event::Failed(PeerFailure::Sctp(reason)));
                    }
                }
            }
        }
    }

    /// Recomputes the summed-up states and reports the changes.
    pub(super) fn update_states(&mut self) {
        let ice = self.ice.state();
        if ice != self.ice_state {
            self.ice_state = ice;
            self.push_event(Event::IceConnectionStateChange(ice));
            if ice == IceConnectionState::Failed {
                self.push_event(Event::Failed(PeerFailure::Ice));
            }
        }
        let signaling = self.jsep.signaling_state();
        if signaling != self.signaling {
            self.signaling = signaling;
            if signaling == SignalingState::Stable {
                self.negotiation_pending = false;
            }
            self.push_event(Event::SignalingStateChange(signaling));
            // W3C: back in stable, negotiation is checked again (a transceiver added or changed
            // while an offer was pending still needs one).
            if signaling == SignalingState::Stable && self.media_needs_negotiation() {
                self.queue_negotiation_needed();
            }
        }
        let dtls = self.dtls.as_ref().map(DtlsTransport::state);
        // W3C RTCPeerConnectionState (webrtc-pc §4.3.3), from the ICE and DTLS transport
        // states, in the order the table gives. A DTLS transport closed by the remote's
        // close_notify counts as "closed", which leaves the state alone: ICE consent decides.
        use IceConnectionState as I;
        let state = if self.closed {
            PeerConnectionState::Closed
        } else if ice == I::Failed || dtls == Some(DtlsState::Failed) {
            PeerConnectionState::Failed
        } else if ice == I::Disconnected {
            PeerConnectionState::Disconnected
        } else if matches!(ice, I::New | I::Closed)
            && matches!(dtls, None | Some(DtlsState::Closed))
        {
            PeerConnectionState::New
        } else if matches!(ice, I::New | I::Checking)
            || matches!(dtls, None | Some(DtlsState::Connecting))
        {
            PeerConnectionState::Connecting
        } else {
            PeerConnectionState::Connected
        };
        if state != self.state {
            self.state = state;
            self.push_event(Event::ConnectionStateChange(state));
        }
    }
}

/// Whether an SCTP ending is a failure. A remote closing is not: a graceful SHUTDOWN, or an
/// ABORT without an error cause or with User-Initiated Abort (RFC 9260 §3.3.10.12), what
/// browsers' `pc.close()` sends. An ABORT reporting an error (a protocol violation, ...) and our
/// own give-ups (handshake, retransmissions) are.
pub(super) fn sctp_close_is_failure(reason: crate::sctp::CloseReason) -> bool {
    use crate::sctp::CloseReason as R;
    match reason {
        R::Shutdown | R::LocalAbort => false,
        R::PeerAbort { cause } => {
            !matches!(cause, None | Some(crate::sctp::chunk::cause::USER_ABORT))
        }
        R::HandshakeTimeout | R::TooManyRetransmissions => true,
    }
}
