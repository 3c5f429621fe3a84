"""The library face: load a model, score or audit a story, read files — one call each.

>>> import classifier
>>> model = classifier.load_model()                        # the shipped default model
>>> p = model.score("Rating: G\\n\\nThe kettle hummed while the cat slept.")
>>> p.rating, p.warnings                                     # ('general', [])
>>> model.audit("Rating: G\\n\\n" + text).status               # 'ok' or 'flagged'
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from classifier.modeling.prediction import Prediction
from classifier.story import Story


@dataclass
class AuditResult:
    """The audit of one story: ``status`` (``ok``/``flagged``/``undeclared``), ``severity``, ``verdicts``."""

    status: str
    severity: float
    verdicts: list[dict[str, Any]]

    @property
    def flagged(self) -> bool:
        """True when a verdict is of a failing kind."""
        return self.status == "flagged"

    def to_dict(self) -> dict[str, Any]:
        """The ``audit`` object of the audit record."""
        return {"status": self.status, "severity": self.severity, "verdicts": self.verdicts}


class InputError(ValueError):
    """Text or a declared header that cannot be scored or audited (a one-line reason)."""


def story_from_text(
    text: str,
    *,
    id: str | None = None,
    declared: dict[str, Any] | None = None,
    taxonomy: Any = None,
) -> Story:
    """A story from its text (a header at the top is parsed off), ready to score or audit.

    ``declared`` overrides what the header declares: ``rating`` (a rating as an author writes
    it on any known scale, e.g. ``"M"`` or ``"Explicit"``; None for no rating) and/or
    ``warnings`` (terms as written, e.g. ``["Graphic Depictions Of Violence"]``, or warning
    ids; ``[]`` means explicitly none, None nothing declared). A key left out keeps the header's.
    Raises :class:`InputError` for an empty story text or a rating that names no level.
    """
    from classifier.labels import DeclaredWarnings, load_taxonomy, split_terms

    tax = taxonomy if taxonomy is not None else load_taxonomy()
    story = _as_story(text, tax)
    if not story.body.strip():
        raise InputError("text: no story text" + (" (only a header)" if story.declared.raw else ""))
    if id is not None:
        story.id = id
    if declared:
        if "rating" in declared:
            raw = declared["rating"]
            story.declared.rating = None if raw is None else tax.parse_rating(str(raw))
            if raw is not None and story.declared.rating is None:
                raise InputError(f"declared.rating: {str(raw)[:60]!r} is not a rating on any known scale")
        if "warnings" in declared:
            terms = declared["warnings"]
            if terms is None:
                story.declared.warnings = DeclaredWarnings()
            else:
                listed = split_terms(terms) if isinstance(terms, str) else [str(t) for t in terms]
                ids = [t for t in listed if t in tax.warning_ids]
                parsed = tax.parse_warnings([t for t in listed if t not in ids])
                parsed.raw = listed
                parsed.canonical = [w for w in tax.warning_ids if w in ids or w in parsed.canonical]
                if parsed.canonical:
                    parsed.status = "declared"
                elif not listed:
                    parsed.status = "none"
                story.declared.warnings = parsed
    return story


def _as_story(item: str | Story, taxonomy: Any = None) -> Story:
    if isinstance(item, Story):
        return item
    if not isinstance(item, str):
        raise TypeError(f"expected story text (str) or a Story, got {type(item).__name__}")
    from classifier.readers import ReadOptions, read_text

    # Headers are parsed off exactly as `ficrate headers` would: they never count as story text.
    return read_text(item, options=ReadOptions(taxonomy=taxonomy))


_POOL_MODEL: Any = None


def _init(model: Any) -> None:
    global _POOL_MODEL
    _POOL_MODEL = model


def _score_bodies(bodies: list[str], explain: int) -> list[Prediction]:
    return list(_POOL_MODEL.predict(bodies, explain=explain))


class Model:
    """A loaded ficrate model (see :func:`load_model`).

    Attributes
    ----------
    card : dict
        The model card (data, protocol figures, thresholds, versions, command).
    thresholds : dict
        Warning id → probability threshold.
    audit_defaults : dict
        The audit's default confidences, chosen on held-out works.
    """

    def __init__(self, scorer: Any, card: dict[str, Any], path: Path | None = None) -> None:
        self.scorer = scorer
        self.card = card
        self.path = path
        self.thresholds: dict[str, float] = dict(scorer.thresholds)
        self.audit_defaults: dict[str, Any] = dict(scorer.audit_defaults)
        self.warning_ids: tuple[str, ...] = tuple(scorer.warning_ids)

    def __repr__(self) -> str:
        return f"Model({self.card.get('name')!r}, created {self.card.get('created')})"

    def score(self, story: str | Story, *, explain: int = 3) -> Prediction:
        """What one story's text calls for.

        Parameters
        ----------
        story : str or Story
            Story text (a header at the top is parsed off and not scored) or a :class:`Story`.
        explain : int
            Evidence passages per predicted label.

        Returns
        -------
        Prediction
        """
        return self.scorer.predict([_as_story(story).body], explain=explain)[0]

    def score_many(
        self, stories: Iterable[str | Story], *, jobs: int = 1, explain: int = 3, batch: int = 32
    ) -> Iterator[Prediction]:
        """Predictions for many stories, streamed in input order (``jobs`` processes)."""

        def batches() -> Iterator[list[str]]:
            chunk: list[str] = []
            for s in stories:
                chunk.append(_as_story(s).body)
                if len(chunk) >= batch:
                    yield chunk
                    chunk = []
            if chunk:
                yield chunk

        if jobs <= 1:
            for chunk in batches():
                yield from self.scorer.predict(chunk, explain=explain)
            return
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor  # here: it costs start-up to every import

        ctx = mp.get_context("fork") if "fork" in mp.get_all_start_methods() else mp.get_context()
        with ProcessPoolExecutor(max_workers=jobs, mp_context=ctx, initializer=_init, initargs=(self.scorer,)) as pool:
            pending: list[Any] = []
            for chunk in batches():
                pending.append(pool.submit(_score_bodies, chunk, explain))
                while len(pending) > 2 * jobs:
                    yield from pending.pop(0).result()
            for fut in pending:
                yield from fut.result()

    def score_records(self, stories: list[Story], *, explain: int = 3) -> list[dict[str, Any]]:
        """The score records (as ``ficrate score -f jsonl`` writes them) of ``stories``, scored together."""
        from classifier.modeling.predict import score_record

        preds = self.scorer.predict([s.body for s in stories], explain=explain)
        return [score_record(s, p.to_dict()) for s, p in zip(stories, preds, strict=True)]

    def audit_records(self, stories: list[Story], *, policy: Any = None, explain: int = 3) -> list[dict[str, Any]]:
        """The audit records (as ``ficrate audit -f jsonl`` writes them) of ``stories``.

        ``policy`` is an :class:`classifier.audit.AuditPolicy` (default: the model's validated defaults).
        """
        from classifier.audit import AuditPolicy, audit_story

        policy = policy if policy is not None else AuditPolicy.for_model(self.audit_defaults)
        records = self.score_records(stories, explain=explain)
        for story, rec in zip(stories, records, strict=True):
            rec["audit"] = audit_story(story, rec["prediction"], self.thresholds, policy)
        return records

    def audit(
        self,
        story: str | Story,
        *,
        min_confidence: float | None = None,
        fail_on: str | tuple[str, ...] = "under-rated,missing-warning",
        explain: int = 3,
    ) -> AuditResult:
        """Compare what a story declares (its header, parsed as ``ficrate headers`` does) with its text.

        ``min_confidence`` defaults to the model's validated default (see ``audit_defaults``).
        """
        from classifier.audit import AuditPolicy, parse_fail_on

        kinds = parse_fail_on(fail_on) if isinstance(fail_on, str) else tuple(fail_on)
        policy = AuditPolicy.for_model(self.audit_defaults, min_confidence, fail_on=kinds)
        out = self.audit_records([_as_story(story)], policy=policy, explain=explain)[0]["audit"]
        return AuditResult(out["status"], out["severity"], out["verdicts"])


def load_model(path: str | Path | None = None) -> Model:
    """Load a model directory (the shipped default model when ``path`` is None).

    Loading reads arrays and JSON only (no code runs); a damaged or malformed model raises
    :class:`classifier.modeling.persist.ModelError` with a one-line reason.
    """
    from classifier.modeling.persist import load_model as _load

    scorer, card = _load(path)
    return Model(scorer, card, Path(path) if path is not None else None)


def read(paths: str | Path | Iterable[str | Path], **options: Any) -> Iterator[Story]:
    """Stories from files, directories, globs or tables (as ``ficrate headers`` reads them).

    Unreadable inputs raise :class:`classifier.readers.ReadError` when reached; keyword options
    are :class:`classifier.readers.ReadOptions` fields (``input_format``, ``max_size``, ...).
    """
    from classifier.readers import ReadError, ReadOptions, iter_stories

    items = [str(paths)] if isinstance(paths, str | Path) else [str(p) for p in paths]
    for item in iter_stories(items, ReadOptions(**options)):
        if isinstance(item, ReadError):
            raise item
        yield item
