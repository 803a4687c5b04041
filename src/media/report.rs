//! RFC 3550 statistics and reports.
