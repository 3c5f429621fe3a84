"""ficrate: content rating and content warnings for fan fiction.

The import package is ``classifier``; the distribution and console script are ``ficrate``.

>>> import classifier
>>> model = classifier.load_model()
>>> model.score(open("story.txt").read()).rating

Names are resolved lazily (PEP 562) so that ``import classifier`` and ``ficrate --help`` stay instant.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.2.0"

__all__ = ["AuditResult", "Model", "Prediction", "Story", "__version__", "load_model", "read"]

_WHERE = {
    "AuditResult": "classifier.api",
    "Model": "classifier.api",
    "load_model": "classifier.api",
    "read": "classifier.api",
    "Prediction": "classifier.modeling.prediction",
    "Story": "classifier.story",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        import importlib

        value = getattr(importlib.import_module(_WHERE[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'classifier' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
