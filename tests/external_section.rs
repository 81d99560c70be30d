//! A service defined entirely in this file brings its own section of the policy files: its
//! key is read by it (spans kept), checked with the core's toolkit (diagnostics at
//! file:line:col, principals classified and resolved like the built-in services'), counted
//! in `accord validate`'s summary, described in the JSON Schema, and compiled into desired
//! objects carrying their policy line. Only the public contract is used.

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
use accord::service::{Service, Services};
use accord::state::kind::KindDef;
use accord::state::{Address, Kind, Object, Principal};
use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::Deserialize;
use serde_saphyr::Spanned;

/// A reader of a note: `notes.reader[note][principal]`.
static READER_DEF: KindDef = KindDef::new("notes.reader", 9_000, 2).grants_access();
const READER: Kind = Kind::of(&READER_DEF);

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

struct Notes;

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

    fn policy(&self) -> Option<&dyn ServicePolicy> {
        Some(&NotesSection)
    }
}

fn services() -> Services {
    accord::services::builtin().with(Arc::new(Notes))
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
            "expected one of identities, groups, collections, endpoints, search, boss, notes"
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
