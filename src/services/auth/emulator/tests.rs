//! Auth's emulator part: tokens issued without HTTP.

use crate::emulator::{Emulator, Seed};

const SEED: &str = "
clients: [{ client_id: 11111111-1111-4111-8111-111111111111, client_secret: s }]
identities: [{ username: alice@uni.edu }]
endpoints:
  - display_name: ep
    acl: [{ principal_type: identity, principal: alice@uni.edu, path: /a/, permissions: r }]
";

#[test]
fn issued_tokens_lists_every_token() {
    let em = Emulator::new(Seed::from_yaml_str(&crate::services::builtin(), SEED).unwrap());
    assert!(em.issued_tokens().is_empty());
    let client = "11111111-1111-4111-8111-111111111111".parse().unwrap();
    let t = super::issue_tokens(
        em.handle(),
        client,
        "urn:globus:auth:scope:groups.api.globus.org:all urn:globus:auth:scope:transfer.api.globus.org:all",
    )
    .unwrap();
    let mut want = vec![t.access_token, t.other_tokens[0].access_token.clone()];
    want.sort();
    assert_eq!(em.issued_tokens(), want);
}
