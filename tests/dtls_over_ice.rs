//! The layers so far, end to end: an SDP offer/answer (JSEP) carries ICE credentials,
//! candidates, DTLS fingerprints and setup; ICE selects a pair through lossy links; DTLS runs on
//! the selected pair (RFC 7983 demultiplexing), with its role from `a=setup` and the peer
//! certificate pinned by `a=fingerprint`; application data crosses.

mod common;

use common::{addr, base};
use sansrtc::dtls::{
    Certificate, DtlsConfig, DtlsContext, DtlsEvent, DtlsRole, DtlsState, DtlsTransport,
    FingerprintHash,
};
use sansrtc::ice::{IceAgent, IceConfig};
use sansrtc::net::{Datagram, PacketKind, Protocol, Transmit};
use sansrtc::rng::{RngRoot, Stream};
use sansrtc::sdp::{Jsep, JsepConfig, LocalParams, SdpCandidate, SdpType};
use sansrtc::sim::{HostId, Interface, Limits, LinkConfig, Network, Node};
use std::time::{Duration, Instant};

struct Endpoint {
    ice: IceAgent,
    jsep: Jsep,
    cert: Certificate,
    dtls: Option<DtlsTransport>,
    rng: RngRoot,
    received: Vec<Vec<u8>>,
    dropped_non_dtls: u64,
}

impl Endpoint {
    fn new(name: &str, seed: u64, controlling: bool, address: &str, now: Instant) -> Self {
        let rng = RngRoot::from_seed(seed).child(name, 0);
        let mut ice = IceAgent::new(
            IceConfig {
                controlling,
                ..IceConfig::default()
            },
            &rng,
            now,
        );
        ice.add_local_address(addr(address));
        while ice.poll_event().is_some() {}
        Self {
            ice,
            jsep: Jsep::new(JsepConfig::default(), &mut rng.stream(Stream::Sdp)),
            cert: Certificate::generate(&mut rng.stream(Stream::Certificate)),
            dtls: None,
            rng,
            received: Vec::new(),
            dropped_non_dtls: 0,
        }
    }

    fn local_params(&self) -> LocalParams {
        LocalParams {
            credentials: self.ice.local_credentials().clone(),
            fingerprints: vec![self.cert.fingerprint(FingerprintHash::Sha256)],
            candidates: self
                .ice
                .local_candidates()
                .map(SdpCandidate::from_ice)
                .collect(),
            end_of_candidates: true,
            data_channel: true,
            media: Vec::new(),
        }
    }

    /// Applies what the remote description says to ICE, and starts DTLS once roles are known.
    fn apply_remote(&mut self, ctx: &DtlsContext) {
        let rt = self.jsep.remote_transport().expect("remote transport");
        self.ice.set_remote_credentials(rt.credentials.clone());
        self.ice.set_remote_lite(rt.ice_lite);
        for c in rt.candidates.iter().filter_map(SdpCandidate::to_ice) {
            self.ice.add_remote_candidate(c);
        }
        if rt.end_of_candidates {
            self.ice.end_of_remote_candidates();
        }
        if let Some(client) = self.jsep.is_dtls_client() {
            let role = if client {
                DtlsRole::Client
            } else {
                DtlsRole::Server
            };
            self.dtls = Some(DtlsTransport::new(
                ctx,
                &self.cert,
                role,
                Some(rt.fingerprints),
                self.rng.stream(Stream::Dtls),
            ));
        }
    }

    fn dtls_state(&self) -> Option<DtlsState> {
        self.dtls.as_ref().map(DtlsTransport::state)
    }
}

impl Node for Endpoint {
    fn handle_receive(&mut self, now: Instant, d: Datagram<'_>) {
        if self.ice.handle_receive(now, d) {
            return;
        }
        // RFC 7983: what is not STUN is demultiplexed by its first byte.
        match (PacketKind::of(d.contents), self.dtls.as_mut()) {
            (Ok(PacketKind::Dtls), Some(dtls)) => {
                dtls.handle_receive(now, d.contents);
                while let Some(e) = dtls.poll_event() {
                    if let DtlsEvent::Data(b) = e {
                        self.received.push(b.to_vec());
                    }
                }
            }
            _ => self.dropped_non_dtls += 1,
        }
    }
    fn handle_timeout(&mut self, now: Instant) {
        self.ice.handle_timeout(now);
        while self.ice.poll_event().is_some() {}
        if let Some(d) = self.dtls.as_mut() {
            d.handle_timeout(now);
        }
    }
    fn poll_transmit(&mut self, now: Instant) -> Option<Transmit> {
        if let Some(t) = self.ice.poll_transmit() {
            return Some(t);
        }
        // DTLS goes out on the selected pair only; until there is one its flights wait.
        let (local, remote) = self.ice.selected_pair()?;
        let contents = self.dtls.as_mut()?.poll_transmit(now)?;
        Some(Transmit {
            source: local,
            destination: remote,
            protocol: Protocol::Udp,
            contents,
        })
    }
    fn poll_timeout(&self) -> Option<Instant> {
        let dtls = self.dtls.as_ref().and_then(DtlsTransport::poll_timeout);
        [self.ice.poll_timeout(), dtls].into_iter().flatten().min()
    }
}

fn endpoint(net: &Network, h: HostId) -> &Endpoint {
    net.node::<Endpoint>(h).unwrap()
}

fn dtls_connected(net: &Network, h: HostId) -> bool {
    endpoint(net, h).dtls_state() == Some(DtlsState::Connected)
}

fn session(seed: u64, loss: f64) -> (Network, HostId, HostId) {
    let mut net = Network::new(base(), seed);
    let lan = net.add_segment();
    let link = LinkConfig::ideal()
        .latency(Duration::from_millis(15))
        .jitter(Duration::from_millis(5))
        .loss(loss)
        .mtu(1200);
    let now = net.now();
    let ctx = DtlsContext::new(DtlsConfig::default());
    let mut offerer = Endpoint::new("offerer", seed, true, "10.0.0.1:5000", now);
    let mut answerer = Endpoint::new("answerer", seed, false, "10.0.0.2:6000", now);

    // Offer / answer, as text, the way a signaling channel carries it.
    let offer = offerer.jsep.create_offer(&offerer.local_params()).unwrap();
    let text = offer.to_string();
    offerer
        .jsep
        .set_local_description(sansrtc::sdp::Description {
            kind: SdpType::Offer,
            sdp: offer,
        })
        .unwrap();
    answerer.jsep.set_remote_sdp(SdpType::Offer, &text).unwrap();
    let answer = answerer
        .jsep
        .create_answer(&answerer.local_params())
        .unwrap();
    let text = answer.to_string();
    answerer
        .jsep
        .set_local_description(sansrtc::sdp::Description {
            kind: SdpType::Answer,
            sdp: answer,
        })
        .unwrap();
    answerer.apply_remote(&ctx);
    offerer.jsep.set_remote_sdp(SdpType::Answer, &text).unwrap();
    offerer.apply_remote(&ctx);

    let a = net
        .add_host(
            "offerer",
            [Interface::new(addr("10.0.0.1:0").ip(), lan).link(link.clone())],
            offerer,
        )
        .unwrap();
    let b = net
        .add_host(
            "answerer",
            [Interface::new(addr("10.0.0.2:0").ip(), lan).link(link)],
            answerer,
        )
        .unwrap();
    (net, a, b)
}

#[test]
fn offer_answer_ice_dtls_and_data() {
    let (mut net, a, b) = session(common::seed(1), 0.1);
    // The answerer is the DTLS client (a=setup:active), the offerer the server.
    assert_eq!(endpoint(&net, b).jsep.is_dtls_client(), Some(true));
    assert_eq!(endpoint(&net, a).jsep.is_dtls_client(), Some(false));
    net.run_until(
        |n| dtls_connected(n, a) && dtls_connected(n, b),
        Limits::time(Duration::from_secs(30)),
    )
    .unwrap();
    for (from, to) in [(a, b), (b, a)] {
        let msg = format!("hello from {from:?}").into_bytes();
        net.node_mut::<Endpoint>(from)
            .unwrap()
            .dtls
            .as_mut()
            .unwrap()
            .send(&msg)
            .unwrap();
        // Unreliable: resend until it crosses the 10% loss.
        for _ in 0..20 {
            net.run_for(Duration::from_millis(100)).unwrap();
            if endpoint(&net, to).received.contains(&msg) {
                break;
            }
            net.node_mut::<Endpoint>(from)
                .unwrap()
                .dtls
                .as_mut()
                .unwrap()
                .send(&msg)
                .unwrap();
        }
        assert!(endpoint(&net, to).received.contains(&msg));
    }
    for h in [a, b] {
        assert_eq!(endpoint(&net, h).dropped_non_dtls, 0);
    }
}

#[test]
fn the_whole_session_replays_from_the_seed() {
    let run = |seed| {
        let (mut net, a, b) = session(seed, 0.1);
        net.run_until(
            |n| dtls_connected(n, a) && dtls_connected(n, b),
            Limits::time(Duration::from_secs(30)),
        )
        .unwrap();
        net.trace_hash_hex()
    };
    assert_eq!(run(5), run(5));
    assert_ne!(run(5), run(6));
}
