// 值班看板: keeps the board's sections current without reloading the page.
// An EventSource on /ui/board/stream names each new log position the board's views reach; the
// sections are then fetched for that position (min_position: they hold at least what was named)
// and swapped in, one fetch at a time. Without a stream, they are fetched every 10 s instead.
(function () {
  "use strict";
  var POLL_MS = 10000; // never faster than every 5 s
  var RECONNECT_MS = 30000;
  var status = document.querySelector(".live[data-stream]");
  var target = document.getElementById("board-sections");
  var centre = document.getElementById("board-centre");
  if (centre) {
    centre.addEventListener("change", function () { centre.form.submit(); });
  }
  if (!status || !target) return;

  var wanted = 0, loading = false, again = false, poller = null;

  function show(state, text) {
    status.setAttribute("data-state", state);
    status.textContent = text;
  }

  function rendered() {
    var board = target.querySelector("[data-position]");
    return board ? board.getAttribute("data-position") : "0";
  }

  function refresh(position) {
    if (position > wanted) wanted = position;
    if (loading) { again = true; return; }
    loading = true;
    var url = status.getAttribute("data-sections") + (wanted ? "&min_position=" + wanted : "");
    fetch(url, { credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        if (response.redirected) { window.location.reload(); return null; } // signed out
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.text();
      })
      .then(function (html) { if (html !== null) target.innerHTML = html; })
      .catch(function () { /* keep what is shown: the next event or poll tries again */ })
      .then(function () {
        loading = false;
        if (again) { again = false; refresh(0); }
      });
  }

  function poll() {
    if (poller === null) poller = window.setInterval(function () { refresh(0); }, POLL_MS);
  }

  function connect() {
    if (!window.EventSource) {
      show("offline", "已断开 · 每10秒刷新");
      poll();
      return;
    }
    var source = new EventSource(status.getAttribute("data-stream") + "&after=" + rendered());
    source.onopen = function () {
      show("live", "实时");
      if (poller !== null) { window.clearInterval(poller); poller = null; }
    };
    source.onmessage = function (event) {
      refresh(JSON.parse(event.data).position);
    };
    source.onerror = function () {
      if (source.readyState === EventSource.CLOSED) { // refused, not dropped: poll, retry later
        show("offline", "已断开 · 每10秒刷新");
        poll();
        window.setTimeout(connect, RECONNECT_MS);
      } else {
        show("offline", "已断开 · 正在重连");
      }
    };
  }

  connect();
})();
