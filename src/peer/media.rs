//! Media in the peer (DESIGN §9): transceivers and their commands, what JSEP negotiated for
//! them, SRTP keyed from DTLS, the inbound path (unprotect → parse → SSRC table → event) and
//! the outbound path (header → protect → transmit), keyframe requests and RTCP reports.

use super::*;
use crate::media::MediaKind;
use crate::media::codec::{self, Codec, CodecName};
use crate::media::report::{
    InboundStream, NtpClock, OutboundStream, RtcpSchedule, RtcpScheduleConfig,
};
use crate::media::transceiver::{
    MediaError, ReceiveMode, SendEncoding, SendParameters, SendStream, TrackInfo, Transceiver,
    TransceiverId, TransceiverInit, TransceiverState, check_encodings, check_parameters_change,
    check_receive_rids,
};
use crate::rng::Rng;
use crate::rtcp::{CompoundReader, Fir, FirEntry, Pli, ReceiverReport, RtcpPacket, Sdes};
use crate::rtp::{ExtensionKind, ExtensionMap, RtpHeader, RtpView};
use crate::sdp::media::{
    feedback_of, is_rtp_section, remote_msid, remote_recv_rids, remote_rtx_pairs, remote_send_rids,
    remote_ssrcs, section_direction, section_extensions, sends_receives,
};
use crate::sdp::{Direction, LocalMedia, SdpAttribute};
use crate::srtp::{SrtpConfig, SrtpSession};
use crate::vecmap::SortedVec;
use bytes::{Bytes, BytesMut};
use std::sync::Arc;

/// Most remote SSRCs the peer learns (signalled or from packets); packets of more are dropped
/// and counted. A browser sends 2 per audio and up to 6 per simulcast video section.
const MAX_REMOTE_SSRCS: usize = 256;

/// A remote SSRC silent this long may give its place in a full table to a new one: RFC 3550
/// §6.3.5's participant timeout, M × Td with M = 5 and Td at its 5 s minimum (§6.2).
const ROUTE_IDLE_TIMEOUT: Duration = Duration::from_secs(25);

/// Keyframe requests from the remote for one stream are reported at most this often
/// (coalesced): a PLI storm becomes one event per interval.
const KEYFRAME_EVENT_INTERVAL: Duration = Duration::from_millis(200);

/// Transport-wide feedback goes out this often while packets arrive (libwebrtc: 50–250 ms by
/// bitrate; 100 ms is its value around 1 Mbit/s).
const TWCC_FEEDBACK_INTERVAL: Duration = Duration::from_millis(100);

/// The size of the chunks outgoing RTP packets are carved from (about 13 video packets): a
/// chunk is freed when the last packet written into it has been transmitted.
const OUT_CHUNK: usize = 16 * 1024;

/// Most protected packets waiting for a path (no selected pair yet, or the application not
/// polling); beyond it the oldest is dropped and counted.
const MAX_QUEUED_OUT: usize = 1024;

/// Most arrivals held for the next transport-wide feedback; older ones are reported lost.
const TWCC_MAX_PENDING: usize = 2048;

/// What media the peer dropped, by reason.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct MediaDrops {
    /// SRTP/SRTCP before DTLS gave keys, or on a peer without transceivers.
    pub before_keys: u64,
    /// SRTP that did not authenticate, replays, and the rest of [`crate::srtp::SrtpDrop`].
    pub srtp: u64,
    /// RTP that did not parse after unprotecting.
    pub malformed: u64,
    /// RTP of an SSRC no section claims (no signalled SSRC, MID, RID or unique payload type),
    /// or past the SSRC table's limit.
    pub unknown_ssrc: u64,
    /// RTP of a payload type not negotiated for its section.
    pub unknown_payload_type: u64,
    /// RTP for a section that does not receive.
    pub not_receiving: u64,
    /// RTX (retransmissions and padding probes): not requested by this peer yet.
    pub rtx: u64,
    /// RTCP packets that did not parse.
    pub rtcp_malformed: u64,
    /// Keyframe requests coalesced into an earlier event.
    pub keyframe_requests_coalesced: u64,
    /// Outgoing packets dropped because more than 1,024 waited for a path.
    pub send_queue_full: u64,
    /// Remote SSRCs forgotten to make room for a new one in the full table (silent for 25 s,
    /// RFC 3550 §6.3.5).
    pub routes_expired: u64,
}

/// One remote SSRC's route to a transceiver, and its receive statistics.
#[derive(Debug)]
struct Route {
    transceiver: TransceiverId,
    /// The transceiver's mid, shared with every packet delivered (no copy per packet).
    mid: Arc<str>,
    rid: Option<Arc<str>>,
    rtx: bool,
    /// For an RTX stream: the SSRC it repairs (its FID group, or the primary stream with its
    /// repaired-rid).
    primary: Option<u32>,
    /// For a primary stream: retransmissions received on its RTX stream (W3C inbound-rtp).
    rtx_packets: u64,
    rtx_bytes: u64,
    /// Named by an `a=ssrc` line of the remote description (else learned from a packet).
    signalled: bool,
    /// The last RTP or RTCP packet from this SSRC (RFC 3550 §6.3.5 counts both).
    last_seen: Instant,
    stats: InboundStream,
    /// The last payload type received (W3C inbound-rtp `codecId`).
    last_pt: Option<u8>,
    /// Keyframe requests we sent for this stream.
    pli_sent: u32,
    fir_sent: u32,
}

impl Route {
    fn new(t: &TransceiverState, ssrc: u32, clock: u32, signalled: bool, now: Instant) -> Self {
        Route {
            transceiver: t.id,
            mid: t.mid.as_deref().unwrap_or_default().into(),
            rid: None,
            rtx: false,
            primary: None,
            rtx_packets: 0,
            rtx_bytes: 0,
            signalled,
            last_seen: now,
            stats: InboundStream::new(ssrc, clock),
            last_pt: None,
            pli_sent: 0,
            fir_sent: 0,
        }
    }
}

/// A received RTP packet (W3C has no RTP face; this is the SFU/recorder one, DESIGN §9).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RtpPacket {
    /// The transceiver it arrived on.
    pub transceiver: TransceiverId,
    /// Its section's mid.
    pub mid: Arc<str>,
    /// The RFC 8852 rid (simulcast), from the RID extension or the SSRC it was learned with.
    pub rid: Option<Arc<str>>,
    /// The remote SSRC.
    pub ssrc: u32,
    /// The payload type.
    pub payload_type: u8,
    /// The codec of that payload type.
    pub codec: CodecName,
    /// The sequence number extended with its roll-overs (RFC 3550 §A.1).
    pub sequence_number: u64,
    /// The header as received (extensions by their negotiated ids; see
    /// [`Peer::extension_id`]).
    pub header: RtpHeader,
    /// The payload (no copy of the datagram's bytes).
    pub payload: Bytes,
    /// When it arrived.
    pub arrival: Instant,
}

/// What the application sends on a transceiver ([`Peer::send_rtp`]): the peer fills in the
/// SSRC, sequence number, payload type's negotiated value and extension ids.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RtpOut {
    /// A payload type negotiated for the transceiver ([`Transceiver::codecs`]).
    pub payload_type: u8,
    /// Media timestamp at the codec's clock rate (the peer adds its random offset).
    pub timestamp: u32,
    /// The M bit.
    pub marker: bool,
    /// The payload.
    pub payload: Bytes,
    /// The encoding (simulcast rid); None for the first.
    pub rid: Option<String>,
    /// Forwarding: the original sequence number. The peer keeps the distance between the
    /// numbers it is given (gaps stay gaps); None numbers packets consecutively.
    pub sequence_number: Option<u16>,
    /// RFC 6464 audio level (voice activity, level in -dBov), written when negotiated.
    pub audio_level: Option<(bool, u8)>,
    /// Other header extension values, written under their negotiated ids (skipped when the
    /// kind is not negotiated): e.g. a forwarded AV1 dependency descriptor, taken from the
    /// received packet's header with [`Peer::extension_id`]. Values over 16 bytes use the
    /// two-byte form (RFC 8285 §4.3; `extmap-allow-mixed`, which sansrtc always offers).
    pub extensions: Vec<(ExtensionKind, Bytes)>,
}

/// Which message asked for a keyframe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyframeRequestKind {
    /// RFC 4585 §6.3.1 Picture Loss Indication.
    Pli,
    /// RFC 5104 §4.3.1 Full Intra Request.
    Fir,
}

/// The media part of the peer.
pub(super) struct MediaState {
    pub(super) transceivers: Vec<TransceiverState>,
    next_id: u32,
    rng: Rng,
    cname: String,
    /// The SRTP contexts, made from `keys` once there is a transceiver: a data-only peer keeps
    /// 60 bytes of keying material, not four expanded key schedules.
    srtp: Option<Box<SrtpSession>>,
    keys: Option<(crate::dtls::SrtpProfile, Vec<u8>, DtlsRole)>,
    routes: SortedVec<u32, Route>,
    /// Protected packets waiting for the selected pair.
    pub(super) out: VecDeque<Bytes>,
    /// transport-wide sequence number (draft-holmer §2).
    twcc_seq: u16,
    /// Last keyframe event per (our SSRC).
    keyframe_events: SortedVec<u32, Instant>,
    fir_seq: u8,
    schedule: Option<RtcpSchedule>,
    clock: NtpClock,
    pub(super) drops: MediaDrops,
    /// Remote extension ids (shared by the BUNDLE group, RFC 8843 §9.1: one RTP session, one id space).
    mid_ext: Option<u8>,
    rid_ext: Option<u8>,
    repaired_rid_ext: Option<u8>,
    rtcp_rsize: bool,
    /// The transport-cc extension's id, when the remote sends it and asked for feedback
    /// (`a=rtcp-fb:* transport-cc`).
    twcc_ext: Option<u8>,
    /// Arrivals not yet reported: (extended transport-wide sequence number, time since
    /// `epoch`).
    twcc_pending: VecDeque<(i64, Duration)>,
    twcc_in_seq: crate::rtp::SeqExtender,
    twcc_fb_count: u8,
    twcc_next: Option<Instant>,
    epoch: Instant,
    /// Outgoing RTP is written here and split off: one allocation per [`OUT_CHUNK`] bytes
    /// of packets, not one per packet (empty until the first packet).
    out_pool: BytesMut,
}

impl std::fmt::Debug for MediaState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MediaState")
            .field("transceivers", &self.transceivers.len())
            .field("routes", &self.routes.len())
            .finish_non_exhaustive()
    }
}

impl MediaState {
    /// The table is full and a new SSRC arrived: the route silent longest (learned ones
    /// before signalled ones, which are found again by their `a=ssrc` line) goes if it has been
    /// silent for [`ROUTE_IDLE_TIMEOUT`] (RFC 3550 §6.3.5: a participant silent that long has
    /// timed out). Routes are not expired otherwise: libwebrtc stops sending the MID and RID
    /// extensions once an SSRC is acknowledged, so a paused simulcast layer that comes back
    /// could not be learned again.
    fn evict_idle_route(&mut self, now: Instant) -> bool {
        let oldest = self
            .routes
            .iter()
            .min_by_key(|(_, r)| (r.signalled, r.last_seen))
            .filter(|(_, r)| now.saturating_duration_since(r.last_seen) >= ROUTE_IDLE_TIMEOUT)
            .map(|(s, _)| *s);
        match oldest {
            Some(s) => {
                self.routes.remove(&s);
                self.drops.routes_expired += 1;
                true
            }
            None => false,
        }
    }

    /// Queues a protected packet, dropping the oldest past [`MAX_QUEUED_OUT`].
    fn queue_out(&mut self, packet: Bytes) {
        if self.out.len() >= MAX_QUEUED_OUT {
            self.out.pop_front();
            self.drops.send_queue_full += 1;
        }
        self.out.push_back(packet);
    }

    pub(super) fn new(mut rng: Rng, now: Instant) -> Self {
        // RFC 7022 §4.2: a random CNAME per peer connection; §5: 96 random bits, 16 base64 characters.
        let mut raw = [0u8; 12];
        rng.fill_bytes(&mut raw);
        let cname = base64_of(&raw);
        let clock = NtpClock::fixed(now);
        Self {
            transceivers: Vec::new(),
            next_id: 0,
            rng,
            cname,
            srtp: None,
            keys: None,
            routes: SortedVec::default(),
            out: VecDeque::new(),
            twcc_seq: 0,
            keyframe_events: SortedVec::default(),
            fir_seq: 0,
            schedule: None,
            clock,
            drops: MediaDrops::default(),
            mid_ext: None,
            rid_ext: None,
            repaired_rid_ext: None,
            rtcp_rsize: false,
            twcc_ext: None,
            twcc_pending: VecDeque::new(),
            twcc_in_seq: crate::rtp::SeqExtender::default(),
            twcc_fb_count: 0,
            twcc_next: None,
            epoch: now,
            out_pool: BytesMut::new(),
        }
    }

    /// Makes the SRTP contexts from the exported keys when there is media to protect.
    fn ensure_srtp(&mut self) -> bool {
        if self.srtp.is_none()
            && !self.transceivers.is_empty()
            && let Some((profile, material, role)) = &self.keys
        {
            self.srtp =
                SrtpSession::from_keying_material(*profile, material, *role, SrtpConfig::default())
                    .ok()
                    .map(Box::new);
        }
        self.srtp.is_some()
    }

    fn index(&self, id: TransceiverId) -> Option<usize> {
        self.transceivers.iter().position(|t| t.id == id)
    }

    fn get(&self, id: TransceiverId) -> Result<&TransceiverState, MediaError> {
        self.transceivers
            .iter()
            .find(|t| t.id == id)
            .ok_or(MediaError::UnknownTransceiver)
    }

    fn get_mut(&mut self, id: TransceiverId) -> Result<&mut TransceiverState, MediaError> {
        self.transceivers
            .iter_mut()
            .find(|t| t.id == id)
            .ok_or(MediaError::UnknownTransceiver)
    }

    /// A new send stream: SSRCs not used by us or seen from the remote, a random sequence
    /// start below 2^15 and a random timestamp offset (RFC 3550 §5.1, §8.1).
    fn new_stream(&mut self, kind: MediaKind, rid: Option<String>, clock_rate: u32) -> SendStream {
        let ssrc = self.fresh_ssrc();
        let rtx_ssrc = (kind == MediaKind::Video).then(|| self.fresh_ssrc());
        SendStream {
            ssrc,
            rtx_ssrc,
            rid,
            next_seq: (self.rng.next_u32() & 0x7fff) as u16,
            timestamp_offset: self.rng.next_u32(),
            stats: OutboundStream::new(ssrc, clock_rate),
            forward_offset: None,
            pli_received: 0,
            fir_received: 0,
            nack_received: 0,
        }
    }

    /// W3C SRD (webrtc-pc §4.4.1.6, "proposed send encodings"): a remote offer asks
    /// transceiver `i`, not negotiated yet, to send simulcast with `rids` (its
    /// `a=simulcast:recv`). A sender of one encoding without a rid takes the offer's rids; a
    /// sender with rids keeps those the offer lists (RFC 8853 §5.3: the answerer may not add
    /// any); no simulcast in the offer leaves the first encoding only.
    fn adopt_offered_simulcast(&mut self, i: usize, rids: &[String]) {
        let t = &self.transceivers[i];
        if t.current_direction.is_some() || t.send.iter().any(|s| s.stats.has_sent()) {
            return;
        }
        let has_rids = t.encodings.iter().any(|e| e.rid.is_some());
        if rids.is_empty() || has_rids {
            let keep: Vec<String> = t
                .encodings
                .iter()
                .filter_map(|e| e.rid.clone())
                .filter(|r| rids.contains(r))
                .collect();
            if !keep.is_empty() || rids.is_empty() {
                self.keep_encodings(i, &keep);
                return;
            }
        }
        // One rid-less encoding (or none of ours offered): the offer's rids, the first taking
        // the existing encoding's settings and stream.
        let (kind, clock) = {
            let t = &self.transceivers[i];
            (
                t.kind,
                if t.kind == MediaKind::Audio {
                    48_000
                } else {
                    90_000
                },
            )
        };
        let extra: Vec<SendStream> = rids[1..]
            .iter()
            .map(|r| self.new_stream(kind, Some(r.clone()), clock))
            .collect();
        let t = &mut self.transceivers[i];
        let mut first = t.encodings.first().cloned().unwrap_or_default();
        first.rid = Some(rids[0].clone());
        t.encodings = std::iter::once(first)
            .chain(rids[1..].iter().map(|r| SendEncoding::with_rid(r.clone())))
            .collect();
        t.send.truncate(1);
        if let Some(s) = t.send.first_mut() {
            s.rid = Some(rids[0].clone());
        }
        t.send.extend(extra);
    }

    /// Keeps the encodings whose rid is in `rids` (all but the first when `rids` is empty:
    /// W3C, when the other side did not take simulcast).
    fn keep_encodings(&mut self, i: usize, rids: &[String]) {
        let t = &mut self.transceivers[i];
        if t.encodings.len() <= 1 {
            return;
        }
        if rids.is_empty() {
            t.encodings.truncate(1);
            t.send.truncate(1);
        } else {
            t.encodings
                .retain(|e| e.rid.as_ref().is_some_and(|r| rids.contains(r)));
            t.send
                .retain(|s| s.rid.as_ref().is_some_and(|r| rids.contains(r)));
        }
    }

    fn fresh_ssrc(&mut self) -> u32 {
        loop {
            let s = self.rng.next_u32();
            let ours = self
                .transceivers
                .iter()
                .flat_map(|t| &t.send)
                .any(|x| x.ssrc == s || x.rtx_ssrc == Some(s));
            if s != 0 && !ours && self.routes.get(&s).is_none() {
                return s;
            }
        }
    }
}

/// The header extension elements of one outgoing packet, on the stack (at most 16; more are
/// dropped: we negotiate fewer kinds than that).
#[derive(Default)]
struct Elements<'a> {
    items: [(u8, &'a [u8]); 16],
    len: usize,
}

impl<'a> Elements<'a> {
    /// Adds an element; an id or length no RFC 8285 form can carry is skipped.
    fn push(&mut self, id: u8, data: &'a [u8]) {
        if id == 0 || data.len() > 255 || self.len == self.items.len() {
            return;
        }
        self.items[self.len] = (id, data);
        self.len += 1;
    }

    fn items(&self) -> &[(u8, &'a [u8])] {
        &self.items[..self.len]
    }

    /// RFC 8285 §4.2: the one-byte form when every element fits it (ids 1–14, 1–16 bytes);
    /// otherwise the two-byte form of §4.3 (which `extmap-allow-mixed` allows per packet).
    fn one_byte(&self) -> bool {
        self.items()
            .iter()
            .all(|(id, d)| (1..=14).contains(id) && (1..=16).contains(&d.len()))
    }

    /// The extension block's length: the 4-byte header and the elements padded to 32 bits.
    fn block_len(&self) -> usize {
        if self.len == 0 {
            return 0;
        }
        let per = if self.one_byte() { 1 } else { 2 };
        let body: usize = self.items().iter().map(|(_, d)| per + d.len()).sum();
        4 + body.div_ceil(4) * 4
    }

    /// Writes the RTP fixed header (RFC 3550 §5.1) and the extension block (RFC 8285).
    fn write_header(&self, out: &mut BytesMut, marker: bool, pt: u8, seq: u16, ts: u32, ssrc: u32) {
        let x = self.len > 0;
        out.extend_from_slice(&[
            0x80 | if x { 0x10 } else { 0 },
            (u8::from(marker) << 7) | (pt & 0x7f),
        ]);
        out.extend_from_slice(&seq.to_be_bytes());
        out.extend_from_slice(&ts.to_be_bytes());
        out.extend_from_slice(&ssrc.to_be_bytes());
        if !x {
            return;
        }
        let one = self.one_byte();
        let words = (self.block_len() - 4) / 4;
        out.extend_from_slice(if one { &[0xBE, 0xDE] } else { &[0x10, 0x00] });
        out.extend_from_slice(&(words as u16).to_be_bytes());
        let start = out.len();
        for &(id, d) in self.items() {
            if one {
                out.extend_from_slice(&[(id << 4) | (d.len() as u8 - 1)]);
            } else {
                out.extend_from_slice(&[id, d.len() as u8]);
            }
            out.extend_from_slice(d);
        }
        out.resize(start + words * 4, 0);
    }
}

/// Unpadded base64 (RFC 4648 §4) of `raw`, for the CNAME.
fn base64_of(raw: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(raw.len().div_ceil(3) * 4);
    for chunk in raw.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | (u32::from(b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
        }
    }
    out
}

/// Header extensions we offer, with Chrome's ids (RFC 8285; one id space for the BUNDLE group).
pub(super) fn default_extensions(kind: MediaKind) -> Vec<(u8, &'static str)> {
    let mut v = vec![
        (1, ExtensionKind::AudioLevel.uri()),
        (2, ExtensionKind::AbsSendTime.uri()),
        (3, ExtensionKind::TransportCc.uri()),
        (4, ExtensionKind::Mid.uri()),
    ];
    if kind == MediaKind::Video {
        v.retain(|(id, _)| *id != 1);
        v.push((10, ExtensionKind::Rid.uri()));
        v.push((11, ExtensionKind::RepairedRid.uri()));
        v.push((13, ExtensionKind::VideoOrientation.uri()));
        v.push((14, ExtensionKind::TransmissionOffset.uri()));
    }
    v
}

/// Header extensions we accept in an offer: ours, and those an application forwarding media
/// needs to pass on (`RtpOut::extensions`).
pub(super) fn accepted_extensions(kind: MediaKind) -> Vec<(u8, &'static str)> {
    let mut v = default_extensions(kind);
    v.push((0, ExtensionKind::AbsCaptureTime.uri()));
    if kind == MediaKind::Video {
        v.push((0, ExtensionKind::DependencyDescriptor.uri()));
        v.push((0, ExtensionKind::PlayoutDelay.uri()));
    }
    v
}

impl Peer {
    // ----- transceiver commands (W3C RTCPeerConnection / RTCRtpTransceiver) -----

    /// W3C `addTransceiver(kind, init)`: a new transceiver; negotiation is needed.
    pub fn add_transceiver(
        &mut self,
        kind: MediaKind,
        init: TransceiverInit,
    ) -> Result<TransceiverId, MediaError> {
        let id = self.add_transceiver_inner(kind, None, init, false)?;
        self.check_media_negotiation();
        Ok(id)
    }

    fn add_transceiver_inner(
        &mut self,
        kind: MediaKind,
        track: Option<TrackInfo>,
        init: TransceiverInit,
        from_add_track: bool,
    ) -> Result<TransceiverId, MediaError> {
        if self.closed {
            return Err(MediaError::Closed);
        }
        check_encodings(&init.send_encodings)?;
        check_receive_rids(&init.receive_rids)?;
        let encodings = if init.send_encodings.is_empty() {
            vec![SendEncoding::default()]
        } else {
            init.send_encodings
        };
        let m = &mut self.media;
        let id = TransceiverId(m.next_id);
        m.next_id += 1;
        let clock_rate = if kind == MediaKind::Audio {
            48_000
        } else {
            90_000
        };
        let send: Vec<SendStream> = encodings
            .iter()
            .map(|e| m.new_stream(kind, e.rid.clone(), clock_rate))
            .collect();
        let track_id = track.as_ref().map_or_else(
            || {
                let mut raw = [0u8; 12];
                m.rng.fill_bytes(&mut raw);
                base64_of(&raw)
            },
            |t| t.id.clone(),
        );
        m.transceivers.push(TransceiverState {
            id,
            kind,
            direction: init.direction.unwrap_or(Direction::SendRecv),
            current_direction: None,
            mid: None,
            stopping: false,
            stopped: false,
            track,
            streams: init.streams,
            sender_track_id: track_id,
            encodings,
            send,
            codec_preferences: Vec::new(),
            from_add_track,
            codecs: Vec::new(),
            recv_codecs: Vec::new(),
            extensions: ExtensionMap::default(),
            remote_ssrcs: Vec::new(),
            remote_rids: Vec::new(),
            remote_rtx: Vec::new(),
            recv_rids: init.receive_rids,
            receive_mode: ReceiveMode::Rtp,
            remote_streams: Vec::new(),
            remote_track_id: None,
            track_fired: false,
            transaction_id: 0,
            fb_pli: false,
            fb_fir: false,
            rtcp_rsize: false,
        });
        Ok(id)
    }

    /// W3C `addTrack(track, ...streams)`: reuses a transceiver of the track's kind whose sender
    /// has never sent (one a remote offer created), else adds a `sendrecv` one.
    pub fn add_track(
        &mut self,
        track: TrackInfo,
        streams: &[String],
    ) -> Result<TransceiverId, MediaError> {
        if self.closed {
            return Err(MediaError::Closed);
        }
        if self
            .media
            .transceivers
            .iter()
            .any(|t| t.track.as_ref().is_some_and(|x| x.id == track.id))
        {
            return Err(MediaError::TrackInUse);
        }
        let reuse = self.media.transceivers.iter_mut().find(|t| {
            t.kind == track.kind
                && t.track.is_none()
                && !t.stopped
                && !t.stopping
                && !t.from_add_track
                && !sends_receives(t.direction).0
                && t.current_direction.is_none_or(|d| !sends_receives(d).0)
        });
        if let Some(t) = reuse {
            t.sender_track_id = track.id.clone();
            t.track = Some(track);
            t.streams = streams.to_vec();
            t.direction = match t.direction {
                Direction::RecvOnly => Direction::SendRecv,
                Direction::Inactive => Direction::SendOnly,
                d => d,
            };
            let id = t.id;
            self.check_media_negotiation();
            return Ok(id);
        }
        let kind = track.kind;
        let id = self.add_transceiver_inner(
            kind,
            Some(track),
            TransceiverInit {
                direction: Some(Direction::SendRecv),
                streams: streams.to_vec(),
                send_encodings: Vec::new(),
                receive_rids: Vec::new(),
            },
            true,
        )?;
        self.check_media_negotiation();
        Ok(id)
    }

    /// W3C `removeTrack(sender)`: the sender stops sending; the direction loses `send`.
    pub fn remove_track(&mut self, id: TransceiverId) -> Result<(), MediaError> {
        let t = self.media.get_mut(id)?;
        if t.track.is_none() {
            return Ok(());
        }
        t.track = None;
        t.direction = match t.direction {
            Direction::SendRecv => Direction::RecvOnly,
            Direction::SendOnly => Direction::Inactive,
            d => d,
        };
        self.check_media_negotiation();
        Ok(())
    }

    /// W3C `replaceTrack`: another track on the same sender, no renegotiation; SSRC, sequence
    /// numbers and timestamps continue.
    pub fn replace_track(
        &mut self,
        id: TransceiverId,
        track: Option<TrackInfo>,
    ) -> Result<(), MediaError> {
        let t = self.media.get_mut(id)?;
        if t.stopped || t.stopping {
            return Err(MediaError::Stopped);
        }
        if track.as_ref().is_some_and(|x| x.kind != t.kind) {
            return Err(MediaError::KindMismatch);
        }
        t.track = track;
        Ok(())
    }

    /// W3C `transceiver.direction = d`; negotiation is needed when it changes.
    pub fn set_direction(&mut self, id: TransceiverId, d: Direction) -> Result<(), MediaError> {
        let t = self.media.get_mut(id)?;
        if t.stopped || t.stopping {
            return Err(MediaError::Stopped);
        }
        if t.direction != d {
            t.direction = d;
            self.check_media_negotiation();
        }
        Ok(())
    }

    /// W3C `sender.setStreams(...streams)`: the stream ids signalled for the transceiver's
    /// track (`a=msid`, RFC 8830); negotiation is needed when they change.
    pub fn set_streams(&mut self, id: TransceiverId, streams: &[String]) -> Result<(), MediaError> {
        if self.closed {
            return Err(MediaError::Closed);
        }
        let t = self.media.get_mut(id)?;
        if t.stopped || t.stopping {
            return Err(MediaError::Stopped);
        }
        let mut unique: Vec<String> = Vec::with_capacity(streams.len());
        for s in streams {
            if !unique.contains(s) {
                unique.push(s.clone());
            }
        }
        if t.streams != unique {
            t.streams = unique;
            self.check_media_negotiation();
        }
        Ok(())
    }

    /// Chooses what the application receives on a transceiver (DESIGN §9: per transceiver;
    /// RTP packets by default). Takes effect with the next packet; statistics and RTCP reports
    /// go on whatever the mode.
    pub fn set_receive_mode(
        &mut self,
        id: TransceiverId,
        mode: ReceiveMode,
    ) -> Result<(), MediaError> {
        self.media.get_mut(id)?.receive_mode = mode;
        Ok(())
    }

    /// W3C `transceiver.stop()`: nothing is sent or received any more; the section is rejected
    /// at the next negotiation and its m= line may then be recycled.
    pub fn stop_transceiver(&mut self, id: TransceiverId) -> Result<(), MediaError> {
        let t = self.media.get_mut(id)?;
        if t.stopping || t.stopped {
            return Ok(());
        }
        t.stopping = true;
        t.track = None;
        self.check_media_negotiation();
        Ok(())
    }

    /// W3C `setCodecPreferences`: our codecs for this transceiver's section, reordered or
    /// filtered (empty: back to the defaults). An Opus entry may carry its own RFC 7587
    /// parameters, such as `stereo=1` to receive stereo ([`codec::filter_by_preferences`]).
    pub fn set_codec_preferences(
        &mut self,
        id: TransceiverId,
        codecs: &[Codec],
    ) -> Result<(), MediaError> {
        let kind = self.media.get(id)?.kind;
        let prefs = codec::filter_by_preferences(&codec::default_codecs(kind), codecs)
            .map_err(|_| MediaError::InvalidModification("codec not supported"))?;
        let t = self.media.get_mut(id)?;
        t.codec_preferences = if codecs.is_empty() { Vec::new() } else { prefs };
        Ok(())
    }

    /// W3C `sender.getParameters()`.
    pub fn get_parameters(&mut self, id: TransceiverId) -> Result<SendParameters, MediaError> {
        let t = self.media.get_mut(id)?;
        t.transaction_id += 1;
        Ok(SendParameters {
            transaction_id: t.transaction_id,
            encodings: t.encodings.clone(),
            codecs: t.codecs.clone(),
        })
    }

    /// W3C `sender.setParameters()`: encodings' `active`, `max_bitrate`, `max_framerate`,
    /// `scale_resolution_down_by`, `priority`, `scalability_mode` change without negotiation;
    /// the number of encodings and their rids cannot (InvalidModificationError), and the
    /// transaction id must be the last `get_parameters` gave.
    pub fn set_parameters(
        &mut self,
        id: TransceiverId,
        parameters: SendParameters,
    ) -> Result<(), MediaError> {
        let t = self.media.get_mut(id)?;
        if t.stopped || t.stopping {
            return Err(MediaError::Stopped);
        }
        if parameters.transaction_id != t.transaction_id {
            return Err(MediaError::InvalidModification("stale transaction id"));
        }
        check_parameters_change(&t.encodings, &parameters.encodings)?;
        t.encodings = parameters.encodings;
        Ok(())
    }

    /// A transceiver (W3C `RTCRtpTransceiver`).
    pub fn transceiver(&self, id: TransceiverId) -> Option<Transceiver<'_>> {
        self.media.get(id).ok().map(|state| Transceiver { state })
    }

    /// W3C `getTransceivers()`, in creation order. A stopped transceiver leaves the list once
    /// an answer negotiated it as stopped (W3C "remove the stopped transceivers");
    /// [`Peer::transceiver`] still finds it by id.
    pub fn transceivers(&self) -> impl Iterator<Item = Transceiver<'_>> {
        self.media
            .transceivers
            .iter()
            .filter(|t| !t.stopped)
            .map(|state| Transceiver { state })
    }

    /// The negotiated id of a header extension on a transceiver's section.
    pub fn extension_id(&self, id: TransceiverId, kind: ExtensionKind) -> Option<u8> {
        self.media.get(id).ok()?.extensions.id(kind)
    }

    /// The W3C media entries of `getStats`: inbound-rtp and remote-outbound-rtp per remote
    /// SSRC, outbound-rtp and remote-inbound-rtp per SSRC of ours, codec per payload type.
    pub(super) fn media_stats(&self) -> Vec<crate::stats::Stats> {
        use crate::stats::{
            CodecStats, InboundRtpStats, OutboundRtpStats, RemoteInboundRtpStats,
            RemoteOutboundRtpStats, Stats, TRANSPORT_ID,
        };
        let mut out = Vec::new();
        let mut codecs: Vec<(MediaKind, &codec::PayloadCodec)> = Vec::new();
        for t in &self.media.transceivers {
            for c in t.codecs.iter().chain(&t.recv_codecs) {
                if !codecs.iter().any(|(_, x)| x.payload_type == c.payload_type) {
                    codecs.push((t.kind, c));
                }
            }
        }
        let codec_id = |pt: u8| format!("C{pt}");
        for (ssrc, r) in self.media.routes.iter() {
            let Some(t) = self
                .media
                .transceivers
                .iter()
                .find(|t| t.id == r.transceiver)
            else {
                continue;
            };
            if r.rtx || r.last_pt.is_none() {
                continue;
            }
            let st = r.stats.stats();
            let remote = r.stats.remote_outbound();
            out.push(Stats::InboundRtp(InboundRtpStats {
                id: format!("I{ssrc}"),
                ssrc: *ssrc,
                kind: t.kind,
                transport_id: TRANSPORT_ID.into(),
                codec_id: r.last_pt.map(codec_id),
                mid: t.mid.clone(),
                rid: r.rid.as_deref().map(str::to_owned),
                packets_received: st.packets_received,
                bytes_received: st.bytes_received,
                packets_lost: st.packets_lost,
                jitter: st.jitter,
                pli_count: r.pli_sent,
                fir_count: r.fir_sent,
                nack_count: 0,
                retransmitted_packets_received: r.rtx_packets,
                retransmitted_bytes_received: r.rtx_bytes,
                remote_id: remote.map(|_| format!("RO{ssrc}")),
                last_packet_received: st.last_packet_received,
            }));
            if let Some(ro) = remote {
                out.push(Stats::RemoteOutboundRtp(RemoteOutboundRtpStats {
                    id: format!("RO{ssrc}"),
                    ssrc: *ssrc,
                    kind: t.kind,
                    transport_id: TRANSPORT_ID.into(),
                    local_id: format!("I{ssrc}"),
                    packets_sent: u64::from(ro.packets_sent),
                    bytes_sent: u64::from(ro.bytes_sent),
                    remote_timestamp_ntp: ro.ntp_timestamp,
                    reports_sent: ro.reports_sent,
                }));
            }
        }
        for t in &self.media.transceivers {
            for (i, s) in t.send.iter().enumerate() {
                if !s.stats.has_sent() {
                    continue;
                }
                let st = s.stats.stats();
                let remote = s.stats.remote_inbound();
                out.push(Stats::OutboundRtp(OutboundRtpStats {
                    id: format!("O{}", s.ssrc),
                    ssrc: s.ssrc,
                    kind: t.kind,
                    transport_id: TRANSPORT_ID.into(),
                    codec_id: t.codecs.first().map(|c| codec_id(c.payload_type)),
                    mid: t.mid.clone(),
                    rid: s.rid.clone(),
                    packets_sent: st.packets_sent,
                    bytes_sent: st.bytes_sent,
                    pli_count: s.pli_received,
                    fir_count: s.fir_received,
                    nack_count: s.nack_received,
                    active: t.encodings.get(i).is_none_or(|e| e.active),
                    remote_id: remote.map(|_| format!("RI{}", s.ssrc)),
                }));
                if let Some(ri) = remote {
                    out.push(Stats::RemoteInboundRtp(RemoteInboundRtpStats {
                        id: format!("RI{}", s.ssrc),
                        ssrc: s.ssrc,
                        kind: t.kind,
                        transport_id: TRANSPORT_ID.into(),
                        local_id: format!("O{}", s.ssrc),
                        packets_lost: i64::from(ri.packets_lost),
                        fraction_lost_256: ri.fraction_lost,
                        jitter: ri.jitter,
                        round_trip_time: ri.round_trip_time,
                        total_round_trip_time: ri.total_round_trip_time,
                        round_trip_time_measurements: ri.round_trip_time_measurements,
                        reports_received: ri.reports_received,
                    }));
                }
            }
        }
        for (kind, c) in codecs {
            out.push(Stats::Codec(CodecStats {
                id: codec_id(c.payload_type),
                payload_type: c.payload_type,
                transport_id: TRANSPORT_ID.into(),
                mime_type: c.codec.mime_type(kind),
                clock_rate: c.codec.clock_rate,
                channels: c.codec.channels,
                sdp_fmtp_line: c.codec.fmtp(),
            }));
        }
        out
    }

    /// Fuzzing and hostile-test hook: protects an arbitrary RTP (or, with `rtcp`, RTCP) packet
    /// with this peer's real outbound SRTP keys and queues it, as a hostile remote with the
    /// keys could send it. Nothing is checked: the header, SSRC and extensions are the caller's.
    #[cfg(any(test, feature = "fuzzing"))]
    #[doc(hidden)]
    pub fn fuzz_send_protected(&mut self, packet: &[u8], rtcp: bool) -> bool {
        self.media.ensure_srtp();
        let Some(srtp) = self.media.srtp.as_mut() else {
            return false;
        };
        let mut buf = packet.to_vec();
        let len = buf.len();
        let room = if rtcp {
            srtp.rtcp_overhead()
        } else {
            srtp.rtp_overhead()
        };
        buf.resize(len + room, 0);
        let r = if rtcp {
            srtp.protect_rtcp_in(&mut buf, len)
        } else {
            srtp.protect_rtp_in(&mut buf, len)
        };
        match r {
            Ok(n) => {
                buf.truncate(n);
                self.media.queue_out(Bytes::from(buf));
                true
            }
            Err(_) => false,
        }
    }

    /// How many remote SSRCs the peer holds state for (bounded by the SSRC table's limit).
    pub fn remote_ssrc_count(&self) -> usize {
        self.media.routes.len()
    }

    /// Media drops by reason.
    pub fn media_drops(&self) -> MediaDrops {
        self.media.drops
    }

    /// Fires negotiation-needed when the media part of the W3C check says so.
    fn check_media_negotiation(&mut self) {
        // W3C: only in stable; the return to stable checks again (routing.rs).
        if self.jsep.signaling_state() == SignalingState::Stable && self.media_needs_negotiation() {
            self.queue_negotiation_needed();
        }
    }

    /// The media part of W3C "check if negotiation is needed" (webrtc-pc §4.7.3): a
    /// transceiver without a mid, one stopping, or one whose direction is not what the current
    /// local description says (as the offerer: its direction; as the answerer: its direction
    /// intersected with the remote's offer, RFC 3264 §6.1). Setting a direction back to the
    /// negotiated one needs nothing.
    pub(super) fn media_needs_negotiation(&self) -> bool {
        let live = self.media.transceivers.iter().filter(|t| !t.stopped);
        let (Some(local), Some(remote)) = (
            self.jsep.current_local_description(),
            self.jsep.current_remote_description(),
        ) else {
            return live.count() > 0;
        };
        for t in live {
            if t.stopping {
                return true;
            }
            let Some(mid) = t.mid.as_deref() else {
                return true;
            };
            let (Some(ours), Some(theirs)) =
                (local.sdp.media_by_mid(mid), remote.sdp.media_by_mid(mid))
            else {
                return true;
            };
            if ours.is_rejected() {
                continue;
            }
            let expected = if local.kind == SdpType::Offer {
                t.direction
            } else {
                crate::sdp::media::answer_direction(t.direction, section_direction(theirs))
            };
            if section_direction(ours) != expected {
                return true;
            }
            // W3C: a sender's stream ids (setStreams) that differ from the a=msid lines of
            // the section it sends in. DEVIATION: checked only where our section sends; the
            // W3C text also fires for a sendrecv transceiver whose answer could only receive,
            // which the direction rule above already covers for offers.
            if sends_receives(section_direction(ours)).0 {
                let (mut signalled, _) = remote_msid(ours);
                let mut wanted = t.streams.clone();
                signalled.sort();
                wanted.sort();
                if signalled != wanted {
                    return true;
                }
            }
        }
        false
    }

    // ----- JSEP glue -----

    /// The transceivers' sections for JSEP.
    pub(super) fn local_media(&self) -> Vec<LocalMedia> {
        self.media
            .transceivers
            .iter()
            .filter(|t| !t.stopped)
            .map(|t| {
                let codecs = if t.codec_preferences.is_empty() {
                    codec::default_codecs(t.kind)
                } else {
                    t.codec_preferences.clone()
                };
                let sending = t.track.is_some() || !t.from_add_track;
                LocalMedia {
                    key: t.id.0,
                    kind: t.kind,
                    mid: t.mid.clone(),
                    direction: t.direction,
                    stopped: t.stopping,
                    codecs,
                    extensions: default_extensions(t.kind),
                    accept_extensions: accepted_extensions(t.kind),
                    streams: t.streams.clone(),
                    track_id: t.sender_track_id.clone(),
                    ssrcs: if sending {
                        t.send.iter().map(|s| (s.ssrc, s.rtx_ssrc)).collect()
                    } else {
                        Vec::new()
                    },
                    send_rids: t.encodings.iter().filter_map(|e| e.rid.clone()).collect(),
                    recv_rids: t.recv_rids.clone(),
                    cname: self.media.cname.clone(),
                }
            })
            .collect()
    }

    /// A local offer was applied: the mids it gave are the transceivers' now.
    pub(super) fn media_local_offer_applied(&mut self) {
        let mids = self.jsep.offered_mids().to_vec();
        for (key, mid) in mids {
            if let Some(t) = self.media.transceivers.iter_mut().find(|t| t.id.0 == key) {
                t.mid = Some(mid);
            }
        }
    }

    /// A remote offer was applied (W3C SRD, webrtc-pc §4.4.1.6): each audio/video section is
    /// associated with a transceiver: the one with its mid, else one added by `add_track` not
    /// yet associated, else a new `recvonly` one.
    pub(super) fn media_remote_offer_applied(&mut self) {
        let Some(remote) = self.jsep.remote_description() else {
            return;
        };
        // The simulcast each section asks us to send (RFC 8853 §5.2: its `recv` list).
        let simulcast: Vec<(String, Vec<String>)> = remote
            .sdp
            .media
            .iter()
            .filter(|m| is_rtp_section(m) && !m.is_rejected())
            .filter_map(|m| Some((m.mid()?.to_owned(), remote_recv_rids(m))))
            .collect();
        let sections: Vec<(MediaKind, String, bool)> = remote
            .sdp
            .media
            .iter()
            .filter_map(|m| {
                let kind = MediaKind::from_sdp(&m.kind)?;
                Some((kind, m.mid()?.to_owned(), m.is_rejected()))
            })
            .collect();
        for (kind, mid, rejected) in sections {
            let m = &mut self.media;
            if let Some(t) = m
                .transceivers
                .iter_mut()
                .find(|t| t.mid.as_deref() == Some(mid.as_str()))
            {
                // W3C SRD: a section the remote offer rejects stops its transceiver.
                if rejected && !t.stopped {
                    t.stopping = true;
                    t.track = None;
                }
                continue;
            }
            if rejected {
                continue;
            }
            if let Some(t) = m.transceivers.iter_mut().find(|t| {
                t.kind == kind && t.mid.is_none() && t.from_add_track && !t.stopping && !t.stopped
            }) {
                t.mid = Some(mid);
                continue;
            }
            let id = match self.add_transceiver_inner(
                kind,
                None,
                TransceiverInit {
                    direction: Some(Direction::RecvOnly),
                    ..TransceiverInit::default()
                },
                false,
            ) {
                Ok(id) => id,
                Err(_) => continue,
            };
            if let Ok(t) = self.media.get_mut(id) {
                t.mid = Some(mid);
            }
        }
        for (mid, rids) in simulcast {
            if let Some(i) = self
                .media
                .transceivers
                .iter()
                .position(|t| t.mid.as_deref() == Some(mid.as_str()))
            {
                self.media.adopt_offered_simulcast(i, &rids);
            }
        }
    }

    /// An answer was applied (local or remote): what is negotiated per transceiver — codecs,
    /// extension ids, direction, the remote's SSRCs and rids — and ontrack for sections that
    /// now receive (W3C "process the removal/addition of a remote track").
    pub(super) fn media_negotiated(&mut self) {
        let (Some(local), Some(remote)) = (
            self.jsep.current_local_description().cloned(),
            self.jsep.current_remote_description().cloned(),
        ) else {
            return;
        };
        let we_answered = local.kind == SdpType::Answer;
        let answer = if we_answered { &local.sdp } else { &remote.sdp };
        let mut events = Vec::new();
        let mut prune = Vec::new();
        for (i, t) in self.media.transceivers.iter_mut().enumerate() {
            if t.stopping {
                t.stopping = false;
                t.stopped = true;
            }
            let Some(mid) = t.mid.clone() else { continue };
            let (Some(ls), Some(rs), Some(ans)) = (
                local.sdp.media_by_mid(&mid),
                remote.sdp.media_by_mid(&mid),
                answer.media_by_mid(&mid),
            ) else {
                continue;
            };
            if ans.is_rejected() || t.stopped {
                t.stopped = true;
                t.current_direction = None;
                continue;
            }
            let ours = section_direction(ls);
            t.current_direction = Some(ours);
            t.codecs = codec::section_codecs(ans);
            t.recv_codecs = codec::section_codecs(ls);
            let mut map = ExtensionMap::default();
            for (id, uri) in section_extensions(ans) {
                if let (Ok(id), Some(kind)) = (u8::try_from(id), ExtensionKind::from_uri(&uri)) {
                    let _ = map.insert(id, kind);
                }
            }
            t.extensions = map;
            let (pli, fir) = feedback_of(&t.codecs);
            t.fb_pli = pli;
            t.fb_fir = fir;
            t.rtcp_rsize = ans.attributes.contains(&SdpAttribute::RtcpRsize);
            t.remote_ssrcs = remote_ssrcs(rs);
            t.remote_rtx = remote_rtx_pairs(rs);
            t.remote_rids = remote_send_rids(rs);
            // W3C SRD(answer): the simulcast streams we offered to send that the answer does
            // not receive go (RFC 8853 §5.3); no simulcast in the answer leaves the first.
            if !we_answered && !remote_send_rids(ls).is_empty() {
                prune.push((i, remote_recv_rids(ans)));
            }
            let (streams, track) = remote_msid(rs);
            t.remote_streams = streams;
            t.remote_track_id = track;
            let receiving = sends_receives(ours).1;
            if receiving && !t.track_fired {
                t.track_fired = true;
                events.push(Event::Track(crate::event::TrackEvent {
                    transceiver: t.id,
                    mid: mid.clone(),
                    kind: t.kind,
                    stream_ids: t.remote_streams.clone(),
                    track_id: t.remote_track_id.clone(),
                }));
            } else if !receiving {
                t.track_fired = false;
            }
        }
        for (i, rids) in prune {
            self.media.keep_encodings(i, &rids);
        }
        // One id space for the BUNDLE group: read the demux extensions' ids once.
        let first = |k: ExtensionKind| {
            self.media
                .transceivers
                .iter()
                .find_map(|t| t.extensions.id(k))
        };
        self.media.mid_ext = first(ExtensionKind::Mid);
        self.media.rid_ext = first(ExtensionKind::Rid);
        self.media.repaired_rid_ext = first(ExtensionKind::RepairedRid);
        self.media.rtcp_rsize = self.media.transceivers.iter().any(|t| t.rtcp_rsize);
        // draft-holmer-rmcat-transport-wide-cc-extensions-01 §4: feedback is sent when the
        // extension and the `transport-cc` feedback type are both negotiated.
        self.media.twcc_ext = self.media.transceivers.iter().find_map(|t| {
            let fb = t
                .codecs
                .iter()
                .any(|c| c.codec.feedback.iter().any(|f| f.kind == "transport-cc"));
            t.extensions.id(ExtensionKind::TransportCc).filter(|_| fb)
        });
        // Signalled SSRCs route at once (RFC 8843 §9.2: the a=ssrc lines). A renegotiation
        // that stops a transceiver or stops signalling an SSRC ends that SSRC's route (an SSRC
        // change by signalling; its statistics go with it).
        let now = self.now;
        let MediaState {
            routes,
            transceivers,
            ..
        } = &mut self.media;
        routes.retain(|ssrc, r| {
            transceivers
                .iter()
                .find(|t| t.id == r.transceiver)
                .is_some_and(|t| !t.stopped && (!r.signalled || t.remote_ssrcs.contains(ssrc)))
        });
        for t in transceivers.iter().filter(|t| !t.stopped) {
            let clock = t.codecs.first().map_or(90_000, |c| c.codec.clock_rate);
            for &s in &t.remote_ssrcs {
                if let Some(r) = routes.get_mut(&s) {
                    // Learned from a packet before the description named it, or moved to
                    // another section.
                    r.signalled = true;
                    r.transceiver = t.id;
                    r.mid = t.mid.as_deref().unwrap_or_default().into();
                } else if routes.len() < MAX_REMOTE_SSRCS {
                    routes.insert(s, Route::new(t, s, clock, true, now));
                }
                // RFC 4588 §8.6: an FID group names the RTX stream of a primary one.
                if let Some(r) = routes.get_mut(&s)
                    && let Some(&(p, _)) = t.remote_rtx.iter().find(|(_, x)| *x == s)
                {
                    r.rtx = true;
                    r.primary = Some(p);
                }
            }
        }
        for e in events {
            self.push_event(e);
        }
        if self.media.schedule.is_none()
            && self
                .media
                .transceivers
                .iter()
                .any(|t| t.current_direction.is_some())
        {
            let audio_only = self
                .media
                .transceivers
                .iter()
                .all(|t| t.kind == MediaKind::Audio);
            let draw = self.media.rng.next_u32();
            let mut schedule = RtcpSchedule::new(if audio_only {
                RtcpScheduleConfig::AUDIO
            } else {
                RtcpScheduleConfig::VIDEO
            });
            schedule.start(self.now, draw);
            self.media.schedule = Some(schedule);
        }
    }

    // ----- SRTP -----

    /// DTLS exported the SRTP keys (RFC 5764 §4.2).
    pub(super) fn media_keys(
        &mut self,
        profile: crate::dtls::SrtpProfile,
        material: &[u8],
        role: DtlsRole,
    ) {
        self.media.keys = Some((profile, material.to_vec(), role));
        self.media.srtp = None;
        self.media.ensure_srtp();
    }

    /// An SRTP or SRTCP datagram (RFC 7983: first byte 128..=191) from a validated source.
    pub(super) fn receive_media(&mut self, mut buf: BytesMut) {
        self.media.ensure_srtp();
        let Some(srtp) = self.media.srtp.as_mut() else {
            self.media.drops.before_keys += 1;
            return;
        };
        if crate::rtp::is_rtcp(&buf) {
            match srtp.unprotect_rtcp(&mut buf) {
                Ok(()) => self.receive_rtcp(&buf),
                Err(_) => self.media.drops.srtp += 1,
            }
            return;
        }
        if srtp.unprotect_rtp(&mut buf).is_err() {
            self.media.drops.srtp += 1;
            return;
        }
        self.receive_rtp(buf.freeze());
    }

    fn receive_rtp(&mut self, packet: Bytes) {
        let now = self.now;
        let Ok(view) = RtpView::parse(&packet) else {
            self.media.drops.malformed += 1;
            return;
        };
        let ssrc = view.ssrc();
        self.record_twcc(&view);
        let m = &mut self.media;
        if m.routes.get(&ssrc).is_none() {
            let Some(route) = self.new_route(&view) else {
                self.media.drops.unknown_ssrc += 1;
                return;
            };
            if self.media.routes.len() >= MAX_REMOTE_SSRCS && !self.media.evict_idle_route(now) {
                self.media.drops.unknown_ssrc += 1;
                return;
            }
            self.media.routes.insert(ssrc, route);
        }
        let m = &mut self.media;
        let Some(route) = m.routes.get_mut(&ssrc) else {
            return;
        };
        route.last_seen = now;
        let Some(t) = m.transceivers.iter().find(|t| t.id == route.transceiver) else {
            m.drops.unknown_ssrc += 1;
            return;
        };
        let pt = view.payload_type();
        let Some(codec) = t.recv_codec(pt) else {
            m.drops.unknown_payload_type += 1;
            return;
        };
        if route.rtx || codec.name == CodecName::Rtx {
            // RFC 4588: retransmissions answer NACKs this peer does not send yet; Chrome also
            // sends padding-only RTX probes. Neither carries new media: counted on the primary
            // stream (a retransmission carries the 2-byte original sequence number, §4) and
            // dropped.
            route.rtx = true;
            m.drops.rtx += 1;
            let (transceiver, rid, known) = (route.transceiver, route.rid.clone(), route.primary);
            let payload = view.payload().len();
            let primary = known.or_else(|| {
                let rid = rid?;
                m.routes
                    .iter()
                    .find(|(_, r)| {
                        !r.rtx && r.transceiver == transceiver && r.rid == Some(rid.clone())
                    })
                    .map(|(s, _)| *s)
            });
            if let Some(r) = m.routes.get_mut(&ssrc) {
                r.primary = primary;
            }
            if payload > 2
                && let Some(p) = primary.and_then(|p| m.routes.get_mut(&p))
            {
                p.rtx_packets += 1;
                p.rtx_bytes += (payload - 2) as u64;
            }
            return;
        }
        if !t.can_receive() {
            m.drops.not_receiving += 1;
            return;
        }
        let codec = codec.name.clone();
        let mid = route.mid.clone();
        let rid = route.rid.clone().or_else(|| {
            let id = m.rid_ext?;
            let raw = view.extension_by_id(id)?;
            std::str::from_utf8(raw).ok().map(Arc::from)
        });
        if route.rid.is_none() {
            route.rid.clone_from(&rid);
        }
        route.last_pt = Some(pt);
        let outcome = route.stats.on_packet(
            now,
            view.sequence_number(),
            view.timestamp(),
            view.payload().len(),
        );
        let sequence_number = outcome
            .extended_seq()
            .and_then(|v| u64::try_from(v).ok())
            .unwrap_or(u64::from(view.sequence_number()));
        if t.receive_mode == ReceiveMode::Discard {
            return;
        }
        let header = view.to_header();
        let (start, end) = (view.header_len(), view.header_len() + view.payload().len());
        let transceiver = route.transceiver;
        let payload = packet.slice(start..end);
        self.push_event(Event::Rtp(RtpPacket {
            transceiver,
            mid,
            rid,
            ssrc,
            payload_type: pt,
            codec,
            sequence_number,
            header,
            payload,
            arrival: now,
        }));
    }

    /// Notes an authenticated packet's transport-wide sequence number and arrival, whatever
    /// becomes of it afterwards (RTX padding probes count: the sender's estimator needs them).
    fn record_twcc(&mut self, view: &RtpView<'_>) {
        let m = &mut self.media;
        let Some(raw) = m.twcc_ext.and_then(|id| view.extension_by_id(id)) else {
            return;
        };
        let [hi, lo, ..] = *raw else { return };
        let seq = m.twcc_in_seq.extend(u16::from_be_bytes([hi, lo]));
        let at = self.now.saturating_duration_since(m.epoch);
        if m.twcc_pending.len() >= TWCC_MAX_PENDING {
            m.twcc_pending.pop_front();
        }
        m.twcc_pending.push_back((seq, at));
        m.twcc_next.get_or_insert(self.now + TWCC_FEEDBACK_INTERVAL);
    }

    /// Sends the transport-wide feedback for what arrived since the last one (§3.1): every
    /// sequence number from the lowest to the highest pending, the missing ones as not received.
    fn send_twcc_feedback(&mut self) {
        let m = &mut self.media;
        m.twcc_next = None;
        if m.twcc_pending.is_empty() {
            return;
        }
        let mut pending: Vec<(i64, Duration)> = m.twcc_pending.drain(..).collect();
        pending.sort_unstable_by_key(|p| p.0);
        pending.dedup_by_key(|p| p.0);
        let newest = pending.last().map_or(0, |p| p.0);
        // A hostile jump cannot make the report span more than the pending limit.
        pending.retain(|p| newest - p.0 < TWCC_MAX_PENDING as i64);
        let Some(first) = pending.first().map(|p| p.0) else {
            return;
        };
        let mut list: Vec<(u16, Option<Duration>)> =
            Vec::with_capacity((newest - first + 1) as usize);
        let mut it = pending.iter().peekable();
        for seq in first..=newest {
            let at = it.next_if(|p| p.0 == seq).map(|p| p.1);
            list.push((seq as u16, at));
        }
        let sender = m
            .transceivers
            .iter()
            .find_map(|t| t.send.first().map(|s| s.ssrc))
            .unwrap_or(1);
        let media_ssrc = m.routes.iter().next().map_or(0, |(s, _)| *s);
        let mut packets = Vec::new();
        let mut done = 0;
        while done < list.len() && packets.len() < 8 {
            let builder = crate::rtcp::TransportCcBuilder::new(sender, media_ssrc, m.twcc_fb_count);
            let (tc, n) = builder.build(&list[done..]);
            if n == 0 {
                done += 1;
                continue;
            }
            m.twcc_fb_count = m.twcc_fb_count.wrapping_add(1);
            packets.push(RtcpPacket::TransportCc(tc));
            done += n;
        }
        for p in packets {
            self.send_rtcp(vec![p], sender);
        }
    }

    /// RFC 8843 §9.2: which transceiver an unknown SSRC belongs to — the MID header extension,
    /// else a payload type only one receiving section uses; rid and repaired-rid (RFC 8852)
    /// name the simulcast stream.
    fn new_route(&self, view: &RtpView<'_>) -> Option<Route> {
        let m = &self.media;
        let ssrc = view.ssrc();
        let signalled = m
            .transceivers
            .iter()
            .find(|t| !t.stopped && t.remote_ssrcs.contains(&ssrc));
        let by_mid = || {
            m.mid_ext.and_then(|id| {
                let mid = std::str::from_utf8(view.extension_by_id(id)?).ok()?;
                m.transceivers
                    .iter()
                    .find(|t| !t.stopped && t.mid.as_deref() == Some(mid))
            })
        };
        let t = signalled.or_else(by_mid).or_else(|| {
            let pt = view.payload_type();
            let mut it = m.transceivers.iter().filter(|t| {
                !t.stopped && t.current_direction.is_some() && t.recv_codec(pt).is_some()
            });
            let first = it.next()?;
            it.next().is_none().then_some(first)
        })?;
        let rid = m
            .rid_ext
            .and_then(|id| view.extension_by_id(id))
            .and_then(|r| std::str::from_utf8(r).ok())
            .map(str::to_owned);
        let repaired = m
            .repaired_rid_ext
            .and_then(|id| view.extension_by_id(id))
            .and_then(|r| std::str::from_utf8(r).ok())
            .map(str::to_owned);
        let rtx = repaired.is_some()
            || t.recv_codec(view.payload_type())
                .is_some_and(|c| c.name == CodecName::Rtx);
        let clock = t
            .recv_codec(view.payload_type())
            .map_or(90_000, |c| c.clock_rate);
        let mut route = Route::new(t, ssrc, clock, signalled.is_some(), self.now);
        route.rid = rid.or(repaired).map(Arc::from);
        route.rtx = rtx;
        Some(route)
    }

    fn receive_rtcp(&mut self, buf: &[u8]) {
        let now = self.now;
        for view in CompoundReader::new(buf) {
            let Ok(packet) = view.and_then(|v| v.parse()) else {
                self.media.drops.rtcp_malformed += 1;
                break;
            };
            match packet {
                RtcpPacket::SenderReport(sr) => {
                    if let Some(r) = self.media.routes.get_mut(&sr.ssrc) {
                        r.last_seen = now;
                        r.stats.on_sender_report(
                            now,
                            sr.ntp_timestamp,
                            sr.rtp_timestamp,
                            sr.packet_count,
                            sr.octet_count,
                        );
                    }
                    self.report_blocks(&sr.reports);
                }
                RtcpPacket::ReceiverReport(rr) => {
                    if let Some(r) = self.media.routes.get_mut(&rr.ssrc) {
                        r.last_seen = now;
                    }
                    self.report_blocks(&rr.reports);
                }
                // RFC 3550 §6.3.4: a source that sent BYE has left; its SSRC's route and
                // statistics go (a new stream on the section is learned again).
                RtcpPacket::Bye(b) => {
                    for s in &b.ssrcs {
                        self.media.routes.remove(s);
                    }
                }
                RtcpPacket::Pli(p) => {
                    self.keyframe_requested(p.media_ssrc, KeyframeRequestKind::Pli)
                }
                RtcpPacket::Fir(f) => {
                    for e in &f.entries {
                        self.keyframe_requested(e.ssrc, KeyframeRequestKind::Fir);
                    }
                }
                RtcpPacket::Nack(n) => {
                    for t in &mut self.media.transceivers {
                        for s in t.send.iter_mut().filter(|s| s.ssrc == n.media_ssrc) {
                            s.nack_received += 1;
                        }
                    }
                }
                _ => {}
            }
        }
    }

    fn report_blocks(&mut self, blocks: &[crate::rtcp::ReportBlock]) {
        let now = self.now;
        let clock = self.media.clock;
        for b in blocks {
            for t in &mut self.media.transceivers {
                for s in &mut t.send {
                    if s.ssrc == b.ssrc {
                        let _ = s.stats.on_report_block(now, &clock, b);
                    }
                }
            }
        }
    }

    /// A PLI or FIR for one of our SSRCs: `Event::KeyframeRequest`, coalesced per SSRC.
    fn keyframe_requested(&mut self, ssrc: u32, kind: KeyframeRequestKind) {
        let now = self.now;
        let Some((id, rid)) = self.media.transceivers.iter_mut().find_map(|t| {
            let s = t.send.iter_mut().find(|s| s.ssrc == ssrc)?;
            match kind {
                KeyframeRequestKind::Pli => s.pli_received += 1,
                KeyframeRequestKind::Fir => s.fir_received += 1,
            }
            Some((t.id, s.rid.clone()))
        }) else {
            return;
        };
        let m = &mut self.media;
        if let Some(last) = m.keyframe_events.get(&ssrc)
            && now.saturating_duration_since(*last) < KEYFRAME_EVENT_INTERVAL
        {
            m.drops.keyframe_requests_coalesced += 1;
            return;
        }
        m.keyframe_events.insert(ssrc, now);
        self.push_event(Event::KeyframeRequest {
            transceiver: id,
            rid,
            kind,
        });
    }

    // ----- sending -----

    /// Sends one RTP packet on a transceiver (see [`RtpOut`]). It is protected at once and
    /// goes out with the next `poll_transmit`.
    pub fn send_rtp(&mut self, id: TransceiverId, out: RtpOut) -> Result<(), MediaError> {
        if self.closed {
            return Err(MediaError::Closed);
        }
        let now = self.now;
        let abs_send_time = self.abs_send_time();
        let m = &mut self.media;
        m.ensure_srtp();
        let i = m.index(id).ok_or(MediaError::UnknownTransceiver)?;
        let t = &mut m.transceivers[i];
        if !t.can_send() {
            return Err(MediaError::NotReady("the transceiver does not send"));
        }
        if t.codec(out.payload_type).is_none() {
            return Err(MediaError::UnknownPayloadType(out.payload_type));
        }
        let Some(srtp) = m.srtp.as_mut() else {
            return Err(MediaError::NotReady("no SRTP keys yet"));
        };
        let si = match &out.rid {
            None => 0,
            Some(r) => t
                .send
                .iter()
                .position(|s| s.rid.as_deref() == Some(r))
                .ok_or(MediaError::InvalidEncodings("unknown rid"))?,
        };
        if !t.encodings.get(si).is_none_or(|e| e.active) {
            return Ok(());
        }
        // The header is written straight into the packet buffer: no header value, no element
        // list on the heap (one allocation per packet: the buffer).
        let mut elems = Elements::default();
        let map = &t.extensions;
        if let (Some(id), Some(mid)) = (map.id(ExtensionKind::Mid), t.mid.as_deref()) {
            elems.push(id, mid.as_bytes());
        }
        let stream = &mut t.send[si];
        if let (Some(id), Some(rid)) = (map.id(ExtensionKind::Rid), stream.rid.as_deref()) {
            elems.push(id, rid.as_bytes());
        }
        let ast = abs_send_time.to_be_bytes();
        if let Some(id) = map.id(ExtensionKind::AbsSendTime) {
            elems.push(id, &ast[1..]);
        }
        let twcc = m.twcc_seq.to_be_bytes();
        if let Some(id) = map.id(ExtensionKind::TransportCc) {
            elems.push(id, &twcc);
            m.twcc_seq = m.twcc_seq.wrapping_add(1);
        }
        for (kind, value) in &out.extensions {
            if let Some(id) = map.id(*kind) {
                elems.push(id, value);
            }
        }
        let level = out
            .audio_level
            .map(|(voice, level)| [(u8::from(voice) << 7) | (level & 0x7f)]);
        if let (Some(id), Some(level)) = (map.id(ExtensionKind::AudioLevel), level.as_ref()) {
            elems.push(id, level);
        }
        let seq = match out.sequence_number {
            None => stream.next_seq,
            Some(orig) => {
                let offset = *stream
                    .forward_offset
                    .get_or_insert(stream.next_seq.wrapping_sub(orig));
                orig.wrapping_add(offset)
            }
        };
        stream.next_seq = seq.wrapping_add(1);
        let timestamp = out.timestamp.wrapping_add(stream.timestamp_offset);
        let need = 12 + elems.block_len() + out.payload.len() + srtp.rtp_overhead();
        let buf = &mut m.out_pool;
        if buf.capacity() < need && !buf.try_reclaim(need) {
            *buf = BytesMut::with_capacity(need.max(OUT_CHUNK));
        }
        elems.write_header(
            buf,
            out.marker,
            out.payload_type,
            seq,
            timestamp,
            stream.ssrc,
        );
        buf.extend_from_slice(&out.payload);
        let len = buf.len();
        buf.resize(len + srtp.rtp_overhead(), 0);
        let Ok(n) = srtp.protect_rtp_in(buf, len) else {
            buf.clear();
            return Err(MediaError::NotReady("SRTP refused the packet"));
        };
        buf.truncate(n);
        let packet = buf.split().freeze();
        stream.stats.on_sent(now, timestamp, out.payload.len());
        m.queue_out(packet);
        Ok(())
    }

    /// abs-send-time (6.18 fixed point seconds, 24 bits) from the peer's clock.
    fn abs_send_time(&self) -> u32 {
        let ntp = self.media.clock.ntp(self.now);
        ((ntp >> 14) & 0x00ff_ffff) as u32
    }

    /// Asks the remote for a keyframe on what it sends us on `id` (the stream with `rid`, or
    /// every stream of the section): a PLI (RFC 4585 §6.3.1), or a FIR (RFC 5104 §4.3.1) when
    /// only FIR was negotiated.
    pub fn request_keyframe(
        &mut self,
        id: TransceiverId,
        rid: Option<&str>,
    ) -> Result<(), MediaError> {
        let t = self.media.get(id)?;
        if !t.can_receive() {
            return Err(MediaError::NotReady("the transceiver does not receive"));
        }
        let (pli, fir) = (t.fb_pli, t.fb_fir);
        let sender = t.send.first().map_or(1, |s| s.ssrc);
        let targets: Vec<u32> = self
            .media
            .routes
            .iter()
            .filter(|(_, r)| {
                r.transceiver == id && !r.rtx && rid.is_none_or(|x| r.rid.as_deref() == Some(x))
            })
            .map(|(s, _)| *s)
            .collect();
        if targets.is_empty() {
            return Err(MediaError::NotReady("nothing received yet"));
        }
        let mut packets = Vec::new();
        for media_ssrc in targets {
            if let Some(r) = self.media.routes.get_mut(&media_ssrc) {
                if pli || !fir {
                    r.pli_sent += 1;
                } else {
                    r.fir_sent += 1;
                }
            }
            if pli || !fir {
                packets.push(RtcpPacket::Pli(Pli {
                    sender_ssrc: sender,
                    media_ssrc,
                }));
            } else {
                self.media.fir_seq = self.media.fir_seq.wrapping_add(1);
                packets.push(RtcpPacket::Fir(Fir {
                    sender_ssrc: sender,
                    media_ssrc: 0,
                    entries: vec![FirEntry {
                        ssrc: media_ssrc,
                        seq_nr: self.media.fir_seq,
                    }],
                }));
            }
        }
        self.send_rtcp(packets, sender);
        Ok(())
    }

    /// Protects and queues a compound RTCP packet. Without rtcp-rsize (RFC 5506) feedback is
    /// preceded by an RR, as RFC 3550 §6.1 requires.
    fn send_rtcp(&mut self, mut packets: Vec<RtcpPacket>, sender: u32) {
        let reduced = self.media.rtcp_rsize;
        let starts_with_report = matches!(
            packets.first(),
            Some(RtcpPacket::SenderReport(_) | RtcpPacket::ReceiverReport(_))
        );
        if !reduced && !starts_with_report {
            packets.insert(
                0,
                RtcpPacket::ReceiverReport(ReceiverReport {
                    ssrc: sender,
                    reports: Vec::new(),
                    profile_extensions: Vec::new(),
                }),
            );
        }
        self.media.ensure_srtp();
        let Some(srtp) = self.media.srtp.as_mut() else {
            return;
        };
        let mut buf = Vec::new();
        if crate::rtcp::encode_compound(&packets, &mut buf).is_err() {
            return;
        }
        let len = buf.len();
        buf.resize(len + srtp.rtcp_overhead(), 0);
        if let Ok(n) = srtp.protect_rtcp_in(&mut buf, len) {
            buf.truncate(n);
            self.media.queue_out(Bytes::from(buf));
        }
    }

    /// RFC 3550 §6.2 / §6.4: the regular compound report when it is due — an SR per sending
    /// SSRC (the first carrying the report blocks), else an RR, and the SDES CNAME.
    pub(super) fn media_timeout(&mut self) {
        let now = self.now;
        if self.media.twcc_next.is_some_and(|t| t <= now) {
            self.send_twcc_feedback();
        }
        let due = self.media.schedule.as_ref().is_some_and(|s| s.is_due(now));
        if !due || self.media.srtp.is_none() {
            return;
        }
        let draw = self.media.rng.next_u32();
        if let Some(s) = self.media.schedule.as_mut() {
            s.on_sent(now, draw);
        }
        let clock = self.media.clock;
        let mut blocks: Vec<crate::rtcp::ReportBlock> = Vec::new();
        for (_, r) in self.media.routes.iter_mut() {
            if !r.rtx && r.stats.has_received_since_report() {
                blocks.push(r.stats.report_block(now));
            }
        }
        blocks.truncate(31);
        let mut packets = Vec::new();
        let mut sender = None;
        for t in &self.media.transceivers {
            if !t.can_send() {
                continue;
            }
            for s in &t.send {
                if s.stats.has_sent() {
                    let mut sr = s.stats.sender_report(now, &clock);
                    if sender.is_none() {
                        sr.reports = std::mem::take(&mut blocks);
                    }
                    sender.get_or_insert(s.ssrc);
                    packets.push(RtcpPacket::SenderReport(sr));
                }
            }
        }
        let sender = match sender {
            Some(s) => s,
            None => {
                let s = self
                    .media
                    .transceivers
                    .iter()
                    .find_map(|t| t.send.first().map(|s| s.ssrc))
                    .unwrap_or(1);
                packets.push(RtcpPacket::ReceiverReport(ReceiverReport {
                    ssrc: s,
                    reports: std::mem::take(&mut blocks),
                    profile_extensions: Vec::new(),
                }));
                s
            }
        };
        packets.push(RtcpPacket::Sdes(Sdes::with_cname(
            sender,
            self.media.cname.as_bytes().to_vec(),
        )));
        self.send_rtcp(packets, sender);
    }

    /// When media's next timer is due (the RTCP schedule).
    pub(super) fn media_poll_timeout(&self) -> Option<Instant> {
        self.media.srtp.as_ref()?;
        let report = self
            .media
            .schedule
            .as_ref()
            .and_then(RtcpSchedule::poll_timeout);
        [report, self.media.twcc_next].into_iter().flatten().min()
    }
}

#[cfg(test)]
#[path = "media_tests.rs"]
mod tests;
