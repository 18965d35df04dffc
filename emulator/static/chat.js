// The LINE emulator's chat view: keeps the page live (a poll every 2 seconds) and draws a
// neutral box where a picture cannot be loaded (the emulator has no internet to fetch it).
(function () {
  "use strict";
  var POLL_MS = 2000;

  function markBroken(img) {
    var box = img.closest(".media");
    if (box) box.classList.add("broken");
  }

  // Error events do not bubble, but they can be caught on the way down.
  document.addEventListener("error", function (event) {
    if (event.target instanceof HTMLImageElement) markBroken(event.target);
  }, true);

  function checkImages(root) {
    root.querySelectorAll(".media img").forEach(function (img) {
      if (img.complete && img.naturalWidth === 0) markBroken(img);
    });
  }

  function messages() {
    return document.getElementById("messages");
  }

  function scrollToEnd() {
    var log = messages();
    if (log) log.scrollTop = log.scrollHeight;
  }

  function nearEnd() {
    var log = messages();
    return !log || log.scrollHeight - log.scrollTop - log.clientHeight < 80;
  }

  function setLive(ok) {
    var live = document.getElementById("live");
    if (!live) return;
    live.classList.toggle("offline", !ok);
    live.textContent = ok ? "live" : "offline";
  }

  var busy = false;

  function poll() {
    if (busy || document.hidden) return;
    busy = true;
    var body = document.body;
    var params = new URLSearchParams({ since: body.dataset.stamp || "" });
    if (body.dataset.userId) params.set("user_id", body.dataset.userId);
    fetch("/emulator/chat/updates?" + params.toString(), { headers: { Accept: "application/json" } })
      .then(function (response) {
        if (response.status === 404) {  // the emulator was reset: that friend is gone
          window.location.href = "/emulator/chat";
          return null;
        }
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (update) {
        setLive(true);
        if (!update || update.stamp === body.dataset.stamp) return;
        var follow = nearEnd();
        body.dataset.stamp = update.stamp;
        if (update.friends !== undefined) {
          document.getElementById("friends").innerHTML = update.friends;
        }
        var conversation = document.getElementById("conversation");
        if (update.conversation !== undefined && conversation) {
          conversation.innerHTML = update.conversation;
          checkImages(conversation);
          if (follow) scrollToEnd();
        }
      })
      .catch(function () { setLive(false); })
      .finally(function () { busy = false; });
  }

  document.addEventListener("DOMContentLoaded", function () {
    checkImages(document);
    scrollToEnd();
    window.setInterval(poll, POLL_MS);
  });
})();
