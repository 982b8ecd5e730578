// The photo request form shows what it will charge as the number of photos changes.
// Without this file the page states the price per photo; the server computes the same total.
(function () {
  "use strict";

  document.querySelectorAll("form[data-photo-request]").forEach(function (form) {
    var unitCents = Math.round(parseFloat(form.getAttribute("data-unit-fee")) * 100);
    var count = form.querySelector("[data-photo-count]");
    var total = form.querySelector("[data-photo-total]");
    var template = form.getAttribute("data-total");
    if (!count || !total || !template || isNaN(unitCents)) return;

    function show() {
      var n = parseInt(count.value, 10);
      if (isNaN(n) || n < 1) n = 1;
      var cents = unitCents * n;
      var yuan = Math.floor(cents / 100) + "." + String(cents % 100).padStart(2, "0");
      total.textContent = template.replace("%(total)s", yuan);
    }
    count.addEventListener("input", show);
    show();
  });
})();
