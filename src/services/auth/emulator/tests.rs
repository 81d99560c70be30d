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

#[test]
fn saved_state_holds_no_secret_and_restores_the_seeds() {
    let seed = Seed::from_yaml_str(&crate::services::builtin(),
        "clients: [{ client_id: 11111111-1111-4111-8111-111111111111, client_secret: s3cret-value }]",
    )
    .unwrap();
    let mut state = Emulator::new(seed.clone()).snapshot();
    crate::emulator::strip_secrets(seed.services(), &mut state);
    assert!(!state.to_string().contains("s3cret-value"), "{state}");
    crate::emulator::restore_secrets(&seed, &mut state);
    let em = Emulator::from_snapshot(seed.clone(), state).unwrap();
    let client = seed
        .part::<crate::services::auth::emulator::AuthSeed>()
        .unwrap()
        .clients[0]
        .client_id;
    assert!(
        crate::services::auth::emulator::issue_tokens(
            em.handle(),
            client,
            "urn:globus:auth:scope:groups.api.globus.org:all"
        )
        .is_some()
    );
    assert_eq!(
        em.snapshot()["clients"][client.to_string()]["secret"],
        "s3cret-value"
    );
}
