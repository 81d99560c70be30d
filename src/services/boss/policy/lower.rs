//! Lowering the checked `boss:` sections of every file into one model.
use std::collections::{BTreeMap, BTreeSet};

use serde_saphyr::Spanned;

use super::Check;
use super::ast;
use super::ast::PermissionValue;
use super::decls::{BossDecls, ResourceCommon, expand_set};
use super::model::{
    BossFramePolicy, BossGrant, BossGroupPolicy, BossLevel, BossPolicy, BossResourcePolicy,
};
use crate::policy::{FileSection, Located, Origin, Ownership, values};

impl Check<'_, '_> {
    /// Lowers the checked `boss:` sections of every file into one [`BossPolicy`]. Leaves were
    /// claimed once by the checks, so merging is a union; entries the checks refused are
    /// lowered as written (the load fails on the diagnostics anyway).
    pub(crate) fn boss_lower(
        &self,
        files: &[FileSection<'_>],
        decls: &BossDecls,
        origin: Origin,
    ) -> BossPolicy {
        let mut out = BossPolicy {
            origin,
            groups: BTreeMap::new(),
            frames: BTreeMap::new(),
            resources: BTreeMap::new(),
        };
        let located = |file: usize, s: &Spanned<String>| Located {
            value: s.value.clone(),
            origin: self.at(file, s),
        };
        for (file, b) in values::<Option<Spanned<ast::Boss>>>(files) {
            let Some(b) = b else { continue };
            for (k, g) in b.value.groups.iter() {
                let entry = out
                    .groups
                    .entry(k.value.clone())
                    .or_insert_with(|| BossGroupPolicy {
                        name: k.value.clone(),
                        origin: self.at(file, k),
                        absent: false,
                        members: Vec::new(),
                        maintainers: Vec::new(),
                        ownership: Ownership::default(),
                    });
                entry.absent |= g.absent.as_ref().is_some_and(|a| a.value);
                entry
                    .members
                    .extend(g.members.iter().flatten().map(|u| located(file, u)));
                entry
                    .maintainers
                    .extend(g.maintainers.iter().flatten().map(|u| located(file, u)));
                if let Some(m) = self.lowered_mode(file, &g.mode) {
                    entry.ownership.mode = Some(m);
                }
            }
            for (k, f) in b.value.coordinate_frames.iter() {
                let f = &f.value;
                let mut fields: BTreeMap<String, serde_json::Value> = [
                    ("x_start", f.x_start.value.into()),
                    ("x_stop", f.x_stop.value.into()),
                    ("y_start", f.y_start.value.into()),
                    ("y_stop", f.y_stop.value.into()),
                    ("z_start", f.z_start.value.into()),
                    ("z_stop", f.z_stop.value.into()),
                    ("x_voxel_size", f.x_voxel_size.value.into()),
                    ("y_voxel_size", f.y_voxel_size.value.into()),
                    ("z_voxel_size", f.z_voxel_size.value.into()),
                    ("voxel_unit", f.voxel_unit.value.clone().into()),
                ]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect();
                if let Some(d) = &f.description {
                    fields.insert("description".into(), d.value.clone().into());
                }
                out.frames.insert(
                    k.value.clone(),
                    BossFramePolicy {
                        name: k.value.clone(),
                        origin: self.at(file, k),
                        fields,
                    },
                );
            }
            for (ck, c) in b.value.collections.iter() {
                let common = ResourceCommon {
                    description: &c.description,
                    public: &c.public,
                    absent: &c.absent,
                    prevent_destroy: &c.prevent_destroy,
                    mode: &c.mode,
                    permissions: &c.permissions,
                };
                self.boss_resource(&mut out, file, ck, ck.value.clone(), common, decls);
                for (ek, e) in c.experiments.iter() {
                    let path = format!("{}/{}", ck.value, ek.value);
                    let common = ResourceCommon {
                        description: &e.description,
                        public: &e.public,
                        absent: &e.absent,
                        prevent_destroy: &e.prevent_destroy,
                        mode: &e.mode,
                        permissions: &e.permissions,
                    };
                    let r = self.boss_resource(&mut out, file, ek, path.clone(), common, decls);
                    let str_field = |v: &Option<Spanned<String>>| {
                        v.as_ref()
                            .map(|s| (serde_json::Value::from(s.value.clone()), self.at(file, s)))
                    };
                    let int_field = |v: &Option<Spanned<i64>>| {
                        v.as_ref()
                            .map(|s| (serde_json::Value::from(s.value), self.at(file, s)))
                    };
                    for (name, v) in [
                        ("coord_frame", str_field(&e.coord_frame)),
                        ("hierarchy_method", str_field(&e.hierarchy_method)),
                        ("time_step_unit", str_field(&e.time_step_unit)),
                        ("num_hierarchy_levels", int_field(&e.num_hierarchy_levels)),
                        ("num_time_samples", int_field(&e.num_time_samples)),
                        ("time_step", int_field(&e.time_step)),
                    ] {
                        if let Some((value, origin)) = v {
                            r.fields.insert(name.into(), Located { value, origin });
                        }
                    }
                    for (hk, h) in e.channels.iter() {
                        let path = format!("{path}/{}", hk.value);
                        let common = ResourceCommon {
                            description: &h.description,
                            public: &h.public,
                            absent: &h.absent,
                            prevent_destroy: &h.prevent_destroy,
                            mode: &h.mode,
                            permissions: &h.permissions,
                        };
                        let r = self.boss_resource(&mut out, file, hk, path, common, decls);
                        for (name, v) in [
                            ("type", str_field(&h.channel_type)),
                            ("datatype", str_field(&h.datatype)),
                            ("default_time_sample", int_field(&h.default_time_sample)),
                            ("base_resolution", int_field(&h.base_resolution)),
                        ] {
                            if let Some((value, origin)) = v {
                                r.fields.insert(name.into(), Located { value, origin });
                            }
                        }
                        for (name, list) in [("sources", &h.sources), ("related", &h.related)] {
                            let Some(list) = list else { continue };
                            let mut names: Vec<String> =
                                list.iter().map(|s| s.value.clone()).collect();
                            names.sort();
                            let origin = list
                                .first()
                                .map(|s| self.at(file, s))
                                .unwrap_or_else(|| self.at(file, hk));
                            r.fields.insert(
                                name.into(),
                                Located {
                                    value: names.into(),
                                    origin,
                                },
                            );
                            let links = list.iter().map(|s| located(file, s));
                            r.links.entry(name.into()).or_default().extend(links);
                        }
                    }
                }
            }
        }
        out
    }

    /// The resource at `path`, created on first sight and merged with what `common` sets.
    pub(crate) fn boss_resource<'o>(
        &self,
        out: &'o mut BossPolicy,
        file: usize,
        key: &Spanned<String>,
        path: String,
        common: ResourceCommon<'_>,
        decls: &BossDecls,
    ) -> &'o mut BossResourcePolicy {
        let origin = self.at(file, key);
        let r = out
            .resources
            .entry(path.clone())
            .or_insert_with(|| BossResourcePolicy {
                level: BossLevel::of_path(&path),
                path,
                origin,
                absent: false,
                fields: BTreeMap::new(),
                links: BTreeMap::new(),
                permissions: Vec::new(),
                ownership: Ownership::default(),
            });
        r.absent |= common.absent.as_ref().is_some_and(|a| a.value);
        if let Some(d) = common.description {
            r.fields.insert(
                "description".into(),
                Located {
                    value: d.value.clone().into(),
                    origin: self.at(file, d),
                },
            );
        }
        if let Some(p) = common.public {
            r.fields.insert(
                "public".into(),
                Located {
                    value: p.value.into(),
                    origin: self.at(file, p),
                },
            );
        }
        if let Some(p) = common.prevent_destroy {
            r.ownership.prevent_destroy = Some(p.value);
        }
        if let Some(m) = self.lowered_mode(file, common.mode) {
            r.ownership.mode = Some(m);
        }
        for (g, v) in common.permissions.iter() {
            let names: Vec<&str> = match &v.value {
                PermissionValue::One(s) => vec![s.as_str()],
                PermissionValue::Many(list) => list.iter().map(|s| s.value.as_str()).collect(),
            };
            let mut permissions = BTreeSet::new();
            for n in names {
                if decls.sets.contains_key(n) {
                    permissions.extend(expand_set(n, &decls.sets));
                } else {
                    permissions.insert(n.to_string());
                }
            }
            r.permissions.push(BossGrant {
                group: Located {
                    value: g.value.clone(),
                    origin: self.at(file, g),
                },
                permissions,
                origin: self.at(file, v),
            });
        }
        r
    }
}
