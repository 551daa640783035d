// Ticking many rows of a list for one action: the header box ticks or clears the whole page,
// the count says what an action would touch, and "all N matching" wins over single ticks.
// Works on any list that marks its boxes data-bulk-every, data-bulk-item, data-bulk-all and
// its counter data-bulk-count; lists arrive by htmx swaps, so everything hangs on delegation.
(function () {
  "use strict";

  function scope(el) {
    return el.closest("[data-bulk-scope]") || document;
  }

  function refresh(root) {
    const items = Array.from(root.querySelectorAll("[data-bulk-item]"));
    const ticked = items.filter(function (box) { return box.checked; }).length;
    const every = root.querySelector("[data-bulk-every]");
    const all = root.querySelector("[data-bulk-all]");
    const counter = root.querySelector("[data-bulk-count]");
    if (every) {
      every.checked = items.length > 0 && ticked === items.length;
      every.indeterminate = ticked > 0 && ticked < items.length;
    }
    if (counter) {
      if (all && all.checked) counter.textContent = "All " + Number(all.dataset.total).toLocaleString() + " chosen.";
      else if (ticked) counter.textContent = ticked + " ticked.";
      else counter.textContent = "Tick rows to act on several at once.";
    }
  }

  document.addEventListener("change", function (event) {
    const box = event.target;
    if (!box.matches) return;
    const root = scope(box);
    if (box.matches("[data-bulk-every]")) {
      root.querySelectorAll("[data-bulk-item]").forEach(function (item) { item.checked = box.checked; });
      const all = root.querySelector("[data-bulk-all]");
      if (all && !box.checked) all.checked = false;
    } else if (box.matches("[data-bulk-all]") && box.checked) {
      root.querySelectorAll("[data-bulk-item]").forEach(function (item) { item.checked = true; });
    } else if (box.matches("[data-bulk-item]") && !box.checked) {
      const all = root.querySelector("[data-bulk-all]");
      if (all) all.checked = false;
    } else if (!box.matches("[data-bulk-item]")) {
      return;
    }
    refresh(root);
  });
})();
