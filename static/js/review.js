// The review page (assessments/round_review.html): "j" moves the focus to the next indicator, "k" to the
// previous one, unless the focus is in a form field (where the letters are typed). Each indicator is an
// <article class="review-indicator" tabindex="-1">; the links "Previous/Next indicator" do the same without
// JavaScript. The page states the shortcuts.
(function () {
  "use strict";
  var indicators = Array.prototype.slice.call(document.querySelectorAll("article.review-indicator"));
  if (!indicators.length) { return; }

  function typing(element) {
    if (!element) { return false; }
    var tag = element.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || element.isContentEditable;
  }

  // The indicator the reader is at: the one holding the focus, else the first whose top is below the
  // top of the window (the one being read), else the last.
  function current() {
    var focused = document.activeElement && document.activeElement.closest("article.review-indicator");
    if (focused) { return indicators.indexOf(focused); }
    for (var i = 0; i < indicators.length; i += 1) {
      if (indicators[i].getBoundingClientRect().bottom > 0) { return i - 0.5; }
    }
    return indicators.length - 0.5;
  }

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey || typing(event.target)) { return; }
    var key = event.key;
    if (key !== "j" && key !== "k") { return; }
    var at = current();
    var next = key === "j" ? Math.floor(at) + 1 : Math.ceil(at) - 1;
    if (next < 0 || next >= indicators.length) { return; }
    event.preventDefault();
    indicators[next].focus();
    if (window.history && window.history.replaceState) {
      window.history.replaceState(null, "", "#" + indicators[next].id);
    }
  });
}());
