"""Optional dependencies (pip extras): whether one is installed, and the one line to say when not.

The core install reads, scores and audits. Parquet (pyarrow) and ``evaluate``'s plots
(matplotlib) are extras, so a moderator who needs neither does not install them.
"""

from __future__ import annotations

import importlib
from types import ModuleType

#: extra -> the module it brings (what is imported to tell whether the extra is there).
EXTRA_MODULES: dict[str, str] = {"parquet": "pyarrow", "plots": "matplotlib"}


def missing_extra_message(feature: str, extra: str) -> str:
    """``Parquet needs the 'parquet' extra: pip install 'ficrate[parquet]'``."""
    return f"{feature} needs the '{extra}' extra: pip install 'ficrate[{extra}]'"


def load_extra(extra: str) -> ModuleType | None:
    """The module an extra brings, or None when the extra is not installed.

    Parameters
    ----------
    extra
        A key of :data:`EXTRA_MODULES` (``"parquet"`` or ``"plots"``).

    Returns
    -------
    ModuleType or None
        The imported module; None when importing it fails with ImportError.
    """
    try:
        return importlib.import_module(EXTRA_MODULES[extra])
    except ImportError:
        return None
