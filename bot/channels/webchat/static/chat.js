// The web chat: posts each message to /api/chat and shows the replies with their buttons. On
// load it asks the server what this conversation holds (a reply whose request died waits there).
(function () {
  "use strict";
  var log = document.getElementById("log");
  var form = document.getElementById("form");
  var input = document.getElementById("text");
  var id = localStorage.getItem("komek-chat");
  if (!id) {
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    id = Array.from(bytes, function (b) { return b.toString(16).padStart(2, "0"); }).join("");
    localStorage.setItem("komek-chat", id);
  }
  var lang = (navigator.language || "").slice(0, 2);
  var counter = 0;

  function add(text, who) {
    var div = document.createElement("div");
    div.className = "msg " + who;
    div.textContent = text;
    log.appendChild(div);
    window.scrollTo(0, document.body.scrollHeight);
    return div;
  }

  function showReplies(replies) {
    replies.forEach(function (reply) {
      var div = add(reply.text, "bot");
      if (reply.choices && reply.choices.length) {
        var box = document.createElement("div");
        box.className = "choices";
        reply.choices.forEach(function (c) {
          var b = document.createElement("button");
          b.type = "button";
          b.textContent = c.label;
          b.onclick = function () { send("", c.key, c.label); };
          box.appendChild(b);
        });
        div.appendChild(box);
      }
    });
    window.scrollTo(0, document.body.scrollHeight);
  }

  function messageId() {
    counter += 1;
    return Date.now().toString(36) + "-" + counter + "-" + Math.random().toString(36).slice(2, 8);
  }

  function send(text, choice, label) {
    if (label || text) { add(label || text, "me"); }
    var body = { conversation: id, text: text || "", choice: choice || null, language: lang,
                 message_id: messageId() };
    fetch("/api/chat", { method: "POST", headers: { "Content-Type": "application/json" },
                         body: JSON.stringify(body) })
      .then(function (r) { return r.json().then(function (j) { return [r.ok, j]; }); })
      .then(function (res) {
        if (!res[0]) { add(res[1].error || "…", "error"); return; }
        showReplies(res[1].replies);
      })
      .catch(function () { add("⚠", "error"); });
  }

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var text = input.value.trim();
    if (!text) { return; }
    input.value = "";
    send(text);
  });

  fetch("/api/chat/" + id)
    .then(function (r) { return r.json(); })
    .then(function (data) {
      data.messages.forEach(function (m) {
        if (m.from === "me") { add(m.text, "me"); } else { showReplies([m]); }
      });
      if (!data.messages.length) { send(""); }
    })
    .catch(function () { send(""); });
})();
