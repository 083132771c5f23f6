//! Persistence traits and types shared by both database backends.
