// Live numbers: every few seconds each [data-live] region fetches its URL (the page asking
// for that part only) and swaps the new HTML in, so counts change without a reload.
(function () {
  "use strict";
  var INTERVAL = 3000;

  function watch(region) {
    var last = null;
    var busy = false;

    function refresh() {
      if (document.hidden || busy) return;
      busy = true;
      fetch(region.dataset.live, { credentials: "same-origin", cache: "no-store" })
        .then(function (answer) {
          if (answer.redirected) {  // the session ended: the page itself goes to the login form
            if (!("quiet" in region.dataset)) window.location.reload();
            return null;
          }
          return answer.ok ? answer.text() : null;
        })
        .then(function (html) {
          if (html !== null && html !== last) {
            region.innerHTML = html;
            last = html;
            region.dataset.updated = new Date().toISOString();
          }
        })
        .catch(function () { /* the API restarting: try again next time */ })
        .finally(function () { busy = false; });
    }

    if ("now" in region.dataset) refresh();  // filled in at once (the queue banner)
    window.setInterval(refresh, Number(region.dataset.interval) || INTERVAL);
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-live]").forEach(watch);
  });
})();
