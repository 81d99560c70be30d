//! Transfer's emulator part: seeded records and the emulator clock.

use chrono::{DateTime, Utc};

use crate::emulator::{Emulator, Seed};
use crate::service::emulator::fmt_time;

const SEED: &str = "
clients: [{ client_id: 11111111-1111-4111-8111-111111111111, client_secret: s }]
identities: [{ username: alice@uni.edu }]
endpoints:
  - display_name: ep
    acl: [{ principal_type: identity, principal: alice@uni.edu, path: /a/, permissions: r }]
";

#[test]
fn new_at_stamps_seeded_objects_with_the_given_clock() {
    let now: DateTime<Utc> = "2026-11-23T00:00:00Z".parse().unwrap();
    let seed = Seed::from_yaml_str(&crate::services::builtin(), SEED).unwrap();
    let em = Emulator::new_at(seed, now);
    assert_eq!(em.now(), now);
    let snap = em.snapshot();
    let ep = snap["endpoints"]
        .as_object()
        .unwrap()
        .values()
        .next()
        .unwrap();
    assert_eq!(ep["acl"][0]["create_time"], fmt_time(now));
}
