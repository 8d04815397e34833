// The review page (assessments/round_review.html).
//
// "j" moves the focus to the next indicator, "k" to the previous one, only while the focus is on an
// indicator (<article class="review-indicator" tabindex="-1">) or on one of its links: anywhere else on
// the page, and in every form field, the letters are left alone (WCAG 2.1.4, character key shortcuts).
// The links "Previous/Next indicator" of each indicator do the same without JavaScript; they carry the
// keys in aria-keyshortcuts, and the page states the shortcuts.
//
// After a refused review (422) the error summary takes the focus, so that it is read first.
(function () {
  "use strict";
  var summary = document.getElementById("review-errors");
  if (summary) { summary.focus(); }

  var indicators = Array.prototype.slice.call(document.querySelectorAll("article.review-indicator"));
  if (!indicators.length) { return; }

  // The indicator the key acts from: the event's target is the indicator itself or one of its links.
  function origin(target) {
    var article = target && target.closest ? target.closest("article.review-indicator") : null;
    if (!article) { return null; }
    return target === article || target.tagName === "A" ? article : null;
  }

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey) { return; }
    var key = event.key;
    if (key !== "j" && key !== "k") { return; }
    var article = origin(event.target);
    if (!article) { return; }
    var next = indicators.indexOf(article) + (key === "j" ? 1 : -1);
    if (next < 0 || next >= indicators.length) { return; }
    event.preventDefault();
    indicators[next].focus();
    if (window.history && window.history.replaceState) {
      window.history.replaceState(null, "", "#" + indicators[next].id);
    }
  });
}());
