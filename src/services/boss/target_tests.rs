//! The Boss at a target: a real target's `boss: {url}`, the Boss user an emulator target runs
//! as, and the Boss tokens a saved emulator state never holds.

use crate::emulator::{self, Emulator, Seed};
use crate::http::{GlobusCredentials, HttpClient, HttpOptions};
use crate::target::{emulator_client, emulator_connection, real_urls};

const BOSS_SEED: &str = "
clients: [{ client_id: 11111111-1111-4111-8111-111111111111, client_secret: s3cret-value }]
boss:
  accord_user: alice
  users:
    - { username: alice, token: alice-b0ss-token, roles: [resource-manager] }
    - { username: bob, token: bob-b0ss-token }
    - { username: carol }
";

#[test]
fn saved_state_holds_no_boss_token_and_restores_the_seeds() {
    let seed = Seed::from_yaml_str(&crate::services::builtin(), BOSS_SEED).unwrap();
    let mut state = Emulator::new(seed.clone()).snapshot();
    assert_eq!(state["boss"]["users"]["alice"]["token"], "alice-b0ss-token");
    emulator::strip_secrets(seed.services(), &mut state);
    let text = state.to_string();
    assert!(!text.contains("b0ss-token"), "{text}");
    assert!(!text.contains("s3cret-value"), "{text}");
    emulator::restore_secrets(&seed, &mut state);
    let em = Emulator::from_snapshot(seed.clone(), state).unwrap();
    let users = &em.snapshot()["boss"]["users"];
    assert_eq!(users["alice"]["token"], "alice-b0ss-token");
    assert_eq!(users["bob"]["token"], "bob-b0ss-token");
    assert!(users["carol"]["token"].is_null());
    assert_eq!(em.snapshot()["boss"]["accord_user"], "alice");
}

#[test]
fn a_real_targets_boss_url_is_trusted_only_as_the_client_allows() {
    let boss = &crate::services::boss::api::API;
    let urls = real_urls(None);
    assert_eq!(urls.base(boss).unwrap(), "https://api.theboss.io");
    let urls = real_urls(Some(
        &[("boss".to_string(), "https://boss.example.org/".to_string())].into(),
    ));
    assert_eq!(urls.base(boss).unwrap(), "https://boss.example.org");
    let client = |allow: Vec<String>| {
        HttpClient::new(
            &crate::services::builtin().apis(),
            urls.clone(),
            GlobusCredentials::new("id", "s"),
            HttpOptions {
                allow_hosts: allow,
                ..HttpOptions::default()
            },
        )
        .unwrap()
    };
    let url = url::Url::parse(&urls.base(boss).unwrap()).unwrap();
    assert!(client(Vec::new()).check_trusted(&url).is_err());
    assert!(
        client(vec!["boss.example.org".into()])
            .check_trusted(&url)
            .is_ok()
    );
}

/// The connection document of an emulator started from a seed.
fn connection_of(seed: &Seed) -> serde_json::Value {
    serde_json::to_value(Emulator::new(seed.clone()).connection()).unwrap()
}

#[test]
fn emulator_targets_run_as_the_seeds_boss_user() {
    use crate::services::boss::provider::{BossCredentials, emulator_user};
    let seed = Seed::from_yaml_str(&crate::services::builtin(), BOSS_SEED).unwrap();
    let creds = emulator_user(&connection_of(&seed)).unwrap();
    assert_eq!(creds, BossCredentials::new("alice", "alice-b0ss-token"));
    let state = Emulator::new(seed).snapshot();
    assert_eq!(emulator_user(&state), Some(creds));
    let none = Seed::from_yaml_str(
        &crate::services::builtin(),
        "boss: { users: [{ username: bob, token: t }] }",
    )
    .unwrap();
    assert!(emulator_user(&connection_of(&none)).is_none());
    assert!(emulator_user(&Emulator::new(none).snapshot()).is_none());
}

#[tokio::test]
async fn a_url_target_connects_as_its_state_names_without_fetching_the_state() {
    // Two clients, the second sorting first by id: a URL target has always taken the
    // state's first client, and the connection route must answer that same one.
    let seed = Seed::from_yaml_str(
        &crate::services::builtin(),
        "
clients:
  - { client_id: 11111111-1111-4111-8111-111111111111, client_secret: s3cret-value }
  - { client_id: 01111111-1111-4111-8111-111111111111, client_secret: other-s3cret }
boss:
  accord_user: alice
  users: [{ username: alice, token: alice-b0ss-token, roles: [resource-manager] }]
",
    )
    .unwrap();
    let em = Emulator::new(seed);
    let state = em.snapshot();
    let running = emulator::spawn(em).await.unwrap();
    use crate::services::auth::provider::emulator_client as client_from;
    use crate::services::boss::provider::{BossCredentials, emulator_user};
    let doc = emulator_connection(&running.base_url).await.unwrap();
    let (client, boss) = (client_from(&doc), emulator_user(&doc));
    assert_eq!(client, client_from(&state));
    assert_eq!(
        client.map(|c| c.client_id),
        Some("01111111-1111-4111-8111-111111111111".to_string())
    );
    assert_eq!(boss, emulator_user(&state));
    assert_eq!(
        boss,
        Some(BossCredentials::new("alice", "alice-b0ss-token"))
    );
    assert_eq!(
        emulator_client(
            &crate::services::builtin(),
            &format!("{}/", running.base_url)
        )
        .await,
        client_from(&state)
    );
}
