//! ICE agents as sim nodes, with a trickle signaling channel driven by the test.
#![allow(dead_code)]

use sansrtc::ice::{Candidate, IceAgent, IceConfig, IceConnectionState, IceEvent};
use sansrtc::net::{Datagram, Transmit};
use sansrtc::rng::RngRoot;
use sansrtc::sim::{HostId, Limits, Network, Node, SimError};
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// An agent on a host: records events, keeps gathered candidates for signaling, and echoes
/// non-STUN data back over the selected pair so tests can prove the path carries traffic.
pub struct IceNode {
    pub agent: IceAgent,
    pub events: Vec<(Instant, IceEvent)>,
    pub states: Vec<(Instant, IceConnectionState)>,
    pub outbox: VecDeque<(Instant, Candidate)>,
    pub gathering_done: bool,
    pub data_received: Vec<(Instant, SocketAddr, Vec<u8>)>,
    extra: VecDeque<Transmit>,
}

impl IceNode {
    pub fn new(config: IceConfig, seed: u64, now: Instant, addresses: &[SocketAddr]) -> Self {
        let mut agent = IceAgent::new(config, &RngRoot::from_seed(seed), now);
        for a in addresses {
            agent.add_local_address(*a);
        }
        let mut n = Self {
            agent,
            events: Vec::new(),
            states: Vec::new(),
            outbox: VecDeque::new(),
            gathering_done: false,
            data_received: Vec::new(),
            extra: VecDeque::new(),
        };
        n.drain(now);
        n
    }

    pub fn drain(&mut self, now: Instant) {
        while let Some(e) = self.agent.poll_event() {
            match &e {
                IceEvent::LocalCandidate(c) => self.outbox.push_back((now, c.clone())),
                IceEvent::GatheringComplete => self.gathering_done = true,
                IceEvent::StateChange(s) => self.states.push((now, *s)),
                _ => {}
            }
            self.events.push((now, e));
        }
    }

    pub fn state(&self) -> IceConnectionState {
        self.agent.state()
    }

    pub fn is_connected(&self) -> bool {
        matches!(
            self.state(),
            IceConnectionState::Connected | IceConnectionState::Completed
        )
    }

    /// Sends application data over the selected pair.
    pub fn send_data(&mut self, payload: &[u8]) -> bool {
        let Some((local, remote)) = self.agent.selected_pair() else {
            return false;
        };
        self.extra.push_back(Transmit {
            source: local,
            destination: remote,
            protocol: sansrtc::net::Protocol::Udp,
            contents: payload.to_vec().into(),
        });
        true
    }
}

impl Node for IceNode {
    fn handle_receive(&mut self, now: Instant, d: Datagram<'_>) {
        if !self.agent.handle_receive(now, d) {
            self.data_received
                .push((now, d.source, d.contents.to_vec()));
        }
        self.drain(now);
    }
    fn handle_timeout(&mut self, now: Instant) {
        self.agent.handle_timeout(now);
        self.drain(now);
    }
    fn poll_transmit(&mut self, _: Instant) -> Option<Transmit> {
        self.agent
            .poll_transmit()
            .or_else(|| self.extra.pop_front())
    }
    fn poll_timeout(&self) -> Option<Instant> {
        self.agent.poll_timeout()
    }
}

/// The signaling channel between two nodes: credentials at once, candidates trickled with a
/// delay, end-of-candidates after the last one.
pub struct Signaling {
    pub a: HostId,
    pub b: HostId,
    /// Delay applied to candidates going to a / to b.
    pub delay_to_a: Duration,
    pub delay_to_b: Duration,
    eoc_to_a: bool,
    eoc_to_b: bool,
}

impl Signaling {
    /// Exchanges credentials now.
    pub fn new(net: &mut Network, a: HostId, b: HostId) -> Self {
        let mut s = Self::without_credentials(a, b);
        s.exchange_credentials(net);
        s
    }

    /// Exchanges credentials and runs until both agents are connected; panics (with the seed)
    /// if that takes longer than `within`.
    pub fn connect(net: &mut Network, a: HostId, b: HostId, within: Duration) -> Self {
        let mut s = Self::new(net, a, b);
        s.run_until(
            net,
            |n| connected(n, a) && connected(n, b),
            Limits::time(within),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        s
    }

    /// A channel that trickles candidates but has not yet carried the credentials (the remote
    /// description); call [`Signaling::exchange_credentials`] to deliver them.
    pub fn without_credentials(a: HostId, b: HostId) -> Self {
        Self {
            a,
            b,
            delay_to_a: Duration::ZERO,
            delay_to_b: Duration::ZERO,
            eoc_to_a: false,
            eoc_to_b: false,
        }
    }

    /// Exchanges credentials (again, after a restart on both sides).
    pub fn exchange_credentials(&mut self, net: &mut Network) {
        let creds = |net: &Network, h| {
            net.node::<IceNode>(h)
                .unwrap()
                .agent
                .local_credentials()
                .clone()
        };
        let (ca, cb) = (creds(net, self.a), creds(net, self.b));
        for (h, c) in [(self.a, cb), (self.b, ca)] {
            let now = net.now();
            let n = net.node_mut::<IceNode>(h).unwrap();
            n.agent.set_remote_credentials(c);
            n.drain(now);
        }
        self.eoc_to_a = false;
        self.eoc_to_b = false;
    }

    fn forward(net: &mut Network, from: HostId, to: HostId, delay: Duration, eoc: &mut bool) {
        let now = net.now();
        let mut due = Vec::new();
        {
            let Some(n) = net.node::<IceNode>(from) else {
                return;
            };
            if n.outbox.front().is_none_or(|(t, _)| *t + delay > now)
                && (n.outbox.is_empty() && n.gathering_done) == *eoc
            {
                return;
            }
        }
        let n = net.node_mut::<IceNode>(from).unwrap();
        while n.outbox.front().is_some_and(|(t, _)| *t + delay <= now) {
            due.push(n.outbox.pop_front().unwrap().1);
        }
        let send_eoc = n.outbox.is_empty() && n.gathering_done && !*eoc;
        let to_node = net.node_mut::<IceNode>(to).unwrap();
        for c in due {
            to_node.agent.add_remote_candidate(c);
        }
        if send_eoc {
            to_node.agent.end_of_remote_candidates();
            *eoc = true;
        }
        to_node.drain(now);
    }

    /// Delivers whatever is due, then steps the network until `done` or the limits.
    pub fn run_until(
        &mut self,
        net: &mut Network,
        mut done: impl FnMut(&Network) -> bool,
        limits: Limits,
    ) -> Result<(), SimError> {
        let deadline = net.now() + limits.max_time;
        let mut steps = 0u64;
        loop {
            Self::forward(net, self.a, self.b, self.delay_to_b, &mut self.eoc_to_b);
            Self::forward(net, self.b, self.a, self.delay_to_a, &mut self.eoc_to_a);
            if done(net) {
                return Ok(());
            }
            steps += 1;
            if steps > limits.max_steps {
                return Err(SimError::StepLimit {
                    steps,
                    elapsed: net.elapsed(),
                    seed: net.seed(),
                });
            }
            // Wake up for pending signaling too.
            let next_signal = [(self.a, self.delay_to_b), (self.b, self.delay_to_a)]
                .into_iter()
                .filter_map(|(h, d)| {
                    net.node::<IceNode>(h)
                        .and_then(|n| n.outbox.front().map(|(t, _)| *t + d))
                })
                .min();
            let next = match (net.next_time(), next_signal) {
                (Some(a), Some(b)) => a.min(b),
                (a, b) => match a.or(b) {
                    Some(t) => t,
                    None => {
                        return Err(SimError::Idle {
                            elapsed: net.elapsed(),
                            seed: net.seed(),
                        });
                    }
                },
            };
            if next > deadline {
                return Err(SimError::TimeLimit {
                    elapsed: net.elapsed(),
                    seed: net.seed(),
                });
            }
            if net.next_time().is_some_and(|t| t <= next) {
                net.step();
            } else {
                net.run_for(next - net.now())?;
            }
        }
    }

    /// Runs for a span of virtual time with signaling active.
    pub fn run_for(&mut self, net: &mut Network, d: Duration) -> Result<(), SimError> {
        let end = net.now() + d;
        match self.run_until(
            net,
            |n| n.now() >= end,
            Limits::time(d + Duration::from_millis(1)),
        ) {
            Ok(()) => Ok(()),
            Err(SimError::Idle { .. }) | Err(SimError::TimeLimit { .. }) => {
                net.run_for(end.saturating_duration_since(net.now()))
            }
            Err(e) => Err(e),
        }
    }
}

pub fn connected(net: &Network, h: HostId) -> bool {
    net.node::<IceNode>(h).is_some_and(|n| n.is_connected())
}

pub fn state(net: &Network, h: HostId) -> IceConnectionState {
    net.node::<IceNode>(h).unwrap().state()
}

pub fn selected(net: &Network, h: HostId) -> Option<(SocketAddr, SocketAddr)> {
    net.node::<IceNode>(h).unwrap().agent.selected_pair()
}
