"""The shipped default model: clear-cut passages, the examples, and what the artifact holds."""

import gzip
import json
from pathlib import Path

import pytest

from tests import clear_cut
from tests.conftest import REPO

DEFAULT = REPO / "models" / "ficrate-default"


@pytest.fixture(scope="module")
def default_model():
    if not (DEFAULT / "model_card.json").exists():
        pytest.skip("no default model in models/")
    from classifier.modeling.persist import load_model

    return load_model(DEFAULT)


def test_default_model_is_small_and_carded(default_model):
    _model, card = default_model
    assert (DEFAULT / "model.joblib").stat().st_size <= 25 * 1024 * 1024
    for key in ("created", "versions", "git_commit", "command", "data", "metrics", "thresholds", "lexicons", "sources"):
        assert key in card, key
    assert card["command"].startswith("ficrate train ")
    assert (DEFAULT / "MODEL_CARD.md").exists()


@pytest.mark.parametrize(
    ("name", "warning", "min_rating"),
    [
        ("PROFANITY", "strong_language", "teen"),
        ("BATTLE", "violence", "mature"),
        ("FUNERAL", "major_character_death", "general"),
        ("CUTTING", "self_harm", "teen"),
        ("PARTY", "substance_use", "teen"),
        ("SEX", "sexual_content", "explicit"),
    ],
)
def test_clear_cut_passages(default_model, name, warning, min_rating):
    from classifier.labels import RATING_LEVELS

    model, _ = default_model
    (p,) = model.predict([getattr(clear_cut, name)])
    assert warning in p.warnings, (name, p.warning_probs)
    assert RATING_LEVELS.index(p.rating) >= RATING_LEVELS.index(min_rating), (name, p.rating_probs)
    assert p.evidence[warning], name


def test_bakery_morning_is_general_without_warnings(default_model):
    model, _ = default_model
    (p,) = model.predict([clear_cut.BAKERY])
    assert p.rating == "general", p.rating_probs
    assert p.warnings == [], p.warning_probs


def test_one_explicit_scene_makes_a_gentle_story_explicit(default_model):
    model, _ = default_model
    gentle = "\n\n".join([clear_cut.BAKERY] * 12)
    (quiet,) = model.predict([gentle])
    (scene,) = model.predict([gentle + "\n\n" + clear_cut.SEX + "\n\n" + gentle])
    assert quiet.rating == "general"
    assert scene.rating == "explicit"
    top = scene.evidence["rating"][0]
    assert "naked" in scene_text_span(gentle + "\n\n" + clear_cut.SEX + "\n\n" + gentle, top)


def scene_text_span(text, ev):
    return text[ev.start : ev.end]


def test_model_holds_no_training_text(shared_data):
    """No AO3 summary of 60+ characters appears in the (decompressed) artifact."""
    import joblib

    if not (DEFAULT / "model.joblib").exists():
        pytest.skip("no default model")
    model = joblib.load(DEFAULT / "model.joblib")
    import pickle

    blob = pickle.dumps(model)
    hits = 0
    with gzip.open(shared_data / "ao3_summaries.jsonl.gz", "rt", encoding="utf-8") as fh:
        for k, line in enumerate(fh):
            summary = json.loads(line)["summary"]
            if len(summary) >= 60 and summary[:60].encode("utf-8") in blob:
                hits += 1
            if k > 3000:
                break
    assert hits == 0


def test_readme_names_the_default_training_command():
    readme = Path(REPO / "README.md").read_text()
    assert "ficrate train ../shared/data --out models/ficrate-default" in readme
