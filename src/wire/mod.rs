//! The JSON documents of each service, decoded leniently (unknown fields kept).
