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
