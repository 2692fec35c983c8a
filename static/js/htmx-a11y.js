// What htmx swaps in stays usable without a mouse or without sight.
//
// Focus: htmx itself refocuses an element whose id is in the new content; when the focused
// element is gone (a removed cart line, a button now disabled, a pagination link), focus would
// fall back to <body> and a keyboard user would start again at the top of the page: it goes to
// the region that was swapped instead.
//
// Announcements: a results region is not a live region (a screen reader would read every card
// again); the element of the new content marked `data-announce` (e.g. "2 add-ons in
// Infrastructure") is read out instead, through the page's one `#announcer` status element.

function keepFocus(target) {
  const active = document.activeElement;
  if (active && active !== document.body) {
    return;
  }
  const region = target && target.isConnected ? target : document.getElementById(target && target.id);
  if (!region) {
    return;
  }
  if (!region.hasAttribute("tabindex")) {
    region.setAttribute("tabindex", "-1");
  }
  region.focus({ preventScroll: true });
}

function announce(target) {
  const announcer = document.getElementById("announcer");
  const source = target && target.isConnected && target.querySelector("[data-announce]");
  if (!announcer || !source) {
    return;
  }
  const words = source.cloneNode(true);
  words.querySelectorAll("a, button").forEach((control) => control.remove());
  // Cleared first, so the same words twice in a row are read twice.
  announcer.textContent = "";
  window.setTimeout(() => {
    announcer.textContent = words.textContent.replace(/\s+/g, " ").replace(/[\s·]+$/, "").trim();
  }, 50);
}

document.addEventListener("htmx:afterSettle", (event) => {
  keepFocus(event.detail.target);
  announce(event.detail.target);
});
