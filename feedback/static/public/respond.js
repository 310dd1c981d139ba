// Shows and hides questions whose skip rule reads an answer on the same page, as the respondent
// answers. Only simple rules are handled here ("a = 'x'", "selected(a, 'x')", joined by "or"),
// described by the server in data-show-if as [[question, value], ...]. Without JavaScript every
// such question is shown and the server drops the answers the rules do not ask for.
(function () {
  "use strict";
  var form = document.getElementById("page-form");
  if (!form) { return; }
  var targets = Array.prototype.slice.call(form.querySelectorAll("[data-show-if]"));
  if (!targets.length) { return; }

  function answered(name, value) {
    var fields = form.elements.namedItem(name);
    if (!fields) { return false; }
    var list = fields.length !== undefined && !fields.tagName ? Array.prototype.slice.call(fields) : [fields];
    return list.some(function (field) {
      if (field.type === "radio" || field.type === "checkbox") { return field.checked && field.value === value; }
      return field.value === value;
    });
  }

  function update() {
    targets.forEach(function (element) {
      var pairs;
      try { pairs = JSON.parse(element.getAttribute("data-show-if")); } catch (e) { return; }
      element.hidden = !pairs.some(function (pair) { return answered(pair[0], pair[1]); });
    });
  }

  form.addEventListener("change", update);
  form.addEventListener("input", update);
  update();
})();
