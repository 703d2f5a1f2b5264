"""Finding and loading the official schema set."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from hub_shared.elin.schema import ENV_VAR, default_schema_path, load_schema


def test_default_path_is_next_to_the_repo(
    elin_reference: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(ENV_VAR, raising=False)
    expected = elin_reference / "xsd" / "flat" / "elin-all.xsd"
    assert default_schema_path() == expected.resolve()
    assert isinstance(load_schema(), etree.XMLSchema)


def test_loaded_once(elin_reference: Path, elin_schema: etree.XMLSchema) -> None:
    assert load_schema(elin_reference / "xsd" / "flat" / "elin-all.xsd") is elin_schema


def test_environment_variable_wins(
    elin_reference: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "missing.xsd"))
    assert default_schema_path() == tmp_path / "missing.xsd"
    assert load_schema() is None  # the caller logs a warning and runs without T02
    monkeypatch.setenv(ENV_VAR, str(elin_reference / "xsd" / "flat" / "elin-all.xsd"))
    assert load_schema() is not None


def test_missing_file_is_none(tmp_path: Path) -> None:
    assert load_schema(tmp_path / "nothing.xsd") is None


def test_a_broken_schema_file_is_an_error(tmp_path: Path) -> None:
    broken = tmp_path / "broken.xsd"
    broken.write_text("<xs:schema xmlns:xs='http://www.w3.org/2001/XMLSchema'><xs:nonsense/>")
    with pytest.raises(etree.XMLSyntaxError):
        load_schema(broken)
