//! JSEP against descriptions real browsers wrote (tests/fixtures/sdp, see its README.md): a
//! sansrtc `Peer` answers Chromium's, Firefox's and a Safari offer, follows a Chromium and a
//! Firefox renegotiation (add video, stop audio, restart ICE) and applies Chromium's and
//! Firefox's answers to its own offer.
//!
//! The answers are read back as text, line by line, with a parser of this file's own (not
//! sansrtc's model), and checked where the outcome is defined: RFC 3264 §6 (sections, formats,
//! directions), RFC 8843 §7.3 (BUNDLE), RFC 8842 §5.3 (`a=setup`), RFC 5761 (`a=rtcp-mux`),
//! RFC 4588 §8.6 (RTX `apt`), RFC 6184 §8.2.2 (H.264 profile and packetization mode),
//! RFC 8285 §6 (extension ids), RFC 8853 §5.3 (simulcast), RFC 8839 §4.4.1.1 (ICE restart).
//!
//! `SANSRTC_WRITE_OFFER=FILE cargo test --test jsep_fixtures sansrtc_offer_fixture` writes the
//! offer Chromium and Firefox answered in `chrome-answer-to-sansrtc.sdp` and
//! `firefox-answer-to-sansrtc.sdp` (the Chromium capture script does this).

mod common;

use sansrtc::media::codec::CodecName;
use sansrtc::media::{MediaKind, TrackInfo, TransceiverId};
use sansrtc::sdp::{Description, Direction, SdpType, SessionDescription};
use sansrtc::{ChannelOptions, Peer, PeerConfig};
use std::time::Instant;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/sdp/");

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!("{FIXTURES}{name}"))
        .unwrap_or_else(|e| panic!("fixture {name}: {e}"))
}

// ---------------------------------------------------------------------------------------------
// A line-level reading of a description, independent of sansrtc's parser.

#[derive(Debug)]
struct Section {
    kind: String,
    port: u16,
    formats: Vec<String>,
    /// Every line after the `m=` line, up to the next one, without its line end.
    lines: Vec<String>,
}

#[derive(Debug)]
struct Sdp {
    session: Vec<String>,
    media: Vec<Section>,
}

/// The values of `a=<name>:<value>` lines (`""` for a bare `a=<name>`) among `lines`.
fn attrs<'a>(lines: &'a [String], name: &str) -> Vec<&'a str> {
    lines
        .iter()
        .filter_map(|l| {
            let rest = l.strip_prefix("a=")?.strip_prefix(name)?;
            if rest.is_empty() {
                Some("")
            } else {
                rest.strip_prefix(':')
            }
        })
        .collect()
}

impl Sdp {
    fn parse(text: &str) -> Self {
        let mut session = Vec::new();
        let mut media: Vec<Section> = Vec::new();
        for line in text.split("\r\n").filter(|l| !l.is_empty()) {
            assert!(!line.contains('\n'), "line not ended by CRLF: {line:?}");
            if let Some(m) = line.strip_prefix("m=") {
                let mut f = m.split(' ');
                let kind = f.next().expect("m= kind").to_owned();
                let port = f.next().expect("m= port");
                let port = port.split('/').next().unwrap().parse().expect("m= port");
                let _proto = f.next().expect("m= proto");
                media.push(Section {
                    kind,
                    port,
                    formats: f.map(str::to_owned).collect(),
                    lines: Vec::new(),
                });
            } else if let Some(s) = media.last_mut() {
                s.lines.push(line.to_owned());
            } else {
                session.push(line.to_owned());
            }
        }
        Self { session, media }
    }

    fn attr(&self, name: &str) -> Option<&str> {
        attrs(&self.session, name).first().copied()
    }

    fn bundle(&self) -> Vec<String> {
        attrs(&self.session, "group")
            .into_iter()
            .find_map(|g| g.strip_prefix("BUNDLE "))
            .map(|g| g.split(' ').map(str::to_owned).collect())
            .unwrap_or_default()
    }

    /// `o=` session id and version.
    fn origin(&self) -> (u64, u64) {
        let o = self
            .session
            .iter()
            .find_map(|l| l.strip_prefix("o="))
            .expect("o= line");
        let f: Vec<&str> = o.split(' ').collect();
        (f[1].parse().unwrap(), f[2].parse().unwrap())
    }
}

impl Section {
    fn attr(&self, name: &str) -> Option<&str> {
        attrs(&self.lines, name).first().copied()
    }

    fn all(&self, name: &str) -> Vec<&str> {
        attrs(&self.lines, name)
    }

    fn has(&self, name: &str) -> bool {
        self.attr(name).is_some()
    }

    fn mid(&self) -> Option<&str> {
        self.attr("mid")
    }

    fn is_rtp(&self) -> bool {
        self.kind == "audio" || self.kind == "video"
    }

    /// The direction attribute; sendrecv when there is none (RFC 3264 §5.1).
    fn direction(&self) -> &'static str {
        ["sendrecv", "sendonly", "recvonly", "inactive"]
            .into_iter()
            .find(|d| self.lines.iter().any(|l| l == &format!("a={d}")))
            .unwrap_or("sendrecv")
    }

    /// `a=rtpmap:<pt> <name>/<clock>[/<channels>]` as (name lower-cased, clock, channels).
    fn rtpmap(&self, pt: &str) -> Option<(String, u32, u16)> {
        let v = self
            .all("rtpmap")
            .into_iter()
            .find_map(|v| v.strip_prefix(pt)?.strip_prefix(' '))?;
        let mut f = v.split('/');
        let name = f.next()?.to_ascii_lowercase();
        let clock = f.next()?.parse().ok()?;
        let channels = f.next().map_or(1, |c| c.parse().unwrap());
        Some((name, clock, channels))
    }

    /// The codec of a payload type: its rtpmap, or RFC 3551's static assignment.
    fn codec(&self, pt: &str) -> Option<(String, u32, u16)> {
        self.rtpmap(pt).or_else(|| match pt {
            "0" => Some(("pcmu".into(), 8000, 1)),
            "8" => Some(("pcma".into(), 8000, 1)),
            "9" => Some(("g722".into(), 8000, 1)),
            "13" => Some(("cn".into(), 8000, 1)),
            _ => None,
        })
    }

    /// `a=fmtp:<pt>` parameter `key` (case-insensitive key).
    fn fmtp(&self, pt: &str, key: &str) -> Option<String> {
        let v = self
            .all("fmtp")
            .into_iter()
            .find_map(|v| v.strip_prefix(pt)?.strip_prefix(' '))?;
        v.split(';').find_map(|p| {
            let (k, v) = p.trim().split_once('=')?;
            k.trim()
                .eq_ignore_ascii_case(key)
                .then(|| v.trim().to_owned())
        })
    }

    /// `a=extmap` as (id, direction, uri).
    fn extmaps(&self) -> Vec<(u16, Option<String>, String)> {
        self.all("extmap")
            .into_iter()
            .map(|v| {
                let (id, rest) = v.split_once(' ').expect("extmap value");
                let (id, dir) = match id.split_once('/') {
                    Some((i, d)) => (i, Some(d.to_owned())),
                    None => (id, None),
                };
                let uri = rest.split(' ').next().unwrap().to_owned();
                (id.parse().expect("extmap id"), dir, uri)
            })
            .collect()
    }

    /// The rids of `a=simulcast:<dir> a;b;c` (first alternative of each stream), if any.
    fn simulcast(&self, dir: &str) -> Option<Vec<String>> {
        let v = self.attr("simulcast")?;
        let mut f = v.split(' ');
        while let Some(d) = f.next() {
            let list = f.next()?;
            if d == dir {
                return Some(
                    list.split(';')
                        .map(|alts| alts.split(',').next().unwrap().trim_start_matches('~'))
                        .map(str::to_owned)
                        .collect(),
                );
            }
        }
        None
    }
}

// ---------------------------------------------------------------------------------------------
// H.264 profile (RFC 6184 §8.1), libwebrtc's reading of profile-iop, written again here.

#[derive(Debug, PartialEq, Eq, Clone, Copy)]
enum H264Profile {
    ConstrainedBaseline,
    Baseline,
    Main,
    Extended,
    High,
    ConstrainedHigh,
    Other(u8, u8),
}

fn h264_profile_level(plid: &str) -> (H264Profile, u8) {
    let v = u32::from_str_radix(plid, 16).expect("profile-level-id is hex");
    let (idc, iop, level) = ((v >> 16) as u8, (v >> 8) as u8, v as u8);
    let p = match (idc, iop) {
        (0x42, i) if i & 0x40 != 0 => H264Profile::ConstrainedBaseline,
        (0x42, _) => H264Profile::Baseline,
        (0x4d, i) if i & 0x80 != 0 => H264Profile::ConstrainedBaseline,
        (0x4d, _) => H264Profile::Main,
        (0x58, i) if i & 0xc0 == 0xc0 => H264Profile::ConstrainedBaseline,
        (0x58, i) if i & 0x80 != 0 => H264Profile::Baseline,
        (0x58, _) => H264Profile::Extended,
        (0x64, 0x00) => H264Profile::High,
        (0x64, 0x0c) => H264Profile::ConstrainedHigh,
        (i, o) => H264Profile::Other(i, o),
    };
    (p, level)
}

// ---------------------------------------------------------------------------------------------
// The peers.

/// The test's one base instant (JSEP takes no time, so nothing here depends on its value).
fn now() -> Instant {
    common::base()
}

fn answerer(seed: u64) -> Peer {
    let mut p = Peer::new(PeerConfig::new().seed(seed), now());
    p.add_local_address(common::addr("192.0.2.7:50000"));
    p
}

/// Applies `offer` to `peer`, adds a track for every accepted audio/video section that has no
/// track yet (so it answers sendrecv where the offer allows), creates and applies the answer.
/// Returns the answer's text.
fn answer(peer: &mut Peer, offer: &str) -> String {
    peer.set_remote_sdp(SdpType::Offer, offer)
        .expect("set_remote_sdp(offer)");
    // W3C addTrack takes the transceivers the offer created, in order (webrtc-pc §4.4.1.6).
    let needs_track: Vec<MediaKind> = peer
        .transceivers()
        .filter(|t| !t.is_stopped() && t.track().is_none() && t.mid().is_some())
        .map(|t| t.kind())
        .collect();
    for (i, kind) in needs_track.into_iter().enumerate() {
        let id = format!("{kind}-track-{i}-{}", peer.transceivers().count());
        peer.add_track(TrackInfo::new(kind, id), &["s".into()])
            .expect("add_track");
    }
    let answer = peer.create_answer().expect("create_answer");
    peer.set_local_description(answer.clone())
        .expect("set_local_description(answer)");
    assert_eq!(peer.signaling_state(), sansrtc::sdp::SignalingState::Stable);
    answer.sdp.to_string()
}

/// The answer direction RFC 3264 §6.1 gives when we want to send and receive.
fn expected_direction(offered: &str) -> &'static str {
    match offered {
        "sendrecv" => "sendrecv",
        "sendonly" => "recvonly",
        "recvonly" => "sendonly",
        _ => "inactive",
    }
}

/// Everything an answer to `offer_text` must satisfy. Returns the failures, one line each
/// (empty when the answer is right), so a test can report them all at once.
fn answer_problems(offer_text: &str, answer_text: &str) -> Vec<String> {
    let offer = Sdp::parse(offer_text);
    let answer = Sdp::parse(answer_text);
    let mut bad = Vec::new();
    let mut fail = |s: String| bad.push(s);

    // RFC 3264 §6: as many m= lines, in the same order, same media types; JSEP: same mids.
    if offer.media.len() != answer.media.len() {
        fail(format!(
            "{} m= sections answered for {} offered",
            answer.media.len(),
            offer.media.len()
        ));
        return bad;
    }
    let accepted: Vec<bool> = answer.media.iter().map(|m| m.port != 0).collect();
    for (i, (o, a)) in offer.media.iter().zip(&answer.media).enumerate() {
        if o.kind != a.kind {
            fail(format!(
                "section {i}: kind {} answered as {}",
                o.kind, a.kind
            ));
        }
        if o.mid() != a.mid() {
            fail(format!(
                "section {i}: mid {:?} answered as {:?}",
                o.mid(),
                a.mid()
            ));
        }
        // RFC 3264 §6: a rejected (port 0) section stays rejected.
        if o.port == 0 && !o.has("bundle-only") && a.port != 0 {
            fail(format!(
                "section {i}: offered port 0, answered port {}",
                a.port
            ));
        }
    }

    // RFC 8843 §7.3.1: the answer's BUNDLE group holds the accepted sections the offer bundled,
    // and every accepted section is in it (one transport).
    let offered_group = offer.bundle();
    let want: Vec<String> = offered_group
        .iter()
        .filter(|mid| {
            answer
                .media
                .iter()
                .zip(&accepted)
                .any(|(m, ok)| *ok && m.mid() == Some(mid.as_str()))
        })
        .cloned()
        .collect();
    if answer.bundle() != want {
        fail(format!(
            "BUNDLE group {:?}, expected {want:?}",
            answer.bundle()
        ));
    }

    // RFC 8285 §6: the answer allows mixed one- and two-byte headers only where the offer did.
    // `a=extmap-allow-mixed` stands at session level (Chromium) or in each media section
    // (Firefox), so each accepted RTP section is checked with both levels of both sides.
    let mixed = |sdp: &Sdp, s: &Section| {
        sdp.attr("extmap-allow-mixed").is_some() || s.has("extmap-allow-mixed")
    };
    for (i, (o, a)) in offer.media.iter().zip(&answer.media).enumerate() {
        if a.port != 0 && a.is_rtp() && mixed(&answer, a) && !mixed(&offer, o) {
            fail(format!(
                "section {i} (mid {:?}): a=extmap-allow-mixed answered, not offered for it",
                a.mid()
            ));
        }
    }

    for (i, (o, a)) in offer.media.iter().zip(&answer.media).enumerate() {
        if a.port == 0 {
            continue;
        }
        let at = |what: &str| format!("section {i} (mid {:?}): {what}", a.mid());
        // RFC 8842 §5.3: the offer says actpass, we take the DTLS client role.
        let setup = a.attr("setup").or(answer.attr("setup"));
        if setup != Some("active") {
            fail(at(&format!("a=setup {setup:?}, expected active")));
        }
        if a.attr("ice-ufrag").or(answer.attr("ice-ufrag")).is_none()
            || a.attr("ice-pwd").or(answer.attr("ice-pwd")).is_none()
        {
            fail(at("no ICE credentials"));
        }
        if a.kind == "application" {
            if !a.has("sctp-port") {
                fail(at("data section without a=sctp-port"));
            }
            continue;
        }
        if !a.is_rtp() {
            continue;
        }
        // RFC 5761 / RFC 8834 §5.1.1: RTP and RTCP multiplexed.
        if !a.has("rtcp-mux") {
            fail(at("no a=rtcp-mux"));
        }
        // RFC 3264 §6.1: directions.
        let want = expected_direction(o.direction());
        if a.direction() != want {
            fail(at(&format!(
                "direction {} to a {} offer, expected {want}",
                a.direction(),
                o.direction()
            )));
        }
        if matches!(want, "sendrecv" | "sendonly")
            && !a.all("msid").iter().any(|m| m.starts_with("s "))
        {
            fail(at("sends without a=msid:s <track>"));
        }
        // RFC 3264 §6.1: the offer's payload types, only ones it offered, the same codecs.
        if a.formats.is_empty() {
            fail(at("no formats"));
        }
        let mut media_codec = false;
        for pt in &a.formats {
            if !o.formats.contains(pt) {
                fail(at(&format!("payload type {pt} was not offered")));
                continue;
            }
            let (Some(ac), Some(oc)) = (a.codec(pt), o.codec(pt)) else {
                fail(at(&format!("payload type {pt} has no rtpmap")));
                continue;
            };
            if ac.0 != oc.0 || ac.1 != oc.1 || (ac.0 != "rtx" && ac.2 != oc.2) {
                fail(at(&format!(
                    "payload type {pt} is {ac:?}, offered as {oc:?}"
                )));
            }
            match ac.0.as_str() {
                // RFC 4588 §8.6: apt names a primary kept in the answer, as offered.
                "rtx" => {
                    let apt = a.fmtp(pt, "apt");
                    let kept = apt.as_deref().is_some_and(|apt| {
                        a.formats.iter().any(|f| f == apt)
                            && a.codec(apt).is_some_and(|c| c.0 != "rtx")
                    });
                    if !kept {
                        fail(at(&format!("rtx {pt} apt={apt:?} is not a kept primary")));
                    }
                    if apt != o.fmtp(pt, "apt") {
                        fail(at(&format!(
                            "rtx {pt} apt={apt:?}, offered apt={:?}",
                            o.fmtp(pt, "apt")
                        )));
                    }
                }
                // RFC 6184 §8.2.2: the same profile and packetization mode as offered.
                "h264" => {
                    let plid = |s: &Section| {
                        s.fmtp(pt, "profile-level-id")
                            .unwrap_or_else(|| "42e01f".into())
                    };
                    let mode = |s: &Section| {
                        s.fmtp(pt, "packetization-mode")
                            .unwrap_or_else(|| "0".into())
                    };
                    let (ap, al) = h264_profile_level(&plid(a));
                    let (op, ol) = h264_profile_level(&plid(o));
                    if ap != op {
                        fail(at(&format!(
                            "H.264 {pt}: profile {ap:?} ({}) answered to {op:?} ({})",
                            plid(a),
                            plid(o)
                        )));
                    }
                    if mode(a) != mode(o) {
                        fail(at(&format!(
                            "H.264 {pt}: packetization-mode {} answered to {}",
                            mode(a),
                            mode(o)
                        )));
                    }
                    let asym =
                        |s: &Section| s.fmtp(pt, "level-asymmetry-allowed").as_deref() == Some("1");
                    if !(asym(a) && asym(o)) && al > ol {
                        fail(at(&format!(
                            "H.264 {pt}: level {al} above the offer's {ol} without asymmetry"
                        )));
                    }
                }
                // RFC 2198 §5: RED's primaries are payload types of the answer.
                "red" => {
                    let value = a
                        .all("fmtp")
                        .into_iter()
                        .find_map(|v| v.strip_prefix(pt.as_str())?.strip_prefix(' '))
                        .map(str::to_owned);
                    if let Some(v) = value
                        && !v.split('/').all(|p| a.formats.iter().any(|f| f == p))
                    {
                        fail(at(&format!("red {pt} names {v}, not all in the answer")));
                    }
                }
                "ulpfec" | "flexfec-03" | "cn" | "telephone-event" => {}
                _ => media_codec = true,
            }
        }
        if !media_codec {
            fail(at("no media codec kept"));
        }
        // RFC 4585 §4.2 / RFC 9429 §5.3.1: feedback only of the kinds offered for the format.
        for fb in a.all("rtcp-fb") {
            let (pt, kind) = fb.split_once(' ').expect("rtcp-fb value");
            let offered = o.all("rtcp-fb").into_iter().any(|ofb| {
                ofb.split_once(' ')
                    .is_some_and(|(opt, okind)| (opt == pt || opt == "*") && okind == kind)
            });
            if !offered {
                fail(at(&format!("a=rtcp-fb:{fb} was not offered")));
            }
        }
        // RFC 8285 §6 / RFC 9429 §5.3.1: the offer's extension ids, directions compatible.
        let offered_ext = o.extmaps();
        for (id, dir, uri) in a.extmaps() {
            match offered_ext.iter().find(|(_, _, u)| *u == uri) {
                None => fail(at(&format!("extmap {uri} was not offered"))),
                Some((oid, odir, _)) => {
                    if *oid != id {
                        fail(at(&format!("extmap {uri}: id {id}, offered {oid}")));
                    }
                    let ok = match (odir.as_deref(), dir.as_deref()) {
                        (Some("recvonly"), d) => matches!(d, Some("sendonly" | "inactive")),
                        (Some("sendonly"), d) => matches!(d, Some("recvonly" | "inactive")),
                        (Some("inactive"), d) => d == Some("inactive"),
                        _ => true,
                    };
                    if !ok {
                        fail(at(&format!(
                            "extmap {uri}: direction {dir:?} to an offered {odir:?}"
                        )));
                    }
                }
            }
        }
        // RFC 8853 §5.3: the offerer's simulcast streams, received.
        if let Some(rids) = o.simulcast("send") {
            if a.simulcast("recv").as_ref() != Some(&rids) {
                fail(at(&format!(
                    "a=simulcast {:?}, expected recv {}",
                    a.attr("simulcast"),
                    rids.join(";")
                )));
            }
            for r in &rids {
                if !a.all("rid").contains(&format!("{r} recv").as_str()) {
                    fail(at(&format!("no a=rid:{r} recv")));
                }
            }
            // The rid header extension is what tells the simulcast streams apart (RFC 8852).
            if !a
                .extmaps()
                .iter()
                .any(|(_, _, u)| u == "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id")
            {
                fail(at("simulcast received without the rtp-stream-id extension"));
            }
        }
    }
    bad
}

/// RFC 5506 §5 / RFC 9429 §5.3.1: `a=rtcp-rsize` in an answered section only if the offer's
/// section has it (reduced-size RTCP is agreed per section, not assumed).
fn rsize_problems(offer_text: &str, answer_text: &str) -> Vec<String> {
    let offer = Sdp::parse(offer_text);
    let answer = Sdp::parse(answer_text);
    offer
        .media
        .iter()
        .zip(&answer.media)
        .enumerate()
        .filter(|(_, (o, a))| a.port != 0 && a.has("rtcp-rsize") && !o.has("rtcp-rsize"))
        .map(|(i, (_, a))| {
            format!(
                "section {i} (mid {:?}): a=rtcp-rsize answered, not offered",
                a.mid()
            )
        })
        .collect()
}

fn assert_no_problems(bad: Vec<String>, answer: &str) {
    assert!(
        bad.is_empty(),
        "answer problems:\n  {}\n--- answer\n{answer}",
        bad.join("\n  ")
    );
}

fn assert_answer(offer: &str, answer: &str) {
    let mut bad = answer_problems(offer, answer);
    bad.extend(rsize_problems(offer, answer));
    assert_no_problems(bad, answer);
}

/// Answers `name` with a fresh peer; returns the offer and answer texts.
fn answer_fixture(name: &str, seed: u64) -> (String, String) {
    let offer = fixture(name);
    let mut peer = answerer(seed);
    let answer = answer(&mut peer, &offer);
    (offer, answer)
}

// ---------------------------------------------------------------------------------------------
// Every fixture parses and is written back line for line (the sdp module's promise).

#[test]
fn fixtures_round_trip() {
    for name in [
        "chrome-offer-av-data.sdp",
        "chrome-offer-simulcast.sdp",
        "chrome-offer-directions.sdp",
        "chrome-reneg-1-audio-offer.sdp",
        "chrome-reneg-2-add-video-offer.sdp",
        "chrome-reneg-3-stop-audio-offer.sdp",
        "chrome-reneg-4-restart-ice-offer.sdp",
        "chrome-answer-to-sansrtc.sdp",
        "sansrtc-offer-to-chrome.sdp",
        "firefox-121-av-offer.sdp",
        "firefox-offer-av-data.sdp",
        "firefox-offer-simulcast.sdp",
        "firefox-reneg-1-audio-offer.sdp",
        "firefox-reneg-2-add-video-offer.sdp",
        "firefox-reneg-3-stop-audio-offer.sdp",
        "firefox-reneg-4-restart-ice-offer.sdp",
        "firefox-answer-to-sansrtc.sdp",
        "safari-mac-av-data-offer.sdp",
        "safari-unified-answer.sdp",
    ] {
        let text = fixture(name);
        let sdp = SessionDescription::parse(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(sdp.to_string(), text, "{name} does not round-trip");
    }
}

// ---------------------------------------------------------------------------------------------
// sansrtc answers browsers' offers.

#[test]
fn answers_chrome_av_data_offer() {
    let (offer, answer) = answer_fixture("chrome-offer-av-data.sdp", 11);
    assert_answer(&offer, &answer);
    let a = Sdp::parse(&answer);
    assert_eq!(a.bundle(), ["0", "1", "2"]);
    assert!(
        a.media.iter().all(|m| m.port != 0),
        "every section accepted"
    );
    // Chrome offers H.264 Baseline (42001f: 102, 104), Constrained Baseline (42e01f: 108,
    // 114) and Main (4d001f: 116, 39); sansrtc supports Constrained Baseline only.
    let video = &a.media[1];
    for pt in ["108", "114"] {
        assert!(video.formats.iter().any(|f| f == pt), "H.264 {pt} kept");
    }
    for pt in ["102", "104", "116", "39"] {
        assert!(
            !video.formats.iter().any(|f| f == pt),
            "H.264 {pt} declined"
        );
    }
    assert_eq!(
        video.fmtp("108", "packetization-mode").as_deref(),
        Some("1")
    );
    assert_eq!(
        video.fmtp("114", "packetization-mode").as_deref(),
        Some("0")
    );
    // Opus first, as we prefer it, under Chrome's 111.
    assert_eq!(a.media[0].formats.first().map(String::as_str), Some("111"));
}

#[test]
fn answers_chrome_simulcast_offer() {
    let (offer, answer) = answer_fixture("chrome-offer-simulcast.sdp", 12);
    assert_answer(&offer, &answer);
    let v = &Sdp::parse(&answer).media[0];
    assert_eq!(v.simulcast("recv").unwrap(), ["l", "m", "h"]);
    assert_eq!(v.all("rid"), ["l recv", "m recv", "h recv"]);
}

#[test]
fn answers_chrome_directions_offer() {
    let (offer, answer) = answer_fixture("chrome-offer-directions.sdp", 13);
    assert_answer(&offer, &answer);
    let a = Sdp::parse(&answer);
    let dirs: Vec<&str> = a.media.iter().map(Section::direction).collect();
    assert_eq!(dirs, ["recvonly", "sendonly", "inactive"]);
}

#[test]
fn answers_firefox_offer() {
    let (offer, answer) = answer_fixture("firefox-121-av-offer.sdp", 14);
    // Everything but rtcp-rsize (answers_firefox_offer_rtcp_rsize, ignored: a sansrtc bug).
    assert_no_problems(answer_problems(&offer, &answer), &answer);
    let a = Sdp::parse(&answer);
    assert_eq!(a.bundle(), ["0", "1"]);
    // Firefox's Opus is 109, VP8 120 (rtx 124), H.264 mode 1 126 (rtx 127), mode 0 97 (rtx 98:
    // no packetization-mode parameter, so mode 0).
    assert_eq!(a.media[0].formats.first().map(String::as_str), Some("109"));
    let v = &a.media[1];
    for pt in ["120", "124", "126", "127", "97", "98"] {
        assert!(v.formats.iter().any(|f| f == pt), "Firefox {pt} kept");
    }
    assert_eq!(
        v.fmtp("97", "packetization-mode").as_deref().unwrap_or("0"),
        "0"
    );
    assert_eq!(v.fmtp("126", "packetization-mode").as_deref(), Some("1"));
}

#[test]

fn answers_firefox_offer_rtcp_rsize() {
    // firefox-121-av-offer.sdp has a=rtcp-rsize in its video section only; the audio answer
    // must not claim reduced-size RTCP (RFC 5506 §5, RFC 9429 §5.3.1 "if present in the offer").
    let (offer, answer) = answer_fixture("firefox-121-av-offer.sdp", 14);
    assert_no_problems(rsize_problems(&offer, &answer), &answer);
}

#[test]
fn answers_firefox_av_data_offer() {
    let (offer, answer) = answer_fixture("firefox-offer-av-data.sdp", 51);
    assert_answer(&offer, &answer);
    let (o, a) = (Sdp::parse(&offer), Sdp::parse(&answer));
    assert_eq!(a.bundle(), ["0", "1", "2"]);
    assert!(
        a.media.iter().all(|m| m.port != 0),
        "every section accepted"
    );
    // Firefox puts a=extmap-allow-mixed in each media section, none at session level.
    assert_eq!(o.attr("extmap-allow-mixed"), None);
    assert!(o.media[..2].iter().all(|m| m.has("extmap-allow-mixed")));
    // Opus is 109 here, VP8 120 with rtx 124; this Firefox offers no H.264 at all (no OpenH264
    // plugin, see the README), and VP9 121 (rtx 125) and AV1 99 (rtx 100) besides.
    assert_eq!(a.media[0].formats.first().map(String::as_str), Some("109"));
    let video = &a.media[1];
    assert!(!offer.contains("H264"));
    assert_eq!(video.formats.first().map(String::as_str), Some("120"));
    for pt in ["124", "121", "125", "99", "100"] {
        assert!(video.formats.iter().any(|f| f == pt), "{pt} kept");
    }
    assert_eq!(video.fmtp("124", "apt").as_deref(), Some("120"));
    // Firefox offers playout-delay to receive only (6/recvonly): we may only send it.
    assert!(
        answer.contains(
            "a=extmap:6/sendonly http://www.webrtc.org/experiments/rtp-hdrext/playout-delay\r\n"
        ),
        "{answer}"
    );
    // RTP/RTCP on one port although Firefox also offered a separate a=rtcp port.
    assert!(o.media[0].has("rtcp") && a.media[0].has("rtcp-mux"));
    // The data channel section: SCTP port and a message size limit of our own.
    let data = &a.media[2];
    assert_eq!(data.kind, "application");
    assert_eq!(data.attr("sctp-port"), Some("5000"));
    assert!(data.has("max-message-size"));
}

#[test]
fn answers_firefox_simulcast_offer() {
    let offer = fixture("firefox-offer-simulcast.sdp");
    let mut peer = answerer(52);
    let answer = answer(&mut peer, &offer);
    assert_answer(&offer, &answer);
    let v = &Sdp::parse(&answer).media[0];
    assert_eq!(v.simulcast("recv").unwrap(), ["l", "m", "h"]);
    assert_eq!(v.all("rid"), ["l recv", "m recv", "h recv"]);
    // Firefox offers the rid extensions to send only (9/sendonly, 10/sendonly): received here.
    assert!(
        v.all("extmap")
            .contains(&"9/recvonly urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id")
    );
    let t = peer.transceivers().next().expect("the video transceiver");
    assert_eq!(t.remote_rids(), ["l", "m", "h"]);
}

/// The checks above catch what they claim to: each edit of a correct answer is reported.
#[test]
fn checker_reports_wrong_answers() {
    let (offer, good) = answer_fixture("chrome-offer-av-data.sdp", 11);
    assert_answer(&offer, &good);
    let edits: [(&str, &str, &str); 12] = [
        ("a=group:BUNDLE 0 1 2", "a=group:BUNDLE 0 1", "BUNDLE group"),
        (
            "a=sendrecv",
            "a=sendonly",
            "direction sendonly to a sendrecv offer",
        ),
        ("a=setup:active", "a=setup:passive", "a=setup"),
        ("a=rtcp-mux\r\n", "", "no a=rtcp-mux"),
        ("a=fmtp:97 apt=96", "a=fmtp:97 apt=100", "rtx 97 apt"),
        (
            "a=fmtp:108 level-asymmetry-allowed=1;packetization-mode=1",
            "a=fmtp:108 level-asymmetry-allowed=1;packetization-mode=0",
            "packetization-mode 0 answered to 1",
        ),
        (
            "profile-level-id=42e01f",
            "profile-level-id=4d001f",
            "profile Main (4d001f) answered to ConstrainedBaseline",
        ),
        (
            "a=extmap:14 urn:ietf:params:rtp-hdrext:toffset",
            "a=extmap:15 urn:ietf:params:rtp-hdrext:toffset",
            "id 15, offered 14",
        ),
        (
            "m=audio 50000 UDP/TLS/RTP/SAVPF 111",
            "m=audio 50000 UDP/TLS/RTP/SAVPF 127 111",
            "127 was not offered",
        ),
        (
            "a=rtpmap:9 G722/8000",
            "a=rtpmap:9 G729/8000",
            "payload type 9 is",
        ),
        (
            "a=mid:1",
            "a=mid:v",
            "mid Some(\"1\") answered as Some(\"v\")",
        ),
        (
            "a=rtcp-fb:96 nack pli",
            "a=rtcp-fb:96 nack sli",
            "a=rtcp-fb:96 nack sli was not offered",
        ),
    ];
    for (from, to, expected) in edits {
        let bad_answer = good.replacen(from, to, 1);
        assert_ne!(bad_answer, good, "edit {from:?} applies");
        let problems = answer_problems(&offer, &bad_answer);
        assert!(
            problems.iter().any(|p| p.contains(expected)),
            "edit {from:?} -> {to:?}: expected a problem with {expected:?}, got {problems:?}"
        );
    }
    // A section rejected in the offer stays rejected; simulcast is received.
    let (offer, good) = answer_fixture("chrome-reneg-3-stop-audio-offer.sdp", 12);
    let bad_answer = good.replacen("m=audio 0 ", "m=audio 9 ", 1);
    assert!(
        answer_problems(&offer, &bad_answer)
            .iter()
            .any(|p| p.contains("offered port 0"))
    );
    let (offer, good) = answer_fixture("chrome-offer-simulcast.sdp", 12);
    let bad_answer = good.replacen("a=simulcast:recv l;m;h", "a=simulcast:recv l;m", 1);
    assert!(
        answer_problems(&offer, &bad_answer)
            .iter()
            .any(|p| p.contains("expected recv l;m;h"))
    );
    // Mixed one- and two-byte headers, offered per section (Firefox): our session-level
    // a=extmap-allow-mixed is right while every RTP section offered it, wrong once one did not.
    let (offer, good) = answer_fixture("firefox-offer-av-data.sdp", 51);
    assert_answer(&offer, &good);
    let (audio, video) = offer.split_at(offer.find("m=video").unwrap());
    let bad_offer = format!(
        "{audio}{}",
        video.replacen("a=extmap-allow-mixed\r\n", "", 1)
    );
    assert_ne!(bad_offer, offer);
    let problems = answer_problems(&bad_offer, &good);
    assert!(
        problems
            .iter()
            .any(|p| p.contains("section 1 (mid Some(\"1\")): a=extmap-allow-mixed answered")),
        "{problems:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// A browser's renegotiation, answered by one sansrtc peer throughout.

/// The four offers of `<browser>-reneg-{1-audio,2-add-video,3-stop-audio,4-restart-ice}-offer`
/// (audio; + video; audio transceiver stopped; `restartIce()`), answered in turn by one peer.
fn reneg_steps(browser: &str) -> [String; 4] {
    ["1-audio", "2-add-video", "3-stop-audio", "4-restart-ice"]
        .map(|step| format!("{browser}-reneg-{step}-offer.sdp"))
}

#[test]
fn answers_chrome_renegotiation_sequence() {
    check_renegotiation_sequence(&reneg_steps("chrome"), 21);
}

#[test]
fn answers_firefox_renegotiation_sequence() {
    // Firefox's differ from Chromium's: the added video has a port and candidates of its own
    // (Firefox gathers for every section under the balanced policy), the stopped audio is
    // `m=audio 0 … 0` with nothing but `a=inactive`, `a=mid` and one rtpmap, and every step
    // carries candidates and `a=end-of-candidates`.
    check_renegotiation_sequence(&reneg_steps("firefox"), 23);
}

fn check_renegotiation_sequence(steps: &[String; 4], seed: u64) {
    let mut peer = answerer(seed);
    let mut answers: Vec<Sdp> = Vec::new();
    let mut audio: Option<TransceiverId> = None;
    for (step, name) in steps.iter().enumerate() {
        let offer = fixture(name);
        let text = answer(&mut peer, &offer);
        assert_answer(&offer, &text);
        let a = Sdp::parse(&text);
        let mids: Vec<Option<&str>> = a.media.iter().map(Section::mid).collect();
        match step {
            0 => assert_eq!(mids, [Some("0")]),
            _ => assert_eq!(mids, [Some("0"), Some("1")], "{name}: mids stay"),
        }
        if step == 0 {
            audio = peer
                .transceivers()
                .find(|t| t.kind() == MediaKind::Audio)
                .map(|t| t.id());
        }
        let audio_t = peer.transceiver(audio.unwrap());
        match step {
            0 | 1 => {
                let audio_t = audio_t.expect("audio transceiver");
                assert_eq!(audio_t.mid(), Some("0"), "{name}");
                assert_eq!(audio_t.current_direction(), Some(Direction::SendRecv));
            }
            _ => {
                // RFC 3264 §8.2 / RFC 9429 §5.3.1: a section the offerer stopped is answered
                // with port 0, and the transceiver is stopped (or gone: W3C removes it from
                // getTransceivers once negotiated, see stopped_transceiver_leaves_the_list).
                assert_eq!(a.media[0].port, 0, "{name}: stopped audio answered port 0");
                if let Some(t) = audio_t {
                    assert!(t.is_stopped(), "{name}: audio transceiver stopped");
                    assert_eq!(t.current_direction(), None);
                }
                assert_eq!(a.bundle(), ["1"], "{name}");
            }
        }
        if step >= 1 {
            let video = peer
                .transceivers()
                .find(|t| t.kind() == MediaKind::Video)
                .expect("video transceiver");
            assert_eq!(video.mid(), Some("1"), "{name}");
            assert_eq!(video.current_direction(), Some(Direction::SendRecv));
        }
        answers.push(a);
    }
    let creds = |a: &Sdp| {
        let m = a
            .media
            .iter()
            .find(|m| m.port != 0)
            .expect("an accepted section");
        (
            m.attr("ice-ufrag").unwrap().to_owned(),
            m.attr("ice-pwd").unwrap().to_owned(),
        )
    };
    // No restart in steps 1-3: the same credentials.
    assert_eq!(creds(&answers[0]), creds(&answers[1]));
    assert_eq!(creds(&answers[1]), creds(&answers[2]));
    // RFC 8839 §4.4.1.1.1: the remote restarted ICE, our answer carries new credentials.
    let (u3, p3) = creds(&answers[2]);
    let (u4, p4) = creds(&answers[3]);
    assert_ne!(u3, u4, "ICE restart: new ufrag in our answer");
    assert_ne!(p3, p4, "ICE restart: new pwd in our answer");
    // RFC 3264 §8: one session id; the version goes up when the answer changes.
    let origins: Vec<(u64, u64)> = answers.iter().map(Sdp::origin).collect();
    assert!(origins.iter().all(|o| o.0 == origins[0].0), "{origins:?}");
    assert!(origins.windows(2).all(|w| w[1].1 > w[0].1), "{origins:?}");
}

#[test]

fn stopped_transceiver_leaves_the_list() {
    // webrtc-pc §4.4.1.6 (set the session description, answer): a stopped transceiver whose
    // m= section is rejected in the current description is removed from the set of
    // transceivers; `Peer::transceivers` documents the same ("stopped ones are removed once
    // negotiated").
    for (browser, seed) in [("chrome", 22), ("firefox", 24)] {
        let mut peer = answerer(seed);
        for name in &reneg_steps(browser)[..3] {
            answer(&mut peer, &fixture(name));
        }
        let listed: Vec<(Option<&str>, MediaKind, bool)> = peer
            .transceivers()
            .map(|t| (t.mid(), t.kind(), t.is_stopped()))
            .collect();
        assert_eq!(listed, [(Some("1"), MediaKind::Video, false)], "{browser}");
    }
}

// ---------------------------------------------------------------------------------------------
// Chromium answers sansrtc.

/// The offer of `chrome-answer-to-sansrtc.sdp`: audio + video tracks and a data channel, from a
/// seeded peer (same seed ⇒ same text, certificate and ICE credentials included).
fn sansrtc_offerer() -> (Peer, Description) {
    let mut p = Peer::new(PeerConfig::new().seed(0x5a45_77c0), now());
    p.add_local_address(common::addr("127.0.0.1:40000"));
    p.add_track(TrackInfo::new(MediaKind::Audio, "a0"), &["s".into()])
        .unwrap();
    p.add_track(TrackInfo::new(MediaKind::Video, "v0"), &["s".into()])
        .unwrap();
    p.create_data_channel("chat", ChannelOptions::default())
        .unwrap();
    let offer = p.create_offer().unwrap();
    (p, offer)
}

#[test]
fn sansrtc_offer_fixture() {
    let (_, offer) = sansrtc_offerer();
    let text = offer.sdp.to_string();
    if let Ok(path) = std::env::var("SANSRTC_WRITE_OFFER") {
        std::fs::write(&path, &text).unwrap_or_else(|e| panic!("{path}: {e}"));
        return;
    }
    assert_eq!(
        text,
        fixture("sansrtc-offer-to-chrome.sdp"),
        "the seeded offer changed: chrome-answer-to-sansrtc.sdp answers the old one \
         (re-run tests/fixtures/sdp/capture/capture.sh)"
    );
}

/// A transceiver after a browser's answer to our offer: its section in `answer` has its kind,
/// both sides send and receive, and its negotiated codecs are the section's formats (name,
/// clock rate) in the answer's order. Returns those payload types.
fn check_negotiated(t: &sansrtc::media::Transceiver<'_>, answer: &Sdp) -> Vec<String> {
    let mid = t.mid().expect("negotiated transceiver has a mid");
    let section = answer
        .media
        .iter()
        .find(|m| m.mid() == Some(mid))
        .expect("answered section");
    assert_eq!(section.kind, t.kind().as_str());
    assert_eq!(section.direction(), "sendrecv", "mid {mid}");
    assert_eq!(
        t.current_direction(),
        Some(Direction::SendRecv),
        "mid {mid}"
    );
    let pts: Vec<String> = t
        .codecs()
        .iter()
        .map(|c| c.payload_type.to_string())
        .collect();
    assert_eq!(pts, section.formats, "mid {mid}: negotiated payload types");
    for c in t.codecs() {
        let (name, clock, _) = section.codec(&c.payload_type.to_string()).unwrap();
        assert!(
            name.eq_ignore_ascii_case(c.codec.name.as_str()),
            "mid {mid}"
        );
        assert_eq!(clock, c.codec.clock_rate, "mid {mid}");
    }
    pts
}

#[test]
fn applies_chrome_answer_to_sansrtc_offer() {
    let (mut peer, offer) = sansrtc_offerer();
    assert_eq!(
        offer.sdp.to_string(),
        fixture("sansrtc-offer-to-chrome.sdp")
    );
    peer.set_local_description(offer).unwrap();
    let chrome = fixture("chrome-answer-to-sansrtc.sdp");
    peer.set_remote_sdp(SdpType::Answer, &chrome)
        .expect("Chrome's answer applies");
    assert_eq!(peer.signaling_state(), sansrtc::sdp::SignalingState::Stable);
    let answer = Sdp::parse(&chrome);
    for t in peer.transceivers() {
        check_negotiated(&t, &answer);
        let first = &t.codecs()[0].codec;
        match t.kind() {
            MediaKind::Audio => {
                assert_eq!(first.name, CodecName::Opus);
                assert_eq!(t.codecs()[0].payload_type, 111);
            }
            MediaKind::Video => {
                assert_eq!(first.name, CodecName::Vp8);
                assert_eq!(t.codecs()[0].payload_type, 96);
                // Chrome's feedback for VP8, intersected with ours: all five.
                let fb: Vec<String> = first
                    .feedback
                    .iter()
                    .map(|f| match &f.parameter {
                        Some(p) => format!("{} {p}", f.kind),
                        None => f.kind.clone(),
                    })
                    .collect();
                assert_eq!(
                    fb,
                    ["goog-remb", "transport-cc", "ccm fir", "nack", "nack pli"]
                );
                let h264 = t
                    .codecs()
                    .iter()
                    .find(|c| c.payload_type == 102)
                    .expect("H.264 102 negotiated");
                assert_eq!(h264.codec.parameter("packetization-mode"), Some("1"));
                assert_eq!(h264.codec.parameter("profile-level-id"), Some("42e01f"));
            }
        }
    }
    assert_eq!(peer.transceivers().count(), 2);
}

#[test]
fn applies_firefox_answer_to_sansrtc_offer() {
    // Firefox's answer to the same seeded offer Chromium answered (firefox-answer-to-sansrtc.sdp).
    let (mut peer, offer) = sansrtc_offerer();
    assert_eq!(
        offer.sdp.to_string(),
        fixture("sansrtc-offer-to-chrome.sdp")
    );
    peer.set_local_description(offer).unwrap();
    let firefox = fixture("firefox-answer-to-sansrtc.sdp");
    peer.set_remote_sdp(SdpType::Answer, &firefox)
        .expect("Firefox's answer applies");
    assert_eq!(peer.signaling_state(), sansrtc::sdp::SignalingState::Stable);
    let answer = Sdp::parse(&firefox);
    assert_eq!(answer.bundle(), ["0", "1", "2"]);
    for m in &answer.media {
        // One transport, Firefox the DTLS client.
        assert_ne!(m.port, 0, "mid {:?} accepted", m.mid());
        assert_eq!(m.attr("setup"), Some("active"), "mid {:?}", m.mid());
    }
    for t in peer.transceivers() {
        let pts = check_negotiated(&t, &answer);
        let first = &t.codecs()[0].codec;
        match t.kind() {
            MediaKind::Audio => {
                assert_eq!(first.name, CodecName::Opus);
                assert_eq!(t.codecs()[0].payload_type, 111);
                // Firefox keeps neither RED (63) nor telephone-event/48000 (110) of ours.
                assert_eq!(pts, ["111", "9", "0", "8", "126"]);
            }
            MediaKind::Video => {
                assert_eq!(first.name, CodecName::Vp8);
                assert_eq!(t.codecs()[0].payload_type, 96);
                // Firefox's feedback for VP8 (its order), intersected with ours: all five.
                let fb: Vec<String> = first
                    .feedback
                    .iter()
                    .map(|f| match &f.parameter {
                        Some(p) => format!("{} {p}", f.kind),
                        None => f.kind.clone(),
                    })
                    .collect();
                assert_eq!(
                    fb,
                    ["nack", "nack pli", "ccm fir", "goog-remb", "transport-cc"]
                );
                // VP8, VP9 and AV1 with their RTX; no H.264 (this Firefox has none).
                assert_eq!(pts, ["96", "97", "98", "99", "45", "46"]);
                assert!(t.codecs().iter().all(|c| c.codec.name != CodecName::H264));
                let rtx: Vec<(u8, Option<&str>)> = t
                    .codecs()
                    .iter()
                    .filter(|c| c.codec.name == CodecName::Rtx)
                    .map(|c| (c.payload_type, c.codec.parameter("apt")))
                    .collect();
                assert_eq!(rtx, [(97, Some("96")), (99, Some("98")), (46, Some("45"))]);
            }
        }
    }
    assert_eq!(peer.transceivers().count(), 2);
    // The data channel section is accepted: the SCTP transport takes Firefox's message size.
    let data = answer
        .media
        .iter()
        .find(|m| m.kind == "application")
        .expect("data section answered");
    assert_eq!(data.mid(), Some("2"));
    assert_eq!(data.attr("sctp-port"), Some("5000"));
    let max: usize = data.attr("max-message-size").unwrap().parse().unwrap();
    assert_eq!(peer.sctp_max_message_size(), Some(max));
}

/// A Safari (macOS) offer published as a test sample (provenance in the fixtures README):
/// video to receive only (mid 0, first), audio both ways, a data channel; H.264 High first.
#[test]
fn answers_safari_mac_offer() {
    let (offer, answer) = answer_fixture("safari-mac-av-data-offer.sdp", 61);
    assert_answer(&offer, &answer);
    let a = Sdp::parse(&answer);
    assert_eq!(a.bundle(), ["0", "1", "2"]);
    assert!(
        a.media.iter().all(|m| m.port != 0),
        "every section accepted"
    );
    let kinds: Vec<&str> = a.media.iter().map(|m| m.kind.as_str()).collect();
    assert_eq!(kinds, ["video", "audio", "application"]);
    let dirs: Vec<&str> = a.media[..2].iter().map(Section::direction).collect();
    assert_eq!(dirs, ["sendonly", "sendrecv"]);
    // Safari offers H.264 High 3.1 (640c1f: 96, rtx 97) before Constrained Baseline (42e01f:
    // 98, rtx 99) and VP8 (100, rtx 101); sansrtc supports Constrained Baseline only.
    let video = &a.media[0];
    for pt in ["98", "99", "100", "101"] {
        assert!(video.formats.iter().any(|f| f == pt), "{pt} kept");
    }
    for pt in ["96", "97"] {
        assert!(!video.formats.iter().any(|f| f == pt), "{pt} declined");
    }
    // Opus first; Safari's iSAC (103) and iLBC (102) are not ours.
    let audio = &a.media[1];
    assert_eq!(audio.formats.first().map(String::as_str), Some("111"));
    assert!(!audio.formats.iter().any(|f| f == "103" || f == "102"));
    // No a=extmap-allow-mixed anywhere in this offer, so none in the answer.
    assert!(!answer.contains("extmap-allow-mixed"));
    assert_eq!(a.media[2].attr("sctp-port"), Some("5000"));
}

/// The older Firefox and Safari offers with media (kept from the data-channel interop work;
/// see the fixtures README): answered with every rule above, data sections accepted too.
#[test]
fn answers_older_firefox_and_safari_offers() {
    for (name, seed) in [
        ("firefox-av-data-offer.sdp", 31),
        ("safari-add-video-offer.sdp", 32),
    ] {
        let (offer, answer) = answer_fixture(name, seed);
        assert_no_problems(answer_problems(&offer, &answer), &answer);
        let a = Sdp::parse(&answer);
        let o = Sdp::parse(&offer);
        assert_eq!(a.media.len(), o.media.len(), "{name}");
        assert_eq!(
            a.bundle(),
            o.bundle(),
            "{name}: every offered section accepted"
        );
    }
}

/// Extensions a forwarder passes on are accepted when offered (Chrome offers playout-delay on
/// video, id 5), with the offer's id; the ones we know nothing about (video-timing) are not.
#[test]
fn answers_forwarded_extensions() {
    let (_, answer) = answer_fixture("chrome-offer-av-data.sdp", 41);
    assert!(
        answer
            .contains("a=extmap:5 http://www.webrtc.org/experiments/rtp-hdrext/playout-delay\r\n"),
        "{answer}"
    );
    assert!(!answer.contains("video-timing"), "{answer}");
}
