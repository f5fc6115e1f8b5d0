"""Sphinx extension for the drs-book (listed in _config.yml under sphinx: local_extensions).

* Alt text: an image without an explicit ``alt`` gets the description stored in its PNG
  (``Description`` text chunk, written by :func:`drs_book.style.figure_output`), instead of
  the file's hash that HTML writers fall back to.
* Styles: adds ``tools/book_static/drs-book.css`` (tables that scroll inside their own box,
  readable result tables).

* The γ explorer (:mod:`drs_book.explorer`): BokehJS, copied from the installed ``bokeh``
  package into ``_static/bokeh/``, is added to each page whose HTML carries the explorer's
  marker, so the page loads it from the book's own files (never a CDN).

Offline math is handled by the ``sphinx-mathjax-offline`` extension (MathJax 3 from PyPI,
copied into ``_static/mathjax``), configured in ``_config.yml``.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from docutils import nodes

STATIC = Path(__file__).resolve().parent / "book_static"


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


def _explorer():
    from drs_book import explorer  # the checkout is on PYTHONPATH (Makefile)

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
    app.connect("config-inited", add_static)
    app.connect("html-page-context", add_bokeh_js)
    app.connect("build-finished", copy_bokeh_js)
    app.connect("doctree-resolved", add_alt_text)
    app.add_css_file("drs-book.css")
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
