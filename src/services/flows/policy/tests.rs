//! `flows:` validated and compiled.
