// Keel console: keyboard shortcuts and small htmx niceties. Every page works without this file.
(function () {
  "use strict";

  const isTyping = (element) =>
    element instanceof HTMLElement &&
    (element.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(element.tagName));

  const navItems = () => Array.from(document.querySelectorAll("[data-nav-item]"));

  function move(step) {
    const items = navItems();
    if (items.length === 0) return;
    const focused = items.findIndex((item) => item.contains(document.activeElement));
    const selected = items.findIndex((item) => item.classList.contains("is-selected"));
    const from = focused >= 0 ? focused : selected;
    const next = from < 0 ? (step > 0 ? 0 : items.length - 1) : Math.min(items.length - 1, Math.max(0, from + step));
    items.forEach((item, index) => item.classList.toggle("is-selected", index === next));
    const link = items[next].querySelector("a[href]");
    // Focusing the row's link is what makes Enter open it.
    if (link) link.focus();
    items[next].scrollIntoView({ block: "nearest" });
  }

  function focusSearch() {
    const search = document.getElementById("search");
    if (search) {
      search.focus();
      search.select();
    }
  }

  function focusComment() {
    const box = document.getElementById("comment-body");
    if (!box) return;
    const panel = box.closest("details");
    if (panel) panel.open = true;
    box.focus();
  }

  function edit() {
    const link = document.querySelector("[data-shortcut='edit']");
    if (link) link.click();
  }

  function toggleHelp() {
    const dialog = document.getElementById("shortcuts-help");
    if (!dialog || typeof dialog.showModal !== "function") return;
    if (dialog.open) dialog.close();
    else dialog.showModal();
  }

  const shortcuts = { "/": focusSearch, j: () => move(1), k: () => move(-1), c: focusComment, e: edit, "?": toggleHelp };

  document.addEventListener("keydown", (event) => {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    if (isTyping(event.target)) {
      if (event.key === "Escape") event.target.blur();
      return;
    }
    const action = shortcuts[event.key];
    if (!action) return;
    event.preventDefault();
    action();
  });

  function ready() {
    document.querySelectorAll("[data-shortcuts-open]").forEach((button) => {
      button.hidden = false;
      button.addEventListener("click", toggleHelp);
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", ready);
  else ready();

  // After htmx swaps a form back with errors, put the keyboard on the first field at fault;
  // after a successful action, on the message saying what happened.
  document.addEventListener("htmx:afterSettle", (event) => {
    const target = event.detail.target;
    if (!(target instanceof HTMLElement) || target.id === "queue-results") return;
    const root = document.getElementById(target.id) || target;
    const invalid = root.querySelector("[aria-invalid='true'], .errorlist.nonfield");
    if (invalid) {
      const panel = invalid.closest("details");
      if (panel) panel.open = true;
      if (invalid.matches(".errorlist")) invalid.setAttribute("tabindex", "-1");
      invalid.focus();
      return;
    }
    const flash = root.querySelector("[data-flash]");
    if (flash) flash.focus();
  });

  document.addEventListener("htmx:responseError", (event) => {
    const region = document.getElementById("live-error");
    if (!region) return;
    const status = event.detail.xhr ? event.detail.xhr.status : 0;
    region.textContent = `That did not work (server answered ${status}). Reload the page and try again.`;
  });

  document.addEventListener("htmx:sendError", () => {
    const region = document.getElementById("live-error");
    if (region) region.textContent = "Keel could not be reached. Check your connection and try again.";
  });

  document.addEventListener("htmx:beforeRequest", () => {
    const region = document.getElementById("live-error");
    if (region) region.textContent = "";
  });
})();

// The CI context panel: "Use high impact" sets the impact field (and so the priority preview).
// Without JavaScript the button stays hidden and the agent picks the impact by hand.
(function () {
  "use strict";

  function wire(root) {
    root.querySelectorAll("[data-set-impact]").forEach((button) => {
      button.hidden = false;
      button.addEventListener("click", () => {
        const impact = document.getElementById("id_impact");
        if (!impact) return;
        impact.value = button.dataset.setImpact;
        impact.dispatchEvent(new Event("change", { bubbles: true }));
        impact.focus();
      });
    });
    root.querySelectorAll("[data-without-js]").forEach((element) => {
      element.hidden = true;
    });
  }

  document.addEventListener("DOMContentLoaded", () => wire(document));
  document.addEventListener("htmx:afterSwap", (event) => wire(event.detail.target));
})();
