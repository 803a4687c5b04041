use super::*;
use crate::ice::{CandidateKind, Credentials};
use crate::rng::{RngRoot, Stream};
use proptest::prelude::*;

macro_rules! fixture {
    ($name:literal) => {
        (
            $name,
            include_str!(concat!("../../tests/fixtures/sdp/", $name)),
        )
    };
}

pub(crate) const FIXTURES: &[(&str, &str)] = &[
    fixture!("chromium-data-offer.sdp"),
    fixture!("chromium-data-answer.sdp"),
    fixture!("chromium-ice-restart-offer.sdp"),
    fixture!("chromium-add-audio-offer.sdp"),
    fixture!("chrome-av-data-offer.sdp"),
    fixture!("firefox-av-data-offer.sdp"),
    fixture!("firefox-data-offer.sdp"),
    fixture!("firefox-data-answer.sdp"),
    fixture!("safari-audio-data-offer.sdp"),
    fixture!("safari-data-answer.sdp"),
    fixture!("firefox-ice-restart-offer.sdp"),
    fixture!("safari-add-video-offer.sdp"),
];

fn fixture(name: &str) -> &'static str {
    FIXTURES.iter().find(|(n, _)| *n == name).unwrap().1
}

#[test]
fn browser_descriptions_round_trip_line_for_line() {
    for (name, text) in FIXTURES {
        // The Chromium samples were captured with LF line ends; the rest are CRLF.
        let crlf = text.replace("\r\n", "\n").replace('\n', "\r\n");
        let sd = SessionDescription::parse(text).unwrap_or_else(|e| panic!("{name}: {e}"));
        let written = sd.to_string();
        for (i, (a, b)) in crlf.split("\r\n").zip(written.split("\r\n")).enumerate() {
            assert_eq!(a, b, "{name} line {}", i + 1);
        }
        assert_eq!(written, crlf, "{name}");
        assert_eq!(SessionDescription::parse(&written).unwrap(), sd, "{name}");
        // Nothing typed fell back to `Other` for an attribute we model.
        for a in sd
            .attributes
            .iter()
            .chain(sd.media.iter().flat_map(|m| &m.attributes))
        {
            if let SdpAttribute::Other { name: n, .. } = a {
                assert!(
                    SdpAttribute::parse(n).is_ok_and(|p| matches!(p, SdpAttribute::Other { .. })),
                    "{name}: {n} should be typed"
                );
            }
        }
    }
}

#[test]
fn typed_attributes_of_real_descriptions() {
    let sd = SessionDescription::parse(fixture("chrome-av-data-offer.sdp")).unwrap();
    assert_eq!(
        sd.bundle_group(),
        Some(&["0".into(), "1".into(), "2".into()][..])
    );
    assert_eq!(sd.media.len(), 3);
    let audio = &sd.media[0];
    let c: Vec<&SdpCandidate> = audio.candidates().collect();
    assert_eq!(c.len(), 6);
    assert_eq!(
        c[2].address,
        CandidateAddress::Name("5b3a7f52-2c3f-4f7e-9b1e-2f1a0c9d8e7f.local".into())
    );
    assert_eq!(c[3].kind, CandidateKind::ServerReflexive);
    assert_eq!(
        c[3].related_address,
        Some(CandidateAddress::Ip("192.168.1.20".parse().unwrap()))
    );
    assert_eq!(c[3].related_port, Some(50120));
    assert_eq!(c[4].extension("tcptype"), Some("active"));
    assert_eq!(c[4].extension("network-cost"), Some("10"));
    assert_eq!(c[5].kind, CandidateKind::Relayed);
    assert!(c[1].to_ice().is_some_and(|i| i.address.is_ipv6()));
    assert_eq!(c[2].to_ice(), None, "an mDNS name needs resolving first");
    assert_eq!(c[4].to_ice(), None, "TCP candidates are not used");
    assert!(audio.attributes.iter().any(|a| *a
        == SdpAttribute::Rtpmap(Rtpmap {
            payload_type: 111,
            encoding: "opus".into(),
            clock_rate: 48000,
            encoding_params: Some("2".into())
        })));
    let fmtp = audio
        .attributes
        .iter()
        .find(|a| matches!(a, SdpAttribute::Fmtp { format, .. } if format == "111"))
        .unwrap();
    assert_eq!(
        fmtp.fmtp_params().collect::<Vec<_>>(),
        [("minptime", Some("10")), ("useinbandfec", Some("1"))]
    );
    let video = &sd.media[1];
    assert!(video.port == 0 && video.is_bundle_only() && !video.is_rejected());
    assert!(
        video.attributes.iter().any(|a| matches!(a,
        SdpAttribute::Simulcast(s) if s.directions[0].1.len() == 3 && s.directions[0].1[2][0].paused))
    );
    assert!(
        video
            .attributes
            .contains(&SdpAttribute::Direction(Direction::SendOnly))
    );
    let data = &sd.media[2];
    assert!(data.is_data_channel());
    assert_eq!(
        data.attribute("max-message-size"),
        Some(&SdpAttribute::MaxMessageSize(262_144))
    );
    assert_eq!(data.fingerprints().next().unwrap().bytes.len(), 32);

    // Firefox writes the fingerprint and ice-options at session level.
    let ff = SessionDescription::parse(fixture("firefox-av-data-offer.sdp")).unwrap();
    assert!(
        matches!(ff.attribute("fingerprint"), Some(SdpAttribute::Fingerprint(f)) if f.hash == "sha-256")
    );
    assert!(
        ff.media[2]
            .attributes
            .contains(&SdpAttribute::EndOfCandidates)
    );
    assert!(ff.media[0].attributes.iter().any(|a| matches!(
        a,
        SdpAttribute::Extmap(Extmap {
            id: 2,
            direction: Some(Direction::RecvOnly),
            ..
        })
    )));
    assert!(ff.media[1].attributes.iter().any(|a| matches!(a,
        SdpAttribute::SsrcGroup { semantics, ssrcs } if semantics == "FID" && ssrcs.len() == 2)));
}

#[test]
fn lf_line_ends_are_accepted_and_crlf_written() {
    let lf = fixture("safari-data-answer.sdp").replace("\r\n", "\n");
    let sd = SessionDescription::parse(&lf).unwrap();
    assert_eq!(sd.to_string(), fixture("safari-data-answer.sdp"));
}

fn err(text: &str) -> ParseError {
    SessionDescription::parse(text).unwrap_err()
}

#[test]
fn errors_name_the_line_and_the_kind() {
    let good = fixture("chromium-data-offer.sdp");
    assert!(SessionDescription::parse(good).is_ok());
    let e = err(&good.replacen("v=0", "v=1", 1));
    assert_eq!((e.line, e.kind), (1, ParseErrorKind::Malformed('v')));
    let e = err(&good.replacen("o=- 3677630643187392829 2", "o=- x 2", 1));
    assert_eq!((e.line, e.kind), (2, ParseErrorKind::Malformed('o')));
    let e = err(&good.replacen("t=0 0\r\n", "", 1));
    assert_eq!(e.kind, ParseErrorKind::Missing('t'));
    let e = err(&good.replacen("a=setup:actpass", "a=setup:sideways", 1));
    assert_eq!(
        (e.line, e.kind),
        (16, ParseErrorKind::SdpAttribute("setup"))
    );
    let e = err(&good.replacen("a=mid:0", "mid:0", 1));
    assert_eq!((e.line, e.kind), (17, ParseErrorKind::Syntax));
    let e = err(&good.replacen("a=mid:0", "x=0", 1));
    assert_eq!((e.line, e.kind), (17, ParseErrorKind::Unexpected('x')));
    let e = err(&good.replacen("typ host generation", "typ hots generation", 1));
    assert_eq!(
        (e.line, e.kind),
        (10, ParseErrorKind::SdpAttribute("candidate"))
    );
    let e = err(&good.replacen("a=fingerprint:sha-256 D1:", "a=fingerprint:sha-256 D1:G", 1));
    assert_eq!(e.kind, ParseErrorKind::SdpAttribute("fingerprint"));
    let e = err(&good.replacen(
        "c=IN IP4 127.0.0.1",
        "c=IN IP4 127.0.0.1\r\nc=IN IP4 127.0.0.1",
        1,
    ));
    assert_eq!((e.line, e.kind), (10, ParseErrorKind::Unexpected('c')));
    assert_eq!(err("").kind, ParseErrorKind::Missing('v'));
    assert_eq!(err("v=0\r\n").kind, ParseErrorKind::Missing('o'));
    let e = err(&good.replacen("m=application 35849", "m=application 99999", 1));
    assert_eq!((e.line, e.kind), (8, ParseErrorKind::Malformed('m')));
}

#[test]
fn limits_are_enforced() {
    let good = fixture("chromium-data-offer.sdp");
    let small = |f: fn(&mut SdpLimits)| {
        let mut l = SdpLimits::default();
        f(&mut l);
        SessionDescription::parse_with_limits(good, &l)
            .unwrap_err()
            .kind
    };
    assert_eq!(
        small(|l| l.max_bytes = 100),
        ParseErrorKind::TooLarge { max: 100 }
    );
    assert_eq!(
        small(|l| l.max_lines = 10),
        ParseErrorKind::TooManyLines { max: 10 }
    );
    assert_eq!(
        small(|l| l.max_attributes = 5),
        ParseErrorKind::TooManyAttributes { max: 5 }
    );
    assert_eq!(
        small(|l| l.max_media = 0),
        ParseErrorKind::TooManyMedia { max: 0 }
    );
    // The default size limit is 64 KiB.
    let huge = format!("{good}{}", "a=x-pad:0123456789\r\n".repeat(4000));
    assert_eq!(err(&huge).kind, ParseErrorKind::TooLarge { max: 64 * 1024 });
}

#[test]
fn trickled_candidate_strings() {
    let s = "candidate:842163049 1 udp 1677729535 203.0.113.7 50120 typ srflx raddr 0.0.0.0 rport 0 generation 0 ufrag 9uB6 network-cost 999";
    let c: SdpCandidate = s.parse().unwrap();
    assert_eq!(c.to_string(), s);
    assert_eq!(c.extension("ufrag"), Some("9uB6"));
    assert_eq!(format!("a={s}").parse::<SdpCandidate>().unwrap(), c);
    assert!(
        "candidate:1 1 udp 1 1.2.3.4 5 typ host odd"
            .parse::<SdpCandidate>()
            .is_err()
    );
    assert!(
        "candidate:1 0 udp 1 1.2.3.4 5 typ host"
            .parse::<SdpCandidate>()
            .is_err()
    );
    // Our own candidates survive the trip through SDP to the remote agent.
    let local = crate::ice::Candidate::host("10.1.2.3:4000".parse().unwrap(), 65535);
    let back = SdpCandidate::from_ice(&local)
        .to_string()
        .parse::<SdpCandidate>()
        .unwrap()
        .to_ice()
        .unwrap();
    assert_eq!(
        (back.address, back.priority, &back.foundation, back.kind),
        (local.address, local.priority, &local.foundation, local.kind)
    );
}

// ---- proptest: the typed model round-trips through text ----

fn tok() -> impl Strategy<Value = String> {
    "[A-Za-z0-9+/_.-]{1,12}"
}

fn text() -> impl Strategy<Value = String> {
    "[ -~]{0,20}"
}

fn arb_candidate() -> impl Strategy<Value = SdpCandidate> {
    let addr = prop_oneof![
        any::<std::net::IpAddr>().prop_map(CandidateAddress::Ip),
        "[a-z0-9-]{1,20}\\.local".prop_map(CandidateAddress::Name),
    ];
    let kind = prop_oneof![
        Just(CandidateKind::Host),
        Just(CandidateKind::ServerReflexive),
        Just(CandidateKind::PeerReflexive),
        Just(CandidateKind::Relayed),
    ];
    (
        "[A-Za-z0-9+/]{1,32}",
        1u16..=256,
        prop_oneof![Just("udp"), Just("UDP"), Just("tcp")],
        any::<u32>(),
        addr.clone(),
        any::<u16>(),
        kind,
        proptest::option::of((addr, any::<u16>())),
        proptest::collection::vec(("x[a-z-]{0,8}", tok()), 0..3),
    )
        .prop_map(
            |(f, comp, tr, prio, address, port, kind, rel, ext)| SdpCandidate {
                foundation: f,
                component: comp,
                transport: tr.into(),
                priority: prio,
                address,
                port,
                kind,
                related_address: rel.as_ref().map(|r| r.0.clone()),
                related_port: rel.map(|r| r.1),
                extensions: {
                    let mut x = CandidateExtensions::new();
                    for (n, v) in &ext {
                        assert!(x.push(n, v));
                    }
                    x
                },
            },
        )
}

fn arb_attribute() -> impl Strategy<Value = SdpAttribute> {
    let dir = prop_oneof![
        Just(Direction::SendRecv),
        Just(Direction::SendOnly),
        Just(Direction::RecvOnly),
        Just(Direction::Inactive)
    ];
    prop_oneof![
        (tok(), proptest::collection::vec(tok(), 0..4))
            .prop_map(|(semantics, mids)| SdpAttribute::Group { semantics, mids }),
        tok().prop_map(SdpAttribute::Mid),
        tok().prop_map(SdpAttribute::IceUfrag),
        tok().prop_map(SdpAttribute::IcePwd),
        proptest::collection::vec(tok(), 1..3).prop_map(SdpAttribute::IceOptions),
        Just(SdpAttribute::IceLite),
        arb_candidate().prop_map(|c| SdpAttribute::Candidate(Box::new(c))),
        Just(SdpAttribute::EndOfCandidates),
        (tok(), proptest::collection::vec(any::<u8>(), 1..64))
            .prop_map(|(hash, bytes)| SdpAttribute::Fingerprint(Fingerprint { hash, bytes })),
        prop_oneof![
            Just(Setup::ActPass),
            Just(Setup::Active),
            Just(Setup::Passive),
            Just(Setup::HoldConn)
        ]
        .prop_map(SdpAttribute::Setup),
        any::<u16>().prop_map(SdpAttribute::SctpPort),
        any::<u64>().prop_map(SdpAttribute::MaxMessageSize),
        Just(SdpAttribute::RtcpMux),
        Just(SdpAttribute::RtcpMuxOnly),
        Just(SdpAttribute::RtcpRsize),
        dir.clone().prop_map(SdpAttribute::Direction),
        (tok(), proptest::option::of(tok()))
            .prop_map(|(stream, track)| SdpAttribute::Msid { stream, track }),
        (
            any::<u8>(),
            tok(),
            any::<u32>(),
            proptest::option::of(tok())
        )
            .prop_map(|(payload_type, encoding, clock_rate, encoding_params)| {
                SdpAttribute::Rtpmap(Rtpmap {
                    payload_type,
                    encoding: encoding.replace('/', "_"),
                    clock_rate,
                    encoding_params: encoding_params.map(|p| p.replace('/', "_")),
                })
            }),
        (tok(), text()).prop_map(|(format, parameters)| SdpAttribute::Fmtp { format, parameters }),
        (tok(), tok(), proptest::option::of(text())).prop_map(|(format, kind, parameter)| {
            SdpAttribute::RtcpFb {
                format,
                kind,
                parameter,
            }
        }),
        (
            any::<u16>(),
            proptest::option::of(dir),
            tok(),
            proptest::option::of(text())
        )
            .prop_map(
                |(id, direction, uri, attributes)| SdpAttribute::Extmap(Extmap {
                    id,
                    direction,
                    uri,
                    attributes
                })
            ),
        (
            any::<u32>(),
            "[A-Za-z0-9_-]{1,10}",
            proptest::option::of(text())
        )
            .prop_map(|(ssrc, attribute, value)| SdpAttribute::Ssrc {
                ssrc,
                attribute,
                value
            }),
        (tok(), proptest::collection::vec(any::<u32>(), 0..4))
            .prop_map(|(semantics, ssrcs)| SdpAttribute::SsrcGroup { semantics, ssrcs }),
        (
            tok(),
            prop_oneof![Just(RidDirection::Send), Just(RidDirection::Recv)],
            proptest::option::of(text())
        )
            .prop_map(|(id, direction, restrictions)| SdpAttribute::Rid {
                id,
                direction,
                restrictions
            }),
        proptest::collection::vec(
            (
                prop_oneof![Just(RidDirection::Send), Just(RidDirection::Recv)],
                proptest::collection::vec(
                    proptest::collection::vec(
                        ("[A-Za-z0-9]{1,4}", any::<bool>())
                            .prop_map(|(id, paused)| SimulcastRid { id, paused }),
                        1..3
                    ),
                    1..3
                )
            ),
            1..3
        )
        .prop_map(|directions| SdpAttribute::Simulcast(Simulcast { directions })),
        ("x-[a-z-]{0,10}", proptest::option::of(text()))
            .prop_map(|(name, value)| SdpAttribute::Other { name, value }),
    ]
}

fn arb_connection() -> impl Strategy<Value = Connection> {
    (tok(), tok(), tok()).prop_map(|(network_type, address_type, address)| Connection {
        network_type,
        address_type,
        address,
    })
}

fn arb_bandwidth() -> impl Strategy<Value = Bandwidth> {
    ("[A-Z]{1,4}", any::<u64>()).prop_map(|(kind, value)| Bandwidth { kind, value })
}

fn arb_media() -> impl Strategy<Value = MediaDescription> {
    (
        (
            "[a-z]{1,11}",
            any::<u16>(),
            proptest::option::of(any::<u16>()),
            tok(),
            proptest::collection::vec(tok(), 0..5),
        ),
        proptest::option::of(text()),
        proptest::option::of(arb_connection()),
        proptest::collection::vec(arb_bandwidth(), 0..2),
        proptest::option::of(text()),
        proptest::collection::vec(arb_attribute(), 0..12),
    )
        .prop_map(
            |(
                (kind, port, port_count, protocol, formats),
                title,
                connection,
                bandwidths,
                key,
                attributes,
            )| {
                MediaDescription {
                    kind,
                    port,
                    port_count,
                    protocol,
                    formats,
                    title,
                    connection,
                    bandwidths,
                    key,
                    attributes,
                }
            },
        )
}

pub(crate) fn arb_session() -> impl Strategy<Value = SessionDescription> {
    (
        (tok(), any::<u64>(), any::<u64>(), tok(), tok(), tok()),
        text(),
        (
            proptest::option::of(text()),
            proptest::option::of(text()),
            proptest::collection::vec(text(), 0..2),
            proptest::collection::vec(text(), 0..2),
        ),
        proptest::option::of(arb_connection()),
        proptest::collection::vec(arb_bandwidth(), 0..2),
        proptest::collection::vec(
            (
                any::<u64>(),
                any::<u64>(),
                proptest::collection::vec(text(), 0..2),
            ),
            1..3,
        ),
        (proptest::option::of(text()), proptest::option::of(text())),
        proptest::collection::vec(arb_attribute(), 0..10),
        proptest::collection::vec(arb_media(), 0..4),
    )
        .prop_map(
            |(
                o,
                session_name,
                (information, uri, emails, phones),
                connection,
                bandwidths,
                t,
                (time_zones, key),
                attributes,
                media,
            )| {
                SessionDescription {
                    origin: Origin {
                        username: o.0,
                        session_id: o.1,
                        session_version: o.2,
                        network_type: o.3,
                        address_type: o.4,
                        address: o.5,
                    },
                    session_name,
                    information,
                    uri,
                    emails,
                    phones,
                    connection,
                    bandwidths,
                    timings: t
                        .into_iter()
                        .map(|(start, stop, repeats)| Timing {
                            start,
                            stop,
                            repeats,
                        })
                        .collect(),
                    time_zones,
                    key,
                    attributes,
                    media,
                }
            },
        )
}

proptest! {
    #[test]
    fn model_round_trips(sd in arb_session()) {
        let text = sd.to_string();
        let back = SessionDescription::parse(&text);
        prop_assert_eq!(back.as_ref(), Ok(&sd), "{}", text);
        prop_assert_eq!(back.unwrap().to_string(), text);
    }

    #[test]
    fn parse_never_panics(s in "(([a-z]=[ -~]{0,30})?\r?\n){0,30}") {
        let _ = SessionDescription::parse(&s);
    }

    #[test]
    fn mutated_fixtures_never_panic(i in 0usize..FIXTURES.len(), at in any::<prop::sample::Index>(), junk in "[ -~\r\n]{0,8}") {
        let text = FIXTURES[i].1;
        let mut cut = at.index(text.len());
        while !text.is_char_boundary(cut) { cut -= 1; }
        let mutated = format!("{}{}{}", &text[..cut], junk, &text[cut..]);
        if let Ok(sd) = SessionDescription::parse(&mutated) {
            prop_assert_eq!(SessionDescription::parse(&sd.to_string()), Ok(sd));
        }
    }
}

// ---- JSEP ----

fn jsep(seed: u64) -> Jsep {
    Jsep::new(
        JsepConfig::default(),
        &mut RngRoot::from_seed(seed).stream(Stream::Sdp),
    )
}

fn params(ufrag: &str, data: bool) -> LocalParams {
    LocalParams {
        credentials: Credentials {
            ufrag: ufrag.into(),
            pwd: format!("{ufrag}-password-0123456789"),
        },
        fingerprints: vec![Fingerprint {
            hash: "sha-256".into(),
            bytes: vec![0xAB; 32],
        }],
        candidates: vec![SdpCandidate::from_ice(&crate::ice::Candidate::host(
            "192.0.2.1:5000".parse().unwrap(),
            65535,
        ))],
        end_of_candidates: true,
        data_channel: data,
        media: Vec::new(),
    }
}

fn offer(j: &mut Jsep, p: &LocalParams) -> Description {
    let sdp = j.create_offer(p).unwrap();
    let d = Description {
        kind: SdpType::Offer,
        sdp,
    };
    j.set_local_description(d.clone()).unwrap();
    d
}

fn answer(j: &mut Jsep, p: &LocalParams) -> Description {
    let sdp = j.create_answer(p).unwrap();
    let d = Description {
        kind: SdpType::Answer,
        sdp,
    };
    j.set_local_description(d.clone()).unwrap();
    d
}

/// Text round trip, as a signaling channel would carry it.
fn wire(d: &Description) -> Description {
    Description::parse(d.kind, &d.sdp.to_string()).unwrap()
}

#[test]
fn data_channel_offer_answer_between_two_sessions() {
    let (mut a, mut b) = (jsep(1), jsep(2));
    let o = offer(&mut a, &params("aaaa", true));
    assert_eq!(a.signaling_state(), SignalingState::HaveLocalOffer);
    let text = o.sdp.to_string();
    assert!(
        text.contains("m=application 5000 UDP/DTLS/SCTP webrtc-datachannel\r\n"),
        "{text}"
    );
    assert!(text.contains("a=setup:actpass\r\n"));
    assert!(text.contains("a=group:BUNDLE 0\r\n"));
    assert!(text.contains("a=ice-options:trickle\r\n"));
    assert!(text.contains("a=end-of-candidates\r\n"));

    b.set_remote_description(wire(&o)).unwrap();
    assert_eq!(b.signaling_state(), SignalingState::HaveRemoteOffer);
    let rt = b.remote_transport().unwrap();
    assert_eq!(rt.credentials.ufrag, "aaaa");
    assert_eq!(rt.setup, Setup::ActPass);
    assert_eq!(rt.sctp_port, Some(5000));
    assert_eq!(rt.max_message_size, 262_144);
    assert_eq!(rt.candidates.len(), 1);
    assert!(rt.end_of_candidates);
    assert_eq!(b.is_dtls_client(), None, "roles are fixed by the answer");

    let ans = answer(&mut b, &params("bbbb", false));
    assert_eq!(b.signaling_state(), SignalingState::Stable);
    assert!(ans.sdp.to_string().contains("a=setup:active\r\n"));
    assert_eq!(b.is_dtls_client(), Some(true));
    a.set_remote_description(wire(&ans)).unwrap();
    assert_eq!(a.signaling_state(), SignalingState::Stable);
    assert_eq!(a.is_dtls_client(), Some(false));
    assert_eq!(a.remote_transport().unwrap().credentials.ufrag, "bbbb");
    assert!(a.current_local_description().is_some() && a.current_remote_description().is_some());
}

#[test]
fn answers_a_browser_offer_with_media_rejecting_the_media() {
    for name in [
        "chrome-av-data-offer.sdp",
        "firefox-av-data-offer.sdp",
        "safari-audio-data-offer.sdp",
        "chromium-add-audio-offer.sdp",
        "safari-add-video-offer.sdp",
    ] {
        let mut j = jsep(3);
        j.set_remote_description(Description::parse(SdpType::Offer, fixture(name)).unwrap())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let rt = j.remote_transport().unwrap();
        assert!(!rt.fingerprints.is_empty(), "{name}");
        let ans = answer(&mut j, &params("cccc", false));
        let offer = SessionDescription::parse(fixture(name)).unwrap();
        assert_eq!(ans.sdp.media.len(), offer.media.len(), "{name}");
        let mut data_mid = None;
        for (o, a) in offer.media.iter().zip(&ans.sdp.media) {
            assert_eq!(
                (&o.kind, o.mid()),
                (&a.kind, a.mid()),
                "{name}: mids and order kept"
            );
            if o.is_data_channel() {
                assert!(!a.is_rejected(), "{name}");
                data_mid = a.mid().map(str::to_owned);
            } else {
                assert!(a.is_rejected(), "{name}: media answered with port 0");
            }
        }
        assert_eq!(
            ans.sdp.bundle_group(),
            Some(&[data_mid.unwrap()][..]),
            "{name}"
        );
        // The answer is acceptable SDP to ourselves.
        assert_eq!(
            SessionDescription::parse(&ans.sdp.to_string()).unwrap(),
            ans.sdp
        );
    }
    // Firefox: transport attributes at session level are found; no max-message-size ⇒ 64 KiB.
    let mut j = jsep(4);
    let ff = fixture("firefox-data-offer.sdp").replace("a=max-message-size:1073741823\r\n", "");
    j.set_remote_sdp(SdpType::Offer, &ff).unwrap();
    let rt = j.remote_transport().unwrap();
    assert_eq!(rt.fingerprints.len(), 1);
    assert_eq!(rt.ice_options, ["trickle"]);
    assert_eq!(rt.max_message_size, 65_536);
}

#[test]
fn dtls_role_follows_the_offerer_setup() {
    for (offered, ours, client) in [
        ("actpass", "active", true),
        ("active", "passive", false),
        ("passive", "active", true),
    ] {
        let mut j = jsep(5);
        let text = fixture("chromium-data-offer.sdp")
            .replace("setup:actpass", &format!("setup:{offered}"));
        j.set_remote_sdp(SdpType::Offer, &text).unwrap();
        let ans = answer(&mut j, &params("dddd", false));
        assert!(ans.sdp.to_string().contains(&format!("a=setup:{ours}\r\n")));
        assert_eq!(j.is_dtls_client(), Some(client), "offer {offered}");
    }
    // Configured passive answers.
    let mut j = Jsep::new(
        JsepConfig {
            answer_setup: Setup::Passive,
            ..JsepConfig::default()
        },
        &mut RngRoot::from_seed(1).stream(Stream::Sdp),
    );
    j.set_remote_sdp(SdpType::Offer, fixture("chromium-data-offer.sdp"))
        .unwrap();
    answer(&mut j, &params("eeee", false));
    assert_eq!(j.is_dtls_client(), Some(false));
}

#[test]
fn every_signaling_transition() {
    use SdpType::*;
    use SignalingState as S;
    let remote_offer = Description::parse(Offer, fixture("chromium-data-offer.sdp")).unwrap();
    let remote_answer = |j: &Jsep| {
        // An answer to whatever `j` offered, from a second session.
        let mut other = jsep(9);
        other
            .set_remote_description(wire(j.local_description().unwrap()))
            .unwrap();
        other.create_answer(&params("zzzz", false)).unwrap()
    };
    // (setup, operation, expected state or error)
    type Setup = fn(&mut Jsep);
    let stable: Setup = |_| {};
    let hlo: Setup = |j| {
        offer(j, &params("aaaa", true));
    };
    let hro: Setup = |j| {
        j.set_remote_description(
            Description::parse(Offer, fixture("chromium-data-offer.sdp")).unwrap(),
        )
        .unwrap();
    };
    let hlp: Setup = |j| {
        j.set_remote_description(
            Description::parse(Offer, fixture("chromium-data-offer.sdp")).unwrap(),
        )
        .unwrap();
        let sdp = j.create_answer(&params("bbbb", false)).unwrap();
        j.set_local_description(Description {
            kind: Pranswer,
            sdp,
        })
        .unwrap();
    };
    let hrp: Setup = |j| {
        offer(j, &params("aaaa", true));
        let mut other = jsep(9);
        other
            .set_remote_description(wire(j.local_description().unwrap()))
            .unwrap();
        let sdp = other.create_answer(&params("zzzz", false)).unwrap();
        j.set_remote_description(Description {
            kind: Pranswer,
            sdp,
        })
        .unwrap();
    };
    let closed: Setup = |j| j.close();
    let states: [(&str, Setup, S); 6] = [
        ("stable", stable, S::Stable),
        ("have-local-offer", hlo, S::HaveLocalOffer),
        ("have-remote-offer", hro, S::HaveRemoteOffer),
        ("have-local-pranswer", hlp, S::HaveLocalPranswer),
        ("have-remote-pranswer", hrp, S::HaveRemotePranswer),
        ("closed", closed, S::Closed),
    ];
    for (name, setup, state) in states {
        let fresh = || {
            let mut j = jsep(7);
            setup(&mut j);
            assert_eq!(j.signaling_state(), state, "{name}");
            j
        };
        // set_local(offer)
        let mut j = fresh();
        let r = j
            .create_offer(&params("aaaa", true))
            .and_then(|sdp| j.set_local_description(Description { kind: Offer, sdp }));
        let want = match state {
            S::Stable | S::HaveLocalOffer => Some(S::HaveLocalOffer),
            _ => None,
        };
        check(&j, r, want, state, name, "local offer");
        // set_local(answer) / set_local(pranswer)
        for kind in [Answer, Pranswer] {
            let mut j = fresh();
            let r = j
                .create_answer(&params("bbbb", false))
                .and_then(|sdp| j.set_local_description(Description { kind, sdp }));
            let want = match (state, kind) {
                (S::HaveRemoteOffer | S::HaveLocalPranswer, Answer) => Some(S::Stable),
                (S::HaveRemoteOffer | S::HaveLocalPranswer, _) => Some(S::HaveLocalPranswer),
                _ => None,
            };
            check(&j, r, want, state, name, "local answer/pranswer");
        }
        // set_remote(offer): in have-local-offer it implicitly rolls back.
        let mut j = fresh();
        let r = j.set_remote_description(remote_offer.clone());
        let want = match state {
            S::Stable | S::HaveRemoteOffer | S::HaveLocalOffer => Some(S::HaveRemoteOffer),
            _ => None,
        };
        check(&j, r, want, state, name, "remote offer");
        // set_remote(answer) / set_remote(pranswer)
        for kind in [Answer, Pranswer] {
            let mut j = fresh();
            let r = match j.local_description() {
                Some(d) if d.kind == Offer => {
                    let sdp = remote_answer(&j);
                    j.set_remote_description(Description { kind, sdp })
                }
                _ => j.set_remote_description(Description {
                    kind,
                    sdp: SessionDescription::parse(fixture("chromium-data-answer.sdp")).unwrap(),
                }),
            };
            let want = match (state, kind) {
                (S::HaveLocalOffer | S::HaveRemotePranswer, Answer) => Some(S::Stable),
                (S::HaveLocalOffer | S::HaveRemotePranswer, _) => Some(S::HaveRemotePranswer),
                _ => None,
            };
            check(&j, r, want, state, name, "remote answer/pranswer");
        }
        // Rollbacks: local only from have-local-offer, remote only from have-remote-offer.
        let placeholder = remote_offer.sdp.clone();
        let mut j = fresh();
        let r = j.set_local_description(Description {
            kind: Rollback,
            sdp: placeholder.clone(),
        });
        check(
            &j,
            r,
            (state == S::HaveLocalOffer).then_some(S::Stable),
            state,
            name,
            "local rollback",
        );
        let mut j = fresh();
        let r = j.set_remote_description(Description {
            kind: Rollback,
            sdp: placeholder,
        });
        check(
            &j,
            r,
            (state == S::HaveRemoteOffer).then_some(S::Stable),
            state,
            name,
            "remote rollback",
        );
    }
}

fn check(
    j: &Jsep,
    r: Result<(), SdpError>,
    want: Option<SignalingState>,
    before: SignalingState,
    name: &str,
    op: &str,
) {
    match want {
        Some(s) => {
            assert!(r.is_ok(), "{op} in {name}: {r:?}");
            assert_eq!(j.signaling_state(), s, "{op} in {name}");
        }
        None => {
            assert!(
                matches!(r, Err(SdpError::InvalidState { .. })),
                "{op} in {name} should be refused: {r:?}"
            );
            assert_eq!(
                j.signaling_state(),
                before,
                "{op} in {name} changed the state"
            );
        }
    }
}

#[test]
fn invalid_operations_change_nothing() {
    let mut j = jsep(1);
    let o = offer(&mut j, &params("aaaa", true));
    let before = (j.signaling_state(), j.local_description().cloned());
    // Munged local descriptions are refused.
    let mut munged = o.clone();
    munged.sdp.session_name = "munged".into();
    assert_eq!(
        j.set_local_description(munged),
        Err(SdpError::Modified("offer"))
    );
    // A remote answer without ICE credentials, with a wrong setup, or not matching the offer.
    let mut other = jsep(2);
    other.set_remote_description(wire(&o)).unwrap();
    let good = other.create_answer(&params("bbbb", false)).unwrap();
    let strip = |f: &dyn Fn(&SdpAttribute) -> bool| {
        let mut s = good.clone();
        s.media[0].attributes.retain(|a| !f(a));
        Description {
            kind: SdpType::Answer,
            sdp: s,
        }
    };
    assert_eq!(
        j.set_remote_description(strip(&|a| matches!(a, SdpAttribute::IcePwd(_)))),
        Err(SdpError::MissingIceCredentials { index: 0 })
    );
    assert_eq!(
        j.set_remote_description(strip(&|a| matches!(a, SdpAttribute::Fingerprint(_)))),
        Err(SdpError::MissingFingerprint { index: 0 })
    );
    let mut actpass = good.clone();
    for a in &mut actpass.media[0].attributes {
        if let SdpAttribute::Setup(s) = a {
            *s = Setup::ActPass;
        }
    }
    assert_eq!(
        j.set_remote_description(Description {
            kind: SdpType::Answer,
            sdp: actpass
        }),
        Err(SdpError::InvalidSetup { index: 0 })
    );
    let mut extra = good.clone();
    extra.media.push(extra.media[0].clone());
    assert_eq!(
        j.set_remote_description(Description {
            kind: SdpType::Answer,
            sdp: extra
        }),
        Err(SdpError::AnswerMismatch)
    );
    assert_eq!(
        (j.signaling_state(), j.local_description().cloned()),
        before
    );
    assert!(j.remote_description().is_none());
    // Too large remote text: a parse error, nothing changes.
    let big = "a".repeat(70_000);
    assert!(matches!(
        j.set_remote_sdp(SdpType::Answer, &big),
        Err(SdpError::Parse(_))
    ));
    // And the good answer still applies afterwards.
    j.set_remote_description(Description {
        kind: SdpType::Answer,
        sdp: good,
    })
    .unwrap();
    assert_eq!(j.signaling_state(), SignalingState::Stable);
}

#[test]
fn renegotiation_keeps_mids_and_order_and_restarts_ice() {
    // A session that answered a browser's audio+data offer; our re-offer keeps both sections
    // (audio still rejected), in order, with their mids.
    let mut j = jsep(1);
    j.set_remote_sdp(SdpType::Offer, fixture("safari-audio-data-offer.sdp"))
        .unwrap();
    answer(&mut j, &params("aaaa", false));
    let re = offer(&mut j, &params("aaaa", false));
    let kinds: Vec<_> = re
        .sdp
        .media
        .iter()
        .map(|m| (m.kind.as_str(), m.mid(), m.port))
        .collect();
    assert_eq!(
        kinds,
        [("audio", Some("0"), 0), ("application", Some("1"), 5000)]
    );
    assert_eq!(re.sdp.bundle_group(), Some(&["1".to_string()][..]));

    // Media only first (a browser offering audio alone), then data added in a re-offer.
    let audio_only = fixture("safari-audio-data-offer.sdp");
    let audio_only = &audio_only[..audio_only.find("m=application").unwrap()];
    let audio_only = audio_only.replace("a=group:BUNDLE 0 1", "a=group:BUNDLE 0");
    let mut j = jsep(2);
    j.set_remote_sdp(SdpType::Offer, &audio_only).unwrap();
    let ans = answer(&mut j, &params("aaaa", false));
    assert!(ans.sdp.media[0].is_rejected() && ans.sdp.bundle_group().is_none());
    let re = offer(&mut j, &params("aaaa", true));
    let kinds: Vec<_> = re
        .sdp
        .media
        .iter()
        .map(|m| (m.kind.as_str(), m.mid()))
        .collect();
    assert_eq!(kinds, [("audio", Some("0")), ("application", Some("1"))]);

    // ICE restart: a re-offer with new credentials bumps the version; the remote sees new ones.
    let (mut a, mut b) = (jsep(3), jsep(4));
    let o1 = offer(&mut a, &params("aaaa", true));
    b.set_remote_description(wire(&o1)).unwrap();
    let ans = answer(&mut b, &params("bbbb", false));
    a.set_remote_description(wire(&ans)).unwrap();
    let same = a.create_offer(&params("aaaa", true)).unwrap();
    assert_eq!(
        same.origin.session_version, o1.sdp.origin.session_version,
        "unchanged ⇒ same version"
    );
    let o2 = offer(&mut a, &params("rrrr", true));
    assert_eq!(
        o2.sdp.origin.session_version,
        o1.sdp.origin.session_version + 1
    );
    assert_eq!(o2.sdp.origin.session_id, o1.sdp.origin.session_id);
    b.set_remote_description(wire(&o2)).unwrap();
    assert_eq!(b.remote_transport().unwrap().credentials.ufrag, "rrrr");
    // Rolling the restart offer back restores the previous remote view on b's side.
    b.set_remote_description(Description {
        kind: SdpType::Rollback,
        sdp: o2.sdp.clone(),
    })
    .unwrap();
    assert_eq!(b.remote_transport().unwrap().credentials.ufrag, "aaaa");
    // A remote restart offer from a browser is accepted in stable.
    let mut c = jsep(5);
    c.set_remote_sdp(SdpType::Offer, fixture("chromium-data-offer.sdp"))
        .unwrap();
    answer(&mut c, &params("cccc", false));
    c.set_remote_sdp(SdpType::Offer, fixture("chromium-ice-restart-offer.sdp"))
        .unwrap();
    assert_eq!(c.remote_transport().unwrap().credentials.ufrag, "Pn7q");
}

#[test]
fn same_seed_same_offer() {
    let text = |seed| {
        jsep(seed)
            .create_offer(&params("aaaa", true))
            .unwrap()
            .to_string()
    };
    assert_eq!(text(1), text(1));
    assert_ne!(text(1), text(2));
}

#[test]
fn ice_lite_both_ways() {
    // Ours: a=ice-lite at session level (RFC 8839 §5.3).
    let mut lite = Jsep::new(
        JsepConfig {
            ice_lite: true,
            ..JsepConfig::default()
        },
        &mut RngRoot::from_seed(1).stream(Stream::Sdp),
    );
    let o = offer(&mut lite, &params("llll", true));
    assert!(o.sdp.is_ice_lite());
    assert!(o.sdp.to_string().contains("\r\na=ice-lite\r\n"));
    // Theirs: surfaced for the agent (which then takes the controlling role).
    let mut full = jsep(2);
    full.set_remote_description(wire(&o)).unwrap();
    assert!(full.remote_transport().unwrap().ice_lite);
    let mut other = jsep(3);
    other
        .set_remote_sdp(SdpType::Offer, fixture("chromium-data-offer.sdp"))
        .unwrap();
    assert!(!other.remote_transport().unwrap().ice_lite);
}

/// `RTCSdpType` names both ways, exactly as browsers spell them (WebIDL enums are
/// case-sensitive).
#[test]
fn sdp_type_names_round_trip() {
    use super::{SdpType, UnknownSdpType};
    for t in [
        SdpType::Offer,
        SdpType::Pranswer,
        SdpType::Answer,
        SdpType::Rollback,
    ] {
        assert_eq!(t.to_string().parse::<SdpType>(), Ok(t));
    }
    assert_eq!("answer".parse(), Ok(SdpType::Answer));
    for bad in ["Offer", "OFFER", " offer", "", "pr-answer"] {
        assert_eq!(bad.parse::<SdpType>(), Err(UnknownSdpType), "{bad:?}");
    }
}
