"""tools/book_provenance.py and the footer the Sphinx extension puts on every page."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tools"))
import book_provenance as provenance  # noqa: E402


def git(folder: Path, *args: str) -> str:
    return subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=folder,
                          check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture
def checkout(tmp_path) -> Path:
    folder = tmp_path / "checkout"
    folder.mkdir()
    git(folder, "init", "-q")
    (folder / "a.txt").write_text("one\n")
    git(folder, "add", "a.txt")
    git(folder, "commit", "-q", "-m", "first")
    return folder


def test_git_facts_read_the_commit_and_invent_no_remote(checkout, tmp_path):
    facts = provenance.git_facts(checkout)
    assert facts.commit == git(checkout, "rev-parse", "--short", "HEAD") and not facts.modified
    assert facts.remote is None, "no origin remote: nothing invented"
    (checkout / "a.txt").write_text("two\n")
    assert provenance.git_facts(checkout).modified
    git(checkout, "remote", "add", "origin", "git@github.com:someone/drs-book.git")
    assert provenance.git_facts(checkout).remote == "git@github.com:someone/drs-book.git"
    outside = tmp_path / "not-a-checkout"
    outside.mkdir()
    assert provenance.git_facts(outside) == provenance.GitFacts(None, False, None)


def test_web_url_of_a_remote():
    assert provenance.web_url("git@github.com:someone/drs-book.git") == "https://github.com/someone/drs-book"
    assert provenance.web_url("https://user:token@github.com/someone/drs-book.git") == "https://github.com/someone/drs-book"
    assert provenance.web_url("/srv/git/drs-book.git") is None
    assert provenance.web_url(None) is None


def executed(root: Path, stem: str, results_dir: str | None, parameters_source: str = "") -> None:
    folder = root / "book" / "executed"
    folder.mkdir(parents=True, exist_ok=True)
    run = {"mode": "quick" if results_dir else "full", "parameters": {"results_dir": results_dir} if results_dir else {}}
    notebook = {"cells": [{"cell_type": "code", "metadata": {"tags": ["parameters"]}, "source": parameters_source}],
                "metadata": {"drs_book": {"run": run}}}
    (folder / f"{stem}.ipynb").write_text(json.dumps(notebook))


def touch(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("a,b\n1,2\n")


def test_page_data_files_follow_the_run_facts_and_the_naming(tmp_path):
    quick = "_build/quick/results"
    for name in ("02_mix.csv", "02_mix_tradeoff.csv", "claims/02_mix.csv", "claims/03_other.csv", "03_other.csv"):
        touch(tmp_path / quick / name)
    touch(tmp_path / "results" / "02_mix.csv")  # the full run's file: not this quick page's
    touch(tmp_path / "book" / "data" / "sweep.csv")
    executed(tmp_path, "02_mix", quick, 'sweep_csv = "book/data/sweep.csv"  # committed\nn = 3\n')
    executed(tmp_path, "00_claims", quick)
    executed(tmp_path, "01_full", None)
    touch(tmp_path / "results" / "01_full.csv")
    names = lambda doc: [p.as_posix() for p in provenance.page_data_files(tmp_path, doc)]  # noqa: E731
    assert names("book/executed/02_mix") == [f"{quick}/02_mix.csv", f"{quick}/02_mix_tradeoff.csv",
                                             f"{quick}/claims/02_mix.csv", "book/data/sweep.csv"]
    assert names("book/executed/00_claims") == [f"{quick}/claims/02_mix.csv", f"{quick}/claims/03_other.csv"]
    assert names("book/executed/01_full") == ["results/01_full.csv"]
    assert names("book/bibliography") == []
    assert provenance.published_name(Path(quick) / "claims" / "02_mix.csv") == "results/claims/02_mix.csv"
    assert provenance.published_name(Path("book/data/sweep.csv")) == "book/data/sweep.csv"


def test_citations_come_from_the_citation_file(tmp_path):
    cff = provenance.read_citation(REPO / "CITATION.cff")
    companion, paper = provenance.citation_lines(cff, commit="abc1234")
    assert companion.startswith("drs-book contributors. drs-book: ") and f"Version {cff['version']}, commit abc1234." in companion
    assert paper.startswith("Samaneh Azadi, Catherine Olsson, Trevor Darrell, Ian Goodfellow, Augustus Odena. "
                            "Discriminator Rejection Sampling.") and "2019" in paper and "arXiv:1810.06758" in paper
    entries = provenance.bibtex(cff)
    assert entries.count("@") == 2 and "eprint    = {1810.06758}" in entries
    assert "author    = {Azadi, Samaneh and Olsson, Catherine and Darrell, Trevor and Goodfellow, Ian and Odena, Augustus}" in entries
    with pytest.raises(ValueError, match="title and authors"):
        (tmp_path / "x.cff").write_text("cff-version: 1.2.0\nmessage: hi\n")
        provenance.read_citation(tmp_path / "x.cff")


def test_footer_shows_commit_data_links_needs_and_citation():
    cff = provenance.read_citation(REPO / "CITATION.cff")
    facts = provenance.GitFacts("abc1234", True, None)
    html = provenance.footer_html(facts, "2026-12-06", [("results/02_mix.csv", "../../_static/data/results/02_mix.csv")],
                                  "../../_static/data/index.html", "../cite.html", cff)
    assert '<code class="drs-commit">abc1234</code> (with uncommitted changes)' in html
    assert 'class="drs-data" href="../../_static/data/results/02_mix.csv"' in html
    assert "http" not in html.replace("https://arxiv.org", ""), "no repository URL when there is no remote"
    assert "make setup" in html and "<code>drs_book</code>" in html
    assert "Discriminator Rejection Sampling" in html and 'href="../cite.html"' in html
    with_remote = provenance.footer_html(provenance.GitFacts("abc1234", False, "git@github.com:o/r.git"), "2026-12-06",
                                         [], "index.html", None, None)
    assert 'href="https://github.com/o/r"' in with_remote and "uncommitted" not in with_remote
    assert 'class="drs-data drs-data-index"' in with_remote  # a page without CSVs still links the data
    for folder in ("/work/main", "../drs-book", "file:///srv/git/drs-book.git", "C:\\src\\drs-book"):
        local = provenance.footer_html(provenance.GitFacts("abc1234", False, folder), "2026-12-06", [], "data.html", None, None)
        assert folder not in local and "from commit" in local.replace("</code>", "").replace('<code class="drs-commit">', "")
    other_host = provenance.footer_html(provenance.GitFacts("abc1234", False, "git.example.org:drs-book"), "2026-12-06",
                                        [], "data.html", None, None)
    assert "<code>git.example.org:drs-book</code>" in other_host


def test_data_index_lists_every_file():
    page = provenance.data_index_html(["results/b.csv", "results/a.csv"], provenance.GitFacts("abc1234", False, None), "2026-12-06")
    assert page.index('href="results/a.csv"') < page.index('href="results/b.csv"') and "abc1234" in page


def test_a_sphinx_build_with_the_extension_puts_the_footer_on_every_page(checkout):
    """A tiny book built by Sphinx with the extension: footers, copied CSVs, the Cite page."""
    root = checkout
    (root / "CITATION.cff").write_text((REPO / "CITATION.cff").read_text())
    (root / "book").mkdir()
    (root / "book" / "cite.md").write_text((REPO / "book" / "cite.md").read_text())
    (root / "book" / "executed").mkdir()
    (root / "book" / "executed" / "02_x.md").write_text("# A chapter\n\nSome text.\n")
    executed(root, "02_x", "_build/quick/results")
    touch(root / "_build" / "quick" / "results" / "02_x.csv")
    touch(root / "_build" / "quick" / "results" / "claims" / "02_x.csv")
    (root / "conf.py").write_text(
        f"import sys\nsys.path.insert(0, {str(REPO / 'tools')!r})\n"
        "extensions = ['myst_parser', 'drs_book_sphinx']\nhtml_theme = 'sphinx_book_theme'\n"
        "exclude_patterns = ['_build', '**/*.ipynb']\n")
    (root / "index.md").write_text("# Index\n\n```{toctree}\nbook/executed/02_x\nbook/cite\n```\n")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "book")
    out = root / "_build" / "html"
    result = subprocess.run([sys.executable, "-m", "sphinx", "-q", "-W", "-b", "html", str(root), str(out)],
                            cwd=root, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    commit = git(root, "rev-parse", "--short", "HEAD")
    chapter = (out / "book" / "executed" / "02_x.html").read_text()
    assert f'<code class="drs-commit">{commit}</code>' in chapter and "uncommitted" not in chapter
    assert 'href="../../_static/data/results/02_x.csv"' in chapter
    assert 'href="../../_static/data/results/claims/02_x.csv"' in chapter
    assert (out / "_static" / "data" / "results" / "02_x.csv").read_text() == "a,b\n1,2\n"
    assert 'href="results/02_x.csv"' in (out / "_static" / "data" / "index.html").read_text()
    cite = (out / "book" / "cite.html").read_text()
    assert "@inproceedings" in cite and "@software" in cite and "Discriminator Rejection Sampling" in cite
    for page in (out / "index.html", out / "book" / "cite.html"):
        assert 'class="drs-provenance"' in page.read_text(), page
    assert 'class="drs-data drs-data-index"' in (out / "index.html").read_text()  # no CSVs: the list of all
    assert "drs-book.js" in chapter and (out / "_static" / "drs-book.js").is_file()
