"""The built wheel carries every subpackage and the data files (not only an editable install)."""

import subprocess
import sys
import zipfile

from tests.conftest import REPO


def test_wheel_contains_all_modules_and_data(tmp_path):
    r = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(REPO)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert r.returncode == 0, r.stderr[-2000:]
    (wheel,) = tmp_path.glob("ficrate-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for module in (
        "cli",
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
    assert not any(n.startswith(("tests/", "models/", "data/")) for n in names)
