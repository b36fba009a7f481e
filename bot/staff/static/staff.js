// The staff pages' only script; every page works without it.
// - An element with data-refresh="URL" is replaced every data-every seconds (default 3) by the
//   HTML that URL returns (a campaign's live progress), while the tab is visible; it stops when
//   the answer says data-final.
// - A form with data-confirm="question" asks before it is sent.
// - An element with data-count="URL" (the inbox's badge in the navigation) shows the unread
//   count that URL gives as JSON, asked every few seconds while the tab is visible.
// - An element with data-segments="URL" data-for="ID" shows the SMS parts the text of the field
//   ID takes as it is typed (the URL counts them as the gateway will).
// - A select with data-fills="ID" puts the chosen option's value into the field ID (a reply kept
//   ready).
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
  function count(element) {
    var url = element.getAttribute("data-count");
    function tick() {
      if (document.hidden) { window.setTimeout(tick, 5000); return; }
      fetch(url, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (data) {
          if (data) {
            element.textContent = data.unread > 0 ? String(data.unread) : "";
            element.setAttribute("aria-label", data.unread + " " + element.getAttribute("data-label"));
            element.hidden = !(data.unread > 0);
          }
          window.setTimeout(tick, 5000);
        })
        .catch(function () { window.setTimeout(tick, 15000); });
    }
    tick();
  }
  function segments(element) {
    var field = document.getElementById(element.getAttribute("data-for"));
    var url = element.getAttribute("data-segments");
    var template = element.getAttribute("data-template");
    var timer = null;
    function show() {
      fetch(url + "?text=" + encodeURIComponent(field.value), { credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (data) {
          if (!data) { return; }
          element.textContent = template.replace("{n}", data.segments)
            .replace("{budget}", data.budget).replace("{encoding}", data.encoding.toUpperCase().replace("UCS2", "UCS-2").replace("GSM7", "GSM-7"));
          element.className = data.within ? "small" : "small problem";
        });
    }
    field.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(show, 250);
    });
    show();
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-refresh]").forEach(refresh);
    document.querySelectorAll("[data-count]").forEach(count);
    document.querySelectorAll("[data-segments]").forEach(segments);
    document.querySelectorAll("select[data-fills]").forEach(function (select) {
      select.addEventListener("change", function () {
        if (select.value) { document.getElementById(select.getAttribute("data-fills")).value = select.value; }
      });
    });
    document.querySelectorAll("form[data-confirm]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (!window.confirm(form.getAttribute("data-confirm"))) { event.preventDefault(); }
      });
    });
  });
})();
