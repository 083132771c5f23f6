//! HTTP: routes, pages, API, sessions, security headers.
