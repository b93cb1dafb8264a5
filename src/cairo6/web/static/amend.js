// Protocol amendments page: read the picked *.toml files in the browser and send their text as
// form fields `file:NAME` (the app accepts no file uploads). Without script the page offers a
// field to paste one file into instead.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var form = document.querySelector("form[data-amend]");
    if (!form) { return; }
    var picker = form.querySelector("[data-amend-files]");
    var input = document.getElementById("amend-files");
    var list = document.getElementById("amend-files-list");
    picker.hidden = false;
    form.querySelectorAll("[data-amend-paste]").forEach(function (el) { el.hidden = true; });
    input.addEventListener("change", function () {
      form.querySelectorAll("input[data-amend-file]").forEach(function (el) { el.remove(); });
      var names = [];
      Array.prototype.forEach.call(input.files, function (file) {
        names.push(file.name);
        file.text().then(function (text) {
          var field = document.createElement("input");
          field.type = "hidden";
          field.name = "file:" + file.name;
          field.value = text;
          field.setAttribute("data-amend-file", "");
          form.appendChild(field);
        });
      });
      list.textContent = names.length ? "Read: " + names.join(", ") : "";
    });
  });
})();
