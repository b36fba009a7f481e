// The staff pages' only script; every page works without it.
// - An element with data-refresh="URL" is replaced every data-every seconds (default 3) by the
//   HTML that URL returns (a campaign's live progress), while the tab is visible; it stops when
//   the answer says data-final.
// - A form with data-confirm="question" asks before it is sent.
"use strict";
(function () {
  function refresh(element) {
    var url = element.getAttribute("data-refresh");
    var every = Number(element.getAttribute("data-every") || "3") * 1000;
    function tick() {
      if (document.hidden) { window.setTimeout(tick, every); return; }
      fetch(url, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
        .then(function (response) { return response.ok ? response.text() : null; })
        .then(function (html) {
          if (html === null) { return; }
          var holder = document.createElement("div");
          holder.innerHTML = html;
          var fresh = holder.firstElementChild;
          if (!fresh) { return; }
          element.replaceWith(fresh);
          element = fresh;
          if (!fresh.hasAttribute("data-final")) { window.setTimeout(tick, every); }
        })
        .catch(function () { window.setTimeout(tick, every * 2); });
    }
    if (!element.hasAttribute("data-final")) { window.setTimeout(tick, every); }
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-refresh]").forEach(refresh);
    document.querySelectorAll("form[data-confirm]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (!window.confirm(form.getAttribute("data-confirm"))) { event.preventDefault(); }
      });
    });
  });
})();
