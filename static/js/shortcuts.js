// Keyboard shortcuts for the collector's workstation (docs/keyboard.md): j next case, c call, o outcome,
// p promise, n note, / search, ? help. Never while typing in a field, never with Ctrl, Alt or Meta (the
// browser's and the screen reader's own keys stay theirs).
(function () {
  "use strict";

  function typing(target) {
    if (!target || !(target instanceof Element)) return false;
    return target.isContentEditable || target.closest("input, textarea, select, [contenteditable]") !== null;
  }

  // Open the <details> around an action's form and put the focus on its first control.
  function openAction(detailsId, focusSelector) {
    const details = document.getElementById(detailsId);
    if (!details) return false;
    details.open = true;
    const control = details.querySelector(focusSelector) || details.querySelector("summary");
    control.scrollIntoView({ block: "center" });
    control.focus();
    return true;
  }

  const actions = {
    j: () => { const next = document.getElementById("next-case"); if (next) { next.click(); return true; } return false; },
    c: () => openAction("call-action", "#call-form button[type=submit]"),
    o: () => {
      const outcome = document.querySelector("#outcome-form select[name=outcome]");
      if (!outcome) return false;
      outcome.scrollIntoView({ block: "center" });
      outcome.focus();
      return true;
    },
    p: () => openAction("promise-action", "input[name=amount]"),
    n: () => openAction("note-action", "textarea[name=text]"),
    "/": () => { const search = document.getElementById("topbar-search"); if (search) { search.focus(); return true; } return false; },
    "?": () => {
      const help = document.getElementById("shortcuts-help");
      if (!help) return false;
      if (help.open) help.close(); else help.showModal();
      return true;
    },
  };

  document.addEventListener("keydown", (event) => {
    if (event.defaultPrevented || event.ctrlKey || event.altKey || event.metaKey || typing(event.target)) return;
    const action = actions[event.key];
    if (action && action()) event.preventDefault();
  });
})();
