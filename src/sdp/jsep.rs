//! JSEP (RFC 9429): the signaling state machine and the offer/answer rules for what sansrtc
//! negotiates today — one data-channel section (RFC 8841), one BUNDLE group on one transport
//! (RFC 8843), DTLS roles from `a=setup` (RFC 8842), ICE credentials, options and candidates
//! (RFC 8839). Audio and video sections are parsed, kept, and answered as rejected (port 0) so
//! that negotiation with a browser that offers media still succeeds for data.
//!
//! State transitions follow RFC 9429 §3.2 and the W3C `RTCSignalingState` table; an invalid
//! transition is an error that changes nothing.

use super::media::{
    LocalMedia, RTP_PROTOCOL, SectionRids, answer_direction, answer_extensions, is_rtp_section,
    remote_recv_rids, remote_send_rids, section_direction, write_media_lines,
};
use super::{
    Connection, Fingerprint, MediaDescription, Origin, ParseError, SdpAttribute, SdpCandidate,
    SdpLimits, SessionDescription, Setup, Timing,
};
use crate::ice::Credentials;
use crate::rng::Rng;
use std::fmt;

/// The kind of a description (RTCSdpType).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SdpType {
    /// `offer`
    Offer,
    /// `pranswer`
    Pranswer,
    /// `answer`
    Answer,
    /// `rollback`: undo the pending offer (carries no SDP of its own).
    Rollback,
}

impl SdpType {
    /// The W3C name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Offer => "offer",
            Self::Pranswer => "pranswer",
            Self::Answer => "answer",
            Self::Rollback => "rollback",
        }
    }
}

impl std::fmt::Display for SdpType {
    /// The W3C name (`RTCSdpType`): "offer", "pranswer", "answer", "rollback".
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A string that is not one of the four `RTCSdpType` names.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not an RTCSdpType (offer, pranswer, answer, rollback)")]
pub struct UnknownSdpType;

impl std::str::FromStr for SdpType {
    type Err = UnknownSdpType;

    /// The W3C name, exactly (WebIDL enums are case-sensitive), as in a browser's
    /// `RTCSessionDescriptionInit.type`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "offer" => Ok(Self::Offer),
            "pranswer" => Ok(Self::Pranswer),
            "answer" => Ok(Self::Answer),
            "rollback" => Ok(Self::Rollback),
            _ => Err(UnknownSdpType),
        }
    }
}

/// A typed description (RTCSessionDescriptionInit).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Description {
    /// Offer, pranswer, answer or rollback.
    pub kind: SdpType,
    /// The session description (ignored for rollback).
    pub sdp: SessionDescription,
}

impl Description {
    /// Parses the text of a description of `kind` with the default limits.
    pub fn parse(kind: SdpType, text: &str) -> Result<Self, ParseError> {
        Ok(Self {
            kind,
            sdp: SessionDescription::parse(text)?,
        })
    }

    /// The same description with no spare capacity (what a peer keeps for the session's life).
    fn shrunk(mut self) -> Self {
        self.sdp.shrink_to_fit();
        self
    }
}

/// RTCSignalingState.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SignalingState {
    /// No offer/answer exchange in progress.
    Stable,
    /// A local offer has been applied.
    HaveLocalOffer,
    /// A remote offer has been applied.
    HaveRemoteOffer,
    /// A remote offer and a local provisional answer have been applied.
    HaveLocalPranswer,
    /// A local offer and a remote provisional answer have been applied.
    HaveRemotePranswer,
    /// Closed.
    Closed,
}

/// Errors of the JSEP commands (caller misuse or unacceptable remote descriptions).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SdpError {
    /// The operation is not allowed in this signaling state.
    #[error("{operation} is not allowed in signaling state {state:?}")]
    InvalidState {
        /// What was attempted.
        operation: &'static str,
        /// The state it was attempted in.
        state: SignalingState,
    },
    /// The description could not be parsed.
    #[error(transparent)]
    Parse(#[from] ParseError),
    /// `set_local_description` with a description other than the last one created of its
    /// kind (JSEP does not allow munging what sansrtc generated).
    #[error("local description differs from the last created {0}")]
    Modified(&'static str),
    /// A used media section carries no ICE ufrag/pwd (RFC 8839 §5.4).
    #[error("no ICE credentials for media section {index}")]
    MissingIceCredentials {
        /// 0-based index of the m= section.
        index: usize,
    },
    /// A used media section carries no fingerprint (RFC 8122, RFC 8842 §5).
    #[error("no DTLS fingerprint for media section {index}")]
    MissingFingerprint {
        /// 0-based index of the m= section.
        index: usize,
    },
    /// `a=setup` is absent or not acceptable (an answer must be `active` or `passive`).
    #[error("unacceptable a=setup in media section {index}")]
    InvalidSetup {
        /// 0-based index of the m= section.
        index: usize,
    },
    /// An answer's media sections do not match the offer's (count, kind or mid).
    #[error("answer does not match the offer's media sections")]
    AnswerMismatch,
}

/// Options of the JSEP layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsepConfig {
    /// `a=setup` when answering an `actpass` offer: `Active` (DTLS client; the default, as
    /// browsers do and RFC 5763 §5 recommends) or `Passive`.
    pub answer_setup: Setup,
    /// Our SCTP port (RFC 8841 §5; 5000).
    pub sctp_port: u16,
    /// The largest message we accept (RFC 8841 §6), advertised as `a=max-message-size`.
    pub max_message_size: u64,
    /// We are an ICE-lite agent (`a=ice-lite` at session level).
    pub ice_lite: bool,
    /// Limits on remote descriptions given as text.
    pub limits: SdpLimits,
}

impl Default for JsepConfig {
    fn default() -> Self {
        Self {
            answer_setup: Setup::Active,
            sctp_port: 5000,
            max_message_size: 262_144,
            ice_lite: false,
            limits: SdpLimits::default(),
        }
    }
}

/// What the local side puts into a description at the time it is created.
#[derive(Debug, Clone, PartialEq)]
pub struct LocalParams {
    /// Current local ICE credentials (new ones after an ICE restart).
    pub credentials: Credentials,
    /// Fingerprints of our DTLS certificate.
    pub fingerprints: Vec<Fingerprint>,
    /// Candidates gathered so far.
    pub candidates: Vec<SdpCandidate>,
    /// Gathering is complete: write `a=end-of-candidates`.
    pub end_of_candidates: bool,
    /// Offer a data-channel section (when there is none yet).
    pub data_channel: bool,
    /// The transceivers' audio and video sections, in transceiver order.
    pub media: Vec<LocalMedia>,
}

/// The transport the remote description sets up: what the ICE agent, DTLS and SCTP need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteTransport {
    /// The mid of the section that carries the transport (the BUNDLE tag).
    pub mid: Option<String>,
    /// Remote ICE credentials.
    pub credentials: Credentials,
    /// The remote is ICE-lite.
    pub ice_lite: bool,
    /// `a=ice-options` (e.g. `trickle`).
    pub ice_options: Vec<String>,
    /// Candidates in the description.
    pub candidates: Vec<SdpCandidate>,
    /// `a=end-of-candidates` was present.
    pub end_of_candidates: bool,
    /// Certificate fingerprints to check the DTLS peer against.
    pub fingerprints: Vec<Fingerprint>,
    /// The remote's `a=setup`.
    pub setup: Setup,
    /// The remote SCTP port, when a data section is negotiated.
    pub sctp_port: Option<u16>,
    /// The remote's max-message-size; 65536 when absent (RFC 8841 §6.1), 0 meaning no limit.
    pub max_message_size: u64,
}

/// The offer/answer state of one peer connection.
#[derive(Debug, Clone)]
pub struct Jsep {
    config: JsepConfig,
    state: SignalingState,
    session_id: u64,
    session_version: u64,
    // Boxed: a connected peer holds two of the six, and each is ~450 bytes inline.
    current_local: Option<Box<Description>>,
    pending_local: Option<Box<Description>>,
    current_remote: Option<Box<Description>>,
    pending_remote: Option<Box<Description>>,
    /// The last created offer and answer, by digest ([`digest`]).
    last_offer: Option<u64>,
    last_answer: Option<u64>,
    /// The mids the last created offer gave to transceivers (by [`LocalMedia::key`]).
    offered_mids: Vec<(u32, String)>,
}

const DATA_PROTOCOL: &str = "UDP/DTLS/SCTP";
const DATA_FORMAT: &str = "webrtc-datachannel";

impl Jsep {
    /// A new session; the `o=` session id is drawn from `rng` (RFC 9429 §5.2.1: below 2^63, random).
    pub fn new(config: JsepConfig, rng: &mut Rng) -> Self {
        Self {
            config,
            state: SignalingState::Stable,
            session_id: rng.next_u64() >> 2,
            session_version: 1,
            current_local: None,
            pending_local: None,
            current_remote: None,
            pending_remote: None,
            last_offer: None,
            last_answer: None,
            offered_mids: Vec::new(),
        }
    }

    /// The mids the last created offer gave to transceivers ([`LocalMedia::key`], mid).
    pub fn offered_mids(&self) -> &[(u32, String)] {
        &self.offered_mids
    }

    /// The signaling state.
    pub fn signaling_state(&self) -> SignalingState {
        self.state
    }

    /// The configuration.
    pub fn config(&self) -> &JsepConfig {
        &self.config
    }

    /// The local description in effect: pending if any, else current.
    pub fn local_description(&self) -> Option<&Description> {
        self.pending_local
            .as_deref()
            .or(self.current_local.as_deref())
    }

    /// The remote description in effect: pending if any, else current.
    pub fn remote_description(&self) -> Option<&Description> {
        self.pending_remote
            .as_deref()
            .or(self.current_remote.as_deref())
    }

    /// The last negotiated (answered) local description.
    pub fn current_local_description(&self) -> Option<&Description> {
        self.current_local.as_deref()
    }

    /// The last negotiated (answered) remote description.
    pub fn current_remote_description(&self) -> Option<&Description> {
        self.current_remote.as_deref()
    }

    /// The local offer or pranswer not yet answered.
    pub fn pending_local_description(&self) -> Option<&Description> {
        self.pending_local.as_deref()
    }

    /// The remote offer or pranswer not yet answered.
    pub fn pending_remote_description(&self) -> Option<&Description> {
        self.pending_remote.as_deref()
    }

    /// Closes: every later command fails with [`SdpError::InvalidState`].
    pub fn close(&mut self) {
        self.state = SignalingState::Closed;
    }

    fn invalid(&self, operation: &'static str) -> SdpError {
        SdpError::InvalidState {
            operation,
            state: self.state,
        }
    }

    /// The negotiated session the next offer starts from (RFC 9429 §5.2.2): the media sections
    /// of the current local description, or of the current remote one reversed, in order.
    fn negotiated_sections(&self) -> Option<&SessionDescription> {
        self.current_local.as_deref().map(|d| &d.sdp)
    }

    /// createOffer (RFC 9429 §5.2; the states are W3C webrtc-pc's): allowed in `stable`
    /// and `have-local-offer`.
    pub fn create_offer(&mut self, local: &LocalParams) -> Result<SessionDescription, SdpError> {
        if !matches!(
            self.state,
            SignalingState::Stable | SignalingState::HaveLocalOffer
        ) {
            return Err(self.invalid("create_offer"));
        }
        let mut media: Vec<MediaDescription> = Vec::new();
        let mut has_data = false;
        let mut mids: Vec<(u32, String)> = Vec::new();
        // Sections already negotiated as rejected: an m= line a new transceiver may recycle
        // (RFC 9429 §5.2.2).
        let mut recyclable: Vec<usize> = Vec::new();
        let first_transport = |media: &[MediaDescription]| media.iter().all(|m| m.is_rejected());
        // §5.2.2: subsequent offers keep every m= section, in order, with its mid.
        if let Some(prev) = self.negotiated_sections() {
            for m in &prev.media {
                let lm = local
                    .media
                    .iter()
                    .find(|l| !l.stopped && l.mid.is_some() && l.mid.as_deref() == m.mid());
                if m.is_data_channel() && !m.is_rejected() && !has_data {
                    has_data = true;
                    let cands = first_transport(&media);
                    media.push(self.data_section(m.mid(), local, Setup::ActPass, cands));
                } else if let (Some(lm), false) = (lm, m.is_rejected()) {
                    let cands = first_transport(&media);
                    let mid = lm.mid.clone().expect("matched by mid");
                    media.push(self.media_offer_section(lm, &mid, local, cands));
                    mids.push((lm.key, mid));
                } else {
                    if m.is_rejected() && !m.is_data_channel() {
                        recyclable.push(media.len());
                    }
                    media.push(rejected(m));
                }
            }
        }
        for lm in local.media.iter().filter(|l| !l.stopped) {
            if mids.iter().any(|(k, _)| *k == lm.key) {
                continue;
            }
            // A new transceiver: a recycled m= line gets a new mid (RFC 9429 §5.2.2).
            let mid = match &lm.mid {
                Some(m) if media.iter().all(|s| s.mid() != Some(m)) => m.clone(),
                _ => next_mid_avoiding(&media, &mids),
            };
            let cands = first_transport(&media);
            let section = self.media_offer_section(lm, &mid, local, cands);
            if let Some(slot) = (!recyclable.is_empty()).then(|| recyclable.remove(0)) {
                media[slot] = section;
            } else {
                media.push(section);
            }
            mids.push((lm.key, mid));
        }
        if local.data_channel && !has_data {
            let mid = next_mid_avoiding(&media, &mids);
            let cands = first_transport(&media);
            media.push(self.data_section(Some(&mid), local, Setup::ActPass, cands));
        }
        self.offered_mids = mids;
        let has_media = media.iter().any(|m| is_rtp_section(m) && !m.is_rejected());
        let mut sdp = self.session(media);
        if has_media {
            // RFC 8285 §6: we read and write both extension forms.
            sdp.attributes.push(SdpAttribute::Other {
                name: "extmap-allow-mixed".into(),
                value: None,
            });
        }
        self.last_offer = Some(digest(&sdp));
        Ok(sdp)
    }

    /// createAnswer (RFC 9429 §5.3; the states are W3C webrtc-pc's): allowed in
    /// `have-remote-offer` and `have-local-pranswer`.
    pub fn create_answer(&mut self, local: &LocalParams) -> Result<SessionDescription, SdpError> {
        if !matches!(
            self.state,
            SignalingState::HaveRemoteOffer | SignalingState::HaveLocalPranswer
        ) {
            return Err(self.invalid("create_answer"));
        }
        let offer = self
            .remote_description()
            .expect("invariant: have-remote-offer has a remote description")
            .sdp
            .clone();
        let offer = &offer;
        let mut media: Vec<MediaDescription> = Vec::new();
        let mut accepted: Vec<String> = Vec::new();
        let mut has_data = false;
        let offered = offer.bundle_group().unwrap_or_default();
        // RFC 8842 §5.3: actpass ⇒ our preference; active ⇒ passive; passive ⇒ active.
        let setup_for = |m: &MediaDescription| match attr_setup(m).or_else(|| session_setup(offer))
        {
            Some(Setup::Active) => Setup::Passive,
            Some(Setup::Passive) => Setup::Active,
            _ => self.config.answer_setup,
        };
        // One transport (max-bundle): a section outside the offer's BUNDLE group is used only
        // when there is no group at all and it is the first we accept.
        let bundled = |m: &MediaDescription, accepted: &[String]| match m.mid() {
            Some(mid) if !offered.is_empty() => offered.iter().any(|x| x == mid),
            _ => offered.is_empty() && accepted.is_empty(),
        };
        for m in &offer.media {
            let first = accepted.is_empty();
            if !has_data
                && m.is_data_channel()
                && m.protocol == DATA_PROTOCOL
                && !m.is_rejected()
                && bundled(m, &accepted)
            {
                has_data = true;
                accepted.extend(m.mid().map(str::to_owned));
                media.push(self.data_section(m.mid(), local, setup_for(m), first));
                continue;
            }
            let lm = m.mid().and_then(|mid| {
                local
                    .media
                    .iter()
                    .find(|l| !l.stopped && l.mid.as_deref() == Some(mid))
            });
            let answered = match lm {
                Some(lm) if is_rtp_section(m) && !m.is_rejected() && bundled(m, &accepted) => {
                    self.media_answer_section(lm, m, local, setup_for(m), first)
                }
                _ => None,
            };
            match answered {
                Some(section) => {
                    accepted.extend(m.mid().map(str::to_owned));
                    media.push(section);
                }
                None => media.push(rejected(m)),
            }
        }
        let mut sdp = self.session(media);
        // RFC 8843 §7.3: the answer's BUNDLE group holds the accepted mids the offer bundled.
        sdp.attributes
            .retain(|a| !matches!(a, SdpAttribute::Group { .. }));
        let group: Vec<String> = accepted
            .into_iter()
            .filter(|m| offered.contains(m))
            .collect();
        if !group.is_empty() {
            sdp.attributes.insert(
                0,
                SdpAttribute::Group {
                    semantics: "BUNDLE".into(),
                    mids: group,
                },
            );
        }
        let mixed = |attrs: &[SdpAttribute]| {
            attrs.iter().any(
                |a| matches!(a, SdpAttribute::Other { name, .. } if name == "extmap-allow-mixed"),
            )
        };
        if mixed(&offer.attributes) || offer.media.iter().any(|m| mixed(&m.attributes)) {
            sdp.attributes.push(SdpAttribute::Other {
                name: "extmap-allow-mixed".into(),
                value: None,
            });
        }
        self.last_answer = Some(digest(&sdp));
        Ok(sdp)
    }

    fn session(&mut self, media: Vec<MediaDescription>) -> SessionDescription {
        let mut attributes = Vec::new();
        let bundled: Vec<String> = media
            .iter()
            .filter(|m| !m.is_rejected())
            .filter_map(|m| m.mid().map(str::to_owned))
            .collect();
        if !bundled.is_empty() {
            attributes.push(SdpAttribute::Group {
                semantics: "BUNDLE".into(),
                mids: bundled,
            });
        }
        if self.config.ice_lite {
            attributes.push(SdpAttribute::IceLite);
        }
        let mut sdp = SessionDescription::new(
            Origin {
                username: "-".into(),
                session_id: self.session_id,
                session_version: self.session_version,
                network_type: "IN".into(),
                address_type: "IP4".into(),
                address: "127.0.0.1".into(),
            },
            "-",
        );
        sdp.timings.push(Timing {
            start: 0,
            stop: 0,
            repeats: Vec::new(),
        });
        sdp.attributes = attributes;
        sdp.media = media;
        // RFC 9429 §5.2.2: the version goes up whenever the description changes.
        if let Some(prev) = self.local_description() {
            let mut same = sdp.clone();
            same.origin.session_version = prev.sdp.origin.session_version;
            if same == prev.sdp {
                sdp.origin.session_version = prev.sdp.origin.session_version;
                return sdp;
            }
            sdp.origin.session_version = prev.sdp.origin.session_version + 1;
        }
        self.session_version = sdp.origin.session_version;
        sdp
    }

    fn data_section(
        &self,
        mid: Option<&str>,
        local: &LocalParams,
        setup: Setup,
        candidates: bool,
    ) -> MediaDescription {
        let mut m =
            self.section_with_transport("application", DATA_PROTOCOL, local, setup, candidates);
        // A section without a mid (an offer from a peer without BUNDLE) is answered without.
        m.attributes
            .extend(mid.map(|m| SdpAttribute::Mid(m.to_owned())));
        m.attributes
            .push(SdpAttribute::SctpPort(self.config.sctp_port));
        m.attributes
            .push(SdpAttribute::MaxMessageSize(self.config.max_message_size));
        m.formats = vec![DATA_FORMAT.into()];
        if candidates && local.end_of_candidates {
            m.attributes.push(SdpAttribute::EndOfCandidates);
        }
        m
    }

    /// An offered audio/video section for a transceiver.
    fn media_offer_section(
        &self,
        lm: &LocalMedia,
        mid: &str,
        local: &LocalParams,
        candidates: bool,
    ) -> MediaDescription {
        let mut m = self.section_with_transport(
            lm.kind.as_str(),
            RTP_PROTOCOL,
            local,
            Setup::ActPass,
            candidates,
        );
        let extensions: Vec<_> = lm
            .extensions
            .iter()
            .map(|&(id, uri)| (id, uri, None))
            .collect();
        write_media_lines(
            &mut m,
            lm,
            mid,
            lm.direction,
            &lm.codecs,
            &extensions,
            SectionRids {
                send: if lm.send_rids.len() >= 2 {
                    &lm.send_rids
                } else {
                    &[]
                },
                recv: &lm.recv_rids,
            },
        );
        if candidates && local.end_of_candidates {
            m.attributes.push(SdpAttribute::EndOfCandidates);
        }
        m
    }

    /// Our answer to an offered audio/video section, or None to reject it (no codec in
    /// common).
    fn media_answer_section(
        &self,
        lm: &LocalMedia,
        offered: &MediaDescription,
        local: &LocalParams,
        setup: Setup,
        candidates: bool,
    ) -> Option<MediaDescription> {
        let codecs = crate::media::codec::negotiate_answer(
            &crate::media::codec::section_codecs(offered),
            &lm.codecs,
        );
        if !codecs.iter().any(|c| !c.codec.name.is_repair()) {
            return None;
        }
        let direction = answer_direction(lm.direction, section_direction(offered));
        let extensions = answer_extensions(offered, &lm.accept_extensions);
        let mid = offered.mid()?;
        let mut m =
            self.section_with_transport(lm.kind.as_str(), RTP_PROTOCOL, local, setup, candidates);
        // RFC 8853 §5.3: we receive the offerer's simulcast streams, and send those of ours it
        // asks to receive (none it did not offer).
        let offered_recv = remote_recv_rids(offered);
        let send_rids: Vec<String> = lm
            .send_rids
            .iter()
            .filter(|r| offered_recv.contains(r))
            .cloned()
            .collect();
        write_media_lines(
            &mut m,
            lm,
            mid,
            direction,
            &codecs,
            &extensions,
            SectionRids {
                send: &send_rids,
                recv: &remote_send_rids(offered),
            },
        );
        // RFC 5506 §5: reduced-size RTCP only where the offer asked for it.
        if !offered.attributes.contains(&SdpAttribute::RtcpRsize) {
            m.attributes.retain(|a| *a != SdpAttribute::RtcpRsize);
        }
        if candidates && local.end_of_candidates {
            m.attributes.push(SdpAttribute::EndOfCandidates);
        }
        Some(m)
    }

    /// A section with the transport lines every bundled section carries: `c=`, candidates
    /// (in the first section only), ICE credentials and options, fingerprints, setup.
    fn section_with_transport(
        &self,
        kind: &str,
        protocol: &str,
        local: &LocalParams,
        setup: Setup,
        candidates: bool,
    ) -> MediaDescription {
        // RFC 9429 §5.2.1: port 9 and 0.0.0.0 until there is a default candidate.
        let default = local.candidates.iter().find(|c| {
            c.address.ip().is_some() && c.transport.eq_ignore_ascii_case("udp") && c.component == 1
        });
        let (port, connection) = match default.and_then(|c| Some((c, c.address.ip()?))) {
            Some((c, ip)) => (
                c.port,
                Connection {
                    network_type: "IN".into(),
                    address_type: if ip.is_ipv4() { "IP4" } else { "IP6" }.into(),
                    address: ip.to_string(),
                },
            ),
            None => (9, Connection::placeholder()),
        };
        let mut a: Vec<SdpAttribute> = local
            .candidates
            .iter()
            .filter(|_| candidates)
            .map(|c| SdpAttribute::Candidate(Box::new(c.clone())))
            .collect();
        a.push(SdpAttribute::IceUfrag(local.credentials.ufrag.clone()));
        a.push(SdpAttribute::IcePwd(local.credentials.pwd.clone()));
        a.push(SdpAttribute::IceOptions(vec!["trickle".into()]));
        a.extend(
            local
                .fingerprints
                .iter()
                .cloned()
                .map(SdpAttribute::Fingerprint),
        );
        a.push(SdpAttribute::Setup(setup));
        let mut m = MediaDescription::new(kind, port, protocol, Vec::new());
        m.connection = Some(connection);
        m.attributes = a;
        m
    }

    /// setLocalDescription. The description must be the last one created of its kind
    /// (rollback excepted).
    pub fn set_local_description(&mut self, d: Description) -> Result<(), SdpError> {
        use SignalingState as S;
        let next = match (d.kind, self.state) {
            (SdpType::Offer, S::Stable | S::HaveLocalOffer) => S::HaveLocalOffer,
            (SdpType::Answer, S::HaveRemoteOffer | S::HaveLocalPranswer) => S::Stable,
            (SdpType::Pranswer, S::HaveRemoteOffer | S::HaveLocalPranswer) => S::HaveLocalPranswer,
            (SdpType::Rollback, S::HaveLocalOffer) => {
                self.pending_local = None;
                self.state = S::Stable;
                return Ok(());
            }
            _ => return Err(self.invalid("set_local_description")),
        };
        let created = match d.kind {
            SdpType::Offer => self.last_offer,
            _ => self.last_answer,
        };
        if created != Some(digest(&d.sdp)) {
            return Err(SdpError::Modified(d.kind.as_str()));
        }
        let d = Box::new(d.shrunk());
        if d.kind == SdpType::Answer {
            self.current_local = Some(d);
            self.pending_local = None;
            self.current_remote = self.pending_remote.take().or(self.current_remote.take());
            self.negotiation_done();
        } else {
            self.pending_local = Some(d);
        }
        self.state = next;
        Ok(())
    }

    /// setRemoteDescription. A remote offer in `have-local-offer` rolls the local offer back
    /// first (the W3C "perfect negotiation" rule). The description is validated before
    /// anything changes.
    pub fn set_remote_description(&mut self, d: Description) -> Result<(), SdpError> {
        use SignalingState as S;
        let next = match (d.kind, self.state) {
            (SdpType::Offer, S::Stable | S::HaveRemoteOffer | S::HaveLocalOffer) => {
                S::HaveRemoteOffer
            }
            (SdpType::Answer, S::HaveLocalOffer | S::HaveRemotePranswer) => S::Stable,
            (SdpType::Pranswer, S::HaveLocalOffer | S::HaveRemotePranswer) => S::HaveRemotePranswer,
            (SdpType::Rollback, S::HaveRemoteOffer) => {
                self.pending_remote = None;
                self.state = S::Stable;
                return Ok(());
            }
            _ => return Err(self.invalid("set_remote_description")),
        };
        if matches!(d.kind, SdpType::Answer | SdpType::Pranswer) {
            let offer = &self
                .pending_local
                .as_ref()
                .expect("invariant: have-local-offer has a pending local offer")
                .sdp;
            check_answer_matches(offer, &d.sdp)?;
        }
        validate_remote(&d.sdp, d.kind)?;
        if self.state == S::HaveLocalOffer && d.kind == SdpType::Offer {
            self.pending_local = None; // implicit rollback
        }
        let d = Box::new(d.shrunk());
        if d.kind == SdpType::Answer {
            self.current_remote = Some(d);
            self.pending_remote = None;
            self.current_local = self.pending_local.take().or(self.current_local.take());
            self.negotiation_done();
        } else {
            self.pending_remote = Some(d);
        }
        self.state = next;
        Ok(())
    }

    /// An answer was applied: the negotiation is over and what `create_offer` /
    /// `create_answer` made for it is spent (a later `set_local_description` needs a new one).
    /// Dropping them keeps a connected peer from holding a third and fourth description.
    fn negotiation_done(&mut self) {
        self.last_offer = None;
        self.last_answer = None;
    }

    /// W3C rollback of whichever offer is pending (local or remote): back to `stable`.
    pub fn rollback(&mut self) -> Result<(), SdpError> {
        match self.state {
            SignalingState::HaveLocalOffer => {
                self.pending_local = None;
                self.state = SignalingState::Stable;
                Ok(())
            }
            SignalingState::HaveRemoteOffer => {
                self.pending_remote = None;
                self.state = SignalingState::Stable;
                Ok(())
            }
            _ => Err(self.invalid("rollback")),
        }
    }

    /// Parses `text` with the configured limits and applies it as the remote description.
    pub fn set_remote_sdp(&mut self, kind: SdpType, text: &str) -> Result<(), SdpError> {
        let sdp = SessionDescription::parse_with_limits(text, &self.config.limits)?;
        self.set_remote_description(Description { kind, sdp })
    }

    /// The transport the remote description in effect asks for (None before one is set or
    /// when it carries no usable section).
    pub fn remote_transport(&self) -> Option<RemoteTransport> {
        transport_of(&self.remote_description()?.sdp)
    }

    /// Whether we are the DTLS client, once an answer (or pranswer) fixed the roles: the
    /// `active` side is the client (RFC 8842 §5.3).
    pub fn is_dtls_client(&self) -> Option<bool> {
        let local = self.local_description()?;
        let remote = self.remote_description()?;
        let (ours, theirs) = (first_setup(&local.sdp), first_setup(&remote.sdp));
        match (local.kind, remote.kind) {
            (SdpType::Answer | SdpType::Pranswer, _) => ours.map(|s| s == Setup::Active),
            (_, SdpType::Answer | SdpType::Pranswer) => theirs.map(|s| s == Setup::Passive),
            _ => None,
        }
    }
}

fn next_mid_avoiding(media: &[MediaDescription], assigned: &[(u32, String)]) -> String {
    // Numeric mids as browsers use; the first unused one.
    (0u32..)
        .map(|n| n.to_string())
        .find(|m| media.iter().all(|s| s.mid() != Some(m)) && assigned.iter().all(|(_, a)| a != m))
        .expect("invariant: an unused mid exists")
}

/// The section as rejected: port 0, same kind, protocol and formats, its mid (RFC 9429 §5.3.1).
fn rejected(m: &MediaDescription) -> MediaDescription {
    let mut r = MediaDescription::new(m.kind.clone(), 0, m.protocol.clone(), m.formats.clone());
    r.connection = Some(Connection::placeholder());
    r.attributes
        .extend(m.mid().map(|mid| SdpAttribute::Mid(mid.to_owned())));
    r
}

fn attr_setup(m: &MediaDescription) -> Option<Setup> {
    m.attributes.iter().find_map(|a| match a {
        SdpAttribute::Setup(s) => Some(*s),
        _ => None,
    })
}

fn session_setup(sd: &SessionDescription) -> Option<Setup> {
    sd.attributes.iter().find_map(|a| match a {
        SdpAttribute::Setup(s) => Some(*s),
        _ => None,
    })
}

fn first_setup(sd: &SessionDescription) -> Option<Setup> {
    let m = transport_section(sd)?.1;
    attr_setup(m).or_else(|| session_setup(sd))
}

/// The section carrying the transport: the first used section of the BUNDLE group (the tag),
/// or the first used section when there is no group.
fn transport_section(sd: &SessionDescription) -> Option<(usize, &MediaDescription)> {
    let group = sd.bundle_group();
    sd.media.iter().enumerate().find(|(_, m)| {
        !m.is_rejected()
            && group.is_none_or(|g| m.mid().is_some_and(|mid| g.iter().any(|x| x == mid)))
    })
}

fn find_attr<'a, T>(
    m: &'a MediaDescription,
    sd: &'a SessionDescription,
    f: impl Fn(&'a SdpAttribute) -> Option<T>,
) -> Option<T> {
    m.attributes
        .iter()
        .find_map(&f)
        .or_else(|| sd.attributes.iter().find_map(&f))
}

fn transport_of(sd: &SessionDescription) -> Option<RemoteTransport> {
    let (_, m) = transport_section(sd)?;
    let ufrag = find_attr(m, sd, |a| match a {
        SdpAttribute::IceUfrag(u) => Some(u.clone()),
        _ => None,
    })?;
    let pwd = find_attr(m, sd, |a| match a {
        SdpAttribute::IcePwd(p) => Some(p.clone()),
        _ => None,
    })?;
    let mut fingerprints: Vec<Fingerprint> = m.fingerprints().cloned().collect();
    if fingerprints.is_empty() {
        fingerprints = sd
            .attributes
            .iter()
            .filter_map(|a| match a {
                SdpAttribute::Fingerprint(f) => Some(f.clone()),
                _ => None,
            })
            .collect();
    }
    let data = sd
        .media
        .iter()
        .find(|s| s.is_data_channel() && !s.is_rejected());
    Some(RemoteTransport {
        mid: m.mid().map(str::to_owned),
        credentials: Credentials { ufrag, pwd },
        ice_lite: sd.is_ice_lite(),
        ice_options: find_attr(m, sd, |a| match a {
            SdpAttribute::IceOptions(o) => Some(o.clone()),
            _ => None,
        })
        .unwrap_or_default(),
        candidates: m.candidates().cloned().collect(),
        end_of_candidates: m.attributes.contains(&SdpAttribute::EndOfCandidates),
        fingerprints,
        setup: attr_setup(m)
            .or_else(|| session_setup(sd))
            .unwrap_or(Setup::ActPass),
        sctp_port: data.map(|d| {
            d.attributes
                .iter()
                .find_map(|a| match a {
                    SdpAttribute::SctpPort(p) => Some(*p),
                    _ => None,
                })
                .unwrap_or(5000)
        }),
        // RFC 8841 §6.1: absent ⇒ 64 KiB.
        max_message_size: data
            .and_then(|d| {
                d.attributes.iter().find_map(|a| match a {
                    SdpAttribute::MaxMessageSize(s) => Some(*s),
                    _ => None,
                })
            })
            .unwrap_or(65_536),
    })
}

/// RFC 9429 §5.8: what a remote description must carry for each section we would use.
fn validate_remote(sd: &SessionDescription, kind: SdpType) -> Result<(), SdpError> {
    // The sections we would use: the data-channel section (media sections are rejected).
    for (index, m) in sd.media.iter().enumerate() {
        if m.is_rejected() || !m.is_data_channel() {
            continue;
        }
        let has = |name: &str| m.attribute(name).or(sd.attribute(name)).is_some();
        if !has("ice-ufrag") || !has("ice-pwd") {
            return Err(SdpError::MissingIceCredentials { index });
        }
        if !has("fingerprint") {
            return Err(SdpError::MissingFingerprint { index });
        }
        let setup = attr_setup(m).or_else(|| session_setup(sd));
        let ok = match kind {
            // RFC 8842 §5.2-5.3: an offer says actpass (active/passive tolerated); an answer
            // must pick.
            SdpType::Offer => !matches!(setup, Some(Setup::HoldConn)),
            _ => matches!(setup, Some(Setup::Active | Setup::Passive)),
        };
        if !ok {
            return Err(SdpError::InvalidSetup { index });
        }
    }
    Ok(())
}

/// RFC 9429 §5.8.3 / RFC 3264 §6: an answer has exactly the offer's sections, same kinds, mids.
fn check_answer_matches(
    offer: &SessionDescription,
    answer: &SessionDescription,
) -> Result<(), SdpError> {
    if offer.media.len() != answer.media.len()
        || offer
            .media
            .iter()
            .zip(&answer.media)
            .any(|(o, a)| o.kind != a.kind || o.mid() != a.mid())
    {
        return Err(SdpError::AnswerMismatch);
    }
    Ok(())
}

impl fmt::Display for SignalingState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Stable => "stable",
            Self::HaveLocalOffer => "have-local-offer",
            Self::HaveRemoteOffer => "have-remote-offer",
            Self::HaveLocalPranswer => "have-local-pranswer",
            Self::HaveRemotePranswer => "have-remote-pranswer",
            Self::Closed => "closed",
        })
    }
}

/// What a created description is remembered by (W3C setLocalDescription: the description must
/// be the last created offer or answer, unmodified): a 64-bit digest of its value, so no copy
/// of the description is kept. Not a defence against an adversary (the description is the
/// application's own); the same in every process.
fn digest(sdp: &SessionDescription) -> u64 {
    use std::hash::Hash;
    let mut h = Digest(0);
    sdp.hash(&mut h);
    std::hash::Hasher::finish(&h)
}

/// A multiply-rotate hash, eight bytes a step (FxHash's construction): a few times faster
/// than SipHash on a description's strings, which is what `digest` hashes.
struct Digest(u64);

impl Digest {
    const K: u64 = 0x517c_c1b7_2722_0a95;

    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(Self::K);
    }
}

impl std::hash::Hasher for Digest {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.add(u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            // The length keeps "ab" + "" apart from "a" + "b".
            self.add(u64::from_le_bytes(w) ^ ((rest.len() as u64) << 59));
        }
    }

    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    fn write_u16(&mut self, i: u16) {
        self.add(u64::from(i));
    }

    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }

    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }

    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}
