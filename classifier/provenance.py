"""Which run wrote a results file: the command, the options that change records, the model.

``score`` and ``audit`` start a JSONL file given with ``-o`` with one metadata record,
``{"ficrate_run": {...}}`` (never on stdout, whose bytes stay the records alone); a CSV file gets
the same object in a file beside it, ``NAME.run.json``. ``--resume`` compares it with the run
that would append and refuses a mismatch, saying what differs. Readers of the output skip
the metadata record (it has no story in it).
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

#: The one key of the metadata record.
METADATA_KEY = "ficrate_run"


def model_identity(card: dict[str, Any] | None) -> dict[str, Any] | None:
    """Name, creation date and a content hash (of the artifacts' hashes in the card) of a model."""
    if not card:
        return None
    artifacts = card.get("artifacts") or {}
    digest = hashlib.sha256()
    for name in sorted(artifacts):
        entry = artifacts[name]
        digest.update(f"{name}={entry.get('sha256') if isinstance(entry, dict) else entry}\n".encode())
    return {"name": card.get("name"), "created": card.get("created"), "sha256": digest.hexdigest()[:16]}


def run_metadata(command: str, fmt: str, card: dict[str, Any] | None, options: dict[str, Any]) -> dict[str, Any]:
    """The metadata record of a run: ``options`` maps option flags to the values that shape records."""
    from classifier import __version__

    return {
        METADATA_KEY: {
            "command": command,
            "format": fmt,
            "model": model_identity(card),
            "options": options,
            "ficrate": __version__,
        }
    }


def is_metadata(rec: Any) -> bool:
    """True for a metadata record (a dict whose only key is :data:`METADATA_KEY`)."""
    return isinstance(rec, dict) and len(rec) == 1 and isinstance(rec.get(METADATA_KEY), dict)


def sidecar(output: Path) -> Path:
    """Where a CSV results file's metadata is kept."""
    return output.with_name(output.name + ".run.json")


def difference(old: dict[str, Any], new: dict[str, Any]) -> str | None:
    """What differs between the metadata of the run that wrote a file and of this one (None: nothing
    that changes records; the ficrate version may differ, records keep their schema)."""
    a, b = _dict(old.get(METADATA_KEY)), _dict(new.get(METADATA_KEY))
    parts = []
    if a.get("command") != b.get("command"):
        return f"written by `ficrate {a.get('command')}`, this is `ficrate {b.get('command')}`"
    if a.get("format") != b.get("format"):
        parts.append(f"format {a.get('format')} there, {b.get('format')} here")
    ma, mb = _dict(a.get("model")), _dict(b.get("model"))
    if ma.get("sha256") != mb.get("sha256"):
        parts.append(f"model {_model(ma)} there, {_model(mb)} here")
    oa, ob = _dict(a.get("options")), _dict(b.get("options"))
    for key in sorted(set(oa) | set(ob), key=lambda k: (k not in ob, k)):
        if oa.get(key) != ob.get(key):
            parts.append(f"{key} {_value(oa.get(key))} there, {_value(ob.get(key))} here")
    return "; ".join(parts) or None


def _dict(value: Any) -> dict[str, Any]:
    # A hand-edited or damaged file may hold anything where an object belongs: it then differs.
    return value if isinstance(value, dict) else {}


def _model(identity: dict[str, Any]) -> str:
    return f"{identity.get('name') or '?'} ({identity.get('sha256') or 'no hash'})" if identity else "none"


def _value(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} {v}" for k, v in value.items()) + "}"
    return "unset" if value is None else str(value)
