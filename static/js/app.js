// Segments: the little script the pages need beyond htmx: messages that go away on their own,
// error reporting for htmx requests, focus after swaps, keyboard use of trees, modal dialogs and
// progress bars. The pages' policy allows no inline script or style: behaviour hangs on data-
// attributes here, and sizes are set through the DOM.
(function () {
  "use strict";

  const TOAST_MS = 5000;

  // A toast; `undo` ({url, token, seconds}, from web/undo.py) adds an Undo button that posts the
  // token back. The toast then stays its `seconds`, and while the pointer or focus is on it.
  function toast(message, level, undo) {
    const box = document.getElementById("toasts");
    if (!box || !message) return;
    const el = document.createElement("div");
    el.className = "toast toast-" + (level || "info");
    const text = document.createElement("span");
    text.textContent = message;
    el.appendChild(text);
    if (undo && undo.url && window.htmx) {
      el.classList.add("toast-with-undo");
      const button = document.createElement("button");
      button.type = "button";
      button.className = "btn btn-small toast-undo";
      button.textContent = "Undo";
      button.setAttribute("aria-label", "Undo: " + message);
      button.addEventListener("click", function () {
        button.disabled = true;
        window.htmx.ajax("POST", undo.url, {
          source: document.body, swap: "none", values: { token: undo.token },
        }).finally(function () { el.remove(); });
      });
      el.appendChild(button);
    }
    box.appendChild(el);
    dismissLater(el, undo && undo.seconds ? undo.seconds * 1000 : TOAST_MS);
  }

  function dismissLater(el, ms) {
    let timer = null;
    function start() {
      timer = setTimeout(function () {
        el.classList.add("leaving");
        setTimeout(function () { el.remove(); }, 400);
      }, ms || TOAST_MS);
    }
    function hold() { clearTimeout(timer); }
    el.addEventListener("mouseenter", hold);
    el.addEventListener("focusin", hold);
    el.addEventListener("mouseleave", start);
    el.addEventListener("focusout", start);
    start();
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("#toasts .toast").forEach(function (el) { dismissLater(el); });
  });

  // HX-Trigger: {"notify": {"message": "...", "level": "success"}}
  document.body && document.body.addEventListener("notify", onNotify);
  document.addEventListener("notify", onNotify);
  function onNotify(event) {
    if (event.__segmentsSeen) return;
    event.__segmentsSeen = true;
    const detail = event.detail || {};
    toast(detail.message, detail.level, detail.undo);
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

  // New content, from the first page or a swap: size progress bars from data-percent and open
  // dialogs marked data-modal. A mutation observer runs before the next paint, so a bar never
  // shows at a wrong width first.
  function within(root, selector) {
    const found = Array.from(root.querySelectorAll(selector));
    if (root.matches(selector)) found.unshift(root);
    return found;
  }

  function arrived(root) {
    within(root, "[data-percent]").forEach(function (bar) {
      bar.style.width = bar.dataset.percent + "%";
    });
    within(root, "dialog[data-modal]").forEach(function (dialog) {
      if (!dialog.open) dialog.showModal();
    });
  }

  arrived(document.body);
  new MutationObserver(function (changes) {
    changes.forEach(function (change) {
      change.addedNodes.forEach(function (node) {
        if (node.nodeType === Node.ELEMENT_NODE) arrived(node);
      });
    });
  }).observe(document.body, { childList: true, subtree: true });

  // A modal dialog goes away when it closes (Escape or its data-dialog-close link), so opening
  // it again fetches it afresh. `close` does not bubble: listen while it travels down.
  document.addEventListener("close", function (event) {
    if (event.target.matches && event.target.matches("dialog[data-modal]")) event.target.remove();
  }, true);

  document.addEventListener("click", function (event) {
    const closer = event.target.closest && event.target.closest("[data-dialog-close]");
    const dialog = closer && closer.closest("dialog");
    if (!dialog) return;
    event.preventDefault();
    dialog.close();
  });

  // Every confirmation (hx-confirm) is the same styled modal as the delete dialog, never the
  // browser's confirm(): the question is its title, data-confirm-detail says more and
  // data-confirm-label names the button that goes ahead.
  document.addEventListener("htmx:confirm", function (event) {
    const question = event.detail.question;
    const elt = event.detail.elt;
    if (!question || event.defaultPrevented) return;
    event.preventDefault();
    const dialog = document.createElement("dialog");
    dialog.className = "confirm";
    dialog.id = "confirm-dialog";
    dialog.setAttribute("aria-labelledby", "confirm-title");
    const title = document.createElement("h2");
    title.id = "confirm-title";
    title.textContent = question;
    dialog.appendChild(title);
    const detail = elt.getAttribute("data-confirm-detail");
    if (detail) {
      const p = document.createElement("p");
      p.id = "confirm-what";
      p.textContent = detail;
      dialog.appendChild(p);
      dialog.setAttribute("aria-describedby", "confirm-what");
    }
    const actions = document.createElement("div");
    actions.className = "form-actions";
    const go = document.createElement("button");
    go.type = "button";
    go.className = "btn btn-danger btn-solid";
    go.textContent = elt.getAttribute("data-confirm-label") || "Confirm";
    const cancel = document.createElement("button");
    cancel.type = "button";
    cancel.className = "btn";
    cancel.textContent = "Cancel";
    cancel.autofocus = true;
    cancel.setAttribute("data-dialog-close", "");
    actions.appendChild(go);
    actions.appendChild(cancel);
    dialog.appendChild(actions);
    go.addEventListener("click", function () {
      dialog.close();
      event.detail.issueRequest(true);
    });
    const old = document.getElementById("confirm-dialog");
    if (old) old.remove();
    dialog.setAttribute("data-modal", "");
    document.body.appendChild(dialog);
  });

  // An upload's bar follows the bytes sent.
  document.addEventListener("htmx:xhr:progress", function (event) {
    const form = event.target;
    const bar = form.querySelector && form.querySelector("progress[data-upload-progress]");
    if (bar && event.detail.total) {
      bar.value = Math.round(event.detail.loaded * 100 / event.detail.total);
    }
  });

  window.segments = { toast: toast };
})();
