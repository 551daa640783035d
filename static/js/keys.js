// Keyboard helpers: "/" focuses the page's search field (unless one is typing somewhere), and
// copy buttons (data-copy="<id of the element whose text to copy>") copy with the clipboard API,
// or, where it is refused (no secure context), by selecting the text and copying that; either
// way a polite live region next to the button says "Copied".
(function () {
  "use strict";

  function typing(el) {
    if (!el) return false;
    const tag = el.tagName;
    return el.isContentEditable || tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT";
  }

  function searchField() {
    return document.querySelector("main [data-search], main input[type=search]");
  }

  // say so to assistive technology, on the field the key goes to
  document.addEventListener("DOMContentLoaded", function () {
    const field = searchField();
    if (field && !field.hasAttribute("aria-keyshortcuts")) field.setAttribute("aria-keyshortcuts", "/");
  });

  document.addEventListener("keydown", function (event) {
    if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
    if (typing(document.activeElement)) return;
    const field = searchField();
    if (!field) return;
    event.preventDefault();
    field.focus();
    if (field.select) field.select();
  });

  function selectText(el) {
    const range = document.createRange();
    range.selectNodeContents(el);
    const selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }

  function announce(button, text) {
    const status = button.parentNode.querySelector("[data-copy-status]");
    if (!status) return;
    status.textContent = "";
    setTimeout(function () { status.textContent = text; }, 50);
  }

  document.addEventListener("click", function (event) {
    const button = event.target.closest && event.target.closest("button[data-copy]");
    if (!button) return;
    const source = document.getElementById(button.getAttribute("data-copy"));
    if (!source) return;
    const text = source.textContent.trim();
    function fallback() {
      selectText(source);
      let copied = false;
      try { copied = document.execCommand("copy"); } catch (e) { copied = false; }
      announce(button, copied ? "Copied" : "Selected: press Ctrl+C (⌘C) to copy");
    }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(function () { announce(button, "Copied"); }, fallback);
    } else {
      fallback();
    }
  });
})();
