"""Features, the estimator contract, the story model (trained, exported, scored) and safe persistence."""

import json
import pickle

import numpy as np
import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from classifier.features import load_lexicon, passage_counts, split_passages, story_feature_names, story_features
from classifier.labels import load_taxonomy
from classifier.modeling.evidence import snippet
from classifier.modeling.ordinal import OrdinalCumulativeClassifier, SharedSlopeOrdinalClassifier
from classifier.modeling.persist import ModelError, load_model, save_model
from classifier.modeling.scorer import StoryScorer
from classifier.modeling.train import train_story_model
from classifier.modeling.weights import WEIGHTS_FILE, WeightsError
from tests.corpus import make_corpus


@parametrize_with_checks([OrdinalCumulativeClassifier(), SharedSlopeOrdinalClassifier()])
def test_ordinal_classifier_follows_sklearn_contract(estimator, check):
    check(estimator)


def test_shared_slope_keeps_flagged_weights_non_negative():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 3))
    # The level falls with feature 1: free, its weight is negative; flagged, it stays at 0.
    y = np.digitize(X[:, 0] - X[:, 1] + 0.3 * rng.normal(size=400), [-0.5, 0.3, 1.0])
    free = SharedSlopeOrdinalClassifier().fit(X, y)
    assert free.coef_[0, 1] < -0.5
    bound = SharedSlopeOrdinalClassifier(positive=[False, True, False]).fit(X, y)
    assert bound.coef_[0, 1] == pytest.approx(0.0, abs=1e-8)
    assert bound.coef_[0, 0] > 0.5 and (bound.coef_[0] == bound.coef_[1]).all()
    assert bound.get_params()["positive"] == [False, True, False]
    with pytest.raises(ValueError, match=r"shape \(2,\); one flag per feature needs \(3,\)"):
        SharedSlopeOrdinalClassifier(positive=[True, False]).fit(X, y)
    with pytest.raises(ValueError, match="must be booleans"):
        SharedSlopeOrdinalClassifier(positive=["False", "True", "False"]).fit(X, y)


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


def test_ordinal_censored_rows_only_inform_the_thresholds_they_decide():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(300, 2))
    y = np.digitize(X[:, 0], [-0.5, 0.3, 1.0])
    upper = np.where(y == 2, 3.0, np.nan)  # "2 or 3", as FanFiction.Net's M
    a = OrdinalCumulativeClassifier().fit(X, y, y_upper=upper)
    keep = y != 2
    b_last = OrdinalCumulativeClassifier().fit(X[keep], y[keep])
    # The top threshold never saw the censored rows; the lower ones did.
    assert np.allclose(a.estimators_[2].coef_, b_last.estimators_[-1].coef_)  # b has classes 0, 1, 3
    assert not np.allclose(a.estimators_[0].coef_, b_last.estimators_[0].coef_)


def _ordinal_data(n=400, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    y = np.digitize(X[:, 0] - 0.5 * X[:, 1] + 0.3 * rng.normal(size=n), [-0.8, 0.2, 1.0])
    return X, y


def test_shared_slope_ordinal_learns_one_direction_and_cut_points():
    X, y = _ordinal_data()
    m = SharedSlopeOrdinalClassifier(C=10.0).fit(X, y)
    assert m.coef_.shape == (3, 3) and np.allclose(m.coef_, m.coef_[0])  # one direction for all levels
    assert np.all(np.diff(m.intercept_) < 0)  # a higher level needs more evidence
    direction = m.coef_[0] / np.linalg.norm(m.coef_[0])
    assert direction[0] > 0.8 and direction[1] < -0.3 and abs(direction[2]) < 0.15
    assert (m.predict(X) == y).mean() > 0.7
    assert np.allclose(m.predict_proba(X).sum(axis=1), 1.0)
    # stronger regularisation shrinks the weights, never the cut points' order
    small = SharedSlopeOrdinalClassifier(C=0.01).fit(X, y)
    assert np.linalg.norm(small.coef_[0]) < np.linalg.norm(m.coef_[0])
    with pytest.raises(ValueError, match="C must be positive"):
        SharedSlopeOrdinalClassifier(C=0).fit(X, y)


def _written_out_loss(theta, X, y, w, upper, C):
    """The all-threshold loss written out independently: weights, censoring and all."""
    coef, cuts = theta[: X.shape[1]], theta[X.shape[1] :]
    total = 0.5 / C * coef @ coef
    top = np.where(np.isnan(upper), y, upper)
    for k in range(1, len(cuts) + 1):
        use = (y >= k) | (top < k)  # a censored row decides only the thresholds outside its interval
        t = (y[use] >= k).astype(float)
        z = X[use] @ coef + cuts[k - 1]
        total += np.sum(w[use] * (np.logaddexp(0, z) - t * z))
    return total


def _numeric_grad(f, x, h=1e-6):
    return np.array([(f(x + h * e) - f(x - h * e)) / (2 * h) for e in np.eye(len(x))])


def test_shared_slope_ordinal_fits_the_optimum_of_its_loss_with_weights_and_censoring():
    from classifier.modeling.ordinal import all_threshold_loss

    X, y = _ordinal_data(150, seed=3)
    w = np.random.default_rng(4).uniform(0.5, 2.0, size=len(y))
    upper = np.where(y == 2, 3.0, np.nan)  # "2 or 3", as FanFiction.Net's M
    m = SharedSlopeOrdinalClassifier(C=0.5).fit(X, y, sample_weight=w, y_upper=upper)
    best = np.concatenate([m.coef_[0], m.intercept_])

    def f(th):
        return _written_out_loss(th, X, y, w, upper, 0.5)

    # the fit sits at the minimum of the written-out loss: its gradient vanishes there
    assert np.abs(_numeric_grad(f, best)).max() < 1e-4 * w.sum()
    rng = np.random.default_rng(0)
    assert all(f(best) < f(best + rng.normal(scale=0.05, size=best.size)) for _ in range(20))
    # the estimator's own loss and gradient agree with it anywhere, not only at the optimum
    top = np.where(np.isnan(upper), y, upper)
    rows = [np.flatnonzero((y >= k) | (top < k)) for k in (1, 2, 3)]
    targets = [(y[r] >= k).astype(float) for k, r in zip((1, 2, 3), rows, strict=True)]
    for theta in (best, rng.normal(size=best.size)):
        loss, grad = all_threshold_loss(theta, X, rows, targets, w, 2.0)
        assert np.isclose(loss, f(theta))
        assert np.allclose(grad, _numeric_grad(f, theta), rtol=1e-5, atol=1e-4)


def test_shared_slope_sample_weights_are_repeated_rows_and_one_sided_thresholds_refused():
    X, y = _ordinal_data(120, seed=3)
    w = np.where(np.arange(len(y)) % 2 == 0, 2.0, 1.0)
    a = SharedSlopeOrdinalClassifier(C=0.5).fit(X, y, sample_weight=w)
    rep = np.flatnonzero(w == 2.0)
    b = SharedSlopeOrdinalClassifier(C=0.5).fit(np.vstack([X, X[rep]]), np.concatenate([y, y[rep]]))
    assert np.allclose(a.coef_, b.coef_, atol=1e-5) and np.allclose(a.intercept_, b.intercept_, atol=1e-5)
    # every row below the top level censored up to it: nothing decides the top threshold
    with pytest.raises(ValueError, match="only one side after censoring"):
        SharedSlopeOrdinalClassifier().fit(X, y, y_upper=np.where(y < 3, 3.0, np.nan))
    with pytest.raises(ValueError, match="y_upper has 3 values for 120 samples"):
        SharedSlopeOrdinalClassifier().fit(X, y, y_upper=[1.0, 2.0, 3.0])


def test_shared_slope_warns_when_it_stops_before_converging():
    from sklearn.exceptions import ConvergenceWarning

    X, y = _ordinal_data(200, seed=5)
    with pytest.warns(ConvergenceWarning, match="did not converge"):
        SharedSlopeOrdinalClassifier(C=10.0, max_iter=2).fit(X, y)


def test_shared_slope_censored_rows_only_inform_the_thresholds_they_decide():
    X, y = _ordinal_data(300, seed=1)
    upper = np.where(y == 2, 3.0, np.nan)  # "2 or 3", as FanFiction.Net's M
    a = SharedSlopeOrdinalClassifier().fit(X, y, y_upper=upper)
    # Censored rows count as ">= 1" and ">= 2" but not for ">= 3": as if their threshold-3 terms were gone.
    b = SharedSlopeOrdinalClassifier().fit(X, np.where(y == 2, 3, y))
    c = SharedSlopeOrdinalClassifier().fit(X, y)
    assert not np.allclose(a.intercept_, c.intercept_)
    # P(>= 3) of a censored row sits between the two readings of its label (b has classes 0, 1, 3)
    rows = y == 2
    pa, pb, pc = (m.cumulative_proba(X[rows])[:, -1].mean() for m in (a, b, c))
    assert pc < pa < pb


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


def _features(text):
    lex = load_lexicon()
    spans = split_passages(text) or [(0, len(text))]
    c, w = passage_counts(text, spans, lex)
    return dict(zip(story_feature_names(lex.names), story_features(c, w, lex.names), strict=True))


def test_story_features_keep_the_densest_passage_and_floor_short_texts():
    gentle = "\n\n".join(["The kettle hummed and the cat slept by the window in the warm sun. " * 20] * 10)
    scene = gentle + "\n\n" + "He kissed her breasts and his cock was hard; she moaned and came. " * 12
    a, b = _features(gentle), _features(scene)
    assert a["sex_explicit:max"] == 0 and b["sex_explicit:max"] > 3
    assert b["sex_explicit:story"] < b["sex_explicit:max"]  # one scene in a long story
    one_line = _features("Fuck.")
    # One word counts as a 150-word passage: density 1000/150, not 1000/1.
    assert one_line["profanity_severe:max"] == pytest.approx(np.log1p(1000 / 150))
    assert _features("")["log_words"] == 0


def test_snippet_is_short():
    s = snippet("word " * 500, 0, 2500)
    assert len(s) <= 200 and s.endswith("…")


@pytest.fixture(scope="module")
def tiny():
    texts, Y, groups = make_corpus()
    ids = load_taxonomy().warning_ids
    n = len(texts)
    spec, arrays, report = train_story_model(
        texts, Y, np.full(n, np.nan), groups, np.ones(n), np.array(["corpus"] * n), ids, folds=2
    )
    return StoryScorer(spec, arrays), spec, arrays, report, texts


def test_export_reproduces_the_fitted_estimators(tiny):
    _scorer, _spec, _arrays, report, _ = tiny
    assert report["export_max_abs_difference"] <= 1e-9


def test_story_model_predicts_with_evidence(tiny):
    scorer = tiny[0]
    text = "The cat slept.\n\n" + "He drove the knife into the guard's chest and blood poured over the stones. " * 40
    (p,) = scorer.predict([text], explain=2)
    assert abs(sum(p.rating_probs.values()) - 1) < 1e-6
    assert p.rating in ("general", "teen", "mature", "explicit")
    assert set(p.warning_probs) == set(scorer.warning_ids)
    assert "rating" in p.evidence
    for label, evs in p.evidence.items():
        assert 1 <= len(evs) <= 2, label
        for e in evs:
            assert 0 <= e.start < e.end <= len(text)
            assert len(e.snippet) <= 200
            assert e.snippet.lstrip("…").split()[0] in text[e.start : e.end]
    assert p.to_dict()["rating"] == p.rating


def test_story_model_empty_and_batch(tiny):
    scorer = tiny[0]
    assert scorer.predict([]) == []
    preds = scorer.predict(["", "The cat slept.", "Fuck off, you bastard. " * 50])
    assert len(preds) == 3
    assert preds[2].warning_probs["strong_language"] > preds[1].warning_probs["strong_language"]
    # batch and single scoring agree
    assert scorer.predict(["The cat slept."])[0].to_dict() == preds[1].to_dict()


def test_training_is_deterministic(tiny):
    texts, Y, groups = make_corpus()
    n = len(texts)
    spec, arrays, _ = train_story_model(
        texts, Y, np.full(n, np.nan), groups, np.ones(n), np.array(["corpus"] * n), load_taxonomy().warning_ids, folds=2
    )
    assert spec == tiny[1]
    assert all(np.array_equal(arrays[k], tiny[2][k]) for k in arrays)


def test_labels_without_negatives_are_not_learned(tiny):
    report = tiny[3]
    # The corpus labels only violence and strong_language; the rest have no known values at all,
    # and none may get a learned model (or a tuned threshold).
    scorer = tiny[0]
    learned = dict(zip(scorer.warning_ids, scorer.arrays["warning_learned"], strict=True))
    assert learned["violence"] == 1 and learned["strong_language"] == 1
    assert not any(v for k, v in learned.items() if k not in ("violence", "strong_language"))
    assert all(scorer.thresholds[k] == 0.5 for k in scorer.warning_ids if not learned[k])
    assert isinstance(report["skipped_labels"], dict)


def _card():
    from classifier.modeling.persist import library_versions

    return {"name": "tiny", "versions": library_versions(), "command": "test"}


def test_save_load_roundtrip_and_refusals(tiny, tmp_path):
    scorer, spec, arrays, _, _ = tiny
    out = save_model(spec, arrays, tmp_path / "m", _card())
    model, card = load_model(out)
    text = "He drove the knife into the guard's chest. " * 30
    assert model.predict([text])[0].to_dict() == scorer.predict([text])[0].to_dict()
    assert set(card["artifacts"]) == {"weights.npz", "model.json"}
    assert (out / "MODEL_CARD.md").read_text().startswith("# Model card: tiny")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m"]  # no temporary directories left
    assert not list(out.glob("*.pkl")) and not list(out.glob("*.joblib"))

    with pytest.raises(ModelError, match="already exists"):
        save_model(spec, arrays, out, _card())
    save_model(spec, arrays, out, _card(), force=True)

    with pytest.raises(ModelError, match="no such model directory"):
        load_model(tmp_path / "nope")
    with pytest.raises(ModelError, match="not a single file"):
        load_model(out / WEIGHTS_FILE)
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelError, match="not a ficrate model"):
        load_model(tmp_path / "empty")

    tampered = save_model(spec, arrays, tmp_path / "tampered", _card())
    with open(tampered / WEIGHTS_FILE, "ab") as fh:
        fh.write(b"\0")
    with pytest.raises(ModelError, match="hash does not match"):
        load_model(tampered)

    fake = tmp_path / "fake"
    fake.mkdir()
    (fake / "model_card.json").write_text(json.dumps({"format": "something-else"}))
    with pytest.raises(ModelError, match="not a ficrate-model/2 model"):
        load_model(fake)
    (fake / "model_card.json").write_text(json.dumps({"format": "ficrate-model/1"}))
    with pytest.raises(ModelError, match="pickled model from an older ficrate"):
        load_model(fake)


class _Boom:
    def __reduce__(self):
        import os

        return (os.system, ("touch /tmp/ficrate-pwned",))


def _rehash(d):
    """What a forger does: rewrite the card's hashes to match the files they planted."""
    from classifier.modeling.persist import sha256_file

    card = json.loads((d / "model_card.json").read_text())
    for name in card["artifacts"]:
        card["artifacts"][name]["sha256"] = sha256_file(d / name)
    (d / "model_card.json").write_text(json.dumps(card))


def test_a_forged_pickle_never_runs(tiny, tmp_path):
    import os

    _, spec, arrays, _, _ = tiny
    d = save_model(spec, arrays, tmp_path / "forged", _card())
    if os.path.exists("/tmp/ficrate-pwned"):
        os.remove("/tmp/ficrate-pwned")
    (d / WEIGHTS_FILE).write_bytes(pickle.dumps(_Boom()))
    _rehash(d)
    with pytest.raises(ModelError, match="not a plain array file"):
        load_model(d)
    # An npz whose member is a pickled object array is refused too (allow_pickle=False).
    np.savez(d / WEIGHTS_FILE, **{**arrays, "rating_coef": np.array([_Boom()], dtype=object)})
    _rehash(d)
    with pytest.raises(ModelError, match=r"not a plain array file|Object arrays"):
        load_model(d)
    assert not os.path.exists("/tmp/ficrate-pwned")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda s, a: a.update(rating_coef=a["rating_coef"][:, :-1]), "rating_coef"),
        (lambda s, a: a.update(extra=np.zeros(3)), "unexpected"),
        (lambda s, a: a.pop("warning_learned"), "missing"),
        (lambda s, a: a.update(feature_scale=np.full_like(a["feature_scale"], np.nan)), "non-finite"),
        (lambda s, a: s.update(features=s["features"][:-1]), "arrays|feature"),
        (lambda s, a: s.update(passage_words=10), "passage sizes"),
        (lambda s, a: s["lexicon"].update(categories={"x": [1, 2]}), "lexicon"),
        (lambda s, a: s["lexicon"].update(context={"no_such_category": ["high"]}), "lexicon context"),
        (lambda s, a: s["lexicon"].update(context=["high"]), "lexicon context"),
        (lambda s, a: s["lexicon"].update(exclude={"no_such_category": ["dead tired"]}), "lexicon exclude"),
        (lambda s, a: s["lexicon"].update(exclude={"death": "dead tired"}), "lexicon exclude"),
        # An exclusion must hold one of its category's own words, or it would take back hits it never made.
        (lambda s, a: s["lexicon"].update(exclude={"death": ["tomato soup"]}), "one of them a death word"),
    ],
)
def test_loader_validates_shapes_names_and_spec(tiny, change, message):
    import copy

    _, spec, arrays, _, _ = tiny
    s, a = copy.deepcopy(spec), {k: v.copy() for k, v in arrays.items()}
    change(s, a)
    with pytest.raises(WeightsError, match=message):
        StoryScorer(s, a)


def test_passage_features_equal_one_passage_stories():
    from classifier.features import passage_story_features

    lex = load_lexicon()
    text = "\n\n".join(
        ["The kettle hummed. " * 40, "He stabbed the guard and blood poured out; he died. " * 20, "Fuck. Shit. " * 30]
    )
    spans = split_passages(text, 60, 100)
    c, w = passage_counts(text, spans, lex)
    batched = passage_story_features(c, w, lex.names)
    single = np.vstack([story_features(c[k : k + 1], w[k : k + 1], lex.names) for k in range(len(w))])
    assert np.allclose(batched, single)


def test_evidence_regex_finds_exactly_the_lexicon_tokens():
    from classifier.features import TOKEN_RE
    from classifier.modeling.evidence import evidence_phrases, evidence_spans, passage_evidence_words
    from tests import clear_cut

    text = " ".join(getattr(clear_cut, n) for n in ("BATTLE", "PROFANITY", "SEX", "PARTY", "CUTTING", "FUNERAL"))
    text = (text + " well-known re-kill re-fuck o'clock 'fuck' fuck-up shit's. the body bag was zipped.").lower()
    for label in ("rating", "violence", "strong_language", "sexual_content", "self_harm", "substance_use"):
        wanted = passage_evidence_words(label, text)
        words = [m.span() for m in TOKEN_RE.finditer(text) if m.group() in wanted]
        spans = evidence_spans(text, label)
        # every lexicon token is marked, inside its own span or a phrase's ...
        assert all(any(a <= wa and wb <= b for a, b in spans) for wa, wb in words), label
        # ... and every span is a lexicon token or starts with a lexicon phrase
        phrases = evidence_phrases(label)
        for a, b in spans:
            assert (a, b) in words or any(text.startswith(p, a) for p in phrases), (label, text[a:b])
        refuck = text.index("re-fuck") + 3  # after an inner hyphen: not a token of its own
        assert not any(a <= refuck < b for a, b in spans), label
    # a phrase is marked over its whole length
    bag = text.index("body bag")
    assert (bag, bag + len("body bag")) in evidence_spans(text, "rating")


def test_transfer_report_scores_each_set_with_the_final_model(tiny):
    import pandas as pd

    from classifier.modeling.train import transfer_report

    scorer, spec, arrays, _report, texts = tiny
    _t, Y, _g = make_corpus()
    ids = scorer.warning_ids
    frame = pd.DataFrame({"text": texts, "rating": Y[:, 0], "rating_upper": np.nan})
    for j, wid in enumerate(ids):
        frame[wid] = Y[:, 1 + j]
    rep = transfer_report(spec, arrays, [("same", frame)], tuple(ids))["same"]
    predicted = [scorer.levels.index(p.rating) for p in scorer.predict(texts, explain=0)]
    expected = float(np.mean(np.array(predicted) == Y[:, 0]))
    assert rep["texts"] == len(texts)
    assert rep["rating"]["exact_accuracy"]["value"] == pytest.approx(expected)


def test_phrases_are_counted_on_whole_words_wherever_they_occur():
    from classifier.features import CompiledLexicon

    lex = CompiledLexicon({"a": ["his bed", "went down on", "pool of blood"], "b": ["blood", "her bed"]})
    text = (
        "He sat on his bed. His bedroom was cold; this bed was not his. He went down on one knee, "
        "then went down on the floor. A pool of blood, a pool of bloody water. Her bed, her bed!"
    ).lower()
    counts, n = lex.count(text)
    # "his bedroom", "this bed" and "bloody" are other words.
    assert counts == [4.0, 3.0]
    assert n == len(text.split())
    assert lex.count("") == ([0.0, 0.0], 0)
    assert lex.count("his his his bed bed")[0] == [1.0, 0.0]


def test_phrases_match_whole_tokens_as_words_do_whatever_else_the_passage_holds():
    from classifier.features import CompiledLexicon

    lex = CompiledLexicon({"a": ["her father", "please stop", "no, stop"], "w": ["father", "stop"]})
    # A phrase's first and last words are whole tokens, as a single word is: "father's" is not
    # "father", "p-please" is not "please".
    for text, a in [
        ("she took her father's car.", 0.0),
        ("she took her father's car. the father smiled.", 0.0),  # the same, with "father" elsewhere
        ("p-please stop", 0.0),
        ("p-please stop. please, sir.", 0.0),
        ("her father-in-law", 0.0),
        ("'her father' she said", 1.0),  # quotes are not part of a token
        ("her father. please stop! no, stop.", 3.0),
        ("n-no, stop", 0.0),
    ]:
        assert lex.count(text)[0][0] == a, text
    assert lex.count("her father's")[0][1] == 0.0  # the word list agrees: "father's" is its own token


def test_thresholds_are_chosen_on_other_fold_splits_than_the_reported_one(tiny):
    from classifier.modeling.train import CHOICE_SPLITS

    _scorer, spec, _arrays, report, _ = tiny
    choice = report["cross_validation"]["choice"]
    assert choice["splits"] == CHOICE_SPLITS >= 2
    assert choice["reported_fold_seed"] not in choice["fold_seeds"]
    assert len(set(choice["fold_seeds"])) == CHOICE_SPLITS
    # The defaults shipped are the ones the choice splits gave, and the reported figures use them.
    assert report["cross_validation"]["audit"]["confidence_by_level"] == spec["audit"]["confidence_by_level"]
    assert (
        choice["audit_on_choice_splits"]["under_rated_false_alarms"]["n"]
        == CHOICE_SPLITS * (report["cross_validation"]["audit"]["under_rated_false_alarms"]["n"])
    )


def test_rating_by_length_gives_signed_error_and_exact_per_band():
    from classifier.metrics import rating_by_length

    y = np.array([0, 1, 1, 2, 3, 2])
    pred = np.array([1, 1, 2, 2, 2, 1])
    words = np.array([200, 1499, 1500, 9000, 20000, 15000])
    bands = rating_by_length(y, pred, words, rounds=20)
    assert [b["n"] for b in bands] == [2, 1, 1, 2]
    short, mid, _, long = bands
    assert short["mean_error"]["value"] == 0.5 and short["exact_accuracy"]["value"] == 0.5  # one rated up
    assert mid["mean_error"]["value"] == 1.0 and mid["exact_accuracy"]["value"] == 0.0
    assert long["mean_error"]["value"] == -1.0 and long["exact_accuracy"]["value"] == 0.0  # both rated down
    assert len(long["mean_error"]["ci95"]) == 2
    empty = rating_by_length(y[:1], pred[:1], np.array([100]), rounds=5)
    assert [b["n"] for b in empty] == [1, 0, 0, 0] and "mean_error" not in empty[1]


def test_a_warning_head_that_cannot_reach_the_precision_floor_says_less_not_more():
    from classifier.metrics import best_f1_threshold

    # Two confident positives; the rest are buried among negatives, so no threshold reaches 0.9.
    p = np.array([0.95, 0.92, 0.88, 0.8, 0.7] + [0.3] * 6 + [0.35] * 10 + [0.2] * 10)
    y = np.array([0, 1, 1, 0, 0] + [1] * 6 + [0] * 10 + [0] * 10)
    assert best_f1_threshold(y, p) == 0.21  # F1-optimal: 8 of 21 flagged works are right
    assert best_f1_threshold(y, p, min_precision=0.9) == 0.81  # F0.5-optimal: 2 of 3
    assert best_f1_threshold(y, p, min_precision=0.3) == 0.21  # a reachable floor keeps F1
    assert best_f1_threshold(np.zeros(4), p[:4]) == 0.5


def test_a_model_saved_before_exclusions_loads_and_counts_as_it_did(tiny):
    import copy

    _, spec, arrays, _, _ = tiny
    assert spec["lexicon"]["exclude"]  # the trainer records the exclusions it counted with
    old = copy.deepcopy(spec)
    del old["lexicon"]["exclude"]
    text = "The nurse took her blood pressure."
    gore = list(spec["lexicon"]["categories"]).index("gore")
    then = StoryScorer(old, arrays).predict_proba([text]).counts[0][0, gore]
    now = StoryScorer(spec, arrays).predict_proba([text]).counts[0][0, gore]
    assert (then, now) == (1, 0)
