//! Test-only package; see tests/roundtrip.rs.
