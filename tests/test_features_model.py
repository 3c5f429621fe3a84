"""Feature pipeline, estimator contracts, the story model, persistence and its refusals."""

import json
import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.utils.estimator_checks import parametrize_with_checks

from classifier.features import LexiconFeatures, split_passages
from classifier.labels import load_taxonomy
from classifier.modeling.model import StoryModel, pool_scores, snippet
from classifier.modeling.ordinal import OrdinalCumulativeClassifier
from classifier.modeling.persist import ModelError, load_model, save_model
from tests.corpus import make_corpus


@parametrize_with_checks([OrdinalCumulativeClassifier()])
def test_ordinal_classifier_follows_sklearn_contract(estimator, check):
    check(estimator)


def test_ordinal_probabilities_are_monotone_and_sum_to_one():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    y = np.digitize(X[:, 0], [-0.5, 0.3, 1.0])
    m = OrdinalCumulativeClassifier().fit(X, y)
    cum = m.cumulative_proba(X)
    assert np.all(np.diff(cum, axis=1) <= 1e-12)
    assert np.allclose(m.predict_proba(X).sum(axis=1), 1.0)
    assert (m.predict(X) == y).mean() > 0.7
    assert set(m.predict_median(X)) <= set(m.classes_)


def test_split_passages_cover_paragraphs_and_respect_sizes():
    para = " ".join(["word"] * 120)
    text = "\n\n".join([para] * 7)
    spans = split_passages(text, target_words=300, max_words=500)
    assert spans[0][0] == 0 and spans[-1][1] == len(text)
    sizes = [len(text[a:b].split()) for a, b in spans]
    assert all(200 <= s <= 500 for s in sizes), sizes
    assert sum(sizes) == 840


def test_split_passages_long_single_line_and_empty():
    text = " ".join(f"w{i}" for i in range(1000))
    spans = split_passages(text, 300, 500)
    assert [len(text[a:b].split()) for a, b in spans] == [300, 300, 300, 100]
    assert split_passages("", 300, 500) == []
    assert split_passages("   \n\n  ", 300, 500) == []


def test_lexicon_features_contract():
    lf = LexiconFeatures()
    assert clone(lf).get_params() == {"per": 1000.0, "use_better_profanity": True}
    with pytest.raises(NotFittedError):
        lf.transform(["x"])
    assert lf.fit(["x"]) is lf
    X = lf.transform(["What the fuck, you bastard.", "The kettle hummed.", ""])
    assert X.shape == (3, lf.n_features_out_) and X.dtype == np.float32
    names = list(lf.get_feature_names_out())
    sev = names.index("lex_profanity_severe")
    assert (X[0, sev] > 0 and X[1, sev] == 0 and not X[2].any()) or X[2, sev] == 0
    again = pickle.loads(pickle.dumps(lf)).transform(["What the fuck, you bastard."])
    assert np.array_equal(again[0], X[0])
    with pytest.raises(ValueError, match="iterable of strings"):
        lf.transform("a single string")


def test_pool_scores_keeps_the_maximum():
    gentle = np.full((30, 2), 0.02)
    one_scene = gentle.copy()
    one_scene[7, 1] = 0.97
    a, b = pool_scores(gentle), pool_scores(one_scene)
    assert b[1] > a[1] + 3  # logit of the max jumps for the head with one strong passage
    assert a[-1] == b[-1] == np.log1p(30)


def test_snippet_is_short():
    s = snippet("word " * 500, 0, 2500)
    assert len(s) <= 200 and s.endswith("…")


@pytest.fixture(scope="module")
def tiny_model():
    texts, Y, groups = make_corpus()
    ids = load_taxonomy().warning_ids
    model = StoryModel(warning_ids=ids, n_features=2**12).fit(texts, Y, groups=groups, folds=2, n_bags=200)
    return model


def test_story_model_predicts_with_evidence(tiny_model):
    text = "The cat slept.\n\n" + "He drove the knife into the guard's chest and blood poured over the stones. " * 40
    (p,) = tiny_model.predict([text], explain=2)
    assert abs(sum(p.rating_probs.values()) - 1) < 1e-6
    assert p.rating in ("general", "teen", "mature", "explicit")
    assert set(p.warning_probs) == set(tiny_model.warning_ids)
    assert "rating" in p.evidence
    for label, evs in p.evidence.items():
        assert 1 <= len(evs) <= 2, label
        for e in evs:
            assert 0 <= e.start < e.end <= len(text)
            assert len(e.snippet) <= 200
            assert e.snippet.lstrip("…").split()[0] in text[e.start : e.end]
    assert p.to_dict()["rating"] == p.rating


def test_story_model_empty_and_batch(tiny_model):
    assert tiny_model.predict([]) == []
    preds = tiny_model.predict(["", "The cat slept.", "Fuck off, you bastard. " * 50])
    assert len(preds) == 3
    assert preds[2].warning_probs["strong_language"] > preds[1].warning_probs["strong_language"]


def test_training_is_deterministic():
    texts, Y, groups = make_corpus(n=30)
    ids = load_taxonomy().warning_ids
    a = StoryModel(warning_ids=ids, n_features=2**10).fit(texts, Y, groups=groups, folds=2, n_bags=50)
    b = StoryModel(warning_ids=ids, n_features=2**10).fit(texts, Y, groups=groups, folds=2, n_bags=50)
    assert np.array_equal(a.heads_.coef_, b.heads_.coef_)
    assert a.thresholds_ == b.thresholds_
    assert [p.to_dict() for p in a.predict(texts[:5])] == [p.to_dict() for p in b.predict(texts[:5])]


def test_save_load_roundtrip_and_refusals(tiny_model, tmp_path):
    from classifier.modeling.persist import library_versions

    card = {"name": "tiny", "versions": library_versions(), "command": "test"}
    out = save_model(tiny_model, tmp_path / "m", card)
    model, loaded_card = load_model(out)
    text = "He drove the knife into the guard's chest. " * 30
    assert model.predict([text])[0].to_dict() == tiny_model.predict([text])[0].to_dict()
    assert loaded_card["artifact"]["sha256"]
    assert (out / "MODEL_CARD.md").read_text().startswith("# Model card: tiny")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m"]  # no temporary directories left

    with pytest.raises(ModelError, match="already exists"):
        save_model(tiny_model, out, card)
    save_model(tiny_model, out, card, force=True)

    with pytest.raises(ModelError, match="no such model directory"):
        load_model(tmp_path / "nope")
    with pytest.raises(ModelError, match="not a single file"):
        load_model(out / "model.joblib")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelError, match="not a ficrate model"):
        load_model(tmp_path / "empty")

    tampered = tmp_path / "tampered"
    save_model(tiny_model, tampered, card)
    with open(tampered / "model.joblib", "ab") as fh:
        fh.write(b"\0")
    with pytest.raises(ModelError, match="hash does not match"):
        load_model(tampered)

    old = tmp_path / "old"
    save_model(tiny_model, old, {**card, "versions": {**card["versions"], "scikit-learn": "0.24.2"}})
    with pytest.raises(ModelError, match=r"scikit-learn 0\.24\.2.*install scikit-learn==0\.24\.2 or retrain"):
        load_model(old)

    fake = tmp_path / "fake"
    fake.mkdir()
    (fake / "model_card.json").write_text(json.dumps({"format": "something-else"}))
    with pytest.raises(ModelError, match="not a ficrate model"):
        load_model(fake)


@pytest.mark.parametrize(
    "estimator",
    [
        LexiconFeatures(),
        __import__("classifier.modeling.model", fromlist=["PassageFeaturizer"]).PassageFeaturizer(n_features=2**10),
        __import__("classifier.modeling.model", fromlist=["LinearHeads"]).LinearHeads(alpha=1e-4),
        StoryModel(warning_ids=("violence",), n_features=2**10),
        OrdinalCumulativeClassifier(),
    ],
    ids=lambda e: type(e).__name__,
)
def test_custom_estimators_follow_the_sklearn_contract(estimator):
    """Text-input estimators cannot run sklearn's numeric checks; these are the contract's core."""
    import inspect

    from sklearn.utils.validation import check_is_fitted

    params = estimator.get_params()
    init_args = [p for p in inspect.signature(type(estimator).__init__).parameters if p != "self"]
    assert sorted(params) == sorted(init_args)  # __init__ stores its params and nothing else
    twin = clone(estimator)
    assert twin.get_params() == params
    assert twin.set_params(**params) is twin
    assert not [a for a in vars(estimator) if a.endswith("_") and not a.startswith("_")]
    with pytest.raises(NotFittedError):
        check_is_fitted(estimator)
