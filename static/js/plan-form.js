// The repayment plan form (templates/repayment_plans/plan_new.html): only the chosen kind's terms are
// shown. A hidden term is disabled as well, so it is neither posted nor reached with the keyboard.
(function () {
  "use strict";
  function showKind(form) {
    const kind = form.querySelector("select[name=kind]");
    if (!kind) return;
    form.querySelectorAll("[data-plan-kinds]").forEach((term) => {
      const on = term.dataset.planKinds.split(" ").includes(kind.value);
      term.hidden = !on;
      term.querySelectorAll("input, select, textarea").forEach((control) => { control.disabled = !on; });
    });
  }
  document.addEventListener("DOMContentLoaded", () => {
    const form = document.getElementById("plan-form");
    if (!form) return;
    showKind(form);
    // Capture phase: the fields are switched before htmx (listening on the form) posts for the schedule.
    form.addEventListener("change", (event) => {
      if (event.target.name === "kind") showKind(form);
    }, true);
  });
})();
