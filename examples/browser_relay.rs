//! A tiny HTTP/1.1 server for browser interop tests: it serves one page and relays the SDP
//! files `udp_peer` reads and writes, so a page in a headless browser can be the other peer.
//!
//! ```text
//! browser_relay PORT DIR PAGE_FILE
//!   GET  /page.html        the page (query parameters are for the page)
//!   GET  /common.js        common.js beside the page file (helpers the pages share)
//!   GET  /offer, /answer   DIR/offer.sdp, DIR/answer.sdp (404 until written)
//!   POST /offer, /answer   write them (atomically)
//!   POST /candidates       one trickled candidate line appended to DIR/offer.candidates
//!                          (`udp_peer --trickle-in` reads it)
//!   POST /result           DIR/result.txt: the page's verdict
//!   POST /log              appended to DIR/page.log
//! ```
//!
//! Binds 127.0.0.1 only. One connection at a time, `Connection: close`; it runs until killed.

#![allow(
    clippy::disallowed_types,
    reason = "a test helper program outside the library: it serves a page over TCP"
)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};

fn write_atomic(path: &Path, body: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_extension("tmp-relay");
    std::fs::write(&tmp, body)?;
    std::fs::rename(&tmp, path)
}

fn respond(s: &mut TcpStream, status: &str, kind: &str, body: &[u8]) -> std::io::Result<()> {
    write!(
        s,
        "HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n",
        body.len()
    )?;
    s.write_all(body)
}

fn serve(mut s: TcpStream, dir: &Path, page: &Path) -> std::io::Result<()> {
    let mut r = BufReader::new(s.try_clone()?);
    let mut line = String::new();
    r.read_line(&mut line)?;
    let mut parts = line.split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let path = target.split('?').next().unwrap_or("");
    let mut length = 0usize;
    loop {
        let mut h = String::new();
        if r.read_line(&mut h)? == 0 || h == "\r\n" || h == "\n" {
            break;
        }
        if let Some((k, v)) = h.split_once(':')
            && k.eq_ignore_ascii_case("content-length")
        {
            length = v.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0u8; length.min(1 << 20)];
    r.read_exact(&mut body)?;
    let file = |name: &str| -> PathBuf { dir.join(name) };
    match (method, path) {
        ("GET", "/page.html") => respond(&mut s, "200 OK", "text/html", &std::fs::read(page)?),
        ("GET", "/common.js") => match std::fs::read(page.with_file_name("common.js")) {
            Ok(b) => respond(&mut s, "200 OK", "text/javascript", &b),
            Err(_) => respond(&mut s, "404 Not Found", "text/plain", b""),
        },
        ("GET", "/offer") | ("GET", "/answer") => {
            match std::fs::read(file(&format!("{}.sdp", &path[1..]))) {
                Ok(b) => respond(&mut s, "200 OK", "text/plain", &b),
                Err(_) => respond(&mut s, "404 Not Found", "text/plain", b""),
            }
        }
        ("POST", "/offer") | ("POST", "/answer") => {
            write_atomic(&file(&format!("{}.sdp", &path[1..])), &body)?;
            respond(&mut s, "200 OK", "text/plain", b"")
        }
        ("POST", "/candidates") => {
            let mut line = body.clone();
            line.push(b'\n');
            let mut f = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(file("offer.candidates"))?;
            // One write of the whole line: the reader never sees half of it as complete.
            f.write_all(&line)?;
            respond(&mut s, "200 OK", "text/plain", b"")
        }
        ("POST", "/result") => {
            write_atomic(&file("result.txt"), &body)?;
            respond(&mut s, "200 OK", "text/plain", b"")
        }
        ("POST", "/log") => {
            let mut f = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(file("page.log"))?;
            f.write_all(&body)?;
            f.write_all(b"\n")?;
            respond(&mut s, "200 OK", "text/plain", b"")
        }
        _ => respond(&mut s, "404 Not Found", "text/plain", b""),
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, port, dir, page] = &args[..] else {
        eprintln!("usage: browser_relay PORT DIR PAGE_FILE");
        std::process::exit(2);
    };
    let listener = TcpListener::bind(("127.0.0.1", port.parse().expect("port")))
        .unwrap_or_else(|e| panic!("bind 127.0.0.1:{port}: {e}"));
    let (dir, page) = (PathBuf::from(dir), PathBuf::from(page));
    for s in listener.incoming().flatten() {
        if let Err(e) = serve(s, &dir, &page) {
            eprintln!("browser_relay: {e}");
        }
    }
}
