"""ficrate: content rating and content warnings for fan fiction.

The import package is ``classifier``; the distribution and console script are ``ficrate``.
Submodules are imported lazily by the CLI so that ``ficrate --help`` stays instant.
"""

__version__ = "0.1.0"
