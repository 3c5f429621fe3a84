"""The built wheel: every subpackage, the data files and the default model (not only an editable
install), no pickle; installed into a fresh venv outside the checkout, it finds its model and scores.

The wheel is built once for the module. Where it cannot be built at all (no setuptools to be had
for the isolated build, no network or local index), the tests skip with pip's reason; any other
build failure fails.
"""

import json
import os
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.wheel

# pip's words when the isolated build cannot get setuptools/wheel: the machine, not the project.
_CANNOT_BUILD = (
    "Could not find a version that satisfies the requirement",
    "No matching distribution found",
    "Failed to establish a new connection",
    "Network is unreachable",
    "Temporary failure in name resolution",
    "No module named pip",
)

MODEL_FILES = ("weights.npz", "model.json", "model_card.json", "MODEL_CARD.md")

STORY = """Title: The Tide Clock
Rating: General Audiences
Archive Warning: No Archive Warnings Apply

The tide clock in the harbour master's office had been wrong for as long as anyone could
remember. It said high water when the boats sat on the mud and low water when the sea came
slopping over the quay, and every summer a visitor would point at it and laugh.

Nell, who swept the office on Saturdays, decided that she would mend it. She borrowed a
screwdriver from her uncle, a stool from the café and a book about clocks from the library, and
she spent one whole wet afternoon with the back of the case open and the brass wheels spread out
on a tea towel. The harbour master made her cocoa and pretended not to watch.

By the evening the clock was right. The next morning, at high water, the whole quay came to look.
"""


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    r = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(REPO)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if r.returncode != 0:
        if any(s in r.stderr for s in _CANNOT_BUILD):
            pytest.skip(f"cannot build a wheel on this machine: {r.stderr.strip().splitlines()[-1]}")
        pytest.fail(f"pip wheel failed:\n{r.stderr[-2000:]}")
    (built,) = out.glob("ficrate-*.whl")
    return built


def test_wheel_contains_all_modules_and_data(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for module in (
        "cli",
        "api",
        "labels",
        "headers",
        "features",
        "audit",
        "report",
        "readers/html",
        "readers/tables",
        "modeling/scorer",
        "modeling/train",
        "modeling/persist",
        "modeling/predict",
    ):
        assert f"classifier/{module}.py" in names, module
    for data in ("taxonomy", "lexicons", "guidelines"):
        assert f"classifier/data/{data}.json" in names, data
    for f in MODEL_FILES:
        assert f"classifier/default_model/{f}" in names, f
    for t in ("report.html", "report.css", "report.js"):  # the audit report's templates
        assert f"classifier/templates/{t}" in names, t
    assert not any(n.startswith(("tests/", "models/", "data/")) for n in names)
    # Weights are data: nothing in the wheel is a pickle.
    assert not [n for n in names if n.endswith((".pkl", ".pickle", ".joblib"))]


def _site_packages(python: str) -> str:
    code = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    return subprocess.run([python, "-c", code], capture_output=True, text=True, check=True).stdout.strip()


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> Path:
    """A fresh venv (outside the checkout) with the wheel installed; returns its bin directory.

    Dependencies come from the test's own environment through a ``.pth`` line (offline and
    fast). A ``.pth`` line adds that directory only: its own ``.pth`` files, among them the
    editable install's finder that would point back at this checkout, are not run.
    """
    env_dir = tmp_path_factory.mktemp("venv") / "ficrate-venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    bindir = env_dir / "bin"
    python = str(bindir / "python")
    Path(_site_packages(python), "_ficrate_test_deps.pth").write_text(
        _site_packages(sys.executable) + "\n", encoding="utf-8"
    )
    r = subprocess.run(
        [sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index", "-q", str(wheel)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert r.returncode == 0, r.stderr[-2000:]
    return bindir


def _clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "FICRATE_MODEL", "VIRTUAL_ENV")}
    env["PYTHONNOUSERSITE"] = "1"
    return env


def test_installed_wheel_scores_outside_the_checkout(installed, tmp_path):
    cwd = tmp_path / "somewhere"
    cwd.mkdir()
    (cwd / "story.txt").write_text(STORY, encoding="utf-8")
    # A model folder in the current directory must not be picked up (no current-directory fallback).
    decoy = cwd / "models" / "ficrate-default"
    decoy.mkdir(parents=True)
    (decoy / "model_card.json").write_text("{not a card", encoding="utf-8")
    env = _clean_env()
    python = str(installed / "python")

    where = subprocess.run(
        [
            python,
            "-c",
            "import classifier, classifier.config as c; print(classifier.__file__); print(c.default_model_dir())",
        ],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("\n")
    site = Path(_site_packages(python)).resolve()
    package_file, model_dir = Path(where[0]).resolve(), Path(where[1]).resolve()
    assert package_file.is_relative_to(site), package_file  # the installed copy, not this checkout
    assert model_dir == site / "classifier" / "default_model", model_dir
    assert REPO.resolve() not in model_dir.parents

    r = subprocess.run(
        [str(installed / "ficrate"), "score", "story.txt", "-f", "json"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert r.returncode == 0, r.stderr
    (rec,) = json.loads(r.stdout)
    assert rec["declared"]["rating"]["canonical"] == "general"
    assert rec["prediction"]["rating"] in ("general", "teen", "mature", "explicit")
    assert abs(sum(rec["prediction"]["rating_probs"].values()) - 1) < 1e-3

    code = (
        "import json, sys, classifier\n"
        "m = classifier.load_model()\n"
        "p = m.score(open('story.txt', encoding='utf-8').read())\n"
        "heavy = [n for n in ('sklearn', 'pandas', 'joblib') if n in sys.modules]\n"
        "print(json.dumps({'rating': p.rating, 'probs': p.rating_probs, 'heavy': heavy}))\n"
    )
    api = subprocess.run(
        [python, "-c", code], cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert api.returncode == 0, api.stderr
    out = json.loads(api.stdout)
    # The library and the CLI give the same answer from the packaged model, without scikit-learn.
    assert out["rating"] == rec["prediction"]["rating"]
    assert out["probs"] == pytest.approx(rec["prediction"]["rating_probs"], abs=1e-4)
    assert out["heavy"] == []
