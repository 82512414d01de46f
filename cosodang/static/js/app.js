/*
 * cosodang — app.js
 * Tiny vanilla helpers. Loaded with `defer` from base.html; no inline handlers
 * anywhere (strict CSP). All listeners are delegated on `document`, so markup
 * swapped in by htmx works without re-binding.
 *
 *  - .menu-toggle           toggles .sidebar.open (mobile nav); Esc / click outside closes
 *  - .tree .toggle          button with aria-controls="<id of child ul>": toggles the
 *                           ul's `hidden` attribute and the button's aria-expanded
 *  - [data-confirm]         on a <form>, button or link: window.confirm(message) first
 *  - htmx:configRequest     adds X-CSRFToken from <meta name="csrf-token" content="…">
 */
(function () {
  "use strict";

  function sidebarFor(button) {
    var id = button && button.getAttribute("aria-controls");
    return (id && document.getElementById(id)) || document.querySelector(".sidebar");
  }

  function setSidebar(open) {
    var button = document.querySelector(".menu-toggle");
    var sidebar = sidebarFor(button);
    if (!sidebar) { return; }
    sidebar.classList.toggle("open", open);
    if (button) { button.setAttribute("aria-expanded", open ? "true" : "false"); }
  }

  function isSidebarOpen() {
    var sidebar = sidebarFor(document.querySelector(".menu-toggle"));
    return !!(sidebar && sidebar.classList.contains("open"));
  }

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  /* Confirmation: capture phase on document, so it runs before htmx's own
     listeners on the element and can cancel them. */
  document.addEventListener("click", function (event) {
    var el = event.target.closest ? event.target.closest("[data-confirm]") : null;
    if (!el || el.tagName === "FORM") { return; }
    if (!window.confirm(el.getAttribute("data-confirm"))) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form || !form.hasAttribute || !form.hasAttribute("data-confirm")) { return; }
    if (!window.confirm(form.getAttribute("data-confirm"))) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  document.addEventListener("click", function (event) {
    var target = event.target;
    if (!target.closest) { return; }

    var menuButton = target.closest(".menu-toggle");
    if (menuButton) {
      setSidebar(!isSidebarOpen());
      return;
    }

    var toggle = target.closest(".tree .toggle");
    if (toggle) {
      var id = toggle.getAttribute("aria-controls");
      var child = id ? document.getElementById(id) : null;
      if (child) {
        var expanded = toggle.getAttribute("aria-expanded") === "true";
        toggle.setAttribute("aria-expanded", expanded ? "false" : "true");
        child.hidden = expanded;
        event.preventDefault();
      }
      return;
    }

    /* click outside the open mobile sidebar closes it */
    if (isSidebarOpen() && !target.closest(".sidebar")) {
      setSidebar(false);
    }
  });

  document.addEventListener("keydown", function (event) {
    if ((event.key === "Escape" || event.key === "Esc") && isSidebarOpen()) {
      setSidebar(false);
      var button = document.querySelector(".menu-toggle");
      if (button) { button.focus(); }
    }
  });

  /* htmx: send Django's CSRF token on every request */
  document.addEventListener("htmx:configRequest", function (event) {
    var token = csrfToken();
    if (token && event.detail && event.detail.headers) {
      event.detail.headers["X-CSRFToken"] = token;
    }
  });
  /* Tabs: a .tabs bar of in-page links shows one .tab-panel at a time. Without JS every
     panel stays visible, so the page still works. */
  function showTab(bar, id) {
    var panel = id && document.getElementById(id);
    if (!panel || !panel.classList.contains("tab-panel")) { return false; }
    var links = bar.querySelectorAll("a[href^='#']");
    for (var i = 0; i < links.length; i++) {
      var target = document.getElementById(links[i].getAttribute("href").slice(1));
      var on = target === panel;
      links[i].classList.toggle("active", on);
      if (on) { links[i].setAttribute("aria-current", "true"); } else { links[i].removeAttribute("aria-current"); }
      if (target) { target.hidden = !on; }
    }
    return true;
  }

  function initTabs() {
    var bars = document.querySelectorAll(".tabs");
    for (var i = 0; i < bars.length; i++) {
      var bar = bars[i];
      var first = bar.querySelector("a[href^='#']");
      var wanted = window.location.hash ? window.location.hash.slice(1) : "";
      if (!showTab(bar, wanted) && first) { showTab(bar, first.getAttribute("href").slice(1)); }
      bar.addEventListener("click", function (event) {
        var link = event.target.closest("a[href^='#']");
        if (!link) { return; }
        if (showTab(event.currentTarget, link.getAttribute("href").slice(1))) {
          event.preventDefault();
          history.replaceState(null, "", link.getAttribute("href"));
        }
      });
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", initTabs);
  } else {
    initTabs();
  }
})();
