"""Self-contained HTML report of an archive audit, in the words a moderator would share.

One file, no network: styles and script are inline, rendered from the jinja2 templates in
``classifier/templates`` with autoescape on. Totals are exact for any number of stories; the
story list keeps the ``limit`` most severe stories of each group (flagged, undeclared,
informational, ok) in heaps, so memory and the page stay bounded at 100k+ stories.

What the report says about the run (command, inputs, model, thresholds) is a
:class:`ReportContext`: the CLI sets it around a run with :func:`run_context`, since the
builder is made deep inside the pipeline.
"""

from __future__ import annotations

import contextlib
import contextvars
import heapq
import re
import shlex
import sys
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from markupsafe import Markup, escape

from classifier import __version__
from classifier.audit import KINDS, AuditPolicy
from classifier.labels import ARCHIVE_WARNINGS, RATING_LEVELS, Taxonomy, load_taxonomy

if TYPE_CHECKING:
    import jinja2

#: Story groups, most serious first: the filter of the story list.
GROUPS: tuple[str, ...] = ("flagged", "undeclared", "informational", "ok")
GROUP_NAMES = {"flagged": "Flagged", "undeclared": "Undeclared", "informational": "Informational", "ok": "OK"}
GROUP_HELP = {
    "flagged": "a finding of a failing kind (the exit status is 1)",
    "undeclared": "no rating or no warnings declared: the values the text calls for are suggested",
    "informational": "findings worth a look that do not fail (withheld warnings, over-rating, unsupported warnings)",
    "ok": "nothing to report",
}
KIND_NAMES = {
    "under-rated": "Under-rated",
    "missing-warning": "Missing warning",
    "undeclared": "Undeclared",
    "unwarned": "Unwarned",
    "over-rated": "Over-rated",
    "unsupported-warning": "Unsupported warning",
    "ok": "OK",
}
KIND_HELP = {
    "under-rated": "the text calls for a higher rating than declared",
    "missing-warning": "the text calls for a warning the header does not give",
    "undeclared": "nothing declared: the rating or warning the text calls for",
    "unwarned": "a warning the text calls for, where the author withheld warnings (informational)",
    "over-rated": "declared clearly higher than the text supports (informational)",
    "unsupported-warning": "a declared warning the text shows no sign of (informational)",
    "ok": "stories with nothing to report",
}
SCALE_NAMES = {"ao3": "AO3", "ffn": "FanFiction.Net", "mpaa": "MPAA", "words": "plain words"}

_AO3_URL = re.compile(r"archiveofourown\.org/(?:collections/[^/\s]+/)?works/(\d+)", re.I)
_FFN_URL = re.compile(r"fanfiction\.net/s/(\d+)", re.I)
_AO3_ID = re.compile(r"ao3[:_-]?(\d+)", re.I)
_FFN_ID = re.compile(r"(?:ffn|fanfiction)[:_-]?(\d+)", re.I)


def work_link(work_id: str, header: dict[str, str] | None = None) -> str | None:
    """The work's page when its id is an AO3 or FFN id (``ao3:123``, ``ffn-456``) or its header
    gives the work's URL; None otherwise."""
    if m := _AO3_ID.fullmatch(work_id):
        return f"https://archiveofourown.org/works/{m.group(1)}"
    if m := _FFN_ID.fullmatch(work_id):
        return f"https://www.fanfiction.net/s/{m.group(1)}"
    for value in (header or {}).values():
        if m := _AO3_URL.search(value):
            return f"https://archiveofourown.org/works/{m.group(1)}"
        if m := _FFN_URL.search(value):
            return f"https://www.fanfiction.net/s/{m.group(1)}"
    return None


@dataclass(frozen=True)
class ReportContext:
    """What a report says about the run that produced it (its provenance).

    Parameters
    ----------
    inputs : tuple of str
        Paths as given on the command line.
    command : str
        The command line.
    card : dict
        The model card (name, created, versions, artifact hashes).
    thresholds : dict
        Warning id → the model's threshold.
    policy : AuditPolicy, optional
        The confidences in force; without one the report cannot say what a finding needed.
    min_confidence : float, optional
        ``--min-confidence`` as given (None: the model's defaults).
    model_path : str, optional
        The model directory given (None: the built-in default model).
    """

    inputs: tuple[str, ...] = ()
    command: str = ""
    card: dict[str, Any] = field(default_factory=dict)
    thresholds: dict[str, float] = field(default_factory=dict)
    policy: AuditPolicy | None = None
    min_confidence: float | None = None
    model_path: str | None = None

    @classmethod
    def for_run(
        cls,
        card: dict[str, Any],
        thresholds: dict[str, float],
        policy: AuditPolicy,
        inputs: list[str],
        *,
        min_confidence: float | None = None,
        model_path: str | None = None,
        argv: list[str] | None = None,
    ) -> ReportContext:
        """The context of a CLI run (the command line from ``argv``, default ``sys.argv``)."""
        args = sys.argv if argv is None else argv
        return cls(
            inputs=tuple(inputs),
            command=shlex.join(["ficrate", *args[1:]]) if args else "",
            card=dict(card),
            thresholds=dict(thresholds),
            policy=policy,
            min_confidence=min_confidence,
            model_path=model_path,
        )


_RUN: contextvars.ContextVar[ReportContext | None] = contextvars.ContextVar("ficrate_report_run", default=None)


@contextlib.contextmanager
def run_context(context: ReportContext) -> Iterator[None]:
    """Reports built inside this block (without a context of their own) record ``context``."""
    token = _RUN.set(context)
    try:
        yield
    finally:
        _RUN.reset(token)


def story_group(audit: dict[str, Any]) -> str:
    """``flagged``, ``undeclared``, ``informational`` (findings that do not fail) or ``ok``."""
    if audit["status"] in ("flagged", "undeclared"):
        return str(audit["status"])
    return "informational" if any(v["kind"] != "ok" for v in audit["verdicts"]) else "ok"


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    import jinja2  # here: only a run that writes a report pays for it

    # StrictUndefined: a misspelt name in a template fails the tests instead of rendering blank.
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("classifier", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["thousands"] = lambda n: f"{n:,}"
    return env


class ReportBuilder:
    """Accumulates audit records and renders the HTML report.

    Parameters
    ----------
    limit : int
        Most severe stories of each group kept for the story list.
    scale : str
        Rating scale for display (``ao3`` or ``ffn``).
    title : str
        The page's title.
    taxonomy : Taxonomy, optional
        Whose display names the ratings and warnings get (default: the packaged taxonomy).
    context : ReportContext, optional
        The run's provenance (default: the one set by :func:`run_context`, if any).
    """

    def __init__(
        self,
        limit: int = 1000,
        scale: str = "ao3",
        title: str = "ficrate audit",
        taxonomy: Taxonomy | None = None,
        context: ReportContext | None = None,
    ) -> None:
        self.limit = limit
        self.scale = scale
        self.taxonomy = taxonomy or load_taxonomy()
        self.title = title
        self.context = context or _RUN.get() or ReportContext()
        self.started = datetime.now(UTC)
        self.total = 0
        self.status: Counter[str] = Counter()
        self.groups: Counter[str] = Counter()
        self.kinds: Counter[str] = Counter()
        self.heat: Counter[tuple[str, str]] = Counter()
        self.declared_w: Counter[str] = Counter()
        self.predicted_w: Counter[str] = Counter()
        self.missing_w: Counter[str] = Counter()
        self.unsupported_w: Counter[str] = Counter()
        self.fandoms: dict[str, Counter[str]] = defaultdict(Counter)
        self._heaps: dict[str, list[tuple[float, int, dict[str, Any]]]] = {g: [] for g in GROUPS}
        self._seq = 0

    def add(self, rec: dict[str, Any]) -> None:
        """Count one audit record (and keep it if it is among the most severe of its group)."""
        self.total += 1
        audit = rec["audit"]
        group = story_group(audit)
        self.status[audit["status"]] += 1
        self.groups[group] += 1
        declared = (rec["declared"].get("rating") or {}).get("canonical") or "unknown"
        self.heat[(declared, rec["prediction"]["rating"])] += 1
        self.declared_w.update(rec["declared"]["warnings"]["canonical"])
        self.predicted_w.update(rec["prediction"]["warnings"])
        for v in audit["verdicts"]:
            base = v["kind"].split(":", 1)[0]
            self.kinds[base] += 1
            if base in ("missing-warning", "unwarned") and v["label"]:
                self.missing_w[v["label"]] += 1
            if base == "unsupported-warning" and v["label"]:
                self.unsupported_w[v["label"]] += 1
        for fandom in rec["declared"]["tags"].get("fandoms") or ["(unknown fandom)"]:
            self.fandoms[fandom]["stories"] += 1
            self.fandoms[fandom][group] += 1
        self._seq += 1
        # Ties keep the earlier story (a larger -seq wins), so "ok" keeps the first ones read.
        item = (float(audit.get("severity", 0.0)), -self._seq, rec)
        heap = self._heaps[group]
        if len(heap) < self.limit:
            heapq.heappush(heap, item)
        elif item[:2] > heap[0][:2]:
            heapq.heapreplace(heap, item)

    # -- names ------------------------------------------------------------------------------------
    def _level(self, level: str | None) -> str:
        """A level's display name on the report's scale, from the taxonomy."""
        return self.taxonomy.rating_display(None if level == "unknown" else level, self.scale)

    def _axis(self, level: str) -> str:
        """A heatmap label: the display name, with the level where two levels share it (FFN M)."""
        if level == "unknown":
            return "not given or not rated"
        name = self._level(level)
        shared = sum(self._level(other) == name for other in RATING_LEVELS) > 1
        return f"{name} ({level})" if shared else name

    def _warning(self, wid: str) -> str:
        return self.taxonomy.warning_display(wid, self.scale)

    def _declared_rating(self, rating: dict[str, Any] | None) -> tuple[str, str | None]:
        """The declared rating in the report's terms, and how it was written when that differs."""
        if rating is None:
            return "not given", None
        if rating["canonical"] is None:  # "Not Rated", "TBD": shown as written
            return rating["raw"], None
        shown = self._level(rating["canonical"])
        if rating["raw"].casefold() == shown.casefold():
            return shown, None
        return shown, f"as {rating['raw']} on {SCALE_NAMES.get(rating['scale'], rating['scale'])}"

    def _declared_warnings(self, warnings: dict[str, Any]) -> str:
        status = warnings["status"]
        if status == "declared":
            return ", ".join([self._warning(w) for w in warnings["canonical"]] + list(warnings["unmapped"]))
        site = self.taxonomy.warning_status_display(status, self.scale)
        if site:
            return site
        return {"none": "none", "withheld": "withheld by the author"}.get(status, "none given")

    # -- findings ---------------------------------------------------------------------------------
    def _threshold(
        self, kind: str, label: str | None, declared_level: str | None, scale: str | None = None
    ) -> float | None:
        """What the finding needed under the policy in force (None when not known or not applicable)."""
        policy = self.context.policy
        if policy is None:
            return None
        if kind == "under-rated" and declared_level in RATING_LEVELS:
            return policy.rating_confidence(RATING_LEVELS.index(declared_level), scale)
        if kind in ("missing-warning", "unwarned") or (kind == "undeclared" and label not in (None, "rating")):
            return policy.warning_threshold(str(label), self.context.thresholds)
        if kind == "over-rated":
            return policy.over_rated_confidence
        if kind == "unsupported-warning":
            return policy.unsupported_confidence
        return None

    def _finding(
        self, v: dict[str, Any], declared: str, declared_level: str | None, scale: str | None = None
    ) -> dict[str, Any]:
        """One verdict as a suggested change in the site's terms, with its confidence explained."""
        kind = v["kind"].split(":", 1)[0]
        label = v["label"]
        name = self._warning(label) if label not in (None, "rating") else ""
        add = "add" if label in ARCHIVE_WARNINGS else "add tag"
        conf = float(v["confidence"])
        need = self._threshold(kind, label, declared_level, scale)
        at = f"{need:.2f} or above" if need is not None else "a threshold this report does not record"
        if kind == "under-rated":
            change = f"Rating: {declared} → {self._level(v['predicted'])}"
            means = f"calibrated probability that the text calls for more than {declared}; flagged at {at}"
        elif kind == "missing-warning":
            change = f"{add}: {name}"
            means = f"calibrated probability that the text calls for {name}; flagged at {at}"
        elif kind == "undeclared" and name:
            change = f"{add}: {name}"
            means = f"calibrated probability that the text calls for {name}; suggested at {at} (none declared)"
        elif kind == "undeclared":
            change = f"Rating: {declared} → {self._level(v['predicted'])}"  # "not given", or "Not Rated" as written
            means = (
                f"calibrated probability that {self._level(v['predicted'])} is the rating the text calls for "
                "(the most likely level; suggested whatever its probability, as none is declared)"
            )
        elif kind == "unwarned":
            why = "the author chose not to warn" if v["declared"] == "withheld" else "not an archive warning"
            change = f"consider {'adding' if label in ARCHIVE_WARNINGS else 'tagging'}: {name} ({why})"
            means = f"calibrated probability that the text calls for {name}; reported at {at}, not failing"
        elif kind == "over-rated":
            change = f"Rating could be lower: {declared} → {self._level(v['predicted'])}"
            means = f"calibrated probability that the text calls for less than {declared}; reported at {at}"
        elif kind == "unsupported-warning":
            change = f"check: {name} is declared but not found in the text"
            means = f"calibrated probability that the text does not call for {name}; reported at {at}"
        else:
            return {"kind": kind, "kind_name": KIND_NAMES[kind], "change": "no change", "why": "", "evidence": []}
        return {
            "kind": kind,
            "kind_name": KIND_NAMES.get(kind, kind),
            "change": change,
            "why": f"Confidence {conf:.2f}: the {means}.",
            "confidence": conf,
            "threshold": need,
            "label": label or "rating",
            "evidence": v.get("evidence", []),
        }

    def _row(self, rec: dict[str, Any], group: str, index: int) -> dict[str, Any]:
        """A story of the list: everything shown, already in the report's words."""
        declared = rec["declared"]
        rating = declared.get("rating")
        shown_rating, written = self._declared_rating(rating)
        declared_level = rating["canonical"] if rating else None
        pred = rec["prediction"]
        scale = rating.get("scale") if rating else None
        findings = [self._finding(v, shown_rating, declared_level, scale) for v in rec["audit"]["verdicts"]]
        seen: set[tuple[int, int]] = set()
        for f in findings:
            quotes = []
            best = max((e["score"] for e in f["evidence"]), default=0.0)
            for e in f["evidence"]:
                if e["score"] < best / 2:
                    # A passage far weaker than the strongest one is not evidence a moderator can use
                    # (the story's probability may come from the whole text): leave it out.
                    continue
                where = (e.get("quote_start", e["start"]), e.get("quote_end", e["end"]))
                if where in seen:  # the rating and a warning often rest on the same sentence
                    continue
                seen.add(where)
                quotes.append(
                    {
                        "html": highlight(e["snippet"], f["label"], e.get("snippet_marks")),
                        "start": where[0],
                        "end": where[1],
                        "score": e["score"],
                    }
                )
            f["quotes"] = quotes
            f["quoted_above"] = bool(f["evidence"]) and not quotes
        real = [f for f in findings if f["kind"] != "ok"]
        work_id = str(rec.get("id") or rec["path"])
        probs = pred["rating_probs"]
        row = {
            "i": index,
            "group": group,
            "group_name": GROUP_NAMES[group],
            "id": work_id,
            "url": work_link(work_id, declared.get("raw")),
            "title": rec.get("title") or "",
            "path": rec["path"],
            "fandoms": ", ".join(declared["tags"].get("fandoms") or []),
            "declared_rating": shown_rating,
            "declared_as": written,
            "declared_warnings": self._declared_warnings(declared["warnings"]),
            "calls_for": self._level(pred["rating"]),
            "calls_for_warnings": ", ".join(self._warning(w) for w in pred["warnings"]) or "none",
            "probs": " · ".join(f"{self._level(lvl)} {probs[lvl]:.2f}" for lvl in RATING_LEVELS if probs[lvl] >= 0.005),
            "findings": findings,
            "confidence": real[0]["confidence"] if real else None,
        }
        return row

    @staticmethod
    def _data(row: dict[str, Any], severity: float, level: str) -> dict[str, Any]:
        """The row as the page's script sees it: sort keys, search text and the CSV columns."""
        real = [f for f in row["findings"] if f["kind"] != "ok"]
        search = " ".join(
            [row["id"], row["title"], row["path"], row["fandoms"], row["group_name"], row["declared_warnings"]]
            + [f["change"] for f in real]
        )
        return {
            "group": row["group"],
            "rank": GROUPS.index(row["group"]),
            "severity": round(severity, 3),
            "level": RATING_LEVELS.index(level),
            "search": search.lower(),  # as the page's toLowerCase() reads what is typed
            "csv": {
                "work_id": row["id"],
                "link": row["url"] or "",
                "title": row["title"],
                "fandoms": row["fandoms"],
                "status": row["group_name"],
                "declared_rating": row["declared_rating"],
                "declared_warnings": row["declared_warnings"],
                "text_calls_for": row["calls_for"],
                "suggested_changes": "; ".join(f["change"] for f in real),
                "confidence": "" if row["confidence"] is None else f"{row['confidence']:.2f}",
                "threshold": "; ".join(f"{f['threshold']:.2f}" for f in real if f["threshold"] is not None),
                "path": row["path"],
            },
        }

    # -- the page ---------------------------------------------------------------------------------
    def render(self) -> str:
        """The complete HTML document."""
        kept = [
            (group, sev, -neg, rec)
            for group in GROUPS
            for sev, neg, rec in sorted(self._heaps[group], key=lambda t: (-t[0], -t[1]))
        ]
        rows, data = [], []
        for i, (group, sev, _seq, rec) in enumerate(kept):
            row = self._row(rec, group, i)
            rows.append(row)
            data.append(self._data(row, sev, rec["prediction"]["rating"]))
        template = _environment().get_template("report.html")
        return template.render(
            title=self.title,
            lang="en",
            version=__version__,
            total=self.total,
            generated=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            provenance=self._provenance(),
            groups=[
                {
                    "id": g,
                    "name": GROUP_NAMES[g],
                    "help": GROUP_HELP[g],
                    "count": self.groups.get(g, 0),
                    "listed": len(self._heaps[g]),
                }
                for g in GROUPS
            ],
            kinds=[
                {"id": k, "name": KIND_NAMES[k], "help": KIND_HELP[k], "count": self.kinds.get(k, 0)} for k in KINDS
            ],
            rows=rows,
            data=data,
            limit=self.limit,
            heatmap=self._heatmap(),
            coverage=self._coverage(),
            fandoms=self._fandoms(),
            more_fandoms=max(0, len(self.fandoms) - 50),
        )

    def _provenance(self) -> list[tuple[str, str]]:
        """``(what, value)`` lines of the "How this report was made" section (the command shown as code)."""
        ctx = self.context
        card = ctx.card
        lines = [("ficrate", __version__)]
        if ctx.command:
            lines.append(("Command", ctx.command))
        if ctx.inputs:
            shown = ", ".join(ctx.inputs[:20]) + (f" and {len(ctx.inputs) - 20} more" if len(ctx.inputs) > 20 else "")
            lines.append(("Inputs", f"{shown} ({_stories(self.total)})"))
        else:
            lines.append(("Inputs", _stories(self.total)))
        lines.append(("Audited", self.started.strftime("%Y-%m-%d %H:%M UTC")))
        if card:
            weights = (card.get("artifacts") or {}).get("weights.npz", {}).get("sha256", "")
            trained = str(card.get("created", ""))[:10]
            by = (card.get("versions") or {}).get("ficrate")
            model = f"{card.get('name', 'unnamed model')}" + (f" ({ctx.model_path})" if ctx.model_path else "")
            model += f", trained {trained}" if trained else ""
            model += f" with ficrate {by}" if by else ""
            model += f"; weights SHA-256 {weights[:16]}" if weights else ""
            lines.append(("Model", model))
        else:
            lines.append(("Model", "not recorded (the report was built without the run's model card)"))
        source = self.taxonomy.source
        lines.append(("Taxonomy", "the packaged default" if source == "default" else source))
        lines.append(("Ratings shown", f"on {SCALE_NAMES.get(self.scale, self.scale)}'s scale (--scale {self.scale})"))
        policy = ctx.policy
        if policy is None:
            lines.append(("Thresholds", "not recorded"))
            return lines
        if ctx.min_confidence is not None:
            lines.append(("--min-confidence", f"{ctx.min_confidence:.2f} (given on the command line)"))
        else:
            lines.append(("--min-confidence", "not given: the model's defaults, chosen on held-out works"))
        under = " · ".join(
            f"{self._level(lvl)} {policy.rating_confidence(k):.2f}" for k, lvl in enumerate(RATING_LEVELS[:-1])
        )
        if policy.confidence_by_scale:
            under = "other scales: " + under
        for scale in sorted(policy.confidence_by_scale or {}):
            shown = " · ".join(
                f"{self.taxonomy.rating_display(lvl, scale)} {policy.rating_confidence(k, scale):.2f}"
                for k, lvl in enumerate(RATING_LEVELS[:-1])
                if not (scale == "ffn" and lvl == "mature" and policy.ffn_m_covers_explicit)
            )
            under += f"; declared on the {scale.upper()} scale: {shown}"
        lines.append(("Under-rated when", f"P(the text calls for more than declared) is at least: {under}"))
        warn_ids = list(ctx.thresholds) or list(self.taxonomy.warning_ids)
        need = " · ".join(f"{self._warning(w)} {policy.warning_threshold(w, ctx.thresholds):.2f}" for w in warn_ids)
        lines.append(("Missing warning when", f"P(the text calls for the warning) is at least: {need}"))
        fails = ", ".join(
            KIND_NAMES.get(k.split(":", 1)[0], k) + (f" ({k.split(':', 1)[1]})" if ":" in k else "")
            for k in policy.fail_on
        )
        lines.append(("Fails on", fails or "nothing (--fail-on none)"))
        lines.append(
            (
                "FanFiction.Net M",
                "covers explicit content (FFN has nothing above M)"
                if policy.ffn_m_covers_explicit
                else "read as Mature (--ffn-m-is-mature)",
            )
        )
        return lines

    def _heatmap(self) -> dict[str, Any]:
        peak = max(self.heat.values(), default=1)
        rows = []
        for d in [*RATING_LEVELS, "unknown"]:
            cells = []
            for p in RATING_LEVELS:
                n = self.heat.get((d, p), 0)
                under = d != "unknown" and RATING_LEVELS.index(p) > RATING_LEVELS.index(d)
                alpha = 0.08 + 0.8 * (n / peak) if n else 0.0
                cells.append({"n": n, "under": under, "alpha": f"{alpha:.2f}"})
            rows.append({"name": self._axis(d), "cells": cells})
        return {"columns": [self._axis(p) for p in RATING_LEVELS], "rows": rows}

    def _coverage(self) -> list[dict[str, Any]]:
        seen = set(self.declared_w) | set(self.predicted_w) | set(self.missing_w) | set(self.unsupported_w)
        order = {w: k for k, w in enumerate(self.taxonomy.warning_ids)}
        return [
            {
                "name": self._warning(w),
                "archive": w in ARCHIVE_WARNINGS,
                "declared": self.declared_w.get(w, 0),
                "predicted": self.predicted_w.get(w, 0),
                "missing": self.missing_w.get(w, 0),
                "unsupported": self.unsupported_w.get(w, 0),
            }
            for w in sorted(seen, key=lambda w: (order.get(w, len(order)), w))
        ]

    def _fandoms(self) -> list[dict[str, Any]]:
        top = sorted(self.fandoms.items(), key=lambda kv: (-kv[1]["stories"], kv[0]))[:50]
        return [{"name": f, "stories": c["stories"], **{g: c.get(g, 0) for g in GROUPS}} for f, c in top]


def _stories(n: int) -> str:
    return f"{n} story" if n == 1 else f"{n} stories"


def highlight(snippet: str, label: str | None, marks: list[list[int]] | None = None) -> Markup:
    """``snippet`` escaped, with its marks in ``<mark>``.

    Parameters
    ----------
    snippet : str
        The evidence record's ``snippet``.
    label : str or None
        What the snippet is evidence for (``rating`` or a warning id).
    marks : list of [start, end], optional
        The record's ``snippet_marks``: what the evidence step found counted, mapped onto the
        snippet. Records written before they existed leave it out; the lexicon words and phrases
        that bear on ``label`` are then looked for in the snippet itself (which sees a phrase
        across a line break, and context words by the quote's own words, not its passage's).

    Returns
    -------
    Markup
        The snippet as HTML.
    """
    if marks is None:
        from classifier.features import normalize_in_place
        from classifier.modeling.evidence import evidence_spans, lower_with_offsets, to_text_spans

        low, origin = lower_with_offsets(normalize_in_place(snippet))
        spans = to_text_spans(evidence_spans(low, label or "rating"), origin)
    else:
        # Records may come from elsewhere (a JSONL file): a mark that is not a pair of whole
        # numbers is skipped, like one outside the snippet, rather than failing the report.
        spans = [
            (m[0], m[1])
            for m in (marks if isinstance(marks, list) else [])
            if isinstance(m, (list, tuple))
            and len(m) == 2
            and all(isinstance(x, int) and not isinstance(x, bool) for x in m)
        ]
    out = Markup()
    pos = 0
    for a, b in sorted(spans):
        if not pos <= a < b <= len(snippet):  # marks from a record written elsewhere: skip what cannot be shown
            continue
        out += escape(snippet[pos:a]) + Markup("<mark>{}</mark>").format(snippet[a:b])
        pos = b
    return out + escape(snippet[pos:])
