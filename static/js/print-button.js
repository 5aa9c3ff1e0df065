// A button marked `data-print` prints the page. (An inline onclick would be refused by the
// Content-Security-Policy, which allows scripts from our static files only.)
document.addEventListener("click", (event) => {
  if (event.target.closest("[data-print]")) {
    window.print();
  }
});
