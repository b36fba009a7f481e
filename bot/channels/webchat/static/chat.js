// The web chat. Each message is posted to /api/chat and the replies are shown with their
// buttons; only the newest group of buttons works, and a group stops working once used, so a
// double tap sends once. When the page opens (or comes back into view) it asks the server what
// the conversation holds: the messages so far, the question it is at, and any reply whose
// request died. While a social worker has the conversation, the page asks again every few
// seconds while it is in view, so that the worker's answer appears
// without a reload. No inline script: the page's content security policy forbids it.
(function () {
  "use strict";
  var body = document.body;
  var log = document.getElementById("log");
  var form = document.getElementById("form");
  var input = document.getElementById("text");
  var progress = document.getElementById("progress");
  var progressFill = document.getElementById("progress-fill");
  var progressText = document.getElementById("progress-text");
  var lang = body.getAttribute("data-lang") || "kk";
  var key = "komek-chat";
  var id = localStorage.getItem(key);
  if (!id) {
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    id = Array.from(bytes, function (b) { return b.toString(16).padStart(2, "0"); }).join("");
    localStorage.setItem(key, id);
  }
  var counter = 0;
  var queue = Promise.resolve();
  var loading = false;
  var shown = "";  // what the last look found, so that a look that finds nothing new redraws nothing
  var watching = null;
  var WATCH_MS = 5000;

  function measureBar() {
    document.documentElement.style.setProperty("--bar", form.offsetHeight + "px");
  }

  function scrollToEnd() {
    // After the buttons are in the page, and with room for the composer below them.
    window.requestAnimationFrame(function () {
      window.scrollTo(0, document.documentElement.scrollHeight);
    });
  }

  function scrollToNew(first) {
    // A reply taller than the screen (a result) is shown from its first line, not its last:
    // what it says first matters most. Anything shorter: to the end, buttons in view.
    window.requestAnimationFrame(function () {
      var room = window.innerHeight - form.offsetHeight - 16;
      var tall = document.documentElement.scrollHeight - first.offsetTop > room;
      if (tall) {
        window.scrollTo(0, Math.max(0, first.getBoundingClientRect().top + window.scrollY - 56));
      } else {
        window.scrollTo(0, document.documentElement.scrollHeight);
      }
    });
  }

  function retireButtons() {
    Array.prototype.forEach.call(log.querySelectorAll(".choices:not(.used)"), function (group) {
      group.classList.add("used");
      Array.prototype.forEach.call(group.querySelectorAll("button"), function (b) {
        b.disabled = true;
      });
    });
  }

  function addMine(text) {
    var div = document.createElement("div");
    div.className = "msg me";
    div.textContent = text;
    log.appendChild(div);
    return div;
  }

  function addNotice(text, retry) {
    var div = document.createElement("div");
    div.className = "notice";
    div.setAttribute("role", "alert");
    div.textContent = text;
    if (retry) {
      var again = document.createElement("button");
      again.type = "button";
      again.textContent = "↻";
      again.setAttribute("aria-label", text);
      again.onclick = function () { div.remove(); retry(); };
      div.appendChild(again);
    }
    log.appendChild(div);
    scrollToEnd();
  }

  function setProgress(step) {
    if (!step) { progress.hidden = true; return; }
    var pattern = body.getAttribute("data-progress") || "{n} / {total}";
    progress.hidden = false;
    progressFill.style.width = Math.min(100, Math.round(100 * step[0] / step[1])) + "%";
    progressText.textContent = pattern.replace("{n}", step[0]).replace("{total}", step[1]);
  }

  function setInput(hint) {
    input.setAttribute("inputmode", hint === "numeric" ? "numeric" : "text");
  }

  function addReply(reply, active) {
    var div = document.createElement("div");
    div.className = "msg bot";
    if (reply.html) { div.innerHTML = reply.html; } else { div.textContent = reply.text; }
    if (reply.choices && reply.choices.length) {
      var group = document.createElement("div");
      group.className = "choices";
      group.setAttribute("role", "group");
      reply.choices.forEach(function (c) {
        var b = document.createElement("button");
        b.type = "button";
        b.textContent = c.label;
        b.setAttribute("data-key", c.key);
        if (reply.multi) { b.setAttribute("aria-pressed", c.selected ? "true" : "false"); }
        b.onclick = function () {
          if (group.classList.contains("used")) { return; }
          b.classList.add("chosen");
          retireButtons();
          send("", c.key, reply.multi ? null : c.label);
        };
        group.appendChild(b);
      });
      div.appendChild(group);
      if (!active) {
        group.classList.add("used");
        Array.prototype.forEach.call(group.querySelectorAll("button"), function (x) {
          x.disabled = true;
        });
      }
    }
    if (reply.multi) { div.setAttribute("data-multi", reply.text); }
    log.appendChild(div);
    return div;
  }

  function showReplies(replies) {
    if (!replies.length) { return; }
    // A tap in a multi-select question comes back as the same question with the tap shown:
    // it takes the place of the one on the page instead of repeating it.
    var bots = log.querySelectorAll(".msg.bot");
    var previous = bots.length ? bots[bots.length - 1] : null;
    if (replies.length === 1 && replies[0].multi && previous &&
        previous === log.lastElementChild &&
        previous.getAttribute("data-multi") === replies[0].text) {
      previous.remove();
    }
    retireButtons();
    var first = null;
    replies.forEach(function (reply) {
      var added = addReply(reply, true);
      first = first || added;
    });
    var last = replies[replies.length - 1];
    setProgress(last.progress);
    setInput(last.input_hint);
    scrollToNew(first);
  }

  function messageId() {
    counter += 1;
    return Date.now().toString(36) + "-" + counter + "-" + Math.random().toString(36).slice(2, 8);
  }

  function post(payload) {
    return fetch("/api/chat", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(payload)
    }).then(function (r) {
      return r.json().then(function (j) { return [r.ok, j]; });
    });
  }

  function send(text, choice, label) {
    if (label || text) { addMine(label || text); scrollToEnd(); }
    // A tapped button goes as its key, with its label as the text: the conversation shows the
    // label when the page opens again.
    var payload = { conversation: id, text: label || text || "", choice: choice || null,
                    language: lang, message_id: messageId() };
    var attempt = function () {
      return post(payload).then(function (res) {
        if (!res[0]) { addNotice(res[1].error || "…"); return; }
        if (!res[1].replies.length) { watch(true); }  // nothing said back: a person has it
        showReplies(res[1].replies);
        localStorage.setItem("komek-seen", String(Date.now()));  // other tabs look again
      }).catch(function () {
        addNotice(body.getAttribute("data-offline"), function () { queue = queue.then(attempt); });
      });
    };
    queue = queue.then(attempt);  // one at a time, in the order they were written
    return queue;
  }

  // Looking again while a social worker has the conversation: her answer, or Komek handed back.
  function watch(on) {
    if (on && watching === null) {
      watching = window.setInterval(function () {
        if (document.visibilityState === "visible") { load(true); }
      }, WATCH_MS);
    } else if (!on && watching !== null) {
      window.clearInterval(watching);
      watching = null;
    }
  }

  function load(quiet) {
    if (loading) { return; }
    loading = true;
    fetch("/api/chat/" + id + "?lang=" + encodeURIComponent(lang))
      .then(function (r) { return r.json(); })
      .then(function (data) {
        var found = JSON.stringify([data.messages || [], data.current || []]);
        watch(Boolean(data.with_a_person));
        if (quiet && found === shown) { return; }
        shown = found;
        log.textContent = "";
        (data.messages || []).forEach(function (m) {
          if (m.from === "me") { addMine(m.text); } else { addReply(m, false); }
        });
        if (data.language && data.language !== lang && (data.messages || []).length) {
          return post({ conversation: id, set_language: lang }).then(function (res) {
            if (res[0]) { showReplies(res[1].replies); }
          });
        }
        if ((data.current || []).length) {
          showReplies(data.current);
        } else if (!(data.messages || []).length) {
          return send("");
        }
        scrollToEnd();
      })
      .catch(function () { addNotice(body.getAttribute("data-offline"), load); })
      .then(function () { loading = false; });
  }

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var text = input.value.trim();
    if (!text) { return; }
    input.value = "";
    retireButtons();
    send(text);
  });

  Array.prototype.forEach.call(document.querySelectorAll(".langs a"), function (a) {
    a.addEventListener("click", function () {
      localStorage.setItem("komek-lang", a.getAttribute("hreflang") || "");
    });
  });

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") { load(true); }
  });
  window.addEventListener("storage", function (e) { if (e.key === "komek-seen") { load(); } });
  window.addEventListener("resize", measureBar);
  measureBar();
  load();
})();
