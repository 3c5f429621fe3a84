"""Self-contained HTML report of an archive audit (no network: styles and script inline).

Totals are exact for any number of stories; the detailed list keeps only the ``limit``
most severe flagged stories (a heap), so memory stays flat at 100k+ stories.
"""

from __future__ import annotations

import heapq
import html
import json
from collections import Counter, defaultdict
from typing import Any

from classifier.labels import RATING_LEVELS, Taxonomy, load_taxonomy

_CSS = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#1d2330;background:#f6f7f9}
header{background:#24324a;color:#fff;padding:18px 28px}header h1{margin:0;font-size:22px}
main{padding:18px 28px;max-width:1200px}section{background:#fff;border:1px solid #dde1e8;border-radius:8px;
padding:14px 18px;margin:0 0 18px}h2{font-size:17px;margin:0 0 10px}table{border-collapse:collapse}
td,th{padding:4px 9px;border:1px solid #e3e6ec;text-align:right}th{background:#f0f2f6}td.l,th.l{text-align:left}
.cards{display:flex;gap:12px;flex-wrap:wrap}.card{background:#f0f3f8;border-radius:6px;padding:8px 14px}
.card b{display:block;font-size:20px}.story{border-top:1px solid #e3e6ec;padding:10px 0}
.kind{display:inline-block;border-radius:4px;padding:1px 6px;margin:2px 4px 2px 0;font-size:12px;background:#e8ecf3}
.k-under-rated{background:#f8d0cc}.k-missing-warning{background:#fde2c2}.k-unwarned{background:#fff1bf}
.k-undeclared{background:#dbe9ff}.k-over-rated,.k-unsupported-warning{background:#e4e4e4}
blockquote{margin:4px 0 4px 12px;color:#3a4352;border-left:3px solid #c5ccd8;padding-left:8px}
mark{background:#ffe36e}.muted{color:#69728a}nav button{margin:0 3px}
"""

_JS = """
(function(){
  var items = Array.prototype.slice.call(document.querySelectorAll('#flagged .story'));
  var size = 50, page = 0, kind = '';
  var sel = document.getElementById('kindfilter');
  function visible(){
    return items.filter(function(el){ return !kind || el.getAttribute('data-kinds').indexOf(kind) >= 0; });
  }
  function show(){
    var v = visible(), pages = Math.max(1, Math.ceil(v.length / size));
    if (page >= pages) page = pages - 1;
    items.forEach(function(el){ el.style.display = 'none'; });
    v.slice(page * size, page * size + size).forEach(function(el){ el.style.display = ''; });
    document.getElementById('pageinfo').textContent =
      'page ' + (page + 1) + ' of ' + pages + ' (' + v.length + ' stories)';
  }
  document.getElementById('prev').onclick = function(){ if (page > 0) { page--; show(); } };
  document.getElementById('next').onclick = function(){ page++; show(); };
  if (sel) sel.onchange = function(){ kind = sel.value; page = 0; show(); };
  show();
})();
"""


def _esc(x: Any) -> str:
    return html.escape("" if x is None else str(x))


class ReportBuilder:
    """Accumulates audit records and renders the HTML report.

    Parameters
    ----------
    limit : int
        Most severe flagged stories kept for the detailed list.
    scale : str
        Rating scale for display (``ao3`` or ``ffn``).
    taxonomy : Taxonomy, optional
        Whose display names the ratings get (default: the packaged taxonomy).
    """

    def __init__(
        self, limit: int = 1000, scale: str = "ao3", title: str = "ficrate audit", taxonomy: Taxonomy | None = None
    ) -> None:
        self.limit = limit
        self.scale = scale
        self.taxonomy = taxonomy or load_taxonomy()
        self.title = title
        self.total = 0
        self.status: Counter[str] = Counter()
        self.kinds: Counter[str] = Counter()
        self.heat: Counter[tuple[str, str]] = Counter()
        self.declared_w: Counter[str] = Counter()
        self.predicted_w: Counter[str] = Counter()
        self.missing_w: Counter[str] = Counter()
        self.unsupported_w: Counter[str] = Counter()
        self.fandoms: dict[str, Counter[str]] = defaultdict(Counter)
        self._heap: list[tuple[float, int, dict[str, Any]]] = []
        self._seq = 0

    def add(self, rec: dict[str, Any]) -> None:
        """Count one audit record (and keep it if it is among the most severe)."""
        self.total += 1
        audit = rec["audit"]
        self.status[audit["status"]] += 1
        declared = (rec["declared"].get("rating") or {}).get("canonical") or "unknown"
        predicted = rec["prediction"]["rating"]
        self.heat[(declared, predicted)] += 1
        for w in rec["declared"]["warnings"]["canonical"]:
            self.declared_w[w] += 1
        for w in rec["prediction"]["warnings"]:
            self.predicted_w[w] += 1
        kinds = set()
        for v in audit["verdicts"]:
            base = v["kind"].split(":", 1)[0]
            kinds.add(base)
            self.kinds[base] += 1
            if base in ("missing-warning", "unwarned") and v["label"]:
                self.missing_w[v["label"]] += 1
            if base == "unsupported-warning" and v["label"]:
                self.unsupported_w[v["label"]] += 1
        for fandom in rec["declared"]["tags"].get("fandoms") or ["(unknown fandom)"]:
            self.fandoms[fandom]["stories"] += 1
            self.fandoms[fandom][audit["status"]] += 1
        if audit["status"] == "flagged":
            compact = {
                "path": rec["path"],
                "title": rec.get("title"),
                "declared": rec["declared"].get("rating"),
                "predicted": predicted,
                "probs": rec["prediction"]["rating_probs"],
                "verdicts": [v for v in audit["verdicts"] if v["kind"] != "ok"],
                "severity": audit.get("severity", 0.0),
            }
            self._seq += 1
            item = (float(audit.get("severity", 0.0)), -self._seq, compact)
            if len(self._heap) < self.limit:
                heapq.heappush(self._heap, item)
            else:
                heapq.heappushpop(self._heap, item)

    def _level(self, level: str) -> str:
        """A level's display name on the report's scale, from the taxonomy."""
        return self.taxonomy.rating_display(None if level == "unknown" else level, self.scale)

    def _axis(self, level: str) -> str:
        """A heatmap row/column label: the display name, with the level where two levels share it."""
        name = self._level(level)
        shared = sum(self._level(other) == name for other in RATING_LEVELS) > 1
        return f"{name} ({level})" if shared and level != "unknown" else name

    def render(self) -> str:
        """The complete HTML document."""
        flagged = [c for _, _, c in sorted(self._heap, key=lambda t: (-t[0], -t[1]))]
        parts = [
            "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
            f"<title>{_esc(self.title)}</title><style>{_CSS}</style></head><body>",
            f"<header><h1>{_esc(self.title)}</h1></header><main>",
            self._totals(),
            self._heatmap(),
            self._coverage(),
            self._fandoms(),
            self._flagged(flagged),
            f"</main><script>{_JS}</script></body></html>",
        ]
        return "".join(parts)

    def _totals(self) -> str:
        cards = [("stories", self.total)] + [(s, self.status.get(s, 0)) for s in ("flagged", "undeclared", "ok")]
        kinds = "".join(
            f"<tr><td class='l'><span class='kind k-{_esc(k)}'>{_esc(k)}</span></td><td>{n}</td></tr>"
            for k, n in sorted(self.kinds.items(), key=lambda kv: -kv[1])
        )
        return (
            "<section id='totals'><h2>Totals</h2><div class='cards'>"
            + "".join(f"<div class='card'><b>{n}</b>{_esc(k)}</div>" for k, n in cards)
            + "</div><h2 style='margin-top:14px'>Findings by kind</h2><table><tr><th class='l'>kind</th>"
            + f"<th>findings</th></tr>{kinds}</table></section>"
        )

    def _heatmap(self) -> str:
        rows_lv = [*RATING_LEVELS, "unknown"]
        peak = max(self.heat.values(), default=1)
        head = "".join(f"<th>{_esc(self._axis(p))}</th>" for p in RATING_LEVELS)
        body = []
        for d in rows_lv:
            cells = []
            for p in RATING_LEVELS:
                n = self.heat.get((d, p), 0)
                alpha = 0.08 + 0.8 * (n / peak) if n else 0
                under = d != "unknown" and RATING_LEVELS.index(p) > RATING_LEVELS.index(d)
                color = f"rgba(200,60,40,{alpha:.2f})" if under else f"rgba(40,90,180,{alpha:.2f})"
                cells.append(f"<td style='background:{color}'>{n}</td>")
            body.append(f"<tr><th class='l'>{_esc(self._axis(d))}</th>{''.join(cells)}</tr>")
        return (
            "<section id='heatmap'><h2>Declared (rows) vs predicted (columns) rating</h2>"
            f"<table><tr><th class='l'>declared \\ predicted</th>{head}</tr>{''.join(body)}</table>"
            "<p class='muted'>Red cells are stories whose text calls for more than they declare.</p></section>"
        )

    def _coverage(self) -> str:
        labels = sorted(set(self.declared_w) | set(self.predicted_w) | set(self.missing_w) | set(self.unsupported_w))
        rows = "".join(
            f"<tr><td class='l'>{_esc(w)}</td><td>{self.declared_w.get(w, 0)}</td><td>{self.predicted_w.get(w, 0)}</td>"
            f"<td>{self.missing_w.get(w, 0)}</td><td>{self.unsupported_w.get(w, 0)}</td></tr>"
            for w in labels
        )
        return (
            "<section id='coverage'><h2>Warning coverage per label</h2><table><tr><th class='l'>warning</th>"
            "<th>declared</th><th>predicted</th><th>missing / unwarned</th><th>unsupported</th></tr>"
            f"{rows}</table></section>"
        )

    def _fandoms(self) -> str:
        top = sorted(self.fandoms.items(), key=lambda kv: -kv[1]["stories"])[:50]
        rows = "".join(
            f"<tr><td class='l'>{_esc(f)}</td><td>{c['stories']}</td><td>{c.get('flagged', 0)}</td>"
            f"<td>{c.get('undeclared', 0)}</td><td>{c.get('ok', 0)}</td></tr>"
            for f, c in top
        )
        more = (
            f"<p class='muted'>{len(self.fandoms) - 50} more fandoms not shown.</p>" if len(self.fandoms) > 50 else ""
        )
        return (
            "<section id='fandoms'><h2>By fandom</h2><table><tr><th class='l'>fandom</th><th>stories</th>"
            f"<th>flagged</th><th>undeclared</th><th>ok</th></tr>{rows}</table>{more}</section>"
        )

    def _flagged(self, flagged: list[dict[str, Any]]) -> str:
        kinds = sorted({v["kind"].split(":", 1)[0] for c in flagged for v in c["verdicts"]})
        options = "<option value=''>all kinds</option>" + "".join(f"<option>{_esc(k)}</option>" for k in kinds)
        shown = len(flagged)
        total_flagged = self.status.get("flagged", 0)
        note = (
            f"<p class='muted'>Showing the {shown} most severe of {total_flagged} flagged stories.</p>"
            if total_flagged > shown
            else ""
        )
        items = "".join(self._story(c) for c in flagged)
        return (
            "<section id='flagged'><h2>Flagged stories, most severe first</h2>"
            f"{note}<nav><select id='kindfilter'>{options}</select> <button id='prev'>previous</button>"
            f"<button id='next'>next</button> <span id='pageinfo'></span></nav>{items}</section>"
        )

    def _story(self, c: dict[str, Any]) -> str:
        declared = c["declared"] or {}
        kinds = " ".join(v["kind"].split(":", 1)[0] for v in c["verdicts"])
        verdicts = []
        for v in c["verdicts"]:
            base = v["kind"].split(":", 1)[0]
            ev = "".join(
                f"<blockquote>{highlight(e['snippet'], v['label'])} <span class='muted'>"
                f"(chars {e['start']}–{e['end']}, score {e['score']:.2f})</span></blockquote>"
                for e in v.get("evidence", [])
            )
            verdicts.append(
                f"<div><span class='kind k-{_esc(base)}'>{_esc(v['kind'])}</span> "
                f"declared <b>{_esc(v['declared'])}</b>, predicted <b>{_esc(v['predicted'])}</b>, "
                f"confidence {v['confidence']:.2f}{ev}</div>"
            )
        return (
            f"<div class='story' data-kinds='{_esc(kinds)}'><div><b>{_esc(c['title'] or c['path'])}</b> "
            f"<span class='muted'>{_esc(c['path'])}</span></div>"
            f"<div>declared {_esc(declared.get('raw'))} ({_esc(declared.get('canonical') or 'unknown')}), "
            f"predicted {_esc(self._level(c['predicted']))} "
            f"<span class='muted'>{json.dumps({k: round(v, 2) for k, v in c['probs'].items()})}</span></div>"
            f"{''.join(verdicts)}</div>"
        )


def highlight(snippet: str, label: str | None) -> str:
    """Escape ``snippet`` and mark the lexicon words that bear on ``label`` (words as the lexicon counts them)."""
    from classifier.features import TOKEN_RE
    from classifier.modeling.evidence import evidence_words

    wanted = evidence_words(label or "rating")
    if not wanted:
        return _esc(snippet)
    out = []
    pos = 0
    for m in TOKEN_RE.finditer(snippet):
        word = m.group()
        out.append(_esc(snippet[pos : m.start()]))
        out.append(f"<mark>{_esc(word)}</mark>" if word.lower() in wanted else _esc(word))
        pos = m.end()
    out.append(_esc(snippet[pos:]))
    return "".join(out)
