//! Property tests of the RTP wire: header, extensions, typed values and the dependency
//! descriptor round trip; parsing arbitrary bytes never panics.

use super::*;
use proptest::prelude::*;
use std::time::Duration;

/// Elements that fit the one-byte form.
fn one_byte_elements() -> impl Strategy<Value = Vec<(u8, Vec<u8>)>> {
    proptest::collection::vec(
        (1u8..=14, proptest::collection::vec(any::<u8>(), 1..=16)),
        0..6,
    )
}

/// Elements of the two-byte form (any id but 0, 0..=255 bytes; kept short).
fn two_byte_elements() -> impl Strategy<Value = Vec<(u8, Vec<u8>)>> {
    proptest::collection::vec(
        (1u8..=255, proptest::collection::vec(any::<u8>(), 0..40)),
        0..6,
    )
}

#[derive(Debug, Clone)]
enum ExtSpec {
    Form(ExtensionForm, Vec<(u8, Vec<u8>)>),
    Generic(u16, Vec<u8>),
}

fn arb_ext() -> impl Strategy<Value = ExtSpec> {
    prop_oneof![
        one_byte_elements().prop_map(|e| ExtSpec::Form(ExtensionForm::OneByte, e)),
        (0u8..16, two_byte_elements())
            .prop_map(|(a, e)| ExtSpec::Form(ExtensionForm::TwoByte { appbits: a }, e)),
        prop_oneof![one_byte_elements(), two_byte_elements()]
            .prop_map(|e| ExtSpec::Form(ExtensionForm::Mixed, e)),
        (
            any::<u16>().prop_filter("not RFC 8285", |p| *p != ONE_BYTE_PROFILE
                && p & 0xFFF0 != TWO_BYTE_PROFILE),
            proptest::collection::vec(any::<u32>(), 0..5)
        )
            .prop_map(|(p, w)| ExtSpec::Generic(
                p,
                w.iter().flat_map(|x| x.to_be_bytes()).collect()
            )),
    ]
}

fn build_ext(spec: &ExtSpec) -> Extensions {
    match spec {
        ExtSpec::Form(form, elements) => {
            let mut e = Extensions::with_form(*form);
            for (id, d) in elements {
                e.insert(*id, d).unwrap();
            }
            e
        }
        ExtSpec::Generic(p, d) => Extensions::generic(*p, d).unwrap(),
    }
}

/// What parsing gives back for written extensions: the form actually on the wire, the empty
/// default for no elements.
fn expected_after_wire(e: &Extensions) -> Extensions {
    let Some(form) = e.form() else {
        return e.clone();
    };
    if e.is_empty() {
        return Extensions::new();
    }
    let wire = match form {
        ExtensionForm::Mixed => {
            if e.iter()
                .all(|(id, d)| (1..=14).contains(&id) && (1..=16).contains(&d.len()))
            {
                ExtensionForm::OneByte
            } else {
                ExtensionForm::TwoByte { appbits: 0 }
            }
        }
        f => f,
    };
    let mut out = Extensions::with_form(wire);
    for (id, d) in e.iter() {
        out.insert(id, d).unwrap();
    }
    out
}

prop_compose! {
    fn arb_header()(
        marker in any::<bool>(),
        payload_type in 0u8..128,
        sequence_number in any::<u16>(),
        timestamp in any::<u32>(),
        ssrc in any::<u32>(),
        csrcs in proptest::collection::vec(any::<u32>(), 0..=15),
        ext in arb_ext(),
        padding_len in prop_oneof![Just(0u8), any::<u8>()],
    ) -> RtpHeader {
        RtpHeader {
            marker,
            payload_type,
            sequence_number,
            timestamp,
            ssrc,
            csrcs: Csrcs::from_slice(&csrcs).unwrap(),
            extensions: build_ext(&ext),
            padding_len,
        }
    }
}

proptest! {
    #[test]
    fn header_round_trip(h in arb_header(), payload in proptest::collection::vec(any::<u8>(), 0..64)) {
        let mut out = Vec::new();
        h.encode_packet(&payload, &mut out);
        let view = RtpView::parse(&out).map_err(|e| TestCaseError::fail(format!("{e}")))?;
        prop_assert_eq!(view.payload(), &payload[..]);
        prop_assert_eq!(view.padding_len(), usize::from(h.padding_len));
        prop_assert_eq!(view.header_len(), h.encoded_len());
        prop_assert_eq!(view.csrcs().collect::<Vec<_>>(), h.csrcs.to_vec());
        let back = view.to_header();
        let mut expect = h.clone();
        expect.extensions = expected_after_wire(&h.extensions);
        prop_assert_eq!(&back, &expect);
        // Canonical: the parsed value writes the same bytes.
        let mut again = Vec::new();
        back.encode_packet(view.payload(), &mut again);
        prop_assert_eq!(again, out.clone());
        // encode_into writes the same header into a datagram buffer.
        let mut buf = [0u8; 2048];
        let n = h.encode_into(&mut buf).unwrap();
        prop_assert_eq!(&buf[..n], &out[..n]);
        // The other implementation of the header extension block agrees element by element.
        if let Some(block) = view.extensions() {
            prop_assert_eq!(
                block.iter().collect::<Vec<_>>(),
                h.extensions.iter().collect::<Vec<_>>()
            );
        }
    }

    #[test]
    fn parse_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..120)) {
        crate::fuzzing::rtp(&bytes);
    }

    #[test]
    fn parse_never_panics_with_a_valid_start(
        b0 in 0x80u8..0xC0,
        rest in proptest::collection::vec(any::<u8>(), 11..120),
    ) {
        let mut p = vec![b0];
        p.extend_from_slice(&rest);
        crate::fuzzing::rtp(&p);
    }

    #[test]
    fn extension_modes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..120)) {
        crate::fuzzing::rtp_extensions(&bytes);
    }

    #[test]
    fn mid_rid_round_trip(s in "[A-Za-z0-9_-]{1,255}") {
        for v in [Mid::new(&s).unwrap().as_str(), Rid::new(&s).unwrap().as_str(), RepairedRid::new(&s).unwrap().as_str()] {
            prop_assert_eq!(v, s.as_str());
        }
        typed_round_trip(&Mid::new(&s).unwrap())?;
        typed_round_trip(&Rid::new(&s).unwrap())?;
        typed_round_trip(&RepairedRid::new(&s).unwrap())?;
    }

    #[test]
    fn fixed_extensions_round_trip(
        ast in 0u32..(1 << 24),
        seq in any::<u16>(),
        req in proptest::option::of((any::<bool>(), 0u16..0x8000)),
        voice in any::<bool>(),
        level in 0u8..128,
        (c, f, r) in (any::<bool>(), any::<bool>(), 0u8..4),
        (min, max) in (0u16..4096, 0u16..4096),
        (ts, off) in (any::<u64>(), proptest::option::of(any::<i64>())),
        toff in TransmissionOffset::RANGE,
    ) {
        typed_round_trip(&AbsSendTime::from_raw(ast).unwrap())?;
        typed_round_trip(&TransportCc {
            sequence: seq,
            request: req.map(|(t, n)| FeedbackRequest { include_timestamps: t, sequence_count: n }),
        })?;
        typed_round_trip(&AudioLevel::new(voice, level).unwrap())?;
        typed_round_trip(&VideoOrientation {
            camera: if c { CameraDirection::Back } else { CameraDirection::Front },
            flip: f,
            rotation: [Rotation::Deg0, Rotation::Deg90, Rotation::Deg180, Rotation::Deg270][usize::from(r)],
        })?;
        typed_round_trip(&PlayoutDelay::new(min, max).unwrap())?;
        typed_round_trip(&AbsCaptureTime { timestamp: ts, clock_offset: off })?;
        typed_round_trip(&TransmissionOffset::new(toff).unwrap())?;
    }

    #[test]
    fn abs_send_time_duration_within_a_step(ms in 0u64..64_000) {
        let d = Duration::from_millis(ms);
        let back = AbsSendTime::from_duration(d).to_duration();
        // 6.18 fixed point: one step is 2^-18 s ≈ 3.8 µs, truncated.
        prop_assert!(back <= d && d - back < Duration::from_nanos(3815));
    }

    #[test]
    fn typed_values_through_a_header(
        level in 0u8..128,
        seq in any::<u16>(),
        mid in "[a-z0-9]{1,16}",
        mixed in any::<bool>(),
    ) {
        let mut map = ExtensionMap::new();
        map.insert(1, ExtensionKind::AudioLevel).unwrap();
        map.insert(if mixed { 200 } else { 3 }, ExtensionKind::TransportCc).unwrap();
        map.insert(4, ExtensionKind::Mid).unwrap();
        let form = if mixed { ExtensionForm::Mixed } else { ExtensionForm::OneByte };
        let mut h = RtpHeader { extensions: Extensions::with_form(form), ..RtpHeader::default() };
        h.extensions.insert_typed(&map, &AudioLevel::new(true, level).unwrap()).unwrap();
        h.extensions.insert_typed(&map, &TransportCc { sequence: seq, request: None }).unwrap();
        h.extensions.insert_typed(&map, &Mid::new(&mid).unwrap()).unwrap();
        let mut out = Vec::new();
        h.encode(&mut out);
        let back = RtpHeader::parse(&out).unwrap();
        prop_assert_eq!(back.extensions.get_typed::<AudioLevel>(&map), Some(Ok(AudioLevel::new(true, level).unwrap())));
        prop_assert_eq!(back.extensions.get_typed::<TransportCc>(&map), Some(Ok(TransportCc { sequence: seq, request: None })));
        let got = back.extensions.get_typed::<Mid>(&map).unwrap().unwrap();
        prop_assert_eq!(got.as_str(), mid.as_str());
        let view = RtpView::parse(&out).unwrap();
        prop_assert_eq!(view.extension_profile(), Some(if mixed { 0x1000 } else { 0xBEDE }));
    }

    #[test]
    fn seq_extender_matches_a_64_bit_counter(start in any::<u64>(), steps in proptest::collection::vec(-1000i64..3000, 1..200)) {
        let start = (start >> 2) as i64;
        let mut e = SeqExtender::new();
        let mut t = TimestampExtender::new();
        let base_seq = e.extend(start as u16);
        let base_ts = t.extend(start as u32);
        let mut truth = start;
        for s in steps {
            truth += s;
            prop_assert_eq!(e.extend(truth as u16) - base_seq, truth - start);
            prop_assert_eq!(t.extend(truth as u32) - base_ts, truth - start);
        }
    }

    #[test]
    fn dd_round_trip((s, d) in arb_structure().prop_flat_map(|s| (Just(s.clone()), arb_descriptor(s)))) {
        s.validate().map_err(|e| TestCaseError::fail(format!("{e}")))?;
        // Attached to the descriptor.
        let mut first = d.clone();
        first.structure = Some(s.clone());
        let mut out = Vec::new();
        match first.encode(None, &mut out) {
            Err(DdError::TooLong) => return Ok(()),
            r => r.map_err(|e| TestCaseError::fail(format!("{e}")))?,
        }
        prop_assert_eq!(DependencyDescriptor::parse(&out, None).unwrap(), first.clone());
        // Referring to it from a later packet, through a reader.
        let mut reader = DdReader::new();
        reader.read(&out).unwrap();
        let mut later = Vec::new();
        d.encode(Some(&s), &mut later).unwrap();
        prop_assert_eq!(reader.read(&later).unwrap(), d.clone());
        prop_assert_eq!(d.encoded_len(Some(&s)).unwrap(), later.len());
        let f = d.resolve(Some(&s)).unwrap();
        prop_assert_eq!(f.dtis.len(), usize::from(s.decode_target_count));
        prop_assert_eq!(f.chain_fdiffs.len(), usize::from(s.chain_count));
    }
}

fn typed_round_trip<T: TypedExtension + PartialEq + std::fmt::Debug>(
    v: &T,
) -> Result<(), TestCaseError> {
    let mut out = Vec::new();
    v.encode(&mut out);
    prop_assert_eq!(out.len(), v.encoded_len());
    prop_assert_eq!(
        &T::parse(&out).map_err(|e| TestCaseError::fail(format!("{e}")))?,
        v
    );
    Ok(())
}

fn arb_dti() -> impl Strategy<Value = Dti> {
    prop_oneof![
        Just(Dti::NotPresent),
        Just(Dti::Discardable),
        Just(Dti::Switch),
        Just(Dti::Required)
    ]
}

/// Valid structures: layer steps from Table A.2, within the AV1 limits.
fn arb_structure() -> impl Strategy<Value = DependencyStructure> {
    (
        0u8..64,
        1u8..=12,
        proptest::collection::vec(0u8..3, 0..20),
        any::<bool>(),
    )
        .prop_flat_map(|(offset, dts, steps, with_res)| {
            // Walk the steps, dropping those past 4 spatial or 8 temporal layers.
            let mut layers = vec![(0u8, 0u8)];
            for st in steps {
                let (s, t) = *layers.last().unwrap();
                let next = match st {
                    0 => (s, t),
                    1 => (s, t + 1),
                    _ => (s + 1, 0),
                };
                if usize::from(next.0) < MAX_SPATIAL_LAYERS
                    && usize::from(next.1) < MAX_TEMPORAL_LAYERS
                {
                    layers.push(next);
                }
            }
            let n = layers.len();
            let max_spatial = layers.iter().map(|l| l.0).max().unwrap();
            (0..=dts).prop_flat_map(move |chains| {
                let layers = layers.clone();
                (
                    proptest::collection::vec(
                        (
                            proptest::collection::vec(arb_dti(), usize::from(dts)),
                            proptest::collection::vec(1u8..=16, 0..4),
                            proptest::collection::vec(0u8..16, usize::from(chains)),
                        ),
                        n,
                    ),
                    proptest::collection::vec(
                        0..chains.max(1),
                        if chains > 0 { usize::from(dts) } else { 0 },
                    ),
                    proptest::collection::vec(
                        (1u32..=65536, 1u32..=65536),
                        if with_res {
                            usize::from(max_spatial) + 1
                        } else {
                            0
                        },
                    ),
                )
                    .prop_map(move |(tpls, protected, res)| DependencyStructure {
                        template_id_offset: offset,
                        decode_target_count: dts,
                        templates: layers
                            .iter()
                            .zip(tpls)
                            .map(|(&(s, t), (dtis, fdiffs, chain_fdiffs))| FrameTemplate {
                                spatial_id: s,
                                temporal_id: t,
                                dtis,
                                fdiffs,
                                chain_fdiffs,
                            })
                            .collect(),
                        chain_count: chains,
                        decode_target_protected_by: protected,
                        resolutions: res
                            .into_iter()
                            .map(|(width, height)| RenderResolution { width, height })
                            .collect(),
                    })
            })
        })
}

fn arb_descriptor(s: DependencyStructure) -> impl Strategy<Value = DependencyDescriptor> {
    let dts = usize::from(s.decode_target_count);
    let chains = usize::from(s.chain_count);
    let n = s.templates.len();
    let offset = s.template_id_offset;
    (
        any::<(bool, bool, u16)>(),
        0..n,
        proptest::option::of(
            any::<u32>().prop_map(move |m| if dts >= 32 { m } else { m & ((1 << dts) - 1) }),
        ),
        proptest::option::of(proptest::collection::vec(arb_dti(), dts)),
        proptest::option::of(proptest::collection::vec(1u16..=4096, 0..5)),
        proptest::option::of(proptest::collection::vec(any::<u8>(), chains)),
    )
        .prop_map(
            move |((sof, eof, frame), index, active, dtis, fdiffs, chain_fdiffs)| {
                DependencyDescriptor {
                    start_of_frame: sof,
                    end_of_frame: eof,
                    template_id: ((usize::from(offset) + index) % 64) as u8,
                    frame_number: frame,
                    structure: None,
                    active_decode_targets: active,
                    custom_dtis: dtis,
                    custom_fdiffs: fdiffs,
                    custom_chains: chain_fdiffs,
                }
            },
        )
}

#[test]
fn demux_agrees_with_net() {
    use crate::net::PacketKind;
    for first in 0..=255u8 {
        for second in 0..=255u8 {
            let p = [first, second, 0, 0];
            let rtp_range = PacketKind::of(&p) == Ok(PacketKind::Rtp);
            // RFC 7983: both live in net's RTP range, and every packet there is one or the other.
            assert_eq!(is_rtp(&p) || is_rtcp(&p), rtp_range, "{first} {second}");
            assert!(!(is_rtp(&p) && is_rtcp(&p)));
        }
    }
    // RFC 5761 §4: SR (200) and RR (201), marker-masked, are RTCP; PT 96 with marker is RTP.
    assert!(is_rtcp(&[0x80, 200]));
    assert!(is_rtcp(&[0x81, 201]));
    assert!(is_rtcp(&[0x80, 192]) && is_rtcp(&[0x80, 223]));
    assert!(is_rtp(&[0x80, 224]) && is_rtp(&[0x80, 191]));
    assert!(is_rtp(&[0x80, 0x80 | 96]));
    assert!(is_rtp(&[0x80, 63]) && !is_rtp(&[0x80, 64]));
    assert!(!is_rtcp(&[0x80]) && !is_rtp(&[0x80]));
}

/// Writes the seed corpora of the `rtp` and `rtp_extensions` fuzz targets
/// (`cargo test --lib rtp::tests::write_seed_corpus -- --ignored`).
#[test]
#[ignore = "writes fuzz/corpus/rtp*/seed-*; run by hand when the seeds change"]
fn write_seed_corpus() {
    use super::dd::tests::{l1t3, l3t3};
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus");
    let write = |target: &str, name: &str, bytes: &[u8]| {
        std::fs::write(root.join(target).join(format!("seed-{name}")), bytes).unwrap();
    };
    let packet = |h: &RtpHeader, payload: &[u8]| {
        let mut out = Vec::new();
        h.encode_packet(payload, &mut out);
        out
    };
    let base = RtpHeader {
        payload_type: 96,
        sequence_number: 0xFFFE,
        timestamp: 0x1234_5678,
        ssrc: 0xCAFE_BABE,
        ..RtpHeader::default()
    };
    let mut map = ExtensionMap::new();
    for (i, k) in ExtensionKind::ALL.into_iter().enumerate() {
        map.insert(i as u8 + 1, k).unwrap();
    }

    // rtp: whole packets.
    write("rtp", "plain", &packet(&base, b"payload"));
    write(
        "rtp",
        "empty-payload",
        &packet(
            &RtpHeader {
                marker: true,
                ..base.clone()
            },
            b"",
        ),
    );
    write(
        "rtp",
        "csrc-1",
        &packet(
            &RtpHeader {
                csrcs: Csrcs::from_slice(&[1]).unwrap(),
                ..base.clone()
            },
            b"x",
        ),
    );
    write(
        "rtp",
        "csrc-15",
        &packet(
            &RtpHeader {
                csrcs: Csrcs::from_slice(&[7; 15]).unwrap(),
                ..base.clone()
            },
            b"xy",
        ),
    );
    write(
        "rtp",
        "padding-1",
        &packet(
            &RtpHeader {
                padding_len: 1,
                ..base.clone()
            },
            b"abc",
        ),
    );
    write(
        "rtp",
        "padding-255",
        &packet(
            &RtpHeader {
                padding_len: 255,
                ..base.clone()
            },
            b"abc",
        ),
    );
    write(
        "rtp",
        "padding-only-probe",
        &packet(
            &RtpHeader {
                padding_len: 224,
                ..base.clone()
            },
            b"",
        ),
    );
    let one = |elems: &[(u8, &[u8])], form: ExtensionForm| {
        let mut e = Extensions::with_form(form);
        for (id, d) in elems {
            e.insert(*id, d).unwrap();
        }
        RtpHeader {
            extensions: e,
            ..base.clone()
        }
    };
    write(
        "rtp",
        "ext-one-byte",
        &packet(
            &one(
                &[(1, &[0xAA]), (2, &[1, 2]), (14, &[9; 16])],
                ExtensionForm::OneByte,
            ),
            b"p",
        ),
    );
    write(
        "rtp",
        "ext-two-byte",
        &packet(
            &one(
                &[(1, &[]), (200, &[5; 40]), (3, &[1])],
                ExtensionForm::TwoByte { appbits: 0xA },
            ),
            b"p",
        ),
    );
    write(
        "rtp",
        "ext-mixed-one",
        &packet(&one(&[(5, &[1, 2, 3])], ExtensionForm::Mixed), b"p"),
    );
    write(
        "rtp",
        "ext-mixed-two",
        &packet(
            &one(&[(5, &[1, 2, 3]), (17, &[0; 20])], ExtensionForm::Mixed),
            b"p",
        ),
    );
    let mut all = one(&[], ExtensionForm::Mixed);
    all.extensions
        .insert_typed(&map, &Mid::new("0").unwrap())
        .unwrap();
    all.extensions
        .insert_typed(&map, &Rid::new("hi").unwrap())
        .unwrap();
    all.extensions
        .insert_typed(&map, &RepairedRid::new("lo").unwrap())
        .unwrap();
    all.extensions
        .insert_typed(&map, &AbsSendTime::from_raw(0xABCDEF).unwrap())
        .unwrap();
    all.extensions
        .insert_typed(
            &map,
            &TransportCc {
                sequence: 77,
                request: None,
            },
        )
        .unwrap();
    all.extensions
        .insert_typed(&map, &AudioLevel::new(true, 40).unwrap())
        .unwrap();
    all.extensions
        .insert_typed(
            &map,
            &VideoOrientation {
                flip: true,
                ..VideoOrientation::default()
            },
        )
        .unwrap();
    all.extensions
        .insert_typed(&map, &PlayoutDelay::new(0, 100).unwrap())
        .unwrap();
    all.extensions
        .insert_typed(
            &map,
            &AbsCaptureTime {
                timestamp: 1 << 40,
                clock_offset: Some(-3),
            },
        )
        .unwrap();
    all.extensions
        .insert_typed(&map, &TransmissionOffset::new(-90).unwrap())
        .unwrap();
    let mut dd = Vec::new();
    let mut first = DependencyDescriptor::new(true, true, 0, 1);
    first.structure = Some(l1t3());
    first.encode(None, &mut dd).unwrap();
    all.extensions.insert(12, &dd).unwrap();
    write("rtp", "ext-every-typed", &packet(&all, b"frame"));
    all.padding_len = 3;
    all.csrcs = Csrcs::from_slice(&[1, 2]).unwrap();
    write(
        "rtp",
        "ext-every-typed-csrc-padding",
        &packet(&all, b"frame"),
    );
    write(
        "rtp",
        "ext-generic-profile",
        &packet(
            &RtpHeader {
                extensions: Extensions::generic(0xABAC, &[1, 2, 3, 4]).unwrap(),
                ..base.clone()
            },
            b"g",
        ),
    );
    // Hand-made blocks the writer never produces: inner padding, id 15 stop, duplicates.
    let raw = |profile: u16, block: &[u8]| {
        let mut p = packet(&base, b"");
        p[0] |= 0x10;
        p.extend_from_slice(&profile.to_be_bytes());
        p.extend_from_slice(&((block.len() / 4) as u16).to_be_bytes());
        p.extend_from_slice(block);
        p.extend_from_slice(b"pay");
        p
    };
    write(
        "rtp",
        "ext-inner-padding",
        &raw(0xBEDE, &[0x10, 0xAA, 0, 0, 0x21, 1, 2, 0]),
    );
    write(
        "rtp",
        "ext-id15-stop",
        &raw(0xBEDE, &[0x10, 0xAA, 0xF5, 0x2F]),
    );
    write(
        "rtp",
        "ext-duplicate-id",
        &raw(0xBEDE, &[0x10, 0xAA, 0x10, 0xBB]),
    );
    write(
        "rtp",
        "ext-two-byte-padding",
        &raw(0x1003, &[0, 0, 0x05, 0x01, 0x07, 0x00, 0, 0]),
    );
    write("rtp", "ext-empty-block", &raw(0xBEDE, &[]));
    write(
        "rtp",
        "rtcp-sr-like",
        &[0x80, 200, 0, 6, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3],
    );

    // rtp_extensions: the first byte picks the mode (see fuzzing::rtp_extensions).
    let ext = |name: &str, mode: u8, body: &[u8]| {
        let mut v = vec![mode];
        v.extend_from_slice(body);
        write("rtp_extensions", name, &v);
    };
    ext(
        "one-byte",
        0,
        &[
            0x10, 0xAA, 0x21, 0xBB, 0xBB, 0x00, 0x00, 0x33, 0xCC, 0xCC, 0xCC, 0xCC,
        ],
    );
    ext("one-byte-stop", 0, &[0x10, 0xAA, 0xF3, 0x2F]);
    ext(
        "two-byte",
        0x51,
        &[
            0x01, 0x00, 0x02, 0x01, 0xBB, 0x00, 0x03, 0x04, 0xCC, 0xCC, 0xCC, 0xCC,
        ],
    );
    let typed_seed = |name: &str, mode: u8, v: &dyn Fn(&mut Vec<u8>)| {
        let mut body = Vec::new();
        v(&mut body);
        ext(name, mode, &body);
    };
    typed_seed("mid", 2, &|o| Mid::new("audio").unwrap().encode(o));
    typed_seed("rid", 3, &|o| Rid::new("q_1-x").unwrap().encode(o));
    typed_seed("rrid", 4, &|o| RepairedRid::new("r0").unwrap().encode(o));
    typed_seed("abs-send-time", 5, &|o| {
        AbsSendTime::from_duration(Duration::from_millis(1500)).encode(o)
    });
    typed_seed("twcc-01", 6, &|o| {
        TransportCc {
            sequence: 0xFFFF,
            request: None,
        }
        .encode(o)
    });
    typed_seed("twcc-02", 6, &|o| {
        TransportCc {
            sequence: 1,
            request: Some(FeedbackRequest {
                include_timestamps: true,
                sequence_count: 300,
            }),
        }
        .encode(o)
    });
    typed_seed("audio-level", 7, &|o| {
        AudioLevel::new(true, 127).unwrap().encode(o)
    });
    typed_seed("video-orientation", 8, &|o| {
        VideoOrientation {
            camera: CameraDirection::Back,
            flip: false,
            rotation: Rotation::Deg270,
        }
        .encode(o)
    });
    typed_seed("playout-delay", 9, &|o| {
        PlayoutDelay::new(4095, 4095).unwrap().encode(o)
    });
    typed_seed("abs-capture-time-8", 10, &|o| {
        AbsCaptureTime {
            timestamp: 0xE000_0000_8000_0000,
            clock_offset: None,
        }
        .encode(o)
    });
    typed_seed("abs-capture-time-16", 10, &|o| {
        AbsCaptureTime {
            timestamp: 5,
            clock_offset: Some(-1 << 32),
        }
        .encode(o)
    });
    typed_seed("toffset", 11, &|o| {
        TransmissionOffset::new(-(1 << 23)).unwrap().encode(o)
    });
    let dd_seed =
        |name: &str, mode: u8, d: &DependencyDescriptor, current: Option<&DependencyStructure>| {
            let mut body = Vec::new();
            d.encode(current, &mut body).unwrap();
            ext(name, mode, &body);
            body
        };
    let mut l1 = DependencyDescriptor::new(true, true, 0, 1);
    l1.structure = Some(l1t3());
    let l1_bytes = dd_seed("dd-l1t3-structure", 12, &l1, None);
    let mut l3 = DependencyDescriptor::new(true, false, 1, 100);
    l3.structure = Some(l3t3());
    dd_seed("dd-l3t3-structure", 12, &l3, None);
    let mut l3a = l3.clone();
    l3a.active_decode_targets = Some(0b000_111_111);
    l3a.custom_chains = Some(vec![1, 2, 3]);
    dd_seed("dd-l3t3-structure-active-custom", 12, &l3a, None);
    // Mode 13 with k = 0: L1T3 at offset 0.
    let s = l1t3();
    for t in 0..5u8 {
        dd_seed(
            &format!("dd-l1t3-template-{t}"),
            13,
            &DependencyDescriptor::new(t == 0, true, t, 2 + u16::from(t)),
            Some(&s),
        );
    }
    let mut custom = DependencyDescriptor::new(false, false, 2, 108);
    custom.custom_dtis = Some(vec![Dti::Required, Dti::Switch, Dti::NotPresent]);
    custom.custom_fdiffs = Some(vec![5, 300, 4096]);
    custom.custom_chains = Some(vec![5]);
    custom.active_decode_targets = Some(0b101);
    dd_seed("dd-l1t3-custom", 13, &custom, Some(&s));
    // Mode 0x1D (k = 1): the L2T2 structure at offset 60 of the fuzz target; template ids 60..=1.
    for t in [60u8, 63, 0, 1] {
        ext(&format!("dd-l2t2-template-{t}"), 0x1D, &[0xC0 | t, 0, 9]);
    }
    // Mode 14: a stream, structure first, then plain descriptors.
    let mut stream = vec![l1_bytes.len() as u8];
    stream.extend_from_slice(&l1_bytes);
    for t in [1u8, 2, 3, 4] {
        stream.extend_from_slice(&[3, 0x80 | t, 0, 2 + t]);
    }
    ext("dd-stream", 14, &stream);
    // Mode 15: edits (form byte, then id, len, data).
    ext(
        "edits-mixed",
        15,
        &[
            2, 1, 2, 9, 9, 20, 1, 5, 1, 0, 3, 16, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
            15,
        ],
    );
    ext("edits-one-byte", 15, &[0, 1, 1, 7, 15, 1, 7, 2, 0]);
}
