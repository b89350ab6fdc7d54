// The staff console's inbox, live without a reload (handlers/web/staff/inbox.py). The page works without this
// script: forms and reloads. With it, the lists and an open conversation are fetched from /staff/api/inbox…
// every few seconds and updated in place, and an answer is sent without leaving the page.
"use strict";
(function () {
  var EVERY = 3000;
  var WHO = { citizen: "Громадянин", bot: "Бот", operator: "Оператор" };

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .catch(function () { return null; });
  }

  function row(r, waiting, csrf) {
    var tr = el("tr", { "data-id": String(r.id) });
    var marks = (r.priority ? "🎖 " : "") + (r.question ? "✍️ " : "");
    var first = el("td");
    first.appendChild(el("a", { href: "/staff/inbox/" + r.id }, marks + "№" + r.id));
    tr.appendChild(first);
    [r.channel, r.name, r.priority || "—", r.since, r.waited].forEach(function (t) {
      tr.appendChild(el("td", {}, t));
    });
    var last = el("td");
    if (waiting) {
      var form = el("form", { method: "post", action: "/staff/inbox/" + r.id + "/take" });
      form.appendChild(el("input", { type: "hidden", name: "csrf", value: csrf }));
      form.appendChild(el("button", { type: "submit" }, "Взяти №" + r.id));
      last.appendChild(form);
    } else {
      last.textContent = (r.operator || "—") + (r.mine ? " (ви)" : "");
    }
    tr.appendChild(last);
    return tr;
  }

  function fill(id, rows, waiting, csrf) {
    var table = document.getElementById(id);
    if (!table) return;
    var body = table.querySelector("tbody");
    var fresh = el("tbody");
    rows.forEach(function (r) { fresh.appendChild(row(r, waiting, csrf)); });
    table.replaceChild(fresh, body);
    var section = table.closest("section");
    var count = section && section.querySelector(".count");
    if (count) count.textContent = String(rows.length);
    var empty = section && section.querySelector(".empty");
    if (empty) empty.hidden = rows.length > 0;
  }

  function inbox(root) {
    var csrf = root.getAttribute("data-csrf");
    function poll() {
      getJSON(root.getAttribute("data-api")).then(function (data) {
        if (!data) return;
        fill("waiting", data.waiting, true, csrf);
        fill("taken", data.taken, false, csrf);
      });
    }
    setInterval(poll, EVERY);
  }

  function ticket(root) {
    var api = root.getAttribute("data-api");
    var csrf = root.getAttribute("data-csrf");
    var talk = document.getElementById("talk");
    function lastId() {
      var items = talk.querySelectorAll("li[data-id]");
      return items.length ? items[items.length - 1].getAttribute("data-id") : "0";
    }
    function poll() {
      getJSON(api + "?after=" + lastId()).then(function (data) {
        if (!data) return;
        data.lines.forEach(function (line) {
          if (talk.querySelector('li[data-id="' + line.id + '"]')) return;
          var li = el("li", { "class": "line " + line.who, "data-id": String(line.id) });
          li.appendChild(el("span", { "class": "who" }, WHO[line.who] + ":"));
          li.appendChild(document.createTextNode(" " + line.text));
          talk.appendChild(li);
        });
        var t = data.ticket;
        var state = document.getElementById("state");
        if (state) {
          state.textContent = !data.active ? "закрито"
            : (t.status === "waiting" ? "чекає" : "веде " + t.operator);
        }
        var waited = document.getElementById("waited");
        if (waited) waited.textContent = t.waited;
        if (!data.active) {
          root.querySelectorAll("form").forEach(function (f) { f.remove(); });
        }
      });
    }
    var status = el("p", { role: "status", "class": "sent" });
    root.appendChild(status);
    root.querySelectorAll("form").forEach(function (form) {
      var verb = form.getAttribute("action").split("/").pop();
      if (verb !== "reply" && verb !== "canned") return;  // take, pass, close: the form and a reload
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        var field = form.querySelector("[name=text]");
        fetch(api + "/" + verb, {
          method: "POST", credentials: "same-origin",
          headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
          body: JSON.stringify({ text: field.value })
        }).then(function (r) { return r.json().then(function (body) { return [r.ok, body]; }); })
          .then(function (res) {
            status.textContent = res[0] ? (res[1].lines.join(" ") || "Надіслано.") : res[1].error;
            if (res[0]) field.value = "";
            poll();
          })
          .catch(function () { status.textContent = "Не вдалося надіслати: спробуйте ще раз."; });
      });
    });
    setInterval(poll, EVERY);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var list = document.getElementById("inbox");
    if (list) inbox(list);
    var one = document.getElementById("ticket");
    if (one) ticket(one);
  });
})();
