//! Media between two sansrtc peers: transceivers, offer/answer with audio and video, SRTP from
//! DTLS, RTP both ways, ontrack, keyframe requests, RTCP reports, reproducibility.

mod common;

use bytes::Bytes;
use sansrtc::media::{MediaKind, TrackInfo, TransceiverId, TransceiverInit};
use sansrtc::sdp::{Direction, SdpType};
use sansrtc::{Datagram, Event, Peer, PeerConfig, RtpOut, RtpPacket};
use std::time::{Duration, Instant};

struct Call {
    a: Peer,
    b: Peer,
    now: Instant,
    a_events: Vec<Event>,
    b_events: Vec<Event>,
    a_rtp: Vec<RtpPacket>,
    b_rtp: Vec<RtpPacket>,
    wire: Vec<u8>,
}

impl Call {
    fn new(seed: u64) -> Self {
        let now = common::base();
        let mut a = Peer::new(PeerConfig::new().seed(seed), now);
        let mut b = Peer::new(PeerConfig::new().seed(seed + 1), now);
        a.add_local_address(common::addr("10.0.0.1:1000"));
        b.add_local_address(common::addr("10.0.0.2:2000"));
        Self {
            a,
            b,
            now,
            a_events: Vec::new(),
            b_events: Vec::new(),
            a_rtp: Vec::new(),
            b_rtp: Vec::new(),
            wire: Vec::new(),
        }
    }

    /// `a` offers, `b` answers, as text.
    fn negotiate_a_to_b(&mut self) {
        let offer = self.a.create_offer().unwrap();
        self.a.set_local_description(offer.clone()).unwrap();
        self.b
            .set_remote_sdp(SdpType::Offer, &offer.sdp.to_string())
            .unwrap();
        let answer = self.b.create_answer().unwrap();
        self.b.set_local_description(answer.clone()).unwrap();
        self.a
            .set_remote_sdp(SdpType::Answer, &answer.sdp.to_string())
            .unwrap();
    }

    fn events(&mut self) {
        while let Some(e) = self.a.poll_event() {
            match e {
                Event::Rtp(p) => self.a_rtp.push(p),
                e => self.a_events.push(e),
            }
        }
        while let Some(e) = self.b.poll_event() {
            match e {
                Event::Rtp(p) => self.b_rtp.push(p),
                e => self.b_events.push(e),
            }
        }
    }

    fn step(&mut self) {
        let mut moved = true;
        while moved {
            moved = false;
            while let Some(t) = self.a.poll_transmit(self.now) {
                moved = true;
                self.wire.extend_from_slice(&t.contents);
                self.b.handle_receive(
                    self.now,
                    Datagram {
                        source: t.source,
                        destination: t.destination,
                        protocol: t.protocol,
                        contents: &t.contents,
                    },
                );
            }
            while let Some(t) = self.b.poll_transmit(self.now) {
                moved = true;
                self.wire.extend_from_slice(&t.contents);
                self.a.handle_receive(
                    self.now,
                    Datagram {
                        source: t.source,
                        destination: t.destination,
                        protocol: t.protocol,
                        contents: &t.contents,
                    },
                );
            }
            self.events();
        }
    }

    fn run_for(&mut self, d: Duration) {
        let end = self.now + d;
        loop {
            self.step();
            let next = [self.a.poll_timeout(), self.b.poll_timeout()]
                .into_iter()
                .flatten()
                .min()
                .unwrap_or(end)
                .max(self.now);
            if next > end {
                self.now = end;
                return;
            }
            self.now = next.max(self.now + Duration::from_micros(1)).min(end);
            self.a.handle_timeout(self.now);
            self.b.handle_timeout(self.now);
            if self.now >= end {
                self.step();
                return;
            }
        }
    }

    fn run_until(&mut self, limit: Duration, done: impl Fn(&Self) -> bool) {
        let end = self.now + limit;
        while !done(self) && self.now < end {
            self.run_for(Duration::from_millis(10));
        }
        assert!(done(self), "condition not reached within {limit:?}");
    }
}

fn connected(c: &Call) -> bool {
    c.a.connection_state() == sansrtc::PeerConnectionState::Connected
        && c.b.connection_state() == sansrtc::PeerConnectionState::Connected
}

fn track_events(events: &[Event]) -> Vec<&sansrtc::event::TrackEvent> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Track(t) => Some(t),
            _ => None,
        })
        .collect()
}

/// An audio and a video call set up as browsers do: `a` adds both tracks and offers, `b`
/// adds its tracks after the offer (reusing the transceivers the offer created) and answers.
fn call(seed: u64) -> (Call, [TransceiverId; 2], [TransceiverId; 2]) {
    let mut c = Call::new(seed);
    let streams = vec!["stream-a".to_string()];
    let a_audio =
        c.a.add_track(TrackInfo::new(MediaKind::Audio, "mic-a"), &streams)
            .unwrap();
    let a_video =
        c.a.add_track(TrackInfo::new(MediaKind::Video, "cam-a"), &streams)
            .unwrap();
    let offer = c.a.create_offer().unwrap();
    c.a.set_local_description(offer.clone()).unwrap();
    let text = offer.sdp.to_string();
    assert!(text.contains("m=audio "), "{text}");
    assert!(text.contains("m=video "), "{text}");
    assert!(
        !text.contains("m=application"),
        "no channel, no data section: {text}"
    );
    c.b.set_remote_sdp(SdpType::Offer, &text).unwrap();
    let created: Vec<_> =
        c.b.transceivers()
            .map(|t| (t.id(), t.kind(), t.mid().map(str::to_owned)))
            .collect();
    assert_eq!(
        created.len(),
        2,
        "the offer's sections made transceivers on b"
    );
    let b_audio =
        c.b.add_track(
            TrackInfo::new(MediaKind::Audio, "mic-b"),
            &["stream-b".into()],
        )
        .unwrap();
    let b_video =
        c.b.add_track(
            TrackInfo::new(MediaKind::Video, "cam-b"),
            &["stream-b".into()],
        )
        .unwrap();
    assert_eq!(
        b_audio, created[0].0,
        "add_track reuses the offer's audio transceiver"
    );
    assert_eq!(
        b_video, created[1].0,
        "add_track reuses the offer's video transceiver"
    );
    let answer = c.b.create_answer().unwrap();
    c.b.set_local_description(answer.clone()).unwrap();
    let text = answer.sdp.to_string();
    assert_eq!(text.matches("a=sendrecv").count(), 2, "{text}");
    c.a.set_remote_sdp(SdpType::Answer, &text).unwrap();
    (c, [a_audio, a_video], [b_audio, b_video])
}

#[test]
fn audio_and_video_flow_both_ways() {
    let (mut c, [a_audio, a_video], [b_audio, b_video]) = call(11);
    assert_eq!(c.a.transceiver(a_audio).unwrap().mid(), Some("0"));
    assert_eq!(c.a.transceiver(a_video).unwrap().mid(), Some("1"));
    assert_eq!(
        c.a.transceiver(a_audio).unwrap().current_direction(),
        Some(Direction::SendRecv)
    );
    c.run_until(Duration::from_secs(10), connected);
    // ontrack on both sides, with the remote's stream ids and track ids.
    let a_tracks = track_events(&c.a_events);
    let b_tracks = track_events(&c.b_events);
    assert_eq!(a_tracks.len(), 2);
    assert_eq!(b_tracks.len(), 2);
    assert_eq!(b_tracks[0].stream_ids, vec!["stream-a".to_string()]);
    assert_eq!(b_tracks[0].track_id.as_deref(), Some("mic-a"));
    assert_eq!(a_tracks[1].track_id.as_deref(), Some("cam-b"));

    let opus = c.a.transceiver(a_audio).unwrap().codecs()[0].payload_type;
    let vp8 = c.a.transceiver(a_video).unwrap().codecs()[0].payload_type;
    // 50 audio packets and 30 video packets from a; 20 ms apart.
    for i in 0..50u32 {
        c.a.send_rtp(
            a_audio,
            RtpOut {
                payload_type: opus,
                timestamp: i * 960,
                payload: Bytes::from(vec![i as u8; 80]),
                audio_level: Some((true, 30)),
                ..RtpOut::default()
            },
        )
        .unwrap();
        if i < 30 {
            c.a.send_rtp(
                a_video,
                RtpOut {
                    payload_type: vp8,
                    timestamp: i * 3000,
                    marker: true,
                    payload: Bytes::from(vec![0x10, i as u8, 1, 2, 3]),
                    ..RtpOut::default()
                },
            )
            .unwrap();
        }
        c.run_for(Duration::from_millis(20));
    }
    let audio: Vec<_> = c
        .b_rtp
        .iter()
        .filter(|p| p.transceiver == b_audio)
        .collect();
    let video: Vec<_> = c
        .b_rtp
        .iter()
        .filter(|p| p.transceiver == b_video)
        .collect();
    assert_eq!(audio.len(), 50);
    assert_eq!(video.len(), 30);
    assert_eq!(audio[7].payload, Bytes::from(vec![7u8; 80]));
    assert_eq!(&*audio[7].mid, "0");
    assert_eq!(video[3].payload[..2], [0x10, 3]);
    assert!(video[3].header.marker);
    assert_eq!(
        audio[1]
            .header
            .timestamp
            .wrapping_sub(audio[0].header.timestamp),
        960,
        "timestamps keep their distances (random offset added)"
    );
    assert_eq!(audio[1].sequence_number, audio[0].sequence_number + 1);
    assert!(
        audio[0].header.sequence_number < 0x8000,
        "sequence numbers start below 2^15"
    );

    // b echoes what it received back on its own senders.
    let echoed: Vec<RtpPacket> = c.b_rtp.drain(..).collect();
    for p in &echoed {
        let out = if p.transceiver == b_audio {
            b_audio
        } else {
            b_video
        };
        c.b.send_rtp(
            out,
            RtpOut {
                payload_type: p.payload_type,
                timestamp: p.header.timestamp,
                marker: p.header.marker,
                payload: p.payload.clone(),
                ..RtpOut::default()
            },
        )
        .unwrap();
    }
    c.run_for(Duration::from_millis(100));
    assert_eq!(c.a_rtp.len(), 80, "a receives its media back");
    let back: Vec<_> = c
        .a_rtp
        .iter()
        .filter(|p| p.transceiver == a_audio)
        .collect();
    assert_eq!(back[7].payload, Bytes::from(vec![7u8; 80]));

    // A keyframe request from b reaches a's video sender as one event, however many PLIs.
    for _ in 0..5 {
        c.b.request_keyframe(b_video, None).unwrap();
    }
    c.run_for(Duration::from_millis(50));
    let requests: Vec<_> = c
        .a_events
        .iter()
        .filter(
            |e| matches!(e, Event::KeyframeRequest { transceiver, .. } if *transceiver == a_video),
        )
        .collect();
    assert_eq!(requests.len(), 1, "coalesced: {requests:?}");
    assert_eq!(c.a.media_drops().keyframe_requests_coalesced, 4);

    // Reports flow: after a few seconds each side has sent SRs and received RRs.
    c.run_for(Duration::from_secs(5));
    assert_eq!(c.a.media_drops().srtp, 0);
    assert_eq!(c.b.media_drops().srtp, 0);
    assert_eq!(c.a.media_drops().rtcp_malformed, 0);
    assert_eq!(c.b.media_drops().unknown_ssrc, 0);

    // W3C stats: what b received from a, what a sent, what the reports said, the codecs.
    use sansrtc::stats::Stats;
    let report = c.b.get_stats(c.now);
    let inbound: Vec<_> = report
        .iter()
        .filter_map(|s| match s {
            Stats::InboundRtp(r) => Some(r),
            _ => None,
        })
        .collect();
    let audio_in = inbound
        .iter()
        .find(|r| r.kind == MediaKind::Audio)
        .expect("inbound-rtp audio");
    assert_eq!(audio_in.packets_received, 50);
    assert_eq!(audio_in.bytes_received, 50 * 80);
    assert_eq!(audio_in.packets_lost, 0);
    assert_eq!(audio_in.mid.as_deref(), Some("0"));
    let video_in = inbound.iter().find(|r| r.kind == MediaKind::Video).unwrap();
    assert_eq!(video_in.pli_count, 5, "the PLIs b sent");
    assert!(audio_in.remote_id.is_some(), "a's sender reports arrived");
    let codec = report.get(audio_in.codec_id.as_deref().unwrap()).unwrap();
    assert!(
        matches!(codec, Stats::Codec(c) if c.mime_type == "audio/opus" && c.clock_rate == 48_000)
    );
    let report = c.a.get_stats(c.now);
    let out_audio = report
        .iter()
        .find_map(|s| match s {
            Stats::OutboundRtp(r) if r.kind == MediaKind::Audio => Some(r),
            _ => None,
        })
        .expect("outbound-rtp audio");
    assert_eq!(out_audio.packets_sent, 50);
    let out_video = report
        .iter()
        .find_map(|s| match s {
            Stats::OutboundRtp(r) if r.kind == MediaKind::Video => Some(r),
            _ => None,
        })
        .unwrap();
    assert_eq!(out_video.pli_count, 5, "every PLI counted, one event");
    let remote_in = report
        .iter()
        .find_map(|s| match s {
            Stats::RemoteInboundRtp(r) if r.kind == MediaKind::Audio => Some(r),
            _ => None,
        })
        .expect("remote-inbound-rtp: b's receiver reports");
    assert!(remote_in.round_trip_time_measurements > 0);
    assert!(remote_in.round_trip_time.is_some());
}

#[test]
fn media_before_negotiation_is_refused() {
    let mut c = Call::new(3);
    let t =
        c.a.add_transceiver(MediaKind::Video, TransceiverInit::default())
            .unwrap();
    let e = c.a.send_rtp(t, RtpOut::default()).unwrap_err();
    assert!(
        matches!(e, sansrtc::media::MediaError::NotReady(_)),
        "{e:?}"
    );
}

#[test]
fn same_seed_same_bytes() {
    let run = |seed| {
        let (mut c, [a_audio, _], _) = call(seed);
        c.run_until(Duration::from_secs(10), connected);
        let opus = c.a.transceiver(a_audio).unwrap().codecs()[0].payload_type;
        for i in 0..20u32 {
            c.a.send_rtp(
                a_audio,
                RtpOut {
                    payload_type: opus,
                    timestamp: i * 960,
                    payload: Bytes::from_static(b"opus frame"),
                    ..RtpOut::default()
                },
            )
            .unwrap();
            c.run_for(Duration::from_millis(20));
        }
        c.run_for(Duration::from_secs(3));
        c.wire
    };
    let one = run(5);
    assert_eq!(one, run(5), "same seed, same bytes on the wire");
    assert_ne!(one, run(6));
}

#[test]
fn stopped_transceiver_is_rejected_and_its_line_recycled() {
    let (mut c, [a_audio, a_video], _) = call(21);
    c.run_until(Duration::from_secs(10), connected);
    c.a.stop_transceiver(a_video).unwrap();
    c.negotiate_a_to_b();
    let local = c.a.local_description().unwrap().sdp.to_string();
    assert!(local.contains("m=video 0 "), "{local}");
    assert!(c.a.transceiver(a_video).unwrap().is_stopped());
    // A new video transceiver takes the rejected m= line, with a new mid.
    let v2 =
        c.a.add_transceiver(MediaKind::Video, TransceiverInit::default())
            .unwrap();
    c.negotiate_a_to_b();
    let local = c.a.local_description().unwrap().sdp;
    assert_eq!(local.media.len(), 2, "the m= line was recycled");
    assert_eq!(c.a.transceiver(v2).unwrap().mid(), Some("2"));
    assert_eq!(
        c.a.transceiver(a_audio).unwrap().current_direction(),
        Some(Direction::SendRecv)
    );
}

#[test]
fn negotiation_needed_follows_the_w3c_check() {
    let count = |events: &[Event]| {
        events
            .iter()
            .filter(|e| matches!(e, Event::NegotiationNeeded))
            .count()
    };
    let (mut c, [a_audio, _], _) = call(31);
    c.run_until(Duration::from_secs(10), connected);
    let (a0, b0) = (count(&c.a_events), count(&c.b_events));
    assert_eq!(
        b0, 0,
        "transceivers a remote offer made need no negotiation"
    );
    // The negotiated direction again: nothing to negotiate.
    c.a.set_direction(a_audio, Direction::SendRecv).unwrap();
    c.events();
    assert_eq!(count(&c.a_events), a0);
    // A real change: negotiation is needed, once.
    c.a.set_direction(a_audio, Direction::RecvOnly).unwrap();
    c.a.set_direction(a_audio, Direction::Inactive).unwrap();
    c.events();
    assert_eq!(count(&c.a_events), a0 + 1);
    c.negotiate_a_to_b();
    c.events();
    assert_eq!(
        c.a.transceiver(a_audio).unwrap().current_direction(),
        Some(Direction::Inactive)
    );
    // Negotiated: nothing pending, and a new transceiver needs negotiation again.
    let before = count(&c.a_events);
    c.a.add_transceiver(MediaKind::Audio, TransceiverInit::default())
        .unwrap();
    c.events();
    assert_eq!(count(&c.a_events), before + 1);
}

impl Call {
    /// `b` offers, `a` answers, as text.
    fn negotiate_b_to_a(&mut self) {
        let offer = self.b.create_offer().unwrap();
        self.b.set_local_description(offer.clone()).unwrap();
        self.a
            .set_remote_sdp(SdpType::Offer, &offer.sdp.to_string())
            .unwrap();
        let answer = self.a.create_answer().unwrap();
        self.a.set_local_description(answer.clone()).unwrap();
        self.b
            .set_remote_sdp(SdpType::Answer, &answer.sdp.to_string())
            .unwrap();
    }

    fn send_audio(&mut self, from_a: bool, id: TransceiverId, n: u32) -> Result<(), String> {
        let p = if from_a { &mut self.a } else { &mut self.b };
        let pt = p.transceiver(id).unwrap().codecs()[0].payload_type;
        for i in 0..n {
            p.send_rtp(
                id,
                RtpOut {
                    payload_type: pt,
                    timestamp: i * 960,
                    payload: Bytes::from_static(b"audio"),
                    ..RtpOut::default()
                },
            )
            .map_err(|e| e.to_string())?;
        }
        Ok(())
    }
}

/// Renegotiation from the answering side with media flowing: `b` removes its audio track and
/// re-offers (its audio becomes recvonly, a's sendonly), then restarts ICE; a's audio keeps
/// arriving throughout and b's stops being sendable.
#[test]
fn renegotiation_from_the_answerer_remove_track_and_ice_restart() {
    let (mut c, [a_audio, _], [b_audio, _]) = call(51);
    c.run_until(Duration::from_secs(10), connected);
    c.send_audio(true, a_audio, 5).unwrap();
    c.send_audio(false, b_audio, 5).unwrap();
    c.run_for(Duration::from_millis(50));
    assert_eq!(c.b_rtp.len(), 5);
    assert_eq!(c.a_rtp.len(), 5);

    c.b.remove_track(b_audio).unwrap();
    c.events();
    assert!(
        c.b_events
            .iter()
            .any(|e| matches!(e, Event::NegotiationNeeded))
    );
    c.negotiate_b_to_a();
    assert_eq!(
        c.b.transceiver(b_audio).unwrap().current_direction(),
        Some(Direction::RecvOnly)
    );
    assert_eq!(
        c.a.transceiver(a_audio).unwrap().current_direction(),
        Some(Direction::SendOnly)
    );
    assert!(
        c.send_audio(false, b_audio, 1).is_err(),
        "b no longer sends audio"
    );
    c.send_audio(true, a_audio, 5).unwrap();
    c.run_for(Duration::from_millis(50));
    assert_eq!(c.b_rtp.len(), 10, "a's audio still arrives");

    // ICE restart from b with media flowing.
    let ufrag = c.a.remote_description().unwrap().sdp.to_string();
    c.b.restart_ice();
    c.negotiate_b_to_a();
    assert_ne!(
        c.a.remote_description().unwrap().sdp.to_string(),
        ufrag,
        "new credentials"
    );
    c.run_for(Duration::from_secs(2));
    c.send_audio(true, a_audio, 5).unwrap();
    c.run_for(Duration::from_millis(50));
    assert_eq!(c.b_rtp.len(), 15, "media continues across the ICE restart");
    assert!(connected(&c));
}

/// RFC 8853 in the other direction: `a` (an SFU-like offerer) asks to receive three simulcast
/// streams; `b` takes the rids from the offer (W3C "proposed send encodings"), answers
/// `a=simulcast:send`, and sends each; `a` demuxes them by rid.
#[test]
fn offers_to_receive_simulcast() {
    let mut c = Call::new(700);
    let rids: Vec<String> = ["l", "m", "h"].map(String::from).to_vec();
    let a_video =
        c.a.add_transceiver(
            MediaKind::Video,
            TransceiverInit {
                direction: Some(Direction::RecvOnly),
                receive_rids: rids.clone(),
                ..TransceiverInit::default()
            },
        )
        .unwrap();
    // A malformed or repeated rid is refused.
    for bad in [vec!["a b".to_string()], vec!["x".into(), "x".into()]] {
        assert!(
            c.a.add_transceiver(
                MediaKind::Video,
                TransceiverInit {
                    receive_rids: bad,
                    ..TransceiverInit::default()
                },
            )
            .is_err()
        );
    }
    let offer = c.a.create_offer().unwrap();
    let text = offer.sdp.to_string();
    for line in [
        "a=rid:l recv",
        "a=rid:m recv",
        "a=rid:h recv",
        "a=simulcast:recv l;m;h",
    ] {
        assert!(text.contains(line), "{line} missing from\n{text}");
    }
    assert!(!text.contains("a=simulcast:send"), "{text}");
    c.a.set_local_description(offer.clone()).unwrap();
    c.b.set_remote_sdp(SdpType::Offer, &text).unwrap();
    let b_video =
        c.b.add_track(TrackInfo::new(MediaKind::Video, "screen"), &[])
            .unwrap();
    let params = c.b.get_parameters(b_video).unwrap();
    let got: Vec<_> = params.encodings.iter().map(|e| e.rid.clone()).collect();
    assert_eq!(got, rids.iter().cloned().map(Some).collect::<Vec<_>>());
    let answer = c.b.create_answer().unwrap();
    let text = answer.sdp.to_string();
    for line in [
        "a=rid:l send",
        "a=rid:m send",
        "a=rid:h send",
        "a=simulcast:send l;m;h",
    ] {
        assert!(text.contains(line), "{line} missing from\n{text}");
    }
    // Simulcast streams are named by rid, not by a=ssrc lines.
    let video = &text[text.find("m=video").unwrap()..];
    assert!(!video.contains("a=ssrc:"), "{video}");
    c.b.set_local_description(answer.clone()).unwrap();
    c.a.set_remote_sdp(SdpType::Answer, &text).unwrap();
    assert_eq!(c.a.transceiver(a_video).unwrap().remote_rids(), &rids[..]);
    c.run_until(Duration::from_secs(5), connected);
    let pt = c.b.transceiver(b_video).unwrap().codecs()[0].payload_type;
    for i in 0..3u32 {
        for r in &rids {
            c.b.send_rtp(
                b_video,
                RtpOut {
                    payload_type: pt,
                    timestamp: i * 3000,
                    payload: Bytes::from(format!("{r}{i}")),
                    rid: Some(r.clone()),
                    ..RtpOut::default()
                },
            )
            .unwrap();
        }
    }
    c.step();
    let got: Vec<(String, String)> = c
        .a_rtp
        .iter()
        .map(|p| {
            assert_eq!(p.transceiver, a_video);
            (
                p.rid.as_deref().unwrap_or_default().to_string(),
                String::from_utf8(p.payload.to_vec()).unwrap(),
            )
        })
        .collect();
    assert_eq!(got.len(), 9, "{got:?} {:?}", c.a.media_drops());
    for (rid, payload) in &got {
        assert!(payload.starts_with(rid.as_str()), "{rid} carried {payload}");
    }
    let ssrcs: std::collections::BTreeSet<u32> = c.a_rtp.iter().map(|p| p.ssrc).collect();
    assert_eq!(ssrcs.len(), 3);
}

/// RFC 8853 §5.3: an answer that receives fewer of the offered simulcast streams (or none)
/// leaves the sender with those (or with the first encoding), W3C SRD(answer).
#[test]
fn answer_may_drop_offered_simulcast_streams() {
    for (keep, want) in [
        (Some("m;h"), vec![Some("m"), Some("h")]),
        (None, vec![Some("l")]),
    ] {
        let mut c = Call::new(710);
        let a_video =
            c.a.add_transceiver(
                MediaKind::Video,
                TransceiverInit {
                    direction: Some(Direction::SendOnly),
                    send_encodings: ["l", "m", "h"]
                        .map(sansrtc::media::SendEncoding::with_rid)
                        .to_vec(),
                    ..TransceiverInit::default()
                },
            )
            .unwrap();
        let offer = c.a.create_offer().unwrap();
        c.a.set_local_description(offer.clone()).unwrap();
        c.b.set_remote_sdp(SdpType::Offer, &offer.sdp.to_string())
            .unwrap();
        let answer = c.b.create_answer().unwrap();
        let text = answer.sdp.to_string();
        assert!(text.contains("a=simulcast:recv l;m;h"), "{text}");
        let edited: String = text
            .split_inclusive("\r\n")
            .filter(|l| !l.starts_with("a=rid:l recv"))
            .filter(|l| keep.is_some() || !l.starts_with("a=rid:"))
            .filter_map(|l| match (l.starts_with("a=simulcast:"), keep) {
                (true, Some(k)) => Some(format!("a=simulcast:recv {k}\r\n")),
                (true, None) => None,
                _ => Some(l.to_string()),
            })
            .collect();
        c.a.set_remote_sdp(SdpType::Answer, &edited).unwrap();
        let params = c.a.get_parameters(a_video).unwrap();
        let got: Vec<Option<&str>> = params.encodings.iter().map(|e| e.rid.as_deref()).collect();
        assert_eq!(got, want, "answer simulcast {keep:?}");
    }
}

/// DESIGN §9: what is received is chosen per transceiver. With `ReceiveMode::Discard` b's
/// audio arrives, is counted and reported, and is not delivered; b's video is delivered all
/// along; back to `Rtp`, audio is delivered again.
#[test]
fn receive_mode_is_per_transceiver() {
    use sansrtc::media::ReceiveMode;
    use sansrtc::stats::Stats;
    let (mut c, [a_audio, a_video], [b_audio, _]) = call(720);
    c.run_until(Duration::from_secs(5), connected);
    assert_eq!(
        c.b.transceiver(b_audio).unwrap().receive_mode(),
        ReceiveMode::Rtp
    );
    c.b.set_receive_mode(b_audio, ReceiveMode::Discard).unwrap();
    c.send_audio(true, a_audio, 10).unwrap();
    let vpt = c.a.transceiver(a_video).unwrap().codecs()[0].payload_type;
    c.a.send_rtp(
        a_video,
        RtpOut {
            payload_type: vpt,
            payload: Bytes::from_static(b"video"),
            ..RtpOut::default()
        },
    )
    .unwrap();
    c.step();
    let kinds: Vec<_> = c.b_rtp.iter().map(|p| p.payload.clone()).collect();
    assert_eq!(
        kinds,
        [Bytes::from_static(b"video")],
        "only video delivered"
    );
    let received = |c: &Call| {
        c.b.get_stats(c.now)
            .iter()
            .find_map(|s| match s {
                Stats::InboundRtp(r) if r.kind == MediaKind::Audio => Some(r.packets_received),
                _ => None,
            })
            .unwrap_or(0)
    };
    assert_eq!(received(&c), 10, "discarded packets still counted");
    c.b.set_receive_mode(b_audio, ReceiveMode::Rtp).unwrap();
    c.send_audio(true, a_audio, 3).unwrap();
    c.step();
    assert_eq!(c.b_rtp.len(), 4);
    assert_eq!(received(&c), 13);
}

/// W3C `setStreams`: new stream ids need negotiation (the section's a=msid lines differ), are
/// signalled in the next offer, and the same ids again need none.
#[test]
fn set_streams_needs_negotiation() {
    let count = |events: &[Event]| {
        events
            .iter()
            .filter(|e| matches!(e, Event::NegotiationNeeded))
            .count()
    };
    let (mut c, [_, a_video], _) = call(730);
    c.run_until(Duration::from_secs(10), connected);
    c.events();
    let a0 = count(&c.a_events);
    c.a.set_streams(a_video, &["stream-a".into()]).unwrap();
    c.events();
    assert_eq!(count(&c.a_events), a0, "the same stream ids");
    c.a.set_streams(a_video, &["screen".into(), "screen".into()])
        .unwrap();
    c.events();
    assert_eq!(count(&c.a_events), a0 + 1);
    c.negotiate_a_to_b();
    let offer = c.a.local_description().unwrap().sdp.to_string();
    let video = &offer[offer.find("m=video").unwrap()..];
    assert_eq!(video.matches("a=msid:").count(), 1, "{video}");
    assert!(video.contains("a=msid:screen "), "{video}");
    // Negotiated: nothing pending any more.
    c.a.set_direction(a_video, Direction::SendRecv).unwrap();
    c.a.add_transceiver(MediaKind::Audio, TransceiverInit::default())
        .unwrap();
    c.events();
    assert_eq!(count(&c.a_events), a0 + 2, "only the new transceiver");
}
