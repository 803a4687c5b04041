//! Fuzz target logic, compiled into the crate so the cargo-fuzz shims in `fuzz/` stay one line
//! and `cargo test` replays every committed corpus file through the same code.
//!
//! Enabled by the `fuzzing` feature (and in the crate's own tests).

use crate::stun::{Message, MessageView};

/// `stun`: whatever parses re-encodes, and the encoding re-parses to the same message; the
/// zero-copy view and the decoded value agree on what is valid.
pub fn stun(data: &[u8]) {
    let view = MessageView::parse(data);
    let Ok(view) = view else {
        // Nothing the view rejects may decode.
        assert!(
            Message::parse(data).is_err(),
            "view rejects what decode accepts"
        );
        return;
    };
    let _ = view.unknown_comprehension_required();
    if let Ok(message) = view.to_message() {
        let bytes = message.to_bytes();
        assert_eq!(
            bytes.len(),
            message.encoded_len(),
            "encoded_len agrees with encode"
        );
        let again = Message::parse(&bytes).expect("what we encode parses");
        assert_eq!(again, message, "round trip");
        assert_eq!(again.to_bytes(), bytes, "encoding is canonical");
    }
}

/// A fuzz target: takes arbitrary bytes, panics only on a bug.
pub type Target = fn(&[u8]);

/// Every fuzz target by name, for the corpus replay test.
pub const TARGETS: &[(&str, Target)] = &[("stun", stun)];

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    /// Replays every file of every committed corpus (`fuzz/corpus/<target>/`) through its target.
    #[test]
    fn replay_corpora() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus");
        let mut replayed = 0;
        for (name, target) in TARGETS {
            let dir = root.join(name);
            let entries = std::fs::read_dir(&dir)
                .unwrap_or_else(|e| panic!("corpus {} missing: {e}", dir.display()));
            for entry in entries {
                let path = entry.expect("dir entry").path();
                let data = std::fs::read(&path).expect("corpus file");
                target(&data);
                replayed += 1;
            }
        }
        assert!(replayed > 0, "no corpus files replayed");
    }

    #[test]
    fn stun_target_accepts_the_rfc5769_vectors() {
        stun(&crate::stun::tests::rfc5769_request());
        stun(&crate::stun::tests::rfc5769_response_v4());
        stun(&crate::stun::tests::rfc5769_response_v6());
        stun(b"");
        stun(&[0; 20]);
    }
}
