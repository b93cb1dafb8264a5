// Dates and times in the reader's locale: every <time data-local> written by the server
// (readable text in UTC as a fallback) is rewritten with Intl.DateTimeFormat.
(function () {
  "use strict";
  var dateOnly = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeZone: "UTC" });
  // The zone is named: sites of one trial may work in different time zones.
  var dateTime = new Intl.DateTimeFormat(undefined, {
    day: "numeric", month: "short", year: "numeric",
    hour: "2-digit", minute: "2-digit", timeZoneName: "short"
  });
  function show(root) {
    var found = root.querySelectorAll("time[data-local]:not([data-shown])");
    for (var i = 0; i < found.length; i++) {
      var el = found[i];
      var kind = el.getAttribute("data-local");
      var value = el.getAttribute("datetime");
      var when = new Date(kind === "date" ? value + "T00:00:00Z" : value);
      if (isNaN(when.getTime())) continue;
      el.title = el.textContent;
      el.textContent = (kind === "date" ? dateOnly : dateTime).format(when);
      el.setAttribute("data-shown", "");
    }
  }
  document.addEventListener("DOMContentLoaded", function () { show(document); });
  document.addEventListener("htmx:afterSwap", function (e) { show(e.target); });
})();
