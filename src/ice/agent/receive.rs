//! The receive path of the agent: Binding requests (RFC 8445 §7.3) and responses (§7.2.5).

use super::{IceAgent, IceEvent, Local, PairState, TxKind, attr_u64, tx_controlling, username_of};
use crate::ice::candidate::{Candidate, CandidateKind, candidate_priority, foundation};
use crate::net::{Datagram, Protocol, Transmit};
use crate::stun::{AttributeType, Class, MessageView, Method, StunAttribute, StunMessage};
use std::net::SocketAddr;

impl IceAgent {
    pub(super) fn send_error(
        &mut self,
        view: &MessageView<'_>,
        d: &Datagram<'_>,
        code: u16,
        reason: &str,
        key: Option<&[u8]>,
    ) {
        let mut m = StunMessage::new(Class::ErrorResponse, Method::BINDING, view.transaction_id());
        m.attributes.push(StunAttribute::ErrorCode {
            code,
            reason: reason.into(),
        });
        if key.is_some() {
            m.attributes.push(StunAttribute::MessageIntegrity([0; 20]));
        }
        m.attributes.push(StunAttribute::Fingerprint);
        // RFC 8489 §16.1.3 / RFC 8445 §19.1 worry about STUN as an amplifier; we make it strict:
        // an unauthenticated source never gets more bytes back than it sent (a bare 20-byte
        // request would otherwise draw a 48-byte 400). The error is for diagnostics only; a
        // real agent's checks always carry USERNAME and MESSAGE-INTEGRITY, so it still gets it.
        if key.is_none() && m.encoded_len() > d.contents.len() {
            self.stats.error_responses_suppressed += 1;
            return;
        }
        let mut out = Vec::with_capacity(m.encoded_len());
        // Answers to a request that fit a datagram: bounded by it.
        if m.encode_with_key(key, &mut out).is_err() {
            return;
        }
        self.stats.error_responses_sent += 1;
        self.push_transmit(Transmit {
            source: d.destination,
            destination: d.source,
            protocol: d.protocol,
            contents: out.into(),
        });
    }

    pub(super) fn handle_request(&mut self, view: &MessageView<'_>, d: &Datagram<'_>) {
        // RFC 8489 §9.1.3 / RFC 8445 §7.3: USERNAME and MESSAGE-INTEGRITY are required.
        let (Some((local_ufrag, _)), true) = (
            username_of(view),
            view.get(AttributeType::MESSAGE_INTEGRITY).is_some(),
        ) else {
            self.stats.dropped_unauthenticated += 1;
            self.send_error(view, d, 400, "Bad Request", None);
            return;
        };
        let pwd = if local_ufrag == self.local_credentials.ufrag {
            self.local_credentials.pwd.clone()
        } else if let Some(prev) = self
            .previous_local_credentials
            .as_ref()
            .filter(|p| p.ufrag == local_ufrag)
        {
            prev.pwd.clone()
        } else {
            self.stats.dropped_unauthenticated += 1;
            self.send_error(view, d, 401, "Unauthorized", None);
            return;
        };
        if view.verify_integrity(pwd.as_bytes()).is_err() {
            // Never changes state: no pair, no candidate, no role switch.
            self.stats.dropped_unauthenticated += 1;
            self.send_error(view, d, 401, "Unauthorized", None);
            return;
        }
        self.stats.requests_received += 1;
        // RFC 8489 §6.3.1: unknown comprehension-required attributes ⇒ 420 listing them.
        let unknown = view.unknown_comprehension_required();
        if !unknown.is_empty() {
            let mut m =
                StunMessage::new(Class::ErrorResponse, Method::BINDING, view.transaction_id());
            m.attributes.push(StunAttribute::ErrorCode {
                code: 420,
                reason: "Unknown Attribute".into(),
            });
            m.attributes.push(StunAttribute::UnknownAttributes(unknown));
            m.attributes.push(StunAttribute::MessageIntegrity([0; 20]));
            m.attributes.push(StunAttribute::Fingerprint);
            self.stats.error_responses_sent += 1;
            self.push_transmit(Transmit {
                source: d.destination,
                destination: d.source,
                protocol: d.protocol,
                contents: m
                    .to_bytes_with_key(pwd.as_bytes())
                    .expect("invariant: ICE messages are a few hundred bytes (ufrags and attributes are bounded)")
                    .into(),
            });
            return;
        }
        let theirs_controlling = attr_u64(view, AttributeType::ICE_CONTROLLING);
        let theirs_controlled = attr_u64(view, AttributeType::ICE_CONTROLLED);
        // RFC 8445 §7.3.1.1: role conflicts.
        if !self.config.lite {
            if self.controlling
                && let Some(tb) = theirs_controlling
            {
                if self.tie_breaker >= tb {
                    self.send_error(view, d, 487, "Role Conflict", Some(pwd.as_bytes()));
                    return;
                }
                self.set_role(false);
            } else if !self.controlling
                && let Some(tb) = theirs_controlled
            {
                if self.tie_breaker >= tb {
                    self.set_role(true);
                } else {
                    self.send_error(view, d, 487, "Role Conflict", Some(pwd.as_bytes()));
                    return;
                }
            }
        }
        // §7.3.1.2: success response with the source as XOR-MAPPED-ADDRESS.
        let mut resp = StunMessage::new(
            Class::SuccessResponse,
            Method::BINDING,
            view.transaction_id(),
        );
        resp.attributes
            .push(StunAttribute::XorMappedAddress(d.source));
        resp.attributes
            .push(StunAttribute::MessageIntegrity([0; 20]));
        resp.attributes.push(StunAttribute::Fingerprint);
        self.push_transmit(Transmit {
            source: d.destination,
            destination: d.source,
            protocol: d.protocol,
            contents: resp
                .to_bytes_with_key(pwd.as_bytes())
                .expect("invariant: ICE messages are a few hundred bytes (ufrags and attributes are bounded)")
                .into(),
        });

        // A request under the previous credentials is answered but builds nothing new.
        if local_ufrag != self.local_credentials.ufrag {
            return;
        }
        let use_candidate = view.get(AttributeType::USE_CANDIDATE).is_some();
        let priority = match view.decode(AttributeType::PRIORITY) {
            Some(Ok(StunAttribute::Priority(p))) => p,
            _ => {
                self.stats.dropped_other += 1;
                return;
            }
        };
        // §7.3.1.3: an unknown source is a peer-reflexive remote candidate.
        let remote = match self.remotes.iter().position(|r| r.address == d.source) {
            Some(r) => r,
            None => {
                if self.remotes.len() >= self.config.max_remote_candidates {
                    self.stats.dropped_candidates += 1;
                    return;
                }
                let fnd = format!("prflx{}", self.rng.next_u32());
                self.remotes.push(Candidate::remote(
                    CandidateKind::PeerReflexive,
                    d.source,
                    priority,
                    fnd,
                ));
                let r = self.remotes.len() - 1;
                for l in 0..self.locals.len() {
                    self.add_pair(l, r);
                }
                r
            }
        };
        let _ = remote;
        let Some(pair) = self.find_pair(d.destination, d.source) else {
            // Arrived on an address we never declared: answered, not checked.
            self.stats.dropped_other += 1;
            return;
        };
        let c = &mut self.pairs[pair].stats;
        c.requests_received = c.requests_received.saturating_add(1);
        c.responses_sent = c.responses_sent.saturating_add(1);
        if self.config.lite {
            // A lite agent selects what the controlling agent nominates (§8.2).
            if use_candidate {
                self.pairs[pair].state = PairState::Succeeded;
                self.pairs[pair].valid_priority = Some(self.pairs[pair].priority);
                self.nominate_pair(pair);
            }
            return;
        }
        // §7.3.1.4: triggered check, unless the pair already succeeded.
        match self.pairs[pair].state {
            PairState::Succeeded => {}
            PairState::InProgress => {
                // Cancel the outstanding check (no retransmits, a late response still counts)
                // and send a triggered one.
                for t in self.transactions.values_mut() {
                    if matches!(t.kind, TxKind::Check { pair: p, .. } if p == pair) {
                        t.cancelled = true;
                    }
                }
                self.pairs[pair].state = PairState::Waiting;
                if !self.triggered.contains(&pair) {
                    self.triggered.push_back(pair);
                }
            }
            _ => {
                self.pairs[pair].state = PairState::Waiting;
                if !self.triggered.contains(&pair) {
                    self.triggered.push_back(pair);
                }
            }
        }
        // §7.3.1.5: USE-CANDIDATE on the controlled side.
        if use_candidate && !self.controlling {
            if self.pairs[pair].state == PairState::Succeeded {
                self.nominate_pair(pair);
            } else {
                self.pairs[pair].nominate_on_success = true;
            }
        }
        self.schedule_checks();
    }

    pub(super) fn handle_response(&mut self, view: &MessageView<'_>, d: &Datagram<'_>) {
        let tid = view.transaction_id();
        let Some(tx) = self.transactions.get(&tid) else {
            self.stats.dropped_unknown_transaction += 1;
            return;
        };
        let tx = tx.clone();
        if !matches!(tx.kind, TxKind::Gather { .. }) {
            // Responses to checks carry integrity with the remote password (§7.2.5).
            let key = self
                .remote_credentials
                .as_ref()
                .map(|c| c.pwd.clone())
                .unwrap_or_default();
            if view.verify_integrity(key.as_bytes()).is_err() {
                self.stats.dropped_unauthenticated += 1;
                return;
            }
        }
        self.transactions.remove(&tid);
        self.stats.responses_received += 1;
        // RFC 8445 §7.2.5.2.1: the response must come from where the request went, to where it
        // came from; otherwise the pair fails.
        let symmetric = d.source == tx.destination && d.destination == tx.source;
        match tx.kind {
            TxKind::Gather { base, server } => {
                self.on_gather_response(view, base, server, symmetric)
            }
            TxKind::Consent => {
                if symmetric && view.class() == Class::SuccessResponse {
                    self.consent_last_ok = Some(self.now);
                    self.consent_pending_since = None;
                    if let Some(i) = self.find_pair(tx.source, tx.destination) {
                        self.sample_rtt(i, &tx);
                    }
                }
            }
            TxKind::Check {
                pair,
                use_candidate,
            } => {
                if tx.generation != self.generation || pair >= self.pairs.len() {
                    return;
                }
                if !symmetric {
                    self.pairs[pair].state = PairState::Failed;
                    return;
                }
                if view.class() == Class::ErrorResponse {
                    let code = match view.decode(AttributeType::ERROR_CODE) {
                        Some(Ok(StunAttribute::ErrorCode { code, .. })) => code,
                        _ => 0,
                    };
                    if code == 487 {
                        // §7.2.5.1: switch role, recompute priorities, retry the pair.
                        let controlling = !tx_controlling(&tx);
                        if controlling != self.controlling {
                            self.set_role(controlling);
                        }
                        self.pairs[pair].state = PairState::Waiting;
                        self.triggered.push_back(pair);
                        self.schedule_checks();
                    } else {
                        self.pairs[pair].state = PairState::Failed;
                    }
                    return;
                }
                self.sample_rtt(pair, &tx);
                self.on_check_success(view, pair, use_candidate, tx.priority);
            }
        }
    }

    pub(super) fn on_gather_response(
        &mut self,
        view: &MessageView<'_>,
        base: usize,
        server: SocketAddr,
        symmetric: bool,
    ) {
        let local = self.locals.get(base).map(|l| l.cand.base);
        if view.class() == Class::ErrorResponse {
            // W3C `icecandidateerror`: the server's error code and reason.
            let (code, reason) = match view.decode(AttributeType::ERROR_CODE) {
                Some(Ok(StunAttribute::ErrorCode { code, reason })) => (code, reason),
                _ => (0, String::new()),
            };
            if let Some(local) = local {
                self.push_event(IceEvent::GatherFailed {
                    local,
                    server,
                    code,
                    reason,
                });
            }
            return;
        }
        if !symmetric || view.class() != Class::SuccessResponse {
            return;
        }
        let mapped = match view.decode(AttributeType::XOR_MAPPED_ADDRESS) {
            Some(Ok(StunAttribute::XorMappedAddress(a))) => a,
            _ => return,
        };
        let Some(b) = self.locals.get(base).map(|l| l.cand.clone()) else {
            return;
        };
        // §5.1.3: a reflexive candidate equal to an existing one (e.g. no NAT) is redundant.
        if self.locals.iter().any(|l| l.cand.address == mapped) {
            return;
        }
        let cand = Candidate {
            kind: CandidateKind::ServerReflexive,
            address: mapped,
            base: b.base,
            related: Some(b.base),
            priority: candidate_priority(CandidateKind::ServerReflexive, b.local_preference(), 1),
            foundation: foundation(
                CandidateKind::ServerReflexive,
                b.base.ip(),
                Protocol::Udp,
                Some(server.ip()),
            ),
            component: 1,
            protocol: Protocol::Udp,
        };
        self.locals.push(Local {
            cand: cand.clone(),
            pairable: false,
        });
        self.push_event(IceEvent::LocalCandidate(cand));
    }

    pub(super) fn on_check_success(
        &mut self,
        view: &MessageView<'_>,
        pair: usize,
        use_candidate: bool,
        sent_priority: u32,
    ) {
        let mapped = match view.decode(AttributeType::XOR_MAPPED_ADDRESS) {
            Some(Ok(StunAttribute::XorMappedAddress(a))) => a,
            _ => {
                self.pairs[pair].state = PairState::Failed;
                return;
            }
        };
        let (local_idx, remote_idx) = (self.pairs[pair].local, self.pairs[pair].remote);
        // §7.2.5.3.1: a mapped address we do not know is a peer-reflexive local candidate with
        // the priority the check carried; the valid pair's priority uses it.
        let local_priority = match self.locals.iter().find(|l| l.cand.address == mapped) {
            Some(l) => l.cand.priority,
            None => {
                let base = self.locals[local_idx].cand.base;
                self.locals.push(Local {
                    cand: Candidate {
                        kind: CandidateKind::PeerReflexive,
                        address: mapped,
                        base,
                        related: Some(base),
                        priority: sent_priority,
                        foundation: foundation(
                            CandidateKind::PeerReflexive,
                            base.ip(),
                            Protocol::Udp,
                            None,
                        ),
                        component: 1,
                        protocol: Protocol::Udp,
                    },
                    pairable: false,
                });
                sent_priority
            }
        };
        let valid_priority =
            self.compute_pair_priority(local_priority, self.remotes[remote_idx].priority);
        let p = &mut self.pairs[pair];
        p.state = PairState::Succeeded;
        p.valid_priority = Some(valid_priority);
        if self.first_valid_at.is_none() {
            self.first_valid_at = Some(self.now);
        }
        // §7.2.5.3.3: unfreeze the pairs of the same foundation.
        let fnd = self.pairs[pair].foundation.clone();
        for q in &mut self.pairs {
            if q.state == PairState::Frozen && q.foundation == fnd {
                q.state = PairState::Waiting;
            }
        }
        // Controlling: our USE-CANDIDATE check succeeded. Controlled: the peer nominated this
        // pair before our own check on it succeeded (§7.3.1.5).
        let nominated_now = if self.controlling {
            use_candidate
        } else {
            self.pairs[pair].nominate_on_success
        };
        if nominated_now {
            self.nominate_pair(pair);
        } else if self.selected.is_some_and(|s| s.pair == Some(pair)) {
            self.consent_last_ok = Some(self.now);
        }
        self.schedule_checks();
    }
}
