"""The library face: import classifier, load a model, score and audit strings and Story records."""

import subprocess
import sys

import pytest

import classifier
from tests import clear_cut
from tests.conftest import REPO

DEFAULT = REPO / "models" / "ficrate-default"


@pytest.fixture(scope="module")
def model():
    if not (DEFAULT / "model_card.json").exists():
        pytest.skip("no default model in models/")
    return classifier.load_model()


def test_public_names():
    assert set(classifier.__all__) >= {"load_model", "Model", "Prediction", "Story", "AuditResult", "read"}
    for name in classifier.__all__:
        assert getattr(classifier, name) is not None
    with pytest.raises(AttributeError):
        classifier.nope  # noqa: B018


def test_import_is_light_and_scoring_imports_no_sklearn():
    code = (
        "import sys, classifier; assert 'numpy' not in sys.modules, 'import pulled numpy';"
        "m = classifier.load_model(); m.score('The kettle hummed. ' * 40);"
        "bad = [k for k in ('sklearn', 'scipy', 'pandas', 'joblib') if k in sys.modules]; assert not bad, bad;"
        # plain prose with no front matter needs neither the YAML nor the HTML parser
        "bad = [k for k in ('yaml', 'bs4', 'classifier.readers.html') if k in sys.modules]; assert not bad, bad"
    )
    if not (DEFAULT / "model_card.json").exists():
        pytest.skip("no default model")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO)


def test_score_returns_a_prediction_and_strips_the_header(model):
    text = "Rating: Explicit\nWarnings: none\n\n" + clear_cut.BAKERY
    p = model.score(text)
    assert isinstance(p, classifier.Prediction)
    assert p.rating == "general" and p.warnings == []
    assert abs(sum(p.rating_probs.values()) - 1) < 1e-9
    assert set(p.warning_probs) == set(p.thresholds)
    assert p.to_dict()["rating"] == "general"
    # the header is not story text: scoring the body alone gives the same prediction
    assert model.score(clear_cut.BAKERY).to_dict() == p.to_dict()


def test_evidence_has_offsets_scores_snippets_and_labels(model):
    p = model.score(clear_cut.BATTLE)
    assert "violence" in p.warnings
    ev = p.evidence["violence"][0]
    assert ev.label == "violence" and 0 <= ev.start < ev.end and ev.snippet and 0 <= ev.score <= 1


def test_score_many_streams_in_order_and_parallel_matches(model):
    texts = [clear_cut.BAKERY, clear_cut.SEX, clear_cut.BATTLE, clear_cut.PROFANITY] * 3
    serial = [p.to_dict() for p in model.score_many(texts, batch=5)]
    parallel = [p.to_dict() for p in model.score_many(iter(texts), jobs=2, batch=2)]
    assert serial == parallel == [model.score(t).to_dict() for t in texts]


def test_audit_parses_the_header_and_flags(model):
    honest = model.audit("Rating: General Audiences\nWarnings: No Archive Warnings Apply\n\n" + clear_cut.BAKERY)
    assert isinstance(honest, classifier.AuditResult) and honest.status == "ok" and not honest.flagged
    wrong = model.audit("Rating: General Audiences\nWarnings: No Archive Warnings Apply\n\n" + clear_cut.SEX * 3)
    assert wrong.status == "flagged"
    assert wrong.verdicts[0]["kind"] == "under-rated"
    assert wrong.to_dict()["status"] == "flagged"
    assert model.audit("Rating: G\n\n" + clear_cut.SEX * 3, fail_on="none").status == "ok"


def test_score_rejects_other_types(model):
    with pytest.raises(TypeError, match="str"):
        model.score(42)


def test_read_yields_stories_and_raises_read_errors(tmp_path):
    (tmp_path / "a.txt").write_text("Rating: T\n\nA short story about a storm.\n")
    (stories,) = [list(classifier.read(tmp_path))]
    assert len(stories) == 1 and isinstance(stories[0], classifier.Story)
    assert stories[0].declared.rating.canonical == "teen"
    from classifier.readers import ReadError

    with pytest.raises(ReadError):
        list(classifier.read(tmp_path / "missing.txt"))
