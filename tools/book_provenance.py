"""Provenance and citation for every page of the book (used by tools/drs_book_sphinx.py).

Pure functions, so the tests need no Sphinx build:

* :func:`git_facts`: the short commit hash, whether tracked files differ from it, and the
  ``origin`` remote's URL when there is one (``None`` otherwise: nothing is invented);
* :func:`page_data_files`: the CSV files behind a page, found from the executed notebook's run
  facts (``metadata.drs_book.run``: its mode and ``results_dir``) and the naming convention of
  DEVELOPING.md (``<results>/<page>.csv``, ``<results>/<page>_*.csv``,
  ``<results>/claims/<page>.csv``; the ``00_*`` pages read every chapter's claims), plus any
  ``.csv`` path the notebook's ``parameters`` cell names (the appendix's committed sweep);
* :func:`read_citation`, :func:`citation_lines`, :func:`bibtex`: the citations of this companion
  and of the paper, read from ``CITATION.cff`` (never retyped);
* :func:`footer_html`: the footer appended to every page (it names the origin remote unless that
  is a folder on the building machine, as in a clone of a local checkout).
"""

from __future__ import annotations

import ast
import datetime
import html
import json
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import yaml

DATA_FOLDER = "_static/data"
DEFAULT_RESULTS = "results"
EXECUTED = Path("book") / "executed"


@dataclass(frozen=True)
class GitFacts:
    commit: str | None  # short hash; None outside a git checkout
    modified: bool  # tracked files differ from the commit
    remote: str | None  # `git remote get-url origin`, None when there is no such remote


def _git(root: Path, *args: str) -> str | None:
    try:
        result = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return result.stdout.strip() if result.returncode == 0 else None


def git_facts(root: Path) -> GitFacts:
    commit = _git(root, "rev-parse", "--short", "HEAD") or None
    status = _git(root, "status", "--porcelain", "--untracked-files=no") if commit else None
    return GitFacts(commit, bool(status), _git(root, "remote", "get-url", "origin") or None)


def build_date() -> str:
    """Today (UTC), or the date of ``SOURCE_DATE_EPOCH`` when set (reproducible builds)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    moment = (datetime.datetime.fromtimestamp(int(epoch), datetime.timezone.utc) if epoch
              else datetime.datetime.now(datetime.timezone.utc))
    return moment.strftime("%Y-%m-%d")


def is_local_path(remote: str) -> bool:
    """True for a remote that is a folder on the building machine (``/work/main``, ``../x``, ``file://``, ``C:\\x``)."""
    return remote.startswith(("/", ".", "~", "file://")) or re.match(r"[A-Za-z]:[\\/]", remote) is not None


def web_url(remote: str | None) -> str | None:
    """A browsable https URL for a remote (``git@host:owner/name.git`` too), or None."""
    if not remote:
        return None
    match = re.fullmatch(r"(?:ssh://)?git@([^:/]+)[:/](.+?)(?:\.git)?/?", remote)
    if match:
        return f"https://{match.group(1)}/{match.group(2)}"
    match = re.fullmatch(r"https?://(?:[^@/]+@)?(.+?)(?:\.git)?/?", remote)
    return f"https://{match.group(1)}" if match else None


def _run_facts(srcdir: Path, stem: str) -> tuple[dict, str]:
    """(run facts, parameters cell source) of the executed notebook behind a page."""
    path = srcdir / EXECUTED / f"{stem}.ipynb"
    if not path.is_file():
        return {}, ""
    notebook = json.loads(path.read_text())
    source = ""
    for cell in notebook.get("cells", []):
        if cell.get("cell_type") == "code" and "parameters" in cell.get("metadata", {}).get("tags", []):
            source = "".join(cell.get("source", ""))
            break
    return notebook.get("metadata", {}).get("drs_book", {}).get("run", {}), source


def _csv_literals(source: str) -> list[str]:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    return [node.value for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.endswith(".csv")]


def page_data_files(srcdir: Path, docname: str) -> list[Path]:
    """The CSV files behind the page ``docname`` (paths relative to ``srcdir``, existing ones only)."""
    stem = Path(docname).name
    if Path(docname).parent != EXECUTED:
        return []
    facts, parameters_source = _run_facts(srcdir, stem)
    given = facts.get("parameters", {})
    results = Path(given.get("results_dir") or DEFAULT_RESULTS)
    found: list[Path] = []
    if stem.startswith("00_"):
        found += sorted((srcdir / results / "claims").glob("*.csv"))
    else:
        found += [srcdir / results / f"{stem}.csv"] + sorted((srcdir / results).glob(f"{stem}_*.csv"))
        found.append(srcdir / results / "claims" / f"{stem}.csv")
    found += [srcdir / literal for literal in _csv_literals(parameters_source)]
    out: list[Path] = []
    for path in found:
        if path.is_file():
            relative = path.resolve().relative_to(srcdir.resolve())
            if relative not in out:
                out.append(relative)
    return out


def published_name(relative: Path) -> str:
    """Where a data file goes under ``_static/data``: results as ``results/...``, others as they are."""
    parts = relative.parts
    if "results" in parts:  # results/x.csv, _build/quick/results/claims/x.csv
        return Path(*parts[parts.index("results"):]).as_posix()
    return relative.as_posix()


# --- citation (CITATION.cff) ---------------------------------------------------------------

def read_citation(path: Path) -> dict:
    data = yaml.safe_load(path.read_text())
    if not isinstance(data, dict) or "title" not in data or "authors" not in data:
        raise ValueError(f"{path}: not a citation file (title and authors required)")
    return data


def _people(authors: list[dict]) -> list[str]:
    names = []
    for author in authors:
        if "name" in author:
            names.append(str(author["name"]))
        else:
            names.append(" ".join(str(author[k]) for k in ("given-names", "family-names") if author.get(k)))
    return names


def _paper(cff: dict) -> dict | None:
    references = cff.get("references") or []
    return references[0] if references else None


def citation_lines(cff: dict, commit: str | None = None) -> tuple[str, str | None]:
    """(this companion, the paper) as one plain-text line each, from the citation file."""
    companion = (f"{', '.join(_people(cff['authors']))}. {cff['title']}. Version {cff['version']}"
                 + (f", commit {commit}" if commit else "") + "."
                 + (f" {cff['repository-code']}" if cff.get("repository-code") else ""))
    paper = _paper(cff)
    if paper is None:
        return companion, None
    identifiers = [i["value"] for i in paper.get("identifiers", []) if str(i.get("value", "")).startswith("arXiv:")]
    venue = paper.get("collection-title") or paper.get("journal") or ""
    text = (f"{', '.join(_people(paper['authors']))}. {paper['title']}. {venue}, {paper.get('year', '')}."
            + (f" {identifiers[0]}." if identifiers else ""))
    return companion, text


def _bibtex_names(authors: list[dict]) -> str:
    names = []
    for author in authors:
        if "name" in author:
            names.append("{" + str(author["name"]) + "}")
        else:
            names.append(f"{author.get('family-names', '')}, {author.get('given-names', '')}".strip(", "))
    return " and ".join(names)


def bibtex(cff: dict) -> str:
    """BibTeX entries for this companion (@software) and the paper (@inproceedings)."""
    entries = [
        "@software{drs_book,\n"
        f"  title   = {{{cff['title']}}},\n"
        f"  author  = {{{_bibtex_names(cff['authors'])}}},\n"
        f"  version = {{{cff['version']}}},\n"
        f"  license = {{{cff.get('license', '')}}},\n"
        + (f"  url     = {{{cff['repository-code']}}},\n" if cff.get("repository-code") else "")
        + "}"
    ]
    paper = _paper(cff)
    if paper is not None:
        arxiv = [i["value"] for i in paper.get("identifiers", []) if str(i.get("value", "")).startswith("arXiv:")]
        entries.append(
            "@inproceedings{azadi2019drs,\n"
            f"  title     = {{{paper['title']}}},\n"
            f"  author    = {{{_bibtex_names(paper['authors'])}}},\n"
            f"  booktitle = {{{paper.get('collection-title', '')}}},\n"
            f"  year      = {{{paper.get('year', '')}}},\n"
            + (f"  eprint    = {{{arxiv[0].removeprefix('arXiv:')}}},\n  archivePrefix = {{arXiv}},\n" if arxiv else "")
            + (f"  url       = {{{paper['url']}}},\n" if paper.get("url") else "")
            + "}")
    return "\n\n".join(entries)


# --- the footer ------------------------------------------------------------------------------

def footer_html(git: GitFacts, date: str, data_links: list[tuple[str, str]], data_index: str,
                cite_page: str | None, cff: dict | None) -> str:
    """The provenance footer. ``data_links``: (label, relative href) of this page's CSV files;
    ``data_index``: relative href of the list of every data file; ``cite_page``: relative href
    of the Cite page (None if the book has none)."""
    e = html.escape
    commit = (f'commit <code class="drs-commit">{e(git.commit)}</code>'
              + (" (with uncommitted changes)" if git.modified else "")) if git.commit else "no git commit (built outside a checkout)"
    url = web_url(git.remote)
    # A clone of a local checkout has a folder as its origin: that says nothing to a reader elsewhere.
    shown_remote = git.remote if git.remote and not is_local_path(git.remote) else None
    repository = (f' from <a class="drs-repository reference external" href="{e(url)}">{e(url)}</a>' if url
                  else (f" from <code>{e(shown_remote)}</code>" if shown_remote else ""))
    parts = [f'<p>Built on {e(date)} from {commit}{repository}.</p>']
    if data_links:
        links = ", ".join(f'<a class="drs-data" href="{e(href)}" download>{e(label)}</a>' for label, href in data_links)
        parts.append(f'<p>The numbers on this page come from {links} '
                     f'(<a class="drs-data-index" href="{e(data_index)}">every data file of the book</a>).</p>')
    else:
        parts.append(f'<p>This page computes no numbers of its own; '
                     f'<a class="drs-data drs-data-index" href="{e(data_index)}">every data file of the book</a>.</p>')
    parts.append("<p>To rerun a page: its notebook (download button, top right) imports <code>drs_lib</code> "
                 "and <code>drs_book</code>, so it runs in a checkout of the repository set up with "
                 "<code>make setup</code>; each chapter's “Rerun this chapter” box gives the commands.</p>")
    if cff is not None:
        companion, paper = citation_lines(cff, git.commit)
        cite = f"<p><strong>Cite.</strong> The paper: {e(paper)} This companion: {e(companion)}" if paper else \
               f"<p><strong>Cite.</strong> {e(companion)}"
        if cite_page:
            cite += f' (<a class="drs-cite" href="{e(cite_page)}">BibTeX</a>)'
        parts.append(cite + "</p>")
    return '<footer class="drs-provenance">\n' + "\n".join(parts) + "\n</footer>"


def data_index_html(files: list[str], git: GitFacts, date: str) -> str:
    """A plain page listing every data file copied into the site (links relative to it)."""
    e = html.escape
    items = "\n".join(f'<li><a href="{e(name)}" download>{e(name)}</a></li>' for name in sorted(files))
    commit = e(git.commit) if git.commit else "no git commit"
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            "<title>drs-book: data files</title></head>\n<body>\n"
            f"<h1>The data behind the book</h1>\n<p>Built on {e(date)} from commit {commit}. "
            "Tidy CSV files written by the notebooks; <code>results/claims/</code> holds each chapter's "
            f"checked claims and verdicts.</p>\n<ul>\n{items}\n</ul>\n</body></html>\n")
