//! Hostile media against a peer in a call: what a remote holding the SRTP keys (or not) can
//! send is dropped and counted, memory stays bounded, the call goes on.

use crate::media::{MediaKind, TrackInfo};
use crate::sdp::SdpType;
use crate::{Event, Peer, PeerConfig, RtpOut};
use bytes::Bytes;
use std::time::{Duration, Instant};

struct Call {
    a: Peer,
    b: Peer,
    now: Instant,
    a_rtp: usize,
    keyframe_events: usize,
    b_rtp: Vec<crate::RtpPacket>,
}

impl Call {
    fn new() -> Self {
        Self::with_offer(|o| o.to_string())
    }

    /// A call whose offer (a's) reaches b as `edit` rewrites it.
    fn with_offer(edit: impl Fn(&str) -> String) -> Self {
        let now = crate::test_util::base();
        let mut a = Peer::new(PeerConfig::new().seed(41), now);
        let mut b = Peer::new(PeerConfig::new().seed(42), now);
        a.add_local_address("10.0.0.1:1000".parse().unwrap());
        b.add_local_address("10.0.0.2:2000".parse().unwrap());
        for (p, tag) in [(&mut a, "a"), (&mut b, "b")] {
            for kind in [MediaKind::Audio, MediaKind::Video] {
                p.add_track(TrackInfo::new(kind, format!("{tag}-{kind}")), &[])
                    .unwrap();
            }
        }
        let offer = a.create_offer().unwrap();
        a.set_local_description(offer.clone()).unwrap();
        b.set_remote_sdp(SdpType::Offer, &edit(&offer.sdp.to_string()))
            .unwrap();
        let answer = b.create_answer().unwrap();
        b.set_local_description(answer.clone()).unwrap();
        a.set_remote_sdp(SdpType::Answer, &answer.sdp.to_string())
            .unwrap();
        let mut c = Self {
            a,
            b,
            now,
            a_rtp: 0,
            keyframe_events: 0,
            b_rtp: Vec::new(),
        };
        for _ in 0..200 {
            c.run(Duration::from_millis(10));
        }
        assert_eq!(
            c.a.connection_state(),
            crate::PeerConnectionState::Connected
        );
        c
    }

    /// Delivers everything both ways (b's packets to a may be rewritten by `tamper`).
    fn exchange(&mut self, tamper: &mut dyn FnMut(&[u8]) -> Vec<Vec<u8>>) {
        for _ in 0..64 {
            let mut moved = false;
            while let Some(t) = self.a.poll_transmit(self.now) {
                moved = true;
                self.b.handle_receive(self.now, t.as_datagram());
            }
            while let Some(t) = self.b.poll_transmit(self.now) {
                moved = true;
                for d in tamper(&t.contents) {
                    let mut t2 = t.clone();
                    t2.contents = Bytes::from(d);
                    self.a.handle_receive(self.now, t2.as_datagram());
                }
            }
            while let Some(e) = self.a.poll_event() {
                match e {
                    Event::Rtp(_) => self.a_rtp += 1,
                    Event::KeyframeRequest { .. } => self.keyframe_events += 1,
                    _ => {}
                }
            }
            while let Some(e) = self.b.poll_event() {
                if let Event::Rtp(p) = e {
                    self.b_rtp.push(p);
                }
            }
            if !moved {
                break;
            }
        }
    }

    fn run(&mut self, d: Duration) {
        self.exchange(&mut |d| vec![d.to_vec()]);
        self.now += d;
        self.a.handle_timeout(self.now);
        self.b.handle_timeout(self.now);
        self.exchange(&mut |d| vec![d.to_vec()]);
    }

    fn b_audio(&self) -> crate::media::TransceiverId {
        self.b.transceivers().next().unwrap().id()
    }

    /// b sends one audio packet (the MID of section 0) from each of `n` SSRCs from `first`,
    /// protected with the real keys, and a receives them.
    fn flood_ssrcs(&mut self, first: u32, n: u32) {
        let pt = self.b.transceiver(self.b_audio()).unwrap().codecs()[0].payload_type;
        for i in 0..n {
            assert!(
                self.b
                    .fuzz_send_protected(&rtp(first + i, 1, pt, b"0"), false)
            );
            if i % 50 == 0 {
                self.exchange(&mut |d| vec![d.to_vec()]);
            }
        }
        self.exchange(&mut |d| vec![d.to_vec()]);
    }

    /// b sends one ordinary audio packet; a must receive it (the call is unharmed).
    fn assert_unharmed(&mut self) {
        let id = self.b_audio();
        let pt = self.b.transceiver(id).unwrap().codecs()[0].payload_type;
        let before = self.a_rtp;
        self.b
            .send_rtp(
                id,
                RtpOut {
                    payload_type: pt,
                    payload: Bytes::from_static(b"still here"),
                    ..RtpOut::default()
                },
            )
            .unwrap();
        self.exchange(&mut |d| vec![d.to_vec()]);
        assert_eq!(self.a_rtp, before + 1, "the call goes on");
    }
}

/// An RTP packet with `ssrc`, the MID extension naming mid `mid` (id 4, one-byte form), and a
/// payload type.
fn rtp(ssrc: u32, seq: u16, pt: u8, mid: &[u8]) -> Vec<u8> {
    let mut p = vec![0x90, pt, (seq >> 8) as u8, seq as u8, 0, 0, 0, 1];
    p.extend_from_slice(&ssrc.to_be_bytes());
    let ext_len = 1 + mid.len();
    let words = ext_len.div_ceil(4);
    p.extend_from_slice(&[0xBE, 0xDE, 0, words as u8]);
    p.push((4 << 4) | (mid.len() as u8 - 1));
    p.extend_from_slice(mid);
    p.resize(p.len() + words * 4 - ext_len, 0);
    p.extend_from_slice(&[0xAA; 40]);
    p
}

#[test]
fn bad_tags_and_replays_are_dropped_and_counted() {
    let mut c = Call::new();
    let id = c.b_audio();
    let pt = c.b.transceiver(id).unwrap().codecs()[0].payload_type;
    let before = c.a_rtp;
    for i in 0..10u32 {
        c.b.send_rtp(
            id,
            RtpOut {
                payload_type: pt,
                timestamp: i * 960,
                payload: Bytes::from_static(b"frame"),
                ..RtpOut::default()
            },
        )
        .unwrap();
    }
    // Every packet arrives three times: once with its tag damaged, then twice intact (the
    // second a replay).
    c.exchange(&mut |d| {
        if d.first().is_some_and(|b| (128..=191).contains(b)) {
            let mut bad = d.to_vec();
            let last = bad.len() - 1;
            bad[last] ^= 0x40;
            vec![bad, d.to_vec(), d.to_vec()]
        } else {
            vec![d.to_vec()]
        }
    });
    assert_eq!(c.a_rtp, before + 10, "each packet once");
    assert!(c.a.media_drops().srtp >= 20, "{:?}", c.a.media_drops());
    c.assert_unharmed();
}

#[test]
fn unknown_ssrc_flood_keeps_memory_flat() {
    let mut c = Call::new();
    // 600 SSRCs, each authenticated (the remote holds the keys) and naming a real mid.
    c.flood_ssrcs(0x1000_0000, 600);
    assert!(
        c.a.remote_ssrc_count() <= 256,
        "{}",
        c.a.remote_ssrc_count()
    );
    assert!(
        c.a.media_drops().unknown_ssrc >= 340,
        "{:?}",
        c.a.media_drops()
    );
    // SSRCs no section claims (no MID, a payload type nobody negotiated) are dropped too.
    let before = c.a.media_drops().unknown_ssrc;
    for i in 0..100u32 {
        let mut p = rtp(0x2000_0000 + i, 1, 33, b"9");
        p[0] &= !0x10; // no extension block: only the payload type could claim it
        p.truncate(12);
        p.extend_from_slice(&[1; 20]);
        assert!(c.b.fuzz_send_protected(&p, false));
    }
    c.exchange(&mut |d| vec![d.to_vec()]);
    assert_eq!(c.a.media_drops().unknown_ssrc, before + 100);
    c.assert_unharmed();
}

#[test]
fn pli_storm_becomes_rate_limited_events() {
    let mut c = Call::new();
    let a_video = c.a.transceivers().nth(1).unwrap().id();
    let (ssrc, _) = c.a.transceiver(a_video).unwrap().ssrc().unwrap();
    // 1,000 PLIs for a's video sender over 2 seconds.
    for i in 0..1_000u32 {
        let mut pli = vec![0x81, 206, 0, 2, 0, 0, 0, 7];
        pli.extend_from_slice(&ssrc.to_be_bytes());
        assert!(c.b.fuzz_send_protected(&pli, true));
        if i % 10 == 9 {
            c.run(Duration::from_millis(20));
        }
    }
    assert!(
        (5..=12).contains(&c.keyframe_events),
        "one event per 200 ms: {}",
        c.keyframe_events
    );
    assert!(c.a.media_drops().keyframe_requests_coalesced >= 980);
    // Garbage RTCP (bad lengths, unknown types) is counted, never a panic.
    for n in 0..50u8 {
        let junk = [0x80 | (n & 0x1f), 200 + n % 10, 0, n, 1, 2, 3, 4];
        assert!(c.b.fuzz_send_protected(&junk, true));
    }
    c.exchange(&mut |d| vec![d.to_vec()]);
    assert!(c.a.media_drops().rtcp_malformed > 0);
    c.assert_unharmed();
}

#[test]
fn oversize_extension_blocks_are_harmless() {
    let mut c = Call::new();
    let pt = c.b.transceiver(c.b_audio()).unwrap().codecs()[0].payload_type;
    let ssrc = c.b.transceivers().next().unwrap().ssrc().unwrap().0;
    // A 4 KiB extension block: 240 elements of 16 bytes fill it exactly (valid: delivered,
    // every element kept), then 300 elements of 13 bytes run past its end (malformed:
    // counted, never a panic, never an event).
    let block = |element: u8, count: usize, seq: u8| {
        let mut q = vec![0x90, pt, 0, seq, 0, 0, 0, 1];
        q.extend_from_slice(&ssrc.to_be_bytes());
        q.extend_from_slice(&[0xBE, 0xDE, 0x03, 0xFC]);
        for _ in 0..count {
            q.push(element);
            q.extend_from_slice(&vec![0x55; usize::from(element & 0x0f) + 1]);
        }
        q.resize(q.len().next_multiple_of(4) + 4, 0);
        q
    };
    let before = (c.a.media_drops().malformed, c.a_rtp);
    assert!(c.b.fuzz_send_protected(&block(0x2F, 240, 10), false));
    c.exchange(&mut |d| vec![d.to_vec()]);
    assert_eq!(
        (c.a.media_drops().malformed, c.a_rtp),
        (before.0, before.1 + 1)
    );
    assert!(c.b.fuzz_send_protected(&block(0x2C, 300, 11), false));
    c.exchange(&mut |d| vec![d.to_vec()]);
    assert_eq!(
        (c.a.media_drops().malformed, c.a_rtp),
        (before.0 + 1, before.1 + 1),
        "{:?}",
        c.a.media_drops()
    );
    c.assert_unharmed();
}

#[test]
fn outgoing_queue_is_bounded_without_a_path() {
    let mut c = Call::new();
    let id = c.b_audio();
    let pt = c.b.transceiver(id).unwrap().codecs()[0].payload_type;
    // The application sends without ever polling transmits: at most 1,024 wait.
    for i in 0..3_000u32 {
        c.b.send_rtp(
            id,
            RtpOut {
                payload_type: pt,
                timestamp: i * 960,
                payload: Bytes::from_static(b"x"),
                ..RtpOut::default()
            },
        )
        .unwrap();
    }
    assert_eq!(c.b.media_drops().send_queue_full, 3_000 - 1_024);
    c.exchange(&mut |d| vec![d.to_vec()]);
    c.assert_unharmed();
}

mod elements {
    use super::super::Elements;
    use crate::rtp::RtpView;
    use proptest::prelude::*;

    proptest! {
        /// What the header writer puts in a packet, the independent parser reads back: every
        /// element under its id, in the one-byte form when all fit it, else the two-byte form.
        #[test]
        fn written_headers_parse_back(
            elems in proptest::collection::btree_map(1u8..=255, proptest::collection::vec(any::<u8>(), 0..40), 0..8),
            marker in any::<bool>(),
            pt in 0u8..128,
            seq in any::<u16>(),
            ts in any::<u32>(),
            ssrc in any::<u32>(),
        ) {
            let mut e = Elements::default();
            for (id, d) in &elems {
                e.push(*id, d);
            }
            let mut buf = bytes::BytesMut::new();
            e.write_header(&mut buf, marker, pt, seq, ts, ssrc);
            prop_assert_eq!(buf.len(), 12 + e.block_len());
            buf.extend_from_slice(b"payload");
            let v = RtpView::parse(&buf).unwrap();
            prop_assert_eq!(v.marker(), marker);
            prop_assert_eq!(v.payload_type(), pt);
            prop_assert_eq!(v.sequence_number(), seq);
            prop_assert_eq!(v.timestamp(), ts);
            prop_assert_eq!(v.ssrc(), ssrc);
            prop_assert_eq!(v.payload(), b"payload");
            let one = elems.iter().all(|(id, d)| *id <= 14 && (1..=16).contains(&d.len()));
            if !elems.is_empty() {
                prop_assert_eq!(v.extension_profile(), Some(if one { 0xBEDE } else { 0x1000 }));
            }
            for (id, d) in &elems {
                prop_assert_eq!(v.extension_by_id(*id), Some(&d[..]));
            }
        }
    }
}

#[test]
fn silent_ssrcs_give_their_place_to_new_ones() {
    let mut c = Call::new();
    let pt = c.b.transceiver(c.b_audio()).unwrap().codecs()[0].payload_type;
    // Fill the table with streams that then go silent (an SFU's sources coming and going).
    c.flood_ssrcs(0x3000_0000, 300);
    assert_eq!(c.a.remote_ssrc_count(), 256);
    // A new stream while the others are fresh: no room.
    let before = (c.a_rtp, c.a.media_drops().unknown_ssrc);
    assert!(c.b.fuzz_send_protected(&rtp(0x4000_0000, 1, pt, b"0"), false));
    c.exchange(&mut |d| vec![d.to_vec()]);
    assert_eq!(c.a_rtp, before.0);
    assert_eq!(c.a.media_drops().unknown_ssrc, before.1 + 1);
    assert_eq!(c.a.media_drops().routes_expired, 0);
    // 25 s of silence later (RFC 3550 §6.3.5), new streams take the silent ones' places.
    for _ in 0..26 {
        c.run(Duration::from_secs(1));
    }
    let before = c.a_rtp;
    for i in 0..10u32 {
        assert!(c.b.fuzz_send_protected(&rtp(0x4000_0001 + i, 1, pt, b"0"), false));
    }
    c.exchange(&mut |d| vec![d.to_vec()]);
    assert_eq!(c.a_rtp, before + 10, "{:?}", c.a.media_drops());
    assert_eq!(c.a.media_drops().routes_expired, 10);
    assert_eq!(c.a.remote_ssrc_count(), 256);
    // b's own streams were never silent (its reports name them): still routed.
    c.assert_unharmed();
}

#[test]
fn bye_ends_a_route_and_stop_ends_signalled_ones() {
    let mut c = Call::new();
    let pt = c.b.transceiver(c.b_audio()).unwrap().codecs()[0].payload_type;
    let signalled = c.a.remote_ssrc_count();
    assert!(c.b.fuzz_send_protected(&rtp(0x5000_0000, 1, pt, b"0"), false));
    c.exchange(&mut |d| vec![d.to_vec()]);
    assert_eq!(c.a.remote_ssrc_count(), signalled + 1);
    // RFC 3550 §6.6: BYE for that source (RR header first, as a compound packet must).
    let mut bye = vec![0x80, 201, 0, 1, 0, 0, 0, 9];
    bye.extend_from_slice(&[0x81, 203, 0, 1]);
    bye.extend_from_slice(&0x5000_0000u32.to_be_bytes());
    assert!(c.b.fuzz_send_protected(&bye, true));
    c.exchange(&mut |d| vec![d.to_vec()]);
    assert_eq!(c.a.remote_ssrc_count(), signalled);
    // b stops its video: a's routes for b's signalled video SSRCs go at the renegotiation.
    let b_video = c.b.transceivers().nth(1).unwrap().id();
    c.b.stop_transceiver(b_video).unwrap();
    let offer = c.b.create_offer().unwrap();
    c.b.set_local_description(offer.clone()).unwrap();
    c.a.set_remote_sdp(SdpType::Offer, &offer.sdp.to_string())
        .unwrap();
    let answer = c.a.create_answer().unwrap();
    c.a.set_local_description(answer.clone()).unwrap();
    c.b.set_remote_sdp(SdpType::Answer, &answer.sdp.to_string())
        .unwrap();
    assert!(
        c.a.remote_ssrc_count() < signalled,
        "{} of {signalled}",
        c.a.remote_ssrc_count()
    );
    c.run(Duration::from_millis(10));
    c.assert_unharmed();
}

/// Legacy simulcast signalled by SSRCs (`a=ssrc-group:SIM`, with an `FID` RTX pair per layer,
/// as Chrome writes it when an application munges the SDP, and Jitsi expects): every layer's
/// SSRC routes to the video transceiver at negotiation, each is delivered with its SSRC, the
/// RTX SSRCs are known as RTX.
#[test]
fn ssrc_group_sim_layers_are_routed() {
    const LAYERS: [u32; 3] = [0x1111, 0x2222, 0x3333];
    const RTX: [u32; 3] = [0x4444, 0x5555, 0x6666];
    let mut c = Call::with_offer(|offer| {
        let at = offer.find("m=video").unwrap();
        let (head, video) = offer.split_at(at);
        let mut out = head.to_string();
        for line in video.split_inclusive("\r\n") {
            if !line.starts_with("a=ssrc") {
                out.push_str(line);
            }
        }
        let group = |s: &str, ssrcs: &[u32]| {
            let list: Vec<String> = ssrcs.iter().map(u32::to_string).collect();
            format!("a=ssrc-group:{s} {}\r\n", list.join(" "))
        };
        out.push_str(&group("SIM", &LAYERS));
        for (p, r) in LAYERS.iter().zip(RTX) {
            out.push_str(&group("FID", &[*p, r]));
        }
        for s in LAYERS.iter().chain(&RTX) {
            out.push_str(&format!("a=ssrc:{s} cname:layers\r\n"));
        }
        out
    });
    let v = c.b.transceivers().nth(1).unwrap();
    assert_eq!(v.kind(), MediaKind::Video);
    let (b_video, vp8) = (v.id(), v.codecs()[0].payload_type);
    let rtx_pt = v
        .codecs()
        .iter()
        .find(|k| k.codec.name == crate::media::codec::CodecName::Rtx)
        .unwrap()
        .payload_type;
    // The six SSRCs are routed from the description, before any packet.
    let signalled = c.b.remote_ssrc_count();
    assert!(signalled > 6, "six layer SSRCs and the audio: {signalled}");
    for (i, s) in LAYERS.iter().enumerate() {
        let mut p = rtp(*s, 7 + i as u16, vp8, b"1");
        p[0] &= !0x10; // no MID: the a=ssrc lines alone route it
        p.truncate(12);
        p.extend_from_slice(&[i as u8; 30]);
        assert!(c.a.fuzz_send_protected(&p, false));
    }
    let mut p = rtp(RTX[0], 1, rtx_pt, b"1");
    p[0] &= !0x10;
    p.truncate(12);
    p.extend_from_slice(&[0, 7, 9, 9]);
    assert!(c.a.fuzz_send_protected(&p, false));
    c.exchange(&mut |d| vec![d.to_vec()]);
    let got: Vec<(u32, u8)> = c
        .b_rtp
        .iter()
        .filter(|p| p.transceiver == b_video)
        .map(|p| (p.ssrc, p.payload[0]))
        .collect();
    assert_eq!(got, [(LAYERS[0], 0), (LAYERS[1], 1), (LAYERS[2], 2)]);
    assert_eq!(c.b.media_drops().rtx, 1);
    assert_eq!(c.b.media_drops().unknown_ssrc, 0);
    assert_eq!(c.b.remote_ssrc_count(), signalled);
    // The FID group pairs the RTX stream with its layer: the retransmission (2 bytes of
    // original sequence number, 2 of payload) is counted there; a payload-less probe is not.
    let mut probe = rtp(RTX[0], 2, rtx_pt, b"1");
    probe[0] &= !0x10;
    probe.truncate(12);
    assert!(c.a.fuzz_send_protected(&probe, false));
    c.exchange(&mut |d| vec![d.to_vec()]);
    assert_eq!(c.b.media_drops().rtx, 2);
    let retransmitted = |c: &Call, ssrc: u32| {
        c.b.get_stats(c.now)
            .iter()
            .find_map(|s| match s {
                crate::stats::Stats::InboundRtp(r) if r.ssrc == ssrc => Some((
                    r.retransmitted_packets_received,
                    r.retransmitted_bytes_received,
                )),
                _ => None,
            })
            .unwrap()
    };
    assert_eq!(retransmitted(&c, LAYERS[0]), (1, 2));
    assert_eq!(retransmitted(&c, LAYERS[1]), (0, 0));
}

/// An RTP packet with one-byte header extension elements `elems` and `payload`.
fn rtp_with(ssrc: u32, seq: u16, pt: u8, elems: &[(u8, &[u8])], payload: &[u8]) -> Vec<u8> {
    let mut p = vec![0x90, pt, (seq >> 8) as u8, seq as u8, 0, 0, 0, 1];
    p.extend_from_slice(&ssrc.to_be_bytes());
    let mut block = Vec::new();
    for (id, d) in elems {
        block.push((id << 4) | (d.len() as u8 - 1));
        block.extend_from_slice(d);
    }
    block.resize(block.len().div_ceil(4) * 4, 0);
    p.extend_from_slice(&[0xBE, 0xDE, 0, (block.len() / 4) as u8]);
    p.extend_from_slice(&block);
    p.extend_from_slice(payload);
    p
}

/// RFC 8852: an RTX stream named by repaired-rid is paired with the primary stream of that rid
/// (no a=ssrc lines, as with rid-based simulcast): its retransmissions count there.
#[test]
fn repaired_rid_pairs_rtx_with_its_primary() {
    let mut c = Call::new();
    let v = c.b.transceivers().nth(1).unwrap();
    let mid = v.mid().unwrap().as_bytes().to_vec();
    let vp8 = v.codecs()[0].payload_type;
    let rtx_pt = v
        .codecs()
        .iter()
        .find(|k| k.codec.name == crate::media::codec::CodecName::Rtx)
        .unwrap()
        .payload_type;
    let rid =
        c.b.extension_id(v.id(), crate::rtp::ExtensionKind::Rid)
            .unwrap();
    let repaired =
        c.b.extension_id(v.id(), crate::rtp::ExtensionKind::RepairedRid)
            .unwrap();
    let (primary, rtx) = (0x7000_0001u32, 0x7000_0002u32);
    let elems: [(u8, &[u8]); 2] = [(4, &mid), (rid, b"h")];
    let p = rtp_with(primary, 1, vp8, &elems, &[1; 20]);
    assert!(c.a.fuzz_send_protected(&p, false));
    let elems: [(u8, &[u8]); 2] = [(4, &mid), (repaired, b"h")];
    let r = rtp_with(rtx, 1, rtx_pt, &elems, &[0, 1, 5, 5, 5]);
    assert!(c.a.fuzz_send_protected(&r, false));
    c.exchange(&mut |d| vec![d.to_vec()]);
    let got =
        c.b.get_stats(c.now)
            .iter()
            .find_map(|s| match s {
                crate::stats::Stats::InboundRtp(r) if r.ssrc == primary => Some((
                    r.rid.clone(),
                    r.retransmitted_packets_received,
                    r.retransmitted_bytes_received,
                )),
                _ => None,
            })
            .unwrap();
    assert_eq!(got, (Some("h".to_string()), 1, 3));
}
