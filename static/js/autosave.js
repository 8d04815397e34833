// Autosave of the answer forms (form[data-autosave]) that never says "Saved" about text the server
// does not have.
//
// - One save at a time per answer; an edit made meanwhile is sent after it, so none is lost.
// - Each save carries a new save id; a retry sends the very same body again, so the server can
//   acknowledge a save that committed but whose answer was lost, instead of calling it a conflict.
// - The saved mark changes only on a 2xx. A 409 (conflict), 422 or 403 (refusal) is shown as the
//   server says and not retried; any other answer or a network error says "Not saved — retrying",
//   retries with a growing delay, and at last says plainly that the answer is not saved, with a
//   button to try again.
// - Leaving the page while an edit is not saved asks first (beforeunload).
//
// Tests set the pace with window.coherenceAutosave = {retries: 2, backoff: 100, debounce: 300}.
(function () {
  "use strict";

  var config = Object.assign({ retries: 6, backoff: 1000, maxBackoff: 30000, debounce: 1500 }, window.coherenceAutosave || {});
  var SHOWN_AS_IS = [403, 409, 422];  // the answer the server gives is the message: no retry
  var savers = [];

  function newSaveId() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") {
      return window.crypto.randomUUID();
    }
    // crypto.randomUUID exists only in secure contexts; getRandomValues everywhere.
    var bytes = window.crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map.call(bytes, function (b) { return (b + 0x100).toString(16).slice(1); }).join("");
    return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20)].join("-");
  }

  function fromTemplate(id) {
    var template = document.getElementById(id);
    return template ? template.content.cloneNode(true) : document.createTextNode("");
  }

  function Saver(form) {
    this.form = form;
    this.code = form.getAttribute("data-autosave");
    this.edits = 0;         // edits made on the page
    this.savedUpTo = 0;     // edits the server acknowledged
    this.sending = null;    // the save in flight or waiting for a retry: {body, upTo, failures}
    this.queued = false;    // an edit came while a save was under way
    this.queuedSubmitter = null;
    this.debounceTimer = null;
    this.retryTimer = null;
    this.gaveUp = false;
    this.focusInStatus = false;  // the focus was in the status line when the save was sent
    var saver = this;

    form.addEventListener("input", function (event) {
      if (event.target.tagName !== "TEXTAREA") { return; }
      saver.edits += 1;
      clearTimeout(saver.debounceTimer);
      saver.debounceTimer = setTimeout(function () { saver.flush(null); }, config.debounce);
    });
    form.addEventListener("change", function () {
      saver.edits += 1;
      saver.flush(null);
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      saver.edits += 1;
      saver.flush(event.submitter || null);
    });
    form.addEventListener("click", function (event) {
      if (event.target.closest("[data-autosave-retry]")) {
        saver.retryNow();
      } else if (event.target.closest("[data-autosave-discard]")) {
        saver.savedUpTo = saver.edits;  // "use their version": the user lets this text go
      }
    });
  }

  Saver.prototype.unsaved = function () {
    return this.sending !== null || this.edits > this.savedUpTo;
  };

  Saver.prototype.status = function () {
    return document.getElementById("state-" + this.code);
  };

  // Save what the form holds now: at once if nothing is under way, after the current save otherwise.
  Saver.prototype.flush = function (submitter) {
    clearTimeout(this.debounceTimer);
    this.debounceTimer = null;
    if (this.sending) {
      this.queued = true;
      this.queuedSubmitter = submitter || this.queuedSubmitter;
      if (this.gaveUp) { this.retryNow(); }
      return;
    }
    this.form.querySelector("input[name$='-save_id']").value = newSaveId();
    var body = new URLSearchParams(submitter ? new FormData(this.form, submitter) : new FormData(this.form));
    // The CSRF token goes in a header read from the cookie at each try (see send): logging in again
    // in another tab rotates it, and the token printed in this page would then be refused.
    body.delete("csrfmiddlewaretoken");
    this.sending = { body: body, upTo: this.edits, failures: 0 };
    this.send(true);
  };

  // Send the current save; its first try shows "Saving…", a retry keeps "Not saved — retrying".
  Saver.prototype.send = function (first) {
    var saver = this;
    this.retryTimer = null;
    this.gaveUp = false;
    if (first) {
      // Saving hides the status line's buttons ("Confirm"), and a hidden button loses the focus.
      this.focusInStatus = this.status().contains(document.activeElement);
      this.form.classList.add("htmx-request");
    }
    fetch(this.form.action, {
      method: "POST",
      body: this.sending.body,
      headers: { "HX-Request": "true", "X-CSRFToken": csrfToken(this.form) },
      credentials: "same-origin",
      redirect: "manual",  // a redirect is the log-in page: the session ended, nothing was saved
    }).then(function (response) {
      if (response.type === "opaqueredirect") {
        saver.signedOut();
        return;
      }
      return response.text().then(function (html) { saver.answered(response.status, html); });
    }).catch(function () {
      saver.failed();
    });
  };

  Saver.prototype.answered = function (status, html) {
    if (!(status >= 200 && status < 300) && SHOWN_AS_IS.indexOf(status) === -1) {
      this.failed();
      return;
    }
    this.form.classList.remove("htmx-request");
    var line = this.status();
    // "Try again", "Keep my version", or "Confirm" (whose focus went to the page when saving hid it)
    var hadFocus = line.contains(document.activeElement) ||
      (this.focusInStatus && (!document.activeElement || document.activeElement === document.body));
    this.focusInStatus = false;
    htmx.swap(line, html, { swapStyle: "outerHTML" });
    if (hadFocus) { this.keepFocus(); }
    if (status < 300) { this.savedUpTo = this.sending.upTo; }
    this.sending = null;
    if (this.queued) {
      this.queued = false;
      var submitter = this.queuedSubmitter;
      this.queuedSubmitter = null;
      this.flush(submitter);
    }
  };

  Saver.prototype.failed = function () {
    this.form.classList.remove("htmx-request");
    this.sending.failures += 1;
    if (this.sending.failures > config.retries) {
      this.gaveUp = true;
      this.say("autosave-gave-up");
      return;
    }
    var delay = Math.min(config.backoff * Math.pow(2, this.sending.failures - 1), config.maxBackoff);
    this.say("autosave-retrying");
    this.retryTimer = setTimeout(this.send.bind(this, false), delay);
  };

  // Retrying cannot help until the person logs in again (in another tab, keeping this one).
  Saver.prototype.signedOut = function () {
    this.form.classList.remove("htmx-request");
    this.gaveUp = true;
    this.say("autosave-signed-out");
  };

  Saver.prototype.retryNow = function () {
    if (!this.sending || (!this.gaveUp && !this.retryTimer)) { return; }  // nothing waits, or it is in flight
    clearTimeout(this.retryTimer);
    this.sending.failures = 0;  // a full series of retries again
    this.say("autosave-retrying");
    this.send(false);
  };

  // Put a message in the answer's status line, the live region screen readers announce.
  Saver.prototype.say = function (templateId) {
    var status = this.status();
    var hadFocus = status.contains(document.activeElement);
    if (!status.matches(".save-state[role=status]")) {  // a conflict panel or a refusal: back to a status line
      var line = fromTemplate("autosave-status").firstElementChild;
      line.id = status.id;
      status.replaceWith(line);
      status = line;
    }
    status.querySelector(".saved").replaceChildren(fromTemplate(templateId));
    if (hadFocus) { this.keepFocus(); }
  };

  // The button the user pressed was in the status line and is gone: put the focus on "Save now",
  // beside it, rather than let it fall back to the page.
  Saver.prototype.keepFocus = function () {
    if (!this.status().contains(document.activeElement)) {
      this.form.querySelector("button[type=submit]").focus();
    }
  };

  // The CSRF cookie as it is now, or else the token the page was served with.
  function csrfToken(form) {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : form.querySelector("input[name=csrfmiddlewaretoken]").value;
  }

  function start() {
    document.querySelectorAll("form[data-autosave]").forEach(function (form) {
      savers.push(new Saver(form));
    });
  }

  window.addEventListener("beforeunload", function (event) {
    if (savers.some(function (saver) { return saver.unsaved(); })) {
      event.preventDefault();
      event.returnValue = "";  // browsers show their own words
    }
  });
  // Leaving the tab (or the browser going to sleep) should not wait for the typing pause.
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState !== "hidden") { return; }
    savers.forEach(function (saver) { if (saver.debounceTimer) { saver.flush(null); } });
  });
  window.addEventListener("online", function () {
    savers.forEach(function (saver) { saver.retryNow(); });
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
}());
