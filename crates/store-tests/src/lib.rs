//! One conformance suite for the store traits, run against both backends.
