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
mod data;
mod driver;
mod media;
mod routing;
mod signaling;
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
pub use media::{KeyframeRequestKind, MediaDrops, RtpOut, RtpPacket};

/// Inputs and events the peer dropped, by reason.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct PeerDrops {
    /// Datagrams whose first byte matches no protocol we run (RFC 7983), or SRTP/SRTCP from an
    /// address ICE has not validated (media dropped after that is counted in
    /// [`crate::MediaDrops`]).
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
    /// What of the configuration is used after construction (the rest went to the parts).
    limits: crate::config::PeerLimits,
    sctp_config: SctpConfig,
    turn_servers: Vec<crate::turn::TurnConfig>,
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
    /// Transceivers, SRTP, the SSRC table and RTCP.
    media: media::MediaState,
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
        let media = media::MediaState::new(rng.stream(Stream::Media), now);
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
            media,
            limits: config.limits,
            sctp_config: config.sctp,
            turn_servers: config.turn_servers,
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
            media: self.media_stats(),
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
