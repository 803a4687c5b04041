//! Codecs as SDP describes them, and the offer/answer rules that match them.
//!
//! - [`Codec`] is one `a=rtpmap` with its `a=fmtp` parameters and `a=rtcp-fb` feedback;
//!   [`PayloadCodec`] binds it to a payload type. [`section_codecs`] reads them from an
//!   m-section (RFC 8866 §6.6, RFC 4585 §4.2, the static payload types of RFC 3551), and
//!   [`write_codecs`] writes them back the way Chrome does.
//! - [`same_codec`] is "the same codec" of RFC 3264 §6.1: encoding name, clock rate,
//!   channels, and the parameters that identify a media format configuration: the H.264
//!   profile and packetization mode (RFC 6184 §8.2.2), the VP9 and AV1 profile, the H.265
//!   profile, tier and transmission mode (RFC 7798 §7.2.2).
//! - [`negotiate_answer`] picks the codecs of an answer (RFC 9429 §5.3.1);
//!   [`negotiated_codecs`] reads back what an answer to our offer accepted;
//!   [`filter_by_preferences`] is W3C `setCodecPreferences`.
//!
//! Everything here reads untrusted SDP: malformed entries are skipped, nothing panics.

use super::MediaKind;
use crate::sdp::{MediaDescription, Rtpmap, SdpAttribute};
use std::fmt;
use std::hash::{Hash, Hasher};

#[cfg(test)]
#[path = "codec_tests.rs"]
mod tests;

/// An RTP payload format's encoding name (the `<encoding name>` of `a=rtpmap`), compared
/// case-insensitively (RFC 4855 §3).
#[derive(Debug, Clone)]
pub enum CodecName {
    /// `opus` (RFC 7587).
    Opus,
    /// `G722` (RFC 3551; its RTP clock rate is 8000 although it samples at 16 kHz).
    G722,
    /// `PCMU`, G.711 µ-law (RFC 3551).
    Pcmu,
    /// `PCMA`, G.711 A-law (RFC 3551).
    Pcma,
    /// `telephone-event`, DTMF (RFC 4733).
    TelephoneEvent,
    /// `VP8` (RFC 7741).
    Vp8,
    /// `VP9` (RFC 9628).
    Vp9,
    /// `H264` (RFC 6184).
    H264,
    /// `H265` (RFC 7798).
    H265,
    /// `AV1` (the AOM RTP payload specification).
    Av1,
    /// `rtx`, retransmission (RFC 4588).
    Rtx,
    /// `red`, redundant coding (RFC 2198).
    Red,
    /// `ulpfec` (RFC 5109).
    Ulpfec,
    /// `flexfec-03` (RFC 8627 and the draft browsers implement; `flexfec` parses too).
    Flexfec,
    /// Any other encoding name, as written.
    Other(String),
}

impl CodecName {
    /// The name for an `a=rtpmap` encoding name, case-insensitively.
    pub fn parse(encoding: &str) -> Self {
        let known = [
            ("opus", Self::Opus),
            ("G722", Self::G722),
            ("PCMU", Self::Pcmu),
            ("PCMA", Self::Pcma),
            ("telephone-event", Self::TelephoneEvent),
            ("VP8", Self::Vp8),
            ("VP9", Self::Vp9),
            ("H264", Self::H264),
            ("H265", Self::H265),
            ("AV1", Self::Av1),
            ("rtx", Self::Rtx),
            ("red", Self::Red),
            ("ulpfec", Self::Ulpfec),
            ("flexfec-03", Self::Flexfec),
            ("flexfec", Self::Flexfec),
        ];
        known
            .into_iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(encoding))
            .map_or_else(|| Self::Other(encoding.to_owned()), |(_, c)| c)
    }

    /// The encoding name as browsers write it (`opus`, `VP8`, `H264`, `rtx`, `flexfec-03`, ...).
    pub fn as_str(&self) -> &str {
        match self {
            Self::Opus => "opus",
            Self::G722 => "G722",
            Self::Pcmu => "PCMU",
            Self::Pcma => "PCMA",
            Self::TelephoneEvent => "telephone-event",
            Self::Vp8 => "VP8",
            Self::Vp9 => "VP9",
            Self::H264 => "H264",
            Self::H265 => "H265",
            Self::Av1 => "AV1",
            Self::Rtx => "rtx",
            Self::Red => "red",
            Self::Ulpfec => "ulpfec",
            Self::Flexfec => "flexfec-03",
            Self::Other(s) => s,
        }
    }

    /// Audio or video; `None` for the formats used with both (`rtx`, `red`, the FEC
    /// formats) and for names this crate does not know.
    pub fn kind(&self) -> Option<MediaKind> {
        match self {
            Self::Opus | Self::G722 | Self::Pcmu | Self::Pcma | Self::TelephoneEvent => {
                Some(MediaKind::Audio)
            }
            Self::Vp8 | Self::Vp9 | Self::H264 | Self::H265 | Self::Av1 => Some(MediaKind::Video),
            Self::Rtx | Self::Red | Self::Ulpfec | Self::Flexfec | Self::Other(_) => None,
        }
    }

    /// A repair format (`rtx`, `red`, `ulpfec`, `flexfec`): it carries another format's media.
    pub fn is_repair(&self) -> bool {
        matches!(self, Self::Rtx | Self::Red | Self::Ulpfec | Self::Flexfec)
    }

    fn is_fec(&self) -> bool {
        matches!(self, Self::Ulpfec | Self::Flexfec)
    }

    fn is_comfort_noise(&self) -> bool {
        matches!(self, Self::Other(s) if s.eq_ignore_ascii_case("CN"))
    }
}

impl PartialEq for CodecName {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Self::Other(a), Self::Other(b)) => a.eq_ignore_ascii_case(b),
            _ => std::mem::discriminant(self) == std::mem::discriminant(other),
        }
    }
}

impl Eq for CodecName {}

impl Hash for CodecName {
    fn hash<H: Hasher>(&self, state: &mut H) {
        std::mem::discriminant(self).hash(state);
        if let Self::Other(s) = self {
            for b in s.bytes() {
                state.write_u8(b.to_ascii_lowercase());
            }
        }
    }
}

impl fmt::Display for CodecName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One `a=rtcp-fb` feedback type for a format (RFC 4585 §4.2): `nack` with `pli`,
/// `transport-cc` alone, `ccm` with `fir`, ...
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Feedback {
    /// The feedback type (`nack`, `ccm`, `goog-remb`, `transport-cc`, ...).
    pub kind: String,
    /// What follows it (`pli`, `fir`, ...), verbatim.
    pub parameter: Option<String>,
}

impl Feedback {
    /// A feedback type with an optional parameter.
    pub fn new(kind: &str, parameter: Option<&str>) -> Self {
        Self {
            kind: kind.to_owned(),
            parameter: parameter.map(str::to_owned),
        }
    }

    /// The same feedback, ignoring ASCII case.
    fn matches(&self, other: &Self) -> bool {
        self.kind.eq_ignore_ascii_case(&other.kind)
            && match (&self.parameter, &other.parameter) {
                (None, None) => true,
                (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
                _ => false,
            }
    }
}

/// A codec as SDP describes it: `a=rtpmap` (name, clock rate, channels), `a=fmtp`
/// parameters and `a=rtcp-fb` feedback.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Codec {
    /// The encoding name.
    pub name: CodecName,
    /// The RTP clock rate in Hz.
    pub clock_rate: u32,
    /// The `a=rtpmap` encoding parameter: audio channels (absent means one, RFC 8866 §6.6,
    /// except that Opus is always two, RFC 7587 §7).
    pub channels: Option<u16>,
    /// The `a=fmtp` parameters in order: `key=value` as `(key, value)`; a value written
    /// without `=` (RED's `111/111`, telephone-event's `0-15`) has an empty key.
    pub parameters: Vec<(String, String)>,
    /// The `a=rtcp-fb` lines for this format (and `a=rtcp-fb:*`), in order.
    pub feedback: Vec<Feedback>,
}

impl Codec {
    /// A codec with no parameters and no feedback.
    pub fn new(name: CodecName, clock_rate: u32, channels: Option<u16>) -> Self {
        Self {
            name,
            clock_rate,
            channels,
            parameters: Vec::new(),
            feedback: Vec::new(),
        }
    }

    /// This codec with one more `a=fmtp` parameter (an empty `key` for a bare value).
    pub fn with_parameter(mut self, key: &str, value: &str) -> Self {
        self.parameters.push((key.to_owned(), value.to_owned()));
        self
    }

    /// This codec with one more feedback type.
    pub fn with_feedback(mut self, kind: &str, parameter: Option<&str>) -> Self {
        self.feedback.push(Feedback::new(kind, parameter));
        self
    }

    /// The value of the first `a=fmtp` parameter named `key` (ASCII case-insensitive); the
    /// empty key gives the bare value.
    pub fn parameter(&self, key: &str) -> Option<&str> {
        self.parameters
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.as_str())
    }

    /// The `a=fmtp` value: `key=value;key=value` in order, or `None` without parameters.
    pub fn fmtp(&self) -> Option<String> {
        if self.parameters.is_empty() {
            return None;
        }
        let mut s = String::new();
        for (i, (k, v)) in self.parameters.iter().enumerate() {
            if i > 0 {
                s.push(';');
            }
            if !k.is_empty() {
                s.push_str(k);
                s.push('=');
            }
            s.push_str(v);
        }
        Some(s)
    }

    /// The W3C `mimeType` (`video/VP8`, `audio/opus`) for a codec of a section of `kind`.
    pub fn mime_type(&self, kind: MediaKind) -> String {
        format!("{}/{}", kind.as_str(), self.name.as_str())
    }

    fn set_parameter(&mut self, key: &str, value: String) {
        match self
            .parameters
            .iter_mut()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
        {
            Some((_, v)) => *v = value,
            None => self.parameters.push((key.to_owned(), value)),
        }
    }

    /// The RTX `apt` (RFC 4588 §8.6) or any other payload-type parameter.
    fn pt_parameter(&self, key: &str) -> Option<u8> {
        self.parameter(key).and_then(parse_pt)
    }
}

/// A codec bound to an RTP payload type.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PayloadCodec {
    /// The payload type (0-127).
    pub payload_type: u8,
    /// The codec.
    pub codec: Codec,
}

impl PayloadCodec {
    /// `codec` under `payload_type`.
    pub fn new(payload_type: u8, codec: Codec) -> Self {
        Self {
            payload_type,
            codec,
        }
    }
}

/// A payload type as a format or parameter writes it: decimal digits, 0-127.
fn parse_pt(s: &str) -> Option<u8> {
    let s = s.trim();
    if s.is_empty() || s.len() > 3 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse::<u8>().ok().filter(|pt| *pt <= 127)
}

/// The static payload types of RFC 3551 §6 a browser may list without `a=rtpmap`.
fn static_payload_type(pt: u8) -> Option<(CodecName, u32, Option<u16>)> {
    Some(match pt {
        0 => (CodecName::Pcmu, 8000, None),
        8 => (CodecName::Pcma, 8000, None),
        9 => (CodecName::G722, 8000, None),
        13 => (CodecName::Other("CN".to_owned()), 8000, None),
        _ => return None,
    })
}

/// `a=fmtp` parameters: `;`-separated, each `key=value` or a bare value, spaces around them
/// trimmed, empty ones dropped.
fn parse_fmtp(s: &str) -> Vec<(String, String)> {
    s.split(';')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (k.trim().to_owned(), v.trim().to_owned()),
            None => (String::new(), p.to_owned()),
        })
        .collect()
}

/// What we offer for a section of `kind`, in preference order, with Chrome's payload types.
///
/// - audio: `opus/48000/2` 111 (`minptime=10;useinbandfec=1`, `transport-cc`),
///   `red/48000/2` 63 (`111/111`), `G722/8000` 9, `PCMU/8000` 0, `PCMA/8000` 8,
///   `telephone-event/48000` 110 and `telephone-event/8000` 126;
/// - video: VP8 96, VP9 `profile-id=0` 98, H.264 Constrained Baseline 3.1 (`42e01f`,
///   `level-asymmetry-allowed=1`) with `packetization-mode=1` 102 and `packetization-mode=0`
///   104, AV1 `profile=0` 45, each followed by its `rtx` (97, 99, 103, 105, 46) and with the
///   feedback Chrome offers (`goog-remb`, `transport-cc`, `ccm fir`, `nack`, `nack pli`). No
///   FEC (ulpfec, flexfec, video RED).
pub fn default_codecs(kind: MediaKind) -> Vec<PayloadCodec> {
    match kind {
        MediaKind::Audio => vec![
            PayloadCodec::new(
                111,
                Codec::new(CodecName::Opus, 48000, Some(2))
                    .with_parameter("minptime", "10")
                    .with_parameter("useinbandfec", "1")
                    .with_feedback("transport-cc", None),
            ),
            PayloadCodec::new(
                63,
                Codec::new(CodecName::Red, 48000, Some(2)).with_parameter("", "111/111"),
            ),
            PayloadCodec::new(9, Codec::new(CodecName::G722, 8000, None)),
            PayloadCodec::new(0, Codec::new(CodecName::Pcmu, 8000, None)),
            PayloadCodec::new(8, Codec::new(CodecName::Pcma, 8000, None)),
            PayloadCodec::new(110, Codec::new(CodecName::TelephoneEvent, 48000, None)),
            PayloadCodec::new(126, Codec::new(CodecName::TelephoneEvent, 8000, None)),
        ],
        MediaKind::Video => {
            let video = |name| {
                Codec::new(name, 90000, None)
                    .with_feedback("goog-remb", None)
                    .with_feedback("transport-cc", None)
                    .with_feedback("ccm", Some("fir"))
                    .with_feedback("nack", None)
                    .with_feedback("nack", Some("pli"))
            };
            let h264 = |mode| {
                video(CodecName::H264)
                    .with_parameter("level-asymmetry-allowed", "1")
                    .with_parameter("packetization-mode", mode)
                    .with_parameter("profile-level-id", "42e01f")
            };
            let primaries = [
                (96, 97, video(CodecName::Vp8)),
                (
                    98,
                    99,
                    video(CodecName::Vp9).with_parameter("profile-id", "0"),
                ),
                (102, 103, h264("1")),
                (104, 105, h264("0")),
                (
                    45,
                    46,
                    video(CodecName::Av1)
                        .with_parameter("level-idx", "5")
                        .with_parameter("profile", "0")
                        .with_parameter("tier", "0"),
                ),
            ];
            let mut out = Vec::with_capacity(primaries.len() * 2);
            for (pt, rtx, codec) in primaries {
                out.push(PayloadCodec::new(pt, codec));
                out.push(PayloadCodec::new(
                    rtx,
                    Codec::new(CodecName::Rtx, 90000, None).with_parameter("apt", &pt.to_string()),
                ));
            }
            out
        }
    }
}

/// The codecs of an m-section, in `m=` line order: each format's `a=rtpmap` (or, for the
/// static payload types 0, 8, 9 and 13, RFC 3551's), its first `a=fmtp`, and its
/// `a=rtcp-fb` lines together with the `a=rtcp-fb:*` ones (duplicates dropped).
///
/// A format that is not a payload type (0-127), is repeated, has no rtpmap and no static
/// meaning, or whose rtpmap channels are not a number, is skipped.
pub fn section_codecs(m: &MediaDescription) -> Vec<PayloadCodec> {
    // One pass over the attributes indexes them by payload type (the first rtpmap and fmtp of
    // each; rtcp-fb in order, `*` for every format), then the formats are read in m= order:
    // linear in the section's size, where a search per format was quadratic (a 185-line
    // browser offer has ~40 formats and ~150 attributes per video section).
    let mut rtpmaps: [Option<&Rtpmap>; 128] = [None; 128];
    let mut fmtps: [Option<&str>; 128] = [None; 128];
    let mut fbs: Vec<(Option<u8>, &String, &Option<String>)> = Vec::new();
    for a in &m.attributes {
        match a {
            SdpAttribute::Rtpmap(r) => {
                if let Some(slot) = rtpmaps.get_mut(usize::from(r.payload_type))
                    && slot.is_none()
                {
                    *slot = Some(r);
                }
            }
            SdpAttribute::Fmtp { format, parameters } => {
                if let Some(pt) = parse_pt(format)
                    && let Some(slot) = fmtps.get_mut(usize::from(pt))
                    && slot.is_none()
                {
                    *slot = Some(parameters.as_str());
                }
            }
            SdpAttribute::RtcpFb {
                format,
                kind,
                parameter,
            } => {
                if format == "*" {
                    fbs.push((None, kind, parameter));
                } else if let Some(pt) = parse_pt(format) {
                    fbs.push((Some(pt), kind, parameter));
                }
            }
            _ => {}
        }
    }
    let mut seen = [false; 128];
    let mut out = Vec::new();
    for format in &m.formats {
        let Some(pt) = parse_pt(format) else { continue };
        match seen.get_mut(usize::from(pt)) {
            Some(s) if !*s => *s = true,
            _ => continue,
        }
        let rtpmap = rtpmaps.get(usize::from(pt)).copied().flatten();
        let (name, clock_rate, channels) = match rtpmap {
            Some(r) => {
                let channels = match &r.encoding_params {
                    None => None,
                    Some(p) => match p.trim().parse::<u16>() {
                        Ok(c) => Some(c),
                        Err(_) => continue,
                    },
                };
                (CodecName::parse(&r.encoding), r.clock_rate, channels)
            }
            None => match static_payload_type(pt) {
                Some(s) => s,
                None => continue,
            },
        };
        let parameters = fmtps
            .get(usize::from(pt))
            .copied()
            .flatten()
            .map(parse_fmtp)
            .unwrap_or_default();
        let mut feedback: Vec<Feedback> = Vec::new();
        for &(for_pt, kind, parameter) in &fbs {
            if for_pt.is_none_or(|p| p == pt) {
                let fb = Feedback {
                    kind: kind.clone(),
                    parameter: parameter.clone(),
                };
                if !feedback.contains(&fb) {
                    feedback.push(fb);
                }
            }
        }
        out.push(PayloadCodec {
            payload_type: pt,
            codec: Codec {
                name,
                clock_rate,
                channels,
                parameters,
                feedback,
            },
        });
    }
    out
}

fn is_codec_attribute(a: &SdpAttribute) -> bool {
    matches!(
        a,
        SdpAttribute::Rtpmap(_) | SdpAttribute::Fmtp { .. } | SdpAttribute::RtcpFb { .. }
    )
}

/// Writes `codecs` into an m-section: the formats of the `m=` line, and per payload type, as
/// Chrome writes them, `a=rtpmap`, its `a=rtcp-fb` lines, then `a=fmtp`.
///
/// The section's existing rtpmap, fmtp and rtcp-fb attributes are replaced: the new ones go
/// where the first old one was, or else before the first `a=ssrc-group`/`a=ssrc` (Chrome's
/// place for them), or else at the end.
pub fn write_codecs(m: &mut MediaDescription, codecs: &[PayloadCodec]) {
    let old = m.attributes.iter().position(is_codec_attribute);
    m.attributes.retain(|a| !is_codec_attribute(a));
    let at = old
        .or_else(|| {
            m.attributes.iter().position(|a| {
                matches!(
                    a,
                    SdpAttribute::Ssrc { .. } | SdpAttribute::SsrcGroup { .. }
                )
            })
        })
        .unwrap_or(m.attributes.len())
        .min(m.attributes.len());
    let mut new = Vec::new();
    for pc in codecs {
        let c = &pc.codec;
        let format = pc.payload_type.to_string();
        new.push(SdpAttribute::Rtpmap(Rtpmap {
            payload_type: pc.payload_type,
            encoding: c.name.as_str().to_owned(),
            clock_rate: c.clock_rate,
            encoding_params: c.channels.map(|n| n.to_string()),
        }));
        for fb in &c.feedback {
            new.push(SdpAttribute::RtcpFb {
                format: format.clone(),
                kind: fb.kind.clone(),
                parameter: fb.parameter.clone(),
            });
        }
        if let Some(parameters) = c.fmtp() {
            new.push(SdpAttribute::Fmtp { format, parameters });
        }
    }
    m.attributes.splice(at..at, new);
    m.formats = codecs.iter().map(|c| c.payload_type.to_string()).collect();
}

// ---------------------------------------------------------------------------------------------
// H.264 profile-level-id (RFC 6184 §8.1)

/// An H.264 profile as `profile-level-id` signals it (RFC 6184 §8.1: `profile_idc` and the
/// constraint flags of `profile-iop`), with libwebrtc's reading of the flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum H264Profile {
    /// Constrained Baseline: `42` with constraint_set1 (`42e0`, `42c0`, `4240`, ...), `4d`
    /// with constraint_set0 (`4de0`, `4d80`, ...), `58` with constraint_set0 and 1 (`58c0`).
    ConstrainedBaseline,
    /// Baseline: `42` without constraint_set1 (`4200`, `4280`), `58` with constraint_set0 only.
    Baseline,
    /// Main: `4d` without constraint_set0 and set2 (`4d00`, `4d40`).
    Main,
    /// Extended: `58` without constraint_set0.
    Extended,
    /// High: `6400`.
    High,
    /// Constrained High: `640c` (constraint_set4 and set5).
    ConstrainedHigh,
    /// High 10: `6e00`.
    High10,
    /// High 4:2:2: `7a00`.
    High422,
    /// High 4:4:4 Predictive: `f400`.
    PredictiveHigh444,
}

/// An H.264 level (ITU-T H.264 Annex A), in increasing order: level 1b is above 1 and below
/// 1.1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum H264Level {
    /// 1 (`level_idc` 10).
    L1,
    /// 1b (`level_idc` 11 with constraint_set3 in Baseline, Main and Extended; 9 otherwise).
    L1b,
    /// 1.1
    L1_1,
    /// 1.2
    L1_2,
    /// 1.3
    L1_3,
    /// 2
    L2,
    /// 2.1
    L2_1,
    /// 2.2
    L2_2,
    /// 3
    L3,
    /// 3.1
    L3_1,
    /// 3.2
    L3_2,
    /// 4
    L4,
    /// 4.1
    L4_1,
    /// 4.2
    L4_2,
    /// 5
    L5,
    /// 5.1
    L5_1,
    /// 5.2
    L5_2,
    /// 6
    L6,
    /// 6.1
    L6_1,
    /// 6.2
    L6_2,
}

impl H264Level {
    const ALL: [(u8, Self); 19] = [
        (10, Self::L1),
        (11, Self::L1_1),
        (12, Self::L1_2),
        (13, Self::L1_3),
        (20, Self::L2),
        (21, Self::L2_1),
        (22, Self::L2_2),
        (30, Self::L3),
        (31, Self::L3_1),
        (32, Self::L3_2),
        (40, Self::L4),
        (41, Self::L4_1),
        (42, Self::L4_2),
        (50, Self::L5),
        (51, Self::L5_1),
        (52, Self::L5_2),
        (60, Self::L6),
        (61, Self::L6_1),
        (62, Self::L6_2),
    ];

    /// `level_idc`: ten times the level; 9 for 1b (what profiles other than Baseline, Main
    /// and Extended write; those write 11 with constraint_set3).
    pub fn level_idc(self) -> u8 {
        if self == Self::L1b {
            return 9;
        }
        Self::ALL
            .iter()
            .find(|(_, l)| *l == self)
            .map_or(0, |(idc, _)| *idc)
    }
}

/// constraint_set3_flag in profile-iop: with level_idc 11, level 1b for these profiles.
const CONSTRAINT_SET3: u8 = 0x10;

/// Baseline, Main, Extended: level 1b is level_idc 11 with constraint_set3.
fn set3_means_1b(profile_idc: u8) -> bool {
    matches!(profile_idc, 0x42 | 0x4d | 0x58)
}

/// `(profile_idc, mask, value, profile)`: `profile-iop & mask == value`. libwebrtc's table
/// (Extended, High 10 and High 4:2:2 added), from its reading of RFC 6184 §8.1.
const PROFILE_PATTERNS: [(u8, u8, u8, H264Profile); 12] = [
    (0x42, 0x4f, 0x40, H264Profile::ConstrainedBaseline), // x1xx0000
    (0x4d, 0x8f, 0x80, H264Profile::ConstrainedBaseline), // 1xxx0000
    (0x58, 0xcf, 0xc0, H264Profile::ConstrainedBaseline), // 11xx0000
    (0x42, 0x4f, 0x00, H264Profile::Baseline),            // x0xx0000
    (0x58, 0xcf, 0x80, H264Profile::Baseline),            // 10xx0000
    (0x4d, 0xaf, 0x00, H264Profile::Main),                // 0x0x0000
    (0x58, 0x8f, 0x00, H264Profile::Extended),            // 0xxx0000
    (0x64, 0xff, 0x00, H264Profile::High),                // 00000000
    (0x64, 0xff, 0x0c, H264Profile::ConstrainedHigh),     // 00001100
    (0x6e, 0xff, 0x00, H264Profile::High10),              // 00000000
    (0x7a, 0xff, 0x00, H264Profile::High422),             // 00000000
    (0xf4, 0xff, 0x00, H264Profile::PredictiveHigh444),   // 00000000
];

/// A parsed `profile-level-id`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct ProfileLevelId {
    profile_idc: u8,
    profile_iop: u8,
    profile: H264Profile,
    level: H264Level,
}

/// What an H.264 format without `profile-level-id` means. RFC 6184 §8.1 says Baseline level
/// 1 (`42000a`); libwebrtc (and so every browser's answer) reads Constrained Baseline 3.1,
/// and matching it is what interoperates.
const DEFAULT_PROFILE_LEVEL_ID: &str = "42e01f";

impl ProfileLevelId {
    fn parse(s: &str) -> Option<Self> {
        let s = s.trim();
        if s.len() != 6 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let [_, profile_idc, profile_iop, level_idc] =
            u32::from_str_radix(s, 16).ok()?.to_be_bytes();
        let profile = PROFILE_PATTERNS
            .iter()
            .find(|(idc, mask, value, _)| *idc == profile_idc && profile_iop & mask == *value)
            .map(|(_, _, _, p)| *p)?;
        let level = match level_idc {
            9 => H264Level::L1b,
            11 if set3_means_1b(profile_idc) && profile_iop & CONSTRAINT_SET3 != 0 => {
                H264Level::L1b
            }
            idc => H264Level::ALL
                .iter()
                .find(|(i, _)| *i == idc)
                .map(|(_, l)| *l)?,
        };
        Some(Self {
            profile_idc,
            profile_iop,
            profile,
            level,
        })
    }

    /// The codec's, or the default when it has none.
    fn of(c: &Codec) -> Option<Self> {
        Self::parse(
            c.parameter("profile-level-id")
                .unwrap_or(DEFAULT_PROFILE_LEVEL_ID),
        )
    }

    /// This profile at `level`: the same profile_idc and profile-iop, with constraint_set3
    /// set or cleared where it tells 1b from 1.1.
    fn with_level(self, level: H264Level) -> String {
        let (iop, idc) = match level {
            H264Level::L1b if set3_means_1b(self.profile_idc) => {
                (self.profile_iop | CONSTRAINT_SET3, 11)
            }
            H264Level::L1_1 if set3_means_1b(self.profile_idc) => {
                (self.profile_iop & !CONSTRAINT_SET3, 11)
            }
            l => (self.profile_iop, l.level_idc()),
        };
        format!("{:02x}{iop:02x}{idc:02x}", self.profile_idc)
    }
}

/// The profile of an H.264 `profile-level-id` (six hex digits), or `None` for a malformed
/// value, an unknown profile or an unknown level.
pub fn h264_profile(profile_level_id: &str) -> Option<H264Profile> {
    ProfileLevelId::parse(profile_level_id).map(|p| p.profile)
}

/// The level of an H.264 `profile-level-id`, or `None` as for [`h264_profile`].
pub fn h264_level(profile_level_id: &str) -> Option<H264Level> {
    ProfileLevelId::parse(profile_level_id).map(|p| p.level)
}

fn level_asymmetry_allowed(c: &Codec) -> bool {
    c.parameter("level-asymmetry-allowed").map(str::trim) == Some("1")
}

/// The H.264 parameters of our answer (RFC 6184 §8.2.2): ours, with a profile-level-id of
/// our profile at our level when both sides allow level asymmetry (each side's level is what
/// it receives), else at the lower of the two levels (one level for both directions, never
/// above the offer's).
fn h264_answer(ours: &Codec, theirs: &Codec) -> Codec {
    let mut answer = ours.clone();
    if ours.parameter("profile-level-id").is_none()
        && theirs.parameter("profile-level-id").is_none()
    {
        return answer;
    }
    let (Some(local), Some(remote)) = (ProfileLevelId::of(ours), ProfileLevelId::of(theirs)) else {
        return answer;
    };
    let level = if level_asymmetry_allowed(ours) && level_asymmetry_allowed(theirs) {
        local.level
    } else {
        local.level.min(remote.level)
    };
    answer.set_parameter("profile-level-id", local.with_level(level));
    answer
}

/// The H.265 parameters of our answer (RFC 7798 §7.2.2): ours, with `level-id` no higher
/// than the offer's.
fn h265_answer(ours: &Codec, theirs: &Codec) -> Codec {
    let mut answer = ours.clone();
    let level = |c: &Codec| {
        c.parameter("level-id")
            .and_then(|l| l.trim().parse::<u32>().ok())
    };
    if let (Some(l), Some(r)) = (level(ours), level(theirs))
        && r < l
    {
        answer.set_parameter("level-id", r.to_string());
    }
    answer
}

// ---------------------------------------------------------------------------------------------
// Matching

/// The channel count compared, `None` when it does not matter (repair formats).
fn channel_count(c: &Codec) -> Option<u16> {
    match c.name {
        CodecName::Opus => Some(c.channels.unwrap_or(2)),
        ref n if n.is_repair() => None,
        _ => Some(c.channels.unwrap_or(1)),
    }
}

fn same_channels(a: &Codec, b: &Codec) -> bool {
    match (channel_count(a), channel_count(b)) {
        (Some(x), Some(y)) => x == y,
        _ => true,
    }
}

/// The same value of `key` on both sides, `default` where absent: as numbers when both are,
/// else as ASCII case-insensitive strings.
fn same_parameter(a: &Codec, b: &Codec, key: &str, default: &str) -> bool {
    let va = a.parameter(key).unwrap_or(default).trim();
    let vb = b.parameter(key).unwrap_or(default).trim();
    match (va.parse::<u64>(), vb.parse::<u64>()) {
        (Ok(x), Ok(y)) => x == y,
        _ => va.eq_ignore_ascii_case(vb),
    }
}

/// Whether `a` and `b` are the same codec for offer/answer (RFC 3264 §6.1): the same encoding
/// name, clock rate and channels (absent is one, except for Opus where it is two; not
/// compared for repair formats), and the same media format configuration:
///
/// - H.264 (RFC 6184 §8.2.2): the same profile (see [`H264Profile`]; an absent
///   `profile-level-id` is read as `42e01f`, as libwebrtc does) and `packetization-mode`
///   (absent is 0). The level may differ.
/// - VP9: `profile-id` (absent is 0). AV1: `profile` (absent is 0).
/// - H.265 (RFC 7798 §7.2.2): `profile-space` (0), `profile-id` (1), `tier-flag` (0) and
///   `tx-mode` (`SRST`). The level may differ.
///
/// RTX and RED are matched on name and clock rate only: whose repair they carry (`apt`, the
/// RED primaries) is payload-type bookkeeping that [`negotiate_answer`] does.
pub fn same_codec(a: &Codec, b: &Codec) -> bool {
    if a.name != b.name || a.clock_rate != b.clock_rate || !same_channels(a, b) {
        return false;
    }
    match a.name {
        CodecName::H264 => {
            let (Some(pa), Some(pb)) = (ProfileLevelId::of(a), ProfileLevelId::of(b)) else {
                return false;
            };
            pa.profile == pb.profile && same_parameter(a, b, "packetization-mode", "0")
        }
        CodecName::Vp9 => same_parameter(a, b, "profile-id", "0"),
        CodecName::Av1 => same_parameter(a, b, "profile", "0"),
        CodecName::H265 => {
            same_parameter(a, b, "profile-space", "0")
                && same_parameter(a, b, "profile-id", "1")
                && same_parameter(a, b, "tier-flag", "0")
                && same_parameter(a, b, "tx-mode", "SRST")
        }
        _ => true,
    }
}

/// `ours` ∩ `theirs`, in our order.
fn intersect_feedback(ours: &[Feedback], theirs: &[Feedback]) -> Vec<Feedback> {
    ours.iter()
        .filter(|f| theirs.iter().any(|t| t.matches(f)))
        .cloned()
        .collect()
}

/// The payload type of the `rtx` format whose `apt` is `primary`.
pub fn rtx_payload_type(codecs: &[PayloadCodec], primary: u8) -> Option<u8> {
    codecs
        .iter()
        .find(|c| c.codec.name == CodecName::Rtx && c.codec.pt_parameter("apt") == Some(primary))
        .map(|c| c.payload_type)
}

/// The `apt` of the `rtx` format with payload type `rtx`.
pub fn primary_of_rtx(codecs: &[PayloadCodec], rtx: u8) -> Option<u8> {
    codecs
        .iter()
        .find(|c| c.payload_type == rtx && c.codec.name == CodecName::Rtx)
        .and_then(|c| c.codec.pt_parameter("apt"))
}

/// RED's primaries (RFC 2198 §5: the bare fmtp value `111/111`); `Some(empty)` when RED
/// names none, `None` when the value is malformed.
fn red_primaries(c: &Codec) -> Option<Vec<u8>> {
    match c.parameter("") {
        None => Some(Vec::new()),
        Some(v) => v.split('/').map(parse_pt).collect(),
    }
}

/// RED's bare value with each primary mapped by `map`; `None` if one is unmapped.
fn map_red(c: &Codec, map: impl Fn(u8) -> Option<u8>) -> Option<Codec> {
    let primaries = red_primaries(c)?;
    let mut out = c.clone();
    if !primaries.is_empty() {
        let mapped = primaries
            .into_iter()
            .map(|pt| map(pt).map(|p| p.to_string()))
            .collect::<Option<Vec<_>>>()?;
        out.set_parameter("", mapped.join("/"));
    }
    Some(out)
}

/// The codecs of our answer to `offered` (RFC 9429 §5.3.1, RFC 3264 §6.1), from our
/// supported `local` list: each local codec that the offer has (the first offered match,
/// [`same_codec`]), under the offerer's payload type, in our preference order.
///
/// - Parameters are ours, except H.264's `profile-level-id`: our profile at our level when
///   both sides write `level-asymmetry-allowed=1` (RFC 6184 §8.1: each side's level is the
///   level it receives), else at the lower of our level and the offer's (RFC 6184 §8.2.2);
///   and H.265's `level-id`, never above the offer's.
/// - Feedback is the intersection, in our order.
/// - `rtx` is kept for a kept primary whose offered primary has an `rtx`: under that offered
///   rtx payload type, `apt` rewritten to the offerer's primary.
/// - `red` is kept when every primary ours names is kept (audio: when Opus is) and the offer
///   has a `red` naming the same primaries (or none), its value rewritten to the offerer's
///   payload types.
/// - `telephone-event` is kept when one with its clock rate is offered.
/// - FEC (`ulpfec`, `flexfec`) is always declined, as is anything not in `local`.
pub fn negotiate_answer(offered: &[PayloadCodec], local: &[PayloadCodec]) -> Vec<PayloadCodec> {
    let mut answer: Vec<Option<PayloadCodec>> = vec![None; local.len()];
    let mut used: Vec<u8> = Vec::new();
    // (our payload type, the offerer's) for every kept primary and RED.
    let mut mapping: Vec<(u8, u8)> = Vec::new();
    let find = |ours: &Codec, used: &[u8], extra: &dyn Fn(&Codec) -> bool| {
        offered
            .iter()
            .find(|o| {
                !used.contains(&o.payload_type) && same_codec(ours, &o.codec) && extra(&o.codec)
            })
            .cloned()
    };

    // Media formats.
    for (slot, ours) in answer.iter_mut().zip(local) {
        if ours.codec.name.is_repair() {
            continue;
        }
        let Some(theirs) = find(&ours.codec, &used, &|_: &Codec| true) else {
            continue;
        };
        let mut codec = match ours.codec.name {
            CodecName::H264 => h264_answer(&ours.codec, &theirs.codec),
            CodecName::H265 => h265_answer(&ours.codec, &theirs.codec),
            _ => ours.codec.clone(),
        };
        codec.feedback = intersect_feedback(&ours.codec.feedback, &theirs.codec.feedback);
        used.push(theirs.payload_type);
        mapping.push((ours.payload_type, theirs.payload_type));
        *slot = Some(PayloadCodec::new(theirs.payload_type, codec));
    }

    // RED, over kept primaries: an offered RED whose primaries (when it names them) are kept,
    // and are the ones ours name.
    let media_mapping = mapping.clone();
    let map = |pt: u8| {
        media_mapping
            .iter()
            .find(|(l, _)| *l == pt)
            .map(|(_, r)| *r)
    };
    for (slot, ours) in answer.iter_mut().zip(local) {
        if ours.codec.name != CodecName::Red {
            continue;
        }
        let Some(mut codec) = map_red(&ours.codec, map) else {
            continue;
        };
        let Some(wanted) = red_primaries(&codec) else {
            continue;
        };
        let acceptable = |c: &Codec| {
            red_primaries(c).is_some_and(|theirs| {
                theirs
                    .iter()
                    .all(|pt| media_mapping.iter().any(|(_, r)| r == pt))
                    && (wanted.is_empty()
                        || theirs.is_empty()
                        || (theirs.iter().all(|pt| wanted.contains(pt))
                            && wanted.iter().all(|pt| theirs.contains(pt))))
            })
        };
        let Some(theirs) = find(&ours.codec, &used, &acceptable) else {
            continue;
        };
        codec.feedback = intersect_feedback(&ours.codec.feedback, &theirs.codec.feedback);
        used.push(theirs.payload_type);
        mapping.push((ours.payload_type, theirs.payload_type));
        *slot = Some(PayloadCodec::new(theirs.payload_type, codec));
    }

    // RTX, for kept primaries (RED included).
    for (slot, ours) in answer.iter_mut().zip(local) {
        if ours.codec.name != CodecName::Rtx {
            continue;
        }
        let Some(apt) = ours.codec.pt_parameter("apt") else {
            continue;
        };
        let Some(&(_, their_primary)) = mapping.iter().find(|(l, _)| *l == apt) else {
            continue;
        };
        let Some(theirs) = find(&ours.codec, &used, &|c: &Codec| {
            c.pt_parameter("apt") == Some(their_primary)
        }) else {
            continue;
        };
        let mut codec = ours.codec.clone();
        codec.set_parameter("apt", their_primary.to_string());
        codec.feedback = intersect_feedback(&ours.codec.feedback, &theirs.codec.feedback);
        used.push(theirs.payload_type);
        *slot = Some(PayloadCodec::new(theirs.payload_type, codec));
    }

    answer.into_iter().flatten().collect()
}

/// Keeps RED whose primaries are all in the list, then RTX whose primary is.
fn drop_orphans(list: &mut Vec<PayloadCodec>) {
    let pts: Vec<u8> = list.iter().map(|c| c.payload_type).collect();
    list.retain(|c| {
        c.codec.name != CodecName::Red
            || red_primaries(&c.codec)
                .is_some_and(|p| p.iter().all(|pt| *pt != c.payload_type && pts.contains(pt)))
    });
    let pts: Vec<u8> = list.iter().map(|c| c.payload_type).collect();
    list.retain(|c| {
        c.codec.name != CodecName::Rtx
            || c.codec
                .pt_parameter("apt")
                .is_some_and(|apt| apt != c.payload_type && pts.contains(&apt))
    });
}

/// The negotiated codecs when we offered `local` and the remote answered `remote`: the
/// codecs the answer lists, in its order, each our local entry with the same payload type
/// (RFC 3264 §6.1: the answerer keeps the offer's numbers), which must be [`same_codec`] as
/// the answer's (for `rtx`, with the same `apt`), with the feedback both list. A format the
/// answer renumbered or changed is dropped, as is `rtx` or `red` whose primary is not kept.
pub fn negotiated_codecs(local: &[PayloadCodec], remote: &[PayloadCodec]) -> Vec<PayloadCodec> {
    let mut out: Vec<PayloadCodec> = Vec::new();
    for theirs in remote {
        if out.iter().any(|o| o.payload_type == theirs.payload_type) {
            continue;
        }
        let Some(ours) = local.iter().find(|l| l.payload_type == theirs.payload_type) else {
            continue;
        };
        if !same_codec(&ours.codec, &theirs.codec) {
            continue;
        }
        if ours.codec.name == CodecName::Rtx {
            let apt = ours.codec.pt_parameter("apt");
            if apt.is_none() || apt != theirs.codec.pt_parameter("apt") {
                continue;
            }
        }
        let mut codec = ours.codec.clone();
        codec.feedback = intersect_feedback(&ours.codec.feedback, &theirs.codec.feedback);
        out.push(PayloadCodec::new(ours.payload_type, codec));
    }
    drop_orphans(&mut out);
    out
}

/// Why W3C `setCodecPreferences` refused a list: both are its `InvalidModificationError`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodecPreferenceError {
    /// The preference at `index` is none of our codecs (mimeType, clock rate, channels and
    /// fmtp line compared).
    #[error("codec preference {index} is not a supported codec")]
    UnknownCodec {
        /// Its position in the list.
        index: usize,
    },
    /// The list has only RTX, RED, FEC or comfort noise: nothing to send media with.
    #[error("codec preferences name no media codec")]
    NoMediaCodec,
}

impl CodecPreferenceError {
    /// The W3C DOMException name: `InvalidModificationError`.
    pub fn w3c_name(&self) -> &'static str {
        "InvalidModificationError"
    }
}

/// The same fmtp parameters, in any order (W3C compares `sdpFmtpLine`; browsers compare the
/// parameters).
fn same_parameters(a: &Codec, b: &Codec) -> bool {
    let covers = |x: &Codec, y: &Codec| {
        x.parameters.iter().all(|(k, v)| {
            y.parameters
                .iter()
                .any(|(k2, v2)| k.eq_ignore_ascii_case(k2) && v == v2)
        })
    };
    a.parameters.len() == b.parameters.len() && covers(a, b) && covers(b, a)
}

/// The Opus format parameters (RFC 7587 §6.1): each describes what its writer receives or
/// sends, none changes what the codec is.
const OPUS_PARAMETERS: &[&str] = &[
    "maxplaybackrate",
    "sprop-maxcapturerate",
    "maxptime",
    "ptime",
    "minptime",
    "maxaveragebitrate",
    "stereo",
    "sprop-stereo",
    "cbr",
    "useinbandfec",
    "usedtx",
];

/// Whether `pref` names local Opus `l` with receive parameters of its own (see
/// [`filter_by_preferences`]).
fn opus_with_parameters(l: &Codec, pref: &Codec) -> bool {
    l.name == CodecName::Opus
        && pref.name == CodecName::Opus
        && l.clock_rate == pref.clock_rate
        && same_channels(l, pref)
        && pref.parameters.iter().all(|(k, v)| {
            OPUS_PARAMETERS.iter().any(|o| k.eq_ignore_ascii_case(o))
                && !v.is_empty()
                && v.len() <= 10
                && v.bytes().all(|b| b.is_ascii_digit())
        })
}

/// W3C `setCodecPreferences` (webrtc-pc §5.4): our `local` codecs reordered and filtered to
/// `preferences`.
///
/// A preference matches a local codec with the same name, clock rate, channels and fmtp
/// parameters (any order); `rtx` matches on clock rate alone (its `apt` is a payload type,
/// not a capability). DEVIATION (W3C asks for an exact capability): an Opus preference may
/// carry its own RFC 7587 §6.1 parameters (`stereo=1` to receive stereo, `usedtx`,
/// `maxaveragebitrate`, ... numeric values), which then replace ours in offers and answers:
/// what browsers get by editing the SDP, and what an SFU forwarding stereo needs. The result lists the matched codecs in preference order, each media
/// codec followed by its `rtx` when the preferences name `rtx` at all (as libwebrtc does);
/// `red` is kept where it is listed if its primaries are kept, FEC where it is listed. An
/// empty list resets to `local`.
///
/// Errors: a preference that is none of ours, or a list with no media codec.
pub fn filter_by_preferences(
    local: &[PayloadCodec],
    preferences: &[Codec],
) -> Result<Vec<PayloadCodec>, CodecPreferenceError> {
    if preferences.is_empty() {
        return Ok(local.to_vec());
    }
    let mut matched: Vec<std::borrow::Cow<'_, PayloadCodec>> = Vec::new();
    let mut want_rtx = false;
    for (index, pref) in preferences.iter().enumerate() {
        if pref.name == CodecName::Rtx {
            if !local
                .iter()
                .any(|l| l.codec.name == CodecName::Rtx && l.codec.clock_rate == pref.clock_rate)
            {
                return Err(CodecPreferenceError::UnknownCodec { index });
            }
            want_rtx = true;
            continue;
        }
        let exact = local.iter().find(|l| {
            l.codec.name == pref.name
                && l.codec.clock_rate == pref.clock_rate
                && same_channels(&l.codec, pref)
                && same_parameters(&l.codec, pref)
        });
        let found = match exact {
            Some(f) => std::borrow::Cow::Borrowed(f),
            None => {
                let Some(f) = local.iter().find(|l| opus_with_parameters(&l.codec, pref)) else {
                    return Err(CodecPreferenceError::UnknownCodec { index });
                };
                let mut f = f.clone();
                f.codec.parameters.clone_from(&pref.parameters);
                std::borrow::Cow::Owned(f)
            }
        };
        if !matched.iter().any(|m| m.payload_type == found.payload_type) {
            matched.push(found);
        }
    }
    if !matched
        .iter()
        .any(|m| !m.codec.name.is_repair() && !m.codec.name.is_comfort_noise())
    {
        return Err(CodecPreferenceError::NoMediaCodec);
    }
    let mut out = Vec::new();
    for m in matched {
        let m = m.into_owned();
        out.push(m.clone());
        if want_rtx
            && !m.codec.name.is_fec()
            && let Some(rtx) = local.iter().find(|l| {
                l.codec.name == CodecName::Rtx
                    && l.codec.pt_parameter("apt") == Some(m.payload_type)
            })
        {
            out.push(rtx.clone());
        }
    }
    drop_orphans(&mut out);
    Ok(out)
}
