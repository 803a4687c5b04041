//! A real WebRTC data-channel peer on one `std::net::UdpSocket` (no async runtime), exchanging
//! complete (non-trickle) SDP through two files. It talks to another `udp_peer`, to a browser,
//! or to any WebRTC stack that can read and write those files.
//!
//! ```text
//! udp_peer offer  OFFER_FILE ANSWER_FILE [options]   write the offer, wait for the answer
//! udp_peer answer OFFER_FILE ANSWER_FILE [options]   wait for the offer, write the answer
//!
//! --count N          pings the offerer sends on channel "chat" (default 10)
//! --send-bytes N     the offerer also sends N bytes on channel "bulk", then "sha256 <hex> <len>";
//!                    the receiver checks both and answers "bulk ok <hex>" on "chat"
//! --timeout SECS     give up after this long (default 30)
//! --loopback-only    use only loopback candidates from the remote description
//! --ipv6             bind ::1 instead of 127.0.0.1
//! --seed N           seed the peer (default: from the operating system)
//! --turn ADDR:PORT   a TURN server (relayed candidates); --turn-user / --turn-pass (sansrtc)
//! --relay-only       use only relayed candidates (W3C iceTransportPolicy "relay")
//! --full             (both sides) the whole interop check list on three more channels, see below
//! --trickle-in FILE  (answer) the remote's candidates trickle in as lines appended to FILE, each
//!                    an RTCIceCandidateInit's fields separated by tabs: candidate, sdpMid,
//!                    sdpMLineIndex, usernameFragment (an empty candidate: end-of-candidates)
//! --media echo       media: as offerer, offer one audio and one video section (sendrecv); as
//!                    answerer, accept the remote's audio and video sections as sendrecv. Every
//!                    RTP packet received is sent back on the same transceiver's sender (our SSRC,
//!                    the payload type of the same codec, the sender's sequence gaps kept), and
//!                    keyframe requests are forwarded to the original sender. After
//!                    --media-seconds N (default 5) from connecting, prints
//!                    `media <kind> rx=<packets> tx=<packets> codec=<name>` per kind and exits
//!                    0 if each negotiated kind received and echoed at least one packet.
//! --video-codec NAME (with --media echo) offer or accept only this video codec (VP8, VP9, H264,
//!                    AV1; RTX kept): W3C setCodecPreferences on the video transceiver
//! --simulcast-rid R  (with --media echo) simulcast video: answering, the remote's simulcast
//!                    offer is received; offering, the video section asks to receive simulcast
//!                    with rids l, m and h (`a=simulcast:recv l;m;h`, RFC 8853). Only the
//!                    stream with rid R is echoed (an SFU forwarding one layer); keyframe
//!                    requests go to that layer. Prints `simulcast video <rid>=<packets> ...`
//!                    and requires every rid the remote sends to arrive.
//! ```
//!
//! With `--full`, the offerer also opens "kinds" (reliable), "unordered" (unordered, at most 3
//! retransmissions) and "lifetime" (max packet lifetime 2 s). The answerer echoes every message on
//! them with its type. The offerer sends text, binary, empty text and empty binary on "kinds" and
//! checks the four echoes; sends 20 messages on each of the other two and counts the echoes; then
//! closes "unordered" itself, while the answerer closes "lifetime" after echoing its 20th message:
//! `bye` goes out only once both channels are closed on the offerer's side.
//!
//! The offerer creates "chat", sends `ping 0` … `ping N-1`, checks every echo, then sends `bye`;
//! the answerer echoes each ping and exits on `bye`. Both exit 0 on success, or 1 with a
//! one-line reason on failure or timeout. Files are written atomically (temp file + rename).

#![allow(
    clippy::disallowed_types,
    reason = "a driver program: this is where the socket of the sans-IO contract lives"
)]

use bytes::{Bytes, BytesMut};
use sansrtc::media::{MediaKind, TransceiverInit};
use sansrtc::sdp::{SdpAttribute, SdpType, SessionDescription};
use sansrtc::{
    ChannelId, ChannelOptions, DatagramBuf, Event, IceCandidateInit, IceGatheringState, Peer,
    PeerConfig, Protocol,
};
use sha2::{Digest, Sha256};
use std::net::{SocketAddr, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, PartialEq)]
enum Role {
    Offer,
    Answer,
}

struct Args {
    role: Role,
    offer_file: PathBuf,
    answer_file: PathBuf,
    count: u32,
    send_bytes: u64,
    timeout: Duration,
    loopback_only: bool,
    ipv6: bool,
    seed: Option<u64>,
    full: bool,
    turn: Option<SocketAddr>,
    turn_user: String,
    turn_pass: String,
    relay_only: bool,
    trickle_in: Option<PathBuf>,
    media_echo: bool,
    media_seconds: u64,
    video_codec: Option<String>,
    simulcast_rid: Option<String>,
}

fn parse_args() -> Result<Args, String> {
    let mut it = std::env::args().skip(1);
    let role = match it.next().as_deref() {
        Some("offer") => Role::Offer,
        Some("answer") => Role::Answer,
        _ => return Err("usage: udp_peer offer|answer OFFER_FILE ANSWER_FILE [options]".into()),
    };
    let offer_file = it.next().ok_or("missing OFFER_FILE")?.into();
    let answer_file = it.next().ok_or("missing ANSWER_FILE")?.into();
    let mut a = Args {
        role,
        offer_file,
        answer_file,
        count: 10,
        send_bytes: 0,
        timeout: Duration::from_secs(30),
        loopback_only: false,
        ipv6: false,
        seed: None,
        full: false,
        turn: None,
        turn_user: "sansrtc".into(),
        turn_pass: "sansrtc".into(),
        relay_only: false,
        trickle_in: None,
        media_echo: false,
        media_seconds: 5,
        video_codec: None,
        simulcast_rid: None,
    };
    while let Some(flag) = it.next() {
        let mut value = |name: &str| -> Result<u64, String> {
            it.next()
                .and_then(|v| v.parse().ok())
                .ok_or(format!("{name} needs a number"))
        };
        match flag.as_str() {
            "--count" => a.count = value("--count")? as u32,
            "--send-bytes" => a.send_bytes = value("--send-bytes")?,
            "--timeout" => a.timeout = Duration::from_secs(value("--timeout")?),
            "--seed" => a.seed = Some(value("--seed")?),
            "--loopback-only" => a.loopback_only = true,
            "--ipv6" => a.ipv6 = true,
            "--full" => a.full = true,
            "--relay-only" => a.relay_only = true,
            "--turn" => {
                a.turn = Some(
                    it.next()
                        .and_then(|v| v.parse().ok())
                        .ok_or("--turn needs ADDR:PORT")?,
                )
            }
            "--trickle-in" => {
                a.trickle_in = Some(it.next().ok_or("--trickle-in needs a FILE")?.into())
            }
            "--media" => match it.next().as_deref() {
                Some("echo") => a.media_echo = true,
                _ => return Err("--media takes: echo".into()),
            },
            "--video-codec" => a.video_codec = Some(it.next().ok_or("--video-codec needs a NAME")?),
            "--simulcast-rid" => {
                a.simulcast_rid = Some(it.next().ok_or("--simulcast-rid needs a RID")?)
            }
            "--media-seconds" => a.media_seconds = value("--media-seconds")?,
            "--turn-user" => a.turn_user = it.next().ok_or("--turn-user needs a name")?,
            "--turn-pass" => a.turn_pass = it.next().ok_or("--turn-pass needs a password")?,
            other => return Err(format!("unknown option {other}")),
        }
    }
    Ok(a)
}

#[allow(clippy::disallowed_methods, reason = "a real program reads the clock")]
fn clock() -> Instant {
    Instant::now()
}

/// Writes `text` to `path` atomically: a reader sees nothing or all of it.
fn write_atomic(path: &Path, text: &str) -> Result<(), String> {
    let tmp = path.with_extension("tmp-udp-peer");
    std::fs::write(&tmp, text).map_err(|e| format!("write {}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, path).map_err(|e| format!("rename to {}: {e}", path.display()))
}

/// The remote description, with non-loopback candidates removed when asked.
fn remote_sdp(text: &str, loopback_only: bool) -> Result<String, String> {
    if !loopback_only {
        return Ok(text.to_owned());
    }
    let mut sdp = SessionDescription::parse(text).map_err(|e| format!("remote SDP: {e}"))?;
    for m in &mut sdp.media {
        m.attributes.retain(|a| match a {
            SdpAttribute::Candidate(c) => c.to_ice().is_some_and(|c| c.address.ip().is_loopback()),
            _ => true,
        });
    }
    Ok(sdp.to_string())
}

/// The bulk payload: the same bytes on both sides of any implementation (byte i is i mod 251).
fn bulk_chunk(offset: u64, len: usize) -> Vec<u8> {
    (offset..offset + len as u64)
        .map(|i| (i % 251) as u8)
        .collect()
}

/// The largest datagram read (ICE/DTLS over UDP stay far below; a larger one is cut).
const MAX_DATAGRAM: usize = 2048;
/// Receive arena size: many datagrams per allocation.
const RX_ARENA: usize = 64 * 1024;

struct App {
    args: Args,
    peer: Peer,
    socket: UdpSocket,
    /// Datagrams are read into this and split off it, then handed to the peer by value
    /// (`handle_receive_buf`: records opened in place, messages sliced out of it); its
    /// allocation is reused once the peer and the messages are done with it.
    rx: BytesMut,
    local: SocketAddr,
    start: Instant,
    chat: Option<ChannelId>,
    bulk: Option<ChannelId>,
    /// Offerer: pings sent and echoes checked.
    sent: u32,
    echoed: u32,
    bulk_sent: u64,
    bulk_hash: Sha256,
    bulk_trailer_sent: bool,
    bulk_ok: bool,
    /// Receiver of bulk data.
    bulk_received: u64,
    bulk_rx_hash: Sha256,
    done: bool,
    /// `--full`: the extra channels by label, what came back, which closed.
    extra: Vec<(String, ChannelId)>,
    kinds_echoes: Vec<(bool, Vec<u8>)>,
    echoes: std::collections::BTreeMap<ChannelId, u32>,
    closed: Vec<ChannelId>,
    /// The selected pair when we closed (for the summary line).
    pair_at_close: Option<(SocketAddr, SocketAddr)>,
    /// `--trickle-in`: bytes of the file applied so far, candidates added, end-of-candidates.
    trickle_read: usize,
    trickled: u32,
    trickled_end: bool,
    /// `--media echo`: per kind (audio, video): packets received, echoed, codec name.
    media: [(u64, u64, String); 2],
    /// When the connection came up (the media clock starts).
    connected_at: Option<Instant>,
    /// Video packets received per rid (simulcast).
    rids: std::collections::BTreeMap<String, u64>,
}

impl App {
    fn now(&self) -> Instant {
        clock()
    }

    fn flush(&mut self) -> Result<(), String> {
        while let Some(t) = self.peer.poll_transmit(self.now()) {
            // A datagram the path refuses is like a lost one: the protocols retransmit.
            let _ = self.socket.send_to(&t.contents, t.destination);
        }
        Ok(())
    }

    fn send_text(&mut self, id: ChannelId, text: &str) -> Result<(), String> {
        self.peer
            .send_text(id, text)
            .map_err(|e| format!("send on chat: {e}"))
    }

    fn pump_bulk(&mut self) -> Result<(), String> {
        let Some(id) = self.bulk else { return Ok(()) };
        if self.args.role != Role::Offer
            || self.peer.channel_state(id) != Some(sansrtc::ChannelState::Open)
        {
            return Ok(());
        }
        while self.bulk_sent < self.args.send_bytes && self.peer.buffered_amount(id) < 1 << 20 {
            let n = (self.args.send_bytes - self.bulk_sent).min(16 * 1024) as usize;
            let data = bulk_chunk(self.bulk_sent, n);
            if self
                .peer
                .send_binary(id, Bytes::from(data.clone()))
                .is_err()
            {
                break;
            }
            self.bulk_hash.update(&data);
            self.bulk_sent += n as u64;
        }
        if self.bulk_sent == self.args.send_bytes && !self.bulk_trailer_sent {
            let hex = hex(&self.bulk_hash.clone().finalize());
            self.peer
                .send_text(id, &format!("sha256 {hex} {}", self.bulk_sent))
                .map_err(|e| format!("send on bulk: {e}"))?;
            self.bulk_trailer_sent = true;
        }
        Ok(())
    }

    fn on_event(&mut self, e: Event) -> Result<(), String> {
        match e {
            Event::ConnectionStateChange(sansrtc::PeerConnectionState::Connected) => {
                self.connected_at.get_or_insert(self.now());
            }
            Event::Rtp(p) if self.args.media_echo => self.echo(p)?,
            Event::KeyframeRequest { transceiver, .. } if self.args.media_echo => {
                // Forwarded to the original sender: what we send on this transceiver is its
                // (the forwarded layer's, with --simulcast-rid).
                let rid = self.args.simulcast_rid.clone();
                let _ = self.peer.request_keyframe(transceiver, rid.as_deref());
            }
            Event::ChannelOpen(id) if Some(id) == self.chat && self.args.role == Role::Offer => {
                for i in 0..self.args.count {
                    self.send_text(id, &format!("ping {i}"))?;
                    self.sent += 1;
                }
            }
            Event::DataChannel { id, label, .. } => match label.as_str() {
                "chat" => self.chat = Some(id),
                "bulk" => self.bulk = Some(id),
                _ => self.extra.push((label, id)),
            },
            Event::ChannelOpen(id) if self.args.role == Role::Offer && self.label(id).is_some() => {
                match self.label(id) {
                    Some("kinds") => {
                        self.peer.send_text(id, "text").map_err(|e| e.to_string())?;
                        self.peer
                            .send_binary(id, vec![1u8, 2, 3])
                            .map_err(|e| e.to_string())?;
                        self.peer.send_text(id, "").map_err(|e| e.to_string())?;
                        self.peer
                            .send_binary(id, Vec::new())
                            .map_err(|e| e.to_string())?;
                    }
                    _ => {
                        for i in 0..20 {
                            self.peer
                                .send_binary(id, format!("message {i}").into_bytes())
                                .map_err(|e| e.to_string())?;
                        }
                    }
                }
            }
            Event::ChannelMessage(m) if self.label(m.id).is_some() => {
                let label = self.label(m.id).unwrap_or_default().to_owned();
                match self.args.role {
                    Role::Answer => {
                        // Echo with the same type (empty messages included).
                        let r = if m.binary {
                            self.peer.send_binary(m.id, m.data.clone())
                        } else {
                            self.peer
                                .send_text(m.id, std::str::from_utf8(&m.data).unwrap_or(""))
                        };
                        r.map_err(|e| format!("echo on {label}: {e}"))?;
                        let n = self.echoes.entry(m.id).or_default();
                        *n += 1;
                        if label == "lifetime" && *n == 20 {
                            self.peer
                                .close_channel(m.id)
                                .map_err(|e| format!("close lifetime: {e}"))?;
                        }
                    }
                    Role::Offer if label == "kinds" => {
                        self.kinds_echoes.push((m.binary, m.data.to_vec()));
                        if self.kinds_echoes.len() == 4 {
                            let want = vec![
                                (false, b"text".to_vec()),
                                (true, vec![1, 2, 3]),
                                (false, Vec::new()),
                                (true, Vec::new()),
                            ];
                            if self.kinds_echoes != want {
                                return Err(format!("kinds echoed {:?}", self.kinds_echoes));
                            }
                        }
                    }
                    Role::Offer => {
                        let n = self.echoes.entry(m.id).or_default();
                        *n += 1;
                        if label == "unordered" && *n == 20 {
                            self.peer
                                .close_channel(m.id)
                                .map_err(|e| format!("close unordered: {e}"))?;
                        }
                    }
                }
            }
            Event::ChannelClosed { id, .. } if self.label(id).is_some() => self.closed.push(id),
            Event::ChannelMessage(m) if Some(m.id) == self.chat => {
                let text = m
                    .text()
                    .ok_or("binary or non-UTF-8 message on chat")?
                    .to_owned();
                match self.args.role {
                    Role::Answer => {
                        if text == "bye" {
                            self.done = true;
                        } else if text.starts_with("ping ") {
                            self.send_text(m.id, &text)?;
                        } else {
                            return Err(format!("unexpected message on chat: {text:?}"));
                        }
                    }
                    Role::Offer => {
                        if let Some(rest) = text.strip_prefix("bulk ok ") {
                            let hex = hex(&self.bulk_hash.clone().finalize());
                            if rest != hex {
                                return Err(format!("bulk hash echoed {rest}, sent {hex}"));
                            }
                            self.bulk_ok = true;
                        } else if text == format!("ping {}", self.echoed) {
                            self.echoed += 1;
                        } else {
                            return Err(format!(
                                "expected echo \"ping {}\", got {text:?}",
                                self.echoed
                            ));
                        }
                    }
                }
            }
            Event::ChannelMessage(m) if Some(m.id) == self.bulk => {
                if m.binary {
                    self.bulk_received += m.data.len() as u64;
                    self.bulk_rx_hash.update(&m.data);
                } else {
                    let text = m.text().unwrap_or_default().to_owned();
                    let mut parts = text.split(' ');
                    let (Some("sha256"), Some(hex_sent), Some(len)) =
                        (parts.next(), parts.next(), parts.next())
                    else {
                        return Err(format!("unexpected text on bulk: {text:?}"));
                    };
                    let ours = hex(&self.bulk_rx_hash.clone().finalize());
                    if len.parse::<u64>().ok() != Some(self.bulk_received) || hex_sent != ours {
                        return Err(format!(
                            "bulk mismatch: sender {hex_sent} {len} bytes, received {ours} {} bytes",
                            self.bulk_received
                        ));
                    }
                    let chat = self.chat.ok_or("bulk finished before chat opened")?;
                    self.send_text(chat, &format!("bulk ok {ours}"))?;
                }
            }
            Event::ChannelClosed { id, .. } if Some(id) == self.chat && !self.done => {
                return Err("chat closed early".into());
            }
            Event::Failed(f) => return Err(format!("connection failed: {f:?}")),
            _ => {}
        }
        if self.args.role == Role::Offer
            && !self.done
            && self.sent == self.args.count
            && self.echoed == self.args.count
            && (self.args.send_bytes == 0 || self.bulk_ok)
            && (!self.args.full || self.full_done())
            && let Some(chat) = self.chat
        {
            self.send_text(chat, "bye")?;
            self.done = true;
        }
        Ok(())
    }

    /// `--media echo`: the packet goes back on the same transceiver's sender, with the payload
    /// type of the same codec there.
    fn echo(&mut self, p: sansrtc::RtpPacket) -> Result<(), String> {
        let Some(t) = self.peer.transceiver(p.transceiver) else {
            return Ok(());
        };
        let slot = usize::from(t.kind() == MediaKind::Video);
        if let Some(rid) = &p.rid {
            *self.rids.entry(rid.to_string()).or_default() += 1;
            if self
                .args
                .simulcast_rid
                .as_ref()
                .is_some_and(|want| **want != **rid)
            {
                // Another layer: counted, not forwarded.
                return Ok(());
            }
        }
        let pt = t
            .codecs()
            .iter()
            .find(|c| c.payload_type == p.payload_type && c.codec.name == p.codec)
            .or_else(|| t.codecs().iter().find(|c| c.codec.name == p.codec))
            .map(|c| c.payload_type);
        let entry = &mut self.media[slot];
        entry.0 += 1;
        if entry.2.is_empty() {
            entry.2 = p.codec.as_str().to_owned();
        }
        let Some(payload_type) = pt else {
            return Ok(());
        };
        let out = sansrtc::RtpOut {
            payload_type,
            timestamp: p.header.timestamp,
            marker: p.header.marker,
            payload: p.payload,
            sequence_number: Some(p.header.sequence_number),
            ..sansrtc::RtpOut::default()
        };
        if self.peer.send_rtp(p.transceiver, out).is_ok() {
            self.media[slot].1 += 1;
        }
        Ok(())
    }

    /// `--media echo`: the media time is up (always true without media).
    fn media_done(&self) -> bool {
        !self.args.media_echo
            || self
                .connected_at
                .is_some_and(|t| self.now() - t >= Duration::from_secs(self.args.media_seconds))
    }

    /// `--media echo`: the summary lines, and whether each negotiated kind was echoed.
    fn media_report(&self) -> Result<(), String> {
        if !self.args.media_echo {
            return Ok(());
        }
        let mut ok = true;
        for (slot, kind) in [(0, MediaKind::Audio), (1, MediaKind::Video)] {
            let negotiated = self
                .peer
                .transceivers()
                .any(|t| t.kind() == kind && t.current_direction().is_some());
            if !negotiated {
                continue;
            }
            let (rx, tx, codec) = &self.media[slot];
            println!("media {kind} rx={rx} tx={tx} codec={codec}");
            ok &= *rx > 0 && *tx > 0;
        }
        if self.args.simulcast_rid.is_some() {
            let offered: Vec<String> = self
                .peer
                .transceivers()
                .flat_map(|t| t.remote_rids().to_vec())
                .collect();
            let line: Vec<String> = offered
                .iter()
                .map(|r| format!("{r}={}", self.rids.get(r).copied().unwrap_or(0)))
                .collect();
            println!("simulcast video {}", line.join(" "));
            ok &= !offered.is_empty()
                && offered
                    .iter()
                    .all(|r| self.rids.get(r).is_some_and(|n| *n > 0));
        }
        if ok {
            Ok(())
        } else {
            Err(format!(
                "media not echoed on every kind: {:?}",
                self.peer.media_drops()
            ))
        }
    }

    fn label(&self, id: ChannelId) -> Option<&str> {
        self.extra
            .iter()
            .find(|(_, x)| *x == id)
            .map(|(l, _)| l.as_str())
    }

    /// `--full` on the offerer: four kinds echoed, 20 echoes on each of the other two, both
    /// closed (one by us, one by the answerer).
    fn full_done(&self) -> bool {
        let by = |l: &str| self.extra.iter().find(|(x, _)| x == l).map(|(_, id)| *id);
        let (Some(u), Some(t)) = (by("unordered"), by("lifetime")) else {
            return false;
        };
        self.kinds_echoes.len() == 4
            && self.echoes.get(&u) == Some(&20)
            && self.echoes.get(&t) == Some(&20)
            && self.closed.contains(&u)
            && self.closed.contains(&t)
    }

    /// Runs until done, then closes the peer connection as applications do: the answerer the
    /// moment `bye` arrives, the offerer after lingering briefly so that `bye` is acknowledged.
    /// Either way the other side sees a remote close (an SCTP ABORT with User-Initiated Abort
    /// and a DTLS close_notify), which must not fail it.
    fn run(&mut self) -> Result<(), String> {
        let mut linger_until: Option<Instant> = None;
        loop {
            let now = self.now();
            if now - self.start > self.args.timeout {
                return Err(format!("timeout after {:?}", self.args.timeout));
            }
            if let Some(t) = linger_until {
                if now >= t {
                    return self.close();
                }
            } else if self.args.media_echo
                && self.media_done()
                && (self.done || self.args.role == Role::Answer || self.chat.is_none())
            {
                self.media_report()?;
                linger_until = Some(now + Duration::from_millis(300));
            } else if self.done && !self.args.media_echo {
                if self.args.role == Role::Answer {
                    return self.close();
                }
                linger_until = Some(now + Duration::from_millis(300));
            }
            self.peer.handle_timeout(now);
            while let Some(e) = self.peer.poll_event() {
                self.on_event(e)?;
            }
            self.pump_bulk()?;
            self.read_trickle()?;
            self.io_step()?;
        }
    }

    /// `--trickle-in`: applies the candidate lines appended since the last call (W3C
    /// `addIceCandidate` with the browser's `RTCIceCandidateInit` fields).
    fn read_trickle(&mut self) -> Result<(), String> {
        let Some(path) = &self.args.trickle_in else {
            return Ok(());
        };
        let Ok(text) = std::fs::read_to_string(path) else {
            return Ok(()); // nothing trickled yet
        };
        let Some(end) = text.get(self.trickle_read..).and_then(|t| t.rfind('\n')) else {
            return Ok(());
        };
        let fresh = &text[self.trickle_read..self.trickle_read + end + 1];
        self.trickle_read += end + 1;
        for line in fresh.lines() {
            let mut f = line.split('\t');
            let candidate = f.next().unwrap_or_default();
            let field = |s: Option<&str>| {
                s.filter(|s| !s.is_empty() && *s != "null")
                    .map(str::to_owned)
            };
            let (mid, index, ufrag) = (field(f.next()), field(f.next()), field(f.next()));
            let candidate = if candidate.is_empty() {
                None
            } else {
                let c: sansrtc::sdp::SdpCandidate = candidate
                    .parse()
                    .map_err(|e| format!("trickled candidate {candidate:?}: {e}"))?;
                if self.args.loopback_only
                    && !c.to_ice().is_some_and(|c| c.address.ip().is_loopback())
                {
                    continue;
                }
                Some(c)
            };
            let end = candidate.is_none();
            let mut init = match candidate {
                Some(c) => IceCandidateInit::new(c),
                None => IceCandidateInit::end_of_candidates(None, None, None),
            };
            init.sdp_mid = mid;
            init.sdp_m_line_index = index.and_then(|i| i.parse().ok());
            init.username_fragment = ufrag;
            match self.peer.add_ice_candidate(&init) {
                Ok(()) if end => self.trickled_end = true,
                Ok(()) => self.trickled += 1,
                // A duplicate or unusable candidate changes nothing (W3C would reject it too).
                Err(sansrtc::CandidateError::Refused) => {}
                Err(e) => return Err(format!("add_ice_candidate {line:?}: {e}")),
            }
        }
        Ok(())
    }

    /// W3C `close`: the last datagrams (ABORT, close_notify) go out, then we are done.
    fn close(&mut self) -> Result<(), String> {
        self.pair_at_close = self.peer.stats().selected_pair;
        self.peer.close();
        self.flush()
    }

    /// Reads one datagram into the receive arena and hands it to the peer by value.
    fn receive(&mut self) -> std::io::Result<()> {
        // Room for the largest datagram; `reserve` takes back the arena's allocation when
        // nothing cut from it is alive any more, else starts a new one.
        self.rx.reserve(MAX_DATAGRAM);
        self.rx.resize(MAX_DATAGRAM, 0);
        let (n, source) = match self.socket.recv_from(&mut self.rx) {
            Ok(r) => r,
            Err(e) => {
                self.rx.clear();
                return Err(e);
            }
        };
        let contents = self.rx.split_to(n);
        self.rx.clear();
        let now = self.now();
        self.peer.handle_receive_buf(
            now,
            DatagramBuf {
                source,
                destination: self.local,
                protocol: Protocol::Udp,
                contents,
            },
        );
        Ok(())
    }

    /// Sends what is queued, then waits for datagrams until the next deadline (at most 50 ms)
    /// and hands them to the peer.
    fn io_step(&mut self) -> Result<(), String> {
        self.flush()?;
        let wait = self
            .peer
            .poll_timeout()
            .map_or(Duration::from_millis(50), |t| {
                t.saturating_duration_since(self.now())
            })
            .clamp(Duration::from_micros(100), Duration::from_millis(50));
        self.socket
            .set_read_timeout(Some(wait))
            .map_err(|e| format!("socket: {e}"))?;
        match self.receive() {
            Ok(()) => {
                // Drain what else is queued without sleeping.
                self.socket
                    .set_nonblocking(true)
                    .map_err(|e| format!("socket: {e}"))?;
                while self.receive().is_ok() {}
                self.socket
                    .set_nonblocking(false)
                    .map_err(|e| format!("socket: {e}"))?;
                Ok(())
            }
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                Ok(())
            }
            Err(e) => Err(format!("recv: {e}")),
        }
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Waits for `path` to exist and be non-empty.
fn wait_file(path: &Path, deadline: Instant) -> Result<String, String> {
    loop {
        if let Ok(text) = std::fs::read_to_string(path)
            && !text.trim().is_empty()
        {
            return Ok(text);
        }
        if clock() > deadline {
            return Err(format!("timeout waiting for {}", path.display()));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `--video-codec`: only that codec (and RTX) on a video transceiver.
fn prefer_video_codec(app: &mut App, id: sansrtc::media::TransceiverId) -> Result<(), String> {
    let Some(name) = app.args.video_codec.clone() else {
        return Ok(());
    };
    if app.peer.transceiver(id).map(|t| t.kind()) != Some(MediaKind::Video) {
        return Ok(());
    }
    let wanted = sansrtc::media::codec::CodecName::parse(&name);
    let all = sansrtc::media::codec::default_codecs(MediaKind::Video);
    let primaries: Vec<String> = all
        .iter()
        .filter(|c| c.codec.name == wanted)
        .map(|c| c.payload_type.to_string())
        .collect();
    // RTX only for a kept primary (its `apt`).
    let codecs: Vec<_> = all
        .into_iter()
        .filter(|c| {
            c.codec.name == wanted
                || c.codec
                    .parameter("apt")
                    .is_some_and(|apt| primaries.iter().any(|p| p == apt))
        })
        .map(|c| c.codec)
        .collect();
    if !codecs.iter().any(|c| c.name == wanted) {
        return Err(format!("--video-codec {name}: not a codec sansrtc offers"));
    }
    app.peer
        .set_codec_preferences(id, &codecs)
        .map_err(|e| format!("set codec preferences: {e}"))
}

fn setup(args: Args) -> Result<App, String> {
    let start = clock();
    let bind: SocketAddr = if args.ipv6 { "[::1]:0" } else { "127.0.0.1:0" }
        .parse()
        .expect("literal address");
    let socket = UdpSocket::bind(bind).map_err(|e| format!("bind {bind}: {e}"))?;
    let local = socket
        .local_addr()
        .map_err(|e| format!("local_addr: {e}"))?;
    let mut config = PeerConfig::new();
    config.seed = args.seed.map(sansrtc::PeerSeed::Reproducible);
    if let Some(server) = args.turn {
        config.turn_servers.push(sansrtc::turn::TurnConfig::new(
            server,
            args.turn_user.clone(),
            args.turn_pass.clone(),
        ));
    }
    if args.relay_only {
        config.ice_transport_policy = sansrtc::IceTransportPolicy::Relay;
    }
    let mut peer = Peer::new(config, start);
    peer.add_local_address(local);
    let mut app = App {
        peer,
        socket,
        rx: BytesMut::with_capacity(RX_ARENA),
        local,
        start,
        chat: None,
        bulk: None,
        sent: 0,
        echoed: 0,
        bulk_sent: 0,
        bulk_hash: Sha256::new(),
        bulk_trailer_sent: false,
        bulk_ok: false,
        bulk_received: 0,
        bulk_rx_hash: Sha256::new(),
        done: false,
        extra: Vec::new(),
        kinds_echoes: Vec::new(),
        echoes: Default::default(),
        closed: Vec::new(),
        pair_at_close: None,
        trickle_read: 0,
        trickled: 0,
        trickled_end: false,
        media: Default::default(),
        connected_at: None,
        rids: Default::default(),
        args,
    };
    // Complete SDP: gather first (host candidates only: immediate).
    let deadline = start + app.args.timeout;
    // (Relayed candidates need the TURN server's answers: the socket runs meanwhile.)
    let mut gathered = false;
    while !gathered {
        let now = clock();
        if now > deadline {
            return Err("timeout gathering candidates".into());
        }
        app.peer.handle_timeout(now);
        while let Some(e) = app.peer.poll_event() {
            gathered |= e == Event::IceGatheringStateChange(IceGatheringState::Complete);
        }
        if !gathered {
            app.io_step()?;
        }
    }
    match app.args.role {
        Role::Offer => {
            // With `--media echo` alone (`--count 0`, no bulk, no --full) no channel is made
            // and the offer has no data section, as a browser's call without channels.
            let data = !app.args.media_echo
                || app.args.count > 0
                || app.args.send_bytes > 0
                || app.args.full;
            if data {
                app.chat = Some(
                    app.peer
                        .create_data_channel("chat", ChannelOptions::default())
                        .map_err(|e| format!("create chat: {e}"))?,
                );
            }
            if app.args.full {
                let o = |ordered, max_retransmits, life: Option<u64>| {
                    let mut o = ChannelOptions::new().ordered(ordered);
                    o.max_retransmits = max_retransmits;
                    o.max_packet_life_time = life.map(Duration::from_millis);
                    o
                };
                for (label, opts) in [
                    ("kinds", o(true, None, None)),
                    ("unordered", o(false, Some(3), None)),
                    ("lifetime", o(true, None, Some(2000))),
                ] {
                    let id = app
                        .peer
                        .create_data_channel(label, opts)
                        .map_err(|e| format!("create {label}: {e}"))?;
                    app.extra.push((label.to_owned(), id));
                }
            }
            if app.args.media_echo {
                for kind in [MediaKind::Audio, MediaKind::Video] {
                    let receive_rids =
                        if kind == MediaKind::Video && app.args.simulcast_rid.is_some() {
                            ["l", "m", "h"].map(String::from).to_vec()
                        } else {
                            Vec::new()
                        };
                    let init = TransceiverInit {
                        receive_rids,
                        ..TransceiverInit::default()
                    };
                    let id = app
                        .peer
                        .add_transceiver(kind, init)
                        .map_err(|e| format!("add {kind} transceiver: {e}"))?;
                    prefer_video_codec(&mut app, id)?;
                }
            }
            if app.args.send_bytes > 0 {
                app.bulk = Some(
                    app.peer
                        .create_data_channel("bulk", ChannelOptions::default())
                        .map_err(|e| format!("create bulk: {e}"))?,
                );
            }
            let offer = app.peer.create_offer().map_err(|e| format!("offer: {e}"))?;
            app.peer
                .set_local_description(offer.clone())
                .map_err(|e| format!("set local offer: {e}"))?;
            write_atomic(&app.args.offer_file, &offer.sdp.to_string())?;
            let answer = wait_file(&app.args.answer_file, deadline)?;
            let answer = remote_sdp(&answer, app.args.loopback_only)?;
            app.peer
                .set_remote_sdp(SdpType::Answer, &answer)
                .map_err(|e| format!("set remote answer: {e}"))?;
        }
        Role::Answer => {
            let offer = wait_file(&app.args.offer_file, deadline)?;
            let offer = remote_sdp(&offer, app.args.loopback_only)?;
            app.peer
                .set_remote_sdp(SdpType::Offer, &offer)
                .map_err(|e| format!("set remote offer: {e}"))?;
            if app.args.media_echo {
                let ids: Vec<_> = app.peer.transceivers().map(|t| t.id()).collect();
                for id in ids {
                    app.peer
                        .set_direction(id, sansrtc::sdp::Direction::SendRecv)
                        .map_err(|e| format!("set direction: {e}"))?;
                    prefer_video_codec(&mut app, id)?;
                }
            }
            let answer = app
                .peer
                .create_answer()
                .map_err(|e| format!("answer: {e}"))?;
            app.peer
                .set_local_description(answer.clone())
                .map_err(|e| format!("set local answer: {e}"))?;
            write_atomic(&app.args.answer_file, &answer.sdp.to_string())?;
        }
    }
    Ok(app)
}

fn main() -> ExitCode {
    let result = parse_args().and_then(setup).and_then(|mut app| {
        app.run()?;
        Ok(app)
    });
    match result {
        Ok(app) => {
            let s = app.peer.stats();
            let trickle = if app.args.trickle_in.is_some() {
                format!(
                    ", trickled {} candidates{}",
                    app.trickled,
                    if app.trickled_end {
                        " and end-of-candidates"
                    } else {
                        ""
                    }
                )
            } else {
                String::new()
            };
            println!(
                "udp_peer {:?}: ok: {} pings echoed, {} bulk bytes, selected pair {:?}, rtt {:?}{trickle}",
                app.args.role,
                app.echoed
                    .max(app.args.count * u32::from(app.args.role == Role::Answer)),
                app.bulk_sent.max(app.bulk_received),
                app.pair_at_close.or(s.selected_pair),
                s.rtt
            );
            ExitCode::SUCCESS
        }
        Err(reason) => {
            eprintln!("udp_peer: {reason}");
            ExitCode::FAILURE
        }
    }
}
