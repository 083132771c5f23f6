//! The PostgreSQL backend (scale-out).
