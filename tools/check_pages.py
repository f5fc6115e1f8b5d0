"""Open every page of the built book in headless Chromium, as a reader would, and check it.

    python tools/check_pages.py _build/html [--screenshots _build/screenshots]
                                [--expected tools/check_pages_expected.txt]

Each page is opened from disk (file://) with every network request blocked, at a 1400 px
and a 400 px wide window. Checks, per page and width (name: what fails it):

* ``offline``: the page asked for anything on the network (MathJax from a CDN, fonts, ...).
* ``images``: an <img> did not load (naturalWidth 0).
* ``math``: MathJax is missing or failed, a formula has an error, or raw ``\\(``, ``\\[`` or
  ``$$`` is left in the visible text (code blocks excepted).
* ``errors``: an error, traceback or stderr output is shown.
* ``nbval``: ``NBVAL_CHECK_OUTPUT`` appears on the page.
* ``placeholder``: a table cell reads ``-1`` (a placeholder that reads as a value).
* ``truncated``: a table cell is cut off (ends in ``...``).
* ``header-row``, ``index``, ``headers``: a table has an orphan header row (one label over
  empty cells), shows a frame's row numbers 0..n-1, or has snake_case code names as headers.
* ``overflow``: a table, figure, image or formula sticks out of the content column without
  scrolling inside its own container (a box that clips it, ``overflow: hidden``, hides columns
  and counts as overflow); at 400 px only tables are judged (images scale down).
* ``markup``: MyST markup left as text, e.g. ``{glue:text}`` or ``{doc}`` inside backticks.
* ``figure-label``: two figures on one page share a label ("Figure 06-B." twice).
* ``interval-range``: a printed interval of a percentage reaches below 0 % or above 100 %.
* ``page-width`` (400 px): the page itself scrolls sideways on a phone.
* ``page-height`` (1400 px): the page is longer than :data:`MAX_PAGE_HEIGHT_PX` CSS pixels
  (``document.documentElement.scrollHeight``, with folded boxes closed, as a reader first sees it).
* ``dpi`` (1400 px): a raster image is shown at under 150 dpi relative to its CSS size
  (naturalWidth / displayed width x 96).
* ``alt``: an image has no alt text, or only its file name (a hash).
* ``bold``: a bold span is a clause, not a value or a label (:func:`bold_failure` says the rule):
  a glued number turned a whole clause bold, or a sentence was set in bold.
* ``provenance``: the page lacks the footer of ``tools/book_provenance.py`` with a commit hash
  and at least one data link (its CSV files, or the list of every data file) that exists in the
  built site.
* ``scroll-cue``: a table wider than its box scrolls without the visible cue that
  ``drs-book.js`` puts above it (the reader would not know that columns are hidden).
* ``search``: the page shows more than one search box or button (the theme's sidebar field
  beside the header's; ``_config.yml`` keeps one).
* ``explorer``: on a page holding the γ explorer (``drs_book.explorer``), BokehJS did not load,
  or moving its slider (setting the Bokeh model's value, as a drag does) left the numbers it
  displays unchanged (:data:`EXPLORER_PROBE`, :func:`explorer_failures`).

A full-page screenshot of each page at each width goes to ``--screenshots``
(``<page>-1400.png``, ``<page>-400.png``).

``--expected`` names a file of known failures, one ``<page> <check>`` per line (``#``
comments). They are reported but do not fail the run; a listed failure that no longer
happens fails it (remove the line), so the list only shrinks.

The browser is Debian's ``chromium`` (``/usr/bin/chromium``; ``$CHROMIUM`` overrides it),
driven by Playwright's Python package; Playwright's own browser download is not used.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

WIDTHS = (1400, 400)
CHECKS = ("offline", "images", "math", "errors", "nbval", "placeholder", "truncated", "header-row",
          "index", "headers", "overflow", "page-width", "dpi", "alt", "markup", "figure-label", "interval-range",
          "bold", "provenance", "scroll-cue", "search", "explorer", "page-height")
MARKUP = re.compile(r"\{(glue|glue:text|glue:md|glue:figure|doc|ref|cite|cite:p|cite:t|numref|eq)\}`?")
FIGURE_LABEL = re.compile(r"^(Figure [0-9A-Za-z]+(?:[-–][0-9A-Za-z]+)?)(?: \(paper\))?\.")
PERCENT_INTERVAL = re.compile(r"\[([−-]?\d+(?:\.\d+)?), ([−-]?\d+(?:\.\d+)?)\] ?%")
HEIGHT = 900
MIN_DPI = 150.0
# Issue 27: a chapter should read in one sitting; past this height (CSS px, 1400 px wide, folds closed)
# split it, or fold its supporting material (diagnostics, per-model tables) into closed dropdowns.
# make check-book measures the quick book, whose pages came out within a few per cent of the full
# book's (chapter 06 before the folds: 13,811 px quick, 13,648 full), so a page near the line needs margin.
MAX_PAGE_HEIGHT_PX = 10_000
SKIP_PAGES = {"genindex.html", "search.html"}

# Runs in the page; returns the facts the checks need (all measured by the browser).
MEASURE = r"""
async () => {
  const imgs = Array.from(document.querySelectorAll('img'));
  imgs.forEach(img => { img.loading = 'eager'; });
  await Promise.all(imgs.map(img => img.complete ? null : new Promise(r => { img.onload = img.onerror = r; })));
  const mathNodes = document.querySelectorAll('.math, span.math, div.math');
  let mathjax = 'absent';
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
    try { await MathJax.startup.promise; mathjax = 'ok'; } catch (e) { mathjax = 'failed: ' + e; }
  }
  const pageHeight = document.documentElement.scrollHeight;  // images loaded, math typeset, folds closed
  const article = document.querySelector('article.bd-article') || document.querySelector('main') || document.body;
  const column = article.getBoundingClientRect();
  const clone = article.cloneNode(true);
  clone.querySelectorAll('pre, code, script, style, .highlight, mjx-assistive-mml').forEach(n => n.remove());
  const hidden = document.createElement('div');
  hidden.style.position = 'absolute'; hidden.style.left = '-99999px'; hidden.style.width = column.width + 'px';
  hidden.appendChild(clone); document.body.appendChild(hidden);
  const proseText = clone.innerText;
  // Inline code stays (a role inside backticks renders as code), code blocks and cell inputs go.
  const markupClone = article.cloneNode(true);
  markupClone.querySelectorAll('pre, script, style, .highlight, .cell_input, mjx-assistive-mml').forEach(n => n.remove());
  hidden.innerHTML = ''; hidden.appendChild(markupClone);
  const markupText = markupClone.innerText; hidden.remove();
  const captions = Array.from(article.querySelectorAll('figcaption')).map(c => c.innerText.trim());
  const scrollsInside = (el) => {
    for (let a = el.parentElement; a && a !== article.parentElement; a = a.parentElement) {
      const ox = getComputedStyle(a).overflowX;
      if (ox === 'auto' || ox === 'scroll') {
        const r = a.getBoundingClientRect();
        return r.right <= column.right + 1 && r.left >= column.left - 1;
      }
      if (a === article) break;
    }
    return false;
  };
  const describe = (el) => {
    if (el.tagName === 'IMG') return 'image ' + (el.getAttribute('src') || '').split('/').pop();
    const caption = el.querySelector && el.querySelector('caption, figcaption');
    const text = (caption ? caption.innerText : el.innerText || '').trim().replace(/\s+/g, ' ').slice(0, 50);
    return el.tagName.toLowerCase() + (text ? ' "' + text + '"' : '');
  };
  const overflowing = [];
  article.querySelectorAll('table, img, figure, svg, mjx-container[display="true"]').forEach(el => {
    const r = el.getBoundingClientRect();
    if (r.width === 0) return;
    const over = Math.max(r.right - column.right, column.left - r.left);
    if (over > 1 && !scrollsInside(el)) overflowing.push({what: describe(el), px: Math.round(over), table: el.tagName === 'TABLE'});
  });
  const images = imgs.map(img => {
    const r = img.getBoundingClientRect();
    const src = img.getAttribute('src') || '';
    return {src: src.split('/').pop(), loaded: img.naturalWidth > 0, natural: img.naturalWidth,
            shown: r.width, alt: img.getAttribute('alt') || '', raster: /\.(png|jpe?g|gif|webp)$/i.test(src),
            inArticle: article.contains(img)};
  });
  const cells = Array.from(article.querySelectorAll('td, th')).map(c => c.innerText.trim());
  const tables = Array.from(article.querySelectorAll('table')).map(t => ({
    name: describe(t),
    headRows: Array.from(t.querySelectorAll('thead tr')).map(r => Array.from(r.children).map(c => c.innerText.trim())),
    rowHeaders: Array.from(t.querySelectorAll('tbody tr')).map(r => r.children[0] && r.children[0].tagName === 'TH' ? r.children[0].innerText.trim() : null),
  }));
  // A bare value a cell returned (its last line), shown as plain text: this book places numbers
  // with glue and tables as HTML, so such an output is always a stray.
  const strays = Array.from(article.querySelectorAll('.cell_output .output.text_plain'))
    .map(e => e.innerText.trim().replace(/\s+/g, ' ').slice(0, 60));
  const errors = Array.from(article.querySelectorAll(
      '.output.stderr, .output.error, .output.traceback, .stderr, .traceback, .nb-error'))
    .map(e => e.innerText.trim().replace(/\s+/g, ' ').slice(0, 80));
  // Bold runs, by the computed weight (a <strong>, or a style that makes text bold, such as a
  // theme's rule for glued values): the outermost bold element of each run, outside headings,
  // table headers and the like; its text, the glued values in it, and whether it leads its block
  // (a run-in label such as "**Data.**" or "**Figure 3 (paper).**").
  const heavy = (el) => parseInt(getComputedStyle(el).fontWeight, 10) >= 600;
  const notProse = 'h1, h2, h3, h4, h5, h6, th, thead, caption, dt, summary, nav, .admonition-title, .sd-card-header, pre, code';
  const bold = Array.from(article.querySelectorAll('*')).filter(el =>
      heavy(el) && !(el.parentElement && heavy(el.parentElement)) && !el.closest(notProse) && el.innerText.trim())
    .map(el => {
      const block = el.closest('p, li, dd, td, figcaption, div') || el.parentElement;
      let before = '';
      const walker = document.createTreeWalker(block, NodeFilter.SHOW_TEXT);
      for (let n = walker.nextNode(); n && !el.contains(n); n = walker.nextNode()) before += n.textContent;
      const glued = el.matches('.pasted-text, .pasted-inline') ? [el] : Array.from(el.querySelectorAll('.pasted-text, .pasted-inline'));
      return {text: el.innerText.trim().replace(/\s+/g, ' '), glued: glued.map(g => g.innerText.trim().replace(/\s+/g, ' ')),
              lead: before.trim() === ''};
    });
  const footer = document.querySelector('footer.drs-provenance');
  const provenance = footer ? {
    commit: (footer.querySelector('.drs-commit') || {}).innerText || '',
    links: Array.from(footer.querySelectorAll('a.drs-data')).map(a => a.getAttribute('href')),
  } : null;
  if (window.drsBookMarkTables) window.drsBookMarkTables();
  const scrollBoxes = Array.from(article.querySelectorAll('table')).map(t => {
    for (let a = t.parentElement; a && a !== article; a = a.parentElement) {
      const ox = getComputedStyle(a).overflowX;
      if (ox === 'auto' || ox === 'scroll') {
        const cue = a.previousElementSibling;
        // shown with its table (in a folded box both are hidden until it is unfolded)
        const shown = (x) => getComputedStyle(x).display !== 'none' && getComputedStyle(x).visibility !== 'hidden';
        const visible = !!(cue && cue.classList.contains('drs-scroll-cue') && (shown(cue) || !shown(a)));
        return {what: describe(t), hidden: Math.max(0, a.scrollWidth - a.clientWidth), cue: visible};
      }
    }
    return null;
  }).filter(x => x);
  const searches = Array.from(document.querySelectorAll('.search-button-field, .search-button, form.bd-search, input[type=search]'))
    .filter(e => { const r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0 && getComputedStyle(e).visibility !== 'hidden'; })
    .filter((e, i, all) => !all.some(o => o !== e && o.contains(e))).length;
  return {
    bold, provenance, scrollBoxes, searches,
    mathjax, mathCount: mathNodes.length,
    typeset: document.querySelectorAll('mjx-container').length,
    mathErrors: document.querySelectorAll('mjx-merror').length,
    proseText, markupText, captions, fullText: article.innerText, overflowing, images, cells, tables, errors, strays,
    pageWidth: document.documentElement.scrollWidth, windowWidth: window.innerWidth, pageHeight,
    columnWidth: column.width,
  };
}
"""

# Runs in a page holding the γ explorer: the numbers it displays (rendered text, inside Bokeh's
# shadow roots), then the slider moved to its other end, then the numbers again. None: no explorer.
EXPLORER_PROBE = r"""
async () => {
  const block = document.querySelector('.drs-explorer');
  if (!block) return null;
  const wait = (ms) => new Promise(r => setTimeout(r, ms));
  const ready = () => window.Bokeh && Bokeh.documents && Bokeh.documents.length > 0;
  for (let t = 0; t < 100 && !ready(); t++) await wait(100);
  if (!ready()) return {loaded: false};
  const find = (node, selector) => {
    if (node.querySelector) { const hit = node.querySelector(selector); if (hit) return hit; }
    for (const el of (node.querySelectorAll ? node.querySelectorAll('*') : [])) {
      if (el.shadowRoot) { const hit = find(el.shadowRoot, selector); if (hit) return hit; }
    }
    return null;
  };
  const shown = async () => {
    for (let t = 0; t < 50; t++) { const el = find(block, '.drs-explorer-numbers'); if (el) return el.innerText; await wait(100); }
    return null;
  };
  const doc = Bokeh.documents[0];
  const slider = doc.get_model_by_name('gamma_slider');
  if (!slider || !doc.get_model_by_name('explorer_numbers')) return {loaded: true, models: false};
  const before = await shown();
  const start = slider.value;
  slider.value = (start === slider.start) ? slider.end : slider.start;
  await wait(300);
  return {loaded: true, models: true, start: start, moved_to: slider.value, before: before, after: await shown()};
}
"""
NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


def explorer_failures(page: str, width: int, probe: dict | None) -> list[Failure]:
    """The ``explorer`` check on what :data:`EXPLORER_PROBE` returned (None: the page has no explorer)."""
    if probe is None:
        return []

    def fail(message: str) -> list[Failure]:
        return [Failure(page, "explorer", width, message)]

    if not probe.get("loaded"):
        return fail("the γ explorer is on the page but BokehJS did not load (is it in _static?)")
    if not probe.get("models"):
        return fail("the γ explorer has no 'gamma_slider' or 'explorer_numbers' model")
    before, after = probe.get("before"), probe.get("after")
    if not before or not after:
        return fail("the γ explorer's numbers are not displayed")
    if probe.get("moved_to") == probe.get("start"):
        return fail("the γ explorer's slider did not move")
    if NUMBER.findall(before) == NUMBER.findall(after):
        return fail(f"moving the slider from {probe.get('start')} to {probe.get('moved_to')} left the numbers "
                    f"unchanged: {after[:80]!r}")
    return []


@dataclass(frozen=True)
class Failure:
    page: str
    check: str
    width: int
    message: str


def pages(root: Path) -> list[Path]:
    found = []
    for path in sorted(root.rglob("*.html")):
        relative = path.relative_to(root)
        if relative.parts[0].startswith("_") or relative.name in SKIP_PAGES:
            continue
        if 'http-equiv="Refresh"' in path.read_text(errors="replace")[:2000]:
            continue  # Jupyter Book's root index.html only redirects to the first page
        found.append(path)
    return found


def page_name(root: Path, path: Path) -> str:
    return path.relative_to(root).with_suffix("").as_posix()


def evaluate(page: str, width: int, facts: dict, requests: list[str]) -> list[Failure]:
    failures: list[Failure] = []

    def fail(check: str, message: str) -> None:
        failures.append(Failure(page, check, width, message))

    if requests:
        fail("offline", f"{len(requests)} network request(s), e.g. {requests[0]}")
    for image in facts["images"]:
        if not image["loaded"]:
            fail("images", f"image {image['src']} did not load")
    if facts["mathCount"]:
        if facts["mathjax"] != "ok":
            fail("math", f"MathJax {facts['mathjax']} ({facts['mathCount']} formulas untypeset)")
        elif facts["typeset"] == 0:
            fail("math", f"{facts['mathCount']} formulas but nothing typeset")
    if facts["mathErrors"]:
        fail("math", f"{facts['mathErrors']} formula(s) with a MathJax error")
    for raw in ("\\(", "\\[", "$$"):
        if raw in facts["proseText"]:
            at = facts["proseText"].index(raw)
            fail("math", f"raw {raw} in the text: …{facts['proseText'][max(0, at - 30):at + 30]!r}…")
    if width == WIDTHS[0]:  # content checks: once per page
        for error in facts["errors"]:
            fail("errors", f"error/stderr output shown: {error!r}")
        for stray in facts["strays"]:
            fail("stray-output", f"a cell's bare return value is shown as text: {stray!r} (end the line with ';')")
        if "NBVAL_CHECK_OUTPUT" in facts["fullText"]:
            fail("nbval", "NBVAL_CHECK_OUTPUT cell shown")
        placeholders = [c for c in facts["cells"] if c in ("-1", "−1", "-1.0", "-1.00")]
        if placeholders:
            fail("placeholder", f"{len(placeholders)} table cell(s) read -1")
        cut = [c for c in facts["cells"] if c.endswith(("...", "…"))]
        if cut:
            fail("truncated", f"{len(cut)} table cell(s) cut off, e.g. {cut[0]!r}")
        for table in facts["tables"]:
            table_failures(table, fail)
        for image in facts["images"]:
            if image["inArticle"] and (not image["alt"].strip() or image["alt"] == image["src"]
                                       or image["alt"].split("/")[-1] == image["src"]):
                fail("alt", f"image {image['src']} has no descriptive alt text")
        for match in MARKUP.finditer(facts.get("markupText", "")):
            at = match.start()
            fail("markup", f"MyST markup shown as text: …{facts['markupText'][max(0, at - 30):at + 40]!r}…")
            break
        labels = [m.group(1) for c in facts.get("captions", []) if (m := FIGURE_LABEL.match(c))]
        for label in sorted({label for label in labels if labels.count(label) > 1}):
            fail("figure-label", f"{labels.count(label)} figures labelled {label!r}")
        for match in PERCENT_INTERVAL.finditer(facts["proseText"]):
            low, high = (float(v.replace("−", "-")) for v in match.groups())
            if low < 0 or high > 100:
                fail("interval-range", f"interval {match.group(0)!r} leaves [0, 100] %")
        for span in facts.get("bold", []):
            why = bold_failure(span)
            if why:
                fail("bold", f"bold {span['text'][:70]!r}: {why}")
        if "provenance" in facts:
            why = provenance_failure(facts["provenance"])
            if why:
                fail("provenance", why)
        if facts.get("pageHeight", 0) > MAX_PAGE_HEIGHT_PX:
            fail("page-height", f"the page is {facts['pageHeight']:,} px long at {width} px wide (at most "
                                f"{MAX_PAGE_HEIGHT_PX:,}, issue 27): fold supporting material or split the page")
    if facts.get("searches", 1) > 1:
        fail("search", f"{facts['searches']} search boxes or buttons shown (one is enough)")
    for box in facts.get("scrollBoxes", []):
        if box["hidden"] > 1 and not box["cue"]:
            fail("scroll-cue", f"{box['what']} hides {box['hidden']} px of columns with no visible scroll cue")
    for item in facts["overflowing"]:
        item = item if isinstance(item, dict) else {"what": str(item), "px": 0, "table": True}
        if width >= 1000 or item["table"]:
            fail("overflow", f"{item['what']} by {item['px']} px beyond the content column ({facts['columnWidth']:.0f} px)")
    if width >= 1000:
        for image in facts["images"]:
            if image["loaded"] and image["raster"] and image["shown"] > 0 and image["inArticle"]:
                dpi = image["natural"] / image["shown"] * 96
                if dpi < MIN_DPI - 0.5:
                    fail("dpi", f"image {image['src']} shown at {dpi:.0f} dpi "
                                f"({image['natural']} px shown {image['shown']:.0f} px wide)")
    else:
        if facts["pageWidth"] > facts["windowWidth"] + 1:
            fail("page-width", f"page is {facts['pageWidth']} px wide in a {facts['windowWidth']} px window")
    return failures


#: A bold glued value may carry a unit or a short label ("12 %", "iteration 2,000"), not a clause.
BOLD_EXTRA_WORDS = 2
#: Bold text that is not a run-in label (at the start of its paragraph) is at most a short phrase.
BOLD_MAX_CHARS, BOLD_MAX_WORDS = 40, 6
#: A run-in label ("**Does DRS accept in the tails, not only at the centres?**") is at most a line.
LEAD_MAX_CHARS = 90


def bold_failure(span: dict) -> str | None:
    """Why a bold span reads as a bold clause (None when it is a value, a unit or a label).

    ``span``: ``text`` (the bold text), ``glued`` (texts of the glued values inside it), ``lead``
    (nothing but white space before it in its paragraph, list item or caption). The rule:

    * a glued value in bold must be a value, not a phrase (at most 3 words);
    * a run-in label (``lead``) may be up to ``LEAD_MAX_CHARS`` characters, glued numbers in it or not;
    * inside a sentence, a span holding glued values may add at most ``BOLD_EXTRA_WORDS`` words of
      its own (a unit, a short label), and any other bold span is at most ``BOLD_MAX_CHARS``
      characters and ``BOLD_MAX_WORDS`` words.
    """
    text = span["text"]
    glued = [g for g in span.get("glued", []) if g]
    if span.get("lead") and len(text) <= LEAD_MAX_CHARS and not any(len(g.split()) > 3 for g in glued):
        return None  # a run-in label, glued numbers in it or not ("**% HQ closest to 70**, then ...")
    if glued:
        rest = text
        for value in glued:
            rest = rest.replace(value, " ", 1)
        extra = [word for word in rest.split() if any(c.isalnum() for c in word)]  # "%", "," are not words
        if len(extra) > BOLD_EXTRA_WORDS:
            return f"a glued value with {len(extra)} more words in bold (a value may carry a unit, not a clause)"
        long_values = [g for g in glued if len(g.split()) > 3]
        if long_values:
            return f"a glued phrase set in bold ({long_values[0][:40]!r}): glue values as plain text"
        return None
    if span.get("lead"):
        return None if len(text) <= LEAD_MAX_CHARS else f"a run-in label of {len(text)} characters (at most {LEAD_MAX_CHARS})"
    if len(text) > BOLD_MAX_CHARS or len(text.split()) > BOLD_MAX_WORDS:
        return (f"{len(text)} characters, {len(text.split())} words inside a sentence "
                f"(at most {BOLD_MAX_CHARS} characters and {BOLD_MAX_WORDS} words)")
    return None


COMMIT = re.compile(r"^[0-9a-f]{7,40}$")


def provenance_failure(footer: dict | None) -> str | None:
    """Why a page's provenance footer is missing or incomplete (None when it is complete).

    ``footer``: None when the page has none, else ``commit`` (its text) and ``links``: for each
    data link, whether its target exists in the built site (``exists``) and its ``href``.
    """
    if footer is None:
        return "no provenance footer (commit, build date, data links): tools/drs_book_sphinx.py adds it"
    if not COMMIT.match(footer.get("commit", "").strip()):
        return f"the footer shows no commit hash (got {footer.get('commit', '')!r})"
    links = footer.get("links", [])
    if not links:
        return "the footer links no data (its CSV files, or the list of every data file)"
    missing = [link["href"] for link in links if not link["exists"]]
    if missing:
        return f"{len(missing)} data link(s) lead nowhere in the built site, e.g. {missing[0]}"
    return None


SNAKE_CASE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)+$")


def table_failures(table: dict, fail) -> None:
    """Tables for people: no orphan header rows, no bare row numbers, no snake_case headers."""
    rows = table["headRows"]
    for row in rows:
        if len(row) >= 3 and sum(1 for c in row if c) == 1 and len(rows) > 1:
            fail("header-row", f"{table['name']}: orphan header row {[c for c in row if c]}")
    headers = rows[-1] if rows else []
    numbers = [h for h in table["rowHeaders"] if h is not None]
    if len(numbers) >= 2 and numbers == [str(i) for i in range(len(numbers))]:
        fail("index", f"{table['name']}: shows the frame's row numbers 0..{len(numbers) - 1} as a column")
    snake = [h for row in rows for h in row if SNAKE_CASE.match(h)]
    if snake:
        fail("headers", f"{table['name']}: code names as headers: {', '.join(snake[:4])}")


def link_target(page: Path, href: str) -> dict:
    """A relative link of a page on disk: whether the file it names exists."""
    relative = href.split("#", 1)[0].split("?", 1)[0]
    exists = bool(relative) and "://" not in relative and (page.parent / relative).resolve().is_file()
    return {"href": href, "exists": exists}


def explore_page(page, name: str, width: int, screenshots: Path | None) -> list[Failure]:
    """The ``explorer`` check in an open page; with ``--screenshots``, the page after the slider moved too."""
    try:
        probe = page.evaluate(EXPLORER_PROBE)
    except Exception as error:  # noqa: BLE001 - a broken page (e.g. a BokehJS bundle missing) is a failure, not a crash
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        return [Failure(name, "explorer", width, f"probing the γ explorer raised: {first[:160]}")]
    if probe is not None and screenshots is not None:
        page.screenshot(path=str(screenshots / f"{name.replace('/', '__')}-{width}-moved.png"), full_page=True)
    return explorer_failures(name, width, probe)


def chromium_path() -> str:
    path = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        raise SystemExit(
            "error: no Chromium found. Install Debian's package (as root: apt-get install -y chromium; "
            "`bash tools/ensure_chromium.sh` does it) or set CHROMIUM=/path/to/chrome.")
    return path


def check(root: Path, screenshots: Path | None) -> tuple[list[Failure], list[str]]:
    from playwright.sync_api import sync_playwright

    failures: list[Failure] = []
    checked: list[str] = []
    if screenshots is not None:
        screenshots.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(),
                                             args=["--no-sandbox", "--disable-gpu", "--allow-file-access-from-files"])
        try:
            for path in pages(root):
                name = page_name(root, path)
                checked.append(name)
                for width in WIDTHS:
                    context = browser.new_context(viewport={"width": width, "height": HEIGHT}, device_scale_factor=1)
                    page = context.new_page()
                    requests: list[str] = []

                    def route(route, requests=requests):
                        if route.request.url.startswith(("file:", "data:", "blob:", "about:")):
                            route.continue_()
                        else:
                            requests.append(route.request.url)
                            route.abort()

                    page.route("**/*", route)
                    page.goto(path.resolve().as_uri(), wait_until="load")
                    facts = page.evaluate(MEASURE)
                    if facts.get("provenance") is not None:
                        facts["provenance"]["links"] = [link_target(path, href) for href in facts["provenance"]["links"]]
                    failures += evaluate(name, width, facts, requests)
                    if screenshots is not None:
                        target = screenshots / f"{name.replace('/', '__')}-{width}.png"
                        page.screenshot(path=str(target), full_page=True)
                    failures += explore_page(page, name, width, screenshots)
                    context.close()
        finally:
            browser.close()
    return failures, checked


def read_expected(path: Path | None) -> set[tuple[str, str]]:
    if path is None or not path.exists():
        return set()
    expected = set()
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            page, check_name = line.split()
            expected.add((page, check_name))
    return expected


def report(failures: list[Failure], checked: list[str], expected: set[tuple[str, str]]) -> int:
    found = {(f.page, f.check) for f in failures}
    unexpected = [f for f in failures if (f.page, f.check) not in expected]
    known = [f for f in failures if (f.page, f.check) in expected]
    fixed = sorted((p, c) for p, c in expected if (p, c) not in found and p in checked)
    stale = sorted((p, c) for p, c in expected if p not in checked)
    for title, items in (("FAIL", unexpected), ("known (listed in --expected)", known)):
        if items:
            print(f"\n{title}:")
            for f in sorted(items, key=lambda f: (f.page, f.check, f.width)):
                print(f"  {f.page} [{f.check}, {f.width} px] {f.message}")
    if fixed or stale:
        print("\nlisted as expected failures but not failing (remove these lines from the list):")
        for page, check_name in fixed + stale:
            print(f"  {page} {check_name}")
    pages_failing = sorted({f.page for f in failures})
    print(f"\nchecked {len(checked)} pages at {' and '.join(map(str, WIDTHS))} px: "
          f"{len(unexpected)} unexpected failure(s), {len(known)} known, {len(fixed) + len(stale)} fixed; "
          f"pages with any failure: {', '.join(pages_failing) or 'none'}")
    summary = {}
    for f in failures:
        summary.setdefault(f.page, set()).add(f.check)
    if summary:
        print("still failing, per page: " + "; ".join(f"{p}: {', '.join(sorted(c))}" for p, c in sorted(summary.items())))
    failed = len({(f.page, f.check) for f in unexpected}) + len(fixed) + len(stale)
    total = len(checked) * len(CHECKS)
    print(f"page check: {total - failed} passed, {failed} failed")
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("html", type=Path, help="the built book (folder holding index.html)")
    parser.add_argument("--screenshots", type=Path, default=None, help="folder for full-page screenshots")
    parser.add_argument("--expected", type=Path, default=None, help="file of known failures: '<page> <check>' lines")
    args = parser.parse_args(argv)
    if not (args.html / "index.html").is_file():
        raise SystemExit(f"error: {args.html}/index.html does not exist; build the book first")
    failures, checked = check(args.html, args.screenshots)
    return report(failures, checked, read_expected(args.expected))


if __name__ == "__main__":
    sys.exit(main())
