/* drs-book (added by tools/drs_book_sphinx.py): a table wider than its scrolling box gets a
   visible cue above it and a shadow at the edge it hides, on any screen. No network, no library. */
(function () {
  "use strict";
  var BOXES = ".pst-scrollable-table-container, div.drs-table, div.cell_output div.output.text_html";
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
  function markAll() {
    document.querySelectorAll(BOXES).forEach(function (box) {
      if (box.querySelector("table") && !box.parentElement.closest(BOXES)) { mark(box); }
    });
  }
  document.addEventListener("scroll", function (event) {
    var box = event.target;
    if (box instanceof Element && box.matches(BOXES)) { mark(box); }
  }, true);
  window.addEventListener("resize", markAll);
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", markAll);
  } else {
    markAll();
  }
  window.drsBookMarkTables = markAll;
})();
