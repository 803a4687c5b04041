//! The [`Peer`]: one RTCPeerConnection. It owns every layer (JSEP, ICE, DTLS, SCTP, the data
//! channels) and is the only place that routes between them (DESIGN §1–§3).
//!
//! Routing: a datagram is STUN (RFC 7983 first byte 0..=3) for ICE, DTLS (20..=63) for the
//! DTLS transport when it comes from an address ICE has validated; DTLS application data is
//! SCTP (RFC 8261); SCTP messages are DCEP (PPID 50, RFC 8832) or channel data (RFC 8831 §8).
//! Going out, ICE's transmits come first; then DTLS records, which SCTP packets become as they
//! are pulled, on the selected pair.
//!
//! Any call order is valid. Commands queue their effects; output is produced when it is
//! polled, so nothing ever has to be drained before the next command. Commands carry no time:
//! what they start (a retransmission timer, a message's lifetime, a STUN transaction) is timed
//! from the next call that carries one, `poll_transmit(now)` or a `handle_*` (DESIGN §3).

mod channels;
#[cfg(test)]
mod tests;

use crate::channel::{ChannelId, ChannelOptions};
use crate::config::PeerConfig;
use crate::dtls::{
    Certificate, DtlsContext, DtlsEvent, DtlsRole, DtlsState, DtlsStats, DtlsTransport,
    FingerprintHash,
};
use crate::event::{
    ChannelCloseReason, Event, IceCandidateError, IceCandidateInit, IceGatheringState,
    PeerConnectionState, PeerFailure,
};
use crate::ice::{IceAgent, IceConfig, IceConnectionState, IceEvent, IceStats};
use crate::net::{Datagram, DatagramBuf, PacketKind, Protocol, Transmit};
use crate::rng::{RngRoot, Stream};
use crate::sctp::{Association, SctpConfig, SctpEvent, SctpStats};
use crate::sdp::{
    CandidateParseError, Description, Jsep, JsepConfig, LocalParams, RemoteTransport, SdpCandidate,
    SdpError, SdpType, SignalingState,
};
use crate::turn::{TurnClient, TurnEvent, TurnReceive};
use channels::Channels;
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub use channels::ChannelError;

/// Inputs and events the peer dropped, by reason.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct PeerDrops {
    /// Datagrams whose first byte matches no protocol we run (RFC 7983), or media before media
    /// is supported.
    pub unknown_protocol: u64,
    /// DTLS from an address ICE has not validated.
    pub dtls_unknown_source: u64,
    /// DTLS before there is a DTLS transport (no remote description yet).
    pub dtls_too_early: u64,
    /// Anything after `close`.
    pub after_close: u64,
    /// Malformed DCEP messages.
    pub dcep_malformed: u64,
    /// Remote channel opens refused (limit, stream in use, wrong parity).
    pub channels_refused: u64,
    /// Messages on streams with no open channel.
    pub messages_no_channel: u64,
    /// Messages with a PPID data channels do not use.
    pub messages_unknown_ppid: u64,
    /// Deprecated partial messages (PPID 52 / 54) past the message size limit.
    pub messages_oversize: u64,
    /// Events not queued because the application did not poll (see [`crate::PeerLimits`]).
    pub events: u64,
    /// Remote candidates of another ICE generation ([`CandidateError::OtherGeneration`]).
    pub other_generation_candidates: u64,
}

/// The peer's own counters (the rest of [`PeerStats`] is read from the parts when asked).
#[derive(Debug, Default, Clone, Copy)]
struct Counters {
    datagrams_received: u64,
    bytes_received: u64,
    datagrams_sent: u64,
    bytes_sent: u64,
    dropped: PeerDrops,
    turn_failures: u64,
    channels_opened: u32,
    channels_closed: u32,
    selected_pair_changes: u32,
}

/// Counters and current values, cheap to read ([`Peer::stats`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct PeerStats {
    /// Datagrams handed to `handle_receive`.
    pub datagrams_received: u64,
    /// Their bytes.
    pub bytes_received: u64,
    /// Datagrams returned by `poll_transmit`.
    pub datagrams_sent: u64,
    /// Their bytes.
    pub bytes_sent: u64,
    /// Drops at the peer level.
    pub dropped: PeerDrops,
    /// ICE counters.
    pub ice: IceStats,
    /// DTLS counters, once the transport exists.
    pub dtls: Option<DtlsStats>,
    /// The DTLS state, once the transport exists.
    pub dtls_state: Option<DtlsState>,
    /// SCTP counters (cwnd, RTO, SRTT, drops), once the association exists.
    pub sctp: Option<SctpStats>,
    /// The selected pair (local, remote).
    pub selected_pair: Option<(SocketAddr, SocketAddr)>,
    /// Round-trip time: SCTP's smoothed RTT once measured.
    pub rtt: Option<Duration>,
    /// Data channels not yet closed.
    pub channels: usize,
    /// TURN allocations that failed or were lost.
    pub turn_failures: u64,
    /// TURN allocations in place (relayed candidates).
    pub turn_allocations: usize,
}

/// Misuse of [`Peer::add_remote_candidate`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CandidateError {
    /// The text is not a candidate.
    #[error(transparent)]
    Parse(#[from] CandidateParseError),
    /// Not a candidate ICE can use (not UDP, not component 1), a duplicate, or over the limit.
    #[error("candidate not usable")]
    Refused,
    /// The candidate is of another ICE generation than the remote description's (its username
    /// fragment differs: one from before a restart).
    #[error("candidate of another ICE generation")]
    OtherGeneration,
    /// The candidate names a media section (mid or m-line index) the remote description does
    /// not have.
    #[error("candidate for an unknown section")]
    UnknownSection,
    /// The candidate's address is a name: Chrome and Safari hide host addresses behind mDNS
    /// `.local` names (draft-ietf-mmusic-mdns-ice-candidates). A sans-IO peer resolves nothing:
    /// resolve the name (mDNS, RFC 6762) and give the candidate again with
    /// [`Peer::add_remote_candidate_resolved`]; or drop it (the browser's other candidates
    /// usually suffice).
    #[error("candidate address {name} needs resolving")]
    NeedsResolution {
        /// The name to resolve.
        name: String,
    },
    /// The peer is closed.
    #[error("peer closed")]
    Closed,
}

/// One WebRTC peer connection (data channels).
///
/// ```
/// use sansrtc::{Peer, PeerConfig, Event};
/// use std::time::Instant;
///
/// let now = Instant::now();
/// // `seed`: a reproducible run, for tests and simulation. A real call leaves it out (256 bits
/// // from the operating system) or uses `seed_bytes`.
/// let mut alice = Peer::new(PeerConfig::new().seed(1), now);
/// let mut bob = Peer::new(PeerConfig::new().seed(2), now);
/// alice.add_local_address("10.0.0.1:5000".parse().unwrap());
/// bob.add_local_address("10.0.0.2:5000".parse().unwrap());
/// let chat = alice.create_data_channel("chat", Default::default()).unwrap();
///
/// let offer = alice.create_offer().unwrap();
/// alice.set_local_description(offer.clone()).unwrap();
/// bob.set_remote_sdp(sansrtc::sdp::SdpType::Offer, &offer.sdp.to_string()).unwrap();
/// let answer = bob.create_answer().unwrap();
/// bob.set_local_description(answer.clone()).unwrap();
/// alice.set_remote_description(answer).unwrap();
///
/// // Now shuttle poll_transmit(now) output to the other peer's handle_receive(), call
/// // handle_timeout() at poll_timeout(), and read poll_event() until Event::ChannelOpen(chat).
/// # let _ = chat;
/// ```
pub struct Peer {
    now: Instant,
    rng: RngRoot,
    config: PeerConfig,
    jsep: Jsep,
    ice: IceAgent,
    /// The ICE role was fixed by the first description applied.
    role_fixed: bool,
    certificate: Certificate,
    dtls_context: Arc<DtlsContext>,
    dtls: Option<DtlsTransport>,
    sctp: Option<Association>,
    /// SCTP was told to connect (DTLS is up).
    sctp_started: bool,
    /// The remote transport last applied to ICE.
    remote: Option<RemoteTransport>,
    channels: Channels,
    events: VecDeque<Event>,
    /// Transmits made outside the normal pull (the final ABORT / close_notify on close).
    transmits: VecDeque<Transmit>,
    ice_state: IceConnectionState,
    state: PeerConnectionState,
    signaling: SignalingState,
    gathering_complete: bool,
    /// W3C `iceGatheringState`, as last announced.
    gathering_state: IceGatheringState,
    /// W3C `canTrickleIceCandidates`: whether the remote description offered `trickle`.
    remote_trickle: Option<bool>,
    /// A data section has been offered or answered: new channels need no negotiation.
    negotiated_data: bool,
    negotiation_pending: bool,
    closed: bool,
    stats: Counters,
    /// One TURN client per (local address, TURN server of its family).
    turn: Vec<TurnClient>,
    /// ICE has gathered everything it gathers itself (TURN allocations may still be pending).
    ice_gathering_done: bool,
}

impl std::fmt::Debug for Peer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Peer")
            .field("state", &self.state)
            .field("ice_state", &self.ice_state)
            .field("signaling", &self.signaling)
            .field("channels", &self.channels.len())
            .finish_non_exhaustive()
    }
}

impl Peer {
    /// A new peer. Without [`PeerConfig::seed`] it seeds itself once from the operating system.
    pub fn new(config: PeerConfig, now: Instant) -> Self {
        let rng = match config.seed {
            Some(crate::config::PeerSeed::Reproducible(s)) => RngRoot::from_seed(s),
            Some(crate::config::PeerSeed::Secret(bytes)) => RngRoot::from_bytes(bytes),
            None => RngRoot::from_os(),
        };
        let ice = IceAgent::new(
            IceConfig {
                controlling: false,
                lite: config.ice_lite,
                stun_servers: config.stun_servers.clone(),
                relay_only: config.ice_transport_policy == crate::config::IceTransportPolicy::Relay,
                ..config.ice.clone()
            },
            &rng,
            now,
        );
        let jsep_config = JsepConfig {
            answer_setup: config
                .answer_setup
                .unwrap_or(JsepConfig::default().answer_setup),
            sctp_port: config.sctp.port,
            max_message_size: config.limits.max_message_bytes as u64,
            ice_lite: config.ice_lite,
            ..JsepConfig::default()
        };
        let jsep = Jsep::new(jsep_config, &mut rng.stream(Stream::Sdp));
        let certificate = config
            .certificate
            .clone()
            .unwrap_or_else(|| Certificate::generate(&mut rng.stream(Stream::Certificate)));
        let dtls_context = config
            .dtls_context
            .clone()
            .unwrap_or_else(|| Arc::new(DtlsContext::new(config.dtls.clone())));
        let channels = Channels::new(config.limits.clone());
        let mut peer = Self {
            now,
            rng,
            jsep,
            ice,
            role_fixed: false,
            certificate,
            dtls_context,
            dtls: None,
            sctp: None,
            sctp_started: false,
            remote: None,
            channels,
            events: VecDeque::new(),
            transmits: VecDeque::new(),
            ice_state: IceConnectionState::New,
            state: PeerConnectionState::New,
            signaling: SignalingState::Stable,
            gathering_complete: false,
            gathering_state: IceGatheringState::New,
            remote_trickle: None,
            negotiated_data: false,
            negotiation_pending: false,
            closed: false,
            stats: Counters::default(),
            turn: Vec::new(),
            ice_gathering_done: false,
            config,
        };
        peer.drain_ice();
        peer
    }

    // ----- queries -----

    /// W3C `connectionState`.
    pub fn connection_state(&self) -> PeerConnectionState {
        self.state
    }

    /// W3C `iceConnectionState`.
    pub fn ice_connection_state(&self) -> IceConnectionState {
        self.ice_state
    }

    /// W3C `signalingState`.
    pub fn signaling_state(&self) -> SignalingState {
        self.jsep.signaling_state()
    }

    /// W3C `localDescription`: the pending local description if there is one, else the
    /// current one, with the candidates gathered since it was created (and
    /// `a=end-of-candidates` once gathering is complete) added to the section that carries the
    /// transport: what a non-trickle application sends once gathering is complete.
    pub fn local_description(&self) -> Option<Description> {
        self.jsep.local_description().map(|d| self.with_gathered(d))
    }

    /// W3C `currentLocalDescription`: the last answered local description, with the candidates
    /// gathered since (as [`Peer::local_description`]).
    pub fn current_local_description(&self) -> Option<Description> {
        self.jsep
            .current_local_description()
            .map(|d| self.with_gathered(d))
    }

    /// W3C `pendingLocalDescription`: a local offer (or pranswer) not yet answered, with the
    /// candidates gathered since.
    pub fn pending_local_description(&self) -> Option<Description> {
        self.jsep
            .pending_local_description()
            .map(|d| self.with_gathered(d))
    }

    /// W3C `remoteDescription`: the pending remote description if there is one, else the
    /// current one, as it was applied (candidates added later with
    /// [`Peer::add_ice_candidate`] go to ICE, not into this text).
    pub fn remote_description(&self) -> Option<&Description> {
        self.jsep.remote_description()
    }

    /// W3C `currentRemoteDescription`: the last answered remote description.
    pub fn current_remote_description(&self) -> Option<&Description> {
        self.jsep.current_remote_description()
    }

    /// W3C `pendingRemoteDescription`: a remote offer (or pranswer) not yet answered.
    pub fn pending_remote_description(&self) -> Option<&Description> {
        self.jsep.pending_remote_description()
    }

    /// `d` with the local candidates of the current ICE generation it lacks, and
    /// end-of-candidates once gathering is complete, in the transport section (JSEP
    /// RFC 9429 §4.1.9: the local description reflects the candidates gathered so far).
    fn with_gathered(&self, d: &Description) -> Description {
        use crate::sdp::SdpAttribute as Attribute;
        let mut d = d.clone();
        let ufrag = &self.ice.local_credentials().ufrag;
        let Some(m) = d.sdp.media.iter_mut().find(|m| m.port != 0) else {
            return d;
        };
        // A description of an older generation (before an ICE restart) keeps what it had.
        let current = m
            .attributes
            .iter()
            .chain(&d.sdp.attributes)
            .any(|a| matches!(a, Attribute::IceUfrag(u) if u == ufrag));
        if !current {
            return d;
        }
        for c in self.ice.local_candidates() {
            let c = SdpCandidate::from_ice(c);
            if !m
                .attributes
                .iter()
                .any(|a| matches!(a, Attribute::Candidate(x) if **x == c))
            {
                m.attributes.push(Attribute::Candidate(Box::new(c)));
            }
        }
        if self.gathering_complete && !m.attributes.contains(&Attribute::EndOfCandidates) {
            m.attributes.push(Attribute::EndOfCandidates);
        }
        d
    }

    /// W3C `canTrickleIceCandidates`: whether the remote can take trickled candidates
    /// (`a=ice-options:trickle` in its description); `None` before a remote description.
    pub fn can_trickle_ice_candidates(&self) -> Option<bool> {
        self.remote_trickle
    }

    /// W3C `iceGatheringState`. Gathering starts with the first local address
    /// ([`Peer::add_local_address`]) and again after an ICE restart.
    pub fn ice_gathering_state(&self) -> IceGatheringState {
        self.gathering_state
    }

    /// The remote's DTLS certificate (DER), once it matched the remote description's
    /// fingerprint (W3C `RTCDtlsTransport.getRemoteCertificates()`).
    pub fn remote_certificate(&self) -> Option<&[u8]> {
        self.dtls.as_ref()?.remote_certificate()
    }

    /// W3C `RTCSctpTransport.maxMessageSize`: the largest message a channel can send, from the
    /// remote's `a=max-message-size` (RFC 8841 §6; 0 there means no limit, and ours is the
    /// send buffer then) once an answer set up the transport.
    pub fn sctp_max_message_size(&self) -> Option<usize> {
        self.sctp.as_ref().map(Association::max_message_size)
    }

    /// Our certificate (its fingerprint goes into every description).
    pub fn certificate(&self) -> &Certificate {
        &self.certificate
    }

    /// The selected ICE pair (local, remote).
    pub fn selected_pair(&self) -> Option<(SocketAddr, SocketAddr)> {
        self.ice.selected_pair()
    }

    /// W3C `getStats()`: a report of typed entries (peer-connection, transport, candidate
    /// pairs, local and remote candidates, certificates, data channels) with W3C ids and field
    /// names, stamped `now`. It allocates; [`Peer::stats`] is the cheap flat read.
    pub fn get_stats(&self, now: Instant) -> crate::stats::StatsReport {
        let c = &self.stats;
        let channels = self
            .channels
            .reports()
            .map(|r| crate::stats::DataChannelStats {
                id: crate::stats::channel_id(r.id),
                channel: r.id,
                label: r.label.to_owned(),
                protocol: r.protocol.to_owned(),
                data_channel_identifier: r.stream,
                state: r.state,
                messages_sent: r.counters.messages_sent,
                bytes_sent: r.counters.bytes_sent,
                messages_received: r.counters.messages_received,
                bytes_received: r.counters.bytes_received,
            })
            .collect();
        crate::stats::Sources {
            now: now.max(self.now),
            counters: (
                c.datagrams_sent,
                c.bytes_sent,
                c.datagrams_received,
                c.bytes_received,
            ),
            channels_opened: c.channels_opened,
            channels_closed: c.channels_closed,
            ice: &self.ice,
            ice_state: self.ice_state,
            dtls: self.dtls.as_ref(),
            local_certificate: self.certificate.der(),
            remote_ufrag: self.remote.as_ref().map(|r| r.credentials.ufrag.as_str()),
            selected_pair_changes: c.selected_pair_changes,
            channels,
        }
        .report()
    }

    /// Counters and current values.
    pub fn stats(&self) -> PeerStats {
        let c = &self.stats;
        let sctp = self.sctp.as_ref().map(Association::stats);
        PeerStats {
            datagrams_received: c.datagrams_received,
            bytes_received: c.bytes_received,
            datagrams_sent: c.datagrams_sent,
            bytes_sent: c.bytes_sent,
            dropped: c.dropped,
            ice: self.ice.stats(),
            dtls: self.dtls.as_ref().map(DtlsTransport::stats),
            dtls_state: self.dtls.as_ref().map(DtlsTransport::state),
            sctp,
            selected_pair: self.ice.selected_pair(),
            rtt: sctp.and_then(|x| x.srtt),
            channels: self.channels.len(),
            turn_failures: c.turn_failures,
            turn_allocations: self.turn.iter().filter(|c| c.relayed().is_some()).count(),
        }
    }

    /// Whether `d` belongs to this peer, for serving several peers on one socket: STUN for our
    /// ICE agent (our ufrag, or a response to our transaction), or anything else from the remote
    /// address of a pair ICE has validated.
    pub fn accepts(&self, d: &Datagram<'_>) -> bool {
        if self
            .turn
            .iter()
            .any(|c| c.server() == d.source && c.base() == d.destination)
        {
            return true;
        }
        if crate::stun::is_stun(d.contents) {
            return self.ice.accepts(d);
        }
        self.known_source(d.source)
    }

    fn known_source(&self, source: SocketAddr) -> bool {
        if self.ice.selected_pair().is_some_and(|(_, r)| r == source) {
            return true;
        }
        // A remote candidate (signalled, or peer-reflexive from an authenticated check): the
        // DTLS client may start on a pair the other side has not selected yet.
        self.ice
            .remote_candidates()
            .iter()
            .any(|c| c.address == source)
    }

    // ----- JSEP (RFC 9429) -----

    fn local_params(&self) -> LocalParams {
        LocalParams {
            credentials: self.ice.local_credentials().clone(),
            fingerprints: vec![self.certificate.fingerprint(FingerprintHash::Sha256)],
            candidates: self
                .ice
                .local_candidates()
                .map(SdpCandidate::from_ice)
                .collect(),
            end_of_candidates: self.gathering_complete,
            // DECISION: the data section is always offered. A sansrtc peer exists to carry data
            // channels; W3C offers without channels carry no transport at all, which would make
            // every application create a channel first just to get one.
            data_channel: true,
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
            self.negotiated_data = true;
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

    fn after_jsep(&mut self) {
        self.maybe_start_transport();
        self.update_states();
    }

    /// What the remote description says, applied to ICE (RFC 8839).
    fn apply_remote(&mut self) {
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

    fn ice_has_remote_credentials(&self) -> bool {
        self.ice.has_remote_credentials()
    }

    /// Creates DTLS (and the SCTP association that will ride it) once an answer fixed the
    /// roles (RFC 8842 §5.3) and the remote's fingerprints are known.
    fn maybe_start_transport(&mut self) {
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
            0 => self.config.limits.max_buffered_bytes,
            n => usize::try_from(n).unwrap_or(usize::MAX),
        };
        let cfg = SctpConfig {
            port: self.jsep.config().sctp_port,
            remote_port: rt.sctp_port.unwrap_or(5000),
            max_receive_message_bytes: self.config.limits.max_message_bytes,
            max_send_message_bytes: max_send,
            max_send_buffer_bytes: self.config.limits.max_buffered_bytes,
            ..self.config.sctp.clone()
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
            .config
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
    fn local_transport_section(&self) -> (Option<String>, Option<u16>) {
        section_of(self.jsep.local_description().map(|d| &d.sdp))
    }

    /// The same in the remote description.
    fn remote_transport_section(&self) -> (Option<String>, Option<u16>) {
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

    fn add_parsed_candidate(&mut self, c: &SdpCandidate) -> Result<(), CandidateError> {
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
    fn restart_ice_agent(&mut self) {
        self.ice.restart(self.now);
        self.gathering_complete = false;
        self.ice_gathering_done = false;
        if self.gathering_state != IceGatheringState::New {
            self.set_gathering_state(IceGatheringState::Gathering);
        }
    }

    /// W3C `close`: aborts SCTP, sends DTLS close_notify, stops ICE. Every channel closes.
    pub fn close(&mut self) {
        if self.closed {
            return;
        }
        // The last words go out on the selected pair before ICE stops.
        let pair = self.ice.selected_pair();
        if let (Some(sctp), Some(dtls)) = (self.sctp.as_mut(), self.dtls.as_mut())
            && dtls.state() == DtlsState::Connected
        {
            let now = self.now;
            sctp.abort(now);
            let max = sctp.max_packet_len();
            while let Ok(true) = dtls.send_with(max, |buf| sctp.poll_transmit_append(now, buf)) {}
        }
        if let Some(dtls) = self.dtls.as_mut() {
            dtls.close();
            while let Some(contents) = dtls.poll_transmit(self.now) {
                if let Some((source, destination)) = pair {
                    self.transmits.push_back(Transmit {
                        source,
                        destination,
                        protocol: Protocol::Udp,
                        contents,
                    });
                }
            }
        }
        for c in &mut self.turn {
            c.close(self.now);
            while let Some(t) = c.poll_transmit() {
                self.transmits.push_back(t);
            }
        }
        self.ice.close();
        while self.ice.poll_event().is_some() {}
        self.jsep.close();
        self.closed = true;
        for id in self.channels.close_all() {
            self.push_event(Event::ChannelClosed {
                id,
                reason: ChannelCloseReason::TransportClosed,
            });
        }
        self.update_states();
    }

    // ----- data channels -----

    /// W3C `createDataChannel`. The first channel on a peer without a negotiated data section
    /// asks for negotiation ([`Event::NegotiationNeeded`]).
    pub fn create_data_channel(
        &mut self,
        label: &str,
        options: ChannelOptions,
    ) -> Result<ChannelId, ChannelError> {
        if self.closed {
            return Err(ChannelError::Closed);
        }
        let id = self.channels.create(label, options, self.sctp.as_mut())?;
        if !self.negotiated_data {
            self.queue_negotiation_needed();
        }
        if let Some(sctp) = self.sctp.as_mut()
            && sctp.is_established()
        {
            self.channels.open_established(sctp, &mut self.events);
        }
        Ok(id)
    }

    /// Sends a text message (PPID 51, or 56 when empty).
    pub fn send_text(&mut self, id: ChannelId, text: &str) -> Result<(), ChannelError> {
        let data = bytes::Bytes::copy_from_slice(text.as_bytes());
        self.send(id, data, false)
    }

    /// Sends a binary message (PPID 53, or 57 when empty).
    pub fn send_binary(
        &mut self,
        id: ChannelId,
        data: impl Into<bytes::Bytes>,
    ) -> Result<(), ChannelError> {
        self.send(id, data.into(), true)
    }

    fn send(
        &mut self,
        id: ChannelId,
        data: bytes::Bytes,
        binary: bool,
    ) -> Result<(), ChannelError> {
        let sctp = self.sctp.as_mut().ok_or(ChannelError::NotOpen)?;
        self.channels.send(sctp, id, data, binary)
    }

    /// W3C `close` of one channel: queued messages are sent, then the stream is reset
    /// (RFC 8831 §6.7). [`Event::ChannelClosed`] follows on both sides.
    pub fn close_channel(&mut self, id: ChannelId) -> Result<(), ChannelError> {
        let closed_now = self.channels.close(id, self.sctp.as_mut())?;
        if closed_now {
            self.push_event(Event::ChannelClosed {
                id,
                reason: ChannelCloseReason::Reset,
            });
        }
        Ok(())
    }

    /// W3C `bufferedAmount`: bytes queued on the channel and not yet sent.
    pub fn buffered_amount(&self, id: ChannelId) -> usize {
        match (self.channels.stream_of(id), self.sctp.as_ref()) {
            (Some(s), Some(sctp)) => sctp.buffered_amount(s),
            _ => 0,
        }
    }

    /// W3C `bufferedAmountLowThreshold`.
    pub fn set_buffered_amount_low_threshold(
        &mut self,
        id: ChannelId,
        bytes: usize,
    ) -> Result<(), ChannelError> {
        self.channels
            .set_low_threshold(id, bytes, self.sctp.as_mut())
    }

    /// The channel's SCTP stream id (W3C `id`; `None` until the DTLS role is known).
    pub fn channel_stream_id(&self, id: ChannelId) -> Option<u16> {
        self.channels.stream_of(id)
    }

    /// The channel's state.
    pub fn channel_state(&self, id: ChannelId) -> Option<crate::event::ChannelState> {
        self.channels.state_of(id)
    }

    /// The channel's label, protocol and options.
    pub fn channel_info(&self, id: ChannelId) -> Option<(&str, &ChannelOptions)> {
        self.channels.info(id)
    }

    /// Fuzzing hook: queues an arbitrary SCTP message (any stream and PPID) as if a remote
    /// implementation had sent it, so fuzzers reach the DCEP and channel code through a real
    /// DTLS transport.
    #[cfg(any(test, feature = "fuzzing"))]
    #[doc(hidden)]
    pub fn fuzz_send_raw(&mut self, stream: u16, ppid: u32, payload: Vec<u8>) {
        if let Some(sctp) = self.sctp.as_mut() {
            let _ = sctp.send(
                stream,
                ppid,
                bytes::Bytes::from(payload),
                Default::default(),
            );
        }
    }

    // ----- driver -----

    fn advance(&mut self, now: Instant) {
        debug_assert!(now >= self.now, "time went backwards");
        self.now = self.now.max(now);
    }

    /// A datagram arrived on one of our local addresses.
    pub fn handle_receive(&mut self, now: Instant, d: Datagram<'_>) {
        self.advance(now);
        self.stats.datagrams_received += 1;
        self.stats.bytes_received += d.contents.len() as u64;
        if self.closed {
            self.stats.dropped.after_close += 1;
            return;
        }
        // TURN: what comes from one of our servers to its client's socket is the client's;
        // data relayed from a peer continues as if it had arrived on the relayed address.
        if let Some(i) = self
            .turn
            .iter()
            .position(|c| c.server() == d.source && c.base() == d.destination)
        {
            let r = self.turn[i].handle_receive(self.now, d);
            self.drain_turn();
            if let TurnReceive::Data {
                peer,
                relayed,
                data,
            } = r
            {
                self.route(Datagram {
                    source: peer,
                    destination: relayed,
                    protocol: d.protocol,
                    contents: &data,
                });
            }
            self.update_states();
            return;
        }
        self.route(d);
    }

    /// [`Peer::handle_receive`] with a buffer the peer may keep: a DTLS record is opened in
    /// place in it and the data channel messages it carries are handed out
    /// ([`Event::ChannelMessage`](crate::Event)) as slices of it, so the payload is never
    /// copied. Everything else (STUN, data relayed by TURN) is handled as
    /// [`Peer::handle_receive`] does, from the borrowed bytes.
    pub fn handle_receive_buf(&mut self, now: Instant, d: DatagramBuf) {
        let from_turn = self
            .turn
            .iter()
            .any(|c| c.server() == d.source && c.base() == d.destination);
        if self.closed || from_turn || !matches!(PacketKind::of(&d.contents), Ok(PacketKind::Dtls))
        {
            self.handle_receive(now, d.as_datagram());
            return;
        }
        self.advance(now);
        self.stats.datagrams_received += 1;
        self.stats.bytes_received += d.contents.len() as u64;
        // As in `route`: ICE sees the time (a DTLS datagram is never STUN).
        let _ = self.ice.handle_receive(self.now, d.as_datagram());
        let now = self.now;
        let (source, local, len) = (d.source, d.destination, d.contents.len());
        self.receive_dtls(source, local, len, |dtls| {
            dtls.handle_receive_buf(now, d.contents)
        });
        self.update_states();
    }

    /// A DTLS datagram from `source` to `local`, `len` bytes, handed to the transport by
    /// `deliver`.
    fn receive_dtls(
        &mut self,
        source: SocketAddr,
        local: SocketAddr,
        len: usize,
        deliver: impl FnOnce(&mut DtlsTransport),
    ) {
        if !self.known_source(source) {
            self.stats.dropped.dtls_unknown_source += 1;
            return;
        }
        self.ice.count_data_received(local, source, len);
        let Some(dtls) = self.dtls.as_mut() else {
            self.stats.dropped.dtls_too_early += 1;
            return;
        };
        deliver(dtls);
        self.drain_dtls();
    }

    /// ICE (STUN) or DTLS, by the first byte.
    fn route(&mut self, d: Datagram<'_>) {
        if self.ice.handle_receive(self.now, d) {
            self.drain_ice();
            self.update_states();
            return;
        }
        // RFC 7983 §7 / RFC 9443: the first byte picks the protocol.
        match PacketKind::of(d.contents) {
            Ok(PacketKind::Dtls) => {
                let now = self.now;
                self.receive_dtls(d.source, d.destination, d.contents.len(), |dtls| {
                    dtls.handle_receive(now, d.contents)
                });
            }
            _ => self.stats.dropped.unknown_protocol += 1,
        }
        self.update_states();
    }

    /// Fires due timers (ICE checks and consent, DTLS flights, SCTP retransmission, delayed
    /// SACK, heartbeats). Before [`Peer::poll_timeout`] it does nothing.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.advance(now);
        if self.closed {
            return;
        }
        self.ice.handle_timeout(self.now);
        self.drain_ice();
        for c in &mut self.turn {
            if !c.is_started() {
                c.start(self.now);
            }
            c.handle_timeout(self.now);
        }
        self.drain_turn();
        if let Some(dtls) = self.dtls.as_mut() {
            dtls.handle_timeout(self.now);
            self.drain_dtls();
        }
        if let Some(sctp) = self.sctp.as_mut()
            && self.sctp_started
        {
            sctp.handle_timeout(self.now);
        }
        self.update_states();
        self.trim_if_idle();
    }

    /// An idle peer (nothing queued or in flight) gives back the working buffers of busier
    /// times: a server holding many idle connections pays for their state, not for their
    /// buffers. Runs from `handle_timeout`, so an idle peer trims at its next timer (consent
    /// freshness fires every few seconds); cheap when there is nothing to release.
    fn trim_if_idle(&mut self) {
        use crate::vecmap::shrink_if_empty;
        let sctp_idle = self.sctp.as_ref().is_none_or(|s| {
            let st = s.stats();
            st.flight_bytes == 0 && st.queued_bytes == 0
        });
        if !sctp_idle || !self.transmits.is_empty() || !self.events.is_empty() {
            return;
        }
        shrink_if_empty!(self.transmits, self.events);
        self.channels.trim();
        self.ice.trim();
        if let Some(d) = self.dtls.as_mut() {
            d.trim();
        }
        if let Some(s) = self.sctp.as_mut() {
            s.trim();
        }
    }

    /// The next datagram to send, at `now`.
    ///
    /// The driver contract (DESIGN §3): commands (`send_text`, `create_data_channel`,
    /// `add_local_address`, …) carry no time; what they start is timed from the next call that
    /// does. Call `poll_transmit(now)` with the current time after commands and after each
    /// `handle_*` until it returns `None`, then wait for [`Peer::poll_timeout`]. Timers for
    /// what goes out here (SCTP's T3-rtx, a DTLS flight's retransmission) start at `now`, and a
    /// message's lifetime (`max_packet_life_time`) starts no earlier than the first call with
    /// the time after its `send`: never at an older time the peer last saw.
    #[must_use]
    pub fn poll_transmit(&mut self, now: Instant) -> Option<Transmit> {
        self.advance(now);
        let t = self.next_transmit()?;
        self.stats.datagrams_sent += 1;
        self.stats.bytes_sent += t.contents.len() as u64;
        Some(t)
    }

    fn next_transmit(&mut self) -> Option<Transmit> {
        loop {
            if let Some(t) = self.transmits.pop_front() {
                return Some(t);
            }
            if let Some(t) = self.turn.iter_mut().find_map(TurnClient::poll_transmit) {
                return Some(t);
            }
            let t = self.next_own_transmit()?;
            // Sent from a relayed candidate: it goes through that allocation (RFC 8656 §10-§12).
            match self.turn.iter_mut().find(|c| c.relayed() == Some(t.source)) {
                Some(c) => c.send_to(t.destination, &t.contents),
                None => return Some(t),
            }
        }
    }

    /// ICE's transmits, then DTLS records (with SCTP packets pulled into them).
    fn next_own_transmit(&mut self) -> Option<Transmit> {
        if let Some(t) = self.ice.poll_transmit() {
            return Some(t);
        }
        // DTLS (and the SCTP inside it) goes out on the selected pair only; until there is one
        // its records wait.
        let (source, destination) = self.ice.selected_pair()?;
        let dtls = self.dtls.as_mut()?;
        loop {
            if let Some(contents) = dtls.poll_transmit(self.now) {
                self.ice.count_data_sent(contents.len());
                return Some(Transmit {
                    source,
                    destination,
                    protocol: Protocol::Udp,
                    contents,
                });
            }
            let sctp = self.sctp.as_mut()?;
            if !self.sctp_started || dtls.state() != DtlsState::Connected {
                return None;
            }
            // RFC 8261 §5: one SCTP packet per DTLS record, written by SCTP straight into the
            // record's buffer and sealed there.
            let max = sctp.max_packet_len();
            let now = self.now;
            if !matches!(
                dtls.send_with(max, |buf| sctp.poll_transmit_append(now, buf)),
                Ok(true)
            ) {
                return None;
            }
        }
    }

    /// The next event. Channel messages are pulled from SCTP here, so an application that
    /// stops polling stops acknowledging data (back-pressure to the sender).
    #[must_use]
    pub fn poll_event(&mut self) -> Option<Event> {
        loop {
            if let Some(e) = self.events.pop_front() {
                match &e {
                    Event::ChannelOpen(_) => self.stats.channels_opened += 1,
                    Event::ChannelClosed { .. } => self.stats.channels_closed += 1,
                    _ => {}
                }
                return Some(e);
            }
            let sctp = self.sctp.as_mut()?;
            let e = sctp.poll_event()?;
            self.handle_sctp_event(e);
        }
    }

    /// When [`Peer::handle_timeout`] is due next (`None`: no timer).
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.closed {
            return None;
        }
        let dtls = self.dtls.as_ref().and_then(DtlsTransport::poll_timeout);
        let sctp = self
            .sctp
            .as_ref()
            .filter(|_| self.sctp_started)
            .and_then(Association::poll_timeout);
        let turn = self
            .turn
            .iter()
            .filter_map(|c| {
                if c.is_started() {
                    c.poll_timeout()
                } else {
                    Some(self.now)
                }
            })
            .min();
        [self.ice.poll_timeout(), dtls, sctp, turn]
            .into_iter()
            .flatten()
            .min()
    }

    // ----- routing -----

    fn push_event(&mut self, e: Event) {
        if self.events.len() >= self.config.limits.max_queued_events {
            self.stats.dropped.events += 1;
            return;
        }
        self.events.push_back(e);
    }

    fn queue_negotiation_needed(&mut self) {
        // W3C: fired once per need, and only in stable (it is re-checked after an answer).
        if !self.negotiation_pending {
            self.negotiation_pending = true;
            self.push_event(Event::NegotiationNeeded);
        }
    }

    fn drain_ice(&mut self) {
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
    fn maybe_gathering_complete(&mut self) {
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

    fn set_gathering_state(&mut self, state: IceGatheringState) {
        if state != self.gathering_state {
            self.gathering_state = state;
            self.push_event(Event::IceGatheringStateChange(state));
        }
    }

    fn drain_turn(&mut self) {
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

    fn drain_dtls(&mut self) {
        let Some(dtls) = self.dtls.as_mut() else {
            return;
        };
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
                _ => {}
            }
        }
    }

    fn handle_sctp_event(&mut self, e: SctpEvent) {
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
    fn update_states(&mut self) {
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

/// The mid and m-line index of the first section of `sdp` that is not rejected (port 0).
fn section_of(sdp: Option<&crate::sdp::SessionDescription>) -> (Option<String>, Option<u16>) {
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

/// Whether an SCTP ending is a failure. A remote closing is not: a graceful SHUTDOWN, or an
/// ABORT without an error cause or with User-Initiated Abort (RFC 9260 §3.3.10.12), what
/// browsers' `pc.close()` sends. An ABORT reporting an error (a protocol violation, ...) and our
/// own give-ups (handshake, retransmissions) are.
fn sctp_close_is_failure(reason: crate::sctp::CloseReason) -> bool {
    use crate::sctp::CloseReason as R;
    match reason {
        R::Shutdown | R::LocalAbort => false,
        R::PeerAbort { cause } => {
            !matches!(cause, None | Some(crate::sctp::chunk::cause::USER_ABORT))
        }
        R::HandshakeTimeout | R::TooManyRetransmissions => true,
    }
}

impl crate::sim::Node for Peer {
    fn handle_receive(&mut self, now: Instant, datagram: Datagram<'_>) {
        Peer::handle_receive(self, now, datagram)
    }
    fn handle_timeout(&mut self, now: Instant) {
        Peer::handle_timeout(self, now)
    }
    fn poll_transmit(&mut self, now: Instant) -> Option<Transmit> {
        Peer::poll_transmit(self, now)
    }
    fn poll_timeout(&self) -> Option<Instant> {
        Peer::poll_timeout(self)
    }
}
