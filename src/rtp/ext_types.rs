//! Typed header extension values: MID (RFC 8843 §15), RID and repaired RID (RFC 8852 §3),
//! abs-send-time, transport-wide CC (-01 and -02), audio level (RFC 6464 §3), video orientation
//! (3GPP TS 26.114 §7.4.5), playout delay, abs-capture-time and transmission offset (RFC 5450).
//!
//! Each value parses the element's data (as [`super::ExtensionBlock`] yields it) and writes it
//! back; the AV1 dependency descriptor, which needs state, lives in its own module.

use super::ext::{ExtensionError, ExtensionKind};
use std::time::Duration;

/// A header extension value with a fixed wire form.
pub trait TypedExtension: Sized {
    /// The kinds whose elements carry this value (the first one is the preferred).
    const KINDS: &'static [ExtensionKind];
    /// Parses an element's data.
    fn parse(data: &[u8]) -> Result<Self, ExtensionError>;
    /// Length of the element's data (at most 255).
    fn encoded_len(&self) -> usize;
    /// Appends the element's data, exactly `encoded_len()` bytes.
    fn encode(&self, out: &mut Vec<u8>);
}

fn bad_len(kind: ExtensionKind, len: usize) -> ExtensionError {
    ExtensionError::BadLength { kind, len }
}

/// RFC 4566 §9 `token-char`, which RFC 5888's `identification-tag` (the MID) is made of.
fn is_token_char(b: u8) -> bool {
    matches!(b, 0x21 | 0x23..=0x27 | 0x2A..=0x2B | 0x2D..=0x2E | 0x30..=0x39 | 0x41..=0x5A | 0x5E..=0x7E)
}

/// RFC 8851 §10 `rid-id = 1*(alpha-numeric / "-" / "_")`.
fn is_rid_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_'
}

fn checked_str(
    data: &[u8],
    kind: ExtensionKind,
    ok: fn(u8) -> bool,
) -> Result<SmallStr, ExtensionError> {
    // An element carries at most 255 bytes (RFC 8285 §4.3); an empty id names nothing.
    if data.is_empty() || data.len() > 255 {
        return Err(bad_len(kind, data.len()));
    }
    if !data.iter().all(|&b| ok(b)) {
        return Err(ExtensionError::BadValue(kind));
    }
    Ok(SmallStr::from_ascii(data))
}

/// Bytes a [`SmallStr`] keeps inline.
const INLINE_STR: usize = 22;

/// An ASCII string kept inline up to 22 bytes, on the heap beyond. MIDs and RIDs are a few bytes
/// (browsers use "0", "1", "q", "h"; the one-byte form caps them at 16), and one is parsed from
/// most packets: inline, that parse allocates nothing.
#[derive(Clone)]
enum SmallStr {
    Inline { len: u8, bytes: [u8; INLINE_STR] },
    Heap(Box<str>),
}

impl SmallStr {
    /// `data` is ASCII (checked by the caller).
    fn from_ascii(data: &[u8]) -> Self {
        if data.len() <= INLINE_STR {
            let mut bytes = [0u8; INLINE_STR];
            bytes[..data.len()].copy_from_slice(data);
            Self::Inline {
                len: data.len() as u8,
                bytes,
            }
        } else {
            Self::Heap(data.iter().map(|&b| char::from(b)).collect())
        }
    }

    fn as_str(&self) -> &str {
        match self {
            Self::Inline { len, bytes } => std::str::from_utf8(&bytes[..usize::from(*len)])
                .expect("invariant: only checked ASCII is stored"),
            Self::Heap(s) => s,
        }
    }
}

impl PartialEq for SmallStr {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for SmallStr {}

impl PartialOrd for SmallStr {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for SmallStr {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl std::hash::Hash for SmallStr {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl std::fmt::Debug for SmallStr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self.as_str(), f)
    }
}

macro_rules! string_extension {
    ($(#[$doc:meta])* $name:ident, $kind:expr, $check:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(SmallStr);

        impl $name {
            /// A checked value: 1..=255 bytes of the allowed characters. Values up to 16 bytes
            /// fit the one-byte form (RFC 8285 §4.2); longer ones need the two-byte form.
            pub fn new(s: &str) -> Result<Self, ExtensionError> {
                checked_str(s.as_bytes(), $kind, $check).map($name)
            }

            /// The value.
            pub fn as_str(&self) -> &str {
                self.0.as_str()
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.0.as_str())
            }
        }

        impl TypedExtension for $name {
            const KINDS: &'static [ExtensionKind] = &[$kind];
            fn parse(data: &[u8]) -> Result<Self, ExtensionError> {
                checked_str(data, $kind, $check).map($name)
            }
            fn encoded_len(&self) -> usize {
                self.0.as_str().len()
            }
            fn encode(&self, out: &mut Vec<u8>) {
                out.extend_from_slice(self.0.as_str().as_bytes());
            }
        }
    };
}

string_extension!(
    /// RFC 8843 §15: the MID of the media section, its `identification-tag` (RFC 5888 §4,
    /// RFC 4566 `token` characters), sent without terminator.
    Mid,
    ExtensionKind::Mid,
    is_token_char
);
string_extension!(
    /// RFC 8852 §3.1: the RtpStreamId, an RFC 8851 §10 `rid-id` (letters, digits, `-`, `_`).
    Rid,
    ExtensionKind::Rid,
    is_rid_char
);
string_extension!(
    /// RFC 8852 §3.2: the RepairedRtpStreamId of a redundancy stream, an RFC 8851 `rid-id`.
    RepairedRid,
    ExtensionKind::RepairedRid,
    is_rid_char
);

/// Absolute send time: 24 bits, seconds in 6.18 fixed point, wrapping every 64 s.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct AbsSendTime(u32);

impl AbsSendTime {
    /// One wrap of the 6.18 clock.
    pub const WRAP: Duration = Duration::from_secs(64);

    /// From the 24-bit wire value; `None` above `0xFF_FFFF`.
    pub fn from_raw(raw: u32) -> Option<Self> {
        (raw <= 0xFF_FFFF).then_some(AbsSendTime(raw))
    }

    /// The 24-bit wire value.
    pub fn raw(self) -> u32 {
        self.0
    }

    /// A send time, modulo 64 s, truncated to 2^-18 s.
    pub fn from_duration(d: Duration) -> Self {
        let units = (d.as_nanos() << 18) / 1_000_000_000;
        AbsSendTime((units & 0xFF_FFFF) as u32)
    }

    /// The time within the 64 s wrap.
    pub fn to_duration(self) -> Duration {
        Duration::from_nanos((u64::from(self.0) * 1_000_000_000) >> 18)
    }

    /// From a 64-bit NTP timestamp (UQ32.32): its bits 14..38 (6 integer, 18 fraction bits).
    pub fn from_ntp(ntp: u64) -> Self {
        AbsSendTime(((ntp >> 14) & 0xFF_FFFF) as u32)
    }
}

impl TypedExtension for AbsSendTime {
    const KINDS: &'static [ExtensionKind] = &[ExtensionKind::AbsSendTime];
    fn parse(data: &[u8]) -> Result<Self, ExtensionError> {
        let &[a, b, c] = data else {
            return Err(bad_len(ExtensionKind::AbsSendTime, data.len()));
        };
        Ok(AbsSendTime(u32::from_be_bytes([0, a, b, c])))
    }
    fn encoded_len(&self) -> usize {
        3
    }
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.0.to_be_bytes()[1..]);
    }
}

/// The feedback request of transport-wide CC -02: send feedback now for the last
/// `sequence_count` packets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct FeedbackRequest {
    /// T: include the packets' arrival times in the feedback.
    pub include_timestamps: bool,
    /// How many packets, ending at this one, to report on. 15 bits: only the low 15 are sent.
    pub sequence_count: u16,
}

/// Transport-wide congestion control: the transport-wide sequence number (-01: 2 bytes), and in
/// the -02 variant an optional feedback request (4 bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct TransportCc {
    /// The transport-wide sequence number.
    pub sequence: u16,
    /// -02 only: the feedback request. A -01 element never carries one.
    pub request: Option<FeedbackRequest>,
}

impl TypedExtension for TransportCc {
    const KINDS: &'static [ExtensionKind] =
        &[ExtensionKind::TransportCc, ExtensionKind::TransportCc02];
    fn parse(data: &[u8]) -> Result<Self, ExtensionError> {
        match *data {
            [a, b] => Ok(TransportCc {
                sequence: u16::from_be_bytes([a, b]),
                request: None,
            }),
            [a, b, c, d] => Ok(TransportCc {
                sequence: u16::from_be_bytes([a, b]),
                request: Some(FeedbackRequest {
                    include_timestamps: c & 0x80 != 0,
                    sequence_count: u16::from_be_bytes([c & 0x7F, d]),
                }),
            }),
            _ => Err(bad_len(ExtensionKind::TransportCc, data.len())),
        }
    }
    fn encoded_len(&self) -> usize {
        if self.request.is_some() { 4 } else { 2 }
    }
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.sequence.to_be_bytes());
        if let Some(r) = self.request {
            let v = (u16::from(r.include_timestamps) << 15) | (r.sequence_count & 0x7FFF);
            out.extend_from_slice(&v.to_be_bytes());
        }
    }
}

/// RFC 6464 §3: the audio level of the packet's audio, in -dBov, with the voice activity flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct AudioLevel {
    voice: bool,
    level: u8,
}

impl AudioLevel {
    /// RFC 6464 §3: `level` is 0..=127, meaning 0 to -127 dBov (127 is digital silence).
    pub fn new(voice: bool, level: u8) -> Result<Self, ExtensionError> {
        if level > 127 {
            return Err(ExtensionError::BadValue(ExtensionKind::AudioLevel));
        }
        Ok(AudioLevel { voice, level })
    }

    /// From a level in dBov (≤ 0; clamped to 0..=-127, rounded to whole dB).
    pub fn from_dbov(voice: bool, dbov: f64) -> Self {
        let level = (-dbov).round().clamp(0.0, 127.0) as u8;
        AudioLevel { voice, level }
    }

    /// The V bit: the sender's voice activity detector says this packet has speech.
    pub fn voice(self) -> bool {
        self.voice
    }

    /// The level in -dBov, 0..=127.
    pub fn level(self) -> u8 {
        self.level
    }

    /// The level in dBov, 0..=-127.
    pub fn dbov(self) -> i8 {
        -(self.level as i8)
    }
}

impl TypedExtension for AudioLevel {
    const KINDS: &'static [ExtensionKind] = &[ExtensionKind::AudioLevel];
    fn parse(data: &[u8]) -> Result<Self, ExtensionError> {
        // RFC 6464 §3: one octet, V in the top bit, the level below it.
        let &[b] = data else {
            return Err(bad_len(ExtensionKind::AudioLevel, data.len()));
        };
        Ok(AudioLevel {
            voice: b & 0x80 != 0,
            level: b & 0x7F,
        })
    }
    fn encoded_len(&self) -> usize {
        1
    }
    fn encode(&self, out: &mut Vec<u8>) {
        out.push((u8::from(self.voice) << 7) | self.level);
    }
}

/// 3GPP TS 26.114 §7.4.5: which camera captured the video.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum CameraDirection {
    /// C = 0: front-facing camera, or unknown.
    #[default]
    Front,
    /// C = 1: back-facing camera.
    Back,
}

/// 3GPP TS 26.114 §7.4.5 (R1 R0): how far the video on the link is rotated counter-clockwise;
/// the receiver rotates it back by as much clockwise before display (libwebrtc's
/// `kVideoRotation_*`, which are clockwise rotations to apply, use the same numbers).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Rotation {
    /// R1 R0 = 00: not rotated.
    #[default]
    Deg0,
    /// R1 R0 = 01: rotated 90° counter-clockwise; display after turning 90° clockwise.
    Deg90,
    /// R1 R0 = 10: rotated 180°.
    Deg180,
    /// R1 R0 = 11: rotated 270° counter-clockwise; display after turning 90° counter-clockwise.
    Deg270,
}

/// 3GPP TS 26.114 §7.4.5 coordination of video orientation (CVO): `0 0 0 0 C F R1 R0`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct VideoOrientation {
    /// C.
    pub camera: CameraDirection,
    /// F: flip horizontally.
    pub flip: bool,
    /// R1 R0.
    pub rotation: Rotation,
}

impl TypedExtension for VideoOrientation {
    const KINDS: &'static [ExtensionKind] = &[ExtensionKind::VideoOrientation];
    fn parse(data: &[u8]) -> Result<Self, ExtensionError> {
        let &[b] = data else {
            return Err(bad_len(ExtensionKind::VideoOrientation, data.len()));
        };
        // TS 26.114 §7.4.5: the top four bits are reserved (the 6-bit granularity variant has its
        // own URI); receivers ignore them.
        Ok(VideoOrientation {
            camera: if b & 0x08 != 0 {
                CameraDirection::Back
            } else {
                CameraDirection::Front
            },
            flip: b & 0x04 != 0,
            rotation: match b & 0x03 {
                0 => Rotation::Deg0,
                1 => Rotation::Deg90,
                2 => Rotation::Deg180,
                _ => Rotation::Deg270,
            },
        })
    }
    fn encoded_len(&self) -> usize {
        1
    }
    fn encode(&self, out: &mut Vec<u8>) {
        out.push(
            (u8::from(self.camera == CameraDirection::Back) << 3)
                | (u8::from(self.flip) << 2)
                | self.rotation as u8,
        );
    }
}

/// Playout delay limits: 12-bit minimum and maximum in 10 ms units (0 to 40.95 s).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct PlayoutDelay {
    min: u16,
    max: u16,
}

impl PlayoutDelay {
    /// The 12-bit maximum of either field.
    pub const MAX_UNITS: u16 = 0x0FFF;
    /// One unit.
    pub const UNIT: Duration = Duration::from_millis(10);

    /// From 10 ms units, each at most 4095.
    pub fn new(min: u16, max: u16) -> Result<Self, ExtensionError> {
        if min > Self::MAX_UNITS || max > Self::MAX_UNITS {
            return Err(ExtensionError::BadValue(ExtensionKind::PlayoutDelay));
        }
        Ok(PlayoutDelay { min, max })
    }

    /// From durations, rounded down to 10 ms; fails past 40.95 s.
    pub fn from_durations(min: Duration, max: Duration) -> Result<Self, ExtensionError> {
        let units = |d: Duration| u16::try_from(d.as_millis() / 10).unwrap_or(u16::MAX);
        Self::new(units(min), units(max))
    }

    /// The minimum in 10 ms units.
    pub fn min_units(self) -> u16 {
        self.min
    }

    /// The maximum in 10 ms units.
    pub fn max_units(self) -> u16 {
        self.max
    }

    /// The minimum delay.
    pub fn min(self) -> Duration {
        Self::UNIT * u32::from(self.min)
    }

    /// The maximum delay.
    pub fn max(self) -> Duration {
        Self::UNIT * u32::from(self.max)
    }
}

impl TypedExtension for PlayoutDelay {
    const KINDS: &'static [ExtensionKind] = &[ExtensionKind::PlayoutDelay];
    fn parse(data: &[u8]) -> Result<Self, ExtensionError> {
        let &[a, b, c] = data else {
            return Err(bad_len(ExtensionKind::PlayoutDelay, data.len()));
        };
        let v = u32::from_be_bytes([0, a, b, c]);
        Ok(PlayoutDelay {
            min: (v >> 12) as u16,
            max: (v & 0xFFF) as u16,
        })
    }
    fn encoded_len(&self) -> usize {
        3
    }
    fn encode(&self, out: &mut Vec<u8>) {
        let v = (u32::from(self.min) << 12) | u32::from(self.max);
        out.extend_from_slice(&v.to_be_bytes()[1..]);
    }
}

/// Absolute capture time: when the media was captured, on the capturer's NTP clock (UQ32.32),
/// and optionally that clock's estimated offset to the sender's (Q32.32): 8 or 16 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct AbsCaptureTime {
    /// Capture time, UQ32.32 NTP.
    pub timestamp: u64,
    /// Estimated capture clock offset, Q32.32 (signed).
    pub clock_offset: Option<i64>,
}

impl TypedExtension for AbsCaptureTime {
    const KINDS: &'static [ExtensionKind] = &[ExtensionKind::AbsCaptureTime];
    fn parse(data: &[u8]) -> Result<Self, ExtensionError> {
        let word = |d: &[u8]| u64::from_be_bytes([d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7]]);
        match data.len() {
            8 => Ok(AbsCaptureTime {
                timestamp: word(data),
                clock_offset: None,
            }),
            16 => Ok(AbsCaptureTime {
                timestamp: word(data),
                clock_offset: Some(word(&data[8..]) as i64),
            }),
            n => Err(bad_len(ExtensionKind::AbsCaptureTime, n)),
        }
    }
    fn encoded_len(&self) -> usize {
        if self.clock_offset.is_some() { 16 } else { 8 }
    }
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.timestamp.to_be_bytes());
        if let Some(o) = self.clock_offset {
            out.extend_from_slice(&o.to_be_bytes());
        }
    }
}

/// RFC 5450 §2: transmission time offset, a signed 24-bit count of media clock ticks between
/// the packet's timestamp and its actual send time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct TransmissionOffset(i32);

impl TransmissionOffset {
    /// RFC 5450 §2: the range of a 24-bit two's complement value.
    pub const RANGE: std::ops::RangeInclusive<i32> = -(1 << 23)..=(1 << 23) - 1;

    /// A checked offset in media clock ticks.
    pub fn new(ticks: i32) -> Result<Self, ExtensionError> {
        if !Self::RANGE.contains(&ticks) {
            return Err(ExtensionError::BadValue(ExtensionKind::TransmissionOffset));
        }
        Ok(TransmissionOffset(ticks))
    }

    /// The offset in media clock ticks.
    pub fn ticks(self) -> i32 {
        self.0
    }
}

impl TypedExtension for TransmissionOffset {
    const KINDS: &'static [ExtensionKind] = &[ExtensionKind::TransmissionOffset];
    fn parse(data: &[u8]) -> Result<Self, ExtensionError> {
        let &[a, b, c] = data else {
            return Err(bad_len(ExtensionKind::TransmissionOffset, data.len()));
        };
        // Sign-extend the 24-bit value.
        Ok(TransmissionOffset(i32::from_be_bytes([a, b, c, 0]) >> 8))
    }
    fn encoded_len(&self) -> usize {
        3
    }
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.0.to_be_bytes()[1..]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes<T: TypedExtension>(v: &T) -> Vec<u8> {
        let mut out = Vec::new();
        v.encode(&mut out);
        assert_eq!(out.len(), v.encoded_len());
        out
    }

    #[test]
    fn rfc6464_audio_level() {
        // RFC 6464 §3: V=1, level 42 → -42 dBov.
        let a = AudioLevel::parse(&[0x80 | 42]).unwrap();
        assert!(a.voice());
        assert_eq!(a.level(), 42);
        assert_eq!(a.dbov(), -42);
        assert_eq!(bytes(&a), [0xAA]);
        // 127 is the quietest level; 128 does not exist.
        assert_eq!(AudioLevel::parse(&[0x7F]).unwrap().dbov(), -127);
        assert!(AudioLevel::new(false, 128).is_err());
        assert_eq!(AudioLevel::from_dbov(false, -200.0).level(), 127);
        assert_eq!(AudioLevel::from_dbov(true, -30.4).level(), 30);
        assert!(AudioLevel::parse(&[1, 0]).is_err());
    }

    #[test]
    fn abs_send_time_is_6_18_fixed_point() {
        // 1.5 s = 1.5 * 2^18 = 393216 = 0x060000.
        let t = AbsSendTime::from_duration(Duration::from_millis(1500));
        assert_eq!(t.raw(), 0x06_0000);
        assert_eq!(bytes(&t), [0x06, 0x00, 0x00]);
        assert_eq!(t.to_duration(), Duration::from_millis(1500));
        // Wraps at 64 s.
        assert_eq!(
            AbsSendTime::from_duration(Duration::from_secs(65)).raw(),
            1 << 18
        );
        // NTP 1.5 s (UQ32.32 0x1_8000_0000) gives the same bits.
        assert_eq!(AbsSendTime::from_ntp(0x1_8000_0000), t);
        // The largest value is just under 64 s.
        let max = AbsSendTime::from_raw(0xFF_FFFF).unwrap();
        assert!(max.to_duration() < AbsSendTime::WRAP);
        assert!(AbsSendTime::from_raw(1 << 24).is_none());
    }

    #[test]
    fn transport_cc_01_and_02() {
        assert_eq!(
            TransportCc::parse(&[0x12, 0x34]).unwrap(),
            TransportCc {
                sequence: 0x1234,
                request: None
            }
        );
        let t = TransportCc::parse(&[0x12, 0x34, 0x80, 0x05]).unwrap();
        assert_eq!(
            t.request,
            Some(FeedbackRequest {
                include_timestamps: true,
                sequence_count: 5
            })
        );
        assert_eq!(bytes(&t), [0x12, 0x34, 0x80, 0x05]);
        assert!(TransportCc::parse(&[1, 2, 3]).is_err());
    }

    #[test]
    fn video_orientation_bits() {
        let v = VideoOrientation::parse(&[0b0000_1101]).unwrap();
        assert_eq!(v.camera, CameraDirection::Back);
        assert!(v.flip);
        assert_eq!(v.rotation, Rotation::Deg90);
        // Reserved bits are ignored.
        assert_eq!(VideoOrientation::parse(&[0xF0 | 0b1101]).unwrap(), v);
        assert_eq!(bytes(&v), [0b1101]);
    }

    #[test]
    fn playout_delay_12_bit_fields() {
        let p = PlayoutDelay::parse(&[0x01, 0x40, 0x64]).unwrap();
        assert_eq!((p.min_units(), p.max_units()), (20, 100));
        assert_eq!(p.min(), Duration::from_millis(200));
        assert_eq!(p.max(), Duration::from_secs(1));
        assert_eq!(bytes(&p), [0x01, 0x40, 0x64]);
        assert!(PlayoutDelay::new(4096, 0).is_err());
        assert_eq!(
            PlayoutDelay::from_durations(Duration::ZERO, Duration::from_millis(40950))
                .unwrap()
                .max_units(),
            4095
        );
    }

    #[test]
    fn toffset_is_signed_24_bit() {
        assert_eq!(
            TransmissionOffset::parse(&[0xFF, 0xFF, 0xFE])
                .unwrap()
                .ticks(),
            -2
        );
        assert_eq!(
            TransmissionOffset::parse(&[0x7F, 0xFF, 0xFF])
                .unwrap()
                .ticks(),
            (1 << 23) - 1
        );
        assert_eq!(
            TransmissionOffset::parse(&[0x80, 0, 0]).unwrap().ticks(),
            -(1 << 23)
        );
        assert_eq!(
            bytes(&TransmissionOffset::new(-2).unwrap()),
            [0xFF, 0xFF, 0xFE]
        );
        assert!(TransmissionOffset::new(1 << 23).is_err());
    }

    #[test]
    fn abs_capture_time_8_or_16() {
        let a = AbsCaptureTime::parse(&[0, 0, 0, 1, 0x80, 0, 0, 0]).unwrap();
        assert_eq!(a.timestamp, 0x1_8000_0000);
        assert_eq!(a.clock_offset, None);
        let mut d = vec![0; 8];
        d.extend_from_slice(&(-5i64).to_be_bytes());
        assert_eq!(AbsCaptureTime::parse(&d).unwrap().clock_offset, Some(-5));
        assert!(AbsCaptureTime::parse(&[0; 12]).is_err());
    }

    #[test]
    fn mid_and_rid_syntax() {
        assert_eq!(Mid::parse(b"0").unwrap().as_str(), "0");
        assert_eq!(Mid::parse(b"audio~1").unwrap().as_str(), "audio~1");
        // RFC 4566 token: no spaces, no quotes.
        assert!(Mid::parse(b"a b").is_err());
        assert!(Mid::parse(b"").is_err());
        assert!(Mid::parse(&[b'a'; 256]).is_err());
        assert!(Mid::parse(&[b'a'; 255]).is_ok());
        // RFC 8851 §10: alphanumerics, '-' and '_' only.
        assert_eq!(Rid::parse(b"hi-res_1").unwrap().as_str(), "hi-res_1");
        assert!(Rid::parse(b"hi.res").is_err());
        assert!(RepairedRid::parse(b"r~").is_err());
        assert!(Rid::new("q").is_ok());
    }
}
