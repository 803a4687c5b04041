//! Audio and video sections for JSEP (RFC 9429 §5.2.1, §5.3.1): what one transceiver puts
//! into an offer or an answer, and what the answerer accepts of an offered section.

use super::{
    Direction, Extmap, MediaDescription, RidDirection, SdpAttribute, Simulcast, SimulcastRid,
};
use crate::media::MediaKind;
use crate::media::codec::{self, PayloadCodec};

/// The RTP profile WebRTC uses (RFC 8834 §4.2: SAVPF over DTLS-SRTP; RFC 5764 §8).
pub const RTP_PROTOCOL: &str = "UDP/TLS/RTP/SAVPF";

/// One transceiver's wishes for its media section, as the peer gives them to JSEP.
#[derive(Debug, Clone, PartialEq)]
pub struct LocalMedia {
    /// The transceiver (opaque to JSEP; returned with the mids it assigned).
    pub key: u32,
    /// Audio or video.
    pub kind: MediaKind,
    /// The mid, once assigned.
    pub mid: Option<String>,
    /// The transceiver's direction.
    pub direction: Direction,
    /// Stopping or stopped: the section is rejected.
    pub stopped: bool,
    /// Codecs we offer or accept, in preference order.
    pub codecs: Vec<PayloadCodec>,
    /// Header extensions we offer (id, URI).
    pub extensions: Vec<(u8, &'static str)>,
    /// Header extensions we accept in an offer (URI; the offer's id is kept): the offered ones
    /// and a few an SFU forwards (the AV1 dependency descriptor, abs-capture-time,
    /// playout-delay).
    pub accept_extensions: Vec<(u8, &'static str)>,
    /// `a=msid` stream ids and the track id (RFC 8830), when sending.
    pub streams: Vec<String>,
    /// The sender's track id.
    pub track_id: String,
    /// Our SSRCs per encoding (primary, RTX) when sending without rids.
    pub ssrcs: Vec<(u32, Option<u32>)>,
    /// Our send rids (simulcast, RFC 8853) when there are several encodings.
    pub send_rids: Vec<String>,
    /// The rids of the simulcast we ask to receive when we offer (RFC 8853 §5.2).
    pub recv_rids: Vec<String>,
    /// Our RTCP CNAME (RFC 7022).
    pub cname: String,
}

/// Whether `m` is an audio or video section we can take part in.
pub fn is_rtp_section(m: &MediaDescription) -> bool {
    MediaKind::from_sdp(&m.kind).is_some() && m.protocol.contains("RTP/")
}

/// The direction attribute of a section (RFC 3264 §5.1: `sendrecv` when absent).
pub fn section_direction(m: &MediaDescription) -> Direction {
    m.attributes
        .iter()
        .find_map(|a| match a {
            SdpAttribute::Direction(d) => Some(*d),
            _ => None,
        })
        .unwrap_or(Direction::SendRecv)
}

/// The direction seen from the other side: sendonly ⇄ recvonly.
pub fn reversed(d: Direction) -> Direction {
    match d {
        Direction::SendOnly => Direction::RecvOnly,
        Direction::RecvOnly => Direction::SendOnly,
        d => d,
    }
}

/// RFC 3264 §6.1 / RFC 9429 §5.3.1: the answer's direction from what we want and what the
/// offer allows (we send only if the offerer receives, and the reverse).
pub fn answer_direction(ours: Direction, offered: Direction) -> Direction {
    let (we_send, we_recv) = sends_receives(ours);
    let (they_send, they_recv) = sends_receives(offered);
    direction_of(we_send && they_recv, we_recv && they_send)
}

/// Whether a direction sends and receives.
pub fn sends_receives(d: Direction) -> (bool, bool) {
    match d {
        Direction::SendRecv => (true, true),
        Direction::SendOnly => (true, false),
        Direction::RecvOnly => (false, true),
        Direction::Inactive => (false, false),
    }
}

/// The direction that sends and/or receives.
pub fn direction_of(send: bool, recv: bool) -> Direction {
    match (send, recv) {
        (true, true) => Direction::SendRecv,
        (true, false) => Direction::SendOnly,
        (false, true) => Direction::RecvOnly,
        (false, false) => Direction::Inactive,
    }
}

/// The header extensions of a section (id, URI).
pub fn section_extensions(m: &MediaDescription) -> Vec<(u16, String)> {
    m.attributes
        .iter()
        .filter_map(|a| match a {
            SdpAttribute::Extmap(e) => Some((e.id, e.uri.clone())),
            _ => None,
        })
        .collect()
}

/// An extension in a section we write: id, URI, and its direction when it has one.
pub type SectionExtension = (u8, &'static str, Option<Direction>);

/// RFC 8285 §7 / RFC 9429 §5.3.1: the offered extensions we support, with the offer's ids; an
/// offered direction is answered reversed (the offerer's `recvonly` is our `sendonly`).
pub fn answer_extensions(
    offered: &MediaDescription,
    ours: &[(u8, &'static str)],
) -> Vec<SectionExtension> {
    offered
        .attributes
        .iter()
        .filter_map(|a| match a {
            SdpAttribute::Extmap(e) => {
                let id = u8::try_from(e.id).ok().filter(|i| *i >= 1)?;
                let (_, uri) = ours.iter().find(|(_, u)| *u == e.uri)?;
                Some((id, *uri, e.direction.map(reversed)))
            }
            _ => None,
        })
        .collect()
}

/// The simulcast streams a section names (RFC 8853), by their rids.
#[derive(Debug, Clone, Copy, Default)]
pub struct SectionRids<'a> {
    /// Those we send (empty: one stream, named by `a=ssrc` lines).
    pub send: &'a [String],
    /// Those we receive.
    pub recv: &'a [String],
}

/// Writes the media-specific lines of a section for `lm` into `m` (after the transport lines
/// the caller wrote): mid, extmaps, direction, msid, rtcp-mux, rtcp-rsize, codecs, then our
/// SSRCs, or the simulcast rids we send (`rids.send`, when not empty) and receive
/// (`rids.recv`), each only where the direction sends or receives (RFC 9429 §5.2.1 order, as
/// browsers write it).
pub fn write_media_lines(
    m: &mut MediaDescription,
    lm: &LocalMedia,
    mid: &str,
    direction: Direction,
    codecs: &[PayloadCodec],
    extensions: &[SectionExtension],
    rids: SectionRids<'_>,
) {
    let SectionRids {
        send: send_rids,
        recv: recv_rids,
    } = rids;
    let a = &mut m.attributes;
    a.push(SdpAttribute::Mid(mid.to_owned()));
    for &(id, uri, direction) in extensions {
        a.push(SdpAttribute::Extmap(Extmap {
            id: u16::from(id),
            direction,
            uri: uri.to_owned(),
            attributes: None,
        }));
    }
    a.push(SdpAttribute::Direction(direction));
    let sending = sends_receives(direction).0;
    if sending {
        // RFC 8830 §2: one msid per stream; §3: "-" when the track is in no stream.
        if lm.streams.is_empty() {
            a.push(SdpAttribute::Msid {
                stream: "-".into(),
                track: Some(lm.track_id.clone()),
            });
        }
        for s in &lm.streams {
            a.push(SdpAttribute::Msid {
                stream: s.clone(),
                track: Some(lm.track_id.clone()),
            });
        }
    }
    a.push(SdpAttribute::RtcpMux);
    a.push(SdpAttribute::RtcpRsize);
    codec::write_codecs(m, codecs);
    let a = &mut m.attributes;
    let rtx = codecs.iter().any(|c| c.codec.name == codec::CodecName::Rtx);
    let (_, receiving) = sends_receives(direction);
    let send_rids = if sending { send_rids } else { &[] };
    let recv_rids = if receiving { recv_rids } else { &[] };
    if sending && send_rids.is_empty() {
        let stream = lm.streams.first().map_or("-", String::as_str);
        for &(ssrc, rtx_ssrc) in &lm.ssrcs {
            let rtx_ssrc = rtx_ssrc.filter(|_| rtx);
            if let Some(r) = rtx_ssrc {
                a.push(SdpAttribute::SsrcGroup {
                    semantics: "FID".into(),
                    ssrcs: vec![ssrc, r],
                });
            }
            for s in std::iter::once(ssrc).chain(rtx_ssrc) {
                a.push(SdpAttribute::Ssrc {
                    ssrc: s,
                    attribute: "cname".into(),
                    value: Some(lm.cname.clone()),
                });
                a.push(SdpAttribute::Ssrc {
                    ssrc: s,
                    attribute: "msid".into(),
                    value: Some(format!("{stream} {}", lm.track_id)),
                });
            }
        }
    }
    // RFC 8851 §4 / RFC 8853 §5.1: a rid line per stream, then one simulcast line with both
    // directions' lists.
    let mut directions = Vec::new();
    for (dir, rids) in [
        (RidDirection::Send, send_rids),
        (RidDirection::Recv, recv_rids),
    ] {
        if rids.is_empty() {
            continue;
        }
        for r in rids {
            a.push(SdpAttribute::Rid {
                id: r.clone(),
                direction: dir,
                restrictions: None,
            });
        }
        let streams = rids
            .iter()
            .map(|r| {
                vec![SimulcastRid {
                    id: r.clone(),
                    paused: false,
                }]
            })
            .collect();
        directions.push((dir, streams));
    }
    if !directions.is_empty() {
        a.push(SdpAttribute::Simulcast(Simulcast { directions }));
    }
}

/// The rids a section says its writer sends (RFC 8853: `a=simulcast:send`, or else the
/// `a=rid:… send` lines), in order.
pub fn remote_send_rids(m: &MediaDescription) -> Vec<String> {
    simulcast_rids(m, RidDirection::Send)
}

/// The rids a section says its writer receives (`a=simulcast:recv`, or else `a=rid:… recv`).
pub fn remote_recv_rids(m: &MediaDescription) -> Vec<String> {
    simulcast_rids(m, RidDirection::Recv)
}

/// Most simulcast streams taken from a remote section: browsers send at most four; a hostile
/// description's thousands would each become a sender's stream or an answer line.
pub const MAX_SIMULCAST_STREAMS: usize = 8;

fn simulcast_rids(m: &MediaDescription, dir: RidDirection) -> Vec<String> {
    let mut rids = listed_rids(m, dir);
    // RFC 8851 §10 syntax (at most 16 bytes, as browsers and the RID extension hold them),
    // each once, at most `MAX_SIMULCAST_STREAMS`.
    let mut seen: Vec<String> = Vec::new();
    rids.retain(|r| {
        let keep = crate::media::transceiver::valid_rid(r)
            && !seen.contains(r)
            && seen.len() < MAX_SIMULCAST_STREAMS;
        if keep {
            seen.push(r.clone());
        }
        keep
    });
    rids
}

fn listed_rids(m: &MediaDescription, dir: RidDirection) -> Vec<String> {
    let from_simulcast = m.attributes.iter().find_map(|a| match a {
        SdpAttribute::Simulcast(s) => {
            s.directions
                .iter()
                .find(|(d, _)| *d == dir)
                .map(|(_, streams)| {
                    // The first of each stream's alternatives (RFC 8853 §5.1: listed by preference).
                    streams
                        .iter()
                        .filter_map(|alts| alts.first().map(|r| r.id.clone()))
                        .collect::<Vec<_>>()
                })
        }
        _ => None,
    });
    from_simulcast.unwrap_or_else(|| {
        m.attributes
            .iter()
            .filter_map(|a| match a {
                SdpAttribute::Rid { id, direction, .. } if *direction == dir => Some(id.clone()),
                _ => None,
            })
            .collect()
    })
}

/// The remote's SSRCs in a section (`a=ssrc`), first appearance order, and its msid (stream
/// ids and track id: `a=msid`, or the `a=ssrc:… msid:` of older Chrome).
pub fn remote_ssrcs(m: &MediaDescription) -> Vec<u32> {
    let mut out: Vec<u32> = Vec::new();
    for a in &m.attributes {
        if let SdpAttribute::Ssrc { ssrc, .. } = a
            && !out.contains(ssrc)
        {
            out.push(*ssrc);
        }
    }
    out
}

/// The remote's RTX pairs (`a=ssrc-group:FID <primary> <rtx>`, RFC 5576 §4.3 with RFC 4588
/// §8.6), as (primary, rtx).
pub fn remote_rtx_pairs(m: &MediaDescription) -> Vec<(u32, u32)> {
    m.attributes
        .iter()
        .filter_map(|a| match a {
            SdpAttribute::SsrcGroup { semantics, ssrcs } if semantics == "FID" => {
                match ssrcs.as_slice() {
                    [p, r, ..] => Some((*p, *r)),
                    _ => None,
                }
            }
            _ => None,
        })
        .collect()
}

/// The remote's stream ids and track id for ontrack (RFC 8830).
pub fn remote_msid(m: &MediaDescription) -> (Vec<String>, Option<String>) {
    let mut streams = Vec::new();
    let mut track = None;
    for a in &m.attributes {
        if let SdpAttribute::Msid { stream, track: t } = a {
            if stream != "-" {
                streams.push(stream.clone());
            }
            if track.is_none() {
                track.clone_from(t);
            }
        }
    }
    if streams.is_empty() && track.is_none() {
        for a in &m.attributes {
            if let SdpAttribute::Ssrc {
                attribute, value, ..
            } = a
                && attribute == "msid"
                && let Some((s, t)) = value.as_deref().and_then(|v| v.split_once(' '))
            {
                if s != "-" {
                    streams.push(s.to_owned());
                }
                track = Some(t.to_owned());
                break;
            }
        }
    }
    (streams, track)
}

/// The RTCP feedback a codec list allows: (PLI, FIR) on any codec.
pub fn feedback_of(codecs: &[PayloadCodec]) -> (bool, bool) {
    let has = |kind: &str, param: Option<&str>| {
        codecs.iter().any(|c| {
            c.codec
                .feedback
                .iter()
                .any(|f| f.kind == kind && f.parameter.as_deref() == param)
        })
    };
    (has("nack", Some("pli")), has("ccm", Some("fir")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remote_rids_are_bounded_and_well_formed() {
        let mut m = MediaDescription::new("video", 9, RTP_PROTOCOL, vec!["96".into()]);
        let mut streams = Vec::new();
        for i in 0..1000 {
            streams.push(vec![SimulcastRid {
                id: format!("r{}", i % 500),
                paused: false,
            }]);
        }
        streams.insert(
            0,
            vec![SimulcastRid {
                id: "bad rid!".into(),
                paused: false,
            }],
        );
        m.attributes.push(SdpAttribute::Simulcast(Simulcast {
            directions: vec![(RidDirection::Recv, streams)],
        }));
        let rids = remote_recv_rids(&m);
        assert_eq!(rids.len(), MAX_SIMULCAST_STREAMS);
        assert_eq!(rids[0], "r0");
        assert!(remote_send_rids(&m).is_empty());
    }

    #[test]
    fn answer_directions() {
        use Direction::*;
        assert_eq!(answer_direction(SendRecv, SendRecv), SendRecv);
        assert_eq!(answer_direction(SendRecv, SendOnly), RecvOnly);
        assert_eq!(answer_direction(SendRecv, RecvOnly), SendOnly);
        assert_eq!(answer_direction(RecvOnly, RecvOnly), Inactive);
        assert_eq!(answer_direction(SendOnly, Inactive), Inactive);
        assert_eq!(reversed(SendOnly), RecvOnly);
    }
}
