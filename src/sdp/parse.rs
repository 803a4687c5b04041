//! The SDP reader (RFC 8866 §5, §9 grammar), lenient where browsers are and strict where a
//! mistake would change meaning: `v=`, `o=`, `s=` first, single-valued lines at most once, no
//! unknown line types (RFC 8866 §5: "MUST completely ignore or reject"; we reject).

use super::attr::{BadAttribute, SdpAttribute};
use super::{
    Bandwidth, Connection, MediaDescription, Origin, ParseError, ParseErrorKind as K, SdpLimits,
    SessionDescription, Timing,
};

pub(super) fn parse(text: &str, limits: &SdpLimits) -> Result<SessionDescription, ParseError> {
    let whole = |kind| ParseError { line: 0, kind };
    if text.len() > limits.max_bytes {
        return Err(whole(K::TooLarge {
            max: limits.max_bytes,
        }));
    }
    let mut lines = text
        .split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .enumerate()
        .map(|(i, l)| (i + 1, l))
        .filter(|(_, l)| !l.is_empty())
        .peekable();
    let mut count = 0usize;
    let mut attributes = 0usize;
    let mut next = move || -> Result<Option<(usize, char, &str)>, ParseError> {
        let Some((n, l)) = lines.next() else {
            return Ok(None);
        };
        count += 1;
        if count > limits.max_lines {
            return Err(ParseError {
                line: n,
                kind: K::TooManyLines {
                    max: limits.max_lines,
                },
            });
        }
        let mut chars = l.chars();
        match (chars.next(), chars.next()) {
            (Some(t), Some('=')) if t.is_ascii_lowercase() => Ok(Some((n, t, &l[2..]))),
            _ => Err(ParseError {
                line: n,
                kind: K::Syntax,
            }),
        }
    };
    let err = |line, kind| ParseError { line, kind };

    // v=0, o=, s= come first, in that order (RFC 8866 §5).
    // For "missing line" errors at the end of the input (computed only then).
    let last_line = || text.lines().count();
    let (n, t, v) = next()?.ok_or_else(|| err(last_line(), K::Missing('v')))?;
    if t != 'v' {
        return Err(err(n, K::Missing('v')));
    }
    if v != "0" {
        return Err(err(n, K::Malformed('v')));
    }
    let (n, t, v) = next()?.ok_or_else(|| err(last_line(), K::Missing('o')))?;
    if t != 'o' {
        return Err(err(n, K::Missing('o')));
    }
    let origin = parse_origin(v).ok_or(err(n, K::Malformed('o')))?;
    let (n, t, v) = next()?.ok_or_else(|| err(last_line(), K::Missing('s')))?;
    if t != 's' {
        return Err(err(n, K::Missing('s')));
    }
    let mut sd = SessionDescription::new(origin, v);
    let once = |slot: &mut Option<String>, n, t, v: &str| {
        if slot.is_some() {
            return Err(err(n, K::Unexpected(t)));
        }
        *slot = Some(v.to_owned());
        Ok(())
    };
    let mut count_attr = |n| {
        attributes += 1;
        if attributes > limits.max_attributes {
            Err(err(
                n,
                K::TooManyAttributes {
                    max: limits.max_attributes,
                },
            ))
        } else {
            Ok(())
        }
    };
    let attribute = |n, v: &str| {
        SdpAttribute::parse(v).map_err(|BadAttribute(name)| err(n, K::SdpAttribute(name)))
    };
    let mut last_t_line = 0;
    while let Some((n, t, v)) = next()? {
        match (t, sd.media.last_mut()) {
            ('m', _) => {
                if sd.media.len() >= limits.max_media {
                    return Err(err(
                        n,
                        K::TooManyMedia {
                            max: limits.max_media,
                        },
                    ));
                }
                sd.media
                    .push(parse_media(v).ok_or(err(n, K::Malformed('m')))?);
            }
            ('a', None) => {
                count_attr(n)?;
                sd.attributes.push(attribute(n, v)?);
            }
            ('a', Some(m)) => {
                count_attr(n)?;
                m.attributes.push(attribute(n, v)?);
            }
            ('c', None) | ('c', Some(_)) => {
                let c = parse_connection(v).ok_or(err(n, K::Malformed('c')))?;
                let slot = match sd.media.last_mut() {
                    Some(m) => &mut m.connection,
                    None => &mut sd.connection,
                };
                if slot.replace(c).is_some() {
                    return Err(err(n, K::Unexpected('c')));
                }
            }
            ('b', _) => {
                let b = parse_bandwidth(v).ok_or(err(n, K::Malformed('b')))?;
                match sd.media.last_mut() {
                    Some(m) => m.bandwidths.push(b),
                    None => sd.bandwidths.push(b),
                }
            }
            ('i', Some(m)) => once(&mut m.title, n, t, v)?,
            ('k', Some(m)) => once(&mut m.key, n, t, v)?,
            ('i', None) => once(&mut sd.information, n, t, v)?,
            ('u', None) => once(&mut sd.uri, n, t, v)?,
            ('e', None) => sd.emails.push(v.to_owned()),
            ('p', None) => sd.phones.push(v.to_owned()),
            ('z', None) => once(&mut sd.time_zones, n, t, v)?,
            ('k', None) => once(&mut sd.key, n, t, v)?,
            ('t', None) => {
                let (start, stop) = v.split_once(' ').ok_or(err(n, K::Malformed('t')))?;
                sd.timings.push(Timing {
                    start: start.parse().map_err(|_| err(n, K::Malformed('t')))?,
                    stop: stop.parse().map_err(|_| err(n, K::Malformed('t')))?,
                    repeats: Vec::new(),
                });
                last_t_line = n;
            }
            ('r', None) if last_t_line > 0 => {
                if let Some(t) = sd.timings.last_mut() {
                    t.repeats.push(v.to_owned());
                }
            }
            _ => return Err(err(n, K::Unexpected(t))),
        }
    }
    if sd.timings.is_empty() {
        return Err(err(0, K::Missing('t')));
    }
    Ok(sd)
}

fn parse_origin(v: &str) -> Option<Origin> {
    let mut f = v.split(' ');
    let [username, id, version, nt, at, addr] = std::array::from_fn(|_| f.next().unwrap_or(""));
    if f.next().is_some() {
        return None;
    }
    let nonempty = |s: &str| (!s.is_empty()).then(|| s.to_owned());
    Some(Origin {
        username: nonempty(username)?,
        session_id: id.parse().ok()?,
        session_version: version.parse().ok()?,
        network_type: nonempty(nt)?,
        address_type: nonempty(at)?,
        address: nonempty(addr)?,
    })
}

fn parse_connection(v: &str) -> Option<Connection> {
    let mut f = v.split(' ');
    let [nt, at, addr] = std::array::from_fn(|_| f.next().unwrap_or(""));
    if f.next().is_some() {
        return None;
    }
    if nt.is_empty() || at.is_empty() || addr.is_empty() {
        return None;
    }
    Some(Connection {
        network_type: nt.into(),
        address_type: at.into(),
        address: addr.into(),
    })
}

fn parse_bandwidth(v: &str) -> Option<Bandwidth> {
    let (kind, value) = v.split_once(':')?;
    if kind.is_empty() || kind.contains(' ') {
        return None;
    }
    Some(Bandwidth {
        kind: kind.into(),
        value: value.parse().ok()?,
    })
}

fn parse_media(v: &str) -> Option<MediaDescription> {
    let mut f = v.split(' ');
    let kind = f.next().filter(|s| !s.is_empty())?;
    let port = f.next()?;
    let (port, port_count) = match port.split_once('/') {
        Some((p, n)) => (p.parse().ok()?, Some(n.parse().ok()?)),
        None => (port.parse().ok()?, None),
    };
    let protocol = f.next().filter(|s| !s.is_empty())?;
    let formats = f
        .map(|s| (!s.is_empty()).then(|| s.to_owned()))
        .collect::<Option<Vec<_>>>()?;
    let mut m = MediaDescription::new(kind, port, protocol, formats);
    m.port_count = port_count;
    Some(m)
}
