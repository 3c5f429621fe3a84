"""Default locations: the shipped model, ``$FICRATE_MODEL`` and the shared data folder.

One place for paths that commands fall back to when none is given.
"""

from __future__ import annotations

import os
from pathlib import Path

#: Environment variable naming the model directory to use by default.
MODEL_ENV = "FICRATE_MODEL"
#: Name of the shipped model's directory under ``models/``.
DEFAULT_MODEL_NAME = "ficrate-default"
#: The installed package directory, and the source checkout (or editable install) it lives in.
PACKAGE_DIR = Path(__file__).resolve().parent
REPO_ROOT = PACKAGE_DIR.parent
#: The shared data folder beside the checkout (``../shared/data``).
SHARED_DATA_DIR = REPO_ROOT.parent / "shared" / "data"
#: Refuse input files larger than this many bytes unless told otherwise (``--max-size``).
DEFAULT_MAX_SIZE = 50 * 1024 * 1024


def default_model_dir() -> Path:
    """``$FICRATE_MODEL``; else the model shipped inside the package (wheel installs), else the
    repository's ``models/ficrate-default`` beside the package (source checkouts). Never the
    current directory: a downloaded folder must not choose the model."""
    env = os.environ.get(MODEL_ENV)
    if env:
        return Path(env)
    packaged = PACKAGE_DIR / "default_model"
    if (packaged / "model_card.json").is_file():
        return packaged
    return REPO_ROOT / "models" / DEFAULT_MODEL_NAME


def default_shared_dir() -> Path | None:
    """``../shared/data`` beside the checkout when it exists (summaries for evaluate's baseline)."""
    return SHARED_DATA_DIR if SHARED_DATA_DIR.exists() else None
