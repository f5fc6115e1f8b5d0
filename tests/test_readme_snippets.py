"""The README's snippets run as written on a small GAN.

The functions here need torch and the snippet's drs_lib modules, not pytest:
``tests/test_install.py`` calls them in fresh virtual environments, one per install line.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import torch
from torch import nn

README = Path(__file__).resolve().parents[1] / "README.md"


def snippet(heading: str) -> str:
    text = README.read_text()
    section = text[text.index(heading):]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


class _Discriminator(nn.Module):
    """A small D with the ``features()`` method the snippet's BCE head reads."""

    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Linear(2, 32), nn.ReLU())
        self.head = nn.Linear(32, 1)

    def features(self, x):
        return self.body(x)

    def forward(self, x):
        return self.head(self.body(x))


def test_drs_snippet_runs_and_writes_its_files(tmp_path):
    torch.manual_seed(0)
    namespace = {
        "G": nn.Sequential(nn.Linear(128, 32), nn.ReLU(), nn.Linear(32, 2)),
        "D": _Discriminator(),
        "real_images": torch.randn(2_000, 2),
    }
    code = compile(snippet("## Use drs_lib in your project"), "README.md", "exec")
    here = os.getcwd()
    os.chdir(tmp_path)  # the snippet writes drs_*.pt and drs.pt where it runs
    try:
        exec(code, namespace)
    finally:
        os.chdir(here)
    assert namespace["x"].shape == (50_000, 2)
    chunks = sorted(tmp_path.glob("drs_*.pt"))
    assert [c.name for c in chunks] == [f"drs_{i:03d}.pt" for i in range(100)]
    assert all(torch.load(c).shape == (10_000, 2) for c in (chunks[0], chunks[-1]))
    # DRS.load gives back the saved sampler: the same samples for the same seed
    again = namespace["sampler"].sample(50_000, gamma_percentile=80, seed=0).x
    assert torch.equal(again, namespace["x"])


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
