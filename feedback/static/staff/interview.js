// Autosave for the interview page: posts the whole form (with its CSRF token and the version it
// started from) to the autosave endpoint every 20 seconds when something changed, and whenever a
// field loses focus. The page works without this script (the Save button). On a conflict (409)
// autosave stops and says so; the text stays in the boxes, nothing on the page is replaced.
(function () {
  "use strict";
  var form = document.querySelector("form[data-autosave-url]");
  if (!form || !window.fetch || !window.FormData) { return; }
  var url = form.getAttribute("data-autosave-url");
  var status = document.getElementById("autosave-status");
  var version = form.elements.namedItem("_version");
  var dirty = false;
  var busy = false;
  var stopped = false;

  function say(text) { if (status) { status.textContent = text; } }

  function save() {
    if (!dirty || busy || stopped) { return; }
    busy = true;
    dirty = false;
    var data = new FormData(form);
    data.delete("_action");
    fetch(url, { method: "POST", body: data, credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) {
        return response.json().then(function (body) { return { code: response.status, body: body }; });
      })
      .then(function (result) {
        busy = false;
        if (result.code === 200) {
          version.value = result.body.version;
          say(result.body.message);
          if (dirty) { save(); } // typed while this save was on its way
        } else if (result.code === 409) {
          stopped = true;
          say("Not saved: " + result.body.message);
        } else {
          dirty = true;
          say("Not saved: " + (result.body.message || "the server refused the page") + " Your text is still here.");
        }
      })
      .catch(function () {
        busy = false;
        dirty = true;
        say("Not saved yet: the server could not be reached. Your text is still here; it will be saved when the connection is back.");
      });
  }

  form.addEventListener("input", function () { dirty = true; });
  form.addEventListener("change", function () { dirty = true; });
  form.addEventListener("focusout", save);
  window.setInterval(save, 20000);
})();
