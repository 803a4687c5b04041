//! Round trips (proptest), known answers and the validity rules of the RTCP wire.

use super::*;
use proptest::prelude::*;
use std::time::Duration;

fn enc(p: &RtcpPacket) -> Vec<u8> {
    let mut out = Vec::new();
    p.encode(&mut out).expect("encodes");
    assert_eq!(out.len(), p.encoded_len(), "encoded_len agrees");
    out
}

/// value → bytes → value equal, and the bytes are canonical on re-encode.
fn round_trip(p: &RtcpPacket) {
    let bytes = enc(p);
    let again = RtcpPacket::parse(&bytes).expect("what we write parses");
    assert_eq!(&again, p);
    assert_eq!(enc(&again), bytes, "canonical");
}

// ---------------------------------------------------------------- strategies

fn bytes_aligned(max_words: usize) -> impl Strategy<Value = Vec<u8>> {
    (0..=max_words).prop_flat_map(|w| proptest::collection::vec(any::<u8>(), w * 4))
}

fn report_block() -> impl Strategy<Value = ReportBlock> {
    (
        any::<u32>(),
        any::<u8>(),
        ReportBlock::MIN_CUMULATIVE_LOST..=ReportBlock::MAX_CUMULATIVE_LOST,
        any::<[u32; 4]>(),
    )
        .prop_map(|(ssrc, fraction_lost, cumulative_lost, w)| ReportBlock {
            ssrc,
            fraction_lost,
            cumulative_lost,
            extended_highest_seq: w[0],
            jitter: w[1],
            last_sr: w[2],
            delay_since_last_sr: w[3],
        })
}

fn sr() -> impl Strategy<Value = RtcpPacket> {
    (
        any::<(u32, u64, u32, u32, u32)>(),
        proptest::collection::vec(report_block(), 0..=31),
        bytes_aligned(3),
    )
        .prop_map(|((ssrc, ntp, rtp, pc, oc), reports, ext)| {
            RtcpPacket::SenderReport(SenderReport {
                ssrc,
                ntp_timestamp: ntp,
                rtp_timestamp: rtp,
                packet_count: pc,
                octet_count: oc,
                reports,
                profile_extensions: ext,
            })
        })
}

fn rr() -> impl Strategy<Value = RtcpPacket> {
    (
        any::<u32>(),
        proptest::collection::vec(report_block(), 0..=31),
        bytes_aligned(3),
    )
        .prop_map(|(ssrc, reports, profile_extensions)| {
            RtcpPacket::ReceiverReport(ReceiverReport {
                ssrc,
                reports,
                profile_extensions,
            })
        })
}

fn sdes_item() -> impl Strategy<Value = SdesItem> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..=255).prop_map(SdesItem::Cname),
        (2u8..=255, proptest::collection::vec(any::<u8>(), 0..40))
            .prop_map(|(item_type, value)| SdesItem::Other { item_type, value }),
    ]
}

fn sdes() -> impl Strategy<Value = RtcpPacket> {
    proptest::collection::vec(
        (any::<u32>(), proptest::collection::vec(sdes_item(), 0..4))
            .prop_map(|(ssrc, items)| SdesChunk { ssrc, items }),
        0..=31,
    )
    .prop_map(|chunks| RtcpPacket::Sdes(Sdes { chunks }))
}

fn bye() -> impl Strategy<Value = RtcpPacket> {
    (
        proptest::collection::vec(any::<u32>(), 0..=31),
        proptest::option::of(proptest::collection::vec(any::<u8>(), 0..=255)),
    )
        .prop_map(|(ssrcs, reason)| RtcpPacket::Bye(Bye { ssrcs, reason }))
}

fn app() -> impl Strategy<Value = RtcpPacket> {
    (0u8..=31, any::<u32>(), any::<[u8; 4]>(), bytes_aligned(8)).prop_map(
        |(subtype, ssrc, name, data)| {
            RtcpPacket::App(App {
                subtype,
                ssrc,
                name,
                data,
            })
        },
    )
}

fn nack() -> impl Strategy<Value = RtcpPacket> {
    (
        any::<(u32, u32)>(),
        proptest::collection::vec(any::<(u16, u16)>(), 1..20),
    )
        .prop_map(|((s, m), pairs)| {
            RtcpPacket::Nack(Nack {
                sender_ssrc: s,
                media_ssrc: m,
                pairs: pairs
                    .into_iter()
                    .map(|(pid, blp)| NackPair { pid, blp })
                    .collect(),
            })
        })
}

fn pli() -> impl Strategy<Value = RtcpPacket> {
    any::<(u32, u32)>().prop_map(|(s, m)| {
        RtcpPacket::Pli(Pli {
            sender_ssrc: s,
            media_ssrc: m,
        })
    })
}

fn fir() -> impl Strategy<Value = RtcpPacket> {
    (
        any::<(u32, u32)>(),
        proptest::collection::vec(any::<(u32, u8)>(), 1..10),
    )
        .prop_map(|((s, m), e)| {
            RtcpPacket::Fir(Fir {
                sender_ssrc: s,
                media_ssrc: m,
                entries: e
                    .into_iter()
                    .map(|(ssrc, seq_nr)| FirEntry { ssrc, seq_nr })
                    .collect(),
            })
        })
}

fn remb() -> impl Strategy<Value = RtcpPacket> {
    (
        any::<(u32, u32)>(),
        0u8..64,
        0..=Remb::MAX_MANTISSA,
        proptest::collection::vec(any::<u32>(), 0..8),
    )
        .prop_map(|((s, m), exponent, mantissa, ssrcs)| {
            RtcpPacket::Remb(Remb {
                sender_ssrc: s,
                media_ssrc: m,
                exponent,
                mantissa,
                ssrcs,
            })
        })
}

fn status() -> impl Strategy<Value = PacketStatus> {
    prop_oneof![
        Just(PacketStatus::NotReceived),
        Just(PacketStatus::SmallDelta),
        Just(PacketStatus::LargeDelta),
        Just(PacketStatus::ReceivedNoDelta),
    ]
}

fn chunk() -> impl Strategy<Value = StatusChunk> {
    prop_oneof![
        (status(), 0u16..=StatusChunk::MAX_RUN_LENGTH.min(40))
            .prop_map(|(status, length)| StatusChunk::RunLength { status, length }),
        any::<u16>().prop_map(|v| StatusChunk::from_u16(0x8000 | (v & 0x3FFF))),
        any::<u16>().prop_map(|v| StatusChunk::from_u16(0xC000 | (v & 0x3FFF))),
    ]
}

/// A canonical feedback: chunks, a count that needs the last chunk, matching deltas.
fn twcc() -> impl Strategy<Value = RtcpPacket> {
    (
        any::<(u32, u32, u16, u8)>(),
        0u32..(1 << 24),
        proptest::collection::vec(chunk(), 0..12),
        any::<u16>(),
        any::<u64>(),
    )
        .prop_filter_map(
            "last chunk must be needed",
            |((s, m, base, fbc), rt, chunks, cut, seed)| {
                let total: usize = chunks.iter().map(StatusChunk::capacity).sum();
                let before = total - chunks.last().map_or(0, StatusChunk::capacity);
                let count = if chunks.is_empty() {
                    0
                } else if total == before {
                    return None;
                } else {
                    before + 1 + usize::from(cut) % (total - before)
                };
                let mut tc = TransportCc {
                    sender_ssrc: s,
                    media_ssrc: m,
                    base_seq: base,
                    status_count: u16::try_from(count).ok()?,
                    reference_time: rt,
                    fb_pkt_count: fbc,
                    chunks,
                    deltas: Vec::new(),
                };
                let mut x = seed;
                let deltas = tc
                    .statuses()
                    .filter_map(|st| {
                        x = x
                            .wrapping_mul(6364136223846793005)
                            .wrapping_add(1442695040888963407);
                        match st {
                            PacketStatus::SmallDelta => Some(i16::from((x >> 40) as u8)),
                            PacketStatus::LargeDelta => Some((x >> 32) as i16),
                            _ => None,
                        }
                    })
                    .collect();
                tc.deltas = deltas;
                Some(RtcpPacket::TransportCc(tc))
            },
        )
}

fn ccfb_report() -> impl Strategy<Value = CcfbReport> {
    prop_oneof![
        Just(CcfbReport::LOST),
        (0u16..4, 0u16..0x2000).prop_map(|(e, ato)| CcfbReport {
            received: true,
            ecn: [Ecn::NotEct, Ecn::Ect1, Ecn::Ect0, Ecn::Ce][usize::from(e)],
            arrival_time_offset: ato,
        }),
    ]
}

fn ccfb() -> impl Strategy<Value = RtcpPacket> {
    (
        any::<(u32, u32)>(),
        proptest::collection::vec(
            (
                any::<(u32, u16)>(),
                proptest::collection::vec(ccfb_report(), 0..30),
            )
                .prop_map(|((ssrc, begin_seq), reports)| CcfbBlock {
                    ssrc,
                    begin_seq,
                    reports,
                }),
            0..4,
        ),
    )
        .prop_map(|((s, ts), blocks)| {
            RtcpPacket::CongestionControlFeedback(CongestionControlFeedback {
                sender_ssrc: s,
                blocks,
                report_timestamp: ts,
            })
        })
}

fn xr_block() -> impl Strategy<Value = XrBlock> {
    prop_oneof![
        any::<u64>().prop_map(|ntp_timestamp| XrBlock::Rrtr { ntp_timestamp }),
        proptest::collection::vec(any::<(u32, u32, u32)>(), 0..5).prop_map(|v| XrBlock::Dlrr(
            v.into_iter()
                .map(|(ssrc, last_rr, delay_since_last_rr)| DlrrItem {
                    ssrc,
                    last_rr,
                    delay_since_last_rr,
                })
                .collect()
        )),
        (any::<u8>(), any::<u8>(), bytes_aligned(4))
            .prop_filter("typed block types", |(bt, _, _)| {
                *bt != XrBlock::RRTR && *bt != XrBlock::DLRR
            })
            .prop_map(|(block_type, type_specific, data)| XrBlock::Other {
                block_type,
                type_specific,
                data,
            }),
    ]
}

fn xr() -> impl Strategy<Value = RtcpPacket> {
    (any::<u32>(), proptest::collection::vec(xr_block(), 0..5))
        .prop_map(|(ssrc, blocks)| RtcpPacket::Xr(Xr { ssrc, blocks }))
}

fn packet() -> impl Strategy<Value = RtcpPacket> {
    prop_oneof![
        sr(),
        rr(),
        sdes(),
        bye(),
        app(),
        nack(),
        pli(),
        fir(),
        remb(),
        twcc(),
        ccfb(),
        xr()
    ]
}

proptest! {
    #[test]
    fn round_trip_sr(p in sr()) { round_trip(&p) }
    #[test]
    fn round_trip_rr(p in rr()) { round_trip(&p) }
    #[test]
    fn round_trip_sdes(p in sdes()) { round_trip(&p) }
    #[test]
    fn round_trip_bye(p in bye()) { round_trip(&p) }
    #[test]
    fn round_trip_app(p in app()) { round_trip(&p) }
    #[test]
    fn round_trip_nack(p in nack()) { round_trip(&p) }
    #[test]
    fn round_trip_pli(p in pli()) { round_trip(&p) }
    #[test]
    fn round_trip_fir(p in fir()) { round_trip(&p) }
    #[test]
    fn round_trip_remb(p in remb()) { round_trip(&p) }
    #[test]
    fn round_trip_twcc(p in twcc()) { round_trip(&p) }
    #[test]
    fn round_trip_ccfb(p in ccfb()) { round_trip(&p) }
    #[test]
    fn round_trip_xr(p in xr()) { round_trip(&p) }

    #[test]
    fn round_trip_compound(packets in proptest::collection::vec(packet(), 0..6)) {
        let mut out = Vec::new();
        encode_compound(&packets, &mut out).expect("encodes");
        let c = Compound::parse(&out).expect("parses");
        prop_assert_eq!(&c.packets, &packets);
        prop_assert_eq!(c.skipped, 0);
        let mut again = Vec::new();
        encode_compound(&c.packets, &mut again).expect("encodes");
        prop_assert_eq!(&again, &out);
        // The slice writer writes the same bytes.
        let mut buf = vec![0u8; out.len() + 7];
        let n = write_compound(&packets, &mut buf).expect("fits");
        prop_assert_eq!(&buf[..n], &out[..]);
        // The view iteration allocates nothing and sees the same packets.
        prop_assert_eq!(CompoundReader::new(&out).count(), packets.len());
    }

    #[test]
    fn arbitrary_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..300)) {
        crate::fuzzing::rtcp(&data);
    }

    /// Valid framing with arbitrary bodies: the typed parsers see garbage, not the framing.
    #[test]
    fn arbitrary_bodies_never_panic(
        pt in 200u8..=207,
        count in 0u8..32,
        body in proptest::collection::vec(any::<u8>(), 0..200),
    ) {
        let mut data = vec![0x80 | count, pt, 0, 0];
        data.extend_from_slice(&body);
        data.resize(pad4(data.len()), 0);
        let words = (data.len() / 4 - 1) as u16;
        data[2..4].copy_from_slice(&words.to_be_bytes());
        crate::fuzzing::rtcp(&data);
    }

    #[test]
    fn nack_lost_round_trip(start in any::<u16>(), gaps in proptest::collection::vec(1u16..40, 0..40)) {
        let mut lost = vec![start];
        for g in gaps {
            let next = lost.last().copied().unwrap_or(start).wrapping_add(g);
            lost.push(next);
        }
        let nack = Nack::from_lost(1, 2, lost.iter().copied());
        prop_assert_eq!(nack.lost().collect::<Vec<_>>(), lost);
    }

    /// The builder's feedback round trips, and reconstructed arrivals are within 125 µs.
    #[test]
    fn twcc_builder(
        base in any::<u16>(),
        start_us in 0u64..10_000_000_000,
        steps in proptest::collection::vec((1u16..4, proptest::option::of(0u64..120_000)), 1..300),
    ) {
        let mut seq = base;
        let mut t = start_us;
        let mut packets = Vec::new();
        for (gap, arrival) in steps {
            seq = seq.wrapping_add(gap);
            let a = arrival.map(|d| { t += d; Duration::from_micros(t) });
            packets.push((seq, a));
        }
        let mut builder = TransportCcBuilder::new(1, 2, 3);
        builder.max_len_bytes = 200;
        let (tc, n) = builder.build(&packets);
        prop_assert!(n >= 1);
        prop_assert!(tc.encoded_len() <= 200);
        round_trip(&RtcpPacket::TransportCc(tc.clone()));
        // Reconstruct every arrival of the included entries.
        let mut now = tc.reference_time_us();
        let first = packets[..n].iter().find_map(|p| p.1).map_or(0, |a| a.as_micros() as i64);
        let ref_full = first / 64_000 * 64_000;
        let offset = ref_full - now; // the reference time wraps at 2^24 × 64 ms
        let mut by_seq = std::collections::BTreeMap::new();
        for p in tc.packets() {
            if let Some(d) = p.delta_us {
                now += i64::from(d);
                by_seq.insert(p.seq, now);
            }
        }
        for &(seq, arrival) in &packets[..n] {
            match arrival {
                None => prop_assert!(!by_seq.contains_key(&seq)),
                Some(a) => {
                    let got = by_seq[&seq];
                    let want = i64::try_from(a.as_micros()).unwrap_or(0) - offset;
                    prop_assert!((got - want).abs() <= 125, "seq {} got {} want {}", seq, got, want);
                }
            }
        }
        if n < packets.len() {
            // What did not fit starts the next feedback.
            let (next, m) = builder.build(&packets[n..]);
            prop_assert!(m >= 1);
            prop_assert_eq!(next.base_seq, packets[n].0);
        }
    }
}

// ---------------------------------------------------------------- framing rules

fn pli_bytes(sender: u32, media: u32) -> Vec<u8> {
    enc(&RtcpPacket::Pli(Pli {
        sender_ssrc: sender,
        media_ssrc: media,
    }))
}

#[test]
fn reduced_size_lone_feedback_is_valid() {
    // RFC 5506 §3: a datagram need not start with SR/RR.
    let c = Compound::parse(&pli_bytes(1, 2)).expect("reduced-size PLI");
    assert_eq!(
        c.packets,
        vec![RtcpPacket::Pli(Pli {
            sender_ssrc: 1,
            media_ssrc: 2
        })]
    );
}

#[test]
fn version_must_be_two() {
    // RFC 3550 §A.2.
    let mut b = pli_bytes(1, 2);
    b[0] = (b[0] & 0x3F) | 0x40;
    assert_eq!(
        Compound::parse(&b),
        Err(RtcpError::BadVersion { version: 1 })
    );
    // On a later packet too: the compound stops there.
    let mut two = pli_bytes(1, 2);
    two.extend_from_slice(&b);
    let mut r = CompoundReader::new(&two);
    assert!(r.next().expect("first").is_ok());
    assert_eq!(r.next(), Some(Err(RtcpError::BadVersion { version: 1 })));
    assert_eq!(r.next(), None);
    assert!(r.has_failed());
}

#[test]
fn length_past_datagram_stops_the_compound() {
    // RFC 3550 §6.4.1 / §A.2: the lengths must add up to the datagram.
    let mut b = pli_bytes(1, 2);
    b[3] = 3; // claims 16 bytes, has 12
    assert_eq!(Compound::parse(&b), Err(RtcpError::Truncated));
    // Trailing bytes too few for a header.
    let mut b = pli_bytes(1, 2);
    b.extend_from_slice(&[0x80, 0xC9]);
    assert_eq!(Compound::parse(&b), Err(RtcpError::Truncated));
    let mut r = CompoundReader::new(&b);
    assert!(r.next().expect("first").is_ok());
    assert_eq!(r.next(), Some(Err(RtcpError::Truncated)));
}

#[test]
fn padding_count_is_checked_and_stripped() {
    // RFC 3550 §6.4.1: the last octet counts the padding, itself included.
    let mut rr = enc(&RtcpPacket::ReceiverReport(ReceiverReport {
        ssrc: 7,
        ..Default::default()
    }));
    rr[0] |= 0x20;
    rr[3] = 2;
    rr.extend_from_slice(&[0, 0, 0, 4]);
    let c = Compound::parse(&rr).expect("padded RR");
    assert_eq!(
        c.packets,
        vec![RtcpPacket::ReceiverReport(ReceiverReport {
            ssrc: 7,
            ..Default::default()
        })]
    );
    let mut zero = rr.clone();
    zero[7 + 4] = 0;
    assert_eq!(
        Compound::parse(&zero),
        Err(RtcpError::BadPadding { count: 0 })
    );
    let mut big = rr.clone();
    big[7 + 4] = 9; // more than the 8 bytes after the header
    assert_eq!(
        Compound::parse(&big),
        Err(RtcpError::BadPadding { count: 9 })
    );
}

#[test]
fn padding_on_a_non_last_packet_is_accepted() {
    // DEVIATION(RFC 3550 §A.2): libwebrtc pads each transport-cc feedback (P bit) and sends
    // several in one datagram.
    let mut a = pli_bytes(1, 2);
    a[0] |= 0x20;
    a[3] = 3;
    a.extend_from_slice(&[0, 0, 0, 4]);
    let mut d = a.clone();
    d.extend_from_slice(&pli_bytes(3, 4));
    assert_eq!(Compound::parse(&d).expect("accepted").packets.len(), 2);
}

#[test]
fn unknown_types_and_fmts_are_skipped_and_counted() {
    let mut d = Vec::new();
    // Packet type 195 (IJ, RFC 5450) is not decoded here.
    d.extend_from_slice(&[0x81, 195, 0, 1, 0, 0, 0, 9]);
    d.extend_from_slice(&pli_bytes(1, 2));
    // RTPFB FMT 3 (TMMBR) and PSFB FMT 2 (SLI).
    d.extend_from_slice(&[0x83, 205, 0, 2, 0, 0, 0, 1, 0, 0, 0, 2]);
    d.extend_from_slice(&[0x82, 206, 0, 2, 0, 0, 0, 1, 0, 0, 0, 2]);
    // AFB that is not REMB.
    d.extend_from_slice(&[
        0x8F, 206, 0, 3, 0, 0, 0, 1, 0, 0, 0, 0, b'A', b'B', b'C', b'D',
    ]);
    let mut r = CompoundReader::new(&d);
    assert_eq!(r.by_ref().filter(Result::is_ok).count(), 1);
    assert_eq!(r.skipped(), 4);
    assert_eq!(Compound::parse(&d).expect("parses").skipped, 4);
}

#[test]
fn malformed_body_is_an_error_not_a_panic() {
    // An SR claiming 2 report blocks with room for none.
    let d = [
        0x82, 200, 0, 6, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    ];
    assert_eq!(
        Compound::parse(&d),
        Err(RtcpError::Malformed {
            packet_type: 200,
            count: 2
        })
    );
    // The reader itself only checks framing: the view is fine, its parse is not.
    let v = CompoundReader::new(&d)
        .next()
        .expect("one")
        .expect("framed");
    assert!(v.parse().is_err());
}

#[test]
fn single_packet_parse_refuses_trailing_bytes() {
    let mut d = pli_bytes(1, 2);
    d.extend_from_slice(&pli_bytes(1, 2));
    assert_eq!(RtcpPacket::parse(&d), Err(RtcpError::TrailingBytes));
}

#[test]
fn write_compound_refuses_a_short_buffer() {
    let p = [RtcpPacket::Pli(Pli::default())];
    let mut buf = [0u8; 11];
    assert_eq!(
        write_compound(&p, &mut buf),
        Err(RtcpEncodeError::BufferTooSmall { needed: 12 })
    );
    assert_eq!(buf, [0; 11], "nothing written");
}

// ---------------------------------------------------------------- reports

#[test]
fn cumulative_lost_is_signed_24_bit_and_clamped() {
    let block = |lost| ReportBlock {
        cumulative_lost: lost,
        ..Default::default()
    };
    let rr = |b| {
        RtcpPacket::ReceiverReport(ReceiverReport {
            ssrc: 1,
            reports: vec![b],
            profile_extensions: vec![],
        })
    };
    // RFC 3550 §6.4.1: signed; -1 is 0xFFFFFF on the wire.
    let bytes = enc(&rr(block(-1)));
    assert_eq!(&bytes[13..16], &[0xFF, 0xFF, 0xFF]);
    round_trip(&rr(block(-1)));
    // RFC 3550 §A.3: clamped at 0x7FFFFF / 0x800000.
    let bytes = enc(&rr(block(10_000_000)));
    assert_eq!(&bytes[13..16], &[0x7F, 0xFF, 0xFF]);
    let bytes = enc(&rr(block(-10_000_000)));
    assert_eq!(&bytes[13..16], &[0x80, 0x00, 0x00]);
}

#[test]
fn more_than_31_blocks_are_split_into_stacked_rrs() {
    // RFC 3550 §6.4.2: the 5-bit count; more blocks go in RRs after the SR.
    let reports: Vec<ReportBlock> = (0..70)
        .map(|i| ReportBlock {
            ssrc: i,
            ..Default::default()
        })
        .collect();
    let sr = SenderReport {
        ssrc: 9,
        reports: reports.clone(),
        ..Default::default()
    };
    let mut out = Vec::new();
    sr.encode(&mut out).expect("splits");
    assert_eq!(out.len(), sr.encoded_len());
    let c = Compound::parse(&out).expect("parses");
    assert_eq!(c.packets.len(), 3);
    let mut got: Vec<ReportBlock> = Vec::new();
    for p in &c.packets {
        match p {
            RtcpPacket::SenderReport(s) => got.extend(&s.reports),
            RtcpPacket::ReceiverReport(r) => {
                assert_eq!(r.ssrc, 9);
                got.extend(&r.reports)
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(got, reports);
}

#[test]
fn unaligned_raw_data_is_refused() {
    let app = App {
        data: vec![1, 2, 3],
        ..Default::default()
    };
    let mut out = vec![0xAA];
    assert_eq!(
        app.encode(&mut out),
        Err(RtcpEncodeError::Unaligned { len_bytes: 3 })
    );
    assert_eq!(out, [0xAA], "unchanged on error");
    // RFC 3550 §6.7: APP data is whole words; a body left unaligned by padding is malformed.
    let d = [
        0xA0, 204, 0, 3, 0, 0, 0, 1, b'n', b'a', b'm', b'e', 1, 2, 0, 2,
    ];
    assert!(RtcpPacket::parse(&d).is_err());
}

// ---------------------------------------------------------------- SDES and BYE

#[test]
fn sdes_chunk_is_terminated_and_padded() {
    // RFC 3550 §6.5: items, a null terminator, nulls to the 32-bit boundary.
    let s = Sdes::with_cname(0x01020304, "ab");
    let bytes = enc(&RtcpPacket::Sdes(s.clone()));
    // 4 header, 4 SSRC, 1+1+2 item, then 4 nulls (the terminator and padding).
    assert_eq!(
        bytes,
        [0x81, 202, 0, 3, 1, 2, 3, 4, 1, 2, b'a', b'b', 0, 0, 0, 0]
    );
    // An item that ends one short of the boundary takes a single null.
    let s = Sdes::with_cname(1, "a");
    assert_eq!(enc(&RtcpPacket::Sdes(s.clone()))[8..], [1, 1, b'a', 0]);
    assert_eq!(s.chunks[0].cname(), Some(&b"a"[..]));
    // A chunk without its terminator is malformed.
    let d = [0x81, 202, 0, 2, 0, 0, 0, 1, 1, 2, b'a', b'b'];
    assert!(RtcpPacket::parse(&d).is_err());
}

#[test]
fn bye_reason_is_padded_with_nulls() {
    // RFC 3550 §6.6.
    let b = Bye {
        ssrcs: vec![5],
        reason: Some(b"bye".to_vec()),
    };
    assert_eq!(
        enc(&RtcpPacket::Bye(b.clone())),
        [0x81, 203, 0, 2, 0, 0, 0, 5, 3, b'b', b'y', b'e']
    );
    let b = Bye {
        ssrcs: vec![5],
        reason: Some(b"x".to_vec()),
    };
    assert_eq!(
        enc(&RtcpPacket::Bye(b)),
        [0x81, 203, 0, 2, 0, 0, 0, 5, 1, b'x', 0, 0]
    );
}

// ---------------------------------------------------------------- feedback

#[test]
fn nack_from_lost_handles_wrap() {
    // RFC 4585 §6.2.1: PID and a bitmask of the 16 following.
    let n = Nack::from_lost(1, 2, [65534, 65535, 0, 1, 14, 40]);
    assert_eq!(
        n.pairs,
        vec![
            NackPair {
                pid: 65534,
                blp: 0b1000_0000_0000_0111
            },
            NackPair { pid: 40, blp: 0 }
        ]
    );
    assert_eq!(
        n.lost().collect::<Vec<_>>(),
        vec![65534, 65535, 0, 1, 14, 40]
    );
    // RFC 4585 §6.2.1: at least one entry.
    assert!(RtcpPacket::parse(&[0x81, 205, 0, 2, 0, 0, 0, 1, 0, 0, 0, 2]).is_err());
}

#[test]
fn remb_exponent_and_mantissa_as_libwebrtc() {
    // libwebrtc Remb::Create: the smallest exponent whose mantissa fits 18 bits.
    let cases: [(u64, u8, u32); 6] = [
        (0, 0, 0),
        (0x3FFFF, 0, 0x3FFFF),
        (0x40000, 1, 0x20000),
        (522_022, 1, 0x3FB93), // libwebrtc remb_unittest: 0x3fb93 * 2 → bytes 07 FB 93
        (1_000_000, 2, 250_000),
        (0x3FB93 << 30, 30, 0x3FB93), // remb_unittest's 64-bit case
    ];
    for (bps, exp, mantissa) in cases {
        let r = Remb::new(1, bps, vec![2]);
        assert_eq!((r.exponent, r.mantissa), (exp, mantissa), "{bps}");
        assert_eq!(r.bitrate_bps(), (bps >> exp) << exp);
    }
    let bytes = enc(&RtcpPacket::Remb(Remb::new(
        0x12345678,
        522_022,
        vec![0x23456789],
    )));
    assert_eq!(
        bytes,
        [
            0x8F, 206, 0, 5, 0x12, 0x34, 0x56, 0x78, 0, 0, 0, 0, b'R', b'E', b'M', b'B', 1, 0x07,
            0xFB, 0x93, 0x23, 0x45, 0x67, 0x89
        ]
    );
    // Rounds down, as libwebrtc: 1_000_003 >> 2 = 250_000.
    assert_eq!(Remb::new(1, 1_000_003, vec![]).bitrate_bps(), 1_000_000);
    // Saturates rather than overflowing.
    let r = Remb {
        exponent: 63,
        mantissa: Remb::MAX_MANTISSA,
        ..Default::default()
    };
    assert_eq!(r.bitrate_bps(), u64::MAX);
}

#[test]
fn fir_entries() {
    // RFC 5104 §4.3.1.1: SSRC, seq nr, 24 reserved bits.
    let f = Fir {
        sender_ssrc: 1,
        media_ssrc: 0,
        entries: vec![FirEntry { ssrc: 2, seq_nr: 9 }],
    };
    assert_eq!(
        enc(&RtcpPacket::Fir(f)),
        [
            0x84, 206, 0, 4, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2, 9, 0, 0, 0
        ]
    );
}

// ---------------------------------------------------------------- transport-cc

#[test]
fn twcc_draft_chunk_examples() {
    // §3.1.3 Example 1: a run of "packet not received" of length 221.
    assert_eq!(
        StatusChunk::from_u16(0x00DD /* 0|00|0000011011101 */),
        StatusChunk::RunLength {
            status: PacketStatus::NotReceived,
            length: 221
        }
    );
    // §3.1.3 Example 2: a run of "received, w/o recv delta" (symbol 11) of length 24.
    assert_eq!(
        StatusChunk::from_u16(0x6018 /* 0|11|0000000011000 */),
        StatusChunk::RunLength {
            status: PacketStatus::ReceivedNoDelta,
            length: 24
        }
    );
    use PacketStatus::{NotReceived as N, ReceivedNoDelta as W, SmallDelta as R};
    // §3.1.4 Example 1: 1 not received, 5 received, 3 not, 3 received, 2 not.
    let c = StatusChunk::from_u16(0x9F1C /* 1|0|01111100011100 */);
    assert_eq!(
        c,
        StatusChunk::OneBit([N, R, R, R, R, R, N, N, N, R, R, R, N, N])
    );
    assert_eq!(c.to_u16(), 0x9F1C);
    // §3.1.4 Example 2: 1 not received, 1 received w/o timestamp, 3 received, 2 not.
    let c = StatusChunk::from_u16(0xCD50 /* 1|1|00110101010000 */);
    assert_eq!(c, StatusChunk::TwoBit([N, W, R, R, R, N, N]));
    assert_eq!(c.to_u16(), 0xCD50);
}

#[test]
fn twcc_parse_lists_packets() {
    // Base 10, 4 packets, reference time 1, fb count 2: a two-bit vector (small, large, not,
    // small), deltas 4 (1 ms), -4 (-1 ms, large), 255, then zero padding.
    let d = [
        0x8F,
        205,
        0,
        6,
        0,
        0,
        0,
        1,
        0,
        0,
        0,
        2,
        0,
        10,
        0,
        4,
        0,
        0,
        1,
        2,
        0b1101_1000,
        0b0100_0000,
        4,
        0xFF,
        0xFC,
        255,
        0,
        0,
    ];
    let RtcpPacket::TransportCc(tc) = RtcpPacket::parse(&d).expect("parses") else {
        panic!("not transport-cc");
    };
    assert_eq!(tc.reference_time_us(), 64_000);
    let got: Vec<TwccPacket> = tc.packets().collect();
    assert_eq!(
        got,
        vec![
            TwccPacket {
                seq: 10,
                status: PacketStatus::SmallDelta,
                delta_us: Some(1000)
            },
            TwccPacket {
                seq: 11,
                status: PacketStatus::LargeDelta,
                delta_us: Some(-1000)
            },
            TwccPacket {
                seq: 12,
                status: PacketStatus::NotReceived,
                delta_us: None
            },
            TwccPacket {
                seq: 13,
                status: PacketStatus::SmallDelta,
                delta_us: Some(63_750)
            },
        ]
    );
    assert_eq!(enc(&RtcpPacket::TransportCc(tc)), d);
    // Missing deltas are malformed.
    assert!(
        RtcpPacket::parse(
            &d[..24]
                .iter()
                .copied()
                .chain([0, 0, 0, 0])
                .collect::<Vec<_>>()
        )
        .is_ok()
    );
    let mut short = d;
    short[3] = 5;
    assert!(RtcpPacket::parse(&short[..24]).is_err());
}

#[test]
fn twcc_reference_time_wraps() {
    let at = |rt| TransportCc {
        reference_time: rt,
        ..Default::default()
    };
    assert_eq!(at(0).reference_delta_us(&at(0xFF_FFFF)), 64_000);
    assert_eq!(at(0xFF_FFFF).reference_delta_us(&at(0)), -64_000);
    assert_eq!(at(5).reference_delta_us(&at(3)), 128_000);
}

fn ms(v: u64) -> Option<Duration> {
    Some(Duration::from_micros(v * 1000))
}

#[test]
fn twcc_builder_chunks_as_libwebrtc() {
    let b = TransportCcBuilder::new(1, 2, 0);
    // 20 packets 1 ms apart: all the same symbol, one run-length chunk.
    let p: Vec<_> = (0..20).map(|i| (100 + i as u16, ms(1000 + i))).collect();
    let (tc, n) = b.build(&p);
    assert_eq!(n, 20);
    assert_eq!(tc.base_seq, 100);
    assert_eq!(tc.reference_time, 1_000_000 / 64_000);
    assert_eq!(
        tc.chunks,
        vec![StatusChunk::RunLength {
            status: PacketStatus::SmallDelta,
            length: 20
        }]
    );
    // Every other packet lost, 14 of them: one one-bit vector.
    let p: Vec<_> = (0..14u64)
        .map(|i| {
            (
                i as u16,
                if i.is_multiple_of(2) {
                    ms(64 + i)
                } else {
                    None
                },
            )
        })
        .collect();
    let (tc, _) = b.build(&p);
    assert!(matches!(tc.chunks[..], [StatusChunk::OneBit(_)]));
    // A large delta among 7: a two-bit vector; 10 with a large one: two-bit then the rest.
    let mut p: Vec<_> = (0..10).map(|i| (i as u16, ms(64 + i))).collect();
    p[3].1 = ms(64 + 3 + 100);
    p[4..]
        .iter_mut()
        .for_each(|x| x.1 = x.1.map(|d| d + Duration::from_millis(100)));
    p[4].1 = None;
    let (tc, n) = b.build(&p);
    assert_eq!(n, 10);
    assert!(
        matches!(
            tc.chunks[..],
            [
                StatusChunk::TwoBit(_),
                StatusChunk::RunLength { .. } | StatusChunk::TwoBit(_)
            ]
        ),
        "{:?}",
        tc.chunks
    );
    assert_eq!(tc.statuses().nth(3), Some(PacketStatus::LargeDelta));
    // 7 small, then 10 lost: libwebrtc emits the seven as a run when the symbol changes only
    // once the vector is full; here: 7 small + 7 lost fit a one-bit vector, then a run of 3.
    let mut p: Vec<_> = (0..7).map(|i| (i as u16, ms(64 + i))).collect();
    p.extend((7..17).map(|i| (i as u16, None)));
    let (tc, _) = b.build(&p);
    assert_eq!(tc.chunks.len(), 2);
    assert!(matches!(tc.chunks[0], StatusChunk::OneBit(_)));
    assert_eq!(
        tc.chunks[1],
        StatusChunk::RunLength {
            status: PacketStatus::NotReceived,
            length: 3
        }
    );
}

#[test]
fn twcc_builder_reports_what_did_not_fit() {
    let mut b = TransportCcBuilder::new(1, 2, 0);
    b.max_len_bytes = 40;
    // Alternating large and small deltas: two-bit vectors, 2 chunk bytes per 7 and 1-2 delta
    // bytes each.
    let p: Vec<_> = (0..50u64)
        .map(|i| (i as u16, ms(64 + i * 70 / 2 + (i % 2) * 200)))
        .collect();
    let (tc, n) = b.build(&p);
    assert!(n < 50);
    assert!(tc.encoded_len() <= 40);
    assert_eq!(usize::from(tc.status_count), n);
    // A delta beyond ±8191.75 ms cannot be reported in the same feedback.
    let (_, n) = TransportCcBuilder::new(1, 2, 0).build(&[(1, ms(64)), (2, ms(64 + 9000))]);
    assert_eq!(n, 1);
    // An older sequence number neither.
    let (_, n) = TransportCcBuilder::new(1, 2, 0).build(&[(5, ms(64)), (4, ms(65))]);
    assert_eq!(n, 1);
}

// ---------------------------------------------------------------- RFC 8888

#[test]
fn ccfb_arrival_time_offsets() {
    // RFC 8888 §3.1: 1/1024 s units; 0x1FFE over range; 0x1FFF unavailable.
    let r = CcfbReport::received(Ecn::Ect0, Some(Duration::from_secs(1)));
    assert_eq!(r.arrival_time_offset, 1024);
    assert_eq!(r.offset(), Some(Duration::from_secs(1)));
    let r = CcfbReport::received(Ecn::Ce, Some(Duration::from_secs(9)));
    assert_eq!(r.arrival_time_offset, CcfbReport::ATO_OVER_RANGE);
    assert_eq!(r.offset(), None);
    let r = CcfbReport::received(Ecn::NotEct, None);
    assert_eq!(r.arrival_time_offset, CcfbReport::ATO_UNAVAILABLE);
    // 0x1FFD is the largest in-range value.
    let r = CcfbReport::received(Ecn::NotEct, Some(Duration::from_micros(7_997_070)));
    assert_eq!(r.arrival_time_offset, 0x1FFD);
    let r = CcfbReport::received(Ecn::NotEct, Some(Duration::from_micros(7_998_047)));
    assert_eq!(r.arrival_time_offset, CcfbReport::ATO_OVER_RANGE);
}

#[test]
fn ccfb_odd_reports_are_padded() {
    // RFC 8888 §3.1: report blocks are 32-bit aligned: an odd count takes 16 bits of zeros.
    let f = CongestionControlFeedback {
        sender_ssrc: 1,
        blocks: vec![CcfbBlock {
            ssrc: 2,
            begin_seq: 7,
            reports: vec![CcfbReport::received(Ecn::Ect1, Some(Duration::ZERO))],
        }],
        report_timestamp: 0xAABBCCDD,
    };
    assert_eq!(
        enc(&RtcpPacket::CongestionControlFeedback(f)),
        [
            0x8B, 205, 0, 5, 0, 0, 0, 1, 0, 0, 0, 2, 0, 7, 0, 1, 0xA0, 0, 0, 0, 0xAA, 0xBB, 0xCC,
            0xDD
        ]
    );
    // Not-received reports read as zeros whatever their other bits.
    let d = [
        0x8B, 205, 0, 5, 0, 0, 0, 1, 0, 0, 0, 2, 0, 7, 0, 1, 0x7F, 0xFF, 0, 0, 0, 0, 0, 0,
    ];
    let RtcpPacket::CongestionControlFeedback(f) = RtcpPacket::parse(&d).expect("parses") else {
        panic!("not ccfb")
    };
    assert_eq!(f.blocks[0].reports, vec![CcfbReport::LOST]);
}

// ---------------------------------------------------------------- XR

#[test]
fn xr_rrtr_dlrr_and_unknown_blocks() {
    let x = Xr {
        ssrc: 1,
        blocks: vec![
            XrBlock::Rrtr {
                ntp_timestamp: 0x0102030405060708,
            },
            XrBlock::Dlrr(vec![DlrrItem {
                ssrc: 2,
                last_rr: 3,
                delay_since_last_rr: 4,
            }]),
            XrBlock::Other {
                block_type: 42,
                type_specific: 7,
                data: vec![9, 9, 9, 9],
            },
        ],
    };
    let bytes = enc(&RtcpPacket::Xr(x.clone()));
    assert_eq!(
        bytes,
        [
            0x80, 207, 0, 10, 0, 0, 0, 1, // header, SSRC
            4, 0, 0, 2, 1, 2, 3, 4, 5, 6, 7, 8, // RRTR (RFC 3611 §4.4)
            5, 0, 0, 3, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, // DLRR (§4.5)
            42, 7, 0, 1, 9, 9, 9, 9 // unknown, kept
        ]
    );
    assert_eq!(x.unknown_blocks(), 1);
    // RFC 3611 §4.4: an RRTR's length is 2.
    let d = [0x80, 207, 0, 3, 0, 0, 0, 1, 4, 0, 0, 1, 1, 2, 3, 4];
    assert!(RtcpPacket::parse(&d).is_err());
    // A block running past the packet is malformed.
    let d = [0x80, 207, 0, 2, 0, 0, 0, 1, 42, 0, 0, 9];
    assert!(RtcpPacket::parse(&d).is_err());
}

// ---------------------------------------------------------------- seed corpus

/// Writes the fuzz seed corpus (`fuzz/corpus/rtcp/seed-*`):
/// `cargo test --lib rtcp::tests::write_seed_corpus -- --ignored`.
#[test]
#[ignore = "writes fuzz/corpus/rtcp; run by hand"]
fn write_seed_corpus() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/rtcp");
    std::fs::create_dir_all(&dir).expect("corpus dir");
    let mut seeds: Vec<(&str, Vec<u8>)> = Vec::new();
    let mut add = |name: &'static str, packets: Vec<RtcpPacket>| {
        let mut out = Vec::new();
        encode_compound(&packets, &mut out).expect("encodes");
        seeds.push((name, out));
    };
    let blocks: Vec<ReportBlock> = (0..3)
        .map(|i| ReportBlock {
            ssrc: 0x100 + i,
            fraction_lost: 10,
            cumulative_lost: -3 + i as i32 * 1000,
            extended_highest_seq: 0x1_0000 + i,
            jitter: 30,
            last_sr: 0x1234_5678,
            delay_since_last_sr: 0x1_0000,
        })
        .collect();
    let sr = RtcpPacket::SenderReport(SenderReport {
        ssrc: 1,
        ntp_timestamp: 0xE5A1_0203_4000_0000,
        rtp_timestamp: 3000,
        packet_count: 10,
        octet_count: 12000,
        reports: blocks.clone(),
        profile_extensions: vec![],
    });
    let rr = RtcpPacket::ReceiverReport(ReceiverReport {
        ssrc: 2,
        reports: blocks.clone(),
        profile_extensions: vec![],
    });
    let empty_rr = RtcpPacket::ReceiverReport(ReceiverReport {
        ssrc: 2,
        ..Default::default()
    });
    let sdes = RtcpPacket::Sdes(Sdes::with_cname(1, "x7Gz0pQ4/cname"));
    let sdes_multi = RtcpPacket::Sdes(Sdes {
        chunks: vec![
            SdesChunk {
                ssrc: 1,
                items: vec![
                    SdesItem::Cname(b"a".to_vec()),
                    SdesItem::Other {
                        item_type: sdes_item::TOOL,
                        value: b"sansrtc".to_vec(),
                    },
                    SdesItem::Other {
                        item_type: sdes_item::PRIV,
                        value: b"\x03abcdef".to_vec(),
                    },
                ],
            },
            SdesChunk {
                ssrc: 5,
                items: vec![],
            },
        ],
    });
    let nack = RtcpPacket::Nack(Nack::from_lost(2, 1, [65530, 65533, 0, 7, 300]));
    let pli = RtcpPacket::Pli(Pli {
        sender_ssrc: 2,
        media_ssrc: 1,
    });
    let fir = RtcpPacket::Fir(Fir {
        sender_ssrc: 2,
        media_ssrc: 0,
        entries: vec![
            FirEntry { ssrc: 1, seq_nr: 3 },
            FirEntry {
                ssrc: 9,
                seq_nr: 255,
            },
        ],
    });
    let remb = RtcpPacket::Remb(Remb::new(2, 1_500_000, vec![1, 3]));
    let bye = RtcpPacket::Bye(Bye {
        ssrcs: vec![1, 3],
        reason: Some(b"session over".to_vec()),
    });
    let app = RtcpPacket::App(App {
        subtype: 3,
        ssrc: 1,
        name: *b"qak1",
        data: vec![1, 2, 3, 4, 5, 6, 7, 8],
    });
    let xr = RtcpPacket::Xr(Xr {
        ssrc: 2,
        blocks: vec![
            XrBlock::Rrtr {
                ntp_timestamp: 0xE5A1_0000_8000_0000,
            },
            XrBlock::Dlrr(vec![DlrrItem {
                ssrc: 1,
                last_rr: 0xA100_0080,
                delay_since_last_rr: 0x2_0000,
            }]),
            XrBlock::Other {
                block_type: 1,
                type_specific: 0,
                data: vec![0, 0, 0, 1, 0, 0, 0, 2],
            },
        ],
    });
    let ccfb = RtcpPacket::CongestionControlFeedback(CongestionControlFeedback {
        sender_ssrc: 2,
        blocks: vec![
            CcfbBlock {
                ssrc: 1,
                begin_seq: 65533,
                reports: vec![
                    CcfbReport::received(Ecn::Ect0, Some(Duration::from_millis(20))),
                    CcfbReport::LOST,
                    CcfbReport::received(Ecn::Ce, Some(Duration::from_secs(9))),
                    CcfbReport::received(Ecn::NotEct, None),
                    CcfbReport::received(Ecn::Ect1, Some(Duration::ZERO)),
                ],
            },
            CcfbBlock {
                ssrc: 3,
                begin_seq: 0,
                reports: vec![],
            },
        ],
        report_timestamp: 0xA100_0080,
    });
    let twcc = |pattern: &dyn Fn(u64) -> Option<u64>, n: u64| {
        let p: Vec<(u16, Option<Duration>)> = (0..n)
            .map(|i| {
                (
                    (65500 + i) as u16,
                    pattern(i).map(|us| Duration::from_micros(5_000_000 + us)),
                )
            })
            .collect();
        RtcpPacket::TransportCc(TransportCcBuilder::new(2, 1, n as u8).build(&p).0)
    };
    let twcc_run = twcc(&|i| Some(i * 1000), 40);
    let twcc_onebit = twcc(&|i| (!i.is_multiple_of(3)).then_some(i * 5000), 30);
    let twcc_twobit = twcc(
        &|i| (i % 4 != 1).then_some(i * 30_000 - (i % 5) * 20_000),
        25,
    );
    let twcc_lossrun = twcc(&|i| (!(5..60).contains(&i)).then_some(i * 2000), 70);

    add("seed-sr", vec![sr.clone()]);
    add("seed-rr", vec![rr.clone()]);
    add("seed-rr-empty", vec![empty_rr.clone()]);
    add("seed-sdes", vec![sdes.clone()]);
    add("seed-sdes-multi", vec![sdes_multi.clone()]);
    add("seed-bye", vec![bye.clone()]);
    add("seed-app", vec![app.clone()]);
    add("seed-nack", vec![nack.clone()]);
    add("seed-pli", vec![pli.clone()]);
    add("seed-fir", vec![fir.clone()]);
    add("seed-remb", vec![remb.clone()]);
    add("seed-xr", vec![xr.clone()]);
    add("seed-ccfb", vec![ccfb.clone()]);
    add("seed-twcc-run", vec![twcc_run.clone()]);
    add("seed-twcc-onebit", vec![twcc_onebit.clone()]);
    add("seed-twcc-twobit", vec![twcc_twobit.clone()]);
    add("seed-twcc-lossrun", vec![twcc_lossrun.clone()]);
    add("seed-sr-sdes", vec![sr.clone(), sdes.clone()]);
    add(
        "seed-rr-sdes-nack-pli",
        vec![empty_rr.clone(), sdes.clone(), nack.clone(), pli.clone()],
    );
    add(
        "seed-rr-sdes-bye",
        vec![rr.clone(), sdes.clone(), bye.clone()],
    );
    add(
        "seed-sr-sdes-remb",
        vec![sr.clone(), sdes.clone(), remb.clone()],
    );
    add(
        "seed-rr-sdes-fir",
        vec![rr.clone(), sdes_multi.clone(), fir.clone()],
    );
    add("seed-sr-xr", vec![sr.clone(), sdes.clone(), xr.clone()]);
    add("seed-rr-ccfb", vec![empty_rr.clone(), ccfb.clone()]);
    add(
        "seed-twcc-pair",
        vec![twcc_run.clone(), twcc_twobit.clone()],
    );
    add("seed-app-bye", vec![app.clone(), bye.clone()]);
    add(
        "seed-everything",
        vec![
            sr,
            rr,
            sdes,
            sdes_multi,
            bye,
            app,
            nack,
            pli,
            fir,
            remb,
            xr,
            ccfb,
            twcc_run,
            twcc_onebit,
        ],
    );
    // Hand-made: P-bit padding as libwebrtc pads transport-cc, twice in one datagram; the
    // draft's symbol 11; unknown types and FMTs; and framing errors.
    let pad = |p: &RtcpPacket| {
        let mut b = enc(p);
        b[0] |= 0x20;
        let words = u16::from_be_bytes([b[2], b[3]]) + 1;
        b[2..4].copy_from_slice(&words.to_be_bytes());
        b.extend_from_slice(&[0, 0, 0, 4]);
        b
    };
    let mut two = pad(&RtcpPacket::Pli(Pli::default()));
    two.extend(pad(&RtcpPacket::Pli(Pli::default())));
    seeds.push(("seed-padded-pair", two));
    seeds.push((
        "seed-twcc-symbol-11",
        vec![
            0x8F, 205, 0, 6, 0, 0, 0, 1, 0, 0, 0, 2, 0, 5, 0, 30, 1, 2, 3, 9, 0x60, 0x18, 0xCD,
            0x50, 8, 9, 10, 0,
        ],
    ));
    seeds.push((
        "seed-unknown-types",
        vec![
            0x81, 195, 0, 1, 0, 0, 0, 9, 0x83, 205, 0, 2, 0, 0, 0, 1, 0, 0, 0, 2, 0x8F, 206, 0, 3,
            0, 0, 0, 1, 0, 0, 0, 0, b'A', b'B', b'C', b'D',
        ],
    ));
    seeds.push(("seed-truncated", vec![0x81, 201, 0, 7, 0, 0, 0, 1, 0, 0]));
    seeds.push(("seed-bad-version", vec![0x41, 201, 0, 1, 0, 0, 0, 1]));
    seeds.push(("seed-bad-padding", vec![0xA0, 201, 0, 1, 0, 0, 0, 9]));
    for (name, bytes) in seeds {
        std::fs::write(dir.join(name), bytes).expect("write seed");
    }
}
