//! Test-only package; see tests/try_io.rs.
