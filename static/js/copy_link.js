// A survey's share link (participation/survey/manage.html): the link is a read-only field anyone can
// select and copy; with JavaScript a button copies it too. The site's Permissions-Policy denies the
// asynchronous clipboard, so the button selects the field and asks for the browser's own copy.
document.querySelectorAll("[data-copy]").forEach(function (button) {
  "use strict";
  var field = document.getElementById(button.dataset.copy);
  var status = document.getElementById(button.dataset.copyStatus);
  if (!field || !status) { return; }
  button.hidden = false;
  button.addEventListener("click", function () {
    var copied = false;
    field.focus();
    field.select();
    try { copied = document.execCommand("copy"); } catch (error) { copied = false; }
    status.textContent = copied ? button.dataset.copied : button.dataset.failed;
  });
});
