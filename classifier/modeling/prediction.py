"""What a model says about one story: the objects that travel to the audit and output layers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Evidence:
    """A passage supporting a predicted label: character offsets into the body, its score, the
    sentence(s) in it that carry the label (``quote_start``/``quote_end``, the ``snippet``), and the
    lexicon words and phrases counted there that the quote holds (``marks`` in body offsets,
    ``snippet_marks`` the same in ``snippet``), as ``(start, end)`` pairs."""

    start: int
    end: int
    score: float
    snippet: str
    label: str = "rating"
    quote_start: int | None = None
    quote_end: int | None = None
    marks: tuple[tuple[int, int], ...] = ()
    snippet_marks: tuple[tuple[int, int], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON form (the label is the key it is listed under); an unnarrowed quote is the passage."""
        return {
            "start": self.start,
            "end": self.end,
            "score": round(self.score, 4),
            "snippet": self.snippet,
            "quote_start": self.start if self.quote_start is None else self.quote_start,
            "quote_end": self.end if self.quote_end is None else self.quote_end,
            "marks": [[a, b] for a, b in self.marks],
            "snippet_marks": [[a, b] for a, b in self.snippet_marks],
        }


@dataclass
class Prediction:
    """What the text of one story calls for.

    Attributes
    ----------
    rating : str
        The median level of ``rating_probs`` (the highest level with P(>= level) >= 0.5).
    rating_probs : dict
        Level → probability, in ``general < teen < mature < explicit`` order.
    warnings : list of str
        Warning ids whose probability reaches the model's threshold.
    warning_probs : dict
        Warning id → probability.
    thresholds : dict
        Warning id → the threshold the model uses.
    evidence : dict
        ``"rating"`` and each predicted warning → the passages that carry it.
    passages : int
        Number of passages the body was split into.
    """

    rating: str
    rating_probs: dict[str, float]
    warnings: list[str]
    warning_probs: dict[str, float]
    evidence: dict[str, list[Evidence]] = field(default_factory=dict)
    passages: int = 0
    thresholds: dict[str, float] = field(default_factory=dict)

    def p_above(self, level: str) -> float:
        """P(the text calls for a rating above ``level``)."""
        names = list(self.rating_probs)
        k = names.index(level)
        return float(sum(self.rating_probs[n] for n in names[k + 1 :]))

    def to_dict(self) -> dict[str, Any]:
        """The ``prediction`` object of the score record."""
        return {
            "rating": self.rating,
            "rating_probs": {k: round(v, 4) for k, v in self.rating_probs.items()},
            "warnings": list(self.warnings),
            "warning_probs": {k: round(v, 4) for k, v in self.warning_probs.items()},
            "evidence": {k: [e.to_dict() for e in v] for k, v in self.evidence.items()},
            "passages": self.passages,
        }
