"""Label taxonomy: canonical ratings, warning ids and the mapping from declared terms.

The taxonomy is data (``classifier/data/taxonomy.json``); users can pass their own
file with the same schema (``--taxonomy``).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

RATING_LEVELS: tuple[str, ...] = ("general", "teen", "mature", "explicit")

#: AO3's own rating mix, general..explicit: the 9,856 rated works of the AO3 listings in
#: ../shared/data (README §1). The full-length corpus was sampled per rating, so training re-weights
#: its AO3 works to this mix and the protocol also reports accuracy at it.
AO3_RATING_MIX: tuple[float, ...] = (0.358, 0.334, 0.142, 0.166)

#: FanFiction.Net's mix of general (K, K+) and teen (T) among its K-T stories: the 13,934 stories
#: of the FFN listings in ../shared/data (README §2), which show K-T only, as FFN lists do by default.
FFN_RATING_MIX: tuple[float, ...] = (0.431, 0.569)

#: AO3 archive warnings: when an author uses them, the four are exhaustive.
ARCHIVE_WARNINGS: tuple[str, ...] = ("violence", "major_character_death", "rape_noncon", "underage")

#: Warning status values, see :class:`DeclaredWarnings`.
WARNING_STATUSES: tuple[str, ...] = ("declared", "none", "withheld", "absent")


#: Distinct declared warning terms read per story (real headers hold a few dozen at most).
MAX_WARNING_TERMS = 500


class TaxonomyError(ValueError):
    """A taxonomy file that cannot be used."""


@dataclass(frozen=True)
class WarningLabel:
    """One warning of the taxonomy."""

    id: str
    name: str
    definition: str
    patterns: tuple[re.Pattern[str], ...]
    exclude: tuple[re.Pattern[str], ...]
    #: Scale → the site's own name for this warning (AO3's archive warnings); others use ``name``.
    display: dict[str, str] = field(default_factory=dict)

    def matches(self, term: str) -> bool:
        """Return True if the normalised free-form ``term`` declares this warning."""
        if any(p.search(term) for p in self.exclude):
            # An exclusion only blocks the match if nothing is left after removing it,
            # so "no sex but violence" still maps to violence via the other label.
            stripped = term
            for p in self.exclude:
                stripped = p.sub(" ", stripped)
            return any(p.search(stripped) for p in self.patterns)
        return any(p.search(term) for p in self.patterns)


@dataclass(frozen=True)
class RatingValue:
    """A declared rating parsed against the known scales."""

    raw: str
    scale: str
    canonical: str | None
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON form used in machine output."""
        return {"raw": self.raw, "scale": self.scale, "canonical": self.canonical}

    @property
    def display(self) -> str:
        """Declared value with its scale, e.g. ``M (ffn)``."""
        return f"{self.raw} ({self.scale})"


@dataclass
class DeclaredWarnings:
    """Warnings as declared by the author, mapped onto the taxonomy.

    ``status`` is ``declared`` (a list, possibly only unmapped terms), ``none``
    (explicitly no warnings), ``withheld`` (the author chose not to warn: unknown, not
    none) or ``absent`` (nothing said).
    """

    status: str = "absent"
    canonical: list[str] = field(default_factory=list)
    unmapped: list[str] = field(default_factory=list)
    raw: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON form used in machine output."""
        return {"status": self.status, "canonical": list(self.canonical), "unmapped": list(self.unmapped)}


_WS = re.compile(r"\s+")
_TERM_SPLIT = re.compile(r"\s*(?:[,;|•·\n]|\s-\s|\s–\s)\s*")


#: Only a term's first characters are matched against the taxonomy: one field of hundreds of KB
#: without separators was scanned in full by every pattern (seconds per file).
TERM_MATCH_MAX_CHARS = 1000


def normalize_term(term: str) -> str:
    """Lower-case, unify quotes/dashes and collapse whitespace for pattern matching."""
    term = term[:TERM_MATCH_MAX_CHARS]
    t = term.replace("\u2019", "'").replace("\u2018", "'").replace("\u2013", "-").replace("\u2014", "-")
    t = t.strip().strip(".!:*_\"'()[]{}").strip()
    return _WS.sub(" ", t.lower())


def split_terms(value: str) -> list[str]:
    """Split a free-form warnings value (``"a, b; c"``) into terms; ``/`` is kept (Rape/Non-Con)."""
    parts = [p.strip().lstrip("-*+>\u2022 ").strip(".").strip() for p in _TERM_SPLIT.split(value)]
    return [p for p in parts if p and any(ch.isalnum() for ch in p)]


class Taxonomy:
    """Ratings and warnings of a taxonomy file, with the term mapping."""

    def __init__(self, data: dict[str, Any], source: str = "<dict>") -> None:
        self.source = source
        try:
            ratings = data["ratings"]
            self.levels: tuple[str, ...] = tuple(ratings["levels"])
            if self.levels != RATING_LEVELS:
                raise TaxonomyError(f"{source}: rating levels must be {list(RATING_LEVELS)}")
            self.scales: dict[str, dict[str, str | None]] = {
                scale: {k.lower(): v for k, v in mapping.items()} for scale, mapping in ratings["scales"].items()
            }
            self.display: dict[str, dict[str, str]] = ratings.get("display", {})
            self.unknown_ratings = frozenset(v.lower() for v in ratings.get("unknown", []))
            self.status_display: dict[str, dict[str, str]] = data.get("warning_status_display", {})
            status = data.get("warning_status_terms", {})
            self._none = tuple(re.compile(p) for p in status.get("none", []))
            self._withheld = tuple(re.compile(p) for p in status.get("withheld", []))
            self.warnings: tuple[WarningLabel, ...] = tuple(
                WarningLabel(
                    id=w["id"],
                    name=w["name"],
                    definition=w["definition"],
                    patterns=tuple(re.compile(p) for p in w["patterns"]),
                    exclude=tuple(re.compile(p) for p in w.get("exclude", [])),
                    display=dict(w.get("display", {})),
                )
                for w in data["warnings"]
            )
        except KeyError as exc:
            raise TaxonomyError(f"{source}: missing or malformed field {exc}") from None
        except (TypeError, AttributeError, ValueError) as exc:
            # A list where an object belongs, a number where a list does, ...
            raise TaxonomyError(f"{source}: malformed field ({exc})") from None
        except re.error as exc:
            raise TaxonomyError(f"{source}: bad pattern: {exc}") from None
        ids = [w.id for w in self.warnings]
        if len(set(ids)) != len(ids):
            raise TaxonomyError(f"{source}: duplicate warning ids")
        for scale, mapping in self.scales.items():
            bad = {v for v in mapping.values() if v is not None and v not in RATING_LEVELS}
            if bad:
                raise TaxonomyError(f"{source}: scale {scale!r} maps to unknown levels {sorted(bad)}")

    @property
    def warning_ids(self) -> tuple[str, ...]:
        """Warning ids in taxonomy order."""
        return tuple(w.id for w in self.warnings)

    # -- ratings -------------------------------------------------------------------------
    def parse_rating(self, raw: str, scale_hint: str | None = None) -> RatingValue | None:
        """Parse a declared rating such as ``"M"``, ``"Rated T for language"``, ``"Explicit"``.

        Returns None when ``raw`` holds no rating at all. "Not Rated" and the like give a
        :class:`RatingValue` whose ``canonical`` is None (unknown, never a level).
        """
        text = _WS.sub(" ", raw.replace("\u2013", "-").replace("\u2014", "-")).strip()
        text = re.sub(r"^(rated|rating)\s*[:\-]?\s*", "", text, flags=re.I).strip(" .:*_\"'")
        if not text:
            return None
        low = text.lower()
        if low in self.unknown_ratings or low.startswith("not rated"):
            return RatingValue(raw=text, scale=scale_hint or "ao3", canonical=None)
        order = self._scale_order(scale_hint)
        # Longest key first so "teen and up audiences" wins over "teen", "k+" over "k".
        for scale in order:
            mapping = self.scales[scale]
            for key in sorted(mapping, key=len, reverse=True):
                m = re.match(re.escape(key) + r"(?![\w+])", low)
                if m:
                    rest = text[m.end() :].strip(" ,.-:()")
                    reason = re.sub(r"^for\s+", "", rest, flags=re.I).strip() or None
                    raw_value = text[: m.end()].strip()
                    return RatingValue(raw=raw_value, scale=scale, canonical=mapping[key], reason=reason)
        return None

    def _scale_order(self, hint: str | None) -> list[str]:
        # AO3 words before single letters: "Mature" must not be read as FFN "M" + "ature",
        # which the (?![\w+]) guard prevents anyway; FFN before MPAA so "T" and "M" are FFN.
        order: list[str] = [s for s in ("ao3", "ffn", "mpaa", "words") if s in self.scales]
        order += [s for s in self.scales if s not in order]
        if hint and hint in self.scales:
            order.remove(hint)
            order.insert(0, hint)
        return order

    def rating_display(self, level: str | None, scale: str = "ao3") -> str:
        """Show a canonical level on a scale (``mature`` → ``Mature`` on ao3, ``M`` on ffn)."""
        if level is None:
            return "unknown"
        return self.display.get(scale, {}).get(level, level)

    # -- warnings ------------------------------------------------------------------------
    def warning_label(self, wid: str) -> WarningLabel | None:
        """The warning with id ``wid`` (None when this taxonomy has no such id)."""
        return next((w for w in self.warnings if w.id == wid), None)

    def warning_display(self, wid: str, scale: str = "ao3") -> str:
        """A warning's name on a site (``violence`` → ``Graphic Depictions Of Violence`` on ao3).

        Warnings the site has no name for get the taxonomy's ``name``; an id this taxonomy does
        not know (a model trained with another taxonomy) is shown as words.
        """
        w = self.warning_label(wid)
        if w is None:
            return wid.replace("_", " ").capitalize()
        return w.display.get(scale, w.name)

    def warning_status_display(self, status: str, scale: str = "ao3") -> str | None:
        """The site's term for a warnings status (``none`` → ``No Archive Warnings Apply``), if it has one."""
        return self.status_display.get(scale, {}).get(status)

    def map_term(self, term: str) -> list[str]:
        """Warning ids a single free-form term declares (possibly several, possibly none)."""
        norm = normalize_term(term)
        return [w.id for w in self.warnings if w.matches(norm)]

    def term_status(self, term: str) -> str | None:
        """``none`` / ``withheld`` if the term is a status marker, else None."""
        norm = normalize_term(term)
        if any(p.search(norm) for p in self._withheld):
            return "withheld"
        if any(p.search(norm) for p in self._none):
            return "none"
        return None

    def parse_warnings(self, terms: list[str]) -> DeclaredWarnings:
        """Map declared terms to a :class:`DeclaredWarnings` (status + canonical + unmapped).

        Repeated terms count once, and at most :data:`MAX_WARNING_TERMS` distinct terms are read:
        every term is matched against every pattern, so a cell of 100,000 terms would cost seconds.
        """
        terms = list(dict.fromkeys(terms))[:MAX_WARNING_TERMS]
        out = DeclaredWarnings(raw=list(terms))
        statuses: set[str] = set()
        for term in terms:
            status = self.term_status(term)
            if status:
                statuses.add(status)
                continue
            ids = self.map_term(term)
            if ids:
                out.canonical.extend(i for i in ids if i not in out.canonical)
            elif term.strip():
                out.unmapped.append(term.strip())
        order = {wid: k for k, wid in enumerate(self.warning_ids)}
        out.canonical.sort(key=order.__getitem__)
        if out.canonical or out.unmapped:
            out.status = "declared"
        elif "withheld" in statuses:
            out.status = "withheld"
        elif "none" in statuses:
            out.status = "none"
        return out

    def to_dict(self) -> dict[str, Any]:
        """Summary used in model cards and docs."""
        return {
            "source": self.source,
            "levels": list(self.levels),
            "warnings": [{"id": w.id, "name": w.name, "definition": w.definition} for w in self.warnings],
        }


def load_taxonomy(path: str | Path | None = None) -> Taxonomy:
    """Load a taxonomy file, or the packaged default when ``path`` is None."""
    if path is None:
        return _default_taxonomy()
    p = Path(path)
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except OSError as exc:
        raise TaxonomyError(f"{p}: cannot read taxonomy ({exc.strerror or exc})") from None
    except json.JSONDecodeError as exc:
        raise TaxonomyError(f"{p}: not valid JSON ({exc.msg} at line {exc.lineno})") from None
    if not isinstance(data, dict):
        raise TaxonomyError(f"{p}: taxonomy must be a JSON object")
    return Taxonomy(data, source=str(p))


@lru_cache(maxsize=1)
def _default_taxonomy() -> Taxonomy:
    text = resources.files("classifier").joinpath("data/taxonomy.json").read_text(encoding="utf-8")
    return Taxonomy(json.loads(text), source="default")
