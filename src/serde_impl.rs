//! The `serde` feature: what signaling carries, in the shapes browsers use (W3C webrtc-pc
//! `RTCSessionDescriptionInit` §4.8.1 and `RTCIceCandidateInit` §4.8.2), so that
//! `JSON.stringify(pc.localDescription)` or `JSON.stringify(event.candidate)` from a browser
//! deserializes as it is, and what we serialize is accepted by `setRemoteDescription` and
//! `addIceCandidate` unchanged. Checked against real Chromium objects
//! (tests/fixtures/browser_json).

use crate::event::IceCandidateInit;
use crate::sdp::{Description, SdpCandidate, SdpType, SessionDescription};
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

impl Serialize for SdpType {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for SdpType {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        s.parse().map_err(D::Error::custom)
    }
}

#[derive(Serialize)]
struct DescriptionOut {
    #[serde(rename = "type")]
    kind: SdpType,
    sdp: String,
}

#[derive(Deserialize)]
struct DescriptionIn {
    #[serde(rename = "type")]
    kind: SdpType,
    /// W3C: `sdp` defaults to the empty string (a rollback carries none).
    #[serde(default)]
    sdp: String,
}

/// `{"type": "offer" | "pranswer" | "answer" | "rollback", "sdp": "v=0\r\n..."}`.
impl Serialize for Description {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        DescriptionOut {
            kind: self.kind,
            sdp: if self.kind == SdpType::Rollback {
                String::new()
            } else {
                self.sdp.to_string()
            },
        }
        .serialize(s)
    }
}

/// Parses the SDP with the default limits; a rollback's (empty) SDP is not parsed.
impl<'de> Deserialize<'de> for Description {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let DescriptionIn { kind, sdp } = DescriptionIn::deserialize(d)?;
        if kind == SdpType::Rollback {
            return Ok(Description {
                kind,
                sdp: SessionDescription::parse(EMPTY).map_err(D::Error::custom)?,
            });
        }
        Description::parse(kind, &sdp).map_err(D::Error::custom)
    }
}

/// The smallest valid session (RFC 8866 §5), standing in for a rollback's absent SDP.
const EMPTY: &str = "v=0\r\no=- 0 0 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n";

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CandidateOut<'a> {
    candidate: String,
    sdp_mid: Option<&'a str>,
    #[serde(rename = "sdpMLineIndex")]
    sdp_m_line_index: Option<u16>,
    username_fragment: Option<&'a str>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CandidateIn {
    #[serde(default)]
    candidate: String,
    #[serde(default)]
    sdp_mid: Option<String>,
    #[serde(default, rename = "sdpMLineIndex")]
    sdp_m_line_index: Option<u16>,
    #[serde(default)]
    username_fragment: Option<String>,
}

/// `{"candidate": "candidate:...", "sdpMid": "0", "sdpMLineIndex": 0, "usernameFragment": "..."}`
/// in `RTCIceCandidate.toJSON()`'s order; unknown fields are `null`, and end-of-candidates has an
/// empty `candidate`.
impl Serialize for IceCandidateInit {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        CandidateOut {
            candidate: self
                .candidate
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default(),
            sdp_mid: self.sdp_mid.as_deref(),
            sdp_m_line_index: self.sdp_m_line_index,
            username_fragment: self.username_fragment.as_deref(),
        }
        .serialize(s)
    }
}

/// Every field but `candidate` may be missing or `null`; an empty `candidate` is
/// end-of-candidates and an empty `usernameFragment` (what Chromium gives an `RTCIceCandidate`
/// made without one) means none.
impl<'de> Deserialize<'de> for IceCandidateInit {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let c = CandidateIn::deserialize(d)?;
        let candidate = if c.candidate.trim().is_empty() {
            None
        } else {
            Some(
                c.candidate
                    .parse::<SdpCandidate>()
                    .map_err(D::Error::custom)?,
            )
        };
        Ok(IceCandidateInit {
            candidate,
            sdp_mid: c.sdp_mid,
            sdp_m_line_index: c.sdp_m_line_index,
            username_fragment: c.username_fragment.filter(|u| !u.is_empty()),
        })
    }
}

// ----- stats: W3C webrtc-stats JSON -----

use crate::stats::{IceRole, Stats, StatsReport};
use serde::ser::SerializeMap;

/// W3C `RTCIceTransportState` names.
fn ice_state_name(s: crate::ice::IceConnectionState) -> &'static str {
    use crate::ice::IceConnectionState as I;
    match s {
        I::New => "new",
        I::Checking => "checking",
        I::Connected => "connected",
        I::Completed => "completed",
        I::Disconnected => "disconnected",
        I::Failed => "failed",
        I::Closed => "closed",
    }
}

/// W3C `RTCDtlsTransportState` names (no transport yet: `new`).
fn dtls_state_name(s: Option<crate::dtls::DtlsState>) -> &'static str {
    use crate::dtls::DtlsState as D;
    match s {
        None => "new",
        Some(D::Connecting) => "connecting",
        Some(D::Connected) => "connected",
        Some(D::Closed) => "closed",
        Some(D::Failed) => "failed",
    }
}

fn channel_state_name(s: crate::event::ChannelState) -> &'static str {
    use crate::event::ChannelState as C;
    match s {
        C::Connecting => "connecting",
        C::Open => "open",
        C::Closing => "closing",
        C::Closed => "closed",
    }
}

/// Seconds, as W3C gives round-trip times.
fn secs(d: std::time::Duration) -> f64 {
    d.as_secs_f64()
}

/// An entry only when there is a value (browsers leave out what they do not know).
fn opt<M: SerializeMap, T: Serialize + ?Sized>(
    m: &mut M,
    key: &'static str,
    value: Option<&T>,
) -> Result<(), M::Error> {
    match value {
        Some(v) => m.serialize_entry(key, v),
        None => Ok(()),
    }
}

/// One entry as `JSON.stringify` of a browser's stats object gives it: `id`, `type` and the
/// W3C members in camelCase (round-trip times in seconds), members without a value left out.
/// There is no `timestamp` member: the report's time is an `Instant`, which has no epoch.
impl Serialize for Stats {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("id", self.id())?;
        m.serialize_entry("type", self.type_name())?;
        match self {
            Stats::PeerConnection(p) => {
                m.serialize_entry("dataChannelsOpened", &p.data_channels_opened)?;
                m.serialize_entry("dataChannelsClosed", &p.data_channels_closed)?;
            }
            Stats::Transport(t) => {
                m.serialize_entry("packetsSent", &t.packets_sent)?;
                m.serialize_entry("packetsReceived", &t.packets_received)?;
                m.serialize_entry("bytesSent", &t.bytes_sent)?;
                m.serialize_entry("bytesReceived", &t.bytes_received)?;
                m.serialize_entry(
                    "iceRole",
                    match t.ice_role {
                        IceRole::Controlling => "controlling",
                        IceRole::Controlled => "controlled",
                    },
                )?;
                m.serialize_entry("iceLocalUsernameFragment", &t.ice_local_username_fragment)?;
                m.serialize_entry("iceState", ice_state_name(t.ice_state))?;
                m.serialize_entry("dtlsState", dtls_state_name(t.dtls_state))?;
                opt(
                    &mut m,
                    "dtlsRole",
                    t.dtls_role.map(|r| match r {
                        crate::dtls::DtlsRole::Client => "client",
                        crate::dtls::DtlsRole::Server => "server",
                    }),
                )?;
                opt(&mut m, "tlsVersion", t.tls_version.as_ref())?;
                opt(&mut m, "dtlsCipher", t.dtls_cipher.as_ref())?;
                opt(&mut m, "srtpCipher", t.srtp_cipher.as_ref())?;
                opt(
                    &mut m,
                    "selectedCandidatePairId",
                    t.selected_candidate_pair_id.as_ref(),
                )?;
                m.serialize_entry(
                    "selectedCandidatePairChanges",
                    &t.selected_candidate_pair_changes,
                )?;
                m.serialize_entry("localCertificateId", &t.local_certificate_id)?;
                opt(
                    &mut m,
                    "remoteCertificateId",
                    t.remote_certificate_id.as_ref(),
                )?;
            }
            Stats::CandidatePair(p) => {
                m.serialize_entry("transportId", &p.transport_id)?;
                m.serialize_entry("localCandidateId", &p.local_candidate_id)?;
                m.serialize_entry("remoteCandidateId", &p.remote_candidate_id)?;
                m.serialize_entry("state", p.state.as_str())?;
                m.serialize_entry("nominated", &p.nominated)?;
                m.serialize_entry("priority", &p.priority)?;
                m.serialize_entry("packetsSent", &p.packets_sent)?;
                m.serialize_entry("packetsReceived", &p.packets_received)?;
                m.serialize_entry("bytesSent", &p.bytes_sent)?;
                m.serialize_entry("bytesReceived", &p.bytes_received)?;
                m.serialize_entry("totalRoundTripTime", &secs(p.total_round_trip_time))?;
                opt(
                    &mut m,
                    "currentRoundTripTime",
                    p.current_round_trip_time.map(secs).as_ref(),
                )?;
                m.serialize_entry("requestsReceived", &p.requests_received)?;
                m.serialize_entry("requestsSent", &p.requests_sent)?;
                m.serialize_entry("responsesReceived", &p.responses_received)?;
                m.serialize_entry("responsesSent", &p.responses_sent)?;
                m.serialize_entry("consentRequestsSent", &p.consent_requests_sent)?;
            }
            Stats::LocalCandidate(c) | Stats::RemoteCandidate(c) => {
                m.serialize_entry("transportId", &c.transport_id)?;
                m.serialize_entry("isRemote", &matches!(self, Stats::RemoteCandidate(_)))?;
                m.serialize_entry("address", &c.address)?;
                m.serialize_entry("ip", &c.address)?;
                m.serialize_entry("port", &c.port)?;
                m.serialize_entry(
                    "protocol",
                    match c.protocol {
                        crate::net::Protocol::Udp => "udp",
                        crate::net::Protocol::Tcp => "tcp",
                    },
                )?;
                m.serialize_entry(
                    "candidateType",
                    crate::stats::candidate_type_name(c.candidate_type),
                )?;
                m.serialize_entry("priority", &c.priority)?;
                m.serialize_entry("foundation", &c.foundation)?;
                opt(&mut m, "relatedAddress", c.related_address.as_ref())?;
                opt(&mut m, "relatedPort", c.related_port.as_ref())?;
                opt(&mut m, "usernameFragment", c.username_fragment.as_ref())?;
            }
            Stats::Certificate(c) => {
                m.serialize_entry("fingerprint", &c.fingerprint)?;
                m.serialize_entry("fingerprintAlgorithm", &c.fingerprint_algorithm)?;
                m.serialize_entry("base64Certificate", &c.base64_certificate)?;
            }
            Stats::DataChannel(d) => {
                m.serialize_entry("label", &d.label)?;
                m.serialize_entry("protocol", &d.protocol)?;
                opt(
                    &mut m,
                    "dataChannelIdentifier",
                    d.data_channel_identifier.as_ref(),
                )?;
                m.serialize_entry("state", channel_state_name(d.state))?;
                m.serialize_entry("messagesSent", &d.messages_sent)?;
                m.serialize_entry("bytesSent", &d.bytes_sent)?;
                m.serialize_entry("messagesReceived", &d.messages_received)?;
                m.serialize_entry("bytesReceived", &d.bytes_received)?;
            }
            Stats::InboundRtp(r) => {
                m.serialize_entry("ssrc", &r.ssrc)?;
                m.serialize_entry("kind", r.kind.as_str())?;
                m.serialize_entry("transportId", &r.transport_id)?;
                opt(&mut m, "codecId", r.codec_id.as_ref())?;
                opt(&mut m, "mid", r.mid.as_ref())?;
                opt(&mut m, "rid", r.rid.as_ref())?;
                m.serialize_entry("packetsReceived", &r.packets_received)?;
                m.serialize_entry("bytesReceived", &r.bytes_received)?;
                m.serialize_entry("packetsLost", &r.packets_lost)?;
                m.serialize_entry("jitter", &r.jitter.as_secs_f64())?;
                m.serialize_entry("pliCount", &r.pli_count)?;
                m.serialize_entry("firCount", &r.fir_count)?;
                m.serialize_entry("nackCount", &r.nack_count)?;
                m.serialize_entry(
                    "retransmittedPacketsReceived",
                    &r.retransmitted_packets_received,
                )?;
                m.serialize_entry(
                    "retransmittedBytesReceived",
                    &r.retransmitted_bytes_received,
                )?;
                opt(&mut m, "remoteId", r.remote_id.as_ref())?;
            }
            Stats::OutboundRtp(r) => {
                m.serialize_entry("ssrc", &r.ssrc)?;
                m.serialize_entry("kind", r.kind.as_str())?;
                m.serialize_entry("transportId", &r.transport_id)?;
                opt(&mut m, "codecId", r.codec_id.as_ref())?;
                opt(&mut m, "mid", r.mid.as_ref())?;
                opt(&mut m, "rid", r.rid.as_ref())?;
                m.serialize_entry("packetsSent", &r.packets_sent)?;
                m.serialize_entry("bytesSent", &r.bytes_sent)?;
                m.serialize_entry("pliCount", &r.pli_count)?;
                m.serialize_entry("firCount", &r.fir_count)?;
                m.serialize_entry("nackCount", &r.nack_count)?;
                m.serialize_entry("active", &r.active)?;
                opt(&mut m, "remoteId", r.remote_id.as_ref())?;
            }
            Stats::RemoteInboundRtp(r) => {
                m.serialize_entry("ssrc", &r.ssrc)?;
                m.serialize_entry("kind", r.kind.as_str())?;
                m.serialize_entry("transportId", &r.transport_id)?;
                m.serialize_entry("localId", &r.local_id)?;
                m.serialize_entry("packetsLost", &r.packets_lost)?;
                m.serialize_entry("fractionLost", &(f64::from(r.fraction_lost_256) / 256.0))?;
                m.serialize_entry("jitter", &r.jitter.as_secs_f64())?;
                opt(
                    &mut m,
                    "roundTripTime",
                    r.round_trip_time.map(|d| d.as_secs_f64()).as_ref(),
                )?;
                m.serialize_entry("totalRoundTripTime", &r.total_round_trip_time.as_secs_f64())?;
                m.serialize_entry("roundTripTimeMeasurements", &r.round_trip_time_measurements)?;
                m.serialize_entry("reportsReceived", &r.reports_received)?;
            }
            Stats::RemoteOutboundRtp(r) => {
                m.serialize_entry("ssrc", &r.ssrc)?;
                m.serialize_entry("kind", r.kind.as_str())?;
                m.serialize_entry("transportId", &r.transport_id)?;
                m.serialize_entry("localId", &r.local_id)?;
                m.serialize_entry("packetsSent", &r.packets_sent)?;
                m.serialize_entry("bytesSent", &r.bytes_sent)?;
                m.serialize_entry("reportsSent", &r.reports_sent)?;
            }
            Stats::Codec(c) => {
                m.serialize_entry("payloadType", &c.payload_type)?;
                m.serialize_entry("transportId", &c.transport_id)?;
                m.serialize_entry("mimeType", &c.mime_type)?;
                m.serialize_entry("clockRate", &c.clock_rate)?;
                opt(&mut m, "channels", c.channels.as_ref())?;
                opt(&mut m, "sdpFmtpLine", c.sdp_fmtp_line.as_ref())?;
            }
        }
        m.end()
    }
}

/// The report as an object of entries by id (`Object.fromEntries(await pc.getStats())`).
impl Serialize for StatsReport {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.len()))?;
        for e in self.iter() {
            m.serialize_entry(e.id(), e)?;
        }
        m.end()
    }
}
