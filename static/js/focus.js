// Keeps keyboard focus in place across htmx swaps. htmx itself refocuses an element whose id is
// in the new content; when the focused element is gone (a removed cart line, a button now
// disabled, a pagination link), focus would fall back to <body> and a keyboard user would
// start again at the top of the page: it goes to the region that was swapped instead.
document.addEventListener("htmx:afterSettle", (event) => {
  const active = document.activeElement;
  if (active && active !== document.body) {
    return;
  }
  const target = event.detail.target;
  const region = target && target.isConnected ? target : document.getElementById(target && target.id);
  if (!region) {
    return;
  }
  if (!region.hasAttribute("tabindex")) {
    region.setAttribute("tabindex", "-1");
  }
  region.focus({ preventScroll: true });
});
