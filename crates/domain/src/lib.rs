//! The meldcode as pure logic.
