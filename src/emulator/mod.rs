//! An axum server emulating every managed service, for embedded targets, `accord emulate` and tests.
