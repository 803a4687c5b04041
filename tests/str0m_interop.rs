//! Interop with str0m 0.25 (aws-lc-rs), a WebRTC stack nobody here wrote, in one process over
//! the simulator: both roles (sansrtc offers / str0m offers); SDP as text; the channel opens on
//! both sides; text, binary and empty messages both ways; a 16 MiB SHA-256-checked transfer;
//! several channels at once including an unordered and a partially reliable one; a clean close
//! from each side (../shared/INTEROP.md, "What an interop test asserts").

mod common;

use bytes::Bytes;
use common::peer::{App, app, app_mut, payload};
use common::{addr, base};
use sansrtc::dtls::{DtlsConfig, DtlsContext};
use sansrtc::net::{Datagram, Protocol, Transmit};
use sansrtc::sdp::SdpType;
use sansrtc::sim::{HostId, Interface, Limits, LinkConfig, Network, Node};
use sansrtc::{ChannelOptions, Event as PeerEvent, PeerConfig, PeerConnectionState};
use sha2::{Digest, Sha256};
use std::collections::VecDeque;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};
use str0m::change::{SdpAnswer, SdpOffer, SdpPendingOffer};
use str0m::channel::{ChannelConfig, ChannelId, Reliability};
use str0m::net::{DatagramRecv, Receive};
use str0m::{Candidate, Event, Input, Output, Rtc};

const SANS: &str = "10.0.0.1:5000";
const STR0M: &str = "10.0.0.2:6000";

fn context() -> Arc<DtlsContext> {
    static CTX: OnceLock<Arc<DtlsContext>> = OnceLock::new();
    CTX.get_or_init(|| Arc::new(DtlsContext::new(DtlsConfig::default())))
        .clone()
}

/// What str0m received on one channel.
#[derive(Default)]
struct Sink {
    messages: Vec<(bool, Vec<u8>)>,
    bytes: u64,
    hash: Sha256,
    keep: bool,
}

/// A str0m `Rtc` as a simulated host. str0m's rule: after every input, drain `poll_output`
/// until it returns a timeout.
struct Str0m {
    rtc: Rtc,
    out: VecDeque<Transmit>,
    timeout: Option<Instant>,
    opened: Vec<(ChannelId, String)>,
    closed: Vec<ChannelId>,
    /// Per channel (str0m's ids are not `Ord`; a handful of channels).
    sinks: Vec<(ChannelId, Sink)>,
    /// (channel, total, sent, hash of what was sent)
    pump: Option<(ChannelId, u64, u64, Sha256)>,
    connected: bool,
    errors: Vec<String>,
}

impl Str0m {
    fn new(now: Instant) -> Self {
        let mut rtc = Rtc::new(now);
        let local = addr(STR0M);
        rtc.add_local_candidate(Candidate::host(local, "udp").unwrap())
            .unwrap();
        Self {
            rtc,
            out: VecDeque::new(),
            timeout: None,
            opened: Vec::new(),
            closed: Vec::new(),
            sinks: Vec::new(),
            pump: None,
            connected: false,
            errors: Vec::new(),
        }
    }

    fn drain(&mut self) {
        loop {
            self.fill();
            match self.rtc.poll_output() {
                Ok(Output::Timeout(t)) => {
                    self.timeout = Some(t);
                    return;
                }
                Ok(Output::Transmit(t)) => self.out.push_back(Transmit {
                    source: t.source,
                    destination: t.destination,
                    protocol: Protocol::Udp,
                    contents: Bytes::copy_from_slice(&t.contents),
                }),
                Ok(Output::Event(e)) => match e {
                    Event::Connected => self.connected = true,
                    Event::ChannelOpen(id, label) => self.opened.push((id, label)),
                    Event::ChannelData(d) => {
                        let s = self.sink(d.id);
                        s.bytes += d.data.len() as u64;
                        s.hash.update(&d.data);
                        if s.keep || s.bytes < 1 << 20 {
                            s.messages.push((d.binary, d.data));
                        }
                    }
                    Event::ChannelClose(id) => self.closed.push(id),
                    _ => {}
                },
                Err(e) => {
                    self.errors.push(e.to_string());
                    self.timeout = None;
                    return;
                }
            }
        }
    }

    /// Keeps about 1 MiB buffered on the pumped channel.
    fn fill(&mut self) {
        let Some((id, total, sent, hash)) = self.pump.as_mut() else {
            return;
        };
        while *sent < *total {
            let Some(mut ch) = self.rtc.channel(*id) else {
                return;
            };
            if ch.buffered_amount() > 1 << 20 {
                return;
            }
            let n = (*total - *sent).min(16 * 1024) as usize;
            let data = payload(*sent, n);
            match ch.write(true, &data) {
                Ok(true) => {
                    hash.update(&data);
                    *sent += n as u64;
                }
                _ => return,
            }
        }
    }

    fn sink(&mut self, id: ChannelId) -> &mut Sink {
        let i = match self.sinks.iter().position(|(x, _)| *x == id) {
            Some(i) => i,
            None => {
                self.sinks.push((id, Sink::default()));
                self.sinks.len() - 1
            }
        };
        &mut self.sinks[i].1
    }

    fn sink_ref(&self, id: ChannelId) -> Option<&Sink> {
        self.sinks.iter().find(|(x, _)| *x == id).map(|(_, s)| s)
    }

    fn channel_id(&self, label: &str) -> Option<ChannelId> {
        self.opened
            .iter()
            .find(|(_, l)| l == label)
            .map(|(id, _)| *id)
    }

    fn write(&mut self, id: ChannelId, binary: bool, data: &[u8]) {
        let ok = self
            .rtc
            .channel(id)
            .expect("open channel")
            .write(binary, data);
        assert!(matches!(ok, Ok(true)), "str0m refused a write: {ok:?}");
        self.drain();
    }
}

impl Node for Str0m {
    fn handle_receive(&mut self, now: Instant, d: Datagram<'_>) {
        let Ok(contents) = DatagramRecv::try_from(d.contents) else {
            return;
        };
        let input = Input::Receive(
            now,
            Receive {
                proto: str0m::net::Protocol::Udp,
                source: d.source,
                destination: d.destination,
                contents,
            },
        );
        if let Err(e) = self.rtc.handle_input(input) {
            self.errors.push(e.to_string());
        }
        self.drain();
    }
    fn handle_timeout(&mut self, now: Instant) {
        if let Err(e) = self.rtc.handle_input(Input::Timeout(now)) {
            self.errors.push(e.to_string());
        }
        self.drain();
    }
    fn poll_transmit(&mut self, _: Instant) -> Option<Transmit> {
        self.out.pop_front()
    }
    fn poll_timeout(&self) -> Option<Instant> {
        self.timeout
    }
}

fn str0m(net: &Network, h: HostId) -> &Str0m {
    net.node::<Str0m>(h).expect("str0m")
}

fn str0m_mut(net: &mut Network, h: HostId) -> &mut Str0m {
    net.node_mut::<Str0m>(h).expect("str0m")
}

/// Which side writes the offer.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Offerer {
    Sansrtc,
    Str0m,
}

/// A LAN with a little latency and loss; the two peers negotiated; returns (net, sansrtc, str0m,
/// label of the first channel). The offerer creates a reliable channel "chat".
fn session(seed: u64, offerer: Offerer) -> (Network, HostId, HostId) {
    let mut net = Network::new(base(), seed);
    let lan = net.add_segment();
    let link = LinkConfig::ideal()
        .latency(Duration::from_millis(10))
        .jitter(Duration::from_millis(1))
        .loss(0.005);
    let now = net.now();
    let mut sans = App::new(PeerConfig::new().seed(seed).dtls_context(context()), now);
    sans.peer.add_local_address(addr(SANS));
    let mut other = Str0m::new(now);
    match offerer {
        Offerer::Sansrtc => {
            sans.create("chat", ChannelOptions::default());
            let offer = sans.peer.create_offer().unwrap();
            sans.peer.set_local_description(offer.clone()).unwrap();
            let offer = SdpOffer::from_sdp_string(&offer.sdp.to_string()).expect("str0m parses");
            let answer = other
                .rtc
                .sdp_api()
                .accept_offer(offer)
                .expect("str0m answers");
            sans.peer
                .set_remote_sdp(SdpType::Answer, &answer.to_sdp_string())
                .expect("sansrtc takes str0m's answer");
        }
        Offerer::Str0m => {
            let mut api = other.rtc.sdp_api();
            api.add_channel("chat".into());
            let (offer, pending): (SdpOffer, SdpPendingOffer) = api.apply().unwrap();
            sans.peer
                .set_remote_sdp(SdpType::Offer, &offer.to_sdp_string())
                .expect("sansrtc takes str0m's offer");
            let answer = sans.peer.create_answer().unwrap();
            sans.peer.set_local_description(answer.clone()).unwrap();
            let answer = SdpAnswer::from_sdp_string(&answer.sdp.to_string()).expect("str0m parses");
            other
                .rtc
                .sdp_api()
                .accept_answer(pending, answer)
                .expect("str0m takes our answer");
        }
    }
    sans.drain();
    other.drain();
    let s = net
        .add_host(
            "sansrtc",
            [Interface::new(addr(SANS).ip(), lan).link(link.clone())],
            sans,
        )
        .unwrap();
    let o = net
        .add_host(
            "str0m",
            [Interface::new(addr(STR0M).ip(), lan).link(link)],
            other,
        )
        .unwrap();
    (net, s, o)
}

#[track_caller]
fn run(net: &mut Network, secs: u64, done: impl FnMut(&Network) -> bool) {
    net.run_until(done, Limits::time(Duration::from_secs(secs)))
        .unwrap();
}

/// The sansrtc handle of a channel by label (ours or the remote's).
fn sans_channel(net: &Network, h: HostId, label: &str) -> Option<sansrtc::ChannelId> {
    let a = app(net, h);
    a.log.iter().find_map(|(_, e)| match e {
        PeerEvent::DataChannel { id, label: l, .. } if l == label => Some(*id),
        PeerEvent::ChannelOpen(id) if a.peer.channel_info(*id).is_some_and(|(l, _)| l == label) => {
            Some(*id)
        }
        _ => None,
    })
}

fn interop(offerer: Offerer, seed: u64) {
    let (mut net, s, o) = session(seed, offerer);

    // 1. The channel opens on both sides.
    run(&mut net, 30, |n| {
        sans_channel(n, s, "chat").is_some() && str0m(n, o).channel_id("chat").is_some()
    });
    assert_eq!(app(&net, s).state(), PeerConnectionState::Connected);
    let sc = sans_channel(&net, s, "chat").unwrap();
    let oc = str0m(&net, o).channel_id("chat").unwrap();

    // 2. Text, binary and empty messages both ways.
    {
        let p = &mut app_mut(&mut net, s).peer;
        p.send_text(sc, "hello str0m").unwrap();
        p.send_binary(sc, vec![0u8, 1, 2, 255]).unwrap();
        p.send_text(sc, "").unwrap();
        p.send_binary(sc, Vec::new()).unwrap();
    }
    str0m_mut(&mut net, o).sink(oc).keep = true;
    {
        let x = str0m_mut(&mut net, o);
        x.write(oc, false, b"hello sansrtc");
        x.write(oc, true, &[9, 8, 7]);
        // Not sent from str0m: empty messages. KNOWN str0m BUG (0.25 with sctp-proto 0.10.8):
        // an empty write picks PPID 56 / 57 but `Stream::packetize` turns an empty buffer into
        // no chunk while still consuming a stream sequence number, so nothing is sent (RFC 8831
        // §6.6: one byte with the "empty" PPID) and every later ordered message on the channel
        // waits for the missing SSN forever, in any receiver. Seen here first: the next message
        // never arrived. sansrtc → str0m empties are checked above and arrive.
        x.write(oc, false, b"third");
    }
    run(&mut net, 10, |n| {
        str0m(n, o)
            .sink_ref(oc)
            .is_some_and(|k| k.messages.len() == 4)
            && app(n, s)
                .sinks
                .get(&sc)
                .is_some_and(|k| k.messages.len() == 3)
    });
    let got = &str0m(&net, o).sink_ref(oc).unwrap().messages;
    assert_eq!(got[0], (false, b"hello str0m".to_vec()));
    assert_eq!(got[1], (true, vec![0, 1, 2, 255]));
    assert_eq!(got[2], (false, Vec::new()), "empty string");
    assert_eq!(got[3], (true, Vec::new()), "empty binary");
    let got = &app(&net, s).sinks[&sc].messages;
    assert_eq!(got[0].text(), Some("hello sansrtc"));
    assert!(got[1].binary && got[1].data[..] == [9, 8, 7]);
    assert_eq!(got[2].text(), Some("third"));
    let sctp = app(&net, s).peer.stats().sctp.unwrap();
    assert_eq!(
        sctp.dropped,
        Default::default(),
        "nothing str0m sent was refused"
    );

    // 3. Several channels at once, from both sides: unordered, partially reliable (by count
    //    and by time), reliable.
    let kinds = [
        ("s-unordered", false, Some(3), None),
        ("s-lifetime", true, None, Some(400)),
        ("s-reliable", true, None, None),
    ];
    let mut ours = Vec::new();
    for (label, ordered, rexmit, life) in kinds {
        let mut options = ChannelOptions::new().ordered(ordered).protocol("proto-x");
        options.max_retransmits = rexmit;
        options.max_packet_life_time = life.map(Duration::from_millis);
        let id = app_mut(&mut net, s).create(label, options);
        ours.push((label, id));
    }
    for (label, ordered, reliability) in [
        (
            "o-unordered",
            false,
            Reliability::MaxRetransmits { retransmits: 2 },
        ),
        ("o-reliable", true, Reliability::Reliable),
    ] {
        let x = str0m_mut(&mut net, o);
        x.rtc.direct_api().create_data_channel(ChannelConfig {
            label: label.into(),
            ordered,
            reliability,
            negotiated: None,
            protocol: String::new(),
        });
        x.drain();
    }
    run(&mut net, 10, |n| {
        ours.iter()
            .all(|(l, _)| str0m(n, o).channel_id(l).is_some())
            && ["o-unordered", "o-reliable"]
                .iter()
                .all(|l| sans_channel(n, s, l).is_some() && str0m(n, o).channel_id(l).is_some())
    });
    // The remote's options arrived through DCEP.
    let ou = sans_channel(&net, s, "o-unordered").unwrap();
    let (_, opts) = app(&net, s).peer.channel_info(ou).unwrap();
    assert!(!opts.ordered);
    assert_eq!(opts.max_retransmits, Some(2));
    for (label, id) in &ours {
        for k in 0..20u64 {
            app_mut(&mut net, s)
                .peer
                .send_binary(*id, payload(k, 700))
                .unwrap();
        }
        let _ = label;
    }
    for label in ["o-unordered", "o-reliable"] {
        let id = str0m(&net, o).channel_id(label).unwrap();
        for k in 0..20u64 {
            str0m_mut(&mut net, o).write(id, true, &payload(k, 700));
        }
    }
    run(&mut net, 20, |n| {
        let theirs = ours.iter().all(|(l, _)| {
            let id = str0m(n, o).channel_id(l).unwrap();
            str0m(n, o)
                .sink_ref(id)
                .is_some_and(|k| k.bytes == 20 * 700)
        });
        let mine = ["o-unordered", "o-reliable"].iter().all(|l| {
            let id = sans_channel(n, s, l).unwrap();
            app(n, s)
                .sinks
                .get(&id)
                .is_some_and(|k| k.bytes == 20 * 700)
        });
        theirs && mine
    });

    // 4. A 16 MiB transfer, SHA-256 checked: sansrtc → str0m when sansrtc offered, str0m →
    //    sansrtc otherwise (both directions across the two roles).
    let total: u64 = 16 << 20;
    let ol = str0m(&net, o).channel_id("s-reliable").unwrap();
    let sl = ours[2].1;
    if offerer == Offerer::Sansrtc {
        *str0m_mut(&mut net, o).sink(ol) = Sink::default();
        app_mut(&mut net, s).add_pump(sl, total, 16 * 1024);
        run(&mut net, 600, |n| {
            str0m(n, o).sink_ref(ol).is_some_and(|k| k.bytes == total)
        });
        assert_eq!(
            app(&net, s).pumps[0].hash.clone().finalize(),
            str0m(&net, o).sink_ref(ol).unwrap().hash.clone().finalize()
        );
    } else {
        let id = str0m(&net, o).channel_id("o-reliable").unwrap();
        let mine = sans_channel(&net, s, "o-reliable").unwrap();
        app_mut(&mut net, s).keep_messages = false;
        app_mut(&mut net, s).sinks.remove(&mine);
        {
            let x = str0m_mut(&mut net, o);
            x.pump = Some((id, total, 0, Sha256::new()));
            x.drain();
        }
        run(&mut net, 600, |n| app(n, s).received(mine) == total);
        let sent = str0m(&net, o).pump.as_ref().unwrap().3.clone().finalize();
        assert_eq!(sent, app(&net, s).sinks[&mine].hash.clone().finalize());
    }

    // 5. A clean close from each side: sansrtc closes "s-unordered", str0m closes "o-reliable".
    let (_, su) = ours[0];
    let osu = str0m(&net, o).channel_id("s-unordered").unwrap();
    app_mut(&mut net, s).peer.close_channel(su).unwrap();
    let orl = str0m(&net, o).channel_id("o-reliable").unwrap();
    let srl = sans_channel(&net, s, "o-reliable").unwrap();
    {
        let x = str0m_mut(&mut net, o);
        x.rtc.direct_api().close_data_channel(orl);
        x.drain();
    }
    run(&mut net, 20, |n| {
        app(n, s).closed(su)
            && app(n, s).closed(srl)
            && str0m(n, o).closed.contains(&osu)
            && str0m(n, o).closed.contains(&orl)
    });
    // The others are untouched.
    let chat_ok = app(&net, s).peer.channel_state(sc) == Some(sansrtc::ChannelState::Open);
    assert!(chat_ok);
    assert!(
        str0m(&net, o).errors.is_empty(),
        "str0m errors: {:?}",
        str0m(&net, o).errors
    );
    let d = app(&net, s).peer.stats().dropped;
    assert_eq!(
        d.dcep_malformed + d.messages_unknown_ppid + d.channels_refused,
        0,
        "{d:?}"
    );
}

#[test]
fn sansrtc_offers_str0m_answers() {
    interop(Offerer::Sansrtc, common::seed(1));
}

#[test]
fn str0m_offers_sansrtc_answers() {
    interop(Offerer::Str0m, common::seed(2));
}
