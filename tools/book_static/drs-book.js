/* drs-book (added by tools/drs_book_sphinx.py): a table wider than its scrolling box gets a
   visible cue above it and a shadow at the edge it hides, on any screen. No network, no library. */
(function () {
  "use strict";
  // The box that scrolls a table: its nearest ancestor with overflow-x auto or scroll.
  function scrollBox(table) {
    for (var a = table.parentElement; a && a !== document.body; a = a.parentElement) {
      var ox = getComputedStyle(a).overflowX;
      if (ox === "auto" || ox === "scroll") { return a; }
    }
    return null;
  }
  function mark(box) {
    var wide = box.scrollWidth > box.clientWidth + 1;
    box.classList.toggle("drs-scrolls", wide);
    box.classList.toggle("drs-scrolled-end", wide && box.scrollLeft + box.clientWidth >= box.scrollWidth - 1);
    var cue = box.previousElementSibling;
    var has = cue && cue.classList.contains("drs-scroll-cue");
    if (wide && !has) {
      cue = document.createElement("span");
      cue.className = "drs-scroll-cue";
      cue.textContent = "\u2194 This table is wider than the screen: scroll it sideways.";
      box.parentNode.insertBefore(cue, box);
    } else if (!wide && has) {
      cue.remove();
    }
  }
  // A box in a folded dropdown has no width until it is unfolded: watch each box's size.
  var watcher = window.ResizeObserver ? new ResizeObserver(function (entries) {
    entries.forEach(function (entry) { mark(entry.target); });
  }) : null;
  var watched = [];
  function markAll() {
    document.querySelectorAll("article table").forEach(function (table) {
      var box = scrollBox(table);
      if (!box) { return; }
      mark(box);
      if (watcher && watched.indexOf(box) < 0) { watched.push(box); watcher.observe(box); }
    });
  }
  document.addEventListener("scroll", function (event) {
    var box = event.target;
    if (box instanceof Element && box.classList.contains("drs-scrolls")) { mark(box); }
  }, true);
  window.addEventListener("resize", markAll);
  window.addEventListener("load", markAll);
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", markAll);
  } else {
    markAll();
  }
  window.drsBookMarkTables = markAll;
})();
