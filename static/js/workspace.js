// Case workspace: after an action answers, move keyboard focus to its result so that screen-reader
// and keyboard users land on what happened (the result region is also aria-live).
document.addEventListener("htmx:afterSwap", (event) => {
  const target = event.detail.target;
  if (target && target.id === "action-result") {
    target.focus({ preventScroll: false });
    const firstField = target.querySelector("select, input:not([type=hidden]), textarea");
    if (firstField) firstField.focus();
  }
});
