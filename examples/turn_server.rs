//! The sans-IO TURN server on real UDP sockets on 127.0.0.1 (or any local address): one socket
//! for clients, one per relay port. No threads, no async runtime: non-blocking sockets polled in
//! a loop that sleeps until the next datagram or deadline (1 ms granularity).
//!
//! ```text
//! turn_server [--listen 127.0.0.1:3478] [--relay-ports 49152-49183] [--realm sansrtc]
//!             [--user NAME:PASSWORD]... [--secret SHARED_SECRET] [--for SECS]
//! ```
//!
//! `--user` adds long-term credentials (default `sansrtc:sansrtc`); `--secret` switches to TURN
//! REST credentials (`expiry:user` / base64(HMAC-SHA1(secret, name)), checked against this
//! machine's clock). `--for` exits after that many seconds (default: run until killed).

#![allow(
    clippy::disallowed_types,
    reason = "a driver program: this is where the sockets of the sans-IO contract live"
)]

use sansrtc::net::{Datagram, Protocol};
use sansrtc::rng::{RngRoot, Stream};
use sansrtc::turn::{TurnCredentials, TurnServer, TurnServerConfig};
use std::collections::BTreeMap;
use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

#[allow(clippy::disallowed_methods, reason = "a real program reads the clock")]
fn clock() -> Instant {
    Instant::now()
}

#[allow(
    clippy::disallowed_methods,
    reason = "REST credential expiries are wall-clock times"
)]
fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn main() {
    let mut listen: SocketAddr = "127.0.0.1:3478".parse().expect("literal");
    let mut ports = (49152u16, 49183u16);
    let mut realm = "sansrtc".to_owned();
    let mut users = BTreeMap::new();
    let mut secret = None;
    let mut run_for = None;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().unwrap_or_else(|| {
            eprintln!("turn_server: {flag} needs a value");
            std::process::exit(2)
        });
        match flag.as_str() {
            "--listen" => listen = value.parse().expect("--listen ADDR:PORT"),
            "--relay-ports" => {
                let (a, b) = value.split_once('-').expect("--relay-ports LOW-HIGH");
                ports = (a.parse().expect("port"), b.parse().expect("port"));
            }
            "--realm" => realm = value,
            "--user" => {
                let (u, p) = value.split_once(':').expect("--user NAME:PASSWORD");
                users.insert(u.to_owned(), p.to_owned());
            }
            "--secret" => secret = Some(value.into_bytes()),
            "--for" => run_for = Some(Duration::from_secs(value.parse().expect("seconds"))),
            other => {
                eprintln!("turn_server: unknown option {other}");
                std::process::exit(2)
            }
        }
    }
    if users.is_empty() {
        users.insert("sansrtc".to_owned(), "sansrtc".to_owned());
    }
    let credentials = match secret {
        Some(secret) => TurnCredentials::Rest { secret },
        None => TurnCredentials::Static(users),
    };
    let mut config = TurnServerConfig::new(realm, credentials, unix_now());
    config.port = listen.port();
    config.relay_ports = ports.0..=ports.1;
    let start = clock();
    let mut server = TurnServer::new(config, RngRoot::from_os().stream(Stream::Server), start);

    // One socket for clients and one per relay port, all non-blocking.
    let mut sockets: BTreeMap<SocketAddr, UdpSocket> = BTreeMap::new();
    for port in std::iter::once(listen.port()).chain(ports.0..=ports.1) {
        let addr = SocketAddr::new(listen.ip(), port);
        let s = UdpSocket::bind(addr).unwrap_or_else(|e| panic!("bind {addr}: {e}"));
        s.set_nonblocking(true).expect("non-blocking");
        sockets.insert(addr, s);
    }
    println!(
        "turn_server: listening on {listen}, relaying on {}:{}-{}",
        listen.ip(),
        ports.0,
        ports.1
    );
    let mut buf = vec![0u8; 65536];
    loop {
        let now = clock();
        if run_for.is_some_and(|d| now - start >= d) {
            let s = server.stats();
            println!(
                "turn_server: done: {} allocations, {} relayed out, {} in",
                s.allocations, s.relayed_out, s.relayed_in
            );
            return;
        }
        let mut busy = false;
        for (local, socket) in &sockets {
            while let Ok((n, source)) = socket.recv_from(&mut buf) {
                busy = true;
                server.handle_receive(
                    clock(),
                    Datagram {
                        source,
                        destination: *local,
                        protocol: Protocol::Udp,
                        contents: &buf[..n],
                    },
                );
            }
        }
        if server.poll_timeout().is_some_and(|t| t <= clock()) {
            server.handle_timeout(clock());
        }
        while let Some(t) = server.poll_transmit() {
            busy = true;
            if let Some(socket) = sockets.get(&t.source) {
                // A refused datagram is a lost one; TURN and what it carries retransmit.
                let _ = socket.send_to(&t.contents, t.destination);
            }
        }
        if !busy {
            std::thread::sleep(Duration::from_millis(1));
        }
    }
}
