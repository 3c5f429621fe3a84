"""Review: a taxonomy file of the wrong shape is one line naming it, never an internal error."""

from __future__ import annotations

import copy
import json

import pytest

from classifier.labels import TaxonomyError, load_taxonomy
from tests.conftest import REPO

DEFAULT = json.loads((REPO / "classifier" / "data" / "taxonomy.json").read_text(encoding="utf-8"))


def _scales_list(t):
    t["ratings"]["scales"] = []


def _patterns_int(t):
    t["warnings"][0]["patterns"] = 5


def _display_list(t):
    t["warnings"][0]["display"] = ["ao3"]


@pytest.mark.parametrize("damage", [_scales_list, _patterns_int, _display_list])
def test_wrongly_shaped_taxonomy_is_a_taxonomy_error(tmp_path, damage):
    data = copy.deepcopy(DEFAULT)
    damage(data)
    path = tmp_path / "tax.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(TaxonomyError) as info:
        load_taxonomy(path)
    message = str(info.value)
    assert message.startswith(f"{path}: malformed field") and "\n" not in message
