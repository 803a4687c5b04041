//! Fuzz target of the RTCP wire (`rtcp`).

use crate::rtcp::{Compound, CompoundReader, RtcpPacket};

/// `rtcp`: compound and reduced-size RTCP. The reader never panics; every packet that parses
/// re-encodes to `encoded_len` bytes that parse to the same value and re-encode to the same
/// bytes; the reader's and [`Compound::parse`]'s counts agree.
pub fn rtcp(data: &[u8]) {
    let mut reader = CompoundReader::new(data);
    let mut parsed = Vec::new();
    let mut views = 0usize;
    let mut body_error = false;
    for view in &mut reader {
        let Ok(view) = view else {
            break;
        };
        views += 1;
        assert!(view.kind().is_some(), "the reader yields known kinds only");
        assert!(view.body().len() + 4 <= view.as_bytes().len());
        match view.parse() {
            Ok(p) => {
                check_round_trip(&p);
                parsed.push(p);
            }
            Err(_) => body_error = true,
        }
    }
    assert!(
        views + reader.skipped() <= data.len() / 4,
        "each packet is at least 4 bytes"
    );
    match Compound::parse(data) {
        Ok(c) => {
            assert!(
                !reader.has_failed() && !body_error,
                "Compound accepts only what the reader does"
            );
            assert_eq!(c.packets, parsed);
            assert_eq!(c.skipped, reader.skipped());
            let mut out = Vec::new();
            crate::rtcp::encode_compound(&c.packets, &mut out).expect("parsed packets encode");
            let again = Compound::parse(&out).expect("what we write parses");
            assert_eq!(again.packets, c.packets);
            assert_eq!(again.skipped, 0);
        }
        Err(_) => assert!(
            reader.has_failed() || body_error,
            "Compound fails only with a reason"
        ),
    }
}

fn check_round_trip(p: &RtcpPacket) {
    let mut out = Vec::new();
    p.encode(&mut out).expect("a parsed packet encodes");
    assert_eq!(out.len(), p.encoded_len(), "encoded_len agrees with encode");
    let again = RtcpPacket::parse(&out).expect("what we encode parses");
    assert_eq!(&again, p, "round trip");
    let mut out2 = Vec::new();
    again.encode(&mut out2).expect("encodes again");
    assert_eq!(out2, out, "encoding is canonical");
}
