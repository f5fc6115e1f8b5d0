"""Print the height in CSS pixels of every page of a built book, at laptop and phone width.

    .venv/bin/python tools/page_heights.py _build/html [--csv OUT]

Issue 27 asks that no chapter read longer than 10,000 px at 1,400 px wide (the page check's
``page-height``, ``check_pages.MAX_PAGE_HEIGHT_PX``; pages over it are marked); this tool
measures what a reader scrolls (``document.documentElement.scrollHeight``) in headless Chromium.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

from check_pages import HEIGHT, MAX_PAGE_HEIGHT_PX, chromium_path, page_name, pages  # noqa: E402

WIDTHS = (1400, 400)


def heights(root: Path) -> list[tuple[str, int, int]]:
    from playwright.sync_api import sync_playwright

    rows = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(),
                                             args=["--no-sandbox", "--disable-gpu", "--allow-file-access-from-files"])
        try:
            for path in pages(root):
                measured = []
                for width in WIDTHS:
                    context = browser.new_context(viewport={"width": width, "height": HEIGHT}, device_scale_factor=1)
                    page = context.new_page()
                    page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(
                        ("file:", "data:", "blob:", "about:")) else route.abort())
                    page.goto(path.resolve().as_uri(), wait_until="load")
                    measured.append(int(page.evaluate("document.documentElement.scrollHeight")))
                    context.close()
                rows.append((page_name(root, path), *measured))
        finally:
            browser.close()
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", type=Path, help="the built HTML folder, e.g. _build/html")
    parser.add_argument("--csv", type=Path, help="also write the heights to this CSV")
    args = parser.parse_args()
    rows = heights(args.root)
    print(f"{'page':48s} {WIDTHS[0]:>8d} {WIDTHS[1]:>8d}")
    for name, wide, narrow in rows:
        over = f"  over {MAX_PAGE_HEIGHT_PX:,} px" if wide > MAX_PAGE_HEIGHT_PX else ""
        print(f"{name:48s} {wide:8d} {narrow:8d}{over}")
    if args.csv:
        args.csv.write_text("page,height_1400,height_400\n" + "".join(f"{n},{w},{p}\n" for n, w, p in rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
