// The studio: every change is sent as it is made (POST …/check with the form's values): the
// draft keeps it, and the answer's problems are put on the fields they concern, the YAML and the
// step graph redrawn. A structural choice (a condition's kind, a message's type…) submits the
// form at once. Without this script the form still works: each button posts it.
(function () {
  "use strict";
  var form = document.getElementById("studio-form");
  if (!form) return;
  var url = form.getAttribute("data-check");
  var token = form.querySelector("input[name=csrf]").value;
  var timer = null;
  var sent = 0;

  function placeFor(path) {
    // the field of that path, else the nearest enclosing part (steps[1].when.tag → steps[1].when …)
    var here = path;
    while (here) {
      var found = document.getElementById("p-" + here) || document.getElementById("at-" + here);
      if (found) return found;
      var cut = Math.max(here.lastIndexOf("."), here.lastIndexOf("["));
      if (cut <= 0) break;
      here = here.slice(0, cut);
    }
    return null;
  }

  function show(problems) {
    document.querySelectorAll("ul.problems").forEach(function (list) { list.textContent = ""; });
    document.querySelectorAll("[aria-invalid]").forEach(function (el) { el.removeAttribute("aria-invalid"); });
    var summary = document.getElementById("problems");
    var items = summary.querySelector("ul");
    items.textContent = "";
    problems.forEach(function (problem) {
      var place = placeFor(problem.path);
      if (place) {
        var list = place.querySelector("ul.problems") || place;
        var item = document.createElement("li");
        item.textContent = problem.msg;
        list.appendChild(item);
        var field = place.closest(".field");
        var input = field && field.querySelector("input:not([type=hidden]),textarea,select");
        if (input) input.setAttribute("aria-invalid", "true");
      }
      var row = document.createElement("li");
      var link = document.createElement("a");
      link.href = "#at-" + problem.path;
      var code = document.createElement("code");
      code.textContent = problem.path;
      link.appendChild(code);
      row.appendChild(link);
      row.appendChild(document.createTextNode(" " + problem.msg));
      items.appendChild(row);
    });
    summary.hidden = problems.length === 0;
    var state = document.getElementById("studio-state");
    state.className = "state " + (problems.length ? "bad" : "ok");
    state.textContent = problems.length ? state.getAttribute("data-bad").replace("%n", problems.length)
                                        : state.getAttribute("data-ok");
    var save = document.getElementById("save");
    if (problems.length) save.setAttribute("aria-disabled", "true"); else save.removeAttribute("aria-disabled");
  }

  // one check in flight at a time, so the draft keeps the values in the order they were typed;
  // a change meanwhile is sent when it is back, and a button pressed meanwhile waits for it
  var inflight = false;
  var again = false;
  var held = null;

  function send() {
    if (inflight) { again = true; return; }
    inflight = true;
    var mine = ++sent;
    fetch(url, {method: "POST", body: new FormData(form), credentials: "same-origin",
                headers: {"X-CSRF-Token": token}})
      .then(function (answer) { return answer.ok ? answer.json() : null; })
      .then(function (answer) {
        if (!answer || mine !== sent) return;
        show(answer.problems);
        var graph = document.getElementById("graph");
        if (graph && answer.graph) graph.innerHTML = answer.graph;  // rendered (escaped) by the server
        document.dispatchEvent(new CustomEvent("studio:checked", {detail: answer}));
      })
      .catch(function () {})
      .then(function () {
        inflight = false;
        if (held) {
          var button = held;
          held = null;
          if (button === form) form.requestSubmit(); else form.requestSubmit(button);
          return;
        }
        if (again) { again = false; send(); }
      });
  }

  form.addEventListener("submit", function (event) {
    if (!inflight) return;
    event.preventDefault();
    held = event.submitter || form;
  });

  form.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(send, 400);
  });
  // a structural choice submits at once when made with the mouse; from the keyboard (where
  // every arrow key is a change) when Enter is pressed or the focus leaves it
  var pointed = null;
  var pending = null;
  form.addEventListener("pointerdown", function (event) {
    pointed = event.target.closest("select[data-submit]");
  });
  form.addEventListener("change", function (event) {
    var target = event.target;
    if (target.hasAttribute("data-submit")) {
      if (pointed === target) { form.requestSubmit(); } else { pending = target; }
      return;
    }
    clearTimeout(timer);
    send();
  });
  form.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && event.target === pending) { event.preventDefault(); form.requestSubmit(); }
  });
  form.addEventListener("focusout", function (event) {
    if (event.target === pending) form.requestSubmit();
  });
  document.getElementById("save").addEventListener("click", function (event) {
    if (this.getAttribute("aria-disabled") === "true") event.preventDefault();
  });
})();
