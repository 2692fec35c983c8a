// Small progressive enhancements, in a file of their own: the Content-Security-Policy runs no
// inline script. This file loads after htmx, both deferred.

// Marks the page once htmx runs, so controls only the no-JS path needs can step aside: the
// cart's "Update" button, whose quantity field submits by htmx on change.
if (window.htmx) {
  document.documentElement.classList.add("has-htmx");
}

// A table wider (or, in a box of limited height, longer) than its `.table-wrap` scrolls inside
// it; keyboard users can reach that scroll only if the box takes focus (WCAG 2.1.1), so a box
// that scrolls becomes a named, focusable region, and one that fits stays out of the tab order.
function markScrollingTables(root) {
  root.querySelectorAll(".table-wrap").forEach(function (box) {
    if (box.scrollWidth > box.clientWidth || box.scrollHeight > box.clientHeight) {
      var caption = box.querySelector("caption");
      box.setAttribute("tabindex", "0");
      box.setAttribute("role", "region");
      box.setAttribute("aria-label", caption ? caption.textContent.trim() : "Table");
    } else if (box.getAttribute("role") === "region") {
      box.removeAttribute("tabindex");
      box.removeAttribute("role");
      box.removeAttribute("aria-label");
    }
  });
}

markScrollingTables(document);
window.addEventListener("resize", function () { markScrollingTables(document); });
document.addEventListener("htmx:afterSettle", function (event) { markScrollingTables(event.target); });
