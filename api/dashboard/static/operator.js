// The operator's forms: a kind's own fields only (the audience form), and a file sent with a
// progress bar (an audience's members, the CSV import). Without this script the forms post
// as they are and every field shows: nothing depends on it.
(function () {
  "use strict";

  function showKind(form) {
    var select = form.querySelector("select[name=kind]");
    if (!select) return;
    var fields = form.querySelectorAll("[data-kinds]");
    function update() {
      fields.forEach(function (field) {
        var mine = field.dataset.kinds.split(" ").indexOf(select.value) >= 0;
        field.hidden = !mine;
        field.querySelectorAll("input, textarea, select").forEach(function (input) {
          input.disabled = !mine;  // a hidden field is not posted
        });
      });
    }
    select.addEventListener("change", update);
    update();
  }

  function swapIn(html) {
    // the server's answer (its 4xx page: the form with its problems) in place of ours
    var page = new DOMParser().parseFromString(html, "text/html");
    var main = page.querySelector("main");
    if (main) document.querySelector("main").replaceWith(document.importNode(main, true));
    start(document.querySelector("main"));
    var focus = document.querySelector("[aria-invalid=true]");
    if (focus) focus.focus();
  }

  function upload(form) {
    var box = form.querySelector(".op-progress");
    var file = form.querySelector("input[type=file]");
    if (!box || !file || !window.FormData || !window.XMLHttpRequest) return;
    form.addEventListener("submit", function (event) {
      if (!file.files || !file.files.length) return;  // nothing to send: post as it is
      event.preventDefault();
      var bar = box.querySelector("progress");
      var words = box.querySelector(".op-progress-text");
      var button = form.querySelector("button[type=submit]");
      var request = new XMLHttpRequest();
      box.hidden = false;
      button.disabled = true;
      request.upload.addEventListener("progress", function (seen) {
        if (!seen.lengthComputable) return;
        bar.value = Math.round((seen.loaded / seen.total) * 100);
        words.textContent = form.dataset.sending.replace("{n}", bar.value);
      });
      request.upload.addEventListener("load", function () {
        bar.removeAttribute("value");  // indeterminate: the server reads and adds it now
        words.textContent = form.dataset.working;
      });
      request.addEventListener("load", function () {
        if (request.status < 400 && request.responseURL) {
          window.location.assign(request.responseURL);
        } else {
          swapIn(request.responseText);
        }
      });
      request.addEventListener("error", function () {
        box.hidden = true;
        button.disabled = false;
        form.submit();  // let the browser try, and show what it gets
      });
      request.open("POST", form.action);
      request.send(new FormData(form));
    });
  }

  function start(root) {
    root.querySelectorAll("form[data-kind-form]").forEach(showKind);
    root.querySelectorAll("form[data-upload]").forEach(upload);
  }

  start(document);
})();
