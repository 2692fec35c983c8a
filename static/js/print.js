// Buttons marked `data-print` open the browser's print dialog. A file of its own, not an
// inline onclick: the Content-Security-Policy runs scripts from this origin's files only.
document.addEventListener("click", (event) => {
  if (event.target.closest("[data-print]")) {
    window.print();
  }
});
