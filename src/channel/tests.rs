use super::*;
use proptest::prelude::*;

#[test]
fn open_matches_rfc_8832_layout() {
    // RFC 8832 §5.1: type 0x03, channel type, priority, reliability parameter, label length,
    // protocol length, label, protocol. A partially reliable unordered channel (0x81) with 3
    // retransmissions, priority 512, label "chat", protocol "x".
    let m = DcepMessage::Open(DcepOpen {
        ordered: false,
        reliability: Reliability::MaxRetransmits(3),
        priority: 512,
        label: "chat".into(),
        protocol: "x".into(),
    });
    let b = m.to_bytes();
    assert_eq!(
        b,
        [
            3, 0x81, 2, 0, 0, 0, 0, 3, 0, 4, 0, 1, b'c', b'h', b'a', b't', b'x'
        ]
    );
    assert_eq!(b.len(), m.encoded_len());
    assert_eq!(DcepMessage::parse(&b), Ok(m));
}

#[test]
fn ack_is_one_byte() {
    assert_eq!(DcepMessage::Ack.to_bytes(), [2]);
    assert_eq!(DcepMessage::parse(&[2]), Ok(DcepMessage::Ack));
    assert_eq!(DcepMessage::parse(&[2, 0]), Err(DcepError::Trailing));
}

#[test]
fn timed_channel_carries_milliseconds() {
    let b = [3, 0x02, 1, 0, 0, 0, 0x01, 0xF4, 0, 0, 0, 0];
    let DcepMessage::Open(o) = DcepMessage::parse(&b).unwrap() else {
        panic!("open expected")
    };
    assert!(o.ordered);
    assert_eq!(
        o.reliability,
        Reliability::MaxPacketLifeTime(Duration::from_millis(500))
    );
    assert_eq!(o.priority, 256);
}

#[test]
fn reliable_ignores_the_parameter() {
    // RFC 8832 §5.1: "ignored" for DATA_CHANNEL_RELIABLE.
    let b = [3, 0x80, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0];
    let DcepMessage::Open(o) = DcepMessage::parse(&b).unwrap() else {
        panic!("open expected")
    };
    assert_eq!(o.reliability, Reliability::Reliable);
    assert!(!o.ordered);
}

#[test]
fn malformed_is_an_error() {
    assert_eq!(DcepMessage::parse(&[]), Err(DcepError::Truncated));
    assert_eq!(DcepMessage::parse(&[3, 0, 0]), Err(DcepError::Truncated));
    assert_eq!(DcepMessage::parse(&[9]), Err(DcepError::UnknownType(9)));
    assert_eq!(
        DcepMessage::parse(&[3, 0x03, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
        Err(DcepError::UnknownChannelType(3))
    );
    // Label length 2 with one byte present.
    assert_eq!(
        DcepMessage::parse(&[3, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, b'a']),
        Err(DcepError::Truncated)
    );
    assert_eq!(
        DcepMessage::parse(&[3, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0xFF]),
        Err(DcepError::NotUtf8)
    );
    assert_eq!(
        DcepMessage::parse(&[3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]),
        Err(DcepError::Trailing)
    );
}

#[test]
fn over_long_label_is_clipped_on_a_char_boundary() {
    let label = "é".repeat(40_000); // 80,000 bytes
    let m = DcepMessage::Open(DcepOpen {
        ordered: true,
        reliability: Reliability::Reliable,
        priority: 256,
        label,
        protocol: String::new(),
    });
    let b = m.to_bytes();
    let DcepMessage::Open(o) = DcepMessage::parse(&b).unwrap() else {
        panic!("open expected")
    };
    assert_eq!(o.label.len(), 65534);
}

#[test]
fn options_reliability() {
    let mut o = ChannelOptions::default();
    assert_eq!(o.reliability(), Some(Reliability::Reliable));
    o.max_retransmits = Some(0);
    assert_eq!(o.reliability(), Some(Reliability::MaxRetransmits(0)));
    o.max_packet_life_time = Some(Duration::from_millis(5));
    assert_eq!(o.reliability(), None);
}

fn arb_open() -> impl Strategy<Value = DcepMessage> {
    (
        any::<bool>(),
        prop_oneof![
            Just(Reliability::Reliable),
            any::<u16>().prop_map(Reliability::MaxRetransmits),
            (0u64..=u64::from(u32::MAX))
                .prop_map(|ms| Reliability::MaxPacketLifeTime(Duration::from_millis(ms))),
        ],
        any::<u16>(),
        ".{0,40}",
        ".{0,20}",
    )
        .prop_map(|(ordered, reliability, priority, label, protocol)| {
            DcepMessage::Open(DcepOpen {
                ordered,
                reliability,
                priority,
                label,
                protocol,
            })
        })
}

proptest! {
    #[test]
    fn round_trip(m in prop_oneof![Just(DcepMessage::Ack), arb_open()]) {
        let b = m.to_bytes();
        prop_assert_eq!(b.len(), m.encoded_len());
        prop_assert_eq!(DcepMessage::parse(&b), Ok(m));
    }

    #[test]
    fn parse_never_panics(b in proptest::collection::vec(any::<u8>(), 0..64)) {
        if let Ok(m) = DcepMessage::parse(&b) {
            // Whatever parses re-encodes to the same bytes, except the ignored reliability
            // parameter of reliable channels and the clamped retransmission counts.
            let again = DcepMessage::parse(&m.to_bytes());
            prop_assert_eq!(again, Ok(m));
        }
    }
}

/// Label and protocol at the 16-bit length boundary (RFC 8832 §5.1): 65535 bytes are carried
/// whole; a longer one is clipped to the longest prefix that fits, on a character boundary, and
/// the lengths written agree with the bytes (`encoded_len` too).
#[test]
fn open_label_at_the_16_bit_boundary() {
    let exact = "a".repeat(65535);
    // 65534 ASCII bytes then a 3-byte character: 65537 bytes, clipped to the 65534.
    let long = format!("{}€", "b".repeat(65534));
    for (label, want) in [
        (exact.clone(), exact.as_str()),
        (long.clone(), &long[..65534]),
    ] {
        let m = DcepMessage::Open(DcepOpen {
            ordered: true,
            reliability: Reliability::Reliable,
            priority: 0,
            label: label.clone(),
            protocol: label.clone(),
        });
        let b = m.to_bytes();
        assert_eq!(b.len(), m.encoded_len());
        match DcepMessage::parse(&b) {
            Ok(DcepMessage::Open(o)) => {
                assert_eq!(o.label, want);
                assert_eq!(o.protocol, want);
            }
            other => panic!("{other:?}"),
        }
    }
}
