// Marks the page once htmx runs (this file loads after it, both deferred), so controls only the
// no-JS path needs can step aside: the cart's "Update" button, whose quantity field submits by
// htmx on change. A file of its own: the Content-Security-Policy runs no inline script.
if (window.htmx) {
  document.documentElement.classList.add("has-htmx");
}
