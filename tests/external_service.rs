//! A service defined entirely in this file plugs into accord through the public contract
//! alone: its section of the policy files (read by it with spans, checked with the core's
//! toolkit at file:line:col, counted in `accord validate`'s summary, described in the JSON
//! Schema, compiled into desired objects carrying their policy line), one kind with its
//! semantics, the resource its grants are on, and a provider over an in-memory live state
//! (no emulator). Registered with the built-in services, it validates, plans, applies and
//! drifts through the library's entry points like any of them, its changes traced to their
//! policy lines and its grants in the access delta.

use std::collections::BTreeMap;
use std::sync::Arc;

use accord::policy::ast::SpannedMap;
use accord::policy::limits::ObjectCounter;
use accord::policy::principal::PrincipalContext;
use accord::policy::{
    Checker, Compiler, FileSection, Located, ParsedValue, PolicySection, PrincipalRef, Resolved,
    ServicePolicy, Summary, Yaml, YamlError, compile, load_from_memory, policy_file_schema,
    property_schema, values,
};
use std::sync::Mutex;

use accord::engine::{self, PlanOptions};
use accord::service::{
    Caller, Connect, IdMap, LiveRead, Outcome, Provider, ProviderError, Scope, Service, Services,
};
use accord::state::access::{GrantSpec, On, ResourceDef, ResourceType};
use accord::state::kind::{FieldSpec, KindDef, KindSemantics};
use accord::state::{Action, Address, Change, Container, ContainerMode, Kind, Object, Principal};
use async_trait::async_trait;
use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::Deserialize;
use serde_saphyr::Spanned;

/// A reader of a note: `notes.reader[note][principal]`.
static READER_DEF: KindDef = KindDef::new("notes.reader", 9_000, 2)
    .fields(&[FieldSpec::access("level", &["read"])])
    .grants_access()
    .semantics(&Reader);
const READER: Kind = Kind::of(&READER_DEF);

/// A note (`note:<name>`), which its readers may read.
static NOTE_DEF: ResourceDef = ResourceDef::new("note", 9_000, 1);
const NOTE: ResourceType = ResourceType::of(&NOTE_DEF);

/// A reader is about its principal, reads its note, and is removed when undeclared because
/// each note's readers are authoritative.
struct Reader;

impl KindSemantics for Reader {
    fn principal_of(&self, address: &Address) -> Option<Principal> {
        address.keys.last()?.parse().ok()
    }

    fn removal_reason(&self, container: &Container, _address: &Address) -> Option<String> {
        Some(format!(
            "not in policy; the readers of note {} are authoritative",
            container.address.keys[0]
        ))
    }

    fn access_on<'a>(&self, address: &'a Address) -> Option<(&'a str, On<'a>)> {
        let k = &address.keys;
        (k.len() == 2).then(|| (k[1].as_str(), On::new(NOTE, &k[..1])))
    }

    fn grant<'a>(&self, object: &'a Object) -> Option<GrantSpec<'a>> {
        let (principal, on) = self.access_on(&object.address)?;
        Some(GrantSpec::in_field(principal, on, "level", "read"))
    }
}

/// One note as written.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Note {
    /// Who may read it.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    readers: Vec<Spanned<String>>,
}

/// `notes:` as the schema documents it.
#[derive(JsonSchema)]
#[allow(dead_code)]
struct Keys {
    /// Notes by name.
    #[serde(default)]
    notes: SpannedMap<Note>,
}

/// A note's readers: identities and groups, and `public`.
const READERS: PrincipalContext = PrincipalContext {
    place: "among a note's readers",
    groups: true,
    specials: &[PrincipalRef::Public],
    no_groups: "",
};

/// The notes of every file, merged and checked.
#[derive(Debug)]
struct NotesPolicy {
    notes: BTreeMap<String, Vec<Located<PrincipalRef>>>,
}

struct NotesSection;

impl ServicePolicy for NotesSection {
    fn keys(&self) -> &'static [&'static str] {
        &["notes"]
    }

    fn parse(&self, _key: &str, yaml: Yaml<'_, '_>) -> Result<ParsedValue, YamlError> {
        yaml.boxed::<SpannedMap<Note>>()
    }

    fn schema(&self, key: &str, generator: &mut SchemaGenerator) -> Schema {
        property_schema::<Keys>(key, generator)
    }

    fn count(&self, section: &FileSection<'_>, objects: &mut ObjectCounter) {
        for (k, note) in section
            .get::<SpannedMap<Note>>()
            .into_iter()
            .flat_map(|m| m.iter())
        {
            objects.one(&k.referenced);
            objects.many(note.readers.iter().map(|r| &r.referenced));
        }
    }

    fn check(&self, sections: &[FileSection<'_>], c: &mut Checker<'_>) -> Box<dyn PolicySection> {
        let mut notes: BTreeMap<String, Vec<Located<PrincipalRef>>> = BTreeMap::new();
        for (file, map) in values::<SpannedMap<Note>>(sections) {
            for (k, note) in map.iter() {
                let key = format!("notes.{}", k.value);
                let what = format!("note `{}`", k.value);
                let readers = c.principal_list(file, &key, &what, &note.readers, &READERS);
                notes.entry(k.value.clone()).or_default().extend(readers);
            }
        }
        Box::new(NotesPolicy { notes })
    }

    fn describe(&self, key: &str) -> Option<String> {
        Some(format!("note `{}`", key.split('.').nth(1).unwrap_or(key)))
    }
}

impl PolicySection for NotesPolicy {
    fn principals(&self, each: &mut dyn FnMut(&Located<PrincipalRef>)) {
        self.notes.values().flatten().for_each(each);
    }

    fn compile(&self, c: &mut Compiler<'_>) {
        for (note, readers) in &self.notes {
            // Each note's readers are exactly those listed: the live ones not listed go.
            c.desired.state.containers.push(Container {
                address: Address::partial(READER, [note.clone()]),
                mode: ContainerMode::Authoritative,
                manage_paths: Vec::new(),
                provenance: readers.first().map(|r| r.origin.provenance()),
            });
            for r in readers {
                let Some(p) = c.principal(r) else { continue };
                let address = Address::new(READER, [note.clone(), p.to_string()]);
                let who = c.resolved.label(&p);
                if !c.claim(&address, &r.origin, &who) {
                    continue;
                }
                let mut obj = Object::new(address);
                obj.depends_on.extend(c.managed_group(&p));
                obj.provenance = Some(r.origin.provenance());
                c.desired.state.insert(obj);
            }
        }
    }

    fn summary(&self) -> Option<Summary> {
        Some(Summary {
            title: Some("Notes"),
            counts: vec![format!("{} note(s)", self.notes.len())],
        })
    }
}

/// The notes service's live state: objects by address, as a server would keep them.
type Live = Arc<Mutex<BTreeMap<Address, Object>>>;

/// Reads and writes the in-memory live state, as a service's API would.
struct NotesProvider {
    live: Live,
}

#[async_trait]
impl Provider for NotesProvider {
    fn name(&self) -> &'static str {
        "notes"
    }

    fn kinds(&self) -> &'static [Kind] {
        &[READER]
    }

    fn caller(&self) -> Caller {
        Caller::Nobody
    }

    async fn read(&self, scope: &Scope) -> Result<LiveRead, ProviderError> {
        let live = self.live.lock().unwrap();
        let mut read = LiveRead::default();
        for container in scope.containers.iter().filter(|c| c.address.kind == READER) {
            for (address, object) in live.iter() {
                if address.keys[0] == container.address.keys[0] {
                    read.state.insert(object.clone());
                }
            }
        }
        Ok(read)
    }

    async fn apply(&self, changes: &[Change], _ids: &IdMap) -> Vec<Outcome> {
        let mut live = self.live.lock().unwrap();
        changes
            .iter()
            .map(|change| {
                match (change.action, &change.after) {
                    (Action::Delete, _) => {
                        live.remove(&change.address);
                    }
                    (_, Some(after)) => {
                        let mut object = after.clone();
                        object.server_id = Some(format!("n{}", live.len()));
                        live.insert(change.address.clone(), object);
                    }
                    (_, None) => {
                        return Outcome::Failed {
                            error: "nothing to write".into(),
                        };
                    }
                }
                Outcome::Applied { server_id: None }
            })
            .collect()
    }
}

#[derive(Default)]
struct Notes {
    live: Live,
}

impl Service for Notes {
    fn name(&self) -> &'static str {
        "notes"
    }

    fn title(&self) -> &'static str {
        "Notes"
    }

    fn kinds(&self) -> &'static [Kind] {
        &[READER]
    }

    fn resources(&self) -> &'static [ResourceType] {
        &[NOTE]
    }

    fn provider(&self, _cx: &Connect) -> Option<Arc<dyn Provider>> {
        Some(Arc::new(NotesProvider {
            live: self.live.clone(),
        }))
    }

    fn policy(&self) -> Option<&dyn ServicePolicy> {
        Some(&NotesSection)
    }
}

fn services() -> Services {
    accord::services::builtin().with(Arc::new(Notes::default()))
}

const ACCORD: &str = "policies: [\"*.yaml\"]\n";

#[test]
fn a_service_from_outside_reads_checks_and_compiles_its_own_section() {
    let policy = "identities:\n  alice: alice@uchicago.edu\ngroups:\n  lab: {}\nnotes:\n  minutes:\n    readers: [alice, group:lab, public]\n";
    let ws = load_from_memory(
        std::path::Path::new("ws"),
        &[("accord.yaml", ACCORD), ("p.yaml", policy)],
        &services(),
    )
    .unwrap_or_else(|d| panic!("{d}"));
    let notes = ws
        .policy
        .section::<NotesPolicy>()
        .expect("the notes section");
    assert_eq!(notes.notes["minutes"].len(), 3);
    assert_eq!(
        ws.policy.summary(),
        "1 group(s), 0 endpoint(s), 0 collection(s), 0 search index(es); Notes: 1 note(s)"
    );

    let alice = uuid::Uuid::new_v4();
    let resolved = Resolved::from_pairs([
        (
            PrincipalRef::Alias("alice".into()),
            Principal::Identity(alice),
        ),
        (
            PrincipalRef::GroupName("lab".into()),
            Principal::ManagedGroup("lab".into()),
        ),
        (PrincipalRef::Public, Principal::Public),
    ]);
    let desired = compile(&ws.policy, &resolved, chrono::Utc::now()).unwrap();
    let reader = desired
        .state
        .objects
        .get(&Address::new(
            READER,
            ["minutes".into(), format!("identity:{alice}")],
        ))
        .expect("alice reads the minutes");
    let at = reader.provenance.as_ref().unwrap();
    assert_eq!((at.line, at.column), (7, 15));
    let lab = desired
        .state
        .objects
        .get(&Address::new(READER, ["minutes", "group:lab"]))
        .expect("the lab reads the minutes");
    assert_eq!(lab.depends_on.len(), 1, "it waits for the managed group");
}

#[test]
fn its_mistakes_are_told_at_their_line_like_the_built_in_ones() {
    let policy = "notes:\n  minutes:\n    readers: [anonymous, group:nobody, carol@uni.edu, carol@UNI.edu]\n";
    let diags = load_from_memory(
        std::path::Path::new("ws"),
        &[("accord.yaml", ACCORD), ("p.yaml", policy)],
        &services(),
    )
    .map(|_| ())
    .unwrap_err();
    let text = diags.to_string();
    assert!(
        text.contains("p.yaml:3:15: `anonymous` is not allowed among a note's readers"),
        "{text}"
    );
    assert!(
        text.contains("p.yaml:3:26: group `nobody` is not declared under `groups:`"),
        "{text}"
    );
    assert!(text.contains("listed twice in note `minutes`"), "{text}");
    // An unknown key lists the new one with the built-in ones.
    let diags = load_from_memory(
        std::path::Path::new("ws"),
        &[("accord.yaml", ACCORD), ("p.yaml", "noets: {}\n")],
        &services(),
    )
    .map(|_| ())
    .unwrap_err();
    assert!(
        diags.to_string().contains(
            "expected one of identities, groups, collections, endpoints, search, boss, flows, notes"
        ),
        "{diags}"
    );
}

#[test]
fn its_part_of_the_schema_joins_the_policy_file_schema() {
    let schema = policy_file_schema(&services());
    assert_eq!(
        schema["properties"]["notes"]["description"],
        "Notes by name."
    );
    assert!(schema["$defs"]["Note"].is_object(), "{schema:#}");
}

/// The embedded target's starting state: the identities the policy names.
const SEED: &str = "clients:
  - { client_id: 0b1e4d5c-6f7a-4b8c-9d0e-1f2a3b4c5d6e, client_secret: not-a-secret }
identities:
  - { id: 8f3e2a1b-4c5d-4e6f-8a9b-0c1d2e3f4a5b, username: alice@uchicago.edu }
  - { id: 2d7a4c6e-0a8e-4d8f-9d1e-5f6a7b8c9d0e, username: bob@uchicago.edu }
";
const ALICE: &str = "identity:8f3e2a1b-4c5d-4e6f-8a9b-0c1d2e3f4a5b";
const BOB: &str = "identity:2d7a4c6e-0a8e-4d8f-9d1e-5f6a7b8c9d0e";

#[tokio::test]
async fn a_service_from_outside_validates_plans_applies_and_drifts_like_the_built_in_ones() {
    let live = Live::default();
    let services = accord::services::builtin().with(Arc::new(Notes { live: live.clone() }));
    let dir = tempfile::tempdir().unwrap();
    let files = [
        (
            "accord.yaml",
            "policies: [\"notes.yaml\"]\ntargets:\n  demo: { embedded: true, seed: live.yaml }\ndefault_target: demo\n",
        ),
        ("live.yaml", SEED),
        (
            "notes.yaml",
            "identities:\n  alice: alice@uchicago.edu\nnotes:\n  minutes:\n    readers:\n      - alice\n      - public\n",
        ),
    ];
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }

    // Validate: the section is read, checked and summarised with the built-in ones.
    let ws =
        accord::policy::load_workspace(dir.path(), &services).unwrap_or_else(|d| panic!("{d}"));
    assert!(
        ws.policy.summary().ends_with("Notes: 1 note(s)"),
        "{}",
        ws.policy.summary()
    );

    // Plan: each reader is a create traced to its policy line; the grants reach the delta.
    let now = chrono::Utc::now();
    let conn = accord::target::connect(&services, Some(&ws), None, Some(now))
        .await
        .unwrap();
    let opts = PlanOptions {
        now: Some(now),
        ..PlanOptions::default()
    };
    let planned = engine::plan(&ws, &conn.session, &opts).await.unwrap();
    let plan = &planned.plan;
    let alice = Address::new(READER, ["minutes", ALICE]);
    let create = plan
        .changes
        .iter()
        .find(|c| c.address == alice)
        .expect("alice becomes a reader");
    assert_eq!(create.action, Action::Create);
    let at = create.provenance.as_ref().expect("its policy line");
    assert_eq!(
        (at.file.to_str(), at.line, at.column),
        (Some("notes.yaml"), 6, 9)
    );
    assert_eq!(plan.changes.len(), 2, "{:#?}", plan.changes);
    let gains: Vec<(String, String, Option<String>)> = plan
        .access_delta
        .gains
        .iter()
        .map(|g| (g.principal.clone(), g.resource.to_string(), g.after.clone()))
        .collect();
    assert!(
        gains.contains(&(ALICE.into(), "note:minutes".into(), Some("read".into()))),
        "{gains:?}"
    );
    assert!(
        plan.access.escalations.iter().any(|e| e.contains("public")),
        "a grant to everyone escalates: {:?}",
        plan.access
    );

    // Apply: the provider is sent the changes; a second plan finds nothing to do.
    let report = engine::apply_plan(plan, &conn.session, &planned.ids, 4, &()).await;
    assert!(!report.failed(), "{report:?}");
    assert_eq!(live.lock().unwrap().len(), 2);
    let again = engine::plan(&ws, &conn.session, &opts).await.unwrap();
    assert!(again.plan.is_empty(), "{:#?}", again.plan.changes);

    // Drift: a reader added outside accord is found, and the plan removes it, saying why.
    let bob = Address::new(READER, ["minutes", BOB]);
    live.lock()
        .unwrap()
        .insert(bob.clone(), Object::new(bob.clone()));
    let drifted = engine::plan(&ws, &conn.session, &opts).await.unwrap();
    let drift = accord::plan::drift::drift(&drifted.plan);
    assert_eq!(drift.items.len(), 1, "{:?}", drift.items);
    assert_eq!(drift.items[0].address, bob);
    let removal = &drifted.plan.changes[0];
    assert_eq!(removal.action, Action::Delete);
    assert_eq!(
        removal.reason,
        "not in policy; the readers of note minutes are authoritative"
    );
    assert!(
        drifted
            .plan
            .access_delta
            .losses
            .iter()
            .any(|l| l.principal == BOB),
        "{:?}",
        drifted.plan.access_delta
    );
}
