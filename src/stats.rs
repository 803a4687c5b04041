//! A stats report shaped like W3C webrtc-stats (`RTCPeerConnection.getStats()`): typed entries
//! with ids and the W3C field names in snake_case, each one of the W3C `RTCStatsType`s.
//!
//! [`crate::Peer::get_stats`] builds a report when asked (it allocates: ids, labels, candidate
//! lists); [`crate::Peer::stats`] stays the cheap flat counters for a hot loop.
//!
//! What each entry holds, and the ids used (stable for the life of what they describe):
//!
//! | type              | id                          | struct                   |
//! |-------------------|-----------------------------|--------------------------|
//! | `peer-connection` | `P`                         | [`PeerConnectionStats`]  |
//! | `transport`       | `T0`                        | [`TransportStats`]       |
//! | `candidate-pair`  | `CP<local id>_<remote id>`  | [`CandidatePairStats`]   |
//! | `local-candidate` | `IL<type>-<address>`        | [`CandidateStats`]       |
//! | `remote-candidate`| `IR<type>-<address>`        | [`CandidateStats`]       |
//! | `certificate`     | `CF<fingerprint>`           | [`CertificateStats`]     |
//! | `data-channel`    | `D<channel>`                | [`DataChannelStats`]     |
//!
//! Media joins with media: `inbound-rtp`, `outbound-rtp`, `remote-inbound-rtp`,
//! `remote-outbound-rtp`, `codec` and `media-source` become variants of [`Stats`] (which is
//! `#[non_exhaustive]` for that reason) with the same id scheme (`IT…`, `OT…`, `RI…`, `RO…`,
//! `C…`), their `transport_id` pointing at the transport entry.

use crate::channel::ChannelId;
use crate::dtls::{DtlsRole, DtlsState};
use crate::event::ChannelState;
use crate::ice::{CandidateKind, IceConnectionState, PairState};
use crate::media::MediaKind;
use crate::net::Protocol;
use std::net::IpAddr;
use std::time::{Duration, Instant};

/// A report: every entry at one time.
#[derive(Debug, Clone, PartialEq)]
pub struct StatsReport {
    /// When the report was made (W3C `timestamp`, on the caller's clock).
    pub timestamp: Instant,
    entries: Vec<Stats>,
}

impl StatsReport {
    pub(crate) fn new(timestamp: Instant, entries: Vec<Stats>) -> Self {
        Self { timestamp, entries }
    }

    /// Every entry, in W3C type order (peer-connection, transport, candidate pairs, local and
    /// remote candidates, certificates, data channels).
    pub fn iter(&self) -> impl Iterator<Item = &Stats> {
        self.entries.iter()
    }

    /// The entry with `id`.
    pub fn get(&self, id: &str) -> Option<&Stats> {
        self.entries.iter().find(|s| s.id() == id)
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there is no entry.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The `peer-connection` entry.
    pub fn peer_connection(&self) -> Option<&PeerConnectionStats> {
        self.iter().find_map(|s| match s {
            Stats::PeerConnection(p) => Some(p),
            _ => None,
        })
    }

    /// The `transport` entry (one: max-bundle).
    pub fn transport(&self) -> Option<&TransportStats> {
        self.iter().find_map(|s| match s {
            Stats::Transport(t) => Some(t),
            _ => None,
        })
    }

    /// The `candidate-pair` entries.
    pub fn candidate_pairs(&self) -> impl Iterator<Item = &CandidatePairStats> {
        self.iter().filter_map(|s| match s {
            Stats::CandidatePair(p) => Some(p),
            _ => None,
        })
    }

    /// The selected pair's entry (the transport's `selected_candidate_pair_id`).
    pub fn selected_candidate_pair(&self) -> Option<&CandidatePairStats> {
        let id = self.transport()?.selected_candidate_pair_id.as_deref()?;
        self.candidate_pairs().find(|p| p.id == id)
    }

    /// The `local-candidate` entries.
    pub fn local_candidates(&self) -> impl Iterator<Item = &CandidateStats> {
        self.iter().filter_map(|s| match s {
            Stats::LocalCandidate(c) => Some(c),
            _ => None,
        })
    }

    /// The `remote-candidate` entries.
    pub fn remote_candidates(&self) -> impl Iterator<Item = &CandidateStats> {
        self.iter().filter_map(|s| match s {
            Stats::RemoteCandidate(c) => Some(c),
            _ => None,
        })
    }

    /// The `certificate` entries (ours, and the remote's once verified).
    pub fn certificates(&self) -> impl Iterator<Item = &CertificateStats> {
        self.iter().filter_map(|s| match s {
            Stats::Certificate(c) => Some(c),
            _ => None,
        })
    }

    /// The `data-channel` entries.
    pub fn data_channels(&self) -> impl Iterator<Item = &DataChannelStats> {
        self.iter().filter_map(|s| match s {
            Stats::DataChannel(d) => Some(d),
            _ => None,
        })
    }
}

/// One entry of a [`StatsReport`] (W3C `RTCStats` by `RTCStatsType`).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Stats {
    /// `peer-connection`.
    PeerConnection(PeerConnectionStats),
    /// `transport`.
    Transport(TransportStats),
    /// `candidate-pair`.
    CandidatePair(CandidatePairStats),
    /// `local-candidate`.
    LocalCandidate(CandidateStats),
    /// `remote-candidate`.
    RemoteCandidate(CandidateStats),
    /// `certificate`.
    Certificate(CertificateStats),
    /// `data-channel`.
    DataChannel(DataChannelStats),
    /// `inbound-rtp`: one remote SSRC we receive.
    InboundRtp(InboundRtpStats),
    /// `outbound-rtp`: one of our SSRCs.
    OutboundRtp(OutboundRtpStats),
    /// `remote-inbound-rtp`: what the remote's report blocks say about one of our SSRCs.
    RemoteInboundRtp(RemoteInboundRtpStats),
    /// `remote-outbound-rtp`: the remote's last sender report for an SSRC we receive.
    RemoteOutboundRtp(RemoteOutboundRtpStats),
    /// `codec`: a negotiated payload type.
    Codec(CodecStats),
}

impl Stats {
    /// W3C `id`.
    pub fn id(&self) -> &str {
        match self {
            Stats::PeerConnection(s) => &s.id,
            Stats::Transport(s) => &s.id,
            Stats::CandidatePair(s) => &s.id,
            Stats::LocalCandidate(s) | Stats::RemoteCandidate(s) => &s.id,
            Stats::Certificate(s) => &s.id,
            Stats::DataChannel(s) => &s.id,
            Stats::InboundRtp(s) => &s.id,
            Stats::OutboundRtp(s) => &s.id,
            Stats::RemoteInboundRtp(s) => &s.id,
            Stats::RemoteOutboundRtp(s) => &s.id,
            Stats::Codec(s) => &s.id,
        }
    }

    /// W3C `type` (`RTCStatsType`).
    pub fn type_name(&self) -> &'static str {
        match self {
            Stats::PeerConnection(_) => "peer-connection",
            Stats::Transport(_) => "transport",
            Stats::CandidatePair(_) => "candidate-pair",
            Stats::LocalCandidate(_) => "local-candidate",
            Stats::RemoteCandidate(_) => "remote-candidate",
            Stats::Certificate(_) => "certificate",
            Stats::DataChannel(_) => "data-channel",
            Stats::InboundRtp(_) => "inbound-rtp",
            Stats::OutboundRtp(_) => "outbound-rtp",
            Stats::RemoteInboundRtp(_) => "remote-inbound-rtp",
            Stats::RemoteOutboundRtp(_) => "remote-outbound-rtp",
            Stats::Codec(_) => "codec",
        }
    }
}

/// W3C `RTCPeerConnectionStats`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PeerConnectionStats {
    /// `P`.
    pub id: String,
    /// Channels that reached `open` (W3C `dataChannelsOpened`).
    pub data_channels_opened: u32,
    /// Channels that reached `closed` after being open (W3C `dataChannelsClosed`).
    pub data_channels_closed: u32,
}

/// W3C `RTCIceRole`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IceRole {
    /// Controlling: we nominate.
    Controlling,
    /// Controlled.
    Controlled,
}

/// W3C `RTCTransportStats`: the one transport (ICE + DTLS) every section is bundled on.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TransportStats {
    /// `T0`.
    pub id: String,
    /// Datagrams sent (every protocol: STUN, DTLS, TURN framing).
    pub packets_sent: u64,
    /// Datagrams received.
    pub packets_received: u64,
    /// Bytes sent.
    pub bytes_sent: u64,
    /// Bytes received.
    pub bytes_received: u64,
    /// Our ICE role.
    pub ice_role: IceRole,
    /// Our current ICE username fragment.
    pub ice_local_username_fragment: String,
    /// The ICE transport's state.
    pub ice_state: IceConnectionState,
    /// The DTLS transport's state (`None`: no transport yet, W3C `new`).
    pub dtls_state: Option<DtlsState>,
    /// Our DTLS role once the roles are fixed.
    pub dtls_role: Option<DtlsRole>,
    /// `FEFD` (DTLS 1.2) once connected, as W3C gives the version in hex.
    pub tls_version: Option<String>,
    /// The cipher suite's IANA name once connected.
    pub dtls_cipher: Option<String>,
    /// The DTLS-SRTP profile's name once negotiated.
    pub srtp_cipher: Option<String>,
    /// The id of the selected candidate pair.
    pub selected_candidate_pair_id: Option<String>,
    /// How many times a pair was selected.
    pub selected_candidate_pair_changes: u32,
    /// The id of our certificate's entry.
    pub local_certificate_id: String,
    /// The id of the remote certificate's entry, once verified.
    pub remote_certificate_id: Option<String>,
}

/// W3C `RTCIceCandidatePairStats`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CandidatePairStats {
    /// `CP<local id>_<remote id>`.
    pub id: String,
    /// The transport entry's id.
    pub transport_id: String,
    /// The local candidate's entry.
    pub local_candidate_id: String,
    /// The remote candidate's entry.
    pub remote_candidate_id: String,
    /// The pair's state (RFC 8445 §6.1.2.6).
    pub state: PairState,
    /// Nominated.
    pub nominated: bool,
    /// Pair priority (RFC 8445 §6.1.2.3).
    pub priority: u64,
    /// Data datagrams sent on it (not counting connectivity checks).
    pub packets_sent: u64,
    /// Data datagrams received on it.
    pub packets_received: u64,
    /// Their bytes, sent.
    pub bytes_sent: u64,
    /// Their bytes, received.
    pub bytes_received: u64,
    /// The sum of the STUN round trips measured on it.
    pub total_round_trip_time: Duration,
    /// The last STUN round trip measured on it (checks and consent requests).
    pub current_round_trip_time: Option<Duration>,
    /// Connectivity checks received.
    pub requests_received: u64,
    /// Connectivity checks sent (not counting retransmissions).
    pub requests_sent: u64,
    /// Responses received.
    pub responses_received: u64,
    /// Responses sent.
    pub responses_sent: u64,
    /// Consent freshness requests sent (RFC 7675).
    pub consent_requests_sent: u64,
}

/// W3C `RTCIceCandidateStats` (local or remote).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CandidateStats {
    /// `IL…` (local) or `IR…` (remote).
    pub id: String,
    /// The transport entry's id.
    pub transport_id: String,
    /// The candidate's address.
    pub address: IpAddr,
    /// Its port.
    pub port: u16,
    /// Its transport protocol.
    pub protocol: Protocol,
    /// `host`, `srflx`, `prflx` or `relay`.
    pub candidate_type: CandidateKind,
    /// RFC 8445 §5.1.2 priority.
    pub priority: u32,
    /// Foundation.
    pub foundation: String,
    /// The related address (base or server-side mapping) of a reflexive or relayed candidate.
    pub related_address: Option<IpAddr>,
    /// Its port.
    pub related_port: Option<u16>,
    /// The ICE username fragment of its generation (local: ours; remote: the remote's).
    pub username_fragment: Option<String>,
}

/// W3C `RTCCertificateStats`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CertificateStats {
    /// `CF<fingerprint>`.
    pub id: String,
    /// The fingerprint, as in SDP (`AB:CD:…`).
    pub fingerprint: String,
    /// `sha-256`.
    pub fingerprint_algorithm: String,
    /// The DER certificate in base64.
    pub base64_certificate: String,
}

/// W3C `RTCDataChannelStats`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DataChannelStats {
    /// `D<channel>`.
    pub id: String,
    /// The channel.
    pub channel: ChannelId,
    /// Label.
    pub label: String,
    /// Subprotocol.
    pub protocol: String,
    /// The SCTP stream id (W3C `dataChannelIdentifier`), once assigned.
    pub data_channel_identifier: Option<u16>,
    /// State.
    pub state: ChannelState,
    /// Messages sent.
    pub messages_sent: u64,
    /// Payload bytes sent.
    pub bytes_sent: u64,
    /// Messages received.
    pub messages_received: u64,
    /// Payload bytes received.
    pub bytes_received: u64,
}

/// W3C `RTCInboundRtpStreamStats`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct InboundRtpStats {
    /// `I<ssrc>`.
    pub id: String,
    /// The remote SSRC.
    pub ssrc: u32,
    /// `audio` or `video`.
    pub kind: MediaKind,
    /// The transport's id.
    pub transport_id: String,
    /// The codec entry of the last payload type received.
    pub codec_id: Option<String>,
    /// The section's mid.
    pub mid: Option<String>,
    /// The simulcast rid, if any.
    pub rid: Option<String>,
    /// Packets received.
    pub packets_received: u64,
    /// Payload bytes received.
    pub bytes_received: u64,
    /// Cumulative loss (RFC 3550 §6.4.1; negative with duplicates).
    pub packets_lost: i64,
    /// Interarrival jitter.
    pub jitter: Duration,
    /// PLIs we sent for this stream.
    pub pli_count: u32,
    /// FIRs we sent for this stream.
    pub fir_count: u32,
    /// NACKs we sent for this stream.
    pub nack_count: u32,
    /// Retransmissions of this stream received on its RTX stream (RFC 4588; padding-only
    /// probes not counted).
    pub retransmitted_packets_received: u64,
    /// Their payload bytes, the original sequence number not counted.
    pub retransmitted_bytes_received: u64,
    /// The matching `remote-outbound-rtp` entry, once a sender report arrived.
    pub remote_id: Option<String>,
    /// When the last packet arrived.
    pub last_packet_received: Option<Instant>,
}

/// W3C `RTCOutboundRtpStreamStats`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct OutboundRtpStats {
    /// `O<ssrc>`.
    pub id: String,
    /// Our SSRC.
    pub ssrc: u32,
    /// `audio` or `video`.
    pub kind: MediaKind,
    /// The transport's id.
    pub transport_id: String,
    /// The codec entry of the first negotiated payload type.
    pub codec_id: Option<String>,
    /// The section's mid.
    pub mid: Option<String>,
    /// The encoding's rid, if any.
    pub rid: Option<String>,
    /// RTP packets sent.
    pub packets_sent: u64,
    /// Payload bytes sent.
    pub bytes_sent: u64,
    /// PLIs received for this stream.
    pub pli_count: u32,
    /// FIRs received for this stream.
    pub fir_count: u32,
    /// NACKs received for this stream.
    pub nack_count: u32,
    /// Whether the encoding is active (W3C `active`).
    pub active: bool,
    /// The matching `remote-inbound-rtp` entry, once a report block arrived.
    pub remote_id: Option<String>,
}

/// W3C `RTCRemoteInboundRtpStreamStats`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RemoteInboundRtpStats {
    /// `RI<ssrc>`.
    pub id: String,
    /// Our SSRC the remote reports on.
    pub ssrc: u32,
    /// `audio` or `video`.
    pub kind: MediaKind,
    /// The transport's id.
    pub transport_id: String,
    /// The `outbound-rtp` entry.
    pub local_id: String,
    /// Cumulative loss the remote reports.
    pub packets_lost: i64,
    /// Fraction lost in the last interval, in 1/256 (W3C `fractionLost` is this / 256).
    pub fraction_lost_256: u8,
    /// Jitter the remote measures.
    pub jitter: Duration,
    /// The last round-trip time (RFC 3550 §6.4.1: A − LSR − DLSR).
    pub round_trip_time: Option<Duration>,
    /// Sum of the round-trip times measured.
    pub total_round_trip_time: Duration,
    /// Round-trip times measured.
    pub round_trip_time_measurements: u64,
    /// Report blocks received.
    pub reports_received: u64,
}

/// W3C `RTCRemoteOutboundRtpStreamStats`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RemoteOutboundRtpStats {
    /// `RO<ssrc>`.
    pub id: String,
    /// The remote SSRC.
    pub ssrc: u32,
    /// `audio` or `video`.
    pub kind: MediaKind,
    /// The transport's id.
    pub transport_id: String,
    /// The `inbound-rtp` entry.
    pub local_id: String,
    /// The sender's packet count in its last SR.
    pub packets_sent: u64,
    /// The sender's octet count in its last SR.
    pub bytes_sent: u64,
    /// The SR's NTP timestamp (the remote's clock; W3C `remoteTimestamp`).
    pub remote_timestamp_ntp: u64,
    /// Sender reports received.
    pub reports_sent: u64,
}

/// W3C `RTCCodecStats`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CodecStats {
    /// `C<payload type>`.
    pub id: String,
    /// The payload type.
    pub payload_type: u8,
    /// The transport's id.
    pub transport_id: String,
    /// `audio/opus`, `video/VP8`, ...
    pub mime_type: String,
    /// Clock rate.
    pub clock_rate: u32,
    /// Audio channels.
    pub channels: Option<u16>,
    /// The fmtp parameters, as SDP writes them.
    pub sdp_fmtp_line: Option<String>,
}

/// The W3C `candidateType` name.
pub(crate) fn candidate_type_name(kind: CandidateKind) -> &'static str {
    match kind {
        CandidateKind::Host => "host",
        CandidateKind::ServerReflexive => "srflx",
        CandidateKind::PeerReflexive => "prflx",
        CandidateKind::Relayed => "relay",
    }
}

/// The id of a candidate entry (`local`: `IL`, else `IR`).
pub(crate) fn candidate_id(local: bool, c: &crate::ice::Candidate) -> String {
    format!(
        "I{}{}-{}",
        if local { 'L' } else { 'R' },
        candidate_type_name(c.kind),
        c.address
    )
}

/// A candidate entry.
pub(crate) fn candidate_stats(
    local: bool,
    c: &crate::ice::Candidate,
    username_fragment: Option<&str>,
) -> CandidateStats {
    CandidateStats {
        id: candidate_id(local, c),
        transport_id: TRANSPORT_ID.into(),
        address: c.address.ip(),
        port: c.address.port(),
        protocol: c.protocol,
        candidate_type: c.kind,
        priority: c.priority,
        foundation: c.foundation.clone(),
        related_address: c.related.map(|r| r.ip()),
        related_port: c.related.map(|r| r.port()),
        username_fragment: username_fragment.map(str::to_owned),
    }
}

/// The id of the one transport.
pub(crate) const TRANSPORT_ID: &str = "T0";

/// A certificate entry from its DER.
pub(crate) fn certificate_stats(der: &[u8]) -> CertificateStats {
    use crate::dtls::FingerprintHash;
    let digest = FingerprintHash::Sha256.digest(der);
    let fingerprint = digest
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":");
    use base64ct::Encoding;
    CertificateStats {
        id: format!("CF{fingerprint}"),
        fingerprint,
        fingerprint_algorithm: "sha-256".into(),
        base64_certificate: base64ct::Base64::encode_string(der),
    }
}

/// The pieces of the peer the report is made from (kept apart from `Peer` so that the report's
/// shape is in one place).
pub(crate) struct Sources<'a> {
    pub(crate) now: Instant,
    pub(crate) counters: (u64, u64, u64, u64),
    pub(crate) channels_opened: u32,
    pub(crate) channels_closed: u32,
    pub(crate) ice: &'a crate::ice::IceAgent,
    pub(crate) ice_state: IceConnectionState,
    pub(crate) dtls: Option<&'a crate::dtls::DtlsTransport>,
    pub(crate) local_certificate: &'a [u8],
    pub(crate) remote_ufrag: Option<&'a str>,
    pub(crate) selected_pair_changes: u32,
    pub(crate) channels: Vec<DataChannelStats>,
    /// The media entries (RTP streams, codecs), made by the peer.
    pub(crate) media: Vec<Stats>,
}

impl Sources<'_> {
    pub(crate) fn report(self) -> StatsReport {
        let mut entries = vec![Stats::PeerConnection(PeerConnectionStats {
            id: "P".into(),
            data_channels_opened: self.channels_opened,
            data_channels_closed: self.channels_closed,
        })];
        let local_cert = certificate_stats(self.local_certificate);
        let remote_cert = self
            .dtls
            .and_then(crate::dtls::DtlsTransport::remote_certificate)
            .map(certificate_stats);
        let pairs = self.ice.pairs();
        let selected = pairs
            .iter()
            .find(|p| p.selected)
            .map(|p| pair_id(&p.local_candidate, &p.remote_candidate));
        let connected = self.dtls.map(|d| d.state()) == Some(DtlsState::Connected);
        let (sent, sent_bytes, received, received_bytes) = self.counters;
        entries.push(Stats::Transport(TransportStats {
            id: TRANSPORT_ID.into(),
            packets_sent: sent,
            packets_received: received,
            bytes_sent: sent_bytes,
            bytes_received: received_bytes,
            ice_role: if self.ice.is_controlling() {
                IceRole::Controlling
            } else {
                IceRole::Controlled
            },
            ice_local_username_fragment: self.ice.local_credentials().ufrag.clone(),
            ice_state: self.ice_state,
            dtls_state: self.dtls.map(|d| d.state()),
            dtls_role: self.dtls.map(|d| d.role()),
            tls_version: connected.then(|| "FEFD".into()),
            dtls_cipher: self.dtls.and_then(|d| d.cipher_suite()).map(str::to_owned),
            srtp_cipher: self
                .dtls
                .and_then(|d| d.srtp_profile())
                .map(|p| p.name().to_owned()),
            selected_candidate_pair_id: selected,
            selected_candidate_pair_changes: self.selected_pair_changes,
            local_certificate_id: local_cert.id.clone(),
            remote_certificate_id: remote_cert.as_ref().map(|c| c.id.clone()),
        }));
        for p in &pairs {
            entries.push(Stats::CandidatePair(CandidatePairStats {
                id: pair_id(&p.local_candidate, &p.remote_candidate),
                transport_id: TRANSPORT_ID.into(),
                local_candidate_id: candidate_id(true, &p.local_candidate),
                remote_candidate_id: candidate_id(false, &p.remote_candidate),
                state: p.state,
                nominated: p.nominated,
                priority: p.priority,
                packets_sent: p.stats.packets_sent,
                packets_received: p.stats.packets_received,
                bytes_sent: p.stats.bytes_sent,
                bytes_received: p.stats.bytes_received,
                total_round_trip_time: p.stats.total_round_trip_time,
                current_round_trip_time: p.stats.current_round_trip_time,
                requests_received: p.stats.requests_received,
                requests_sent: p.stats.requests_sent,
                responses_received: p.stats.responses_received,
                responses_sent: p.stats.responses_sent,
                consent_requests_sent: p.stats.consent_requests_sent,
            }));
        }
        let ufrag = self.ice.local_credentials().ufrag.as_str();
        for c in self.ice.local_candidates() {
            entries.push(Stats::LocalCandidate(candidate_stats(true, c, Some(ufrag))));
        }
        for c in self.ice.remote_candidates() {
            entries.push(Stats::RemoteCandidate(candidate_stats(
                false,
                c,
                self.remote_ufrag,
            )));
        }
        entries.push(Stats::Certificate(local_cert));
        entries.extend(remote_cert.map(Stats::Certificate));
        entries.extend(self.channels.into_iter().map(Stats::DataChannel));
        entries.extend(self.media);
        StatsReport::new(self.now, entries)
    }
}

fn pair_id(local: &crate::ice::Candidate, remote: &crate::ice::Candidate) -> String {
    format!(
        "CP{}_{}",
        candidate_id(true, local),
        candidate_id(false, remote)
    )
}

/// The id of a data channel's entry.
pub(crate) fn channel_id(id: ChannelId) -> String {
    format!("D{}", id.0)
}
