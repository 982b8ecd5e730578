// The order page's bottom bar repeats what the shopper must do (pay, or the three choices after
// a failed QC) so it stays at hand while they scroll the photos. While one of the action card's
// own buttons is on screen the bar would only repeat it, so it steps aside. Without this file
// (or the browser's IntersectionObserver) the bar always shows.
(function () {
  "use strict";

  var bar = document.querySelector("[data-action-bar]");
  var card = document.querySelector("[data-action-card]");
  if (!bar || !card || !("IntersectionObserver" in window)) return;
  var buttons = card.querySelectorAll(".button");
  var onScreen = new Set();

  var observer = new IntersectionObserver(function (entries) {
    entries.forEach(function (entry) {
      if (entry.isIntersecting) onScreen.add(entry.target);
      else onScreen.delete(entry.target);
    });
    bar.classList.toggle("action-bar--hidden", onScreen.size > 0);
  }, { threshold: 1 });
  buttons.forEach(function (button) { observer.observe(button); });
})();
