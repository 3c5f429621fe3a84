"""Ranking figures of the protocol (AUC, rank correlation): checked against scikit-learn and SciPy."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import spearmanr
from sklearn.metrics import roc_auc_score

from classifier.metrics import auc, rank_correlation, rating_metrics, warning_metrics


@pytest.mark.parametrize("seed", range(5))
def test_auc_matches_scikit_learn_with_ties(seed: int) -> None:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, 200)
    score = np.round(rng.random(200) + 0.3 * y, 1)  # rounded: many ties
    assert auc(y, score) == pytest.approx(roc_auc_score(y, score))


def test_auc_without_both_classes_is_nan() -> None:
    assert np.isnan(auc(np.ones(5), np.arange(5.0)))
    assert np.isnan(auc(np.zeros(0), np.zeros(0)))


@pytest.mark.parametrize("seed", range(3))
def test_rank_correlation_matches_scipy(seed: int) -> None:
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 4, 100).astype(float)
    b = a + rng.normal(0, 1.5, 100)
    assert rank_correlation(b, a) == pytest.approx(spearmanr(b, a)[0])
    assert np.isnan(rank_correlation(np.ones(4), np.arange(4.0)))


def test_rating_metrics_rank_works_that_thresholds_get_wrong() -> None:
    # Every work predicted general (the thresholds are off for this set), but the probabilities
    # still order them by declared level: accuracy is poor, the ranking figures are perfect.
    y = np.array([0, 0, 1, 1, 2, 2, 3, 3])
    probs = np.array([[0.9 - 0.05 * k, 0.1, 0.0, 0.0] for k in range(8)])
    probs[:, 2] = np.linspace(0.0, 0.35, 8)
    probs[:, 1] = 1.0 - probs[:, 0] - probs[:, 2]
    pred = np.zeros(8, dtype=int)
    out = rating_metrics(y, pred, probs, rounds=20)
    assert out["exact_accuracy"]["value"] == 0.25
    assert out["adult_auc"]["value"] == 1.0 and out["teen_auc"]["value"] == 1.0
    assert out["rank_correlation"]["value"] == pytest.approx(spearmanr(probs @ np.arange(4), y)[0])
    assert len(out["adult_auc"]["ci95"]) == 2


def test_rating_metrics_leave_out_a_ranking_figure_without_both_classes() -> None:
    y = np.array([0, 0, 1, 1])
    probs = np.tile([0.5, 0.3, 0.1, 0.1], (4, 1))
    out = rating_metrics(y, np.zeros(4, dtype=int), probs, rounds=10)
    assert "adult_auc" not in out  # no mature or explicit work: no figure rather than a NaN
    assert out["teen_auc"]["value"] == 0.5


def test_warning_metrics_give_each_label_its_auc_over_known_rows() -> None:
    Y = np.array([[1, np.nan], [0, np.nan], [1, 0], [0, 0]], dtype=float)
    P = np.array([[0.9, 0.9], [0.2, 0.1], [0.4, 0.2], [0.6, 0.3]])
    out = warning_metrics(Y, P, {"a": 0.5, "b": 0.5}, ["a", "b"], rounds=10)
    assert out["per_label"]["a"]["auc"]["value"] == pytest.approx(roc_auc_score([1, 0, 1, 0], [0.9, 0.2, 0.4, 0.6]))
    assert out["per_label"]["b"]["auc"] is None  # known rows hold no positive


def test_rank_correlation_leaves_out_works_whose_level_follows_the_prediction() -> None:
    # FFN M is mature-or-explicit: protocol_report scores it at the level the model picks in that
    # range, so a noise model's M works would correlate with their own predictions.
    from classifier.metrics import protocol_report

    rng = np.random.default_rng(1)
    n = 400
    lv = np.r_[rng.integers(0, 4, n).astype(float), np.full(n, 2.0)]
    upper = np.r_[np.full(n, np.nan), np.full(n, 3.0)]
    levels = rng.dirichlet([1, 1, 1, 1], 2 * n)
    rep = protocol_report(lv, upper, np.full((2 * n, 1), np.nan), levels, rng.random((2 * n, 1)), {}, ("x",), rounds=50)
    expected = levels @ np.arange(4)
    assert rep["rating"]["rank_correlation"]["value"] == pytest.approx(rank_correlation(expected[:n], lv[:n]), abs=1e-4)
    assert abs(rep["rating"]["rank_correlation"]["value"]) < 0.1
    only_m = protocol_report(
        lv[n:], upper[n:], np.full((n, 1), np.nan), levels[n:], rng.random((n, 1)), {}, ("x",), rounds=20
    )
    assert "rank_correlation" not in only_m["rating"]  # no work with an exactly known level


def test_one_formatter_renders_figures_for_card_and_evaluate() -> None:
    from classifier.modeling.persist import format_metric

    y = np.full(20, 3)  # one class: no AUC, which the report leaves out
    probs = np.tile([0.1, 0.2, 0.3, 0.4], (20, 1))
    r = rating_metrics(y, np.full(20, 3), probs, rounds=20)
    assert "adult_auc" not in r and "ece" in r
    assert format_metric(r["exact_accuracy"]) == "1.000 [1.000, 1.000]"
    assert format_metric(r.get("adult_auc")) == "–"
    assert format_metric({"value": 0.5, "ci95": [0.25, 0.75]}) == "0.500 [0.250, 0.750]"
    assert format_metric({"value": 0.5, "ci95": [float("nan"), float("nan")]}) == "0.500"
    assert format_metric({"value": 0.5, "ci95": []}) == "0.500"
    assert format_metric({"value": float("nan"), "ci95": []}) == "–"  # a macro-F1 over no labels


def test_accuracy_at_a_rating_mix_weighs_each_level_to_its_share() -> None:
    from classifier.labels import AO3_RATING_MIX
    from classifier.metrics import rating_at_mix

    # Sampled per rating: 10 general, 40 teen, 40 mature, 30 explicit, with per-level accuracy
    # 1.0, 0.5, 0.25 and 0.0 (the misses one level low, or high for general).
    y = np.repeat([0, 1, 2, 3], [10, 40, 40, 30])
    pred = y.copy()
    pred[10:30] = 0
    pred[50:80] = 1
    pred[90:120] = 2
    out = rating_at_mix(y, pred, rounds=20)
    assert out is not None
    per_level = [1.0, 0.5, 0.25, 0.0]
    want = sum(m * a for m, a in zip(AO3_RATING_MIX, per_level, strict=True))
    assert out["exact_accuracy"]["value"] == pytest.approx(want, abs=1e-4)
    assert float((y == pred).mean()) != pytest.approx(want, abs=0.01)  # the sample's own mix differs
    assert out["within_one_accuracy"]["value"] == pytest.approx(1.0)
    adult_right = [1.0, 1.0, 0.25, 1.0]  # mature read as teen crosses the adult line
    want_adult = sum(m * a for m, a in zip(AO3_RATING_MIX, adult_right, strict=True))
    assert out["adult_accuracy"]["value"] == pytest.approx(want_adult, abs=1e-4)
    lo, hi = out["exact_accuracy"]["ci95"]
    assert lo <= want <= hi
    # A level with too few works gives no figure rather than one resting on a handful.
    assert rating_at_mix(y[5:], pred[5:], rounds=5) is None


def test_protocol_reports_the_ao3_mix_only_on_ao3_works_known_to_one_level() -> None:
    from classifier.metrics import protocol_report

    rng = np.random.default_rng(0)
    n = 160
    lv = np.tile([0.0, 1.0, 2.0, 3.0], n // 4)
    levels = np.eye(4)[np.clip(lv.astype(int) + rng.integers(-1, 2, n), 0, 3)] * 0.9 + 0.025
    upper = np.full(n, np.nan)
    W = np.full((n, 1), np.nan)
    warn = np.zeros((n, 1))
    ao3 = protocol_report(lv, upper, W, levels, warn, {}, ("violence",), rounds=5, scales=np.array(["ao3"] * n))
    assert ao3["rating"]["at_ao3_mix"]["n"] == n
    ffn = protocol_report(lv, upper, W, levels, warn, {}, ("violence",), rounds=5, scales=np.array(["ffn"] * n))
    assert "at_ao3_mix" not in ffn["rating"]
    none = protocol_report(lv, upper, W, levels, warn, {}, ("violence",), rounds=5)
    assert "at_ao3_mix" not in none["rating"]


def test_mix_weights_count_each_archive_at_its_own_rating_mix():
    from classifier.labels import AO3_RATING_MIX, FFN_RATING_MIX
    from classifier.metrics import mix_weights

    # AO3: 20 general, 40 teen, 40 mature, 20 explicit; FFN: 20 K-K+, 60 T, 30 M (mature..explicit).
    lv = np.array([0] * 20 + [1] * 40 + [2] * 40 + [3] * 20 + [0] * 20 + [1] * 60 + [2] * 30, dtype=float)
    upper = np.full(len(lv), np.nan)
    upper[-30:] = 3
    scales = np.array(["ao3"] * 120 + ["ffn"] * 110)
    w = mix_weights(lv, upper, scales)
    ao3, ffn = w[:120], w[120:]
    for k, count in enumerate((20, 40, 40, 20)):
        assert ao3[lv[:120] == k] == pytest.approx(AO3_RATING_MIX[k] / (count / 120))
    assert ao3.sum() == pytest.approx(120)
    assert ffn[:20] == pytest.approx(FFN_RATING_MIX[0] / (20 / 80))
    assert ffn[20:80] == pytest.approx(FFN_RATING_MIX[1] / (60 / 80))
    assert ffn[:80].sum() == pytest.approx(80)  # K-T keep their total: M's share is unknown
    assert (ffn[80:] == 1).all()
    # Unknown scale, or a level with too few works to weigh: every work counts once.
    assert (mix_weights(lv, upper, None) == 1).all()
    few = mix_weights(np.r_[lv[:5], lv[20:120]], np.full(105, np.nan), np.array(["ao3"] * 105))
    assert (few == 1).all()


def test_under_rated_budget_holds_at_the_archive_mix_when_a_level_is_rare_in_the_sample():
    from classifier.metrics import UNDER_RATED_BUDGET, audit_figures, mix_weights

    # Sampled per rating, as the full-length corpus is: general is rare here but common on AO3,
    # and general works read hot. Counted as sampled, flagging them costs little of the budget.
    rng = np.random.default_rng(1)
    lv = np.repeat([0.0, 1.0, 2.0, 3.0], [40, 150, 150, 100])
    levels = np.zeros((len(lv), 4))
    for i, k in enumerate(lv.astype(int)):
        p_up = rng.uniform(0.2, 0.95) if k == 0 else rng.uniform(0.0, 0.7)
        if k < 3:
            levels[i, k], levels[i, k + 1] = 1 - p_up, p_up
        else:
            levels[i, k] = 1.0
    upper = np.full(len(lv), np.nan)
    scales = np.array(["ao3"] * len(lv))
    W, warn, ids = np.full((len(lv), 1), np.nan), np.zeros((len(lv), 1)), ("violence",)
    w = mix_weights(lv, upper, scales)
    sampled = audit_figures(levels, lv, upper, warn, W, {}, ids, scales=scales)
    at_mix = audit_figures(levels, lv, upper, warn, W, {}, ids, scales=scales, weights=w)
    replay = {k: sampled[k] for k in ("confidence_by_level", "confidence_by_scale")}
    sampled_at_mix = audit_figures(levels, lv, upper, warn, W, {}, ids, scales=scales, weights=w, **replay)
    assert sampled["under_rated_false_alarms"]["value"] <= UNDER_RATED_BUDGET + 1e-9
    assert sampled_at_mix["under_rated_false_alarms"]["value"] > UNDER_RATED_BUDGET  # the budget breaks
    assert at_mix["under_rated_false_alarms"]["value"] <= UNDER_RATED_BUDGET + 1e-9
    assert at_mix["confidence_by_scale"]["ao3"]["general"] > sampled["confidence_by_scale"]["ao3"]["general"]


def test_protocol_audit_figures_count_works_at_their_archive_mix():
    """protocol_report (the card, evaluate) weights the audit figures as the budget was chosen."""
    from classifier.metrics import audit_figures, mix_weights, protocol_report

    rng = np.random.default_rng(2)
    lv = np.repeat([0.0, 1.0, 2.0, 3.0], [20, 150, 150, 100])
    levels = np.zeros((len(lv), 4))
    for i, k in enumerate(lv.astype(int)):
        p_up = rng.uniform(0.4, 0.99) if k == 0 else rng.uniform(0.0, 0.5)  # general reads hot
        levels[i, min(k, 2)], levels[i, min(k, 2) + 1] = 1 - p_up, p_up
    upper = np.full(len(lv), np.nan)
    scales = np.array(["ao3"] * len(lv))
    W = np.zeros((len(lv), 1))
    W[rng.random(len(lv)) < 0.2, 0] = 1
    warn = np.clip(W[:, :1] * 0.5 + rng.random((len(lv), 1)) * 0.6, 0, 1)
    audit = {"confidence_by_level": {"general": 0.6, "teen": 0.6, "mature": 0.6}, "warning_confidence": 0.5}
    rep = protocol_report(
        lv, upper, W, levels, warn, {"violence": 0.5}, ("violence",), rounds=5, audit=audit, scales=scales
    )
    w = mix_weights(lv, upper, scales)
    weighted = audit_figures(
        levels, lv, upper, warn, W, {"violence": 0.5}, ("violence",), scales=scales, weights=w, **audit
    )
    plain = audit_figures(levels, lv, upper, warn, W, {"violence": 0.5}, ("violence",), scales=scales, **audit)
    for key in ("under_rated_false_alarms", "under_rated_recall_1_level", "missing_warning_false_alarms"):
        assert rep["audit"][key]["value"] == weighted[key]["value"], key
    # General is 5% of this sample and 36% of AO3: its hot reads weigh seven times over at the mix.
    assert rep["audit"]["under_rated_false_alarms"]["value"] > 2 * plain["under_rated_false_alarms"]["value"]
    # The card says how the figures were counted.
    from classifier.modeling.persist import render_protocol

    assert rep["audit"]["at_rating_mix"] and not plain["at_rating_mix"]
    assert "works counted at their archive's rating mix:" in "\n".join(render_protocol("cv", rep))
    thin = protocol_report(
        lv[15:],
        upper[15:],
        W[15:],
        levels[15:],
        warn[15:],
        {"violence": 0.5},
        ("violence",),
        rounds=5,
        audit=audit,
        scales=scales[15:],
    )
    assert "works counted as sampled" in "\n".join(render_protocol("cv", thin))  # 5 general works: no mix


def test_bootstrap_within_strata_keeps_each_stratums_size():
    from classifier.metrics import bootstrap

    strata = np.repeat([0, 1, 2], [10, 60, 30])
    share_of_first = lambda ix: float((strata[ix] == 0).mean())  # noqa: E731
    assert bootstrap(share_of_first, 100, rounds=50, strata=strata) == [0.1, 0.1]
    lo, hi = bootstrap(share_of_first, 100, rounds=50)
    assert lo < 0.1 < hi  # drawn as one pool, the strata's sizes wander
    # A weighted rate whose strata differ: resampled within them, its interval is narrower.
    from classifier.metrics import _rate

    x = (strata == 0).astype(float)  # every work of stratum 0 flagged, no other
    w = np.where(strata == 0, 3.0, 1.0)
    within = _rate(x, weights=w, strata=strata, rounds=100)["ci95"]
    pooled = _rate(x, weights=w, rounds=100)["ci95"]
    assert within[1] - within[0] < 1e-9 < pooled[1] - pooled[0]
