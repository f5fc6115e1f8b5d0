"""CITATION.cff and LICENSE: valid, and in agreement with pyproject.toml.

``tests/data/cff-1.2.0.schema.json`` is the Citation File Format 1.2.0 JSON schema
(https://citation-file-format.github.io/1.2.0/schema.json, CC-BY-4.0), copied from the
``cffconvert`` 2.0.0 wheel on PyPI so that the check needs no network.
"""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import jsonschema
import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
SCHEMA = json.loads((REPO / "tests" / "data" / "cff-1.2.0.schema.json").read_text())


def citation() -> dict:
    return yaml.safe_load((REPO / "CITATION.cff").read_text())


def pyproject() -> dict:
    return tomllib.loads((REPO / "pyproject.toml").read_text())


def library_version() -> str:
    """drs_lib.__version__ as written in its source (pyproject's dynamic version reads the same)."""
    assert pyproject()["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "drs_lib.__version__"}
    (version,) = re.findall(r'^__version__ = "([^"]+)"$', (REPO / "drs_lib" / "__init__.py").read_text(), re.M)
    return version


def test_citation_file_is_valid_cff_1_2_0():
    data = citation()
    assert data["cff-version"] == "1.2.0"
    jsonschema.validate(data, SCHEMA)


def test_the_schema_check_can_fail():
    data = citation()
    for broken in ({k: v for k, v in data.items() if k != "authors"},  # authors are required
                   {**data, "license": "not-a-license"},
                   {**data, "references": [{"title": "no type, no authors"}]}):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(broken, SCHEMA)


def test_citation_agrees_with_pyproject_and_names_the_paper():
    data = citation()
    assert str(data["version"]) == library_version()
    assert data["license"] == pyproject()["project"]["license"] == "MIT"
    assert data["authors"] == [{"name": "drs-book contributors"}]
    (paper,) = [r for r in data["references"] if r["title"] == "Discriminator Rejection Sampling"]
    assert [a["family-names"] for a in paper["authors"]] == ["Azadi", "Olsson", "Darrell", "Goodfellow", "Odena"]
    assert paper["year"] == 2019 and "ICLR" in paper["collection-title"]
    assert "arXiv:1810.06758" in [i["value"] for i in paper["identifiers"]]
    assert "1810.06758" in paper["url"]


def test_license_file_is_the_mit_license_of_the_authors():
    text = (REPO / "LICENSE").read_text()
    assert text.startswith("MIT License\n")
    assert re.search(r"^Copyright \(c\) \d{4} the drs-book authors$", text, re.M)
    assert "THE SOFTWARE IS PROVIDED \"AS IS\"" in text

