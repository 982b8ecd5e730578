// QC photo lightbox: Enter or tap opens, arrow keys and swipes move, Escape closes and focus
// goes back to the thumbnail. Without this file every thumbnail is a plain link to its photo.
(function () {
  "use strict";

  var template = document.getElementById("qc-lightbox-template");
  if (!template) return;
  var strings = document.getElementById("qc-lightbox-strings");
  var countText = strings ? strings.getAttribute("data-count") : "%(n)s / %(total)s";

  var dialog = template.content.firstElementChild.cloneNode(true);
  document.body.appendChild(dialog);
  var image = dialog.querySelector("[data-qc-image]");
  var frame = dialog.querySelector("[data-qc-frame]");
  var caption = dialog.querySelector("[data-qc-caption]");
  var count = dialog.querySelector("[data-qc-count]");
  var full = dialog.querySelector("[data-qc-full]");
  var boxesButton = dialog.querySelector("[data-qc-boxes]");
  var prev = dialog.querySelector("[data-qc-prev]");
  var next = dialog.querySelector("[data-qc-next]");

  var links = [];
  var index = 0;
  var opener = null;
  var round = null;

  function roundOf(element) { return element.closest("[data-qc-round]"); }
  function boxesShown() { return !round || !round.classList.contains("qc-round--no-boxes"); }

  function syncBoxes() {
    var shown = boxesShown();
    dialog.classList.toggle("qc-lightbox--no-boxes", !shown);
    boxesButton.setAttribute("aria-pressed", shown ? "true" : "false");
    boxesButton.textContent = boxesButton.getAttribute(shown ? "data-hide" : "data-show");
    boxesButton.hidden = !links[index] || !links[index].querySelector("svg.qc-boxes");
  }

  function show(i) {
    index = (i + links.length) % links.length;
    var link = links[index];
    var thumb = link.querySelector("img");
    image.src = link.getAttribute("href");
    image.width = parseInt(link.getAttribute("data-width"), 10) || thumb.naturalWidth;
    image.height = parseInt(link.getAttribute("data-height"), 10) || thumb.naturalHeight;
    image.alt = thumb ? thumb.alt : "";
    var old = frame.querySelector("svg.qc-boxes");
    if (old) old.remove();
    var boxes = link.querySelector("svg.qc-boxes");
    if (boxes) frame.appendChild(boxes.cloneNode(true));
    caption.textContent = link.getAttribute("data-caption") || "";
    full.href = link.getAttribute("data-full");
    count.textContent = countText.replace("%(n)s", index + 1).replace("%(total)s", links.length);
    prev.hidden = next.hidden = links.length < 2;
    syncBoxes();
  }

  function open(link) {
    round = roundOf(link);
    links = Array.prototype.slice.call(round.querySelectorAll("a[data-qc-photo]"));
    opener = document.activeElement && document.activeElement !== document.body ? document.activeElement : link;
    show(links.indexOf(link));
    if (!dialog.open) dialog.showModal();
    dialog.querySelector("[data-qc-close]").focus();
  }

  function close() { if (dialog.open) dialog.close(); }

  dialog.addEventListener("close", function () {
    image.removeAttribute("src");
    if (opener && document.contains(opener)) opener.focus();
  });

  document.addEventListener("click", function (event) {
    var link = event.target.closest("a[data-qc-photo]");
    if (link) {
      event.preventDefault();
      open(link);
      return;
    }
    var jump = event.target.closest("[data-qc-show]");
    if (jump) {
      var target = document.querySelector("#qc-photo-" + jump.getAttribute("data-qc-show") + " a[data-qc-photo]");
      if (target) {
        event.preventDefault();
        opener = jump;
        round = roundOf(target);
        links = Array.prototype.slice.call(round.querySelectorAll("a[data-qc-photo]"));
        show(links.indexOf(target));
        if (!dialog.open) dialog.showModal();
        dialog.querySelector("[data-qc-close]").focus();
      }
    }
  });

  document.addEventListener("change", function (event) {
    if (!event.target.matches("[data-qc-toggle-boxes]")) return;
    roundOf(event.target).classList.toggle("qc-round--no-boxes", !event.target.checked);
  });

  boxesButton.addEventListener("click", function () {
    if (!round) return;
    var hidden = round.classList.toggle("qc-round--no-boxes");
    var toggle = round.querySelector("[data-qc-toggle-boxes]");
    if (toggle) toggle.checked = !hidden;
    syncBoxes();
  });
  dialog.querySelector("[data-qc-close]").addEventListener("click", close);
  prev.addEventListener("click", function () { show(index - 1); });
  next.addEventListener("click", function () { show(index + 1); });

  dialog.addEventListener("keydown", function (event) {
    if (event.key === "ArrowLeft") { event.preventDefault(); show(index - 1); }
    else if (event.key === "ArrowRight") { event.preventDefault(); show(index + 1); }
  });
  // A click on the dark background (not on the photo or a control) closes.
  dialog.addEventListener("click", function (event) {
    if (event.target.classList.contains("qc-lightbox__stage")) close();
  });

  // Swipe left / right on touch screens.
  var startX = null;
  var startY = null;
  dialog.addEventListener("touchstart", function (event) {
    if (event.touches.length !== 1) { startX = null; return; }
    startX = event.touches[0].clientX;
    startY = event.touches[0].clientY;
  }, { passive: true });
  dialog.addEventListener("touchend", function (event) {
    if (startX === null || links.length < 2) return;
    var dx = event.changedTouches[0].clientX - startX;
    var dy = event.changedTouches[0].clientY - startY;
    startX = null;
    if (Math.abs(dx) > 40 && Math.abs(dx) > Math.abs(dy) * 1.5) show(index + (dx < 0 ? 1 : -1));
  });
})();
