//! The access review as one self-contained HTML file: inline CSS, a small inline script that
//! sorts a table by the header clicked, and a Content-Security-Policy that lets the page
//! fetch nothing (no network, no fonts). Every name is HTML-escaped.

use std::fmt::Write as _;

use super::markdown::NOT_REPORTED;
use super::{link_level, link_origin};
use crate::escape::html_text as esc;
use crate::plan::access::query::Chain;
use crate::plan::access::review::{Finding, Holder, Review};
use crate::state::access::short_id;

const STYLE: &str = r#"
:root { --fg:#1d2430; --muted:#5b6473; --line:#d9dee6; --bg:#ffffff; --head:#f3f5f8;
        --warn:#9a5b00; --warnbg:#fff4e0; --bad:#a4161a; --badbg:#fde8e8; --ok:#1f6f43;
        --accent:#2b59c3; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
       sans-serif; color: var(--fg); background: var(--bg); margin: 0; padding: 24px 32px 48px; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 32px 0 8px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
h3 { font-size: 15px; margin: 20px 0 6px; }
h3 .key, .key { color: var(--muted); font: 12px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
       font-weight: normal; word-break: break-all; }
.meta { color: var(--muted); margin: 0 0 16px; }
nav a { color: var(--accent); margin-right: 14px; text-decoration: none; }
nav a:hover { text-decoration: underline; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; margin: 16px 0; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: 10px 16px; min-width: 130px; }
.card .n { font-size: 22px; font-weight: 600; }
.card .l { color: var(--muted); font-size: 12px; }
.card.warn { border-color: #f0c36d; background: var(--warnbg); }
.card.bad { border-color: #f1a1a1; background: var(--badbg); }
table { border-collapse: collapse; width: 100%; margin: 6px 0 12px; table-layout: fixed; }
td { overflow-wrap: anywhere; }
td .key { display: block; }
th, td { border: 1px solid var(--line); padding: 5px 8px; text-align: left; vertical-align: top; }
th { background: var(--head); cursor: pointer; user-select: none; white-space: nowrap; }
th::after { content: " \2195"; color: #a0a8b5; font-size: 11px; }
th[aria-sort=ascending]::after { content: " \25B2"; color: var(--fg); }
th[aria-sort=descending]::after { content: " \25BC"; color: var(--fg); }
tbody tr:nth-child(even) { background: #fafbfc; }
td.chain { font: 12px/1.5 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
td.chain div + div { margin-top: 3px; }
td.date { font: 12px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
.arrow { color: var(--accent); white-space: nowrap; }
.at { color: var(--muted); }
.live-only { color: var(--bad); font-weight: 600; }
.badge { display: inline-block; font-size: 11px; padding: 0 6px; border-radius: 9px;
         margin-left: 4px; white-space: nowrap; }
.badge.esc { background: var(--warnbg); color: var(--warn); border: 1px solid #f0c36d; }
.badge.all { background: var(--badbg); color: var(--bad); border: 1px solid #f1a1a1; }
.badge.exp { background: var(--badbg); color: var(--bad); border: 1px solid #f1a1a1; }
.none, .nr { color: var(--muted); font-style: italic; }
ul.notes { color: var(--muted); }
"#;

/// Sorts a table by the header clicked (or focused and Enter), numbers as numbers; a cell's
/// `data-sort` is its key when it has one.
const SCRIPT: &str = r#"
(function () {
  function key(c) { return c ? (c.getAttribute('data-sort') || c.textContent.trim()) : ''; }
  document.querySelectorAll('table.sortable').forEach(function (t) {
    var heads = t.querySelectorAll('th');
    heads.forEach(function (th, i) {
      th.tabIndex = 0;
      function sort() {
        var asc = th.getAttribute('aria-sort') !== 'ascending';
        heads.forEach(function (o) { o.removeAttribute('aria-sort'); });
        th.setAttribute('aria-sort', asc ? 'ascending' : 'descending');
        var body = t.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var d = key(a.cells[i]).localeCompare(key(b.cells[i]), undefined,
                                                {numeric: true, sensitivity: 'base'});
          return asc ? d : -d;
        });
        rows.forEach(function (r) { body.appendChild(r); });
      }
      th.addEventListener('click', sort);
      th.addEventListener('keydown', function (e) {
        if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); sort(); }
      });
    });
  });
})();
"#;

/// A sortable table of fixed column widths (percentages, so that the tables of a section
/// line up): its header, then each row's cells (already HTML).
fn table(out: &mut String, head: &[(&str, u8)], rows: &[Vec<String>]) {
    out.push_str("<table class=\"sortable\"><colgroup>");
    for (_, width) in head {
        let _ = write!(out, "<col style=\"width:{width}%\">");
    }
    out.push_str("</colgroup><thead><tr>");
    for (h, _) in head {
        let _ = write!(out, "<th scope=\"col\">{}</th>", esc(h));
    }
    out.push_str("</tr></thead><tbody>\n");
    for r in rows {
        out.push_str("<tr>");
        for c in r {
            out.push_str(c);
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody></table>\n");
}

/// A `<td>`, with a sort key when given.
fn td(content: String, sort: Option<String>, class: Option<&str>) -> String {
    let mut s = String::from("<td");
    if let Some(class) = class {
        let _ = write!(s, " class=\"{class}\"");
    }
    if let Some(k) = sort {
        let _ = write!(s, " data-sort=\"{}\"", esc(&k));
    }
    let _ = write!(s, ">{content}</td>");
    s
}

/// A principal for people, with its key under a label: any UUID in it shortened, the whole
/// key in its tooltip.
fn who(label: Option<&str>, principal: &str) -> String {
    match label {
        Some(l) if l != principal => {
            let short = match principal.split_once(':') {
                Some((kind, id)) => format!("{kind}:{}", short_id(id)),
                None => short_id(principal),
            };
            format!(
                "{} <span class=\"key\" title=\"{}\">{}</span>",
                esc(l),
                esc(principal),
                esc(&short)
            )
        }
        _ => esc(principal),
    }
}

/// One chain: each link's level, resource, and policy line (or `live only`, marked).
fn chain(holder: &str, c: &Chain) -> String {
    let mut s = format!("<div>{}", esc(holder));
    for l in &c.links {
        let origin = link_origin(l);
        let unexplained = l.at.is_none() && l.status.as_deref().is_none_or(|s| s == "live only");
        let class = if unexplained { "live-only" } else { "at" };
        let _ = write!(
            s,
            " <span class=\"arrow\">—{}→</span> {} <span class=\"{class}\">({})</span>",
            esc(&link_level(l)),
            esc(&l.label),
            esc(&origin)
        );
        match (&l.expires, l.expired) {
            (Some(e), true) => {
                let _ = write!(
                    s,
                    " <span class=\"badge exp\">expired {}, still there</span>",
                    esc(e)
                );
            }
            (Some(e), false) => {
                let _ = write!(s, " <span class=\"at\">[expires {}]</span>", esc(e));
            }
            _ => {}
        }
    }
    s.push_str("</div>");
    s
}

/// A finding's row: principal, level, resource, why, policy line, expiry.
fn finding_row(f: &Finding) -> Vec<String> {
    let mut why = esc(&f.why);
    if !f.also_ends.is_empty() {
        let ends: Vec<String> = f.also_ends.iter().map(|e| esc(e)).collect();
        let _ = write!(
            why,
            "<br><span class=\"at\">also ends: {}</span>",
            ends.join("; ")
        );
    }
    let origin = esc(&f.origin());
    let at = if f.at.is_none() && f.status.as_deref() != Some("system-managed") {
        format!("<span class=\"live-only\">{origin}</span>")
    } else {
        origin
    };
    vec![
        td(
            who(f.label.as_deref(), &f.principal),
            Some(f.who().into()),
            None,
        ),
        td(esc(&f.level), None, None),
        td(
            format!(
                "{}<br><span class=\"key\">{}</span>",
                esc(&f.resource_label),
                esc(&f.resource)
            ),
            Some(f.resource_label.clone()),
            None,
        ),
        td(why, None, None),
        td(at, None, None),
        td(
            esc(f.expires.as_deref().unwrap_or("")),
            f.expires.clone(),
            Some("date"),
        ),
    ]
}

/// A holder's row: principal, level (badges), chains, expiry, since when.
fn holder_row(h: &Holder) -> Vec<String> {
    let rank = h.chains.iter().map(|c| c.rank).max().unwrap_or(0);
    let mut level = esc(&h.level);
    if let Some(e) = &h.escalation {
        let _ = write!(
            level,
            "<span class=\"badge esc\">escalated: {}</span>",
            esc(e)
        );
    }
    if h.everyone {
        level.push_str("<span class=\"badge all\">everyone</span>");
    }
    let chains: String = h.chains.iter().map(|c| chain(h.who(), c)).collect();
    let since = match &h.since {
        Some(s) => esc(s),
        None => format!("<span class=\"nr\">{NOT_REPORTED}</span>"),
    };
    vec![
        td(
            who(h.label.as_deref(), &h.principal),
            Some(h.who().into()),
            None,
        ),
        td(level, Some(format!("{rank:03} {}", h.level)), None),
        td(chains, None, Some("chain")),
        td(
            esc(h.expires.as_deref().unwrap_or("")),
            h.expires.clone(),
            Some("date"),
        ),
        td(since, None, None),
    ]
}

const FINDING_HEAD: [(&str, u8); 6] = [
    ("Principal", 19),
    ("Level", 10),
    ("Resource", 29),
    ("Why", 17),
    ("Policy", 12),
    ("Expires", 13),
];

const HOLDER_HEAD: [(&str, u8); 5] = [
    ("Principal", 19),
    ("Level", 12),
    ("Through", 45),
    ("Expires", 13),
    ("Since", 11),
];

/// A findings section: its heading with a count, then its table or "None.".
fn findings(out: &mut String, id: &str, title: &str, fs: &[Finding]) {
    let _ = writeln!(
        out,
        "<section id=\"{id}\"><h2>{} <span class=\"key\">({})</span></h2>",
        esc(title),
        fs.len()
    );
    if fs.is_empty() {
        out.push_str("<p class=\"none\">None.</p>\n");
    } else {
        let rows: Vec<_> = fs.iter().map(finding_row).collect();
        table(out, &FINDING_HEAD, &rows);
    }
    out.push_str("</section>\n");
}

/// The review as one self-contained HTML page.
pub fn review(r: &Review) -> String {
    let mut out = String::from(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; \
         style-src 'unsafe-inline'; script-src 'unsafe-inline'\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>Access review</title>\n<style>",
    );
    out.push_str(STYLE);
    out.push_str("</style>\n</head>\n<body>\n<header>\n<h1>Access review</h1>\n");
    let _ = writeln!(
        out,
        "<p class=\"meta\">From <b>{}</b> at {} · grants expiring within {} (until {})</p>",
        esc(&r.from),
        esc(&r.now),
        esc(&r.expiring_within),
        esc(&r.expiring_until)
    );
    out.push_str(
        "<nav><a href=\"#expiring\">Expiring</a><a href=\"#escalated\">Escalated</a>\
         <a href=\"#everyone\">Everyone</a><a href=\"#unexplained\">Not in the policy</a>\
         <a href=\"#resources\">Per resource</a></nav>\n</header>\n",
    );
    let s = &r.summary;
    let card = |out: &mut String, n: String, label: &str, class: &str| {
        let _ = write!(
            out,
            "<div class=\"card {class}\"><div class=\"n\">{}</div><div class=\"l\">{}</div></div>",
            esc(&n),
            esc(label)
        );
    };
    let flag = |n: usize, class: &'static str| if n > 0 { class } else { "" };
    out.push_str("<section id=\"summary\" class=\"cards\">");
    card(&mut out, s.resources.to_string(), "resources", "");
    card(&mut out, s.principals.to_string(), "principals", "");
    card(&mut out, s.holdings.to_string(), "holdings", "");
    card(
        &mut out,
        s.expiring.to_string(),
        &format!("expiring within {}", r.expiring_within),
        flag(s.expiring, "warn"),
    );
    card(
        &mut out,
        s.escalated.to_string(),
        "escalated",
        flag(s.escalated, "warn"),
    );
    card(
        &mut out,
        s.everyone.to_string(),
        "granted to everyone",
        flag(s.everyone, "bad"),
    );
    match s.unexplained {
        Some(n) => card(
            &mut out,
            n.to_string(),
            "live, not in the policy",
            flag(n, "bad"),
        ),
        None => card(
            &mut out,
            "–".into(),
            "live, not in the policy (not checked from policy)",
            "",
        ),
    }
    out.push_str("</section>\n");

    findings(
        &mut out,
        "expiring",
        &format!("Expiring within {}", r.expiring_within),
        &r.expiring,
    );
    findings(&mut out, "escalated", "Escalated", &r.escalated);
    findings(&mut out, "everyone", "Granted to everyone", &r.everyone);
    match &r.unexplained {
        Some(u) => findings(
            &mut out,
            "unexplained",
            "Live grants the policy does not explain",
            u,
        ),
        None => out.push_str(
            "<section id=\"unexplained\"><h2>Live grants the policy does not explain</h2>\n\
             <p class=\"none\">Not checked: from the policy alone accord does not read the \
             services (use <code>--from both</code>).</p></section>\n",
        ),
    }

    out.push_str("<section id=\"resources\"><h2>Per resource</h2>\n");
    if r.resources.is_empty() {
        out.push_str("<p class=\"none\">Nobody holds anything.</p>\n");
    }
    for res in &r.resources {
        let _ = writeln!(
            out,
            "<h3>{} <span class=\"key\">{}</span></h3>",
            esc(&res.label),
            esc(&res.resource)
        );
        let rows: Vec<_> = res.holders.iter().map(holder_row).collect();
        table(&mut out, &HOLDER_HEAD, &rows);
    }
    out.push_str("</section>\n");
    if !r.notes.is_empty() {
        out.push_str("<section id=\"notes\"><h2>Notes</h2><ul class=\"notes\">");
        for n in &r.notes {
            let _ = write!(out, "<li>{}</li>", esc(n));
        }
        out.push_str("</ul></section>\n");
    }
    out.push_str("<script>");
    out.push_str(SCRIPT);
    out.push_str("</script>\n</body>\n</html>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn everything_people_wrote_is_escaped() {
        assert_eq!(
            esc("<script>\"x\" & 'y'</script>"),
            "&lt;script&gt;&quot;x&quot; &amp; &#39;y&#39;&lt;/script&gt;"
        );
        assert_eq!(esc("a\nb"), "a\\u{a}b");
    }

    #[test]
    fn a_cell_carries_its_sort_key_escaped() {
        assert_eq!(
            td("x".into(), Some("a\"b".into()), Some("chain")),
            "<td class=\"chain\" data-sort=\"a&quot;b\">x</td>"
        );
    }
}
