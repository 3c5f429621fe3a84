"""The published JSON Schemas of the score and audit records (``ficrate schema score|audit``).

The schemas are data files in the package (``classifier/data/score_record.schema.json`` and
``audit.schema.json``, the parts the audit record adds); :func:`record_schema` returns each
record's schema whole and self-contained. The tests validate real ``score``/``audit -f jsonl``
output and the server's responses against them, so a change to a record shows up there.
"""

from __future__ import annotations

import copy
import json
from functools import lru_cache
from importlib import resources
from typing import Any

#: Records with a published schema.
RECORDS: tuple[str, ...] = ("score", "audit")


@lru_cache(maxsize=4)
def _load(name: str) -> dict[str, Any]:
    text = resources.files("classifier").joinpath(f"data/{name}").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def record_schema(record: str) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of the ``score`` or ``audit`` record (a fresh copy)."""
    if record not in RECORDS:
        raise ValueError(f"unknown record {record!r} (choose from {', '.join(RECORDS)})")
    schema = copy.deepcopy(_load("score_record.schema.json"))
    if record == "score":
        return schema
    extra = copy.deepcopy(_load("audit.schema.json"))
    out: dict[str, Any] = {
        "$schema": schema["$schema"],
        "$id": extra["$id"],
        "title": extra["title"],
        "description": extra["description"],
    }
    out.update({k: v for k, v in schema.items() if k not in out})
    out["properties"] = {**schema["properties"], **extra["properties"]}
    out["required"] = [*schema["required"], *extra["required"]]
    out["$defs"] = {**schema["$defs"], **extra["$defs"]}
    return out


def schema_text(record: str) -> str:
    """The schema as indented JSON text, as ``ficrate schema`` prints it."""
    return json.dumps(record_schema(record), indent=2, ensure_ascii=False)
