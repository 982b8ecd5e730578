// Small progressive enhancements; every page works without this file.
(function () {
  "use strict";

  // Forms with data-confirm ask before submitting (cancel an order...).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
      return;
    }
    // A double click must not submit twice: disable the buttons once the form is on its way.
    window.setTimeout(function () {
      form.querySelectorAll("button[type=submit]").forEach(function (button) { button.disabled = true; });
    }, 0);
  });

  // Decision deadlines count down live: "<strong>" in .countdown[data-deadline] shows the time
  // left in the page's language. The server's text is exact when the page loads, so the first
  // update waits until time has passed: formatting with Intl at load would cost a phone a long
  // task for nothing (Lighthouse counts it as blocking time).
  function timeLeft(ms, lang) {
    var minutes = Math.max(0, Math.floor(ms / 60000));
    var days = Math.floor(minutes / 1440), hours = Math.floor((minutes % 1440) / 60), mins = minutes % 60;
    function unit(value, name) {
      return new Intl.NumberFormat(lang, { style: "unit", unit: name, unitDisplay: "long" }).format(value);
    }
    if (days > 0) return unit(days, "day") + " " + unit(hours, "hour");
    if (hours > 0) return unit(hours, "hour") + " " + unit(mins, "minute");
    return unit(mins, "minute");
  }
  function tick() {
    var lang = document.documentElement.lang || undefined;
    document.querySelectorAll(".countdown[data-deadline]").forEach(function (node) {
      var deadline = Date.parse(node.getAttribute("data-deadline"));
      var target = node.querySelector("strong");
      if (!isNaN(deadline) && target) target.textContent = timeLeft(deadline - Date.now(), lang);
    });
  }
  if (document.querySelector(".countdown[data-deadline]")) {
    window.setInterval(tick, 30000);
  }

  // The account menu closes with Escape and when clicking elsewhere.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    document.querySelectorAll("details.account-menu[open]").forEach(function (menu) {
      menu.removeAttribute("open");
      menu.querySelector("summary").focus();
    });
  });
  document.addEventListener("click", function (event) {
    document.querySelectorAll("details.account-menu[open]").forEach(function (menu) {
      if (!menu.contains(event.target)) menu.removeAttribute("open");
    });
  });
})();
