//! RTP wire interop (issue 19): packets sansrtc writes parse in `rtp-types` (the GStreamer
//! authors' parser) with the same field values, and packets `rtp-types` builds parse in sansrtc
//! with the same values; both RFC 8285 extension forms, CSRCs and padding, both directions.
//!
//! webrtc-rs's `rtc-rtp` is reached through `rtc-srtp`, whose `encrypt_rtp` parses the header
//! with `rtc_rtp::Header::unmarshal` and encrypts from the header length it found: our packets,
//! typed extensions included, must be accepted and split at exactly our header length.
//! (`rtc-rtp`'s own codecs sit behind the `Marshal`/`Unmarshal` traits of `rtc-shared`, which is
//! not a dev-dependency, so its typed extension structs cannot be driven directly; its inherent
//! `AbsSendTimeExtension::new` checks our NTP → abs-send-time conversion.)
//!
//! The typed extensions are checked value by value against str0m (its `_internal_test_exports`
//! header parser, and its header writer behind `TestSrtp::protect`, which leaves the header in
//! the clear): audio level, transport-wide CC -01, video orientation, playout delay, MID, RID,
//! repaired RID and abs-capture-time, both ways, one-byte and two-byte forms. Not checked by
//! anyone else: toffset (str0m reads and writes 4 bytes where RFC 5450 §2 has 3), abs-send-time
//! values (str0m maps them to `Instant`s of its own clock) and the AV1 dependency descriptor (no
//! dependency implements it; `src/rtp/dd.rs` carries hand-computed bit strings instead).

use proptest::prelude::*;
use rtc_srtp::context::Context;
use rtc_srtp::crypto::providers::AwsLcRsCrypto;
use rtc_srtp::protection_profile::ProtectionProfile;
use sansrtc::rtp::{
    AbsCaptureTime, AbsSendTime, AudioLevel, CameraDirection, Csrcs, ExtensionForm, ExtensionKind,
    ExtensionMap, Extensions, Mid, PlayoutDelay, RepairedRid, Rid, Rotation, RtpHeader, RtpView,
    TransportCc, VideoOrientation,
};
use std::time::{Duration, SystemTime};

/// An independent reading of RFC 8285 elements (§4.2 one-byte, §4.3 two-byte), for checking
/// the block data `rtp-types` hands back.
fn reference_elements(profile: u16, data: &[u8]) -> Vec<(u8, Vec<u8>)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < data.len() {
        if profile == 0xBEDE {
            let (id, len) = (data[i] >> 4, usize::from(data[i] & 0xF) + 1);
            if id == 0 {
                i += 1;
                continue;
            }
            if id == 15 {
                break;
            }
            out.push((id, data[i + 1..i + 1 + len].to_vec()));
            i += 1 + len;
        } else {
            if data[i] == 0 {
                i += 1;
                continue;
            }
            let (id, len) = (data[i], usize::from(data[i + 1]));
            out.push((id, data[i + 2..i + 2 + len].to_vec()));
            i += 2 + len;
        }
    }
    out
}

/// An independent writing of RFC 8285 elements, padded to a word.
fn reference_block(two_byte: bool, elements: &[(u8, Vec<u8>)]) -> Vec<u8> {
    let mut out = Vec::new();
    for (id, d) in elements {
        if two_byte {
            out.push(*id);
            out.push(d.len() as u8);
        } else {
            out.push((id << 4) | (d.len() as u8 - 1));
        }
        out.extend_from_slice(d);
    }
    while out.len() % 4 != 0 {
        out.push(0);
    }
    out
}

/// Distinct ids, as both sides keep one element per id.
fn elements(two_byte: bool) -> impl Strategy<Value = Vec<(u8, Vec<u8>)>> {
    let (ids, lens) = if two_byte {
        (1u8..=255, 0usize..=29)
    } else {
        (1u8..=14, 1usize..=16)
    };
    proptest::collection::btree_map(ids, proptest::collection::vec(any::<u8>(), lens), 0..6)
        .prop_map(|m| m.into_iter().collect())
}

prop_compose! {
    fn header()(
        marker in any::<bool>(),
        pt in 0u8..128,
        seq in any::<u16>(),
        ts in any::<u32>(),
        ssrc in any::<u32>(),
        csrcs in proptest::collection::vec(any::<u32>(), 0..=15),
        (two_byte, appbits, elems) in any::<bool>().prop_flat_map(|t| (Just(t), 0u8..16, elements(t))),
        padding_len in prop_oneof![Just(0u8), 1u8..=255],
    ) -> RtpHeader {
        let form = if two_byte { ExtensionForm::TwoByte { appbits } } else { ExtensionForm::OneByte };
        let mut extensions = Extensions::with_form(form);
        for (id, d) in &elems {
            extensions.insert(*id, d).unwrap();
        }
        RtpHeader {
            marker,
            payload_type: pt,
            sequence_number: seq,
            timestamp: ts,
            ssrc,
            csrcs: Csrcs::from_slice(&csrcs).unwrap(),
            extensions,
            padding_len,
        }
    }
}

proptest! {
    /// sansrtc writes, rtp-types reads.
    #[test]
    fn ours_parse_in_rtp_types(h in header(), payload in proptest::collection::vec(any::<u8>(), 0..100)) {
        let mut out = Vec::new();
        h.encode_packet(&payload, &mut out);
        let p = rtp_types::RtpPacket::parse(&out[..]).expect("rtp-types parses ours");
        prop_assert_eq!(p.version(), 2);
        prop_assert_eq!(p.marker_bit(), h.marker);
        prop_assert_eq!(p.payload_type(), h.payload_type);
        prop_assert_eq!(p.sequence_number(), h.sequence_number);
        prop_assert_eq!(p.timestamp(), h.timestamp);
        prop_assert_eq!(p.ssrc(), h.ssrc);
        prop_assert_eq!(p.csrc().collect::<Vec<_>>(), h.csrcs.to_vec());
        prop_assert_eq!(p.padding(), (h.padding_len > 0).then_some(h.padding_len));
        prop_assert_eq!(p.payload(), &payload[..]);
        match p.extension() {
            None => prop_assert!(h.extensions.is_empty()),
            Some((profile, data)) => {
                let expect_profile = match h.extensions.form().unwrap() {
                    ExtensionForm::TwoByte { appbits } => 0x1000 | u16::from(appbits),
                    _ => 0xBEDE,
                };
                prop_assert_eq!(profile, expect_profile);
                let ours: Vec<(u8, Vec<u8>)> = h.extensions.iter().map(|(i, d)| (i, d.to_vec())).collect();
                prop_assert_eq!(reference_elements(profile, data), ours);
            }
        }
    }

    /// rtp-types writes (with independently built RFC 8285 blocks), sansrtc reads.
    #[test]
    fn rtp_types_packets_parse_in_ours(
        marker in any::<bool>(),
        pt in 0u8..128,
        seq in any::<u16>(),
        ts in any::<u32>(),
        ssrc in any::<u32>(),
        csrcs in proptest::collection::vec(any::<u32>(), 0..=15),
        ext in proptest::option::of(any::<bool>().prop_flat_map(|t| (Just(t), 0u16..16, elements(t)))),
        padding in proptest::option::of(1u8..=255),
        payload in proptest::collection::vec(any::<u8>(), 0..100),
    ) {
        let block = ext.as_ref().map(|(two, appbits, e)| {
            let profile = if *two { 0x1000 | appbits } else { 0xBEDE };
            (profile, reference_block(*two, e))
        });
        let mut b = rtp_types::RtpPacketBuilder::<&[u8], &[u8]>::new()
            .marker_bit(marker)
            .payload_type(pt)
            .sequence_number(seq)
            .timestamp(ts)
            .ssrc(ssrc)
            .payload(&payload)
            .maybe_padding(padding);
        for c in &csrcs {
            b = b.add_csrc(*c);
        }
        if let Some((profile, data)) = &block {
            b = b.extension(*profile, data);
        }
        let bytes = b.write_vec().expect("rtp-types writes");
        let v = RtpView::parse(&bytes).map_err(|e| TestCaseError::fail(format!("{e}")))?;
        prop_assert_eq!(v.marker(), marker);
        prop_assert_eq!(v.payload_type(), pt);
        prop_assert_eq!(v.sequence_number(), seq);
        prop_assert_eq!(v.timestamp(), ts);
        prop_assert_eq!(v.ssrc(), ssrc);
        prop_assert_eq!(v.csrcs().collect::<Vec<_>>(), csrcs.clone());
        prop_assert_eq!(v.padding_len(), usize::from(padding.unwrap_or(0)));
        prop_assert_eq!(v.payload(), &payload[..]);
        let h = RtpHeader::parse(&bytes).unwrap();
        match ext {
            None => prop_assert!(v.extension_profile().is_none()),
            Some((two, appbits, e)) => {
                prop_assert_eq!(v.extension_profile(), Some(block.unwrap().0));
                let got: Vec<(u8, Vec<u8>)> = h.extensions.iter().map(|(i, d)| (i, d.to_vec())).collect();
                prop_assert_eq!(&got, &e);
                if two && !e.is_empty() {
                    prop_assert_eq!(h.extensions.form(), Some(ExtensionForm::TwoByte { appbits: appbits as u8 }));
                }
            }
        }
        // And what we re-encode, rtp-types reads back to the same packet.
        let mut again = Vec::new();
        h.encode_packet(v.payload(), &mut again);
        let p = rtp_types::RtpPacket::parse(&again[..]).expect("rtp-types parses ours");
        prop_assert_eq!(p.payload(), &payload[..]);
        prop_assert_eq!(p.sequence_number(), seq);
    }

    /// rtc-rtp (inside rtc-srtp) accepts our headers, typed extensions in both forms included,
    /// and finds the payload where we put it.
    #[test]
    fn ours_parse_in_rtc_rtp(h in header(), payload in proptest::collection::vec(any::<u8>(), 8..64)) {
        let mut out = Vec::new();
        h.encode_packet(&payload, &mut out);
        check_rtc_rtp_header_len(&out, h.encoded_len());
    }
}

/// `rtc_rtp::Header::unmarshal` (run by `Context::encrypt_rtp`) accepts `packet` and its header
/// length is `header_len`: the bytes before it stay in the clear, the first four after it do not
/// (a wrong split of at least one word would leave a word unchanged or change one: 2^-32).
fn check_rtc_rtp_header_len(packet: &[u8], header_len: usize) {
    let mut ctx = Context::new(
        &[7; 16],
        &[9; 14],
        ProtectionProfile::Aes128CmHmacSha1_80,
        None,
        None,
        &AwsLcRsCrypto,
    )
    .unwrap();
    let enc = ctx.encrypt_rtp(packet).expect("rtc-rtp parses our header");
    assert_eq!(
        enc[..header_len],
        packet[..header_len],
        "header left in the clear"
    );
    assert_ne!(
        enc[header_len..header_len + 4],
        packet[header_len..header_len + 4],
        "payload encrypted from our header length"
    );
}

/// Typed extensions through a negotiated map: rtc-rtp's parser accepts the header and splits it
/// where we do, in the one-byte form and (ids above 14) the two-byte form.
#[test]
fn typed_extensions_parse_in_rtc_rtp_and_rtp_types() {
    for mixed in [false, true] {
        let mut map = ExtensionMap::new();
        let base = if mixed { 20 } else { 1 };
        map.insert(base, ExtensionKind::AbsSendTime).unwrap();
        map.insert(base + 1, ExtensionKind::AudioLevel).unwrap();
        map.insert(base + 2, ExtensionKind::TransportCc).unwrap();
        map.insert(base + 3, ExtensionKind::PlayoutDelay).unwrap();
        map.insert(base + 4, ExtensionKind::VideoOrientation)
            .unwrap();
        map.insert(base + 5, ExtensionKind::Mid).unwrap();
        let form = if mixed {
            ExtensionForm::Mixed
        } else {
            ExtensionForm::OneByte
        };
        let mut h = RtpHeader {
            payload_type: 111,
            sequence_number: 65535,
            timestamp: 960,
            ssrc: 0x1234_5678,
            extensions: Extensions::with_form(form),
            ..RtpHeader::default()
        };
        let ast = AbsSendTime::from_raw(0x12_3456).unwrap();
        let level = AudioLevel::new(true, 30).unwrap();
        let twcc = TransportCc {
            sequence: 4242,
            request: None,
        };
        let delay = PlayoutDelay::new(10, 200).unwrap();
        let cvo = VideoOrientation::default();
        let mid = Mid::new("video-0").unwrap();
        h.extensions.insert_typed(&map, &ast).unwrap();
        h.extensions.insert_typed(&map, &level).unwrap();
        h.extensions.insert_typed(&map, &twcc).unwrap();
        h.extensions.insert_typed(&map, &delay).unwrap();
        h.extensions.insert_typed(&map, &cvo).unwrap();
        h.extensions.insert_typed(&map, &mid).unwrap();
        let mut out = Vec::new();
        h.encode_packet(&[0xAB; 16], &mut out);
        check_rtc_rtp_header_len(&out, h.encoded_len());
        let p = rtp_types::RtpPacket::parse(&out[..]).unwrap();
        let (profile, data) = p.extension().unwrap();
        assert_eq!(profile, if mixed { 0x1000 } else { 0xBEDE });
        let elems = reference_elements(profile, data);
        // The bytes of each element are the documented wire forms.
        let find = |id: u8| elems.iter().find(|(i, _)| *i == id).unwrap().1.clone();
        assert_eq!(find(base), [0x12, 0x34, 0x56]);
        assert_eq!(find(base + 1), [0x80 | 30]);
        assert_eq!(find(base + 2), 4242u16.to_be_bytes());
        assert_eq!(find(base + 3), [0x00, 0xA0, 0xC8]);
        assert_eq!(find(base + 4), [0]);
        assert_eq!(find(base + 5), b"video-0");
        // And back.
        let back = RtpHeader::parse(&out).unwrap();
        assert_eq!(
            back.extensions.get_typed::<AbsSendTime>(&map),
            Some(Ok(ast))
        );
        assert_eq!(
            back.extensions.get_typed::<AudioLevel>(&map),
            Some(Ok(level))
        );
        assert_eq!(
            back.extensions.get_typed::<TransportCc>(&map),
            Some(Ok(twcc))
        );
        assert_eq!(
            back.extensions.get_typed::<PlayoutDelay>(&map),
            Some(Ok(delay))
        );
        assert_eq!(
            back.extensions.get_typed::<VideoOrientation>(&map),
            Some(Ok(cvo))
        );
        assert_eq!(back.extensions.get_typed::<Mid>(&map), Some(Ok(mid)));
    }
}

/// One set of typed values, as both sides express them.
#[derive(Debug, Clone)]
struct Typed {
    level: u8,
    voice: bool,
    twcc: u16,
    rotation: u8,
    delay: (u16, u16),
    mid: String,
    rid: String,
    rrid: String,
    /// Whole NTP seconds (at or after 1970: str0m goes through `SystemTime`), half a second or not.
    capture: (u32, bool, Option<i64>),
}

/// RFC 868: NTP seconds at the Unix epoch.
const NTP_UNIX: u32 = 2_208_988_800;

fn arb_typed() -> impl Strategy<Value = Typed> {
    (
        (0u8..128, any::<bool>(), any::<u16>(), 0u8..4),
        (0u16..4096, 0u16..4096),
        ("[a-zA-Z0-9]{1,16}", "[a-zA-Z0-9]{1,8}", "[a-zA-Z0-9]{1,8}"),
        (
            NTP_UNIX..=u32::MAX,
            any::<bool>(),
            proptest::option::of(any::<i64>()),
        ),
    )
        .prop_map(
            |((level, voice, twcc, rotation), delay, (mid, rid, rrid), capture)| Typed {
                level,
                voice,
                twcc,
                rotation,
                delay,
                mid,
                rid,
                rrid,
                capture,
            },
        )
}

/// The same ids on both sides; with `two_byte`, the MID goes to id 16 (str0m's highest), which
/// forces the two-byte form.
fn maps(two_byte: bool) -> (ExtensionMap, str0m::rtp::ExtensionMap) {
    use str0m::rtp::Extension as E;
    let mid_id = if two_byte { 16 } else { 4 };
    let pairs = [
        (1, ExtensionKind::AudioLevel, E::AudioLevel),
        (3, ExtensionKind::TransportCc, E::TransportSequenceNumber),
        (mid_id, ExtensionKind::Mid, E::RtpMid),
        (5, ExtensionKind::PlayoutDelay, E::PlayoutDelay),
        (6, ExtensionKind::VideoOrientation, E::VideoOrientation),
        (7, ExtensionKind::AbsCaptureTime, E::AbsoluteCaptureTime),
        (10, ExtensionKind::Rid, E::RtpStreamId),
        (11, ExtensionKind::RepairedRid, E::RepairedRtpStreamId),
    ];
    let mut ours = ExtensionMap::new();
    let mut theirs = str0m::rtp::ExtensionMap::empty();
    for (id, k, e) in pairs {
        ours.insert(id, k).unwrap();
        theirs.set(id, e);
    }
    (ours, theirs)
}

fn capture_ntp(t: &Typed) -> u64 {
    (u64::from(t.capture.0) << 32) | if t.capture.1 { 0x8000_0000 } else { 0 }
}

fn capture_system_time(t: &Typed) -> SystemTime {
    SystemTime::UNIX_EPOCH
        + Duration::from_secs(u64::from(t.capture.0 - NTP_UNIX))
        + if t.capture.1 {
            Duration::from_millis(500)
        } else {
            Duration::ZERO
        }
}

fn ours_with(t: &Typed, map: &ExtensionMap, two_byte: bool) -> RtpHeader {
    let form = if two_byte {
        ExtensionForm::Mixed
    } else {
        ExtensionForm::OneByte
    };
    let mut h = RtpHeader {
        payload_type: 96,
        sequence_number: 7,
        timestamp: 90_000,
        ssrc: 0x5EED_0001,
        extensions: Extensions::with_form(form),
        ..RtpHeader::default()
    };
    let e = &mut h.extensions;
    e.insert_typed(map, &AudioLevel::new(t.voice, t.level).unwrap())
        .unwrap();
    e.insert_typed(
        map,
        &TransportCc {
            sequence: t.twcc,
            request: None,
        },
    )
    .unwrap();
    e.insert_typed(map, &Mid::new(&t.mid).unwrap()).unwrap();
    e.insert_typed(map, &PlayoutDelay::new(t.delay.0, t.delay.1).unwrap())
        .unwrap();
    e.insert_typed(
        map,
        &VideoOrientation {
            camera: CameraDirection::Front,
            flip: false,
            rotation: rotation(t.rotation),
        },
    )
    .unwrap();
    e.insert_typed(
        map,
        &AbsCaptureTime {
            timestamp: capture_ntp(t),
            clock_offset: t.capture.2,
        },
    )
    .unwrap();
    e.insert_typed(map, &Rid::new(&t.rid).unwrap()).unwrap();
    e.insert_typed(map, &RepairedRid::new(&t.rrid).unwrap())
        .unwrap();
    h
}

fn rotation(r1r0: u8) -> Rotation {
    [
        Rotation::Deg0,
        Rotation::Deg90,
        Rotation::Deg180,
        Rotation::Deg270,
    ][usize::from(r1r0)]
}

/// str0m names R1 R0 by the rotation of the video on the link, clockwise: 1 is its `Deg270`.
fn str0m_rotation(r1r0: u8) -> str0m::rtp::VideoOrientation {
    str0m::rtp::VideoOrientation::from(r1r0)
}

fn hundredths(m: Option<str0m::media::MediaTime>) -> Option<u64> {
    m.map(|m| m.rebase(str0m::media::Frequency::HUNDREDTHS).numer())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// sansrtc writes the typed extensions, str0m reads the same values.
    #[test]
    fn typed_ours_parse_in_str0m(t in arb_typed(), two_byte in any::<bool>()) {
        let (ours, theirs) = maps(two_byte);
        let h = ours_with(&t, &ours, two_byte);
        let mut out = Vec::new();
        h.encode_packet(&[0xAB; 20], &mut out);
        prop_assert_eq!(RtpView::parse(&out).unwrap().extension_profile(), Some(if two_byte { 0x1000 } else { 0xBEDE }));
        let s = str0m::rtp::RtpHeader::_parse(&out, &theirs).expect("str0m parses ours");
        prop_assert_eq!(s.header_len, h.encoded_len());
        let v = &s.ext_vals;
        prop_assert_eq!(v.audio_level, Some(-(t.level as i8)));
        prop_assert_eq!(v.voice_activity, Some(t.voice));
        prop_assert_eq!(v.transport_cc, Some(t.twcc));
        prop_assert_eq!(v.video_orientation, Some(str0m_rotation(t.rotation)));
        prop_assert_eq!(hundredths(v.play_delay_min), Some(u64::from(t.delay.0)));
        prop_assert_eq!(hundredths(v.play_delay_max), Some(u64::from(t.delay.1)));
        prop_assert_eq!(v.mid.as_deref(), Some(t.mid.as_str()));
        prop_assert_eq!(v.rid.as_deref(), Some(t.rid.as_str()));
        prop_assert_eq!(v.rid_repair.as_deref(), Some(t.rrid.as_str()));
        let act = v.abs_capture_time.expect("abs-capture-time");
        prop_assert_eq!(act.capture_time, capture_system_time(&t));
        prop_assert_eq!(act.clock_offset, t.capture.2);
    }

    /// str0m writes the typed extensions (its header writer, behind its SRTP sender: the header
    /// stays in the clear), sansrtc reads the same values.
    #[test]
    fn str0m_typed_parse_in_ours(t in arb_typed(), two_byte in any::<bool>()) {
        use str0m::crypto::dtls::{KeyingMaterial, SrtpProfile};
        let (ours, theirs) = maps(two_byte);
        let mut plain = Vec::new();
        RtpHeader { payload_type: 111, sequence_number: 9, ssrc: 42, ..RtpHeader::default() }
            .encode_packet(&[0; 4], &mut plain);
        let mut s = str0m::rtp::RtpHeader::_parse(&plain, &theirs).unwrap();
        s.has_extension = true;
        s.ext_vals = str0m::rtp::ExtensionValues {
            audio_level: Some(-(t.level as i8)),
            voice_activity: Some(t.voice),
            transport_cc: Some(t.twcc),
            video_orientation: Some(str0m_rotation(t.rotation)),
            play_delay_min: Some(str0m::media::MediaTime::from_hundredths(u64::from(t.delay.0))),
            play_delay_max: Some(str0m::media::MediaTime::from_hundredths(u64::from(t.delay.1))),
            mid: Some(t.mid.as_str().into()),
            rid: Some(t.rid.as_str().into()),
            rid_repair: Some(t.rrid.as_str().into()),
            abs_capture_time: Some(str0m::rtp::AbsCaptureTime {
                capture_time: capture_system_time(&t),
                clock_offset: t.capture.2,
            }),
            ..Default::default()
        };
        let crypto = str0m::crypto::from_feature_flags();
        let mut srtp = str0m::_internal_test_exports::TestSrtp::new(
            &crypto,
            SrtpProfile::AES128_CM_SHA1_80,
            &KeyingMaterial::new(&[5; 60]),
        );
        let packet = srtp.protect(s, 9, &[0xCD; 20], &theirs);
        let view = RtpView::parse(&packet).map_err(|e| TestCaseError::fail(format!("{e}")))?;
        prop_assert_eq!(view.extension_profile(), Some(if two_byte { 0x1000 } else { 0xBEDE }));
        prop_assert_eq!(view.payload_type(), 111);
        prop_assert_eq!(view.ssrc(), 42);
        let e = view.to_header().extensions;
        prop_assert_eq!(e.get_typed::<AudioLevel>(&ours), Some(Ok(AudioLevel::new(t.voice, t.level).unwrap())));
        prop_assert_eq!(e.get_typed::<TransportCc>(&ours), Some(Ok(TransportCc { sequence: t.twcc, request: None })));
        prop_assert_eq!(
            e.get_typed::<VideoOrientation>(&ours).unwrap().unwrap().rotation,
            rotation(t.rotation)
        );
        prop_assert_eq!(e.get_typed::<PlayoutDelay>(&ours), Some(Ok(PlayoutDelay::new(t.delay.0, t.delay.1).unwrap())));
        prop_assert_eq!(e.get_typed::<Mid>(&ours), Some(Ok(Mid::new(&t.mid).unwrap())));
        prop_assert_eq!(e.get_typed::<Rid>(&ours), Some(Ok(Rid::new(&t.rid).unwrap())));
        prop_assert_eq!(e.get_typed::<RepairedRid>(&ours), Some(Ok(RepairedRid::new(&t.rrid).unwrap())));
        prop_assert_eq!(
            e.get_typed::<AbsCaptureTime>(&ours),
            Some(Ok(AbsCaptureTime { timestamp: capture_ntp(&t), clock_offset: t.capture.2 }))
        );
    }

    /// abs-send-time from a 64-bit NTP time: rtc-rtp's `AbsSendTimeExtension::new` keeps
    /// `ntp >> 14`, of which the 24 bits on the wire are ours.
    #[test]
    fn abs_send_time_from_ntp_agrees_with_rtc_rtp(ntp in any::<u64>()) {
        let theirs = rtc_rtp::extension::abs_send_time_extension::AbsSendTimeExtension::new(ntp);
        prop_assert_eq!(u64::from(AbsSendTime::from_ntp(ntp).raw()), theirs.timestamp & 0xFF_FFFF);
    }
}
