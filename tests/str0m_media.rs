//! Media interop with str0m 0.25 (aws-lc-rs), a WebRTC stack nobody here wrote, in one process:
//! a sansrtc `Peer` and a str0m `Rtc` on a direct shuttle with a fixed one-way delay, no loss
//! and virtual time (every instant is `base() + Duration`), so every run takes the same schedule
//! and reaches the same outcome. (str0m cannot be seeded: its SSRCs, ICE credentials and DTLS
//! keys, hence the bytes on the wire, differ from run to run.)
//!
//! - str0m offers audio (Opus) and video (VP8), sansrtc answers and echoes every packet; str0m
//!   gets its own frames back, byte for byte, with their timestamps' distances.
//! - The same with sansrtc offering.
//! - sansrtc sends with the RTP API (Opus-like payloads, VP8 packets with a payload descriptor);
//!   str0m depacketizes them into the frames that were sent, timestamps' distances kept.
//! - Keyframe requests both ways: str0m's PLI and FIR become `Event::KeyframeRequest`;
//!   `Peer::request_keyframe` becomes str0m's `Event::KeyframeRequest`.
//! - Renegotiation adding video to an audio-only call, from each side.
//! - Simulcast (RFC 8853) from sansrtc: three rids in one video section; str0m answers
//!   `a=simulcast:recv`, tells the streams apart by rid and stops getting the one sansrtc
//!   deactivates with `set_parameters`.

mod common;

use bytes::Bytes;
use sansrtc::dtls::{DtlsConfig, DtlsContext};
use sansrtc::media::codec::CodecName;
use sansrtc::media::{MediaKind, SendEncoding, TrackInfo, TransceiverId, TransceiverInit};
use sansrtc::sdp::{Direction, SdpType};
use sansrtc::{
    Datagram, Event, KeyframeRequestKind, Peer, PeerConfig, PeerConnectionState, Protocol, RtpOut,
    RtpPacket,
};
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};
use str0m::change::{SdpAnswer, SdpApi, SdpOffer};
use str0m::format::Codec;
use str0m::media::{
    Direction as S0Direction, Frequency, KeyframeRequestKind as S0Keyframe, MediaData,
    MediaKind as S0Kind, MediaTime, Mid, Pt, Rid,
};
use str0m::net::{DatagramRecv, Receive};
use str0m::{Candidate, Event as S0Event, Input, Output, Rtc};

const SANS: &str = "10.0.0.1:5000";
const STR0M: &str = "10.0.0.2:6000";
/// One-way delay of the shuttle, both directions.
const LATENCY: Duration = Duration::from_millis(5);
/// Audio: 20 ms frames at 48 kHz.
const AUDIO_TICKS: u32 = 960;

fn context() -> Arc<DtlsContext> {
    static CTX: OnceLock<Arc<DtlsContext>> = OnceLock::new();
    CTX.get_or_init(|| Arc::new(DtlsContext::new(DtlsConfig::default())))
        .clone()
}

/// A datagram on its way.
struct InFlight {
    at: Instant,
    source: SocketAddr,
    destination: SocketAddr,
    contents: Vec<u8>,
}

/// A sansrtc peer and a str0m `Rtc` in a call. str0m's rule: after every input or mutation,
/// drain `poll_output` until it returns a timeout.
struct Call {
    start: Instant,
    now: Instant,
    sans: Peer,
    rtc: Rtc,
    rtc_timeout: Instant,
    to_sans: VecDeque<InFlight>,
    to_rtc: VecDeque<InFlight>,
    /// sansrtc sends every `Event::Rtp` back on the transceiver it arrived on.
    echo: bool,
    echoed: u64,
    echo_errors: Vec<String>,
    sans_events: Vec<Event>,
    sans_rtp: Vec<RtpPacket>,
    rtc_connected: bool,
    /// str0m's events but `MediaData` (in `media`) and the stats.
    rtc_events: Vec<S0Event>,
    media: Vec<MediaData>,
    rtc_errors: Vec<String>,
    /// What str0m wrote: (mid, RTP time, frame).
    written: Vec<(Mid, MediaTime, Vec<u8>)>,
}

impl Call {
    fn new(seed: u64) -> Self {
        let now = common::base();
        let mut sans = Peer::new(PeerConfig::new().seed(seed).dtls_context(context()), now);
        sans.add_local_address(common::addr(SANS));
        let mut rtc = Rtc::new(now);
        rtc.add_local_candidate(Candidate::host(common::addr(STR0M), "udp").unwrap())
            .unwrap();
        let mut c = Self {
            start: now,
            now,
            sans,
            rtc,
            rtc_timeout: now,
            to_sans: VecDeque::new(),
            to_rtc: VecDeque::new(),
            echo: false,
            echoed: 0,
            echo_errors: Vec::new(),
            sans_events: Vec::new(),
            sans_rtp: Vec::new(),
            rtc_connected: false,
            rtc_events: Vec::new(),
            media: Vec::new(),
            rtc_errors: Vec::new(),
            written: Vec::new(),
        };
        c.drain_rtc();
        c
    }

    // ----- negotiation -----

    /// str0m offers what `change` adds; sansrtc answers with every transceiver that receives
    /// only turned sendrecv. Returns what `change` returned.
    fn str0m_offers<R>(&mut self, change: impl FnOnce(&mut SdpApi<'_>) -> R) -> R {
        let mut api = self.rtc.sdp_api();
        let r = change(&mut api);
        let (offer, pending) = api.apply().expect("str0m has changes to offer");
        self.drain_rtc();
        let text = offer.to_sdp_string();
        self.sans
            .set_remote_sdp(SdpType::Offer, &text)
            .unwrap_or_else(|e| panic!("sansrtc refused str0m's offer: {e}\n{text}"));
        let recv_only: Vec<TransceiverId> = self
            .sans
            .transceivers()
            .filter(|t| !t.is_stopped() && t.direction() == Direction::RecvOnly)
            .map(|t| t.id())
            .collect();
        for id in recv_only {
            self.sans.set_direction(id, Direction::SendRecv).unwrap();
        }
        let answer = self.sans.create_answer().unwrap();
        self.sans.set_local_description(answer.clone()).unwrap();
        let text = answer.sdp.to_string();
        let answer = SdpAnswer::from_sdp_string(&text)
            .unwrap_or_else(|e| panic!("str0m cannot parse our answer: {e}\n{text}"));
        self.rtc
            .sdp_api()
            .accept_answer(pending, answer)
            .unwrap_or_else(|e| panic!("str0m refused our answer: {e}\n{text}"));
        self.drain_rtc();
        self.drain_sans();
        r
    }

    /// sansrtc offers its transceivers; str0m answers. Returns str0m's answer.
    fn sans_offers(&mut self) -> String {
        let offer = self.sans.create_offer().unwrap();
        self.sans.set_local_description(offer.clone()).unwrap();
        let text = offer.sdp.to_string();
        let offer = SdpOffer::from_sdp_string(&text)
            .unwrap_or_else(|e| panic!("str0m cannot parse our offer: {e}\n{text}"));
        let answer = self
            .rtc
            .sdp_api()
            .accept_offer(offer)
            .unwrap_or_else(|e| panic!("str0m refused our offer: {e}\n{text}"));
        self.drain_rtc();
        let text = answer.to_sdp_string();
        self.sans
            .set_remote_sdp(SdpType::Answer, &text)
            .unwrap_or_else(|e| panic!("sansrtc refused str0m's answer: {e}\n{text}"));
        self.drain_sans();
        text
    }

    // ----- the shuttle -----

    fn drain_rtc(&mut self) {
        loop {
            match self.rtc.poll_output() {
                Ok(Output::Timeout(t)) => {
                    self.rtc_timeout = t;
                    return;
                }
                Ok(Output::Transmit(t)) => self.to_sans.push_back(InFlight {
                    at: self.now + LATENCY,
                    source: t.source,
                    destination: t.destination,
                    contents: t.contents.to_vec(),
                }),
                Ok(Output::Event(e)) => match e {
                    S0Event::Connected => self.rtc_connected = true,
                    S0Event::MediaData(d) => self.media.push(d),
                    S0Event::PeerStats(_)
                    | S0Event::MediaIngressStats(_)
                    | S0Event::MediaEgressStats(_) => {}
                    e => self.rtc_events.push(e),
                },
                Err(e) => {
                    self.rtc_errors.push(e.to_string());
                    self.rtc_timeout = self.now + Duration::from_millis(1);
                    return;
                }
            }
        }
    }

    fn drain_sans(&mut self) {
        loop {
            let mut moved = false;
            while let Some(e) = self.sans.poll_event() {
                moved = true;
                match e {
                    Event::Rtp(p) => {
                        if self.echo {
                            self.echo_back(&p);
                        }
                        self.sans_rtp.push(p);
                    }
                    e => self.sans_events.push(e),
                }
            }
            while let Some(t) = self.sans.poll_transmit(self.now) {
                moved = true;
                self.to_rtc.push_back(InFlight {
                    at: self.now + LATENCY,
                    source: t.source,
                    destination: t.destination,
                    contents: t.contents.to_vec(),
                });
            }
            if !moved {
                return;
            }
        }
    }

    /// The packet goes back on its transceiver's sender, as `examples/udp_peer.rs --media echo`
    /// does: the payload type of the same codec there, the original sequence number.
    fn echo_back(&mut self, p: &RtpPacket) {
        let t = self.sans.transceiver(p.transceiver).expect("transceiver");
        let pt = t
            .codecs()
            .iter()
            .find(|c| c.payload_type == p.payload_type && c.codec.name == p.codec)
            .or_else(|| t.codecs().iter().find(|c| c.codec.name == p.codec))
            .map(|c| c.payload_type);
        let Some(payload_type) = pt else {
            self.echo_errors
                .push(format!("no payload type for {:?}", p.codec));
            return;
        };
        let out = RtpOut {
            payload_type,
            timestamp: p.header.timestamp,
            marker: p.header.marker,
            payload: p.payload.clone(),
            sequence_number: Some(p.header.sequence_number),
            ..RtpOut::default()
        };
        match self.sans.send_rtp(p.transceiver, out) {
            Ok(()) => self.echoed += 1,
            Err(e) => self.echo_errors.push(format!("echo on mid {}: {e}", p.mid)),
        }
    }

    /// Delivers what is due and runs the timers that are due, at `self.now`.
    fn step(&mut self) {
        while self.to_sans.front().is_some_and(|p| p.at <= self.now) {
            let p = self.to_sans.pop_front().unwrap();
            self.sans.handle_receive(
                self.now,
                Datagram {
                    source: p.source,
                    destination: p.destination,
                    protocol: Protocol::Udp,
                    contents: &p.contents,
                },
            );
            self.drain_sans();
        }
        while self.to_rtc.front().is_some_and(|p| p.at <= self.now) {
            let p = self.to_rtc.pop_front().unwrap();
            let contents = DatagramRecv::try_from(&p.contents[..]).expect("a datagram str0m reads");
            let input = Input::Receive(
                self.now,
                Receive {
                    proto: str0m::net::Protocol::Udp,
                    source: p.source,
                    destination: p.destination,
                    contents,
                },
            );
            if let Err(e) = self.rtc.handle_input(input) {
                self.rtc_errors.push(e.to_string());
            }
            self.drain_rtc();
        }
        if self.sans.poll_timeout().is_some_and(|t| t <= self.now) {
            self.sans.handle_timeout(self.now);
            self.drain_sans();
        }
        if self.rtc_timeout <= self.now {
            if let Err(e) = self.rtc.handle_input(Input::Timeout(self.now)) {
                self.rtc_errors.push(e.to_string());
            }
            self.drain_rtc();
        }
    }

    fn next_wake(&self) -> Instant {
        [
            self.sans.poll_timeout(),
            Some(self.rtc_timeout),
            self.to_sans.front().map(|p| p.at),
            self.to_rtc.front().map(|p| p.at),
        ]
        .into_iter()
        .flatten()
        .min()
        .expect("str0m always has a timeout")
    }

    fn run_for(&mut self, d: Duration) {
        let end = self.now + d;
        let mut spins = 0u32;
        loop {
            self.step();
            let next = self.next_wake();
            if next > end {
                self.now = end;
                return;
            }
            if next <= self.now {
                // A timer that asks for `now` again right after running: move on a little.
                spins += 1;
                assert!(spins < 100_000, "livelock at {:?}", self.now - self.start);
                self.now += Duration::from_micros(100);
            } else {
                self.now = next;
            }
            if self.now >= end {
                self.now = end;
                self.step();
                return;
            }
        }
    }

    #[track_caller]
    fn run_until(&mut self, limit: Duration, done: impl Fn(&Self) -> bool) {
        let end = self.now + limit;
        while !done(self) && self.now < end {
            self.run_for(Duration::from_millis(10));
        }
        assert!(
            done(self),
            "condition not reached within {limit:?}; str0m errors {:?}",
            self.rtc_errors
        );
    }

    // ----- helpers -----

    fn connected(&self) -> bool {
        self.sans.connection_state() == PeerConnectionState::Connected && self.rtc_connected
    }

    /// sansrtc's (first live) transceiver of a kind.
    fn sans_transceiver(&self, kind: MediaKind) -> TransceiverId {
        self.sans
            .transceivers()
            .find(|t| t.kind() == kind && !t.is_stopped())
            .map(|t| t.id())
            .expect("a transceiver of the kind")
    }

    fn sans_mid(&self, id: TransceiverId) -> String {
        self.sans
            .transceiver(id)
            .and_then(|t| t.mid().map(str::to_owned))
            .expect("a negotiated mid")
    }

    fn sans_pt(&self, id: TransceiverId, name: CodecName) -> u8 {
        self.sans
            .transceiver(id)
            .unwrap()
            .codecs()
            .iter()
            .find(|c| c.codec.name == name)
            .map(|c| c.payload_type)
            .unwrap_or_else(|| panic!("{name:?} negotiated"))
    }

    /// The mids str0m announced with `MediaAdded`, with their kind and direction.
    fn str0m_added(&self) -> Vec<(Mid, S0Kind, S0Direction)> {
        self.rtc_events
            .iter()
            .filter_map(|e| match e {
                S0Event::MediaAdded(m) => Some((m.mid, m.kind, m.direction)),
                _ => None,
            })
            .collect()
    }

    fn str0m_mid(&self, kind: S0Kind) -> Mid {
        self.str0m_added()
            .into_iter()
            .rev()
            .find(|(_, k, _)| *k == kind)
            .map(|(m, _, _)| m)
            .expect("str0m announced the media")
    }

    fn str0m_pt(&mut self, mid: Mid, codec: Codec) -> Pt {
        self.rtc
            .writer(mid)
            .expect("str0m writer")
            .payload_params()
            .find(|p| p.spec().codec == codec)
            .map(|p| p.pt())
            .unwrap_or_else(|| panic!("str0m negotiated {codec:?} on {mid}"))
    }

    /// str0m writes one frame; kept in `written`.
    fn str0m_write(&mut self, mid: Mid, pt: Pt, time: MediaTime, data: Vec<u8>) {
        let now = self.now;
        self.rtc
            .writer(mid)
            .expect("str0m writer")
            .write(pt, now, time, data.clone())
            .expect("str0m takes the frame");
        self.written.push((mid, time, data));
        self.drain_rtc();
    }

    /// str0m sends `ms` of audio (20 ms frames) and, when `video` is given, 25 fps VP8
    /// (a keyframe every 25 frames); the shuttle runs meanwhile.
    fn str0m_send(&mut self, audio: Option<Mid>, video: Option<Mid>, ms: u32) {
        let apt = audio.map(|m| self.str0m_pt(m, Codec::Opus));
        let vpt = video.map(|m| self.str0m_pt(m, Codec::Vp8));
        let a0 = self.written.iter().filter(|w| Some(w.0) == audio).count() as u32;
        let v0 = self.written.iter().filter(|w| Some(w.0) == video).count() as u32;
        for tick in 0..ms / 20 {
            if let (Some(mid), Some(pt)) = (audio, apt) {
                let i = a0 + tick;
                let time = MediaTime::new(u64::from(i * AUDIO_TICKS), Frequency::FORTY_EIGHT_KHZ);
                self.str0m_write(mid, pt, time, opus_frame(i));
            }
            if let (Some(mid), Some(pt), true) = (video, vpt, tick % 2 == 0) {
                let i = v0 + tick / 2;
                let key = i.is_multiple_of(25);
                let time = MediaTime::new(u64::from(i * 3600), Frequency::NINETY_KHZ);
                // A keyframe does not fit one packet: str0m fragments it.
                let frame = vp8_frame(
                    i,
                    key,
                    if key {
                        2500
                    } else {
                        300 + (i as usize % 7) * 40
                    },
                );
                self.str0m_write(mid, pt, time, frame);
            }
            self.run_for(Duration::from_millis(20));
        }
    }

    /// str0m got back exactly what it wrote on `mid`, in order, with the same distances
    /// between timestamps. Returns the number of frames.
    #[track_caller]
    fn check_echoed(&self, mid: Mid) -> usize {
        let sent: Vec<_> = self.written.iter().filter(|w| w.0 == mid).collect();
        let got: Vec<_> = self.media.iter().filter(|d| d.mid == mid).collect();
        assert!(!sent.is_empty());
        assert_eq!(
            got.len(),
            sent.len(),
            "frames back on {mid}; echo errors {:?}, str0m errors {:?}, sansrtc drops {:?}",
            self.echo_errors,
            self.rtc_errors,
            self.sans.media_drops()
        );
        for (k, (d, w)) in got.iter().zip(&sent).enumerate() {
            assert!(
                d.data[..] == w.2[..],
                "frame {k} on {mid}: {} bytes back, {} sent",
                d.data.len(),
                w.2.len()
            );
            let back = d.time.numer().wrapping_sub(got[0].time.numer()) as u32;
            let sent = w.1.numer().wrapping_sub(sent[0].1.numer()) as u32;
            assert_eq!(back, sent, "timestamp distance of frame {k} on {mid}");
            assert!(d.contiguous, "frame {k} on {mid} contiguous");
        }
        // Every packet sansrtc received went back, numbered as str0m numbered it: the frames'
        // sequence ranges follow each other and add up to what arrived at sansrtc.
        for w in got.windows(2) {
            assert_eq!(
                **w[1].seq_range.start(),
                **w[0].seq_range.end() + 1,
                "sequence numbers on {mid}"
            );
        }
        let packets: u64 = got
            .iter()
            .map(|d| **d.seq_range.end() - **d.seq_range.start() + 1)
            .sum();
        let arrived = self
            .sans_rtp
            .iter()
            .filter(|p| *p.mid == *mid.to_string())
            .count();
        assert_eq!(packets as usize, arrived, "packets echoed on {mid}");
        got.len()
    }

    #[track_caller]
    fn assert_clean(&self) {
        assert!(
            self.rtc_errors.is_empty(),
            "str0m errors: {:?}",
            self.rtc_errors
        );
        assert!(
            self.echo_errors.is_empty(),
            "echo errors: {:?}",
            self.echo_errors
        );
        let d = self.sans.media_drops();
        assert_eq!(
            (
                d.srtp,
                d.malformed,
                d.unknown_ssrc,
                d.unknown_payload_type,
                d.not_receiving,
                d.rtcp_malformed
            ),
            (0, 0, 0, 0, 0, 0),
            "sansrtc dropped media: {d:?}"
        );
    }

    fn sans_tracks(&self) -> Vec<&sansrtc::event::TrackEvent> {
        self.sans_events
            .iter()
            .filter_map(|e| match e {
                Event::Track(t) => Some(t),
                _ => None,
            })
            .collect()
    }

    fn sans_keyframe_requests(&self) -> Vec<(TransceiverId, KeyframeRequestKind)> {
        self.sans_events
            .iter()
            .filter_map(|e| match e {
                Event::KeyframeRequest {
                    transceiver, kind, ..
                } => Some((*transceiver, *kind)),
                _ => None,
            })
            .collect()
    }

    fn str0m_keyframe_requests(&self) -> Vec<(Mid, S0Keyframe)> {
        self.rtc_events
            .iter()
            .filter_map(|e| match e {
                S0Event::KeyframeRequest(r) => Some((r.mid, r.kind)),
                _ => None,
            })
            .collect()
    }
}

/// An Opus-like 20 ms frame (a TOC byte, then content derived from the index).
fn opus_frame(i: u32) -> Vec<u8> {
    let mut v = vec![0x78];
    v.extend((0..79u32).map(|k| (i.wrapping_mul(31) ^ k.wrapping_mul(7)) as u8));
    v
}

/// A VP8 frame (RFC 6386 §9.1): a keyframe's tag, start code and 640x480, or an interframe's
/// tag, then content derived from the index.
fn vp8_frame(i: u32, key: bool, len: usize) -> Vec<u8> {
    let mut v = if key {
        vec![0x50, 0x2d, 0x01, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0xe0, 0x01]
    } else {
        vec![0x31, 0x0a, 0x00]
    };
    let start = v.len();
    v.extend((start..len).map(|k| (i as usize * 13 + k * 5 + 1) as u8));
    v
}

/// RTP payloads of one VP8 frame (RFC 7741 §4.2): each with a payload descriptor carrying a
/// 15-bit PictureID, S set on the first.
fn vp8_packets(picture_id: u16, frame: &[u8], parts: usize) -> Vec<Vec<u8>> {
    let chunk = frame.len().div_ceil(parts);
    frame
        .chunks(chunk)
        .enumerate()
        .map(|(k, c)| {
            let mut p = vec![
                if k == 0 { 0x90 } else { 0x80 },
                0x80,
                0x80 | ((picture_id >> 8) as u8 & 0x7f),
                picture_id as u8,
            ];
            p.extend_from_slice(c);
            p
        })
        .collect()
}

/// str0m adds audio and video and offers; sansrtc answers and echoes.
fn str0m_offers_av(c: &mut Call) -> (Mid, Mid) {
    c.str0m_offers(|api| {
        let a = api.add_media(
            S0Kind::Audio,
            S0Direction::SendRecv,
            Some("str0m-stream".into()),
            Some("str0m-mic".into()),
            None,
        );
        let v = api.add_media(
            S0Kind::Video,
            S0Direction::SendRecv,
            Some("str0m-stream".into()),
            Some("str0m-cam".into()),
            None,
        );
        (a, v)
    })
}

/// sansrtc adds an audio and a video track and offers; str0m answers.
fn sans_offers_av(c: &mut Call) -> (TransceiverId, TransceiverId) {
    let streams = vec!["sans-stream".to_string()];
    let a = c
        .sans
        .add_track(TrackInfo::new(MediaKind::Audio, "sans-mic"), &streams)
        .unwrap();
    let v = c
        .sans
        .add_track(TrackInfo::new(MediaKind::Video, "sans-cam"), &streams)
        .unwrap();
    c.sans_offers();
    (a, v)
}

#[test]
fn str0m_offers_audio_video_sansrtc_echoes() {
    let mut c = Call::new(common::seed(1));
    let (audio, video) = str0m_offers_av(&mut c);
    c.echo = true;
    c.run_until(Duration::from_secs(10), Call::connected);

    // ontrack for both, with str0m's mids, stream and track ids.
    let tracks = c.sans_tracks();
    assert_eq!(tracks.len(), 2, "{tracks:?}");
    assert_eq!(tracks[0].kind, MediaKind::Audio);
    assert_eq!(tracks[0].mid, audio.to_string());
    assert_eq!(tracks[0].stream_ids, vec!["str0m-stream".to_string()]);
    assert_eq!(tracks[0].track_id.as_deref(), Some("str0m-mic"));
    assert_eq!(tracks[1].kind, MediaKind::Video);
    assert_eq!(tracks[1].mid, video.to_string());
    assert_eq!(tracks[1].track_id.as_deref(), Some("str0m-cam"));

    c.str0m_send(Some(audio), Some(video), 2000);
    c.run_for(Duration::from_millis(300));
    assert_eq!(c.check_echoed(audio), 100);
    assert_eq!(c.check_echoed(video), 50);
    let keyframes = c
        .media
        .iter()
        .filter(|d| d.mid == video && d.is_keyframe())
        .count();
    assert_eq!(keyframes, 2, "str0m sees the echoed keyframes");
    assert_eq!(c.echoed as usize, c.sans_rtp.len());
    c.assert_clean();
}

#[test]
fn sansrtc_offers_audio_video_and_echoes() {
    let mut c = Call::new(common::seed(2));
    let (a, v) = sans_offers_av(&mut c);
    c.echo = true;
    // str0m reports its media once SRTP is ready, not when it answers.
    assert!(c.str0m_added().is_empty());
    c.run_until(Duration::from_secs(10), Call::connected);
    let added = c.str0m_added();
    assert_eq!(added.len(), 2, "{added:?}");
    assert_eq!(added[0].1, S0Kind::Audio);
    assert_eq!(added[1].1, S0Kind::Video);
    assert_eq!(added[0].2, S0Direction::SendRecv);
    assert_eq!(added[1].2, S0Direction::SendRecv);
    let (audio, video) = (added[0].0, added[1].0);
    assert_eq!(audio.to_string(), c.sans_mid(a));
    assert_eq!(video.to_string(), c.sans_mid(v));

    // (str0m's answer reflects the offer's `a=msid` as its own sender's — its
    // `Media::from_remote_media_line` copies it — so the stream and track ids are ours.)
    let tracks = c.sans_tracks();
    assert_eq!(tracks.len(), 2, "{tracks:?}");
    assert_eq!(
        (tracks[0].transceiver, tracks[0].kind),
        (a, MediaKind::Audio)
    );
    assert_eq!(
        (tracks[1].transceiver, tracks[1].kind),
        (v, MediaKind::Video)
    );

    c.str0m_send(Some(audio), Some(video), 2000);
    c.run_for(Duration::from_millis(300));
    assert_eq!(c.check_echoed(audio), 100);
    assert_eq!(c.check_echoed(video), 50);
    c.assert_clean();
}

#[test]
fn sansrtc_sends_rtp_to_str0m() {
    let mut c = Call::new(common::seed(3));
    let (a, v) = sans_offers_av(&mut c);
    c.run_until(Duration::from_secs(10), Call::connected);
    let (audio, video) = (c.str0m_mid(S0Kind::Audio), c.str0m_mid(S0Kind::Video));
    let opus = c.sans_pt(a, CodecName::Opus);
    let vp8 = c.sans_pt(v, CodecName::Vp8);

    // Audio: 55 frames of 20 ms with a silence (DTX) of 5 frames after the 20th; the marker
    // starts each talkspurt. Video: 25 fps, frames split in 2 packets (a keyframe in 3), the
    // marker on each frame's last packet; frame 12 was dropped by the encoder (a timestamp gap,
    // consecutive picture ids).
    let mut audio_sent = Vec::new();
    let mut video_sent = Vec::new();
    let mut picture_id: u16 = 0x1234;
    for tick in 0..55u32 {
        if !(20..25).contains(&tick) {
            let frame = opus_frame(tick);
            c.sans
                .send_rtp(
                    a,
                    RtpOut {
                        payload_type: opus,
                        timestamp: tick * AUDIO_TICKS,
                        marker: tick == 0 || tick == 25,
                        payload: Bytes::from(frame.clone()),
                        audio_level: Some((true, 30)),
                        ..RtpOut::default()
                    },
                )
                .unwrap();
            audio_sent.push((tick * AUDIO_TICKS, frame, tick == 0 || tick == 25));
        }
        if tick % 2 == 0 && tick != 24 {
            let i = tick / 2;
            let key = i == 0;
            let frame = vp8_frame(i, key, if key { 3000 } else { 600 });
            let packets = vp8_packets(picture_id, &frame, if key { 3 } else { 2 });
            picture_id += 1;
            let n = packets.len();
            for (k, p) in packets.into_iter().enumerate() {
                c.sans
                    .send_rtp(
                        v,
                        RtpOut {
                            payload_type: vp8,
                            timestamp: i * 3600,
                            marker: k + 1 == n,
                            payload: Bytes::from(p),
                            ..RtpOut::default()
                        },
                    )
                    .unwrap();
            }
            video_sent.push((i * 3600, frame, n));
        }
        c.drain_sans();
        c.run_for(Duration::from_millis(20));
    }
    c.run_for(Duration::from_millis(300));

    let got: Vec<_> = c.media.iter().filter(|d| d.mid == audio).collect();
    assert_eq!(got.len(), audio_sent.len(), "audio frames at str0m");
    for (k, (d, (ts, frame, marker))) in got.iter().zip(&audio_sent).enumerate() {
        assert_eq!(d.params.spec().codec, Codec::Opus);
        assert_eq!(d.data[..], frame[..], "audio frame {k}");
        let distance = d.time.numer().wrapping_sub(got[0].time.numer()) as u32;
        assert_eq!(distance, *ts, "audio timestamp distance {k}");
        assert_eq!(
            d.audio_start_of_talk_spurt, *marker,
            "talkspurt start of frame {k}"
        );
    }
    let got: Vec<_> = c.media.iter().filter(|d| d.mid == video).collect();
    assert_eq!(got.len(), video_sent.len(), "video frames at str0m");
    for (k, (d, (ts, frame, n))) in got.iter().zip(&video_sent).enumerate() {
        assert_eq!(d.params.spec().codec, Codec::Vp8);
        assert!(d.data[..] == frame[..], "video frame {k}");
        let distance = d.time.numer().wrapping_sub(got[0].time.numer()) as u32;
        assert_eq!(distance, *ts, "video timestamp distance {k}");
        assert_eq!(d.is_keyframe(), k == 0, "keyframe flag of frame {k}");
        assert!(d.contiguous, "frame {k} contiguous");
        let packets = **d.seq_range.end() - **d.seq_range.start() + 1;
        assert_eq!(packets as usize, *n, "packets of frame {k}");
    }

    // sansrtc's sender reports reach str0m for both streams.
    c.run_for(Duration::from_secs(6));
    let reported: Vec<Mid> = c
        .rtc_events
        .iter()
        .filter_map(|e| match e {
            S0Event::SenderFeedback(f) => Some(f.mid),
            _ => None,
        })
        .collect();
    assert!(reported.contains(&audio), "SR for audio: {reported:?}");
    assert!(reported.contains(&video), "SR for video: {reported:?}");
    c.assert_clean();
}

#[test]
fn keyframe_requests_both_ways() {
    let mut c = Call::new(common::seed(4));
    let (_, v) = sans_offers_av(&mut c);
    c.run_until(Duration::from_secs(10), Call::connected);
    let video = c.str0m_mid(S0Kind::Video);
    let vp8 = c.sans_pt(v, CodecName::Vp8);

    // Each side sends some video, so each has a stream to ask about.
    for i in 0..10u32 {
        let frame = vp8_frame(i, i == 0, 400);
        for p in vp8_packets(i as u16, &frame, 1) {
            c.sans
                .send_rtp(
                    v,
                    RtpOut {
                        payload_type: vp8,
                        timestamp: i * 3600,
                        marker: true,
                        payload: Bytes::from(p),
                        ..RtpOut::default()
                    },
                )
                .unwrap();
        }
        c.drain_sans();
    }
    c.str0m_send(None, Some(video), 400);
    c.run_for(Duration::from_millis(100));
    assert!(c.media.iter().any(|d| d.mid == video), "str0m got video");
    assert!(
        c.sans_rtp.iter().any(|p| p.transceiver == v),
        "sansrtc got video"
    );

    // str0m → sansrtc: a PLI, then (after the coalescing interval) a FIR.
    for kind in [S0Keyframe::Pli, S0Keyframe::Fir] {
        let mut w = c.rtc.writer(video).unwrap();
        assert!(w.is_request_keyframe_possible(kind), "{kind:?} negotiated");
        w.request_keyframe(None, kind).unwrap();
        c.drain_rtc();
        c.run_for(Duration::from_millis(300));
    }
    assert_eq!(
        c.sans_keyframe_requests(),
        vec![(v, KeyframeRequestKind::Pli), (v, KeyframeRequestKind::Fir)]
    );
    let rid = c.sans_events.iter().find_map(|e| match e {
        Event::KeyframeRequest { rid, .. } => Some(rid.clone()),
        _ => None,
    });
    assert_eq!(rid, Some(None));

    // sansrtc → str0m.
    assert!(c.str0m_keyframe_requests().is_empty());
    c.sans.request_keyframe(v, None).unwrap();
    c.drain_sans();
    c.run_for(Duration::from_millis(100));
    assert_eq!(c.str0m_keyframe_requests(), vec![(video, S0Keyframe::Pli)]);
    c.assert_clean();
}

#[test]
fn renegotiation_sansrtc_adds_video() {
    let mut c = Call::new(common::seed(5));
    let audio =
        c.str0m_offers(|api| api.add_media(S0Kind::Audio, S0Direction::SendRecv, None, None, None));
    c.echo = true;
    c.run_until(Duration::from_secs(10), Call::connected);
    c.str0m_send(Some(audio), None, 500);
    c.run_for(Duration::from_millis(100));
    assert_eq!(c.check_echoed(audio), 25);

    // sansrtc adds video and offers; str0m answers.
    let v = c
        .sans
        .add_transceiver(MediaKind::Video, TransceiverInit::default())
        .unwrap();
    c.sans_offers();
    let video = c.str0m_mid(S0Kind::Video);
    assert_eq!(video.to_string(), c.sans_mid(v));
    assert_ne!(video, audio);
    c.run_for(Duration::from_millis(50));
    assert!(
        c.sans_tracks().iter().any(|t| t.transceiver == v),
        "ontrack for the new video"
    );

    c.str0m_send(Some(audio), Some(video), 1000);
    c.run_for(Duration::from_millis(300));
    assert_eq!(c.check_echoed(audio), 75);
    assert_eq!(c.check_echoed(video), 25);
    c.assert_clean();
}

#[test]
fn renegotiation_str0m_adds_video() {
    let mut c = Call::new(common::seed(6));
    let a = c
        .sans
        .add_track(TrackInfo::new(MediaKind::Audio, "sans-mic"), &[])
        .unwrap();
    c.sans_offers();
    c.echo = true;
    c.run_until(Duration::from_secs(10), Call::connected);
    let audio = c.str0m_mid(S0Kind::Audio);
    assert_eq!(audio.to_string(), c.sans_mid(a));
    c.str0m_send(Some(audio), None, 500);
    c.run_for(Duration::from_millis(100));
    assert_eq!(c.check_echoed(audio), 25);

    // str0m adds video and offers; sansrtc answers.
    let video =
        c.str0m_offers(|api| api.add_media(S0Kind::Video, S0Direction::SendRecv, None, None, None));
    let v = c.sans_transceiver(MediaKind::Video);
    assert_eq!(video.to_string(), c.sans_mid(v));
    c.run_for(Duration::from_millis(50));
    assert!(
        c.sans_tracks().iter().any(|t| t.transceiver == v),
        "ontrack for the new video"
    );

    c.str0m_send(Some(audio), Some(video), 1000);
    c.run_for(Duration::from_millis(300));
    assert_eq!(c.check_echoed(audio), 75);
    assert_eq!(c.check_echoed(video), 25);
    c.assert_clean();
}

/// sansrtc's simulcast rids, lowest first.
const RIDS: [&str; 3] = ["l", "m", "h"];

/// sansrtc sends one VP8 frame on every rid of `rids` (frame `i` at 25 fps; a keyframe when
/// `i` is 0): per rid its own content (`vp8_frame` of `i + 100 * layer`), size and picture
/// ids (`picture_ids[layer]`), in 1, 2 and 3 packets. Returns (rid, timestamp, frame) sent.
fn sans_send_simulcast_frame(
    c: &mut Call,
    v: TransceiverId,
    pt: u8,
    i: u32,
    picture_ids: &mut [u16; 3],
    rids: &[&str],
) -> Vec<(String, u32, Vec<u8>)> {
    let mut sent = Vec::new();
    for (layer, rid) in RIDS.iter().enumerate() {
        if !rids.contains(rid) {
            continue;
        }
        let key = i == 0;
        let len = [200, 700, 1800][layer] + if key { 1000 } else { 0 };
        let frame = vp8_frame(i + 100 * layer as u32, key, len);
        let packets = vp8_packets(picture_ids[layer], &frame, layer + 1);
        picture_ids[layer] = (picture_ids[layer] + 1) & 0x7fff;
        let n = packets.len();
        for (k, p) in packets.into_iter().enumerate() {
            c.sans
                .send_rtp(
                    v,
                    RtpOut {
                        payload_type: pt,
                        timestamp: i * 3600,
                        marker: k + 1 == n,
                        payload: Bytes::from(p),
                        rid: Some((*rid).into()),
                        ..RtpOut::default()
                    },
                )
                .unwrap_or_else(|e| panic!("send_rtp on rid {rid}: {e}"));
        }
        sent.push(((*rid).to_string(), i * 3600, frame));
    }
    c.drain_sans();
    sent
}

/// Frames `frames` on every rid, one per 40 ms, then 200 ms for the last to arrive; returns
/// what was sent (see `sans_send_simulcast_frame`).
fn sans_send_simulcast_frames(
    c: &mut Call,
    v: TransceiverId,
    pt: u8,
    frames: std::ops::Range<u32>,
    picture_ids: &mut [u16; 3],
) -> Vec<(String, u32, Vec<u8>)> {
    let mut sent = Vec::new();
    for i in frames {
        sent.extend(sans_send_simulcast_frame(c, v, pt, i, picture_ids, &RIDS));
        c.run_for(Duration::from_millis(40));
    }
    c.run_for(Duration::from_millis(200));
    sent
}

/// str0m's frames on `mid` from `media[from..]` with rid `rid`.
fn str0m_frames_of<'a>(c: &'a Call, mid: Mid, from: usize, rid: &str) -> Vec<&'a MediaData> {
    let rid = Rid::from(rid);
    c.media[from..]
        .iter()
        .filter(|d| d.mid == mid && d.rid == Some(rid))
        .collect()
}

/// str0m got on `rid` exactly the frames sent on it (`sent`, in order), in sequence, with the
/// timestamps' distances; `base` is the RTP time of the rid's first frame at str0m.
#[track_caller]
fn check_simulcast_frames(
    got: &[&MediaData],
    sent: &[(String, u32, Vec<u8>)],
    rid: &str,
    base: u64,
) {
    let sent: Vec<_> = sent.iter().filter(|s| s.0 == rid).collect();
    assert_eq!(got.len(), sent.len(), "frames on rid {rid}");
    for (k, (d, (_, ts, frame))) in got.iter().zip(&sent).enumerate() {
        assert_eq!(d.params.spec().codec, Codec::Vp8);
        assert!(
            d.data[..] == frame[..],
            "frame {k} on rid {rid}: {} bytes, {} sent",
            d.data.len(),
            frame.len()
        );
        let distance = d.time.numer().wrapping_sub(base) as u32;
        assert_eq!(
            distance, *ts,
            "timestamp distance of frame {k} on rid {rid}"
        );
        assert!(d.contiguous, "frame {k} on rid {rid} contiguous");
    }
}

#[test]
fn sansrtc_sends_simulcast_to_str0m() {
    let mut c = Call::new(common::seed(7));
    let v = c
        .sans
        .add_transceiver(
            MediaKind::Video,
            TransceiverInit {
                direction: Some(Direction::SendOnly),
                streams: vec!["s".into()],
                send_encodings: RIDS.iter().map(|r| SendEncoding::with_rid(*r)).collect(),
                ..TransceiverInit::default()
            },
        )
        .unwrap();
    let answer = c.sans_offers();
    let offer = c.sans.local_description().unwrap().sdp.to_string();
    for line in [
        "a=rid:l send",
        "a=rid:m send",
        "a=rid:h send",
        "a=simulcast:send l;m;h",
        "a=sendonly",
    ] {
        assert!(
            offer.lines().any(|l| l == line),
            "{line} in our offer:\n{offer}"
        );
    }
    assert!(
        offer.contains("urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id"),
        "RID header extension offered:\n{offer}"
    );
    for line in [
        "a=rid:l recv",
        "a=rid:m recv",
        "a=rid:h recv",
        "a=simulcast:recv l;m;h",
        "a=recvonly",
    ] {
        assert!(
            answer.lines().any(|l| l == line),
            "{line} in str0m's answer:\n{answer}"
        );
    }
    assert!(
        answer.contains("urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id"),
        "RID header extension accepted:\n{answer}"
    );

    c.run_until(Duration::from_secs(10), Call::connected);
    let video = c.str0m_mid(S0Kind::Video);
    assert_eq!(video.to_string(), c.sans_mid(v));
    let simulcast = c
        .rtc_events
        .iter()
        .find_map(|e| match e {
            S0Event::MediaAdded(m) if m.mid == video => Some(m.simulcast.clone()),
            _ => None,
        })
        .flatten()
        .expect("str0m's MediaAdded carries the simulcast");
    let recv: Vec<String> = simulcast.recv.iter().map(|l| l.rid.to_string()).collect();
    assert_eq!(recv, RIDS, "str0m receives the three rids");
    assert!(simulcast.send.is_empty(), "{simulcast:?}");
    let vp8 = c.sans_pt(v, CodecName::Vp8);

    // All three rids: 8 frames each.
    let mut picture_ids = [0x0100, 0x2200, 0x4300];
    let sent = sans_send_simulcast_frames(&mut c, v, vp8, 0..8, &mut picture_ids);
    let without_rid: Vec<_> = c.media.iter().filter(|d| d.rid.is_none()).collect();
    assert!(without_rid.is_empty(), "MediaData without rid");
    let mut bases = Vec::new();
    for rid in RIDS {
        let got = str0m_frames_of(&c, video, 0, rid);
        assert!(
            !got.is_empty(),
            "nothing on rid {rid}; str0m errors {:?}",
            c.rtc_errors
        );
        assert!(got[0].is_keyframe(), "rid {rid} starts with the keyframe");
        check_simulcast_frames(&got, &sent, rid, got[0].time.numer());
        bases.push(got[0].time.numer());
    }
    assert_eq!(c.media.len(), 24, "8 frames on each rid and nothing else");

    // Deactivate `m`: sending on it is accepted and sends nothing; l and h go on.
    let mut params = c.sans.get_parameters(v).unwrap();
    assert_eq!(params.encodings.len(), 3);
    assert_eq!(params.encodings[1].rid.as_deref(), Some("m"));
    params.encodings[1].active = false;
    c.sans.set_parameters(v, params).unwrap();
    c.drain_sans();
    let queued = c.to_rtc.len();
    sans_send_simulcast_frame(&mut c, v, vp8, 8, &mut [0; 3], &["m"]);
    assert_eq!(c.to_rtc.len(), queued, "nothing sent on the inactive m");

    let from = c.media.len();
    let sent2 = sans_send_simulcast_frames(&mut c, v, vp8, 8..16, &mut picture_ids);
    assert!(
        str0m_frames_of(&c, video, from, "m").is_empty(),
        "str0m got frames on the inactive m"
    );
    let sent2: Vec<_> = sent2.into_iter().filter(|s| s.0 != "m").collect();
    for (layer, rid) in RIDS.iter().enumerate() {
        if *rid == "m" {
            continue;
        }
        let got = str0m_frames_of(&c, video, from, rid);
        check_simulcast_frames(&got, &sent2, rid, bases[layer]);
    }
    assert_eq!(c.media.len(), from + 16, "8 frames on l and on h");
    c.assert_clean();
}

/// RFC 8853 the other way round: str0m offers to receive three simulcast streams
/// (`a=simulcast:recv`); sansrtc's transceiver takes the offered rids (W3C "proposed send
/// encodings"), answers `a=simulcast:send`, and str0m receives each rid's frames.
#[test]
fn str0m_asks_sansrtc_for_simulcast() {
    let mut c = Call::new(common::seed(8));
    let video = c.str0m_offers(|api| {
        let mut simulcast = str0m::media::Simulcast::new();
        for r in RIDS {
            simulcast.add_recv_layer(str0m::media::SimulcastLayer::new(r));
        }
        api.add_media(
            S0Kind::Video,
            S0Direction::RecvOnly,
            None,
            None,
            Some(simulcast),
        )
    });
    let answer = c.sans.local_description().unwrap().sdp.to_string();
    let offer = c.sans.remote_description().unwrap().sdp.to_string();
    assert!(
        offer.lines().any(|l| l == "a=simulcast:recv l;m;h"),
        "{offer}"
    );
    for line in [
        "a=rid:l send",
        "a=rid:m send",
        "a=rid:h send",
        "a=simulcast:send l;m;h",
        "a=sendonly",
    ] {
        assert!(
            answer.lines().any(|l| l == line),
            "{line} in our answer:\n{answer}"
        );
    }
    let v = c
        .sans
        .transceivers()
        .find(|t| t.kind() == MediaKind::Video)
        .unwrap()
        .id();
    let rids: Vec<_> = c
        .sans
        .get_parameters(v)
        .unwrap()
        .encodings
        .into_iter()
        .map(|e| e.rid.unwrap())
        .collect();
    assert_eq!(rids, RIDS);
    c.run_until(Duration::from_secs(10), Call::connected);
    let vp8 = c.sans_pt(v, CodecName::Vp8);
    let mut picture_ids = [0x0100, 0x2200, 0x4300];
    let sent = sans_send_simulcast_frames(&mut c, v, vp8, 0..8, &mut picture_ids);
    for rid in RIDS {
        let got = str0m_frames_of(&c, video, 0, rid);
        assert!(
            !got.is_empty(),
            "nothing on rid {rid}; str0m errors {:?}",
            c.rtc_errors
        );
        check_simulcast_frames(&got, &sent, rid, got[0].time.numer());
    }
    assert_eq!(c.media.len(), 24, "8 frames on each rid and nothing else");
    c.assert_clean();
}
