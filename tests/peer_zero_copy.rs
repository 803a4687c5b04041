//! The data path copies no payload per record (issue 17): a datagram handed over in a buffer of
//! its own (`Peer::handle_receive_buf`) has its DTLS records opened in place, and the data
//! channel messages it carries are slices of that very buffer; and handing datagrams over
//! borrowed or owned puts the same bytes on the wire. (The send side, SCTP writing its packet
//! straight into the DTLS record that is sealed in place, is `dtls::tests::send_with_seals_
//! where_the_plaintext_was_written`.)

mod common;

use common::base;
use common::pair::Pair;
use sansrtc::{Event, PeerConfig};
use std::time::Duration;

fn pair(seed: u64, owned: bool) -> Pair {
    let mut p = Pair::negotiated(
        PeerConfig::new().seed(seed * 2),
        PeerConfig::new().seed(seed * 2 + 1),
        base(),
        |s| s,
    );
    p.owned = owned;
    p.keep_wire = true;
    p.run_until(Duration::from_secs(30), |p| {
        p.a_open && p.b_channel.is_some()
    });
    assert!(
        p.a_open && p.b_channel.is_some(),
        "the pair did not connect"
    );
    p
}

/// Messages that fill most of a packet (the whole-message path) arrive as slices of the buffer
/// the datagram was handed over in: no copy between the socket's buffer and the application.
/// (By design a payload under half its packet is copied, so that a small message cannot pin a
/// large buffer, and a message cut into several packets is reassembled into one buffer: one
/// copy, `sctp::recv`.)
#[test]
fn received_messages_are_slices_of_the_datagram_buffer() {
    let mut p = pair(3, true);
    for size in [700, 1000, 1100] {
        p.a.send_binary(p.channel, vec![size as u8; size]).unwrap();
        let mut message = None;
        for _ in 0..100 {
            // Deliver a's datagrams to b, then look at b's events before the harness does.
            p.deliver();
            if let Some(m) = p.b_got.pop() {
                message = Some(m);
                break;
            }
            p.step();
        }
        let m = message.unwrap_or_else(|| panic!("{size}-byte message not delivered"));
        assert_eq!(&m[..], &vec![size as u8; size][..]);
        let at = m.as_ptr() as usize;
        assert!(
            p.owned_buffers.iter().any(|r| r.contains(&at)),
            "the {size}-byte message was copied out of the datagram's buffer"
        );
    }
}

/// Borrowed (`handle_receive`) and owned (`handle_receive_buf`) delivery are the same to the
/// protocol: the same seed puts the same bytes on the wire both ways, through the handshake, a
/// transfer in both directions and the messages' delivery.
#[test]
fn borrowed_and_owned_delivery_put_the_same_bytes_on_the_wire() {
    let run = |owned: bool| {
        let mut p = pair(9, owned);
        let b = p.b_channel.unwrap();
        for i in 0..20u32 {
            p.a.send_binary(p.channel, vec![i as u8; 100 + 700 * i as usize])
                .unwrap();
            p.b.send_text(b, &"x".repeat(i as usize * 3)).unwrap();
        }
        p.run_for(Duration::from_secs(5));
        assert_eq!(p.b_got.len(), 20);
        assert_eq!(p.a_got.len(), 20);
        assert!(p.a_events.iter().all(|e| !matches!(e, Event::Failed(_))));
        p.wire
    };
    let (borrowed, owned) = (run(false), run(true));
    assert!(borrowed.len() > 100, "{} datagrams", borrowed.len());
    assert_eq!(borrowed, owned);
}

/// `poll_transmit_into` (the record sealed straight in the caller's buffer) and `poll_transmit`
/// give the same datagrams: taken by turns through the handshake, transfers both ways of
/// messages of every size class, and delivery, the wire is byte for byte the one
/// `poll_transmit` alone puts there; and the peers' counters agree.
#[test]
fn poll_transmit_into_puts_the_same_bytes_on_the_wire() {
    let run = |into: bool| {
        let mut p = Pair::negotiated(
            PeerConfig::new().seed(22),
            PeerConfig::new().seed(23),
            base(),
            |s| s,
        );
        p.into = into;
        p.keep_wire = true;
        p.run_until(Duration::from_secs(30), |p| {
            p.a_open && p.b_channel.is_some()
        });
        let b = p.b_channel.expect("connected");
        for i in 0..24u32 {
            p.a.send_binary(p.channel, vec![i as u8; 1 + 1500 * i as usize])
                .unwrap();
            p.b.send_text(b, &"y".repeat(i as usize * 40)).unwrap();
        }
        p.run_for(Duration::from_secs(5));
        assert_eq!((p.a_got.len(), p.b_got.len()), (24, 24));
        let stats = format!("{:?} {:?}", p.a.stats(), p.b.stats());
        (p.wire, stats)
    };
    let (plain, into) = (run(false), run(true));
    assert!(plain.0.len() > 100, "{} datagrams", plain.0.len());
    assert_eq!(plain, into);
}
