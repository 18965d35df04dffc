// The studio's previews: each message step, and each survey step's question with its options
// as quick replies, drawn as LINE shows it (for the friend picked, or for a friend stepline
// knows nothing of), and how many friends the trigger and each way of a branch or split would
// take now. Redrawn after every check (studio.js's "studio:checked").
(function () {
  "use strict";
  var form = document.getElementById("studio-form");
  var data = document.getElementById("studio-doc");
  if (!form || !data) return;
  var token = form.querySelector("input[name=csrf]").value;
  var friend = document.getElementById("preview-friend");
  var drawn = {};  // step path → what was last sent for it

  function at(doc, path) {
    var here = doc;
    var parts = path.match(/[^.[\]]+/g) || [];
    for (var i = 0; i < parts.length; i++) {
      if (here === null || typeof here !== "object") return undefined;
      here = here[/^\d+$/.test(parts[i]) ? Number(parts[i]) : parts[i]];
    }
    return here;
  }

  function post(url, fields) {
    var body = new FormData();
    Object.keys(fields).forEach(function (key) { body.append(key, fields[key]); });
    return fetch(url, {method: "POST", body: body, credentials: "same-origin",
                       headers: {"X-CSRF-Token": token}});
  }

  function previews(doc) {
    document.querySelectorAll("[data-preview-step]").forEach(function (box) {
      var path = box.getAttribute("data-preview-step");
      var step = at(doc, path);
      var fields = {user_id: friend.value.trim()};
      if (step && step.type === "survey") {  // its question, with its options as quick replies
        fields.survey = JSON.stringify({question: step.question, options: step.options || null});
      } else {
        var messages = at(doc, path + ".messages");
        if (!Array.isArray(messages)) return;
        fields.messages = JSON.stringify(messages);
        fields.defaults = JSON.stringify(at(doc, path + ".defaults") || {});
      }
      var key = JSON.stringify(fields);
      if (drawn[path] === key) return;
      drawn[path] = key;
      post("/dashboard/studio/preview", fields)
        .then(function (answer) { return answer.text(); })
        .then(function (html) { if (drawn[path] === key) box.innerHTML = html; })  // escaped by the server
        .catch(function () {});
    });
  }

  function reach(doc, problems) {
    var line = document.getElementById("reach");
    if (problems.length) { line.textContent = ""; return; }
    post("/dashboard/studio/reach", {document: JSON.stringify(doc)})
      .then(function (answer) { return answer.ok ? answer.json() : null; })
      .then(function (found) {
        if (!found) return;
        line.textContent = line.getAttribute("data-text").replace("%n", found.trigger)
          + (found.exact ? "" : " " + line.getAttribute("data-sampled"));
        Object.keys(found.steps).forEach(function (step) {
          found.steps[step].forEach(function (way) {
            var box = document.querySelector('#graph [data-step="' + CSS.escape(step) + '"] > .ways > [data-way="' + CSS.escape(way.label) + '"] .reach');
            if (box) box.textContent = "≈ " + way.friends;
          });
        });
      })
      .catch(function () {});
  }

  var doc = JSON.parse(data.textContent);
  var firstProblems = document.querySelectorAll("#problems li").length ? [1] : [];
  previews(doc);
  reach(doc, firstProblems);
  friend.addEventListener("change", function () { drawn = {}; previews(doc); });
  document.addEventListener("studio:checked", function (event) {
    doc = event.detail.document;
    previews(doc);
    reach(doc, event.detail.problems);
  });
})();
