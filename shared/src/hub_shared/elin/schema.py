"""The official ELIN schema set (elin-all.xsd), found, loaded once and cached.

The schemas are reference material outside this repository (``../shared/elin-reference``), so
the hub must run without them: ``load_schema`` then returns None and the caller logs a warning
and skips the T02 (schema) check.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

from lxml import etree

ENV_VAR = "HUB_ELIN_XSD"
_RELATIVE_TO_REPO = Path("..") / "shared" / "elin-reference" / "xsd" / "flat" / "elin-all.xsd"


def _repo_root() -> Path | None:
    # The checkout's root is the folder holding uv.lock (the workspace's lock file).
    for parent in Path(__file__).resolve().parents:
        if (parent / "uv.lock").is_file():
            return parent
    return None


def default_schema_path() -> Path | None:
    """``$HUB_ELIN_XSD`` if set, else ``<repo>/../shared/elin-reference/xsd/flat/elin-all.xsd``."""
    configured = os.environ.get(ENV_VAR)
    if configured:
        return Path(configured)
    root = _repo_root()
    return None if root is None else (root / _RELATIVE_TO_REPO).resolve()


@cache
def _load(path: Path) -> etree.XMLSchema:
    # The schema files are trusted, but nothing may reach the network while loading them.
    parser = etree.XMLParser(no_network=True, resolve_entities=False, load_dtd=False)
    return etree.XMLSchema(etree.parse(str(path), parser))


def load_schema(path: Path | None = None) -> etree.XMLSchema | None:
    """The compiled schema set, cached per path; None when no schema file is found.

    A file that exists but does not compile raises ``etree.XMLSchemaParseError``: that is a
    broken installation, not a missing optional one.
    """
    chosen = path if path is not None else default_schema_path()
    if chosen is None or not chosen.is_file():
        return None
    return _load(chosen.resolve())
