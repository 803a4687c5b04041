//! Signaling: JSEP offer/answer (RFC 9429) and the ICE commands (candidates, restarts), and
//! what an applied description sets up (ICE credentials and candidates, DTLS and SCTP).

use super::*;

impl Peer {
    pub(super) fn local_params(&self) -> LocalParams {
        LocalParams {
            credentials: self.ice.local_credentials().clone(),
            fingerprints: vec![self.certificate.fingerprint(FingerprintHash::Sha256)],
            candidates: self
                .ice
                .local_candidates()
                .map(SdpCandidate::from_ice)
                .collect(),
            end_of_candidates: self.gathering_complete,
            // DECISION: without transceivers the data section is always offered (a W3C offer
            // without channels carries no transport at all, which would make every data-only
            // application create a channel first just to get one). With transceivers it is
            // offered when a channel exists or was negotiated, as browsers do.
            data_channel: self.media.transceivers.is_empty()
                || self.channels.len() > 0
                || self.negotiated_data,
            media: self.local_media(),
        }
    }

    /// W3C `createOffer`: an offer with our ICE credentials, candidates gathered so far,
    /// certificate fingerprint and the data-channel section.
    pub fn create_offer(&mut self) -> Result<Description, SdpError> {
        let params = self.local_params();
        let sdp = self.jsep.create_offer(&params)?;
        Ok(Description {
            kind: SdpType::Offer,
            sdp,
        })
    }

    /// W3C `createAnswer`, to the remote offer in effect.
    pub fn create_answer(&mut self) -> Result<Description, SdpError> {
        let params = self.local_params();
        let sdp = self.jsep.create_answer(&params)?;
        Ok(Description {
            kind: SdpType::Answer,
            sdp,
        })
    }

    /// W3C `setLocalDescription` with a description made by `create_offer` / `create_answer`
    /// (or a rollback).
    pub fn set_local_description(&mut self, d: Description) -> Result<(), SdpError> {
        let kind = d.kind;
        self.jsep.set_local_description(d)?;
        // RFC 8445 §6.1.1: the agent that generated the offer is controlling.
        if kind == SdpType::Offer && !self.role_fixed {
            self.role_fixed = true;
            self.ice.set_controlling(true);
        }
        if matches!(kind, SdpType::Offer | SdpType::Answer) {
            self.negotiated_data = self.has_data_section();
        }
        match kind {
            SdpType::Offer => self.media_local_offer_applied(),
            SdpType::Answer => self.media_negotiated(),
            _ => {}
        }
        self.after_jsep();
        Ok(())
    }

    /// W3C `setRemoteDescription`. A remote offer while we have a local one rolls ours back
    /// (perfect negotiation). New remote ICE credentials mean the remote restarted ICE: our
    /// agent restarts too (RFC 8445 §9).
    pub fn set_remote_description(&mut self, d: Description) -> Result<(), SdpError> {
        let kind = d.kind;
        self.jsep.set_remote_description(d)?;
        if kind == SdpType::Offer && !self.role_fixed {
            self.role_fixed = true;
            self.ice.set_controlling(false);
        }
        if kind != SdpType::Rollback {
            self.apply_remote();
        }
        match kind {
            SdpType::Offer => self.media_remote_offer_applied(),
            SdpType::Answer => self.media_negotiated(),
            _ => {}
        }
        self.after_jsep();
        Ok(())
    }

    /// Parses `text` (with the configured SDP limits) and applies it as the remote description.
    pub fn set_remote_sdp(&mut self, kind: SdpType, text: &str) -> Result<(), SdpError> {
        let sdp =
            crate::sdp::SessionDescription::parse_with_limits(text, &self.jsep.config().limits)?;
        self.set_remote_description(Description { kind, sdp })
    }

    /// Undoes the pending local or remote offer (W3C rollback).
    pub fn rollback(&mut self) -> Result<(), SdpError> {
        self.jsep.rollback()?;
        self.after_jsep();
        Ok(())
    }

    /// Whether the local description in effect has a data section that is not rejected.
    fn has_data_section(&self) -> bool {
        self.jsep.local_description().is_some_and(|d| {
            d.sdp
                .media
                .iter()
                .any(|m| m.is_data_channel() && !m.is_rejected())
        })
    }

    pub(super) fn after_jsep(&mut self) {
        self.maybe_start_transport();
        self.update_states();
    }

    /// What the remote description says, applied to ICE (RFC 8839).
    pub(super) fn apply_remote(&mut self) {
        let Some(rt) = self.jsep.remote_transport() else {
            return;
        };
        if let Some(prev) = &self.remote
            && prev.credentials != rt.credentials
            && self.ice_has_remote_credentials()
        {
            // RFC 8445 §9: the remote restarted ICE; restart ours so the answer carries new
            // credentials as well.
            self.restart_ice_agent();
        }
        // W3C `canTrickleIceCandidates` (RFC 8840 §4.1.1: `a=ice-options:trickle`).
        self.remote_trickle = Some(
            rt.ice_options
                .iter()
                .any(|o| o.eq_ignore_ascii_case("trickle")),
        );
        self.ice.set_remote_credentials(rt.credentials.clone());
        self.ice.set_remote_lite(rt.ice_lite);
        for c in rt.candidates.iter().filter_map(SdpCandidate::to_ice) {
            self.ice.add_remote_candidate(c);
        }
        if rt.end_of_candidates {
            self.ice.end_of_remote_candidates();
        }
        // ICE has the candidates; what is kept is for restart detection and the transport.
        self.remote = Some(RemoteTransport {
            candidates: Vec::new(),
            ice_options: Vec::new(),
            ..rt
        });
        self.drain_ice();
    }

    pub(super) fn ice_has_remote_credentials(&self) -> bool {
        self.ice.has_remote_credentials()
    }

    /// Creates DTLS (and the SCTP association that will ride it) once an answer fixed the
    /// roles (RFC 8842 §5.3) and the remote's fingerprints are known.
    pub(super) fn maybe_start_transport(&mut self) {
        if self.dtls.is_some() || self.closed {
            return;
        }
        let (Some(client), Some(rt)) = (self.jsep.is_dtls_client(), self.remote.as_ref()) else {
            return;
        };
        let role = if client {
            DtlsRole::Client
        } else {
            DtlsRole::Server
        };
        let dtls = DtlsTransport::new(
            &self.dtls_context,
            &self.certificate,
            role,
            Some(rt.fingerprints.clone()),
            self.rng.stream(Stream::Dtls),
        );
        let max_send = match rt.max_message_size {
            // RFC 8841 §6.1: 0 means the remote sets no limit; ours is the send buffer.
            0 => self.limits.max_buffered_bytes,
            n => usize::try_from(n).unwrap_or(usize::MAX),
        };
        let cfg = SctpConfig {
            port: self.jsep.config().sctp_port,
            remote_port: rt.sctp_port.unwrap_or(5000),
            max_receive_message_bytes: self.limits.max_message_bytes,
            max_send_message_bytes: max_send,
            max_send_buffer_bytes: self.limits.max_buffered_bytes,
            ..self.sctp_config.clone()
        };
        let sctp = Association::new(cfg, self.rng.stream(Stream::Sctp), self.now);
        self.dtls = Some(dtls);
        self.sctp = Some(sctp);
        // RFC 8832 §6: stream ids by DTLS role, client even, server odd.
        self.channels.set_dtls_client(client);
        self.channels
            .assign_streams(self.sctp.as_mut().expect("just set"));
        self.drain_dtls();
    }

    // ----- ICE commands -----

    /// Declares a local socket address (a host candidate); gathering from the STUN servers
    /// starts from it.
    pub fn add_local_address(&mut self, address: SocketAddr) {
        if self.closed {
            return;
        }
        self.gathering_complete = false;
        self.ice_gathering_done = false;
        self.set_gathering_state(IceGatheringState::Gathering);
        self.ice.add_local_address(address);
        // A TURN allocation from this address on every server of its family.
        let servers: Vec<_> = self
            .turn_servers
            .iter()
            .filter(|t| t.server.is_ipv4() == address.is_ipv4())
            .cloned()
            .collect();
        for server in servers {
            if self
                .turn
                .iter()
                .any(|c| c.base() == address && c.server() == server.server)
            {
                continue;
            }
            let index = self.turn.len() as u64;
            // Started (its first Allocate sent) at the next `handle_timeout`, due at once: a
            // command carries no time to start a retransmission schedule from (DESIGN §3).
            let client = TurnClient::new(server, address, self.rng.derive("turn", index), self.now);
            self.turn.push(client);
        }
        self.drain_ice();
        self.update_states();
    }

    /// W3C `addIceCandidate`: a trickled remote candidate (`candidate:...`, with or without
    /// `a=`). An empty string means end-of-candidates.
    pub fn add_remote_candidate(&mut self, candidate: &str) -> Result<(), CandidateError> {
        if self.closed {
            return Err(CandidateError::Closed);
        }
        if candidate.trim().is_empty() {
            self.end_of_candidates();
            return Ok(());
        }
        let c: SdpCandidate = candidate.parse()?;
        if let crate::sdp::CandidateAddress::Name(name) = &c.address {
            return Err(CandidateError::NeedsResolution { name: name.clone() });
        }
        self.add_parsed_candidate(&c)
    }

    /// W3C `addIceCandidate` with an `RTCIceCandidateInit`: the candidate line plus the section
    /// and ICE generation it belongs to. A candidate of another generation (a username fragment
    /// other than the remote description's, e.g. one from before an ICE restart) is refused with
    /// [`CandidateError::OtherGeneration`] (W3C: OperationError), one for a section we do not
    /// have with [`CandidateError::UnknownSection`]; without those fields it is taken as of the
    /// current generation and the transport section. Names ask to be resolved
    /// ([`CandidateError::NeedsResolution`]).
    pub fn add_ice_candidate(&mut self, init: &IceCandidateInit) -> Result<(), CandidateError> {
        if self.closed {
            return Err(CandidateError::Closed);
        }
        let remote = self.jsep.remote_transport();
        if let Some(ufrag) = &init.username_fragment
            && remote
                .as_ref()
                .is_some_and(|r| &r.credentials.ufrag != ufrag)
        {
            self.stats.dropped.other_generation_candidates += 1;
            return Err(CandidateError::OtherGeneration);
        }
        let known = |mid: &Option<String>, index: Option<u16>| {
            let (our_mid, our_index) = self.remote_transport_section();
            mid.as_ref().is_none_or(|m| our_mid.as_ref() == Some(m))
                && index.is_none_or(|i| our_index == Some(i))
        };
        // W3C: sdpMid decides when both are given.
        let matches = match (&init.sdp_mid, init.sdp_m_line_index) {
            (Some(_), _) => known(&init.sdp_mid, None),
            (None, index) => known(&None, index),
        };
        if !matches {
            return Err(CandidateError::UnknownSection);
        }
        let Some(candidate) = &init.candidate else {
            // RFC 8838 §4.4: end-of-candidates of the current generation.
            self.end_of_candidates();
            return Ok(());
        };
        if let crate::sdp::CandidateAddress::Name(name) = &candidate.address {
            return Err(CandidateError::NeedsResolution { name: name.clone() });
        }
        self.add_parsed_candidate(candidate)
    }

    /// The mid and index of the section of our local description that carries the transport
    /// (the first one not rejected: the BUNDLE tag section).
    pub(super) fn local_transport_section(&self) -> (Option<String>, Option<u16>) {
        section_of(self.jsep.local_description().map(|d| &d.sdp))
    }

    /// The same in the remote description.
    pub(super) fn remote_transport_section(&self) -> (Option<String>, Option<u16>) {
        section_of(self.jsep.remote_description().map(|d| &d.sdp))
    }

    /// [`Peer::add_remote_candidate`] for a candidate whose address is a name
    /// ([`CandidateError::NeedsResolution`]), with the address the application resolved it to.
    pub fn add_remote_candidate_resolved(
        &mut self,
        candidate: &str,
        address: std::net::IpAddr,
    ) -> Result<(), CandidateError> {
        if self.closed {
            return Err(CandidateError::Closed);
        }
        let mut c: SdpCandidate = candidate.parse()?;
        c.address = crate::sdp::CandidateAddress::Ip(address);
        self.add_parsed_candidate(&c)
    }

    pub(super) fn add_parsed_candidate(&mut self, c: &SdpCandidate) -> Result<(), CandidateError> {
        let ice = c.to_ice().ok_or(CandidateError::Refused)?;
        let added = self.ice.add_remote_candidate(ice);
        self.drain_ice();
        self.update_states();
        if added {
            Ok(())
        } else {
            Err(CandidateError::Refused)
        }
    }

    /// The remote signalled end-of-candidates (RFC 8838 §4.4).
    pub fn end_of_candidates(&mut self) {
        self.ice.end_of_remote_candidates();
        self.drain_ice();
        self.update_states();
    }

    /// W3C `restartIce`: new local ICE credentials now; the next offer carries them. Data keeps
    /// flowing on the selected pair until ICE selects a new one.
    pub fn restart_ice(&mut self) {
        if self.closed {
            return;
        }
        self.restart_ice_agent();
        self.queue_negotiation_needed();
        self.drain_ice();
        self.update_states();
    }

    /// A new ICE generation: new credentials, gathering again.
    pub(super) fn restart_ice_agent(&mut self) {
        self.ice.restart(self.now);
        self.gathering_complete = false;
        self.ice_gathering_done = false;
        if self.gathering_state != IceGatheringState::New {
            self.set_gathering_state(IceGatheringState::Gathering);
        }
    }
}

/// The mid and m-line index of the first section of `sdp` that is not rejected (port 0).
pub(super) fn section_of(
    sdp: Option<&crate::sdp::SessionDescription>,
) -> (Option<String>, Option<u16>) {
    let Some(sdp) = sdp else {
        return (None, None);
    };
    sdp.media
        .iter()
        .enumerate()
        .find(|(_, m)| m.port != 0)
        .map_or((None, None), |(i, m)| {
            (m.mid().map(str::to_owned), u16::try_from(i).ok())
        })
}
