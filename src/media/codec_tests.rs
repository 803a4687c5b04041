use super::*;
use crate::sdp::{Origin, SessionDescription, Timing};
use proptest::prelude::*;

// ---------------------------------------------------------------------------------------------
// Browser sections (test data). The codec lines are as Chrome 120 and Firefox 120 write them
// (payload types, attribute order, fmtp spellings), the transport lines trimmed.

const CHROME_AUDIO: &str = "\
m=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126
c=IN IP4 0.0.0.0
a=rtcp:9 IN IP4 0.0.0.0
a=ice-ufrag:Yl3n
a=ice-pwd:d0cB2uKo3y3ZoQh5k3sg0Yq1
a=ice-options:trickle
a=setup:actpass
a=mid:0
a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level
a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time
a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01
a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid
a=sendrecv
a=msid:- 6a1b8f2e-3c1d-4e8e-9d0b-2b7f4f3b0c11
a=rtcp-mux
a=rtcp-rsize
a=rtpmap:111 opus/48000/2
a=rtcp-fb:111 transport-cc
a=fmtp:111 minptime=10;useinbandfec=1
a=rtpmap:63 red/48000/2
a=fmtp:63 111/111
a=rtpmap:9 G722/8000
a=rtpmap:0 PCMU/8000
a=rtpmap:8 PCMA/8000
a=rtpmap:13 CN/8000
a=rtpmap:110 telephone-event/48000
a=rtpmap:126 telephone-event/8000
a=ssrc:3735928559 cname:Qm9vdHN0cmFw
a=ssrc:3735928559 msid:- 6a1b8f2e-3c1d-4e8e-9d0b-2b7f4f3b0c11
";

const CHROME_VIDEO: &str = "\
m=video 9 UDP/TLS/RTP/SAVPF 96 97 98 99 100 101 102 103 104 105 106 107 108 109 127 125 39 40 45 46 112 113 116 117 118
c=IN IP4 0.0.0.0
a=rtcp:9 IN IP4 0.0.0.0
a=ice-ufrag:Yl3n
a=ice-pwd:d0cB2uKo3y3ZoQh5k3sg0Yq1
a=ice-options:trickle
a=setup:actpass
a=mid:1
a=extmap:14 urn:ietf:params:rtp-hdrext:toffset
a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time
a=extmap:13 urn:3gpp:video-orientation
a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01
a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid
a=extmap:10 urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id
a=extmap:11 urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id
a=sendrecv
a=msid:- 0f4c2a5e-8d3b-4f0a-a1c2-7e9d5b6c4a3f
a=rtcp-mux
a=rtcp-rsize
a=rtpmap:96 VP8/90000
a=rtcp-fb:96 goog-remb
a=rtcp-fb:96 transport-cc
a=rtcp-fb:96 ccm fir
a=rtcp-fb:96 nack
a=rtcp-fb:96 nack pli
a=rtpmap:97 rtx/90000
a=fmtp:97 apt=96
a=rtpmap:98 VP9/90000
a=rtcp-fb:98 goog-remb
a=rtcp-fb:98 transport-cc
a=rtcp-fb:98 ccm fir
a=rtcp-fb:98 nack
a=rtcp-fb:98 nack pli
a=fmtp:98 profile-id=0
a=rtpmap:99 rtx/90000
a=fmtp:99 apt=98
a=rtpmap:100 VP9/90000
a=rtcp-fb:100 goog-remb
a=rtcp-fb:100 transport-cc
a=rtcp-fb:100 ccm fir
a=rtcp-fb:100 nack
a=rtcp-fb:100 nack pli
a=fmtp:100 profile-id=2
a=rtpmap:101 rtx/90000
a=fmtp:101 apt=100
a=rtpmap:102 H264/90000
a=rtcp-fb:102 goog-remb
a=rtcp-fb:102 transport-cc
a=rtcp-fb:102 ccm fir
a=rtcp-fb:102 nack
a=rtcp-fb:102 nack pli
a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f
a=rtpmap:103 rtx/90000
a=fmtp:103 apt=102
a=rtpmap:104 H264/90000
a=rtcp-fb:104 goog-remb
a=rtcp-fb:104 transport-cc
a=rtcp-fb:104 ccm fir
a=rtcp-fb:104 nack
a=rtcp-fb:104 nack pli
a=fmtp:104 level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42001f
a=rtpmap:105 rtx/90000
a=fmtp:105 apt=104
a=rtpmap:106 H264/90000
a=rtcp-fb:106 goog-remb
a=rtcp-fb:106 transport-cc
a=rtcp-fb:106 ccm fir
a=rtcp-fb:106 nack
a=rtcp-fb:106 nack pli
a=fmtp:106 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f
a=rtpmap:107 rtx/90000
a=fmtp:107 apt=106
a=rtpmap:108 H264/90000
a=rtcp-fb:108 goog-remb
a=rtcp-fb:108 transport-cc
a=rtcp-fb:108 ccm fir
a=rtcp-fb:108 nack
a=rtcp-fb:108 nack pli
a=fmtp:108 level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42e01f
a=rtpmap:109 rtx/90000
a=fmtp:109 apt=108
a=rtpmap:127 H264/90000
a=rtcp-fb:127 goog-remb
a=rtcp-fb:127 transport-cc
a=rtcp-fb:127 ccm fir
a=rtcp-fb:127 nack
a=rtcp-fb:127 nack pli
a=fmtp:127 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=4d001f
a=rtpmap:125 rtx/90000
a=fmtp:125 apt=127
a=rtpmap:39 H264/90000
a=rtcp-fb:39 goog-remb
a=rtcp-fb:39 transport-cc
a=rtcp-fb:39 ccm fir
a=rtcp-fb:39 nack
a=rtcp-fb:39 nack pli
a=fmtp:39 level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=4d001f
a=rtpmap:40 rtx/90000
a=fmtp:40 apt=39
a=rtpmap:45 AV1/90000
a=rtcp-fb:45 goog-remb
a=rtcp-fb:45 transport-cc
a=rtcp-fb:45 ccm fir
a=rtcp-fb:45 nack
a=rtcp-fb:45 nack pli
a=fmtp:45 level-idx=5;profile=0;tier=0
a=rtpmap:46 rtx/90000
a=fmtp:46 apt=45
a=rtpmap:112 H264/90000
a=rtcp-fb:112 goog-remb
a=rtcp-fb:112 transport-cc
a=rtcp-fb:112 ccm fir
a=rtcp-fb:112 nack
a=rtcp-fb:112 nack pli
a=fmtp:112 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=64001f
a=rtpmap:113 rtx/90000
a=fmtp:113 apt=112
a=rtpmap:116 red/90000
a=rtpmap:117 rtx/90000
a=fmtp:117 apt=116
a=rtpmap:118 ulpfec/90000
a=ssrc-group:FID 2882400001 2882400002
a=ssrc:2882400001 cname:Qm9vdHN0cmFw
a=ssrc:2882400002 cname:Qm9vdHN0cmFw
";

const FIREFOX_AUDIO: &str = "\
m=audio 9 UDP/TLS/RTP/SAVPF 109 9 0 8 101
c=IN IP4 0.0.0.0
a=sendrecv
a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level
a=extmap:2/recvonly urn:ietf:params:rtp-hdrext:csrc-audio-level
a=extmap:3 urn:ietf:params:rtp-hdrext:sdes:mid
a=fmtp:109 maxplaybackrate=48000;stereo=1;useinbandfec=1
a=fmtp:101 0-15
a=ice-pwd:3a1b7e0c5f2d4a6b8c9d0e1f2a3b4c5d
a=ice-ufrag:5e0f1a2b
a=mid:0
a=msid:{4f0a7c3e-1b2d-4c5e-8f9a-0b1c2d3e4f5a} {9a8b7c6d-5e4f-4a3b-2c1d-0e9f8a7b6c5d}
a=rtcp-mux
a=rtpmap:109 opus/48000/2
a=rtpmap:9 G722/8000/1
a=rtpmap:0 PCMU/8000
a=rtpmap:8 PCMA/8000
a=rtpmap:101 telephone-event/8000/1
a=setup:actpass
a=ssrc:1122334455 cname:{0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d}
";

const FIREFOX_VIDEO: &str = "\
m=video 9 UDP/TLS/RTP/SAVPF 120 124 121 125 126 127 97 98 123 122 119
c=IN IP4 0.0.0.0
a=sendrecv
a=extmap:3 urn:ietf:params:rtp-hdrext:sdes:mid
a=extmap:4 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time
a=extmap:5 urn:ietf:params:rtp-hdrext:toffset
a=extmap:6/recvonly http://www.webrtc.org/experiments/rtp-hdrext/playout-delay
a=extmap:7 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01
a=fmtp:126 profile-level-id=42e01f;level-asymmetry-allowed=1;packetization-mode=1
a=fmtp:97 profile-level-id=42e01f;level-asymmetry-allowed=1
a=fmtp:120 max-fs=12288;max-fr=60
a=fmtp:124 apt=120
a=fmtp:121 max-fs=12288;max-fr=60
a=fmtp:125 apt=121
a=fmtp:127 apt=126
a=fmtp:98 apt=97
a=fmtp:119 apt=122
a=ice-pwd:3a1b7e0c5f2d4a6b8c9d0e1f2a3b4c5d
a=ice-ufrag:5e0f1a2b
a=mid:1
a=msid:{4f0a7c3e-1b2d-4c5e-8f9a-0b1c2d3e4f5a} {1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f}
a=rtcp-fb:120 nack
a=rtcp-fb:120 nack pli
a=rtcp-fb:120 ccm fir
a=rtcp-fb:120 goog-remb
a=rtcp-fb:120 transport-cc
a=rtcp-fb:121 nack
a=rtcp-fb:121 nack pli
a=rtcp-fb:121 ccm fir
a=rtcp-fb:121 goog-remb
a=rtcp-fb:121 transport-cc
a=rtcp-fb:126 nack
a=rtcp-fb:126 nack pli
a=rtcp-fb:126 ccm fir
a=rtcp-fb:126 goog-remb
a=rtcp-fb:126 transport-cc
a=rtcp-fb:97 nack
a=rtcp-fb:97 nack pli
a=rtcp-fb:97 ccm fir
a=rtcp-fb:97 goog-remb
a=rtcp-fb:97 transport-cc
a=rtcp-fb:123 nack
a=rtcp-fb:123 nack pli
a=rtcp-fb:123 ccm fir
a=rtcp-fb:123 goog-remb
a=rtcp-fb:123 transport-cc
a=rtcp-mux
a=rtcp-rsize
a=rtpmap:120 VP8/90000
a=rtpmap:124 rtx/90000
a=rtpmap:121 VP9/90000
a=rtpmap:125 rtx/90000
a=rtpmap:126 H264/90000
a=rtpmap:127 rtx/90000
a=rtpmap:97 H264/90000
a=rtpmap:98 rtx/90000
a=rtpmap:123 ulpfec/90000
a=rtpmap:122 red/90000
a=rtpmap:119 rtx/90000
a=setup:actpass
a=ssrc:2233445566 cname:{0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d}
";

/// A full description around `media` (one or more sections), parsed by the real parser.
fn parse_session(media: &str) -> SessionDescription {
    let text = format!(
        "v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0 1\r\n{media}"
    );
    SessionDescription::parse(&text).expect("the test description parses")
}

fn section(media: &str) -> Vec<PayloadCodec> {
    let sd = parse_session(media);
    assert_eq!(sd.media.len(), 1);
    section_codecs(&sd.media[0])
}

/// The codec lines `write_codecs` gives for `codecs`: `m=` formats, then the attributes.
fn lines(codecs: &[PayloadCodec]) -> String {
    let mut m = MediaDescription::new("video", 9, "UDP/TLS/RTP/SAVPF", Vec::new());
    write_codecs(&mut m, codecs);
    let mut out = format!("formats {}\n", m.formats.join(" "));
    for a in &m.attributes {
        out.push_str(&format!("a={a}\n"));
    }
    out
}

fn video(pt: u8, name: CodecName) -> PayloadCodec {
    PayloadCodec::new(pt, Codec::new(name, 90000, None))
}

fn h264(pt: u8, params: &str) -> PayloadCodec {
    PayloadCodec::new(
        pt,
        Codec {
            parameters: parse_fmtp(params),
            ..Codec::new(CodecName::H264, 90000, None)
        },
    )
}

fn rtx(pt: u8, apt: u8) -> PayloadCodec {
    PayloadCodec::new(
        pt,
        Codec::new(CodecName::Rtx, 90000, None).with_parameter("apt", &apt.to_string()),
    )
}

fn pts(codecs: &[PayloadCodec]) -> Vec<u8> {
    codecs.iter().map(|c| c.payload_type).collect()
}

// ---------------------------------------------------------------------------------------------
// Names, parameters, reading and writing sections

#[test]
fn names_parse_case_insensitively_and_write_as_browsers_do() {
    for (text, name, kind) in [
        ("opus", CodecName::Opus, Some(MediaKind::Audio)),
        ("OPUS", CodecName::Opus, Some(MediaKind::Audio)),
        ("g722", CodecName::G722, Some(MediaKind::Audio)),
        ("pcmu", CodecName::Pcmu, Some(MediaKind::Audio)),
        ("PCMA", CodecName::Pcma, Some(MediaKind::Audio)),
        (
            "Telephone-Event",
            CodecName::TelephoneEvent,
            Some(MediaKind::Audio),
        ),
        ("vp8", CodecName::Vp8, Some(MediaKind::Video)),
        ("VP9", CodecName::Vp9, Some(MediaKind::Video)),
        ("h264", CodecName::H264, Some(MediaKind::Video)),
        ("H265", CodecName::H265, Some(MediaKind::Video)),
        ("av1", CodecName::Av1, Some(MediaKind::Video)),
        ("RTX", CodecName::Rtx, None),
        ("red", CodecName::Red, None),
        ("ulpfec", CodecName::Ulpfec, None),
        ("flexfec-03", CodecName::Flexfec, None),
        ("flexfec", CodecName::Flexfec, None),
    ] {
        let parsed = CodecName::parse(text);
        assert_eq!(parsed, name, "{text}");
        assert_eq!(parsed.kind(), kind, "{text}");
        assert_eq!(CodecName::parse(parsed.as_str()), name);
        assert_eq!(
            parsed.is_repair(),
            matches!(
                name,
                CodecName::Rtx | CodecName::Red | CodecName::Ulpfec | CodecName::Flexfec
            )
        );
    }
    assert_eq!(CodecName::Vp8.as_str(), "VP8");
    assert_eq!(CodecName::Opus.as_str(), "opus");
    assert_eq!(CodecName::Flexfec.as_str(), "flexfec-03");
    let cn = CodecName::parse("CN");
    assert_eq!(cn, CodecName::Other("CN".into()));
    assert_eq!(
        cn,
        CodecName::parse("cn"),
        "other names compare case-insensitively"
    );
    assert_eq!(cn.as_str(), "CN");
    assert_eq!(cn.kind(), None);
    assert!(!cn.is_repair());
}

#[test]
fn fmtp_parameters_keep_order_and_bare_values() {
    let c = Codec {
        parameters: parse_fmtp(" minptime=10; useinbandfec=1 ;;"),
        ..Codec::new(CodecName::Opus, 48000, Some(2))
    };
    assert_eq!(c.parameter("MINPTIME"), Some("10"));
    assert_eq!(c.parameter("stereo"), None);
    assert_eq!(c.fmtp().as_deref(), Some("minptime=10;useinbandfec=1"));
    let red = Codec::new(CodecName::Red, 48000, Some(2)).with_parameter("", "111/111");
    assert_eq!(red.parameter(""), Some("111/111"));
    assert_eq!(red.fmtp().as_deref(), Some("111/111"));
    assert_eq!(Codec::new(CodecName::Vp8, 90000, None).fmtp(), None);
    assert_eq!(
        Codec::new(CodecName::Vp8, 90000, None).mime_type(MediaKind::Video),
        "video/VP8"
    );
}

#[test]
fn chrome_video_section_reads_in_m_line_order() {
    let codecs = section(CHROME_VIDEO);
    assert_eq!(
        pts(&codecs),
        [
            96, 97, 98, 99, 100, 101, 102, 103, 104, 105, 106, 107, 108, 109, 127, 125, 39, 40, 45,
            46, 112, 113, 116, 117, 118
        ]
    );
    let vp8 = &codecs[0].codec;
    assert_eq!(
        (&vp8.name, vp8.clock_rate, vp8.channels),
        (&CodecName::Vp8, 90000, None)
    );
    assert_eq!(
        vp8.feedback,
        [
            Feedback::new("goog-remb", None),
            Feedback::new("transport-cc", None),
            Feedback::new("ccm", Some("fir")),
            Feedback::new("nack", None),
            Feedback::new("nack", Some("pli")),
        ]
    );
    let h = &codecs[4].codec;
    assert_eq!(codecs[4].payload_type, 100);
    assert_eq!(h.parameter("profile-id"), Some("2"));
    assert_eq!(rtx_payload_type(&codecs, 106), Some(107));
    assert_eq!(primary_of_rtx(&codecs, 107), Some(106));
    assert_eq!(primary_of_rtx(&codecs, 106), None, "106 is not rtx");
    assert_eq!(rtx_payload_type(&codecs, 118), None);
    assert_eq!(codecs[24].codec.name, CodecName::Ulpfec);
}

#[test]
fn firefox_sections_read_grouped_attributes() {
    let audio = section(FIREFOX_AUDIO);
    assert_eq!(pts(&audio), [109, 9, 0, 8, 101]);
    assert_eq!(audio[0].codec.parameter("stereo"), Some("1"));
    assert_eq!(audio[1].codec.channels, Some(1));
    assert_eq!(audio[4].codec.parameter(""), Some("0-15"));
    let video = section(FIREFOX_VIDEO);
    assert_eq!(
        pts(&video),
        [120, 124, 121, 125, 126, 127, 97, 98, 123, 122, 119]
    );
    assert_eq!(video[0].codec.feedback.len(), 5);
    assert_eq!(video[6].codec.parameter("packetization-mode"), None);
    assert_eq!(primary_of_rtx(&video, 119), Some(122));
}

#[test]
fn static_payload_types_need_no_rtpmap_and_wildcard_feedback_applies_to_all() {
    let codecs = section(
        "m=video 9 UDP/TLS/RTP/SAVPF 0 8 9 13 18 96 96 x 300\n\
         a=rtcp-fb:* nack\n\
         a=rtcp-fb:96 nack\n\
         a=rtcp-fb:96 nack pli\n\
         a=rtpmap:96 VP8/90000\n\
         a=rtpmap:97 VP9/90000\n",
    );
    // 18 (G729) has no rtpmap and is not one we know statically; 96 only once; x and 300 are
    // not payload types; 97 is not in the m-line.
    assert_eq!(pts(&codecs), [0, 8, 9, 13, 96]);
    assert_eq!(codecs[0].codec.name, CodecName::Pcmu);
    assert_eq!(codecs[1].codec.name, CodecName::Pcma);
    assert_eq!(codecs[2].codec.name, CodecName::G722);
    assert_eq!(codecs[2].codec.clock_rate, 8000);
    assert_eq!(codecs[3].codec.name, CodecName::Other("CN".into()));
    assert_eq!(codecs[0].codec.feedback, [Feedback::new("nack", None)]);
    assert_eq!(
        codecs[4].codec.feedback,
        [
            Feedback::new("nack", None),
            Feedback::new("nack", Some("pli"))
        ]
    );
}

#[test]
fn malformed_rtpmap_channels_skip_the_format() {
    let mut m = MediaDescription::new(
        "audio",
        9,
        "UDP/TLS/RTP/SAVPF",
        vec!["111".into(), "0".into()],
    );
    m.attributes.push(SdpAttribute::Rtpmap(Rtpmap {
        payload_type: 111,
        encoding: "opus".into(),
        clock_rate: 48000,
        encoding_params: Some("two".into()),
    }));
    assert_eq!(pts(&section_codecs(&m)), [0]);
}

#[test]
fn write_codecs_writes_chrome_order_and_replaces_old_lines() {
    let mut m = MediaDescription::new("audio", 9, "UDP/TLS/RTP/SAVPF", vec!["1".into()]);
    m.attributes.push(SdpAttribute::Mid("0".into()));
    m.attributes.push(SdpAttribute::RtcpMux);
    m.attributes.push(SdpAttribute::Ssrc {
        ssrc: 1,
        attribute: "cname".into(),
        value: Some("x".into()),
    });
    write_codecs(&mut m, &default_codecs(MediaKind::Audio)[..2]);
    let text: Vec<String> = m.attributes.iter().map(|a| format!("a={a}")).collect();
    assert_eq!(
        text,
        [
            "a=mid:0",
            "a=rtcp-mux",
            "a=rtpmap:111 opus/48000/2",
            "a=rtcp-fb:111 transport-cc",
            "a=fmtp:111 minptime=10;useinbandfec=1",
            "a=rtpmap:63 red/48000/2",
            "a=fmtp:63 111/111",
            "a=ssrc:1 cname:x",
        ]
    );
    assert_eq!(m.formats, ["111", "63"]);
    // Writing again replaces the codec lines in place.
    write_codecs(&mut m, &default_codecs(MediaKind::Audio)[3..4]);
    let text: Vec<String> = m.attributes.iter().map(|a| format!("a={a}")).collect();
    assert_eq!(
        text,
        [
            "a=mid:0",
            "a=rtcp-mux",
            "a=rtpmap:0 PCMU/8000",
            "a=ssrc:1 cname:x"
        ]
    );
    assert_eq!(m.formats, ["0"]);
}

#[test]
fn default_codecs_read_back_through_sdp_text() {
    for kind in [MediaKind::Audio, MediaKind::Video] {
        let ours = default_codecs(kind);
        let mut m = MediaDescription::new(kind.as_str(), 9, "UDP/TLS/RTP/SAVPF", Vec::new());
        write_codecs(&mut m, &ours);
        let mut sd = SessionDescription::new(
            Origin {
                username: "-".into(),
                session_id: 1,
                session_version: 1,
                network_type: "IN".into(),
                address_type: "IP4".into(),
                address: "127.0.0.1".into(),
            },
            "-",
        );
        sd.timings.push(Timing {
            start: 0,
            stop: 0,
            repeats: Vec::new(),
        });
        sd.media.push(m);
        let back = SessionDescription::parse(&sd.to_string()).unwrap();
        assert_eq!(section_codecs(&back.media[0]), ours);
        // Every payload type is distinct and every rtx points at a primary of the list.
        let p = pts(&ours);
        for (i, pt) in p.iter().enumerate() {
            assert!(!p[..i].contains(pt));
        }
        for c in &ours {
            if c.codec.name == CodecName::Rtx {
                assert!(p.contains(&primary_of_rtx(&ours, c.payload_type).unwrap()));
            }
            if let Some(k) = c.codec.name.kind() {
                assert_eq!(k, kind);
            }
        }
    }
}

#[test]
fn video_defaults_as_offered() {
    assert_eq!(
        lines(&default_codecs(MediaKind::Video)),
        "\
formats 96 97 98 99 102 103 104 105 45 46
a=rtpmap:96 VP8/90000
a=rtcp-fb:96 goog-remb
a=rtcp-fb:96 transport-cc
a=rtcp-fb:96 ccm fir
a=rtcp-fb:96 nack
a=rtcp-fb:96 nack pli
a=rtpmap:97 rtx/90000
a=fmtp:97 apt=96
a=rtpmap:98 VP9/90000
a=rtcp-fb:98 goog-remb
a=rtcp-fb:98 transport-cc
a=rtcp-fb:98 ccm fir
a=rtcp-fb:98 nack
a=rtcp-fb:98 nack pli
a=fmtp:98 profile-id=0
a=rtpmap:99 rtx/90000
a=fmtp:99 apt=98
a=rtpmap:102 H264/90000
a=rtcp-fb:102 goog-remb
a=rtcp-fb:102 transport-cc
a=rtcp-fb:102 ccm fir
a=rtcp-fb:102 nack
a=rtcp-fb:102 nack pli
a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f
a=rtpmap:103 rtx/90000
a=fmtp:103 apt=102
a=rtpmap:104 H264/90000
a=rtcp-fb:104 goog-remb
a=rtcp-fb:104 transport-cc
a=rtcp-fb:104 ccm fir
a=rtcp-fb:104 nack
a=rtcp-fb:104 nack pli
a=fmtp:104 level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42e01f
a=rtpmap:105 rtx/90000
a=fmtp:105 apt=104
a=rtpmap:45 AV1/90000
a=rtcp-fb:45 goog-remb
a=rtcp-fb:45 transport-cc
a=rtcp-fb:45 ccm fir
a=rtcp-fb:45 nack
a=rtcp-fb:45 nack pli
a=fmtp:45 level-idx=5;profile=0;tier=0
a=rtpmap:46 rtx/90000
a=fmtp:46 apt=45
"
    );
}

// ---------------------------------------------------------------------------------------------
// Answers to browser offers, line by line

#[test]
fn answer_to_chrome_video() {
    let answer = negotiate_answer(&section(CHROME_VIDEO), &default_codecs(MediaKind::Video));
    // VP9 profile 2, the Baseline (42001f) and Main (4d001f) and High (64001f) H.264 formats,
    // video RED and its rtx, and ulpfec are declined; the Constrained Baseline formats are
    // answered under Chrome's 106/108, each with Chrome's rtx for it.
    assert_eq!(
        lines(&answer),
        "\
formats 96 97 98 99 106 107 108 109 45 46
a=rtpmap:96 VP8/90000
a=rtcp-fb:96 goog-remb
a=rtcp-fb:96 transport-cc
a=rtcp-fb:96 ccm fir
a=rtcp-fb:96 nack
a=rtcp-fb:96 nack pli
a=rtpmap:97 rtx/90000
a=fmtp:97 apt=96
a=rtpmap:98 VP9/90000
a=rtcp-fb:98 goog-remb
a=rtcp-fb:98 transport-cc
a=rtcp-fb:98 ccm fir
a=rtcp-fb:98 nack
a=rtcp-fb:98 nack pli
a=fmtp:98 profile-id=0
a=rtpmap:99 rtx/90000
a=fmtp:99 apt=98
a=rtpmap:106 H264/90000
a=rtcp-fb:106 goog-remb
a=rtcp-fb:106 transport-cc
a=rtcp-fb:106 ccm fir
a=rtcp-fb:106 nack
a=rtcp-fb:106 nack pli
a=fmtp:106 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f
a=rtpmap:107 rtx/90000
a=fmtp:107 apt=106
a=rtpmap:108 H264/90000
a=rtcp-fb:108 goog-remb
a=rtcp-fb:108 transport-cc
a=rtcp-fb:108 ccm fir
a=rtcp-fb:108 nack
a=rtcp-fb:108 nack pli
a=fmtp:108 level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42e01f
a=rtpmap:109 rtx/90000
a=fmtp:109 apt=108
a=rtpmap:45 AV1/90000
a=rtcp-fb:45 goog-remb
a=rtcp-fb:45 transport-cc
a=rtcp-fb:45 ccm fir
a=rtcp-fb:45 nack
a=rtcp-fb:45 nack pli
a=fmtp:45 level-idx=5;profile=0;tier=0
a=rtpmap:46 rtx/90000
a=fmtp:46 apt=45
"
    );
}

#[test]
fn answer_to_firefox_video() {
    let answer = negotiate_answer(&section(FIREFOX_VIDEO), &default_codecs(MediaKind::Video));
    // Firefox's VP9 has no profile-id (profile 0); its 97 has no packetization-mode (mode 0)
    // and matches our mode-0 entry. ulpfec, red and red's rtx (119) are declined. Feedback is
    // the intersection in our order.
    assert_eq!(
        lines(&answer),
        "\
formats 120 124 121 125 126 127 97 98
a=rtpmap:120 VP8/90000
a=rtcp-fb:120 goog-remb
a=rtcp-fb:120 transport-cc
a=rtcp-fb:120 ccm fir
a=rtcp-fb:120 nack
a=rtcp-fb:120 nack pli
a=rtpmap:124 rtx/90000
a=fmtp:124 apt=120
a=rtpmap:121 VP9/90000
a=rtcp-fb:121 goog-remb
a=rtcp-fb:121 transport-cc
a=rtcp-fb:121 ccm fir
a=rtcp-fb:121 nack
a=rtcp-fb:121 nack pli
a=fmtp:121 profile-id=0
a=rtpmap:125 rtx/90000
a=fmtp:125 apt=121
a=rtpmap:126 H264/90000
a=rtcp-fb:126 goog-remb
a=rtcp-fb:126 transport-cc
a=rtcp-fb:126 ccm fir
a=rtcp-fb:126 nack
a=rtcp-fb:126 nack pli
a=fmtp:126 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f
a=rtpmap:127 rtx/90000
a=fmtp:127 apt=126
a=rtpmap:97 H264/90000
a=rtcp-fb:97 goog-remb
a=rtcp-fb:97 transport-cc
a=rtcp-fb:97 ccm fir
a=rtcp-fb:97 nack
a=rtcp-fb:97 nack pli
a=fmtp:97 level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42e01f
a=rtpmap:98 rtx/90000
a=fmtp:98 apt=97
"
    );
}

#[test]
fn answer_to_chrome_audio() {
    let answer = negotiate_answer(&section(CHROME_AUDIO), &default_codecs(MediaKind::Audio));
    // CN (13) is not ours.
    assert_eq!(
        lines(&answer),
        "\
formats 111 63 9 0 8 110 126
a=rtpmap:111 opus/48000/2
a=rtcp-fb:111 transport-cc
a=fmtp:111 minptime=10;useinbandfec=1
a=rtpmap:63 red/48000/2
a=fmtp:63 111/111
a=rtpmap:9 G722/8000
a=rtpmap:0 PCMU/8000
a=rtpmap:8 PCMA/8000
a=rtpmap:110 telephone-event/48000
a=rtpmap:126 telephone-event/8000
"
    );
}

#[test]
fn answer_to_firefox_audio() {
    let answer = negotiate_answer(&section(FIREFOX_AUDIO), &default_codecs(MediaKind::Audio));
    // Opus under Firefox's 109 with our parameters and no feedback (Firefox offers none);
    // no RED (not offered); G722/8000/1 is our G722/8000; telephone-event/8000/1 matches our
    // 8000 Hz one, under Firefox's 101; the 48000 Hz one is not offered.
    assert_eq!(
        lines(&answer),
        "\
formats 109 9 0 8 101
a=rtpmap:109 opus/48000/2
a=fmtp:109 minptime=10;useinbandfec=1
a=rtpmap:9 G722/8000
a=rtpmap:0 PCMU/8000
a=rtpmap:8 PCMA/8000
a=rtpmap:101 telephone-event/8000
"
    );
}

#[test]
fn answers_parse_back_and_read_as_negotiated_by_the_offerer() {
    for (offer, kind) in [
        (CHROME_VIDEO, MediaKind::Video),
        (FIREFOX_VIDEO, MediaKind::Video),
        (CHROME_AUDIO, MediaKind::Audio),
        (FIREFOX_AUDIO, MediaKind::Audio),
    ] {
        let offered = section(offer);
        let answer = negotiate_answer(&offered, &default_codecs(kind));
        let mut m = MediaDescription::new(kind.as_str(), 9, "UDP/TLS/RTP/SAVPF", Vec::new());
        write_codecs(&mut m, &answer);
        let text = format!(
            "m={} 9 UDP/TLS/RTP/SAVPF {}\n{}",
            kind,
            m.formats.join(" "),
            m.attributes
                .iter()
                .map(|a| format!("a={a}\n"))
                .collect::<String>()
        );
        assert_eq!(section(&text), answer);
        // The browser, reading our answer to its offer, keeps every format we answered.
        assert_eq!(pts(&negotiated_codecs(&offered, &answer)), pts(&answer));
    }
}

// ---------------------------------------------------------------------------------------------
// Captured browser descriptions (tests/fixtures/sdp, see its README: Chromium 156 captured
// here, Firefox 121 from a published fixture), byte for byte.

const CHROMIUM_156_OFFER: &str = include_str!("../../tests/fixtures/sdp/chrome-offer-av-data.sdp");
const FIREFOX_121_OFFER: &str = include_str!("../../tests/fixtures/sdp/firefox-121-av-offer.sdp");
const SANSRTC_OFFER: &str = include_str!("../../tests/fixtures/sdp/sansrtc-offer-to-chrome.sdp");
const CHROMIUM_156_ANSWER: &str =
    include_str!("../../tests/fixtures/sdp/chrome-answer-to-sansrtc.sdp");

/// The codecs of the captured description's section of `kind`.
fn captured(sdp: &str, kind: MediaKind) -> Vec<PayloadCodec> {
    let sd = SessionDescription::parse(sdp).expect("the capture parses");
    let m = sd
        .media
        .iter()
        .find(|m| m.kind == kind.as_str())
        .expect("a section of that kind");
    section_codecs(m)
}

#[test]
fn answer_to_captured_chromium_156() {
    let audio = negotiate_answer(
        &captured(CHROMIUM_156_OFFER, MediaKind::Audio),
        &default_codecs(MediaKind::Audio),
    );
    assert_eq!(
        lines(&audio),
        "\
formats 111 63 9 0 8 110 126
a=rtpmap:111 opus/48000/2
a=rtcp-fb:111 transport-cc
a=fmtp:111 minptime=10;useinbandfec=1
a=rtpmap:63 red/48000/2
a=fmtp:63 111/111
a=rtpmap:9 G722/8000
a=rtpmap:0 PCMU/8000
a=rtpmap:8 PCMA/8000
a=rtpmap:110 telephone-event/48000
a=rtpmap:126 telephone-event/8000
"
    );
    // Chromium 156 numbers its Constrained Baseline formats 108 (mode 1) and 114 (mode 0),
    // with rtx 109 and 115; 102/104 are Baseline (42001f), 116/39 Main.
    let video = negotiate_answer(
        &captured(CHROMIUM_156_OFFER, MediaKind::Video),
        &default_codecs(MediaKind::Video),
    );
    let fb = |pt: u8| {
        ["goog-remb", "transport-cc", "ccm fir", "nack", "nack pli"]
            .iter()
            .map(|f| format!("a=rtcp-fb:{pt} {f}\n"))
            .collect::<String>()
    };
    assert_eq!(
        lines(&video),
        format!(
            "\
formats 96 97 98 99 108 109 114 115 45 46
a=rtpmap:96 VP8/90000
{}a=rtpmap:97 rtx/90000
a=fmtp:97 apt=96
a=rtpmap:98 VP9/90000
{}a=fmtp:98 profile-id=0
a=rtpmap:99 rtx/90000
a=fmtp:99 apt=98
a=rtpmap:108 H264/90000
{}a=fmtp:108 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f
a=rtpmap:109 rtx/90000
a=fmtp:109 apt=108
a=rtpmap:114 H264/90000
{}a=fmtp:114 level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42e01f
a=rtpmap:115 rtx/90000
a=fmtp:115 apt=114
a=rtpmap:45 AV1/90000
{}a=fmtp:45 level-idx=5;profile=0;tier=0
a=rtpmap:46 rtx/90000
a=fmtp:46 apt=45
",
            fb(96),
            fb(98),
            fb(108),
            fb(114),
            fb(45)
        )
    );
}

#[test]
fn answer_to_captured_firefox_121() {
    let audio = negotiate_answer(
        &captured(FIREFOX_121_OFFER, MediaKind::Audio),
        &default_codecs(MediaKind::Audio),
    );
    assert_eq!(pts(&audio), [109, 9, 0, 8, 101]);
    assert_eq!(
        audio[0].codec.fmtp().as_deref(),
        Some("minptime=10;useinbandfec=1")
    );
    assert!(audio[0].codec.feedback.is_empty());
    let video = negotiate_answer(
        &captured(FIREFOX_121_OFFER, MediaKind::Video),
        &default_codecs(MediaKind::Video),
    );
    assert_eq!(pts(&video), [120, 124, 121, 125, 126, 127, 97, 98]);
    for (rtx, apt) in [(124, 120), (125, 121), (127, 126), (98, 97)] {
        assert_eq!(primary_of_rtx(&video, rtx), Some(apt));
    }
    assert_eq!(
        video[4].codec.fmtp().as_deref(),
        Some("level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f")
    );
    assert_eq!(
        video[6].codec.fmtp().as_deref(),
        Some("level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42e01f")
    );
    assert_eq!(video[2].codec.fmtp().as_deref(), Some("profile-id=0"));
}

#[test]
fn chromium_156_answer_to_our_offer() {
    for kind in [MediaKind::Audio, MediaKind::Video] {
        // The offer in the fixture is our default list...
        let ours = captured(SANSRTC_OFFER, kind);
        assert_eq!(ours, default_codecs(kind));
        // ...and Chromium answered every format of it, unchanged.
        let answer = captured(CHROMIUM_156_ANSWER, kind);
        assert_eq!(negotiated_codecs(&ours, &answer), ours);
        // Which is also what we would have answered to ourselves.
        assert_eq!(negotiate_answer(&ours, &ours), answer);
    }
}

// ---------------------------------------------------------------------------------------------
// RFC 6184 §8.1 / §8.2.2: H.264

#[test]
fn h264_profiles_follow_the_constraint_flags() {
    use H264Profile::*;
    for (plid, profile) in [
        ("42e01f", ConstrainedBaseline),
        ("42c01f", ConstrainedBaseline),
        ("42401f", ConstrainedBaseline),
        ("42E01F", ConstrainedBaseline),
        ("4de01f", ConstrainedBaseline),
        ("4d801f", ConstrainedBaseline),
        ("58c01f", ConstrainedBaseline),
        ("42f00b", ConstrainedBaseline),
        ("42001f", Baseline),
        ("42801f", Baseline),
        ("42a01f", Baseline),
        ("58801f", Baseline),
        ("4d001f", Main),
        ("4d401f", Main),
        ("58001f", Extended),
        ("64001f", High),
        ("640c1f", ConstrainedHigh),
        ("6e001f", High10),
        ("7a001f", High422),
        ("f4001f", PredictiveHigh444),
    ] {
        assert_eq!(h264_profile(plid), Some(profile), "{plid}");
    }
    for bad in [
        "", "42e01", "42e01f0", "42e0 f", "zze01f", "+2e01f", "42e0ff", "42e000", "42e001",
        "4d201f", "42011f", "64101f", "640d1f", "990000", "42é01",
    ] {
        assert_eq!(h264_profile(bad), None, "{bad}");
    }
}

#[test]
fn h264_levels_including_1b() {
    use H264Level::*;
    for (plid, level) in [
        ("42e00a", L1),
        ("42f00b", L1b),
        ("42e00b", L1_1),
        ("4df00b", L1b),
        ("4d000b", L1_1),
        ("4d100b", L1b),
        ("640009", L1b),
        ("64000b", L1_1),
        ("42e00c", L1_2),
        ("42e01f", L3_1),
        ("42e034", L5_2),
        ("64003e", L6_2),
    ] {
        assert_eq!(h264_level(plid), Some(level), "{plid}");
    }
    assert!(L1 < L1b && L1b < L1_1 && L3_1 < L4);
    assert_eq!(L1b.level_idc(), 9);
    assert_eq!(L3_1.level_idc(), 31);
}

#[test]
fn h264_profile_mismatch_declines() {
    let local = default_codecs(MediaKind::Video);
    // Baseline, Main, High, Constrained High: none is our Constrained Baseline.
    let offered = [
        h264(100, "packetization-mode=1;profile-level-id=42001f"),
        h264(101, "packetization-mode=1;profile-level-id=4d001f"),
        h264(102, "packetization-mode=1;profile-level-id=64001f"),
        h264(103, "packetization-mode=1;profile-level-id=640c1f"),
        h264(104, "packetization-mode=1;profile-level-id=nonsense"),
    ];
    assert!(negotiate_answer(&offered, &local).is_empty());
    for o in &offered {
        assert!(!same_codec(&local[4].codec, &o.codec));
    }
    // The same with the Constrained Baseline flags is accepted.
    let offered = [h264(100, "packetization-mode=1;profile-level-id=42e01f")];
    assert_eq!(pts(&negotiate_answer(&offered, &local)), [100]);
}

#[test]
fn h264_constrained_baseline_is_one_profile_whatever_the_flags() {
    let local = default_codecs(MediaKind::Video);
    for plid in ["42c01f", "42401f", "4de01f", "58c01f"] {
        let offered = [h264(
            120,
            &format!("packetization-mode=1;level-asymmetry-allowed=1;profile-level-id={plid}"),
        )];
        let answer = negotiate_answer(&offered, &local);
        assert_eq!(pts(&answer), [120], "{plid}");
        // The answer writes our profile-level-id (both allow level asymmetry: our level).
        assert_eq!(
            answer[0].codec.parameter("profile-level-id"),
            Some("42e01f")
        );
    }
    // Without level asymmetry, the answer is our profile at the lower level: 4de0 is read as
    // Constrained Baseline, written as ours (42e0), level 1.3 from the offer.
    let answer = negotiate_answer(
        &[h264(120, "packetization-mode=1;profile-level-id=4de00d")],
        &local,
    );
    assert_eq!(
        answer[0].codec.parameter("profile-level-id"),
        Some("42e00d")
    );
}

#[test]
fn h264_level_asymmetry() {
    let local = default_codecs(MediaKind::Video);
    let answer_level = |params: &str| {
        let answer = negotiate_answer(&[h264(120, params)], &local);
        assert_eq!(pts(&answer), [120], "{params}");
        answer[0]
            .codec
            .parameter("profile-level-id")
            .unwrap()
            .to_owned()
    };
    // Both sides allow asymmetry: each states what it receives, so ours (3.1) whatever the
    // offer's level.
    assert_eq!(
        answer_level("level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e00a"),
        "42e01f"
    );
    assert_eq!(
        answer_level("level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e034"),
        "42e01f"
    );
    // The offer does not allow it: one level both ways, never above the offer's...
    assert_eq!(
        answer_level("packetization-mode=1;profile-level-id=42e00a"),
        "42e00a"
    );
    assert_eq!(
        answer_level("level-asymmetry-allowed=0;packetization-mode=1;profile-level-id=42e015"),
        "42e015"
    );
    // ...nor above ours.
    assert_eq!(
        answer_level("packetization-mode=1;profile-level-id=42e034"),
        "42e01f"
    );
    // Level 1b is constraint_set3 with level_idc 11 in the Baseline family.
    assert_eq!(
        answer_level("packetization-mode=1;profile-level-id=42f00b"),
        "42f00b"
    );
    assert_eq!(
        answer_level("packetization-mode=1;profile-level-id=42e00b"),
        "42e00b"
    );
    // We do not allow asymmetry: the lower level even if the offer does.
    let strict: Vec<PayloadCodec> = vec![h264(102, "packetization-mode=1;profile-level-id=42e01f")];
    let answer = negotiate_answer(
        &[h264(
            120,
            "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e00c",
        )],
        &strict,
    );
    assert_eq!(
        answer[0].codec.parameter("profile-level-id"),
        Some("42e00c")
    );
    // High profile: 1b is level_idc 9.
    let high: Vec<PayloadCodec> = vec![h264(102, "packetization-mode=1;profile-level-id=64001f")];
    let answer = negotiate_answer(
        &[h264(120, "packetization-mode=1;profile-level-id=640009")],
        &high,
    );
    assert_eq!(
        answer[0].codec.parameter("profile-level-id"),
        Some("640009")
    );
    // Neither side writes profile-level-id: the answer does not either.
    let bare: Vec<PayloadCodec> = vec![h264(102, "packetization-mode=1")];
    let answer = negotiate_answer(&[h264(120, "packetization-mode=1")], &bare);
    assert_eq!(
        answer[0].codec.fmtp().as_deref(),
        Some("packetization-mode=1")
    );
}

#[test]
fn h264_packetization_mode_must_match() {
    let local = default_codecs(MediaKind::Video);
    // Mode 2 is not ours.
    assert!(
        negotiate_answer(
            &[h264(120, "packetization-mode=2;profile-level-id=42e01f")],
            &local
        )
        .is_empty()
    );
    // Absent is mode 0: our 104 entry (mode 0), not 102 (mode 1).
    let answer = negotiate_answer(&[h264(120, "profile-level-id=42e01f")], &local);
    assert_eq!(pts(&answer), [120]);
    assert_eq!(answer[0].codec.parameter("packetization-mode"), Some("0"));
    let answer = negotiate_answer(
        &[h264(120, "profile-level-id=42e01f;packetization-mode=1")],
        &local,
    );
    assert_eq!(answer[0].codec.parameter("packetization-mode"), Some("1"));
    // Both offered: both answered, in our order (mode 1 first), under the offer's numbers.
    let offered = [
        h264(120, "profile-level-id=42e01f"),
        rtx(121, 120),
        h264(122, "profile-level-id=42e01f;packetization-mode=1"),
        rtx(123, 122),
    ];
    let answer = negotiate_answer(&offered, &local);
    assert_eq!(pts(&answer), [122, 123, 120, 121]);
    assert_eq!(answer[1].codec.parameter("apt"), Some("122"));
    assert_eq!(answer[3].codec.parameter("apt"), Some("120"));
}

#[test]
fn h264_without_profile_level_id_is_constrained_baseline_3_1() {
    let local = default_codecs(MediaKind::Video);
    let answer = negotiate_answer(&[h264(120, "packetization-mode=1")], &local);
    assert_eq!(pts(&answer), [120]);
    assert_eq!(
        answer[0].codec.parameter("profile-level-id"),
        Some("42e01f")
    );
}

// ---------------------------------------------------------------------------------------------
// same_codec for the other formats

#[test]
fn same_codec_rules() {
    let c = |name: &str, clock, channels, params: &str| Codec {
        parameters: parse_fmtp(params),
        ..Codec::new(CodecName::parse(name), clock, channels)
    };
    let same = |a: &Codec, b: &Codec| same_codec(a, b) && same_codec(b, a);
    // Name (case-insensitive), clock rate.
    assert!(same(
        &c("vp8", 90000, None, ""),
        &c("VP8", 90000, None, "max-fs=12288")
    ));
    assert!(!same(
        &c("VP8", 90000, None, ""),
        &c("VP8", 45000, None, "")
    ));
    assert!(!same(
        &c("VP8", 90000, None, ""),
        &c("VP9", 90000, None, "")
    ));
    assert!(same(&c("CN", 8000, None, ""), &c("cn", 8000, None, "")));
    // Channels: absent is 1, but 2 for Opus.
    assert!(same(
        &c("G722", 8000, None, ""),
        &c("G722", 8000, Some(1), "")
    ));
    assert!(!same(
        &c("L16", 44100, Some(2), ""),
        &c("L16", 44100, None, "")
    ));
    assert!(same(
        &c("opus", 48000, Some(2), ""),
        &c("opus", 48000, None, "")
    ));
    assert!(!same(
        &c("opus", 48000, Some(2), ""),
        &c("opus", 48000, Some(1), "")
    ));
    // Repair formats: channels do not matter.
    assert!(same(
        &c("red", 48000, Some(2), "111/111"),
        &c("red", 48000, None, "109/109")
    ));
    assert!(same(
        &c("rtx", 90000, None, "apt=96"),
        &c("rtx", 90000, None, "apt=120")
    ));
    // VP9 profile-id, default 0.
    assert!(same(
        &c("VP9", 90000, None, "profile-id=0"),
        &c("VP9", 90000, None, "")
    ));
    assert!(!same(
        &c("VP9", 90000, None, "profile-id=2"),
        &c("VP9", 90000, None, "")
    ));
    // AV1 profile, default 0; level and tier are not compared.
    assert!(same(
        &c("AV1", 90000, None, "level-idx=5;profile=0;tier=0"),
        &c("AV1", 90000, None, "")
    ));
    assert!(!same(
        &c("AV1", 90000, None, "profile=1"),
        &c("AV1", 90000, None, "profile=0")
    ));
    // H.265: profile-id (1), tier-flag (0), tx-mode (SRST); level-id may differ.
    let hevc = "level-id=93;profile-id=1;tier-flag=0;tx-mode=SRST";
    assert!(same(
        &c("H265", 90000, None, hevc),
        &c("H265", 90000, None, "level-id=120")
    ));
    assert!(!same(
        &c("H265", 90000, None, hevc),
        &c("H265", 90000, None, "profile-id=2")
    ));
    assert!(!same(
        &c("H265", 90000, None, hevc),
        &c("H265", 90000, None, "tier-flag=1")
    ));
    assert!(!same(
        &c("H265", 90000, None, hevc),
        &c("H265", 90000, None, "tx-mode=MRST")
    ));
    // H.264: level may differ.
    assert!(same(
        &c(
            "H264",
            90000,
            None,
            "profile-level-id=42e01f;packetization-mode=1"
        ),
        &c(
            "H264",
            90000,
            None,
            "profile-level-id=42e034;packetization-mode=1"
        )
    ));
}

#[test]
fn h265_answer_level_is_never_above_the_offer() {
    let hevc = |pt, level: &str| PayloadCodec {
        payload_type: pt,
        codec: Codec {
            parameters: parse_fmtp(&format!(
                "level-id={level};profile-id=1;tier-flag=0;tx-mode=SRST"
            )),
            ..Codec::new(CodecName::H265, 90000, None)
        },
    };
    let answer = negotiate_answer(&[hevc(49, "93")], &[hevc(100, "120")]);
    assert_eq!(pts(&answer), [49]);
    assert_eq!(answer[0].codec.parameter("level-id"), Some("93"));
    let answer = negotiate_answer(&[hevc(49, "156")], &[hevc(100, "120")]);
    assert_eq!(answer[0].codec.parameter("level-id"), Some("120"));
}

// ---------------------------------------------------------------------------------------------
// RTX, RED, telephone-event, FEC

#[test]
fn rtx_follows_its_primary_with_the_offers_numbers() {
    let local = default_codecs(MediaKind::Video);
    // VP8 with rtx under other numbers; VP9 profile 2 (declined) with an rtx; an rtx whose
    // apt names nothing; VP9 profile 0 without rtx.
    let offered = [
        video(100, CodecName::Vp8),
        rtx(101, 100),
        PayloadCodec::new(
            110,
            Codec::new(CodecName::Vp9, 90000, None).with_parameter("profile-id", "2"),
        ),
        rtx(111, 110),
        rtx(112, 55),
        video(113, CodecName::Vp9),
    ];
    let answer = negotiate_answer(&offered, &local);
    assert_eq!(pts(&answer), [100, 101, 113]);
    assert_eq!(primary_of_rtx(&answer, 101), Some(100));
    assert_eq!(rtx_payload_type(&answer, 113), None);
    // An offer listing rtx before its primary still pairs them.
    let answer = negotiate_answer(&[rtx(101, 100), video(100, CodecName::Vp8)], &local);
    assert_eq!(pts(&answer), [100, 101]);
}

#[test]
fn red_follows_opus_with_the_offers_numbers() {
    let local = default_codecs(MediaKind::Audio);
    let opus = |pt| PayloadCodec::new(pt, Codec::new(CodecName::Opus, 48000, Some(2)));
    let red = |pt, primaries: &str| {
        PayloadCodec::new(
            pt,
            Codec::new(CodecName::Red, 48000, Some(2)).with_parameter("", primaries),
        )
    };
    // RED offered before opus, naming the offer's opus.
    let answer = negotiate_answer(&[red(120, "109/109"), opus(109)], &local);
    assert_eq!(pts(&answer), [109, 120]);
    assert_eq!(answer[1].codec.fmtp().as_deref(), Some("109/109"));
    // Without opus, RED is declined.
    let pcmu = PayloadCodec::new(0, Codec::new(CodecName::Pcmu, 8000, None));
    assert_eq!(
        pts(&negotiate_answer(&[red(120, "0/0"), pcmu.clone()], &local)),
        [0]
    );
    // RED without a value in the offer: still ours, rewritten.
    let bare = PayloadCodec::new(120, Codec::new(CodecName::Red, 48000, Some(2)));
    let answer = negotiate_answer(&[opus(96), bare], &local);
    assert_eq!(answer[1].codec.fmtp().as_deref(), Some("96/96"));
}

#[test]
fn telephone_event_needs_its_clock_rate_offered() {
    let local = default_codecs(MediaKind::Audio);
    let te = |pt, clock| PayloadCodec::new(pt, Codec::new(CodecName::TelephoneEvent, clock, None));
    let answer = negotiate_answer(&[te(101, 8000), te(102, 16000)], &local);
    assert_eq!(pts(&answer), [101]);
    assert_eq!(answer[0].codec.clock_rate, 8000);
}

#[test]
fn fec_and_unknown_codecs_are_declined() {
    let mut local = default_codecs(MediaKind::Video);
    local.push(video(118, CodecName::Ulpfec));
    local.push(video(119, CodecName::Flexfec));
    let offered = [
        video(96, CodecName::Vp8),
        video(118, CodecName::Ulpfec),
        video(119, CodecName::Flexfec),
        video(120, CodecName::Other("VP10".into())),
    ];
    assert_eq!(pts(&negotiate_answer(&offered, &local)), [96]);
}

// ---------------------------------------------------------------------------------------------
// Reading an answer to our offer

#[test]
fn negotiated_codecs_from_an_answer() {
    let local = default_codecs(MediaKind::Video);
    let remote = section(
        "m=video 9 UDP/TLS/RTP/SAVPF 102 103 96 97 99 100 98 45\n\
         a=rtpmap:102 H264/90000\n\
         a=rtcp-fb:102 nack\n\
         a=rtcp-fb:102 nack pli\n\
         a=rtcp-fb:102 transport-cc\n\
         a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e029\n\
         a=rtpmap:103 rtx/90000\n\
         a=fmtp:103 apt=102\n\
         a=rtpmap:96 VP8/90000\n\
         a=rtpmap:97 rtx/90000\n\
         a=fmtp:97 apt=102\n\
         a=rtpmap:99 rtx/90000\n\
         a=fmtp:99 apt=98\n\
         a=rtpmap:100 VP8/90000\n\
         a=rtpmap:98 H264/90000\n\
         a=rtpmap:45 AV1/90000\n\
         a=fmtp:45 profile=1\n",
    );
    let got = negotiated_codecs(&local, &remote);
    // 102 (the answer's level differs: fine) with the feedback both list, in our order; 103;
    // 96 without feedback. 97's apt is not ours; 99's primary (98) is answered as H264 where
    // we offered VP9 (dropped, and 99 with it); 100 is not ours; 45 changed profile.
    assert_eq!(pts(&got), [102, 103, 96]);
    assert_eq!(
        got[0].codec.feedback,
        [
            Feedback::new("transport-cc", None),
            Feedback::new("nack", None),
            Feedback::new("nack", Some("pli")),
        ]
    );
    assert_eq!(got[0].codec.parameter("profile-level-id"), Some("42e01f"));
    assert!(got[2].codec.feedback.is_empty());
}

// ---------------------------------------------------------------------------------------------
// setCodecPreferences

#[test]
fn codec_preferences_reorder_and_filter() {
    let local = default_codecs(MediaKind::Video);
    let cap = |i: usize| Codec {
        feedback: Vec::new(),
        ..local[i].codec.clone()
    };
    let rtx_cap = Codec::new(CodecName::Rtx, 90000, None);
    // Empty: the defaults.
    assert_eq!(filter_by_preferences(&local, &[]).unwrap(), local);
    // H.264 mode 1, then VP8; without rtx in the list, no rtx.
    let prefs = [cap(4), cap(0)];
    assert_eq!(
        pts(&filter_by_preferences(&local, &prefs).unwrap()),
        [102, 96]
    );
    // With rtx: each media codec followed by its rtx.
    let prefs = [cap(4), rtx_cap.clone(), cap(0)];
    assert_eq!(
        pts(&filter_by_preferences(&local, &prefs).unwrap()),
        [102, 103, 96, 97]
    );
    // Parameters compare in any order; duplicates collapse.
    let reordered = Codec {
        parameters: parse_fmtp(
            "profile-level-id=42e01f;packetization-mode=1;level-asymmetry-allowed=1",
        ),
        ..cap(4)
    };
    assert_eq!(
        pts(&filter_by_preferences(&local, &[reordered, cap(4)]).unwrap()),
        [102]
    );
    // Not ours: another level, another clock rate, another codec.
    let other_level = Codec {
        parameters: parse_fmtp(
            "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e02a",
        ),
        ..cap(4)
    };
    assert_eq!(
        filter_by_preferences(&local, &[cap(0), other_level]),
        Err(CodecPreferenceError::UnknownCodec { index: 1 })
    );
    assert_eq!(
        filter_by_preferences(&local, &[Codec::new(CodecName::Vp8, 8000, None)]),
        Err(CodecPreferenceError::UnknownCodec { index: 0 })
    );
    assert_eq!(
        filter_by_preferences(&local, &[Codec::new(CodecName::H265, 90000, None)]),
        Err(CodecPreferenceError::UnknownCodec { index: 0 })
    );
    assert_eq!(
        filter_by_preferences(&local, &[Codec::new(CodecName::Rtx, 48000, None)]),
        Err(CodecPreferenceError::UnknownCodec { index: 0 })
    );
    // Only rtx: nothing to send media with.
    let err = filter_by_preferences(&local, &[rtx_cap]).unwrap_err();
    assert_eq!(err, CodecPreferenceError::NoMediaCodec);
    assert_eq!(err.w3c_name(), "InvalidModificationError");
}

#[test]
fn codec_preferences_with_red() {
    let local = default_codecs(MediaKind::Audio);
    let cap = |i: usize| Codec {
        feedback: Vec::new(),
        ..local[i].codec.clone()
    };
    assert_eq!(
        pts(&filter_by_preferences(&local, &[cap(0), cap(1)]).unwrap()),
        [111, 63]
    );
    assert_eq!(
        pts(&filter_by_preferences(&local, &[cap(1), cap(0)]).unwrap()),
        [63, 111]
    );
    // RED without its opus is dropped.
    assert_eq!(
        pts(&filter_by_preferences(&local, &[cap(1), cap(3)]).unwrap()),
        [0]
    );
    assert_eq!(
        filter_by_preferences(&local, &[cap(1)]),
        Err(CodecPreferenceError::NoMediaCodec)
    );
}

// ---------------------------------------------------------------------------------------------
// Properties

fn arb_name() -> impl Strategy<Value = CodecName> {
    prop_oneof![
        Just(CodecName::Opus),
        Just(CodecName::G722),
        Just(CodecName::Pcmu),
        Just(CodecName::Pcma),
        Just(CodecName::TelephoneEvent),
        Just(CodecName::Vp8),
        Just(CodecName::Vp9),
        Just(CodecName::H264),
        Just(CodecName::H265),
        Just(CodecName::Av1),
        Just(CodecName::Rtx),
        Just(CodecName::Red),
        Just(CodecName::Ulpfec),
        Just(CodecName::Flexfec),
        "[A-Za-z][A-Za-z0-9-]{0,9}".prop_filter_map("a known name", |s| {
            matches!(CodecName::parse(&s), CodecName::Other(_)).then_some(CodecName::Other(s))
        }),
    ]
}

fn arb_codec() -> impl Strategy<Value = Codec> {
    let param = prop_oneof![
        ("[a-z][a-z0-9-]{0,11}", "[A-Za-z0-9/.=-]{0,8}"),
        (Just(String::new()), "[A-Za-z0-9/.-]{1,8}"),
    ];
    let feedback = (
        "[a-z][a-z0-9-]{0,11}",
        proptest::option::of("[a-z0-9]{1,6}( [a-z0-9]{1,6})?"),
    )
        .prop_map(|(kind, parameter)| Feedback { kind, parameter });
    (
        arb_name(),
        any::<u32>(),
        proptest::option::of(any::<u16>()),
        proptest::collection::vec(param, 0..5),
        proptest::collection::vec(feedback, 0..5),
    )
        .prop_map(|(name, clock_rate, channels, parameters, mut feedback)| {
            let mut seen = Vec::new();
            feedback.retain(|f| {
                let new = !seen.contains(f);
                seen.push(f.clone());
                new
            });
            Codec {
                name,
                clock_rate,
                channels,
                parameters,
                feedback,
            }
        })
}

fn arb_codecs() -> impl Strategy<Value = Vec<PayloadCodec>> {
    proptest::collection::vec((0u8..=127, arb_codec()), 0..12).prop_map(|v| {
        let mut out: Vec<PayloadCodec> = Vec::new();
        for (payload_type, codec) in v {
            if !out.iter().any(|c| c.payload_type == payload_type) {
                out.push(PayloadCodec {
                    payload_type,
                    codec,
                });
            }
        }
        out
    })
}

/// Formats, attributes and fmtp values that are often almost right.
fn arb_format() -> impl Strategy<Value = String> {
    prop_oneof![
        (0u16..140).prop_map(|n| n.to_string()),
        Just("*".to_owned()),
        "[0-9]{1,4}",
        ".{0,5}",
    ]
}

fn arb_fmtp() -> impl Strategy<Value = String> {
    let key = prop_oneof![
        Just("apt"),
        Just("profile-level-id"),
        Just("packetization-mode"),
        Just("level-asymmetry-allowed"),
        Just("profile-id"),
        Just("profile"),
        Just("tier-flag"),
        Just("level-id"),
        Just("tx-mode"),
        Just(""),
    ];
    let value = prop_oneof![
        "[0-9a-fA-F]{6}",
        "[0-9]{1,3}",
        "[0-9]{1,3}(/[0-9]{1,3}){0,3}",
        ".{0,6}",
    ];
    prop_oneof![
        proptest::collection::vec((key, value), 0..5).prop_map(|v| {
            v.into_iter()
                .map(|(k, v)| if k.is_empty() { v } else { format!("{k}={v}") })
                .collect::<Vec<_>>()
                .join(";")
        }),
        ".{0,30}",
    ]
}

fn arb_attribute() -> impl Strategy<Value = SdpAttribute> {
    let encoding = prop_oneof![
        arb_name().prop_map(|n| n.as_str().to_owned()),
        "[a-zA-Z0-9-]{1,8}",
    ];
    prop_oneof![
        (
            prop_oneof![0u8..140, any::<u8>()],
            encoding,
            prop_oneof![Just(90000u32), Just(48000), Just(8000), any::<u32>()],
            proptest::option::of(prop_oneof!["[0-9]{1,6}", ".{0,4}"]),
        )
            .prop_map(|(payload_type, encoding, clock_rate, encoding_params)| {
                SdpAttribute::Rtpmap(Rtpmap {
                    payload_type,
                    encoding,
                    clock_rate,
                    encoding_params,
                })
            }),
        (arb_format(), arb_fmtp())
            .prop_map(|(format, parameters)| SdpAttribute::Fmtp { format, parameters }),
        (
            arb_format(),
            prop_oneof![Just("nack".to_owned()), ".{0,6}"],
            proptest::option::of(".{0,8}")
        )
            .prop_map(|(format, kind, parameter)| SdpAttribute::RtcpFb {
                format,
                kind,
                parameter
            }),
        Just(SdpAttribute::RtcpMux),
    ]
}

fn arb_section() -> impl Strategy<Value = MediaDescription> {
    (
        proptest::collection::vec(arb_format(), 0..16),
        proptest::collection::vec(arb_attribute(), 0..40),
    )
        .prop_map(|(formats, attributes)| {
            let mut m = MediaDescription::new("video", 9, "UDP/TLS/RTP/SAVPF", formats);
            m.attributes = attributes;
            m
        })
}

/// What any answer must satisfy: the offer's numbers, each once, each one of ours, rtx
/// pointing into the answer.
fn check_answer(offered: &[PayloadCodec], local: &[PayloadCodec], answer: &[PayloadCodec]) {
    let p = pts(answer);
    for (i, a) in answer.iter().enumerate() {
        assert!(!p[..i].contains(&a.payload_type), "{p:?}");
        let o = offered
            .iter()
            .find(|o| o.payload_type == a.payload_type)
            .expect("answered under an offered number");
        assert!(same_codec(&o.codec, &a.codec), "{o:?} / {a:?}");
        assert!(local.iter().any(|l| same_codec(&l.codec, &a.codec)));
        assert!(!a.codec.name.is_fec());
        for f in &a.codec.feedback {
            assert!(o.codec.feedback.iter().any(|g| g.matches(f)));
        }
        if a.codec.name == CodecName::Rtx {
            let apt = primary_of_rtx(answer, a.payload_type).expect("rtx with apt");
            assert!(p.contains(&apt));
            assert_eq!(primary_of_rtx(offered, a.payload_type), Some(apt));
        }
    }
}

proptest! {
    #[test]
    fn write_then_read_is_identity(codecs in arb_codecs()) {
        let mut m = MediaDescription::new("video", 9, "UDP/TLS/RTP/SAVPF", Vec::new());
        write_codecs(&mut m, &codecs);
        prop_assert_eq!(&section_codecs(&m), &codecs);
        // And through SDP text.
        let text = format!(
            "m=video 9 UDP/TLS/RTP/SAVPF{}\n{}",
            m.formats.iter().map(|f| format!(" {f}")).collect::<String>(),
            m.attributes.iter().map(|a| format!("a={a}\n")).collect::<String>()
        );
        if !codecs.is_empty() {
            prop_assert_eq!(&section(&text), &codecs);
        }
    }

    #[test]
    fn attribute_soup_never_panics(m in arb_section()) {
        let read = section_codecs(&m);
        // Reading is stable: what was read writes and reads back the same.
        let mut again = m.clone();
        write_codecs(&mut again, &read);
        prop_assert_eq!(&section_codecs(&again), &read);
        for kind in [MediaKind::Audio, MediaKind::Video] {
            let ours = default_codecs(kind);
            let answer = negotiate_answer(&read, &ours);
            check_answer(&read, &ours, &answer);
            let answer = negotiate_answer(&ours, &read);
            check_answer(&ours, &read, &answer);
            let _ = negotiated_codecs(&ours, &read);
            let _ = negotiated_codecs(&read, &ours);
            // Our own answer, read back by the offerer, keeps everything.
            let answer = negotiate_answer(&read, &ours);
            prop_assert_eq!(pts(&negotiated_codecs(&read, &answer)), pts(&answer));
        }
        let prefs: Vec<Codec> = read.iter().rev().map(|c| c.codec.clone()).collect();
        let filtered = filter_by_preferences(&read, &prefs);
        prop_assert!(matches!(filtered, Ok(_) | Err(CodecPreferenceError::NoMediaCodec)));
        for c in read.iter().chain(&default_codecs(MediaKind::Video)) {
            if let Some(plid) = c.codec.parameter("profile-level-id") {
                let _ = (h264_profile(plid), h264_level(plid));
            }
        }
    }

    #[test]
    fn sdp_text_soup_never_panics(lines in proptest::collection::vec(
        (arb_format(), prop_oneof![
            Just("rtpmap"), Just("fmtp"), Just("rtcp-fb"),
        ], prop_oneof![
            "(VP8|H264|rtx|red|opus|PCMU|[a-z]{1,4})/[0-9]{1,6}(/[0-9a-z]{1,2})?",
            arb_fmtp(),
            "(nack|ccm|transport-cc)( pli| fir)?",
        ]),
        0..30,
    ), formats in proptest::collection::vec(arb_format(), 1..10)) {
        let text = format!(
            "m=video 9 UDP/TLS/RTP/SAVPF {}\n{}",
            formats.join(" "),
            lines
                .iter()
                .map(|(f, n, v)| format!("a={n}:{f} {v}\n"))
                .collect::<String>()
        );
        let full = format!("v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n{text}");
        if let Ok(sd) = SessionDescription::parse(&full) {
            for m in &sd.media {
                let read = section_codecs(m);
                for kind in [MediaKind::Audio, MediaKind::Video] {
                    let ours = default_codecs(kind);
                    check_answer(&read, &ours, &negotiate_answer(&read, &ours));
                }
            }
        }
    }

    #[test]
    fn same_codec_is_symmetric_and_reflexive(a in arb_codec(), b in arb_codec()) {
        prop_assert_eq!(same_codec(&a, &b), same_codec(&b, &a));
        let valid_h264 = a.name != CodecName::H264 || ProfileLevelId::of(&a).is_some();
        if valid_h264 {
            prop_assert!(same_codec(&a, &a));
        }
    }
}

#[test]
fn opus_preference_may_carry_receive_parameters() {
    let local = default_codecs(crate::media::MediaKind::Audio);
    let stereo = Codec::new(CodecName::Opus, 48000, Some(2))
        .with_parameter("minptime", "10")
        .with_parameter("useinbandfec", "1")
        .with_parameter("stereo", "1");
    let got = filter_by_preferences(&local, std::slice::from_ref(&stereo)).unwrap();
    assert_eq!(got[0].codec.name, CodecName::Opus);
    assert_eq!(got[0].payload_type, 111);
    assert_eq!(got[0].codec.parameters, stereo.parameters);
    // It is what the answer declares (RFC 7587 §7: the receiver's wishes).
    let offered = default_codecs(crate::media::MediaKind::Audio);
    let answer = negotiate_answer(&offered, &got);
    let opus = answer
        .iter()
        .find(|c| c.codec.name == CodecName::Opus)
        .unwrap();
    assert_eq!(opus.codec.parameter("stereo"), Some("1"));
    // Only RFC 7587 §6.1 parameters with numeric values; not for other codecs.
    for (k, v) in [("foo", "1"), ("stereo", "yes"), ("stereo", "")] {
        let bad = Codec::new(CodecName::Opus, 48000, Some(2)).with_parameter(k, v);
        assert!(filter_by_preferences(&local, &[bad]).is_err(), "{k}={v}");
    }
    let pcmu = Codec::new(CodecName::Pcmu, 8000, None).with_parameter("stereo", "1");
    assert!(filter_by_preferences(&local, &[pcmu]).is_err());
}
