//! A crate outside the repository that depends on sansrtc by path, as a user's would: CI copies
//! this file into a throwaway crate and runs it. It proves the published shape builds with
//! dependencies resolved from the registry alone (no `[patch]`, no vendored code), then runs a
//! two-peer exchange over a data channel.

use sansrtc::{Event, Peer, PeerConfig};
use std::time::{Duration, Instant};

fn main() {
    let mut now = Instant::now();
    let mut alice = Peer::new(PeerConfig::new().seed(1), now);
    let mut bob = Peer::new(PeerConfig::new().seed(2), now);
    alice.add_local_address("10.0.0.1:5000".parse().unwrap());
    bob.add_local_address("10.0.0.2:5000".parse().unwrap());
    let chat = alice
        .create_data_channel("chat", Default::default())
        .unwrap();
    let offer = alice.create_offer().unwrap();
    alice.set_local_description(offer.clone()).unwrap();
    bob.set_remote_sdp(sansrtc::sdp::SdpType::Offer, &offer.sdp.to_string())
        .unwrap();
    let answer = bob.create_answer().unwrap();
    bob.set_local_description(answer.clone()).unwrap();
    alice
        .set_remote_sdp(sansrtc::sdp::SdpType::Answer, &answer.sdp.to_string())
        .unwrap();
    let mut got = None;
    let mut sent = false;
    for _ in 0..10_000 {
        let mut idle = true;
        while let Some(t) = alice.poll_transmit(now) {
            bob.handle_receive(now, t.as_datagram());
            idle = false;
        }
        while let Some(t) = bob.poll_transmit(now) {
            alice.handle_receive(now, t.as_datagram());
            idle = false;
        }
        while let Some(e) = alice.poll_event() {
            if e == Event::ChannelOpen(chat) && !sent {
                alice.send_text(chat, "hello bob").unwrap();
                sent = true;
            }
        }
        while let Some(e) = bob.poll_event() {
            if let Event::ChannelMessage(m) = e {
                got = m.text().map(str::to_owned);
            }
        }
        if got.is_some() {
            break;
        }
        if idle {
            let next = [alice.poll_timeout(), bob.poll_timeout()]
                .into_iter()
                .flatten()
                .min();
            now = next.unwrap_or(now + Duration::from_millis(10)).max(now);
            alice.handle_timeout(now);
            bob.handle_timeout(now);
        }
    }
    assert_eq!(got.as_deref(), Some("hello bob"));
    println!("consumer: hello bob arrived");
}
