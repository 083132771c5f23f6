//! The meldcode as pure logic.

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod sector;
pub mod working_days;

pub use sector::Sector;
pub use working_days::{Calendar, Holiday, easter_sunday, public_holiday, public_holidays};
