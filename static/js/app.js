// After htmx replaces a section (evidence added or removed), put keyboard focus on its heading
// instead of letting it fall back to the page body.
document.addEventListener("htmx:afterSwap", function (event) {
  "use strict";
  var target = event.detail.target;
  if (target && target.id && target.id.indexOf("evidence-") === 0) {
    var section = document.getElementById(target.id);
    var heading = section && section.querySelector("h3[tabindex='-1']");
    if (heading) { heading.focus(); }
  }
});
