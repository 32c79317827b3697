/* sitrep: reword relative times ("in 40 minutes", "ETA passed 10 minutes ago") from the
 * reader's clock. A static page keeps the wording of its build; generator/markup.py writes
 * the same words and marks each phrase with data-rel (eta | for | due | when) and data-at.
 * The decrypt script calls window.sitrepRefresh(container) after it shows a page.
 */
(function () {
  "use strict";

  // Python's round() rounds halves to even; keep the same minutes as the build.
  function roundHalfEven(x) {
    var f = Math.floor(x), d = x - f;
    if (d > 0.5) return f + 1;
    if (d < 0.5) return f;
    return f % 2 === 0 ? f : f + 1;
  }

  // Mirrors generator.times.span.
  function span(ms) {
    var minutes = Math.max(0, roundHalfEven(ms / 60000));
    if (minutes < 60) return minutes === 1 ? "1 minute" : minutes + " minutes";
    var hours = Math.floor(minutes / 60);
    minutes = minutes % 60;
    if (hours < 24) return minutes ? hours + " h " + minutes + " min" : hours + " h";
    var days = Math.floor(hours / 24);
    hours = hours % 24;
    var dayWord = days === 1 ? "1 day" : days + " days";
    return hours ? dayWord + " " + hours + " h" : dayWord;
  }

  // Mirrors generator.markup.relative_text.
  function wording(kind, at, now, label) {
    var ahead = at >= now;
    var gap = span(ahead ? at - now : now - at);
    switch (kind) {
      case "eta":
        return ahead ? "estimated fix " + label + ", in " + gap : "ETA passed " + gap + " ago (was " + label + ")";
      case "for":
        return gap;
      case "due":
        return ahead ? "in " + gap : "overdue by " + gap;
      case "when":
        if (gap === "0 minutes") return "just now";
        return ahead ? "in " + gap : gap + " ago";
    }
    return null;
  }

  function refresh(root) {
    var now = Date.now();
    var nodes = (root || document).querySelectorAll(".sitrep-rel[data-rel][data-at]");
    for (var i = 0; i < nodes.length; i++) {
      var el = nodes[i];
      var at = Date.parse(el.getAttribute("data-at"));
      if (isNaN(at)) continue;
      var text = wording(el.getAttribute("data-rel"), at, now, el.getAttribute("data-label") || "");
      if (text === null) continue;
      el.textContent = text;
      el.setAttribute("data-past", at < now ? "true" : "false");
    }
  }

  window.sitrepRefresh = refresh;
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { refresh(document); });
  } else {
    refresh(document);
  }
  // A status page is often left open: keep its phrases true while it is read.
  window.setInterval(function () { refresh(document); }, 30000);
})();
