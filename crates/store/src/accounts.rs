//! Accounts: sessions, second factor, throttling, one-time links, shares (in progress).
