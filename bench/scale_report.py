#!/usr/bin/env python3
"""Reads what bench/scale recorded in TMP and prints its tables; exits 1 when a target is missed.
Args: TMP LATENCY_MS PARALLELISM [READ_PARALLELISM]."""
import collections, json, math, os, re, sys

tmp, latency_ms, par = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
# Reads of one service at once (`--read-parallelism`; accord's default is 32).
read_par = int(sys.argv[4]) if len(sys.argv) > 4 else 32
counts = json.load(open(f"{tmp}/counts.json"))
# The reference's client rate limits (requests/second): Transfer 20, Search 5-10 (10 taken).
RATE = {"transfer": 20.0, "search": 10.0}
SERVICES = ["auth", "groups", "transfer", "gcs", "boss", "search"]


def load(name):
    r = {"wall": float(open(f"{tmp}/{name}.wall").read()), "rc": int(open(f"{tmp}/{name}.rc").read())}
    r["requests"] = json.load(open(f"{tmp}/{name}.requests.json"))
    if isinstance(r["requests"], dict):
        r["requests"] = r["requests"].get("requests", [])
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", open(f"{tmp}/{name}.time").read())
    r["rss_mb"] = int(m.group(1)) / 1024 if m else float("nan")
    t = open(f"{tmp}/{name}.time").read()
    u = re.search(r"User time \(seconds\): ([\d.]+)", t)
    k = re.search(r"System time \(seconds\): ([\d.]+)", t)
    r["cpu"] = float(u.group(1)) + float(k.group(1)) if u and k else float("nan")
    # Search task polls (GET /search/v1/task/{id}) depend on timing: counted apart.
    poll = lambda q: q["path"].startswith("/search/v1/task/")
    r["polls"] = sum(1 for q in r["requests"] if poll(q))
    by = collections.Counter(q["path"].split("/")[1] for q in r["requests"] if not poll(q))
    r["by"] = {s: by.get(s, 0) for s in SERVICES}
    r["tokens"] = sum(1 for q in r["requests"] if q["path"].startswith("/auth/v2/oauth2/token") and not q["path"].endswith("introspect"))
    r["writes"] = collections.Counter(q["path"].split("/")[1] for q in r["requests"] if q["method"] not in ("GET", "HEAD"))
    r["errors"] = sum(1 for q in r["requests"] if q["status"] == 0 or q["status"] >= 400)
    return r


stages, plan, apply, replan = (load(n) for n in ("stages", "plan", "apply", "replan"))
_lines = open(f"{tmp}/stages.out").read().strip().splitlines()
st = json.loads(_lines[-1]) if _lines else {k: float("nan") for k in ("cpu_s", "compile_s", "diff_order_s", "changes")}

c = lambda k: counts.get(k, 0)
boss_resources = c("boss_resources")


def fewest_reads(tokens, unnamed_lookup, guests_live):
    """The fewest requests a plan needs, per service (see the formulas printed below), when
    guests_live guest collections exist."""
    f = {s: 0 for s in SERVICES}
    # One token call for every resource server, no introspection (a client's identity is its
    # id), lookups only for principals written as usernames (issue 19).
    f["auth"] = 1 + math.ceil(c("usernames") / 100) + unnamed_lookup
    f["groups"] = c("groups")
    f["transfer"] = (c("endpoints") * max(1, math.ceil(c("acl_rules") / c("endpoints") / 1000))
                     + c("gcs_endpoints") + guests_live)
    if c("gcs_endpoints"):
        per_endpoint = math.ceil(c("gcs_collections") / c("gcs_endpoints") / 100)
        f["gcs"] = c("gcs_endpoints") * (1 + per_endpoint) + guests_live
    if c("boss_groups") or boss_resources:
        f["boss"] = 2 * c("boss_groups") + 1 + 2 * boss_resources
    if c("search_indexes"):
        per_index = math.ceil(c("search_documents") / c("search_indexes") / 10000)
        f["search"] = c("search_indexes") * (1 + per_index)
    return f


def fewest_writes():
    f = {s: 0 for s in SERVICES}
    f["groups"] = c("groups_with_grants") + c("groups_with_revocations")
    f["transfer"] = sum(c(k) for k in ("diff_rule_missing", "diff_rule_changed", "diff_rule_extra",
                                        "diff_gcs_rule_missing", "diff_gcs_rule_changed", "diff_gcs_rule_extra"))
    f["gcs"] = sum(c(k) for k in ("diff_gcs_credential_missing", "diff_gcs_collection_missing",
                                   "diff_gcs_collection_changed", "diff_gcs_role_missing", "diff_gcs_role_extra"))
    f["boss"] = sum(c(k) for k in ("diff_boss_member_missing", "diff_boss_member_extra",
                                    "diff_boss_permission_missing", "diff_boss_permission_changed"))
    # Per index and direction with document changes: 1 ingest, after a re-read of its subjects
    # (content is sent back whole): 1 query, or 1 GET each below 3; task polls counted apart.
    f["search"] = (c("diff_search_role_missing") + c("diff_search_role_extra")
                   + c("search_doc_batches") + c("search_batch_rereads"))
    return f


def bound(f):
    per = {}
    for s, n in f.items():
        per[s] = max(n * latency_ms / 1000 / par, n / RATE[s] if s in RATE else 0.0)
    return per


def fmt_by(r, f):
    return ", ".join(f"{s} {r['by'][s]}/{f[s]}" for s in SERVICES if r["by"][s] or f[s])


extra_people = 1 if c("diff_member_extra") else 0
# Before the apply, the generated live guest collections exist; after it, all of them.
f_plan = fewest_reads(plan["tokens"], extra_people, c("gcs_collections_live"))
f_replan = fewest_reads(replan["tokens"], 0, c("gcs_collections"))
f_w = fewest_writes()
f_apply = {s: fewest_reads(apply["tokens"], extra_people, c("gcs_collections_live"))[s] + f_w[s] for s in SERVICES}
b_plan, b_apply, b_replan = bound(f_plan), bound(f_apply), bound(f_replan)
# Services read concurrently in an ideal run: the plan's bound is the largest service bound.
# accord reads in phases (auth resolution, then Groups and the Boss, then GCS, then Transfer
# and Search): the phased bound adds them up.
phased = lambda b: b["auth"] + max(b["groups"], b["boss"]) + b["gcs"] + max(b["transfer"], b["search"])


# Issue 19: the run's bound = start-up critical path + read-phase bound + write-phase bound; a
# phase's bound is the largest, over its services, of max(fewest x latency / concurrency,
# fewest / rate limit) (reads at --read-parallelism, writes at --parallelism).
def phase_bound(f, concurrency):
    """A limit of R/s admits R requests in any second: the first R go at once (accord's pacer
    allows that burst), the rest at R/s."""
    per = {s: max(n * latency_ms / 1000 / concurrency, max(0, n - RATE[s]) / RATE[s] if s in RATE else 0.0)
           for s, n in f.items() if n}
    return max(per.values(), default=0.0), per


def startup_made(r):
    """Requests before the first one to a service other than Auth: tokens, introspection and
    the identity lookups of resolution."""
    n = 0
    for q in r["requests"]:
        if q["path"].split("/")[1] != "auth":
            break
        n += 1
    return n


# Start-up: one token call covers every resource server, the client's identity is its id, and
# only principals written as usernames are looked up (the bench pins every alias to a UUID).
f_start = 1 + math.ceil(c("usernames") / 100)
start_lookups = math.ceil(c("usernames") / 100)
b_start = (1 + math.ceil(start_lookups / read_par)) * latency_ms / 1000
# Reads: per service as above, Auth's part being the lookup naming undeclared live identities
# (after the reads: it adds a round trip).
f_read = {**f_plan, "auth": extra_people}
b_read, b_read_per = phase_bound({**f_read, "auth": 0}, read_par)
b_read += extra_people * latency_ms / 1000
b_write, b_write_per = phase_bound(f_w, par)
bound_plan, bound_apply = b_start + b_read, b_start + b_read + b_write
made_start = startup_made(plan)
made_read = {s: plan["by"][s] - (made_start if s == "auth" else 0) for s in SERVICES}
made_write = {s: apply["by"][s] - plan["by"][s] for s in SERVICES}


def phase_line(name, made, fewest, b, per=None):
    cells = ", ".join(f"{s} {made[s]}/{fewest[s]}" + (f" (+{made[s] - fewest[s]})" if made[s] > fewest[s] else "")
                      for s in SERVICES if made[s] or fewest[s])
    excess = sum(max(0, made[s] - fewest[s]) for s in SERVICES)
    worst = f"; bound {b:.2f} s" + (f" ({max(per, key=per.get)})" if per else "")
    return f"  {name:<9} made/fewest: {cells}" + worst + (f"  << EXCESS {excess}" if excess else "")

# Groups batches per group in the apply: POST /groups/v2/groups/{id}.
posts = collections.Counter(q["path"] for q in apply["requests"]
                            if q["method"] == "POST" and re.fullmatch(r"/groups/v2/groups/[0-9a-f-]{36}", q["path"]))
worst = max(posts.values()) if posts else 0

total = sum(f_plan.values())
print()
by_service = counts.get("objects_by_service", {})
print(f"accord scale benchmark: {c('managed_objects')} managed objects; by service: "
      + ", ".join(f"{k} {v}" for k, v in by_service.items()))
print(f"  groups: {c('groups')} groups, {c('members')} memberships; transfer: {c('acl_rules')} ACL rules on "
      f"{c('endpoints')} endpoints + {c('gcs_acl_rules')} on guest collections; "
      + (f"gcs: {c('gcs_collections')} guest collections on {c('gcs_endpoints')} endpoints, {c('gcs_roles')} roles, "
         f"{c('gcs_credentials')} user credentials; " if counts.get("gcs") else "no GCS; ")
      + f"boss: {c('boss_groups')} groups, {c('boss_members')} members/maintainers, {boss_resources} resources, "
      f"{c('boss_permissions')} permission sets; "
      + (f"search: {c('search_indexes')} indexes, {c('search_roles')} roles, {c('search_documents')} documents"
         if counts.get("search") else "no Search"))
drift = {k[5:]: v for k, v in counts.items() if k.startswith("diff_")}
print(f"  generated drift: {sum(drift.values())} objects off ({drift})")
print(f"live state off by: {st['changes']} changes planned; latency {latency_ms:.0f} ms/request, --parallelism {par}")
print()
rows = [
    ("compile + diff + order (in-process)", f"{st['cpu_s']:.3f} s", "< 1 s", f"compile {st['compile_s']:.3f} s, diff+order+rails+access {st['diff_order_s']:.3f} s"),
    ("plan (wall)", f"{plan['wall']:.2f} s", f"<= 1.15 x bound {bound_plan:.2f} s = {1.15*bound_plan:.2f} s",
     f"{plan['wall']/bound_plan:.2f} x bound; requests {fmt_by(plan, f_plan)} (made/fewest)"),
    ("apply (wall, plans first)", f"{apply['wall']:.2f} s", f"<= 1.15 x bound {bound_apply:.2f} s = {1.15*bound_apply:.2f} s",
     f"{apply['wall']/bound_apply:.2f} x bound; requests {fmt_by(apply, f_apply)}; writes {dict(apply['writes'])}; "
     f"Search task polls {apply['polls']} (apart; <= {34 * c('search_doc_batches')})"),
    ("second plan (wall)", f"{replan['wall']:.1f} s", "exit 0 (no changes)",
     f"exit {replan['rc']}; requests {fmt_by(replan, f_replan)}"),
    ("peak RSS plan / apply", f"{plan['rss_mb']:.0f} / {apply['rss_mb']:.0f} MB", "< 300 MB", f"second plan {replan['rss_mb']:.0f} MB"),
    ("Groups batches per group (apply)", f"max {worst}", "<= 2 (1 grant + 1 revoke)",
     f"{sum(posts.values())} batch calls on {len(posts)} groups; fewest {f_w['groups']}"),
]
w0 = max(len(r[0]) for r in rows); w1 = max(len(r[1]) for r in rows); w2 = max(len(r[2]) for r in rows)
print(f"{'figure':<{w0}}  {'measured':<{w1}}  {'target':<{w2}}  notes")
for r in rows:
    print(f"{r[0]:<{w0}}  {r[1]:<{w1}}  {r[2]:<{w2}}  {r[3]}")
print()
print(f"phases (reads at --read-parallelism {read_par}, writes at --parallelism {par}; "
      f"bound = start-up + read + write: plan {bound_plan:.2f} s, apply {bound_apply:.2f} s):")
print(phase_line("start-up", {**{s: 0 for s in SERVICES}, "auth": made_start},
                 {**{s: 0 for s in SERVICES}, "auth": f_start}, b_start))
print(phase_line("read", made_read, f_read, b_read, b_read_per))
print(phase_line("write", made_write, f_w, b_write, b_write_per))
print("service bounds (s) read:", {s: round(v, 2) for s, v in b_read_per.items() if v},
      " write:", {s: round(v, 2) for s, v in b_write_per.items() if v})


def routes(r, service):
    """Requests of one service by method and route (ids elided)."""
    by = collections.Counter(
        f"{q['method']} " + re.sub(r"/(roles?)/[^/]+$", r"/\1/{id}",
                                   re.sub(r"/[0-9a-fA-F-]{36}(?=/|$)", "/{id}", q["path"].split("?")[0])).split("/", 2)[2]
        for q in r["requests"] if q["path"].split("/")[1] == service)
    return ", ".join(f"{k} {v}" for k, v in sorted(by.items()))


for s in ("gcs", "search"):
    if plan["by"][s] or apply["by"][s]:
        print(f"{s} requests, plan: {routes(plan, s)}")
        print(f"{s} requests, apply: {routes(apply, s)}")
print("errors answered (status 0 or >= 400): plan", plan["errors"], "apply", apply["errors"], "second plan", replan["errors"])
print("exit codes: stages", stages["rc"], "plan", plan["rc"], "apply", apply["rc"], "second plan", replan["rc"])


# accord access (issue 17): CPU (user + sys) best of 3, peak RSS the largest of the 3.
def best(name):
    runs = [load(f"{name}.{i}") for i in (1, 2, 3) if os.path.exists(f"{tmp}/{name}.{i}.time")]
    if not runs:
        return None
    b = min(runs, key=lambda r: r["cpu"])
    return {**b, "rss_mb": max(r["rss_mb"] for r in runs), "rc": max((r["rc"] for r in runs), key=abs),
            "requests_n": sum(len(r["requests"]) for r in runs), "name": name,
            "failed": [i + 1 for i, r in enumerate(runs) if r["rc"] != 0]}


access_resource, access_principal = open(f"{tmp}/access.args").read().split("\n")[:2]
validate, who, what, review = best("validate"), best("who"), best("what"), best("review")
what_live, drift_run = load("what-live"), load("drift")
n_req = lambda r: len(r["requests"])
# accord drift exits 2 when the live state differs from the policy: not a failure.
access_ok = {
    "who": who["rc"] == 0 and who["cpu"] < 1.5,
    "what": what["rc"] == 0 and what["cpu"] < 1.5,
    "review": review is None or (review["rc"] == 0 and review["cpu"] < 2 * plan["cpu"]),
    "live": what_live["rc"] == 0 and drift_run["rc"] in (0, 2) and n_req(what_live) <= n_req(drift_run),
    "validate": validate["rc"] == 0,
}
flag = lambda ok: "" if ok else "  << MISSED"
lines = [
    (f"access who --from policy (CPU)", f"{who['cpu']:.2f} s", "< 1.5 s",
     f"{who['rss_mb']:.0f} MB peak; {who['wall']:.2f} s wall; exit {who['rc']}; "
     f"{sum(1 for l in open(f'{tmp}/who.1.out') if l.startswith('  ') and not l.startswith('    '))} principals"
     + flag(access_ok["who"])),
    (f"access what --from policy (CPU)", f"{what['cpu']:.2f} s", "< 1.5 s",
     f"{what['rss_mb']:.0f} MB peak; {what['wall']:.2f} s wall; exit {what['rc']}; "
     f"{sum(1 for l in open(f'{tmp}/what.1.out') if l.startswith('  ') and not l.startswith('    '))} holdings"
     + flag(access_ok["what"])),
    ("validate (CPU, for comparison)", f"{validate['cpu']:.2f} s", "",
     f"{validate['rss_mb']:.0f} MB peak; {validate['wall']:.2f} s wall; exit {validate['rc']}"
     + flag(access_ok["validate"])),
]
if review is not None:
    lines.append(("access review --from policy --format json (CPU)", f"{review['cpu']:.2f} s",
                  f"< 2 x plan CPU {plan['cpu']:.2f} s = {2 * plan['cpu']:.2f} s",
                  f"{review['cpu'] / plan['cpu']:.2f} x plan; {review['rss_mb']:.0f} MB peak; "
                  f"{review['wall']:.2f} s wall; exit {review['rc']}" + flag(access_ok["review"])))
excess = n_req(what_live) - n_req(drift_run)
lines.append(("access what --from live (requests)", f"{n_req(what_live)}", f"<= drift {n_req(drift_run)}",
              f"{fmt_by(what_live, drift_run['by'])} (what --from live/drift); "
              f"{what_live['wall']:.1f} s wall vs drift {drift_run['wall']:.1f} s; "
              f"exit {what_live['rc']}, drift {drift_run['rc']}"
              + (f"  << MISSED: {excess} requests more than drift" if excess > 0 else flag(access_ok["live"]))))
print()
print(f"accord access (issue 17): who {access_resource}, what {access_principal}; CPU = user + sys, "
      "best of 3 (--from policy, validate, review), peak RSS the largest of the 3")
w0, w1, w2 = (max(len(r[i]) for r in lines + [("figure", "measured", "target")]) for i in range(3))
print(f"{'figure':<{w0}}  {'measured':<{w1}}  {'target':<{w2}}  notes")
for r in lines:
    print(f"{r[0]:<{w0}}  {r[1]:<{w1}}  {r[2]:<{w2}}  {r[3]}")
if review is None:
    print("review: not available in this build")
policy_requests = sum(r["requests_n"] for r in (who, what, validate) + ((review,) if review else ()))
print(f"requests made by --from policy runs and validate: {policy_requests} (none expected)")
print("""
fewest requests of a plan:
  auth = 1 token call (every resource server's scope at once; no introspection: a confidential
    client's identity is its id) + ceil(usernames / 100) identity lookups (principals pinned to UUIDs
    need none) (+1 to name the undeclared live members);
  groups = 1 GET per group (ids pinned);
  transfer = 1 access_list page (1,000 rules) per endpoint + 1 GET /endpoint per GCS endpoint (its GCS
    Manager URL) + 1 access_list per guest collection that exists;
  gcs = per GCS endpoint, 1 user_credentials listing + ceil(guest collections / 100) collection
    listings (filter=guest_collections), + 1 role listing per guest collection that exists (by
    collection_id; include=all_roles needs the endpoint's administrator role, which accord lacks here);
  boss = members + maintainers per group, the frame, 1 GET per resource and 1 permission listing per
    resource;
  search = per index, 1 role_list + ceil(documents / 10,000) queries (q=*, bypass_visible_to, fields
    visible_to, principal_sets and content: up to 10,000 results); accord's provider asks 1,000 a page,
    without content (docs/search-model.md).
fewest requests of an apply = the same reads, plus:
  groups = 1 batch per group with grants + 1 per group with revocations;
  transfer = 1 call per rule created, changed or deleted (endpoints and guest collections alike);
  gcs = 1 call per user credential created, guest collection created or changed, role created or deleted;
  boss = 1 call per member added/removed and per permission set created/changed;
  search = 1 call per role created or deleted + per index and direction (grants, revocations) with
    documents to change, 1 re-read of those subjects (content is sent back whole: 1 query, or 1 GET
    each below 3 subjects) and 1 ingest
    (every changed subject's entries in one GMetaList); task polls depend on timing and are counted
    apart (at most 34 per ingest: 0.5, 1, 2, 4, 8 s, then every 10 s for 5 minutes).
bound of a service in a phase = max(fewest x latency / concurrency, (fewest - R) / R at a rate limit
  of R/s, R requests being allowed in any one second) (Transfer
  20/s, Search 10/s; Groups, GCS (each endpoint its own host), the Boss and Auth have no documented
  limit); concurrency is --read-parallelism for reads, --parallelism for writes.
bound of a run = start-up ((1 token + lookup rounds) x latency) + read phase (the largest service
  bound, + 1 round trip naming undeclared live identities) + write phase (the largest service bound).
  Made per phase: start-up = the Auth requests before any other service's; read = the plan's others;
  write = apply's requests less the plan's.""")
sweep = sorted({int(m.group(1)) for n in os.listdir(tmp) if (m := re.fullmatch(r"sweep\.(\d+)\.\d+\.wall", n))})
if sweep:
    print("plan wall by --read-parallelism (best of the rounds; bound at that width):")
    for n in sweep:
        runs = [load(f"sweep.{n}.{i}") for i in range(1, 10) if os.path.exists(f"{tmp}/sweep.{n}.{i}.wall")]
        b = b_start + phase_bound({**f_read, "auth": 0}, n)[0] + extra_people * latency_ms / 1000
        w = min(r["wall"] for r in runs)
        each = ", ".join(f"{r['wall']:.2f}" for r in runs)
        print(f"  {n:>3}: {w:.2f} s (of {each}); "
              f"bound {b:.2f} s; {w / b:.2f} x; {len(runs[0]['requests'])} requests")
comment = open(f"{tmp}/plan.md", encoding="utf-8").read()
shown = re.search(r"the first (\d+) are shown, (\d+) more", comment)
escalations = re.search(r"Escalations \((\d+)\)", comment)
print(f"plan comment: {len(comment):,} characters (GitHub's limit 65,536); escalations "
      f"{escalations.group(1) if escalations else 0}, "
      + (f"{shown.group(1)} shown and {shown.group(2)} counted" if shown else "all shown")
      + ("; summarised" if "it is summarised" in comment else ""))
targets = {
    "compile + diff + order": st["cpu_s"] < 1,
    "plan comment under 65,536 characters": len(comment) <= 65_536,
    "plan wall": plan["wall"] <= 1.15 * bound_plan,
    "apply wall": apply["wall"] <= 1.15 * bound_apply,
    "peak RSS": max(plan["rss_mb"], apply["rss_mb"]) < 300,
    "Groups batches": worst <= 2,
    "exit codes": replan["rc"] == 0 and plan["rc"] == 0 and apply["rc"] == 0,
    **{f"access {k}": v for k, v in access_ok.items()},
    "no request from --from policy": policy_requests == 0,
}
missed = [k for k, v in targets.items() if not v]
ok = not missed
print("all targets met" if ok else f"some targets missed: {', '.join(missed)}")
failed = [(n, n) for n in ("stages", "plan", "apply", "replan", "what-live") if load(n)["rc"] != 0]
failed += [(n, n) for n in ("drift",) if drift_run["rc"] not in (0, 2)]
for r in (validate, who, what, review):
    if r is not None and r["failed"]:
        failed.append((r["name"], f"{r['name']}.{r['failed'][0]}"))
for n, f in failed:
    print(f"--- {n} stderr (tail) ---")
    print("".join(open(f"{tmp}/{f}.err").readlines()[-15:]))
sys.exit(0 if ok else 1)
