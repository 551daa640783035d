// The Upload tab takes a file dropped anywhere on it: the file goes into the form's own file
// input (which keeps working alone, without this script), the zone says which file it holds.
// Listeners sit on the document, so the form may be swapped by htmx (a refusal) and still work.
(function () {
  "use strict";

  function zoneFor(target) {
    const tab = target.closest && target.closest(".upload-tab");
    return tab && tab.querySelector("[data-drop-zone]");
  }

  function hasFiles(event) {
    const types = event.dataTransfer && event.dataTransfer.types;
    return types && Array.prototype.indexOf.call(types, "Files") !== -1;
  }

  function show(zone, file) {
    const said = zone.querySelector("[data-drop-chosen]");
    if (said) said.textContent = file ? "Chosen: " + file.name : "";
  }

  document.addEventListener("dragover", function (event) {
    const zone = zoneFor(event.target);
    if (!zone || !hasFiles(event)) return;
    event.preventDefault(); // allows the drop (the browser would open the file instead)
    event.dataTransfer.dropEffect = "copy";
    zone.classList.add("is-dragging");
  });

  document.addEventListener("dragleave", function (event) {
    const zone = zoneFor(event.target);
    if (zone && !zone.closest(".upload-tab").contains(event.relatedTarget)) {
      zone.classList.remove("is-dragging");
    }
  });

  document.addEventListener("drop", function (event) {
    const zone = zoneFor(event.target);
    if (!zone || !hasFiles(event)) return;
    event.preventDefault();
    zone.classList.remove("is-dragging");
    const input = zone.querySelector("input[type=file]");
    const files = event.dataTransfer.files;
    if (!input || !files.length) return;
    const one = new DataTransfer(); // one file: the input takes one
    one.items.add(files[0]);
    input.files = one.files;
    input.dispatchEvent(new Event("change", { bubbles: true }));
    input.focus();
  });

  document.addEventListener("change", function (event) {
    const input = event.target;
    const zone = input.closest && input.closest("[data-drop-zone]");
    if (zone) show(zone, input.files && input.files[0]);
  });
})();
