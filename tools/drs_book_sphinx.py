"""Sphinx extension for the drs-book (listed in _config.yml under sphinx: local_extensions).

* Alt text: an image without an explicit ``alt`` gets the description stored in its PNG
  (``Description`` text chunk, written by :func:`drs_book.style.figure_output`), instead of
  the file's hash that HTML writers fall back to.
* Styles: adds ``tools/book_static/drs-book.css`` (tables that scroll inside their own box,
  readable result tables).
* Provenance (``tools/book_provenance.py``): every page ends with a footer giving the build date,
  the commit, the ``origin`` remote when there is one, links to the CSV files behind the page
  (copied into ``_static/data/``, listed in ``_static/data/index.html``), what a downloaded
  notebook needs to run, and the citations of the paper and of this companion from
  ``CITATION.cff``. The ``drs-citation`` directive (``book/cite.md``) shows the same citations
  with their BibTeX.

* The γ explorer (:mod:`drs_book.explorer`): BokehJS, copied from the installed ``bokeh``
  package into ``_static/bokeh/``, is added to each page whose HTML carries the explorer's
  marker, so the page loads it from the book's own files (never a CDN).

Offline math is handled by the ``sphinx-mathjax-offline`` extension (MathJax 3 from PyPI,
copied into ``_static/mathjax``), configured in ``_config.yml``.
"""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

from docutils import nodes
from sphinx.util.docutils import SphinxDirective

sys.path.insert(0, str(Path(__file__).resolve().parent))
# drs_book is not installed: the Makefile puts the checkout on PYTHONPATH; a build by hand (or a
# test's sphinx subprocess) finds it here.
if str(Path(__file__).resolve().parents[1]) not in sys.path:
    sys.path.append(str(Path(__file__).resolve().parents[1]))
import book_provenance as provenance  # noqa: E402

STATIC = Path(__file__).resolve().parent / "book_static"
CITATION = "CITATION.cff"
CITE_PAGE = "book/cite"


def png_description(path: Path) -> str | None:
    """The ``Description`` text chunk of a PNG (tEXt or iTXt), or None."""
    try:
        from PIL import Image

        with Image.open(path) as image:
            text = getattr(image, "text", {}) or {}
            description = text.get("Description")
    except Exception:  # noqa: BLE001 - not a readable PNG: leave the image alone
        return None
    return description.strip() if isinstance(description, str) and description.strip() else None


def _image_path(app, node: nodes.image) -> Path | None:
    candidates = node.get("candidates", {})
    relative = candidates.get("*") or candidates.get("image/png") or node.get("uri", "")
    if not relative or "://" in relative or relative.startswith("data:"):
        return None
    path = Path(app.srcdir) / relative.lstrip("/")
    return path if path.is_file() else None


def add_alt_text(app, doctree, docname) -> None:
    for node in doctree.findall(nodes.image):
        if node.get("alt"):
            continue
        path = _image_path(app, node)
        if path is not None and path.suffix.lower() == ".png":
            description = png_description(path)
            if description:
                node["alt"] = description


def add_static(app, config) -> None:
    config.html_static_path.append(str(STATIC))
    root = Path(app.srcdir)
    app.drs_git = provenance.git_facts(root)
    app.drs_date = provenance.build_date()
    citation = root / CITATION
    app.drs_citation = provenance.read_citation(citation) if citation.is_file() else None
    # A config value of kind "html": when the commit or the date changes, Sphinx rewrites every
    # page (without re-reading them), so no page keeps an old commit in its footer.
    config.drs_book_provenance = f"{app.drs_git.commit} {app.drs_git.modified} {app.drs_date}"


def add_footer(app, pagename, templatename, context, doctree) -> None:
    """Append the provenance footer to a page's body and copy its CSV files into the site."""
    if doctree is None or "body" not in context:
        return  # genindex, search: generated pages without a document
    root, out = Path(app.srcdir), Path(app.outdir)
    links = []
    for relative in provenance.page_data_files(root, pagename):
        name = provenance.published_name(relative)
        target = out / provenance.DATA_FOLDER / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(root / relative, target)
        links.append((name, context["pathto"](f"{provenance.DATA_FOLDER}/{name}", 1)))
    data_index = context["pathto"](f"{provenance.DATA_FOLDER}/index.html", 1)
    cite_page = context["pathto"](CITE_PAGE) if CITE_PAGE in app.env.found_docs and pagename != CITE_PAGE else None
    context["body"] += provenance.footer_html(app.drs_git, app.drs_date, links, data_index, cite_page,
                                              app.drs_citation)


def write_data_index(app, exception) -> None:
    if exception is not None or app.builder.format != "html":
        return
    folder = Path(app.outdir) / provenance.DATA_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    files = [p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file() and p.name != "index.html"]
    (folder / "index.html").write_text(provenance.data_index_html(files, app.drs_git, app.drs_date))


class CitationDirective(SphinxDirective):
    """``drs-citation``: how to cite the paper and this companion, read from CITATION.cff."""

    has_content = False

    def run(self) -> list[nodes.Node]:
        path = Path(self.env.srcdir) / CITATION
        self.env.note_dependency(str(path))
        cff = provenance.read_citation(path)
        companion, paper = provenance.citation_lines(cff)
        out: list[nodes.Node] = [nodes.paragraph(text=" ".join(str(cff.get("message", "")).split()))]
        items = nodes.bullet_list()
        for label, text in (("The paper", paper), ("This companion", companion)):
            if text:
                item = nodes.list_item()
                paragraph = nodes.paragraph()
                paragraph += nodes.strong(text=label + ".")
                paragraph += nodes.Text(" " + text)
                item += paragraph
                items += item
        out.append(items)
        block = nodes.literal_block(text=provenance.bibtex(cff))
        block["language"] = "bibtex"
        out.append(block)
        license_text = f"License: {cff.get('license', 'not stated')} (the LICENSE file of the repository)."
        out.append(nodes.paragraph(text=license_text))
        return out


def _explorer():
    from drs_book import explorer

    return explorer


def add_bokeh_js(app, pagename, templatename, context, doctree) -> None:
    """Add BokehJS (from ``_static``) to a page that holds the γ explorer; refuse a version mismatch."""
    body = context.get("body") or ""
    explorer = _explorer()
    if explorer.MARKER not in body:
        return
    import bokeh

    made_with = set(re.findall(rf'{explorer.MARKER}="([^"]+)"', body))
    if made_with != {bokeh.__version__}:
        raise RuntimeError(f"{pagename}: the explorer was made with bokeh {sorted(made_with)} but the book is built "
                           f"with bokeh {bokeh.__version__}; re-execute the notebook")
    for name in explorer.static_js_names():
        app.add_js_file(name)  # added in html-page-context: this page only


def copy_bokeh_js(app, exception) -> None:
    """Copy the BokehJS bundles into the built site's ``_static/bokeh/`` (after Sphinx's own static files)."""
    if exception is not None or app.builder.format != "html":
        return
    explorer = _explorer()
    for source, name in zip(explorer.bokeh_js_files(), explorer.static_js_names()):
        target = Path(app.outdir) / "_static" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)


def setup(app):
    app.add_config_value("drs_book_provenance", "", "html")
    app.connect("config-inited", add_static)
    app.connect("html-page-context", add_bokeh_js)
    app.connect("build-finished", copy_bokeh_js)
    app.connect("doctree-resolved", add_alt_text)
    app.connect("html-page-context", add_footer)
    app.connect("build-finished", write_data_index)
    app.add_directive("drs-citation", CitationDirective)
    app.add_css_file("drs-book.css")
    app.add_js_file("drs-book.js")
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
