//! The `serde` feature against real browser objects: Chromium's `JSON.stringify` of its
//! descriptions and candidates (tests/fixtures/browser_json, captured from Chromium 156) parse as
//! they are, and what we write has their shape.
#![cfg(feature = "serde")]

mod common;

use common::pair::Pair;
use sansrtc::IceCandidateInit;
use sansrtc::sdp::{CandidateAddress, Description, SdpType};
use serde_json::Value;
use std::time::Duration;

fn fixture(name: &str) -> String {
    let path = format!(
        "{}/tests/fixtures/browser_json/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn keys(v: &Value) -> Vec<&str> {
    v.as_object().unwrap().keys().map(String::as_str).collect()
}

#[test]
fn browser_descriptions_parse_and_ours_have_their_shape() {
    for (name, kind) in [
        ("chrome_offer_init.json", SdpType::Offer),
        ("chrome_answer_init.json", SdpType::Answer),
        ("chrome_local_description_offer.json", SdpType::Offer),
        ("chrome_local_description_answer.json", SdpType::Answer),
        (
            "chrome_local_description_offer_after_gathering.json",
            SdpType::Offer,
        ),
        (
            "chrome_local_description_answer_after_gathering.json",
            SdpType::Answer,
        ),
    ] {
        let text = fixture(name);
        let d: Description = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(d.kind, kind, "{name}");
        assert_eq!(d.sdp.media[0].kind, "application", "{name}");
        // Ours: exactly the two members, the same SDP back.
        let ours: Value = serde_json::to_value(&d).unwrap();
        let theirs: Value = serde_json::from_str(&text).unwrap();
        let mut k = keys(&ours);
        k.sort_unstable();
        let mut t = keys(&theirs);
        t.sort_unstable();
        assert_eq!(k, t, "{name}");
        assert_eq!(ours["type"], theirs["type"]);
        let again = Description::parse(kind, ours["sdp"].as_str().unwrap()).unwrap();
        assert_eq!(again, d, "{name}: the SDP survives the round trip");
    }
    // Rollback: `{"type":"rollback","sdp":""}`, both ways, byte for byte.
    let text = fixture("chrome_rollback_description.json");
    let d: Description = serde_json::from_str(&text).unwrap();
    assert_eq!(d.kind, SdpType::Rollback);
    assert_eq!(serde_json::to_string(&d).unwrap(), text);
    // Unknown types are refused.
    assert!(serde_json::from_str::<Description>(r#"{"type":"nope","sdp":""}"#).is_err());
}

#[test]
fn browser_candidates_parse_and_ours_are_byte_identical() {
    for name in ["chrome_pc1_candidate_1.json", "chrome_pc2_candidate_1.json"] {
        let text = fixture(name);
        let c: IceCandidateInit =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        let cand = c.candidate.as_ref().expect("a candidate");
        // Chromium hides host addresses behind mDNS names.
        assert!(
            matches!(&cand.address, CandidateAddress::Name(n) if n.ends_with(".local")),
            "{name}"
        );
        assert_eq!(c.sdp_mid.as_deref(), Some("0"));
        assert_eq!(c.sdp_m_line_index, Some(0));
        assert!(c.username_fragment.is_some());
        // Written back: the browser's own text, member order and candidate extensions included.
        assert_eq!(serde_json::to_string(&c).unwrap(), text, "{name}");
    }
    // End-of-candidates: an empty candidate.
    let text = fixture("chrome_end_of_candidates.json");
    let c: IceCandidateInit = serde_json::from_str(&text).unwrap();
    assert!(c.is_end_of_candidates());
    assert_eq!(c.username_fragment.as_deref(), Some("abcd"));
    assert_eq!(serde_json::to_string(&c).unwrap(), text);
    // Made from a candidate and a mid only: no m-line index member, an empty ufrag.
    let c: IceCandidateInit =
        serde_json::from_str(&fixture("chrome_candidate_mid_only.json")).unwrap();
    assert!(c.candidate.is_some());
    assert_eq!(c.sdp_m_line_index, None);
    assert_eq!(c.username_fragment, None);
    // The final `icecandidate` event's null is not a candidate.
    assert!(
        serde_json::from_str::<IceCandidateInit>(&fixture("chrome_pc1_candidate_2.json")).is_err()
    );
    // Unknown fields are written as null, as RTCIceCandidateInit accepts them.
    let bare = IceCandidateInit::new(
        "candidate:1 1 udp 2130706431 10.0.0.1 5000 typ host"
            .parse()
            .unwrap(),
    );
    assert_eq!(
        serde_json::to_string(&bare).unwrap(),
        r#"{"candidate":"candidate:1 1 udp 2130706431 10.0.0.1 5000 typ host","sdpMid":null,"sdpMLineIndex":null,"usernameFragment":null}"#
    );
    assert!(
        serde_json::from_str::<IceCandidateInit>(r#"{"candidate":"candidate:garbage"}"#).is_err()
    );
}

/// Our stats entries in JSON have the member names (and JSON types) of the same entries in
/// Chromium's `getStats()`, every one of them; Chromium has more (timestamps, counters we do not
/// keep yet) and those are listed, not silently ignored.
#[test]
fn stats_entries_have_the_browser_member_names() {
    let mut p = Pair::with_seed(9, common::base());
    p.a.send_text(p.channel, "hello").unwrap();
    p.run_for(Duration::from_secs(8));
    let ours: Value = serde_json::to_value(p.a.get_stats(p.now)).unwrap();
    let ours = ours.as_object().unwrap();
    for (ty, file, chrome_only) in [
        (
            "peer-connection",
            "chrome_stats_peer_connection.json",
            &["timestamp"][..],
        ),
        (
            "transport",
            "chrome_stats_transport.json",
            &["timestamp", "srtpCipher"][..],
        ),
        (
            "candidate-pair",
            "chrome_stats_candidate_pair.json",
            &[
                "timestamp",
                "bytesDiscardedOnSend",
                "packetsDiscardedOnSend",
                "lastPacketReceivedTimestamp",
                "lastPacketSentTimestamp",
                "writable",
            ][..],
        ),
        (
            "local-candidate",
            "chrome_stats_local_candidate.json",
            &["timestamp", "networkType"][..],
        ),
        (
            "remote-candidate",
            "chrome_stats_remote_candidate.json",
            &["timestamp"][..],
        ),
        (
            "certificate",
            "chrome_stats_certificate.json",
            &["timestamp"][..],
        ),
        (
            "data-channel",
            "chrome_stats_data_channel.json",
            &["timestamp"][..],
        ),
    ] {
        let chrome: Value = serde_json::from_str(&fixture(file)).unwrap();
        let chrome = chrome.as_object().unwrap();
        assert_eq!(chrome["type"], ty);
        let entry = ours
            .values()
            .find(|e| e["type"] == ty)
            .unwrap_or_else(|| panic!("no {ty} entry: {ours:?}"))
            .as_object()
            .unwrap();
        assert_eq!(
            entry["id"],
            *ours.iter().find(|(_, e)| e["type"] == ty).unwrap().0
        );
        for (k, v) in entry {
            let Some(theirs) = chrome.get(k) else {
                panic!("{ty}: member {k} is not in Chromium's entry {chrome:?}");
            };
            let same_kind = matches!(
                (v, theirs),
                (Value::String(_), Value::String(_))
                    | (Value::Number(_), Value::Number(_))
                    | (Value::Bool(_), Value::Bool(_))
            );
            assert!(same_kind, "{ty}.{k}: ours {v}, Chromium's {theirs}");
        }
        for k in chrome.keys() {
            assert!(
                entry.contains_key(k) || chrome_only.contains(&k.as_str()),
                "{ty}: Chromium's member {k} is missing from ours {entry:?}"
            );
        }
    }
}
