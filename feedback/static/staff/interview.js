// Autosave for the interview page: posts the whole form (with its CSRF token, the version it
// started from and the page's own token) to the autosave endpoint every 20 seconds when something
// changed, and whenever a field loses focus. The page works without this script (the Save
// button). On a conflict (409) autosave stops and says so; the text stays in the boxes, nothing on
// the page is replaced.
//
// Pressing Save or "Save and mark complete" takes the focus out of the box being typed in, so an
// autosave starts just before the form is submitted. The submit then waits for that autosave and
// carries the version it returned, and no autosave starts after it: the server sees the page's
// saves one after the other, in the order they were made.
(function () {
  "use strict";
  var form = document.querySelector("form[data-autosave-url]");
  if (!form || !window.fetch || !window.FormData) { return; }
  var url = form.getAttribute("data-autosave-url");
  var status = document.getElementById("autosave-status");
  var version = form.elements.namedItem("_version");
  var dirty = false;
  var stopped = false;
  var submitting = false;
  var inFlight = null; // the autosave on its way, as a promise that settles when it is answered

  function say(text) { if (status) { status.textContent = text; } }

  function answered(result) {
    if (result.code === 200) {
      version.value = result.body.version;
      say(result.body.message);
    } else if (result.code === 409) {
      stopped = true;
      say("Not saved: " + result.body.message);
    } else {
      dirty = true;
      say("Not saved: " + (result.body.message || "the server refused the page") + " Your text is still here.");
    }
  }

  function save() {
    if (!dirty || inFlight || stopped || submitting) { return; }
    dirty = false;
    var data = new FormData(form);
    data.delete("_action");
    inFlight = fetch(url, { method: "POST", body: data, credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) {
        return response.json().then(function (body) { return { code: response.status, body: body }; });
      })
      .then(answered)
      .catch(function () {
        dirty = true;
        say("Not saved yet: the server could not be reached. Your text is still here; it will be saved when the connection is back.");
      })
      .then(function () {
        inFlight = null;
        if (dirty) { save(); } // typed while this save was on its way
      });
  }

  function submitAfter(pending, action) {
    var sent = false;
    function send() {
      if (sent) { return; }
      sent = true;
      var field = document.createElement("input");
      field.type = "hidden";
      field.name = "_action";
      field.value = action;
      form.appendChild(field);
      form.submit(); // no submit event: straight to the server, with the version just returned
    }
    pending.then(send, send);
    window.setTimeout(send, 10000); // an autosave that never returns must not hold the page
  }

  form.addEventListener("submit", function (event) {
    if (submitting) { event.preventDefault(); return; } // a second click while the first is on its way
    submitting = true;
    if (!inFlight) { return; } // nothing on its way: the browser submits as usual
    event.preventDefault();
    var button = event.submitter;
    submitAfter(inFlight, button && button.name === "_action" ? button.value : "save");
  });
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) { submitting = false; } // back to this page from the next one
  });
  form.addEventListener("input", function () { dirty = true; });
  form.addEventListener("change", function () { dirty = true; });
  form.addEventListener("focusout", save);
  window.setInterval(save, 20000);
})();
