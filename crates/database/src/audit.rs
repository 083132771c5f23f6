//! Tamper-evident audit chain (in progress).
