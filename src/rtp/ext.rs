//! RTP header extensions (RFC 8285): the one-byte (§4.2) and two-byte (§4.3) forms, mixing them
//! with `extmap-allow-mixed` (§4.1.2, §6), and the id ↔ kind map negotiated with `a=extmap` (§5).
//!
//! A block of any other profile (RFC 3550 §5.3.1) is kept as raw data.

use super::ext_types::TypedExtension;
use super::header::RtpError;

/// RFC 8285 §4.2: the profile of the one-byte form.
pub const ONE_BYTE_PROFILE: u16 = 0xBEDE;
/// RFC 8285 §4.3: the profile of the two-byte form, `0x100` followed by 4 "appbits".
pub const TWO_BYTE_PROFILE: u16 = 0x1000;

/// RFC 8285 §4.2: the one-byte form carries ids 1..=14 (15 is reserved) and 1..=16 bytes.
const ONE_BYTE_MAX_ID: u8 = 14;
const ONE_BYTE_MAX_LEN: usize = 16;
/// RFC 8285 §4.2: id 15 in the one-byte form ends processing of the block.
const ONE_BYTE_STOP_ID: u8 = 15;

/// Why an extension value or element was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ExtensionError {
    /// The data has the wrong length for its kind.
    #[error("header extension {kind:?} has a bad length {len}")]
    BadLength {
        /// The kind.
        kind: ExtensionKind,
        /// The length found.
        len: usize,
    },
    /// The data has the right length but a value its kind forbids.
    #[error("header extension {0:?} has an invalid value")]
    BadValue(ExtensionKind),
    /// An id outside what the form allows (one-byte 1..=14, two-byte 1..=255).
    #[error("header extension id {0} is not allowed here")]
    BadId(u8),
    /// An element's length does not fit the form (one-byte 1..=16, two-byte 0..=255).
    #[error("header extension element of {0} bytes does not fit the form")]
    BadElementLength(usize),
    /// The extensions are a block of another profile (RFC 3550 §5.3.1), not RFC 8285 elements.
    #[error("not an RFC 8285 extension block")]
    NotRfc8285,
    /// A generic block's data is not a whole number of 32-bit words, or too long.
    #[error("generic extension data of {0} bytes is not a whole number of words up to 65535")]
    BadGenericLength(usize),
    /// The extension map has no id for this kind.
    #[error("no extension id negotiated for {0:?}")]
    NotNegotiated(ExtensionKind),
}

/// How an RFC 8285 block is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ExtensionForm {
    /// RFC 8285 §4.2, profile `0xBEDE`: ids 1..=14, 1..=16 bytes each. Always allowed.
    #[default]
    OneByte,
    /// RFC 8285 §4.3, profile `0x100` + `appbits`: ids 1..=255, 0..=255 bytes each.
    TwoByte {
        /// The 4 application bits in the profile's low nibble.
        appbits: u8,
    },
    /// `extmap-allow-mixed` negotiated (RFC 8285 §4.1.2, §6): each packet uses the one-byte form
    /// when every element fits it, the two-byte form (appbits 0) otherwise. Without that
    /// attribute a sender uses [`ExtensionForm::OneByte`], which refuses elements that do not
    /// fit instead of switching forms.
    Mixed,
}

impl ExtensionForm {
    fn allows(self, id: u8, len: usize) -> Result<(), ExtensionError> {
        match self {
            ExtensionForm::OneByte => {
                if !(1..=ONE_BYTE_MAX_ID).contains(&id) {
                    return Err(ExtensionError::BadId(id));
                }
                if !(1..=ONE_BYTE_MAX_LEN).contains(&len) {
                    return Err(ExtensionError::BadElementLength(len));
                }
            }
            ExtensionForm::TwoByte { .. } | ExtensionForm::Mixed => {
                // RFC 8285 §4.3: id 0 is padding; ids 1..=255; an 8-bit length.
                if id == 0 {
                    return Err(ExtensionError::BadId(id));
                }
                if len > 255 {
                    return Err(ExtensionError::BadElementLength(len));
                }
            }
        }
        Ok(())
    }
}

fn fits_one_byte(id: u8, len: usize) -> bool {
    (1..=ONE_BYTE_MAX_ID).contains(&id) && (1..=ONE_BYTE_MAX_LEN).contains(&len)
}

/// A header extension block over borrowed bytes: the profile and the data after the length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExtensionBlock<'a> {
    profile: u16,
    data: &'a [u8],
}

impl<'a> ExtensionBlock<'a> {
    /// Checks a block: for the RFC 8285 profiles, every element lies within `data`.
    pub fn parse(profile: u16, data: &'a [u8]) -> Result<Self, RtpError> {
        let block = ExtensionBlock { profile, data };
        // The same walk as `ExtensionIter::try_next`, without producing the elements: this is on
        // every packet's path.
        let n = data.len();
        let mut i = 0;
        match block.form() {
            None => {}
            Some(ExtensionForm::TwoByte { .. }) => {
                while i < n {
                    if data[i] == 0 {
                        i += 1;
                        continue;
                    }
                    let Some(&len) = data.get(i + 1) else {
                        return Err(RtpError::BadExtension);
                    };
                    i += 2 + usize::from(len);
                    if i > n {
                        return Err(RtpError::BadExtension);
                    }
                }
            }
            Some(_) => {
                while i < n {
                    let b = data[i];
                    match b >> 4 {
                        0 => i += 1,
                        ONE_BYTE_STOP_ID => break,
                        _ => {
                            i += 2 + usize::from(b & 0x0F);
                            if i > n {
                                return Err(RtpError::BadExtension);
                            }
                        }
                    }
                }
            }
        }
        Ok(block)
    }

    pub(crate) fn new_unchecked(profile: u16, data: &'a [u8]) -> Self {
        ExtensionBlock { profile, data }
    }

    /// The profile field.
    pub fn profile(&self) -> u16 {
        self.profile
    }

    /// The block's data (elements and padding).
    pub fn data(&self) -> &'a [u8] {
        self.data
    }

    /// The RFC 8285 form of the block, or `None` for another profile.
    pub fn form(&self) -> Option<ExtensionForm> {
        if self.profile == ONE_BYTE_PROFILE {
            Some(ExtensionForm::OneByte)
        } else if self.profile & 0xFFF0 == TWO_BYTE_PROFILE {
            Some(ExtensionForm::TwoByte {
                appbits: (self.profile & 0x0F) as u8,
            })
        } else {
            None
        }
    }

    /// The elements as `(id, data)`, padding skipped. Empty for a block of another profile.
    pub fn iter(&self) -> ExtensionIter<'a> {
        ExtensionIter {
            data: if self.form().is_some() {
                self.data
            } else {
                &[]
            },
            pos: 0,
            two_byte: matches!(self.form(), Some(ExtensionForm::TwoByte { .. })),
        }
    }

    /// The data of the first element with this id.
    pub fn get(&self, id: u8) -> Option<&'a [u8]> {
        self.iter().find(|&(i, _)| i == id).map(|(_, d)| d)
    }
}

/// Iterator over the elements of an [`ExtensionBlock`]: `(id, data)`.
///
/// On a block that did not come from [`ExtensionBlock::parse`] (or a view), a truncated element
/// ends the iteration; [`ExtensionIter::try_next`] reports it instead.
#[derive(Debug, Clone)]
pub struct ExtensionIter<'a> {
    data: &'a [u8],
    pos: usize,
    two_byte: bool,
}

impl<'a> ExtensionIter<'a> {
    /// The next element, or an error when it runs past the block (which ends the iteration).
    pub fn try_next(&mut self) -> Result<Option<(u8, &'a [u8])>, RtpError> {
        while let Some(&b) = self.data.get(self.pos) {
            if self.two_byte {
                // RFC 8285 §4.3: a zero octet is padding.
                if b == 0 {
                    self.pos += 1;
                    continue;
                }
                let Some(&len) = self.data.get(self.pos + 1) else {
                    self.pos = self.data.len();
                    return Err(RtpError::BadExtension);
                };
                let start = self.pos + 2;
                return self.take(b, start, start + usize::from(len));
            }
            let id = b >> 4;
            // RFC 8285 §4.2: id 0 is padding, one octet.
            if id == 0 {
                self.pos += 1;
                continue;
            }
            // RFC 8285 §4.2: id 15 stops processing; what follows is ignored, not an error.
            if id == ONE_BYTE_STOP_ID {
                self.pos = self.data.len();
                return Ok(None);
            }
            // RFC 8285 §4.2: the 4-bit length is the data length minus one.
            let start = self.pos + 1;
            return self.take(id, start, start + usize::from(b & 0x0F) + 1);
        }
        Ok(None)
    }

    fn take(
        &mut self,
        id: u8,
        start: usize,
        end: usize,
    ) -> Result<Option<(u8, &'a [u8])>, RtpError> {
        match self.data.get(start..end) {
            Some(d) => {
                self.pos = end;
                Ok(Some((id, d)))
            }
            None => {
                self.pos = self.data.len();
                Err(RtpError::BadExtension)
            }
        }
    }
}

impl<'a> Iterator for ExtensionIter<'a> {
    type Item = (u8, &'a [u8]);
    fn next(&mut self) -> Option<Self::Item> {
        self.try_next().ok().flatten()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    Rfc8285(ExtensionForm),
    /// RFC 3550 §5.3.1: another profile, data kept as is.
    Generic(u16),
}

/// The header extensions of an [`RtpHeader`](super::RtpHeader), as a value.
///
/// RFC 8285 elements are kept by id in one buffer (one allocation, none when empty), in the order
/// they were added; adding an id again replaces it. A block of another profile is kept raw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extensions {
    kind: Kind,
    /// `id, len, data[len]` records.
    records: Vec<u8>,
}

impl Default for Extensions {
    fn default() -> Self {
        Extensions::new()
    }
}

impl Extensions {
    /// No extensions, one-byte form.
    pub const fn new() -> Self {
        Extensions {
            kind: Kind::Rfc8285(ExtensionForm::OneByte),
            records: Vec::new(),
        }
    }

    /// No extensions, written in `form`.
    pub const fn with_form(form: ExtensionForm) -> Self {
        Extensions {
            kind: Kind::Rfc8285(form),
            records: Vec::new(),
        }
    }

    /// A block of another profile (RFC 3550 §5.3.1); `data` is whole 32-bit words.
    pub fn generic(profile: u16, data: &[u8]) -> Result<Self, ExtensionError> {
        if !data.len().is_multiple_of(4) || data.len() / 4 > usize::from(u16::MAX) {
            return Err(ExtensionError::BadGenericLength(data.len()));
        }
        Ok(Extensions {
            kind: Kind::Generic(profile),
            records: data.to_vec(),
        })
    }

    /// The value of a parsed block. An RFC 8285 block without elements becomes the empty
    /// default (its form carries no information); a repeated id keeps the last element.
    pub fn from_block(block: &ExtensionBlock<'_>) -> Self {
        let Some(form) = block.form() else {
            return Extensions {
                kind: Kind::Generic(block.profile()),
                records: block.data().to_vec(),
            };
        };
        let mut e = Extensions::with_form(form);
        // One allocation, sized for every record (2 bytes of id and length, then the data).
        e.records
            .reserve_exact(block.iter().map(|(_, d)| 2 + d.len()).sum());
        for (id, data) in block.iter() {
            // The parsed form admits what it carried.
            let _ = e.insert(id, data);
        }
        if e.is_empty() {
            e.kind = Kind::Rfc8285(ExtensionForm::OneByte);
        }
        e
    }

    /// The RFC 8285 form, or `None` for a block of another profile.
    pub fn form(&self) -> Option<ExtensionForm> {
        match self.kind {
            Kind::Rfc8285(f) => Some(f),
            Kind::Generic(_) => None,
        }
    }

    /// Changes the form; fails if an element does not fit the new one.
    pub fn set_form(&mut self, form: ExtensionForm) -> Result<(), ExtensionError> {
        if !matches!(self.kind, Kind::Rfc8285(_)) {
            return Err(ExtensionError::NotRfc8285);
        }
        for (id, data) in self.iter() {
            form.allows(id, data.len())?;
        }
        self.kind = Kind::Rfc8285(form);
        Ok(())
    }

    /// The profile and data of a block of another profile.
    pub fn generic_block(&self) -> Option<(u16, &[u8])> {
        match self.kind {
            Kind::Generic(p) => Some((p, &self.records)),
            Kind::Rfc8285(_) => None,
        }
    }

    /// Number of RFC 8285 elements.
    pub fn len(&self) -> usize {
        self.iter().count()
    }

    /// No elements (and no generic block).
    pub fn is_empty(&self) -> bool {
        matches!(self.kind, Kind::Rfc8285(_)) && self.records.is_empty()
    }

    /// The elements as `(id, data)`, in order.
    pub fn iter(&self) -> impl Iterator<Item = (u8, &[u8])> + '_ {
        let records: &[u8] = match self.kind {
            Kind::Rfc8285(_) => &self.records,
            Kind::Generic(_) => &[],
        };
        RecordIter { records }
    }

    /// The data of the element with this id.
    pub fn get(&self, id: u8) -> Option<&[u8]> {
        self.iter().find(|&(i, _)| i == id).map(|(_, d)| d)
    }

    /// Adds (or replaces) an element, checked against the form.
    pub fn insert(&mut self, id: u8, data: &[u8]) -> Result<(), ExtensionError> {
        self.insert_with(id, data.len(), |out| out.extend_from_slice(data))
    }

    fn insert_with(
        &mut self,
        id: u8,
        len: usize,
        write: impl FnOnce(&mut Vec<u8>),
    ) -> Result<(), ExtensionError> {
        let Kind::Rfc8285(form) = self.kind else {
            return Err(ExtensionError::NotRfc8285);
        };
        form.allows(id, len)?;
        self.remove(id);
        self.records.push(id);
        // `allows` bounds every form's length by 255.
        self.records.push(len as u8);
        let start = self.records.len();
        write(&mut self.records);
        debug_assert_eq!(
            self.records.len() - start,
            len,
            "encoded_len agrees with encode"
        );
        Ok(())
    }

    /// Removes the element with this id; whether there was one.
    pub fn remove(&mut self, id: u8) -> bool {
        if !matches!(self.kind, Kind::Rfc8285(_)) {
            return false;
        }
        let mut pos = 0;
        while let &[rid, len, ..] = &self.records[pos..] {
            let end = pos + 2 + usize::from(len);
            if rid == id {
                self.records.drain(pos..end);
                return true;
            }
            pos = end;
        }
        false
    }

    /// Parses the element of `T`'s kind, found by its negotiated id.
    pub fn get_typed<T: TypedExtension>(
        &self,
        map: &ExtensionMap,
    ) -> Option<Result<T, ExtensionError>> {
        let id = T::KINDS.iter().find_map(|&k| map.id(k))?;
        self.get(id).map(T::parse)
    }

    /// Writes a typed value under its negotiated id.
    pub fn insert_typed<T: TypedExtension>(
        &mut self,
        map: &ExtensionMap,
        value: &T,
    ) -> Result<(), ExtensionError> {
        let id = T::KINDS
            .iter()
            .find_map(|&k| map.id(k))
            .ok_or(ExtensionError::NotNegotiated(T::KINDS[0]))?;
        self.insert_with(id, value.encoded_len(), |out| value.encode(out))
    }

    /// Whether the one-byte form is written (else two-byte, or a generic block).
    fn writes_one_byte(&self) -> bool {
        match self.kind {
            Kind::Rfc8285(ExtensionForm::OneByte) => true,
            Kind::Rfc8285(ExtensionForm::TwoByte { .. }) | Kind::Generic(_) => false,
            // RFC 8285 §4.1.2: with mixing allowed, the one-byte form when everything fits it.
            Kind::Rfc8285(ExtensionForm::Mixed) => {
                self.iter().all(|(id, d)| fits_one_byte(id, d.len()))
            }
        }
    }

    /// Length of the block on the wire, profile and length fields included; 0 when no block is
    /// written (no elements).
    pub(crate) fn block_len(&self) -> usize {
        match self.kind {
            Kind::Generic(_) => 4 + self.records.len(),
            Kind::Rfc8285(_) if self.records.is_empty() => 0,
            Kind::Rfc8285(_) => {
                let per = if self.writes_one_byte() { 1 } else { 2 };
                let body: usize = self.iter().map(|(_, d)| per + d.len()).sum();
                // RFC 3550 §5.3.1: the block is a whole number of 32-bit words; RFC 8285 §4.1
                // pads with zero octets.
                4 + body.next_multiple_of(4)
            }
        }
    }

    /// Writes the block into `dst`, exactly `block_len()` bytes.
    pub(crate) fn write_block(&self, dst: &mut [u8]) {
        if dst.is_empty() {
            return;
        }
        let (head, body) = dst.split_at_mut(4);
        // At most 255 elements of at most 257 bytes, or a checked generic length: it fits 16 bits.
        let words = (body.len() / 4) as u16;
        let profile = match self.kind {
            Kind::Generic(p) => {
                body.copy_from_slice(&self.records);
                p
            }
            Kind::Rfc8285(form) => {
                let one_byte = self.writes_one_byte();
                let mut pos = 0;
                for (id, d) in self.iter() {
                    if one_byte {
                        body[pos] = (id << 4) | (d.len() as u8 - 1);
                        pos += 1;
                    } else {
                        body[pos] = id;
                        body[pos + 1] = d.len() as u8;
                        pos += 2;
                    }
                    body[pos..pos + d.len()].copy_from_slice(d);
                    pos += d.len();
                }
                body[pos..].fill(0);
                match form {
                    _ if one_byte => ONE_BYTE_PROFILE,
                    ExtensionForm::TwoByte { appbits } => {
                        TWO_BYTE_PROFILE | u16::from(appbits & 0x0F)
                    }
                    _ => TWO_BYTE_PROFILE,
                }
            }
        };
        head[..2].copy_from_slice(&profile.to_be_bytes());
        head[2..].copy_from_slice(&words.to_be_bytes());
    }
}

struct RecordIter<'a> {
    records: &'a [u8],
}

impl<'a> Iterator for RecordIter<'a> {
    type Item = (u8, &'a [u8]);
    fn next(&mut self) -> Option<Self::Item> {
        let [id, len, rest @ ..] = self.records else {
            return None;
        };
        let (data, tail) = rest.split_at_checked(usize::from(*len))?;
        self.records = tail;
        Some((*id, data))
    }
}

/// The header extensions this crate knows by URI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum ExtensionKind {
    /// RFC 8843 §15: the media identification (MID).
    Mid,
    /// RFC 8852 §3.1: RtpStreamId.
    Rid,
    /// RFC 8852 §3.2: RepairedRtpStreamId.
    RepairedRid,
    /// Absolute send time (webrtc.org experiment).
    AbsSendTime,
    /// Transport-wide sequence number, draft-holmer-rmcat-transport-wide-cc-extensions-01.
    TransportCc,
    /// Transport-wide sequence number with the optional feedback request (the -02 variant).
    TransportCc02,
    /// RFC 6464: client-to-mixer audio level.
    AudioLevel,
    /// 3GPP TS 26.114 §7.4.5: coordination of video orientation.
    VideoOrientation,
    /// Playout delay limits (webrtc.org experiment).
    PlayoutDelay,
    /// Absolute capture time (webrtc.org experiment).
    AbsCaptureTime,
    /// RFC 5450: transmission time offset.
    TransmissionOffset,
    /// AV1 RTP specification Appendix A: the dependency descriptor.
    DependencyDescriptor,
}

impl ExtensionKind {
    /// Every kind, in declaration order.
    pub const ALL: [ExtensionKind; 12] = [
        ExtensionKind::Mid,
        ExtensionKind::Rid,
        ExtensionKind::RepairedRid,
        ExtensionKind::AbsSendTime,
        ExtensionKind::TransportCc,
        ExtensionKind::TransportCc02,
        ExtensionKind::AudioLevel,
        ExtensionKind::VideoOrientation,
        ExtensionKind::PlayoutDelay,
        ExtensionKind::AbsCaptureTime,
        ExtensionKind::TransmissionOffset,
        ExtensionKind::DependencyDescriptor,
    ];

    /// RFC 8843 §15.
    pub const MID_URI: &'static str = "urn:ietf:params:rtp-hdrext:sdes:mid";
    /// RFC 8852 §3.1.
    pub const RID_URI: &'static str = "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id";
    /// RFC 8852 §3.2.
    pub const REPAIRED_RID_URI: &'static str =
        "urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id";
    /// Absolute send time.
    pub const ABS_SEND_TIME_URI: &'static str =
        "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time";
    /// Transport-wide congestion control, -01.
    pub const TRANSPORT_CC_URI: &'static str =
        "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01";
    /// Transport-wide congestion control, -02 (feedback requests).
    pub const TRANSPORT_CC_02_URI: &'static str =
        "http://www.webrtc.org/experiments/rtp-hdrext/transport-wide-cc-02";
    /// RFC 6464 §4.
    pub const AUDIO_LEVEL_URI: &'static str = "urn:ietf:params:rtp-hdrext:ssrc-audio-level";
    /// 3GPP TS 26.114.
    pub const VIDEO_ORIENTATION_URI: &'static str = "urn:3gpp:video-orientation";
    /// Playout delay.
    pub const PLAYOUT_DELAY_URI: &'static str =
        "http://www.webrtc.org/experiments/rtp-hdrext/playout-delay";
    /// Absolute capture time.
    pub const ABS_CAPTURE_TIME_URI: &'static str =
        "http://www.webrtc.org/experiments/rtp-hdrext/abs-capture-time";
    /// RFC 5450 §5.
    pub const TOFFSET_URI: &'static str = "urn:ietf:params:rtp-hdrext:toffset";
    /// AV1 RTP specification §A.9.
    pub const DEPENDENCY_DESCRIPTOR_URI: &'static str =
        "https://aomediacodec.github.io/av1-rtp-spec/#dependency-descriptor-rtp-header-extension";

    /// The URI negotiated in `a=extmap`.
    pub fn uri(self) -> &'static str {
        match self {
            ExtensionKind::Mid => Self::MID_URI,
            ExtensionKind::Rid => Self::RID_URI,
            ExtensionKind::RepairedRid => Self::REPAIRED_RID_URI,
            ExtensionKind::AbsSendTime => Self::ABS_SEND_TIME_URI,
            ExtensionKind::TransportCc => Self::TRANSPORT_CC_URI,
            ExtensionKind::TransportCc02 => Self::TRANSPORT_CC_02_URI,
            ExtensionKind::AudioLevel => Self::AUDIO_LEVEL_URI,
            ExtensionKind::VideoOrientation => Self::VIDEO_ORIENTATION_URI,
            ExtensionKind::PlayoutDelay => Self::PLAYOUT_DELAY_URI,
            ExtensionKind::AbsCaptureTime => Self::ABS_CAPTURE_TIME_URI,
            ExtensionKind::TransmissionOffset => Self::TOFFSET_URI,
            ExtensionKind::DependencyDescriptor => Self::DEPENDENCY_DESCRIPTOR_URI,
        }
    }

    /// The kind of a URI, if this crate knows it (exact match: RFC 8285 §5 URIs are compared
    /// as strings).
    pub fn from_uri(uri: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.uri() == uri)
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// Negotiated extension ids (RFC 8285 §5, `a=extmap:<id> <uri>`): id ↔ [`ExtensionKind`] both
/// ways in constant time. Ids of URIs this crate does not know are not kept: their elements stay
/// raw, by id, in [`Extensions`].
#[derive(Clone, PartialEq, Eq)]
pub struct ExtensionMap {
    by_id: [Option<ExtensionKind>; 256],
    by_kind: [u8; ExtensionKind::ALL.len()],
}

impl Default for ExtensionMap {
    fn default() -> Self {
        ExtensionMap::new()
    }
}

impl std::fmt::Debug for ExtensionMap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl ExtensionMap {
    /// An empty map.
    pub const fn new() -> Self {
        ExtensionMap {
            by_id: [None; 256],
            by_kind: [0; ExtensionKind::ALL.len()],
        }
    }

    /// Maps `id` to `kind`, replacing what either had. Ids are 1..=255 except 15.
    // DEVIATION(RFC 8285 §5): 15 is reserved only in the one-byte form (§4.2), but an id usable
    // in one form alone would break the form switch of `extmap-allow-mixed`, so it is refused
    // outright (browsers never offer it).
    pub fn insert(&mut self, id: u8, kind: ExtensionKind) -> Result<(), ExtensionError> {
        if id == 0 || id == ONE_BYTE_STOP_ID {
            return Err(ExtensionError::BadId(id));
        }
        self.remove_kind(kind);
        if let Some(old) = self.by_id[usize::from(id)].take() {
            self.by_kind[old.index()] = 0;
        }
        self.by_id[usize::from(id)] = Some(kind);
        self.by_kind[kind.index()] = id;
        Ok(())
    }

    /// Maps `id` to the kind of `uri`; `Ok(None)` (and nothing stored) for an unknown URI.
    pub fn insert_uri(
        &mut self,
        id: u8,
        uri: &str,
    ) -> Result<Option<ExtensionKind>, ExtensionError> {
        let Some(kind) = ExtensionKind::from_uri(uri) else {
            return Ok(None);
        };
        self.insert(id, kind)?;
        Ok(Some(kind))
    }

    /// Removes the mapping of `kind`.
    pub fn remove_kind(&mut self, kind: ExtensionKind) {
        let id = std::mem::take(&mut self.by_kind[kind.index()]);
        if id != 0 {
            self.by_id[usize::from(id)] = None;
        }
    }

    /// The kind negotiated for `id`.
    pub fn kind(&self, id: u8) -> Option<ExtensionKind> {
        self.by_id[usize::from(id)]
    }

    /// The id negotiated for `kind`.
    pub fn id(&self, kind: ExtensionKind) -> Option<u8> {
        match self.by_kind[kind.index()] {
            0 => None,
            id => Some(id),
        }
    }

    /// `(id, kind)` pairs by increasing id.
    pub fn iter(&self) -> impl Iterator<Item = (u8, ExtensionKind)> + '_ {
        self.by_id
            .iter()
            .enumerate()
            .filter_map(|(id, k)| k.map(|k| (id as u8, k)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(profile: u16, data: &[u8]) -> Result<Vec<(u8, Vec<u8>)>, RtpError> {
        let b = ExtensionBlock::parse(profile, data)?;
        Ok(b.iter().map(|(i, d)| (i, d.to_vec())).collect())
    }

    /// RFC 8285 §4.2's figure: ids 1 (1 byte), 2 (2 bytes), two padding octets, 3 (4 bytes).
    #[test]
    fn rfc8285_one_byte_example() {
        let data = [
            0x10, 0xAA, 0x21, 0xBB, 0xBB, 0x00, 0x00, 0x33, 0xCC, 0xCC, 0xCC, 0xCC,
        ];
        assert_eq!(
            block(ONE_BYTE_PROFILE, &data).unwrap(),
            vec![(1, vec![0xAA]), (2, vec![0xBB; 2]), (3, vec![0xCC; 4])]
        );
        // Re-encoded by the value: same elements, padded to a word, same bytes here except that
        // the padding moves to the end.
        let mut e = Extensions::new();
        for (i, d) in block(ONE_BYTE_PROFILE, &data).unwrap() {
            e.insert(i, &d).unwrap();
        }
        let mut out = vec![0; e.block_len()];
        e.write_block(&mut out);
        assert_eq!(
            out,
            [
                0xBE, 0xDE, 0, 3, 0x10, 0xAA, 0x21, 0xBB, 0xBB, 0x33, 0xCC, 0xCC, 0xCC, 0xCC, 0, 0
            ]
        );
    }

    /// RFC 8285 §4.3's figure: two-byte form, id 1 (0 bytes), id 2 (1 byte), padding, id 3.
    #[test]
    fn rfc8285_two_byte_example() {
        let data = [
            0x01, 0x00, 0x02, 0x01, 0xBB, 0x00, 0x03, 0x04, 0xCC, 0xCC, 0xCC, 0xCC,
        ];
        assert_eq!(
            block(0x1005, &data).unwrap(),
            vec![(1, vec![]), (2, vec![0xBB]), (3, vec![0xCC; 4])]
        );
        let b = ExtensionBlock::parse(0x1005, &data).unwrap();
        assert_eq!(b.form(), Some(ExtensionForm::TwoByte { appbits: 5 }));
        let e = Extensions::from_block(&b);
        let mut out = vec![0; e.block_len()];
        e.write_block(&mut out);
        assert_eq!(&out[..4], [0x10, 0x05, 0, 3]);
    }

    #[test]
    fn id_15_stops_parsing() {
        // RFC 8285 §4.2: elements after id 15 are ignored, even malformed ones.
        let data = [0x10, 0xAA, 0xF3, 0x2F, 0x00, 0x00];
        assert_eq!(
            block(ONE_BYTE_PROFILE, &data).unwrap(),
            vec![(1, vec![0xAA])]
        );
    }

    #[test]
    fn truncated_elements_are_errors() {
        assert_eq!(
            block(ONE_BYTE_PROFILE, &[0x13, 1, 2, 3]),
            Err(RtpError::BadExtension)
        );
        assert_eq!(
            block(0x1000, &[0x01, 0x04, 1, 2]),
            Err(RtpError::BadExtension)
        );
        assert_eq!(
            block(0x1000, &[0x00, 0x00, 0x00, 0x07]),
            Err(RtpError::BadExtension)
        );
        // The infallible iterator just stops.
        let b = ExtensionBlock::new_unchecked(ONE_BYTE_PROFILE, &[0x10, 9, 0x13, 1]);
        assert_eq!(b.iter().count(), 1);
    }

    #[test]
    fn other_profiles_are_raw() {
        let b = ExtensionBlock::parse(0xABCD, &[0x13, 1, 2, 3]).unwrap();
        assert_eq!(b.form(), None);
        assert_eq!(b.iter().count(), 0);
        let e = Extensions::from_block(&b);
        assert_eq!(e.generic_block(), Some((0xABCD, &[0x13, 1, 2, 3][..])));
        assert_eq!(e.block_len(), 8);
    }

    #[test]
    fn one_byte_form_refuses_what_does_not_fit() {
        let mut e = Extensions::new();
        assert_eq!(e.insert(15, &[1]), Err(ExtensionError::BadId(15)));
        assert_eq!(e.insert(0, &[1]), Err(ExtensionError::BadId(0)));
        assert_eq!(e.insert(1, &[]), Err(ExtensionError::BadElementLength(0)));
        assert_eq!(
            e.insert(1, &[0; 17]),
            Err(ExtensionError::BadElementLength(17))
        );
        e.insert(14, &[0; 16]).unwrap();
    }

    #[test]
    fn mixed_picks_the_form_per_packet() {
        // RFC 8285 §4.1.2: one-byte while everything fits, two-byte otherwise.
        let mut e = Extensions::with_form(ExtensionForm::Mixed);
        e.insert(3, &[1, 2]).unwrap();
        assert!(e.writes_one_byte());
        e.insert(20, &[5]).unwrap();
        assert!(!e.writes_one_byte());
        let mut out = vec![0; e.block_len()];
        e.write_block(&mut out);
        assert_eq!(out, [0x10, 0x00, 0, 2, 3, 2, 1, 2, 20, 1, 5, 0]);
        e.remove(20);
        e.insert(4, &[]).unwrap();
        assert!(
            !e.writes_one_byte(),
            "an empty element needs the two-byte form"
        );
        // Without allow-mixed the one-byte form refuses the element.
        assert_eq!(
            e.set_form(ExtensionForm::OneByte),
            Err(ExtensionError::BadElementLength(0))
        );
    }

    #[test]
    fn insert_replaces_the_same_id() {
        let mut e = Extensions::new();
        e.insert(1, &[1]).unwrap();
        e.insert(2, &[2]).unwrap();
        e.insert(1, &[3, 3]).unwrap();
        assert_eq!(
            e.iter().collect::<Vec<_>>(),
            [(2, &[2][..]), (1, &[3, 3][..])]
        );
        assert!(e.remove(2));
        assert!(!e.remove(2));
        assert_eq!(e.len(), 1);
    }

    #[test]
    fn map_both_ways() {
        let mut m = ExtensionMap::new();
        assert_eq!(
            m.insert_uri(3, ExtensionKind::MID_URI),
            Ok(Some(ExtensionKind::Mid))
        );
        assert_eq!(m.insert_uri(4, "urn:example:unknown"), Ok(None));
        assert_eq!(m.kind(3), Some(ExtensionKind::Mid));
        assert_eq!(m.id(ExtensionKind::Mid), Some(3));
        assert_eq!(m.kind(4), None);
        // Re-mapping the kind frees its old id; re-using an id drops its old kind.
        m.insert(5, ExtensionKind::Mid).unwrap();
        assert_eq!(m.kind(3), None);
        m.insert(5, ExtensionKind::AudioLevel).unwrap();
        assert_eq!(m.id(ExtensionKind::Mid), None);
        assert_eq!(
            m.insert(0, ExtensionKind::Mid),
            Err(ExtensionError::BadId(0))
        );
        assert_eq!(
            m.insert(15, ExtensionKind::Mid),
            Err(ExtensionError::BadId(15))
        );
        m.insert(255, ExtensionKind::Mid).unwrap();
        assert_eq!(
            m.iter().collect::<Vec<_>>(),
            [(5, ExtensionKind::AudioLevel), (255, ExtensionKind::Mid)]
        );
        for k in ExtensionKind::ALL {
            assert_eq!(ExtensionKind::from_uri(k.uri()), Some(k));
        }
    }
}
