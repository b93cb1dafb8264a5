// Totals the 13-region PCI grid as the surgeon scores it. Display only: the server
// recomputes the PCI from the 13 scores when the form is saved.
(function () {
  "use strict";
  function update(grid) {
    var selects = grid.querySelectorAll("select[data-pci-region]");
    var total = 0;
    var missing = 0;
    selects.forEach(function (s) {
      if (s.value === "") { missing += 1; } else { total += parseInt(s.value, 10); }
    });
    grid.querySelector("[data-pci-total]").textContent = String(total);
    grid.querySelector("[data-pci-missing]").textContent =
      missing ? "(" + missing + " of 13 regions not scored yet)" : "";
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-pci]").forEach(function (grid) {
      grid.addEventListener("change", function () { update(grid); });
      update(grid);
    });
  });
})();
