//! Checking `boss:` (see `policy::validate` and `docs/boss-model.md`); `lower` merges it
//! into the model.
use std::collections::{BTreeMap, BTreeSet};

use serde_saphyr::Spanned;

use petgraph::graph::DiGraph;

use super::Check;
use super::codes as boss_codes;
use crate::policy::diagnostics::codes;
use crate::policy::principal::closest;
use crate::policy::validate::{join_and, range};
use crate::policy::{FileSection, Origin, values};

use super::ast::{self, PermissionValue};
use super::decls::{BossDecls, expand_set};
use super::model::{BossLevel, BossPolicy};
/// Boss permission names valid on every resource.
pub use crate::services::boss::wire::RESOURCE_PERMISSIONS as BOSS_PERMISSIONS;
/// Boss permission names valid on channels only.
pub use crate::services::boss::wire::VOLUMETRIC_PERMISSIONS as BOSS_VOLUMETRIC;
/// The Boss's built-in public group, which may only be granted read permissions.
const BOSS_PUBLIC_GROUP: &str = "public";
/// The Boss's admin group, which gets every permission on every new object.
const BOSS_ADMIN_GROUP: &str = "admin";

/// The Boss naming rule accord enforces for every Boss name (collections, experiments,
/// channels, frames, groups, users, permission sets): 1 to 255 characters from
/// `[A-Za-z0-9_-]`. This is the Boss's resource rule (`^[a-zA-Z0-9_-]*$`, max 255) made
/// non-empty; group and user names sit in URL segments matching `[\w_-]+`, which this
/// ASCII rule stays within.
pub fn boss_name_ok(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 255
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}
const VOXEL_UNITS: [&str; 4] = ["nanometers", "micrometers", "millimeters", "centimeters"];
const HIERARCHY_METHODS: [&str; 2] = ["anisotropic", "isotropic"];
const TIME_STEP_UNITS: [&str; 4] = ["nanoseconds", "microseconds", "milliseconds", "seconds"];
const CHANNEL_TYPES: [&str; 2] = ["image", "annotation"];
const DATATYPES: [&str; 3] = ["uint8", "uint16", "uint64"];

impl Check<'_, '_> {
    pub(crate) fn boss_name(&mut self, file: usize, s: &Spanned<String>, what: &str) -> bool {
        if boss_name_ok(&s.value) {
            return true;
        }
        let o = self.at(file, s);
        let d = self
            .diag(
                boss_codes::BOSS_NAME,
                &o,
                format!("Boss {what} name `{}` is not allowed", s.value),
            )
            .with_label("invalid Boss name")
            .with_help("Boss names are 1 to 255 characters from letters, digits, `_` and `-`");
        self.emit(d);
        false
    }

    pub(crate) fn boss(&mut self, files: &[FileSection<'_>]) -> Option<BossPolicy> {
        let mut first = None;
        let mut decls = BossDecls::default();
        // Pass 1: declarations (groups, sets, frames), with their own checks.
        for (file, b) in values::<Option<Spanned<ast::Boss>>>(files) {
            let Some(b) = b else { continue };
            first.get_or_insert_with(|| self.at(file, b));
            let b = &b.value;
            for (k, set) in b.permission_sets.iter() {
                let o = self.at(file, k);
                if !self.claim(
                    format!("boss.permission_set.{}", k.value),
                    &o,
                    &format!("Boss permission set `{}`", k.value),
                ) {
                    continue;
                }
                if !self.boss_name(file, k, "permission set") {
                    continue;
                }
                if BOSS_PERMISSIONS.contains(&k.value.as_str())
                    || BOSS_VOLUMETRIC.contains(&k.value.as_str())
                {
                    let d = self
                        .diag(
                            boss_codes::BOSS_PERMISSION,
                            &o,
                            format!(
                                "permission set `{}` has the name of a Boss permission",
                                k.value
                            ),
                        )
                        .with_label("shadows a permission")
                        .with_help("give the set another name, e.g. `reader`");
                    self.emit(d);
                    continue;
                }
                let entries = set
                    .value
                    .iter()
                    .map(|e| (e.value.clone(), self.at(file, e)))
                    .collect();
                decls.sets.insert(k.value.clone(), (o, entries));
            }
            for (k, g) in b.groups.iter() {
                let o = self.at(file, k);
                let key = format!("boss.group.{}", k.value);
                let what = format!("Boss group `{}`", k.value);
                if !self.boss_name(file, k, "group") {
                    continue;
                }
                if k.value == BOSS_PUBLIC_GROUP
                    || k.value == BOSS_ADMIN_GROUP
                    || k.value.ends_with("-primary")
                {
                    let d = self
                        .diag(
                            boss_codes::BOSS_NAME,
                            &o,
                            format!("Boss group `{}` is made and managed by the Boss itself", k.value),
                        )
                        .with_label("system group")
                        .with_help("`admin`, `public` and each user's `<username>-primary` group are the Boss's own; choose another name");
                    self.emit(d);
                    continue;
                }
                let absent = match &g.absent {
                    Some(a) if a.value => {
                        let ao = self.at(file, a);
                        self.claim(format!("{key}.absent"), &ao, &format!("`absent` of {what}"))
                            .then_some(ao)
                    }
                    _ => None,
                };
                let entry = decls.groups.entry(k.value.clone()).or_insert((o, None));
                if absent.is_some() {
                    entry.1 = absent.clone();
                }
                let mut content = None;
                for (field, list) in [("members", &g.members), ("maintainers", &g.maintainers)] {
                    for u in list.iter().flatten() {
                        let uo = self.at(file, u);
                        content.get_or_insert(uo.clone());
                        if self.claim(
                            format!("{key}.{field}.{}", u.value),
                            &uo,
                            &format!("`{}` in `{field}` of {what}", u.value),
                        ) {
                            self.boss_name(file, u, "username");
                        }
                    }
                }
                self.mode(file, &g.mode, &key);
                if let (Some(a), Some(c)) = (decls.groups[&k.value].1.clone(), content) {
                    let d = self
                        .diag(codes::ABSENT_WITH_CONTENT, &c, format!("{what} is marked `absent: true` but also lists members"))
                        .with_label("member of a deleted group")
                        .also_at(self.files, &a, "marked absent here")
                        .with_help("a tombstone deletes the group: remove its members, or remove `absent: true`");
                    self.emit(d);
                }
            }
            for (k, f) in b.coordinate_frames.iter() {
                let o = self.at(file, k);
                if !self.claim(
                    format!("boss.coordinate_frame.{}", k.value),
                    &o,
                    &format!("Boss coordinate frame `{}`", k.value),
                ) {
                    continue;
                }
                if self.boss_name(file, k, "coordinate frame") {
                    decls.frames.insert(k.value.clone(), o);
                }
                self.frame(file, &k.value, &f.value);
            }
        }
        first.as_ref()?;
        self.set_cycles(&decls);
        // Pass 2: resources.
        for (file, b) in values::<Option<Spanned<ast::Boss>>>(files) {
            let Some(b) = b else { continue };
            for (ck, c) in b.value.collections.iter() {
                let key = format!("boss.collection.{}", ck.value);
                if !self.boss_name(file, ck, "collection") {
                    continue;
                }
                self.boss_resource_common(
                    file,
                    &key,
                    &format!("Boss collection `{}`", ck.value),
                    &c.description,
                    &c.public,
                    &c.prevent_destroy,
                    &c.absent,
                    &c.mode,
                );
                self.boss_permissions(file, &key, &c.permissions, BossLevel::Collection, &decls);
                for (ek, e) in c.experiments.iter() {
                    let ekey = format!("{key}.experiment.{}", ek.value);
                    let ewhat = format!("Boss experiment `{}/{}`", ck.value, ek.value);
                    if !self.boss_name(file, ek, "experiment") {
                        continue;
                    }
                    self.boss_resource_common(
                        file,
                        &ekey,
                        &ewhat,
                        &e.description,
                        &e.public,
                        &e.prevent_destroy,
                        &e.absent,
                        &e.mode,
                    );
                    self.experiment(file, &ekey, &ewhat, e, &decls);
                    self.boss_permissions(
                        file,
                        &ekey,
                        &e.permissions,
                        BossLevel::Experiment,
                        &decls,
                    );
                    for (hk, h) in e.channels.iter() {
                        let hkey = format!("{ekey}.channel.{}", hk.value);
                        let hwhat =
                            format!("Boss channel `{}/{}/{}`", ck.value, ek.value, hk.value);
                        if !self.boss_name(file, hk, "channel") {
                            continue;
                        }
                        self.boss_resource_common(
                            file,
                            &hkey,
                            &hwhat,
                            &h.description,
                            &h.public,
                            &h.prevent_destroy,
                            &h.absent,
                            &h.mode,
                        );
                        self.channel(file, &hkey, &hwhat, h);
                        self.boss_permissions(
                            file,
                            &hkey,
                            &h.permissions,
                            BossLevel::Channel,
                            &decls,
                        );
                    }
                }
            }
        }
        self.boss_required(files, &decls);
        let origin = first?;
        Some(self.boss_lower(files, &decls, origin))
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) fn boss_resource_common(
        &mut self,
        file: usize,
        key: &str,
        what: &str,
        description: &Option<Spanned<String>>,
        public: &Option<Spanned<bool>>,
        prevent_destroy: &Option<Spanned<bool>>,
        absent: &Option<Spanned<bool>>,
        mode: &Option<Spanned<String>>,
    ) {
        if let Some(d) = description {
            let o = self.at(file, d);
            if self.claim(
                format!("{key}.description"),
                &o,
                &format!("`description` of {what}"),
            ) && d.value.chars().count() > 4096
            {
                let e = self
                    .diag(
                        codes::INVALID_VALUE,
                        &o,
                        format!("description of {what} is longer than 4096 characters"),
                    )
                    .with_label("too long");
                self.emit(e);
            }
        }
        for (field, v) in [
            ("public", public),
            ("prevent_destroy", prevent_destroy),
            ("absent", absent),
        ] {
            if let Some(v) = v {
                let o = self.at(file, v);
                self.claim(
                    format!("{key}.{field}"),
                    &o,
                    &format!("`{field}` of {what}"),
                );
            }
        }
        self.mode(file, mode, key);
    }

    pub(crate) fn frame(&mut self, file: usize, name: &str, f: &ast::CoordinateFrame) {
        for (axis, start, stop) in [
            ("x", &f.x_start, &f.x_stop),
            ("y", &f.y_start, &f.y_stop),
            ("z", &f.z_start, &f.z_stop),
        ] {
            let stop_name = format!("coordinate frame `{name}`: {axis}_stop");
            if !self.in_range(file, stop, &stop_name, 1..=range::INT32_MAX, None) {
                continue;
            }
            if start.value < 0 || stop.value <= start.value {
                let o = self.at(file, stop);
                let d = self
                    .diag(codes::INVALID_VALUE, &o, format!("coordinate frame `{name}`: {axis}_stop {} must be greater than {axis}_start {} (and both at least 0)", stop.value, start.value))
                    .with_label("empty or negative extent")
                    .with_help("`*_stop` is exclusive: a frame of 2048 voxels along x is `x_start: 0, x_stop: 2048`");
                self.emit(d);
            }
        }
        for (axis, size) in [
            ("x", &f.x_voxel_size),
            ("y", &f.y_voxel_size),
            ("z", &f.z_voxel_size),
        ] {
            if !(size.value.is_finite() && size.value > 0.0) {
                let o = self.at(file, size);
                let d = self
                    .diag(
                        codes::INVALID_VALUE,
                        &o,
                        format!("coordinate frame `{name}`: {axis}_voxel_size must be positive"),
                    )
                    .with_label("not a positive size");
                self.emit(d);
            }
        }
        self.one_of(
            file,
            &f.voxel_unit,
            &VOXEL_UNITS,
            codes::INVALID_VALUE,
            "voxel unit",
        );
    }

    pub(crate) fn experiment(
        &mut self,
        file: usize,
        key: &str,
        what: &str,
        e: &ast::BossExperiment,
        decls: &BossDecls,
    ) {
        if let Some(cf) = &e.coord_frame {
            let o = self.at(file, cf);
            if self.claim(
                format!("{key}.coord_frame"),
                &o,
                &format!("`coord_frame` of {what}"),
            ) && !decls.frames.contains_key(&cf.value)
            {
                let d = self
                    .diag(
                        boss_codes::BOSS_COORD_FRAME,
                        &o,
                        format!(
                            "coordinate frame `{}` is not declared under `boss.coordinate_frames`",
                            cf.value
                        ),
                    )
                    .with_label("undeclared coordinate frame")
                    .with_help_opt(Some(
                        match closest(&cf.value, decls.frames.keys().map(String::as_str)) {
                            Some(c) => format!("did you mean `{c}`?"),
                            None => "declare the frame under `boss.coordinate_frames`".into(),
                        },
                    ));
                self.emit(d);
            }
        }
        self.claimed_one_of(
            file,
            key,
            what,
            "hierarchy_method",
            e.hierarchy_method.as_ref(),
            &HIERARCHY_METHODS,
            codes::INVALID_VALUE,
            "hierarchy method",
        );
        self.claimed_one_of(
            file,
            key,
            what,
            "time_step_unit",
            e.time_step_unit.as_ref(),
            &TIME_STEP_UNITS,
            codes::INVALID_VALUE,
            "time step unit",
        );
        for (field, v, min) in [
            ("num_hierarchy_levels", &e.num_hierarchy_levels, 1),
            ("num_time_samples", &e.num_time_samples, 1),
            ("time_step", &e.time_step, 0),
        ] {
            if let Some(v) = v {
                let o = self.at(file, v);
                let name = format!("`{field}` of {what}");
                if self.claim(format!("{key}.{field}"), &o, &name) {
                    self.in_range(file, v, &name, min..=range::INT32_MAX, None);
                }
            }
        }
    }

    pub(crate) fn channel(&mut self, file: usize, key: &str, what: &str, h: &ast::BossChannel) {
        self.claimed_one_of(
            file,
            key,
            what,
            "type",
            h.channel_type.as_ref(),
            &CHANNEL_TYPES,
            codes::INVALID_VALUE,
            "channel type",
        );
        self.claimed_one_of(
            file,
            key,
            what,
            "datatype",
            h.datatype.as_ref(),
            &DATATYPES,
            codes::INVALID_VALUE,
            "channel datatype",
        );
        for (field, v) in [
            ("default_time_sample", &h.default_time_sample),
            ("base_resolution", &h.base_resolution),
        ] {
            if let Some(v) = v {
                let o = self.at(file, v);
                let name = format!("`{field}` of {what}");
                if self.claim(format!("{key}.{field}"), &o, &name) {
                    self.in_range(file, v, &name, 0..=range::INT32_MAX, None);
                }
            }
        }
        for (field, v) in [("sources", &h.sources), ("related", &h.related)] {
            for s in v.iter().flatten() {
                let o = self.at(file, s);
                if self.claim(
                    format!("{key}.{field}.{}", s.value),
                    &o,
                    &format!("`{}` in `{field}` of {what}", s.value),
                ) {
                    self.boss_name(file, s, "channel");
                }
            }
        }
    }

    /// Checks one resource's `permissions:`.
    pub(crate) fn boss_permissions(
        &mut self,
        file: usize,
        key: &str,
        perms: &ast::BossPermissions,
        level: BossLevel,
        decls: &BossDecls,
    ) {
        for (g, v) in perms.iter() {
            let go = self.at(file, g);
            if !self.claim(
                format!("{key}.permissions.{}", g.value),
                &go,
                &format!(
                    "permissions of Boss group `{}` on this {}",
                    g.value,
                    level.word()
                ),
            ) {
                continue;
            }
            let is_public = g.value == BOSS_PUBLIC_GROUP;
            match decls.groups.get(&g.value) {
                _ if is_public => {}
                None => {
                    let d = self
                        .diag(boss_codes::BOSS_UNDECLARED_GROUP, &go, format!("Boss group `{}` is not declared under `boss.groups`", g.value))
                        .with_label("undeclared Boss group")
                        .with_help(match closest(&g.value, decls.groups.keys().map(String::as_str)) {
                            Some(c) => format!("did you mean `{c}`?"),
                            None => "declare it under `boss.groups` (Boss groups are a namespace of their own, apart from Globus groups)".into(),
                        });
                    self.emit(d);
                }
                Some((_, Some(absent_at))) => {
                    let d = self
                        .diag(
                            codes::ABSENT_GROUP,
                            &go,
                            format!(
                                "Boss group `{}` is marked `absent: true`, which accord deletes",
                                g.value
                            ),
                        )
                        .with_label("reference to a deleted group")
                        .also_at(self.files, absent_at, "marked absent here");
                    self.emit(d);
                }
                Some(_) => {}
            }
            let items: Vec<(String, Origin)> = match &v.value {
                PermissionValue::One(s) => vec![(s.clone(), self.at(file, v))],
                PermissionValue::Many(list) => list
                    .iter()
                    .map(|s| (s.value.clone(), self.at(file, s)))
                    .collect(),
            };
            let mut seen: BTreeMap<String, Origin> = BTreeMap::new();
            for (name, o) in items {
                if let Some(first) = seen.get(&name) {
                    let d = self
                        .diag(
                            codes::DEFINED_TWICE,
                            &o,
                            format!("`{name}` is listed twice for Boss group `{}`", g.value),
                        )
                        .with_label("listed again")
                        .also_at(self.files, first, "first listed here");
                    self.emit(d);
                    continue;
                }
                seen.insert(name.clone(), o.clone());
                let granted: BTreeSet<String> = if BOSS_PERMISSIONS.contains(&name.as_str())
                    || BOSS_VOLUMETRIC.contains(&name.as_str())
                {
                    [name.clone()].into()
                } else if let Some((set_at, _)) = decls.sets.get(&name) {
                    let set_at = set_at.clone();
                    let perms = expand_set(&name, &decls.sets);
                    if level != BossLevel::Channel
                        && let Some(vol) =
                            perms.iter().find(|p| BOSS_VOLUMETRIC.contains(&p.as_str()))
                    {
                        let d = self
                            .diag(boss_codes::BOSS_VOLUMETRIC, &o, format!("permission set `{name}` grants `{vol}`, which only channels take, on a Boss {}", level.word()))
                            .with_label("volumetric permission above channel level")
                            .also_at(self.files, &set_at, "set defined here")
                            .with_help("grant volumetric permissions on channels; on collections and experiments use a set without them");
                        self.emit(d);
                    }
                    perms
                } else if name == "maintain_group" {
                    let d = self
                        .diag(
                            boss_codes::BOSS_PERMISSION,
                            &o,
                            "`maintain_group` is a permission on Boss groups, not on resources",
                        )
                        .with_label("not a resource permission")
                        .with_help(
                            "list the group's maintainers under `boss.groups.<name>.maintainers`",
                        );
                    self.emit(d);
                    continue;
                } else {
                    let candidates = BOSS_PERMISSIONS
                        .iter()
                        .chain(BOSS_VOLUMETRIC.iter())
                        .copied()
                        .chain(decls.sets.keys().map(String::as_str));
                    let d = self
                        .diag(boss_codes::BOSS_PERMISSION, &o, format!("`{name}` is neither a Boss permission nor a permission set"))
                        .with_label("unknown permission")
                        .with_help(match closest(&name, candidates) {
                            Some(c) => format!("did you mean `{c}`?"),
                            None => format!("Boss permissions are {}, {}; or declare a set under `boss.permission_sets`", BOSS_PERMISSIONS.join(", "), BOSS_VOLUMETRIC.join(", ")),
                        });
                    self.emit(d);
                    continue;
                };
                if level != BossLevel::Channel && BOSS_VOLUMETRIC.contains(&name.as_str()) {
                    let d = self
                        .diag(
                            boss_codes::BOSS_VOLUMETRIC,
                            &o,
                            format!(
                                "`{name}` is a channel permission; a Boss {} cannot take it",
                                level.word()
                            ),
                        )
                        .with_label("volumetric permission above channel level")
                        .with_help("grant volumetric permissions on the channels of this resource");
                    self.emit(d);
                }
                if is_public
                    && let Some(bad) = granted
                        .iter()
                        .find(|p| *p != "read" && *p != "read_volumetric_data")
                {
                    let d = self
                        .diag(boss_codes::BOSS_PERMISSION, &o, format!("the Boss `public` group can only have read permissions, not `{bad}`"))
                        .with_label("not a read permission")
                        .with_help("grant `public` only `read` and `read_volumetric_data`");
                    self.emit(d);
                }
            }
        }
    }

    /// Reports each cycle between permission sets once, naming every member.
    pub(crate) fn set_cycles(&mut self, decls: &BossDecls) {
        let mut graph = DiGraph::<&str, ()>::new();
        let nodes: BTreeMap<&str, _> = decls
            .sets
            .keys()
            .map(|k| (k.as_str(), graph.add_node(k.as_str())))
            .collect();
        for (name, (_, entries)) in &decls.sets {
            for (e, _) in entries {
                if let Some(&to) = nodes.get(e.as_str()) {
                    graph.add_edge(nodes[name.as_str()], to, ());
                }
            }
        }
        for scc in petgraph::algo::tarjan_scc(&graph) {
            let is_cycle = scc.len() > 1 || graph.contains_edge(scc[0], scc[0]);
            if !is_cycle {
                continue;
            }
            let mut members: Vec<&str> = scc.iter().map(|n| graph[*n]).collect();
            members.sort_unstable();
            let (first_at, _) = &decls.sets[members[0]];
            let msg = if members.len() == 1 {
                format!("permission set `{}` includes itself", members[0])
            } else {
                let all = join_and(members.iter().map(|m| format!("`{m}`")));
                format!("permission sets {all} include each other in a cycle")
            };
            let mut d = self
                .diag(boss_codes::BOSS_SET_CYCLE, first_at, msg)
                .with_label("part of the cycle")
                .with_help("a permission set may include other sets, but not itself, directly or through others");
            for m in &members[1..] {
                let (at, _) = &decls.sets[*m];
                d = d.also_at(self.files, at, "part of the cycle");
            }
            self.emit(d);
        }
        // Entries that are neither permissions nor sets.
        for (name, (_, entries)) in &decls.sets {
            for (e, o) in entries {
                if BOSS_PERMISSIONS.contains(&e.as_str())
                    || BOSS_VOLUMETRIC.contains(&e.as_str())
                    || decls.sets.contains_key(e)
                {
                    continue;
                }
                let candidates = BOSS_PERMISSIONS
                    .iter()
                    .chain(BOSS_VOLUMETRIC.iter())
                    .copied()
                    .chain(decls.sets.keys().map(String::as_str));
                let d = self
                    .diag(boss_codes::BOSS_PERMISSION, o, format!("`{e}` in permission set `{name}` is neither a Boss permission nor a permission set"))
                    .with_label("unknown permission")
                    .with_help(match closest(e, candidates) {
                        Some(c) => format!("did you mean `{c}`?"),
                        None => format!("Boss permissions are {}, {}", BOSS_PERMISSIONS.join(", "), BOSS_VOLUMETRIC.join(", ")),
                    });
                self.emit(d);
            }
        }
    }

    /// After merging: experiments need a frame, channels a type and datatype.
    pub(crate) fn boss_required(&mut self, files: &[FileSection<'_>], _decls: &BossDecls) {
        // name path → (first key origin, fields seen, absent)
        let mut seen: BTreeMap<String, (Origin, BTreeSet<&'static str>, bool, &'static str)> =
            BTreeMap::new();
        for (file, b) in values::<Option<Spanned<ast::Boss>>>(files) {
            let Some(b) = b else { continue };
            for (ck, c) in b.value.collections.iter() {
                for (ek, e) in c.experiments.iter() {
                    let path = format!("{}/{}", ck.value, ek.value);
                    let o = self.at(file, ek);
                    let entry = seen.entry(path.clone()).or_insert((
                        o,
                        BTreeSet::new(),
                        false,
                        "experiment",
                    ));
                    if e.coord_frame.is_some() {
                        entry.1.insert("coord_frame");
                    }
                    entry.2 |= e.absent.as_ref().is_some_and(|a| a.value);
                    for (hk, h) in e.channels.iter() {
                        let o = self.at(file, hk);
                        let entry = seen.entry(format!("{path}/{}", hk.value)).or_insert((
                            o,
                            BTreeSet::new(),
                            false,
                            "channel",
                        ));
                        if h.channel_type.is_some() {
                            entry.1.insert("type");
                        }
                        if h.datatype.is_some() {
                            entry.1.insert("datatype");
                        }
                        entry.2 |= h.absent.as_ref().is_some_and(|a| a.value);
                    }
                }
            }
        }
        for (path, (o, fields, absent, kind)) in seen {
            if absent {
                continue;
            }
            let need: &[&str] = if kind == "experiment" {
                &["coord_frame"]
            } else {
                &["type", "datatype"]
            };
            let missing: Vec<String> = need
                .iter()
                .filter(|f| !fields.contains(*f))
                .map(|f| format!("`{f}`"))
                .collect();
            if !missing.is_empty() {
                let d = self
                    .diag(codes::MISSING, &o, format!("Boss {kind} `{path}` lacks {}", join_and(missing.into_iter())))
                    .with_label(format!("incomplete {kind}"))
                    .with_help(if kind == "experiment" {
                        "an experiment needs `coord_frame`, a frame declared under `boss.coordinate_frames`"
                    } else {
                        "a channel needs `type` (image, annotation) and `datatype` (uint8, uint16, uint64)"
                    });
                self.emit(d);
            }
        }
    }
}

#[cfg(test)]
#[path = "validate_tests.rs"]
mod tests;
