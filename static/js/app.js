// Segments: the little script the pages need beyond htmx: messages that go away on their own,
// error reporting for htmx requests, focus after swaps, and keyboard use of trees.
(function () {
  "use strict";

  const TOAST_MS = 5000;

  function toast(message, level) {
    const box = document.getElementById("toasts");
    if (!box || !message) return;
    const el = document.createElement("div");
    el.className = "toast toast-" + (level || "info");
    el.textContent = message;
    box.appendChild(el);
    dismissLater(el);
  }

  function dismissLater(el) {
    setTimeout(function () {
      el.classList.add("leaving");
      setTimeout(function () { el.remove(); }, 400);
    }, TOAST_MS);
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("#toasts .toast").forEach(dismissLater);
  });

  // HX-Trigger: {"notify": {"message": "...", "level": "success"}}
  document.body && document.body.addEventListener("notify", onNotify);
  document.addEventListener("notify", onNotify);
  function onNotify(event) {
    if (event.__segmentsSeen) return;
    event.__segmentsSeen = true;
    const detail = event.detail || {};
    toast(detail.message, detail.level);
  }

  document.addEventListener("htmx:responseError", function (event) {
    const xhr = event.detail.xhr;
    const type = xhr.getResponseHeader("Content-Type") || "";
    let text = "Something went wrong (" + xhr.status + ").";
    if (type.indexOf("text/plain") === 0 && xhr.responseText) text = xhr.responseText;
    else if (xhr.status === 403) text = "Your role does not allow this.";
    else if (xhr.status === 409) text = "Someone changed this meanwhile. Reload to see the latest.";
    toast(text, "error");
  });

  document.addEventListener("htmx:sendError", function () {
    toast("The server could not be reached. Check your connection and try again.", "error");
  });

  // After a swap, put the keyboard focus where the new content asks for it.
  document.addEventListener("htmx:afterSettle", function (event) {
    const root = event.detail.elt;
    const target = root && root.querySelector ? root.querySelector("[data-autofocus]") : null;
    if (target) {
      target.focus();
    }
  });

  // Trees (role=tree): arrow keys move between visible items, Right opens, Left closes or
  // goes to the parent, Home/End jump; Enter or Space presses the item's main button.
  function visibleItems(tree) {
    return Array.from(tree.querySelectorAll('[role="treeitem"]')).filter(function (item) {
      return item.offsetParent !== null;
    });
  }

  function focusItem(tree, item) {
    tree.querySelectorAll('[role="treeitem"]').forEach(function (other) {
      other.tabIndex = other === item ? 0 : -1;
    });
    item.focus();
  }

  document.addEventListener("keydown", function (event) {
    const item = event.target.closest && event.target.closest('[role="treeitem"]');
    if (!item || event.target !== item) return;
    const tree = item.closest('[role="tree"]');
    const items = visibleItems(tree);
    const index = items.indexOf(item);
    const toggle = item.querySelector(":scope > .tree-node .tree-toggle");
    const expanded = item.getAttribute("aria-expanded") === "true";
    let handled = true;
    switch (event.key) {
      case "ArrowDown":
        if (index < items.length - 1) focusItem(tree, items[index + 1]);
        break;
      case "ArrowUp":
        if (index > 0) focusItem(tree, items[index - 1]);
        break;
      case "Home":
        focusItem(tree, items[0]);
        break;
      case "End":
        focusItem(tree, items[items.length - 1]);
        break;
      case "ArrowRight":
        if (toggle && !expanded) toggle.click();
        else if (expanded && index < items.length - 1) focusItem(tree, items[index + 1]);
        break;
      case "ArrowLeft":
        if (toggle && expanded) toggle.click();
        else {
          const parent = item.parentElement.closest('[role="treeitem"]');
          if (parent) focusItem(tree, parent);
        }
        break;
      case "Enter":
      case " ": {
        const action = item.querySelector(":scope > .tree-node [data-tree-action]");
        if (action) action.click();
        break;
      }
      default:
        handled = false;
    }
    if (handled) event.preventDefault();
  });

  // A swapped-in subtree keeps focus on the item that was opened.
  document.addEventListener("htmx:afterSwap", function (event) {
    const item = event.detail.target && event.detail.target.closest
      ? event.detail.target.closest('[role="treeitem"]')
      : null;
    if (item && document.activeElement && document.activeElement.classList.contains("tree-toggle")) {
      const tree = item.closest('[role="tree"]');
      if (tree) focusItem(tree, item);
    }
  });

  // A node's children arrive in its group: the node is open now. Pressing the toggle of an open
  // node closes it without a request and drops its children, so reopening shows them afresh.
  function setExpanded(item, open) {
    item.setAttribute("aria-expanded", open ? "true" : "false");
  }

  document.addEventListener("htmx:afterSwap", function (event) {
    const group = event.detail.target;
    if (group && group.matches && group.matches('[role="tree"] [role="group"]')) {
      const item = group.closest('[role="treeitem"]');
      if (item) setExpanded(item, true);
    }
  });

  document.addEventListener("htmx:confirm", function (event) {
    const toggle = event.detail.elt;
    if (!toggle || !toggle.classList || !toggle.classList.contains("tree-toggle")) return;
    const item = toggle.closest('[role="treeitem"]');
    if (!item || item.getAttribute("aria-expanded") !== "true") return;
    event.preventDefault();
    const group = item.querySelector(':scope > [role="group"]');
    if (group) group.replaceChildren();
    setExpanded(item, false);
  });

  window.segments = { toast: toast };
})();
