"""The README's "Quality against diversity on your GAN" snippet runs as written on a small GAN."""

from __future__ import annotations

import re
from pathlib import Path

import torch
from torch import nn

README = Path(__file__).resolve().parents[1] / "README.md"


def snippet(heading: str) -> str:
    text = README.read_text()
    section = text[text.index(heading):]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_quality_diversity_snippet_runs_and_gives_its_rows():
    torch.manual_seed(0)
    namespace = {
        "G": nn.Sequential(nn.Linear(128, 32), nn.ReLU(), nn.Linear(32, 2)),
        "D": nn.Sequential(nn.Linear(2, 32), nn.ReLU(), nn.Linear(32, 1)),
        "real_features": torch.randn(2_500, 2),
        "features": lambda x: x,
    }
    exec(compile(snippet("### Quality against diversity on your GAN"), "README.md", "exec"), namespace)
    rows = namespace["rows"]
    assert [(row["method"], row["percentile"]) for row in rows[1:]] == [
        ("DRS", 50.0), ("threshold", 50.0), ("DRS", 80.0), ("threshold", 80.0), ("DRS", 95.0), ("threshold", 95.0)]
    assert all(0.0 <= row["precision"] <= 1.0 and 0.0 <= row["coverage"] <= 1.0 for row in rows)
