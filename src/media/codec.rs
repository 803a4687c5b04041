//! Codecs as SDP describes them, and the offer/answer rules that match them.
