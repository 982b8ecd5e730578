/* Comparing a listing image with a QC photo (templates/qc/compare.html).
 *
 * Two modes: side by side, or one over the other with a divider (the listing left of it, the
 * QC photo right of it) moved by the range input, a drag or a tap on the photo, or the arrow
 * keys. Both images zoom and pan together: pinch, double-tap (or double-click), the + / − / Fit
 * buttons, ctrl + wheel (a trackpad pinch), and + / − / 0 / arrow keys on the focused stage.
 * Choosing another image in the strips below swaps it in place and updates the address, so a
 * reload or a shared link shows the same pair. Without JavaScript the page is a plain form.
 */
(function () {
  "use strict";

  var MAX_SCALE = 8;
  var STEP = 1.5;
  var DOUBLE_TAP_MS = 300;
  var DOUBLE_TAP_PX = 30;
  var FULL_FROM_SCALE = 2; // past this, the full-resolution rendition replaces the display one

  function init(root) {
    var stage = root.querySelector("[data-cmp-stage]");
    var panes = Array.prototype.slice.call(root.querySelectorAll("[data-cmp-pane]"));
    var layers = Array.prototype.slice.call(root.querySelectorAll("[data-cmp-zoom]"));
    var top = root.querySelector("[data-cmp-top]");
    var divider = root.querySelector("[data-cmp-divider]");
    var slider = root.querySelector("[data-cmp-slider]");
    var level = root.querySelector("[data-cmp-zoom-level]");
    var boxLayer = root.querySelector("[data-cmp-box-layer]");
    var form = document.querySelector("[data-cmp-form]");
    var modeInput = form && form.querySelector("[data-cmp-mode-input]");
    var images = {
      listing: root.querySelector('[data-cmp-img="listing"]'),
      qc: root.querySelector('[data-cmp-img="qc"]')
    };

    // The zoom: scale s, and the offset of the zoomed layer as fractions of the pane's size.
    var view = { s: 1, fx: 0, fy: 0 };
    var split = 50; // the divider, in percent of the stage's width

    function paneSize() {
      var rect = panes[0].getBoundingClientRect();
      return { w: rect.width, h: rect.height };
    }

    function clamp(value, low, high) {
      return Math.min(high, Math.max(low, value));
    }

    function apply() {
      var size = paneSize();
      view.s = clamp(view.s, 1, MAX_SCALE);
      view.fx = clamp(view.fx, 1 - view.s, 0);
      view.fy = clamp(view.fy, 1 - view.s, 0);
      var transform = view.s === 1 ? "" :
        "translate(" + (view.fx * size.w) + "px," + (view.fy * size.h) + "px) scale(" + view.s + ")";
      layers.forEach(function (layer) { layer.style.transform = transform; });
      level.textContent = Math.round(view.s * 100) + "%";
      stage.classList.toggle("cmp-stage--zoomed", view.s > 1);
      if (view.s >= FULL_FROM_SCALE) {
        Object.keys(images).forEach(function (key) {
          var img = images[key];
          if (img.dataset.full && img.getAttribute("src") !== img.dataset.full) {
            img.setAttribute("src", img.dataset.full);
          }
        });
      }
    }

    // Zoom to `scale` keeping the point (px, py) of the pane (pixels from its top left) still.
    function zoomAt(scale, px, py) {
      var size = paneSize();
      var next = clamp(scale, 1, MAX_SCALE);
      var x = view.fx * size.w;
      var y = view.fy * size.h;
      x = px - (px - x) * next / view.s;
      y = py - (py - y) * next / view.s;
      view = { s: next, fx: x / size.w, fy: y / size.h };
      apply();
    }

    function zoomCentre(scale) {
      var size = paneSize();
      zoomAt(scale, size.w / 2, size.h / 2);
    }

    function panBy(dx, dy) {
      var size = paneSize();
      view.fx += dx / size.w;
      view.fy += dy / size.h;
      apply();
    }

    function setSplit(percent) {
      split = clamp(Math.round(percent), 0, 100);
      top.style.clipPath = root.dataset.mode === "slider" ? "inset(0 0 0 " + split + "%)" : "";
      divider.style.left = split + "%";
      slider.value = String(split);
      slider.setAttribute("aria-valuetext", slider.dataset.valuetext
        .replace("%(left)s", split + "%").replace("%(right)s", (100 - split) + "%"));
    }

    function setMode(mode) {
      root.dataset.mode = mode;
      root.querySelectorAll("[data-cmp-mode]").forEach(function (button) {
        button.setAttribute("aria-pressed", String(button.dataset.cmpMode === mode));
      });
      root.querySelector("[data-cmp-slider-row]").hidden = mode !== "slider";
      if (modeInput) { modeInput.value = mode; }
      setSplit(split);
      apply();
      remember();
    }

    // --- Pointers: pan, pinch, double-tap, and the divider in slider mode -------------------

    var pointers = new Map();
    var pinch = null;
    var drag = null;
    var lastTap = null;

    function local(event) {
      var pane = event.target.closest("[data-cmp-pane]") || panes[0];
      var rect = root.dataset.mode === "slider" ? stage.getBoundingClientRect() : pane.getBoundingClientRect();
      return { x: event.clientX - rect.left, y: event.clientY - rect.top, w: rect.width };
    }

    function dividerTo(event) {
      var rect = stage.getBoundingClientRect();
      setSplit((event.clientX - rect.left) / rect.width * 100);
    }

    stage.addEventListener("pointerdown", function (event) {
      if (event.button !== 0) { return; }
      stage.setPointerCapture(event.pointerId);
      pointers.set(event.pointerId, { x: event.clientX, y: event.clientY });
      if (pointers.size === 2) {
        var points = Array.from(pointers.values());
        pinch = {
          distance: Math.hypot(points[0].x - points[1].x, points[0].y - points[1].y) || 1,
          scale: view.s
        };
        drag = null;
        return;
      }
      var moveDivider = root.dataset.mode === "slider" && view.s === 1;
      drag = { x: event.clientX, y: event.clientY, divider: moveDivider, moved: false };
      if (moveDivider) { dividerTo(event); }
    });

    stage.addEventListener("pointermove", function (event) {
      if (!pointers.has(event.pointerId)) { return; }
      pointers.set(event.pointerId, { x: event.clientX, y: event.clientY });
      if (pinch && pointers.size === 2) {
        var points = Array.from(pointers.values());
        var distance = Math.hypot(points[0].x - points[1].x, points[0].y - points[1].y);
        var rect = (root.dataset.mode === "slider" ? stage : panes[0]).getBoundingClientRect();
        var inPane = event.target.closest("[data-cmp-pane]");
        if (inPane && root.dataset.mode !== "slider") { rect = inPane.getBoundingClientRect(); }
        var mid = { x: (points[0].x + points[1].x) / 2 - rect.left, y: (points[0].y + points[1].y) / 2 - rect.top };
        zoomAt(pinch.scale * distance / pinch.distance, mid.x, mid.y);
        return;
      }
      if (!drag) { return; }
      var dx = event.clientX - drag.x;
      var dy = event.clientY - drag.y;
      if (Math.abs(dx) + Math.abs(dy) > 3) { drag.moved = true; }
      if (drag.divider) {
        dividerTo(event);
      } else if (view.s > 1) {
        panBy(dx, dy);
      }
      drag.x = event.clientX;
      drag.y = event.clientY;
    });

    function release(event) {
      if (!pointers.has(event.pointerId)) { return; }
      pointers.delete(event.pointerId);
      if (pointers.size < 2) { pinch = null; }
      if (event.type !== "pointerup" || !drag || drag.moved || pointers.size) {
        if (!pointers.size) { drag = null; }
        return;
      }
      drag = null;
      // A second tap close in time and place: zoom in there, or back out to fit.
      var now = event.timeStamp;
      if (lastTap && now - lastTap.time < DOUBLE_TAP_MS &&
          Math.hypot(event.clientX - lastTap.x, event.clientY - lastTap.y) < DOUBLE_TAP_PX) {
        lastTap = null;
        var point = local(event);
        if (view.s > 1) {
          view = { s: 1, fx: 0, fy: 0 };
          apply();
        } else {
          zoomAt(2.5, point.x, point.y);
        }
        return;
      }
      lastTap = { time: now, x: event.clientX, y: event.clientY };
    }

    stage.addEventListener("pointerup", release);
    stage.addEventListener("pointercancel", release);

    stage.addEventListener("wheel", function (event) {
      if (!event.ctrlKey) { return; } // a plain wheel scrolls the page
      event.preventDefault();
      var point = local(event);
      zoomAt(view.s * Math.exp(-event.deltaY / 200), point.x, point.y);
    }, { passive: false });

    stage.addEventListener("keydown", function (event) {
      var move = 40;
      var handled = true;
      if (event.key === "+" || event.key === "=") {
        zoomCentre(view.s * STEP);
      } else if (event.key === "-" || event.key === "_") {
        zoomCentre(view.s / STEP);
      } else if (event.key === "0") {
        view = { s: 1, fx: 0, fy: 0 };
        apply();
      } else if (event.key.indexOf("Arrow") === 0 && view.s > 1) {
        var d = { ArrowLeft: [move, 0], ArrowRight: [-move, 0], ArrowUp: [0, move], ArrowDown: [0, -move] }[event.key];
        panBy(d[0], d[1]);
      } else if ((event.key === "ArrowLeft" || event.key === "ArrowRight") && root.dataset.mode === "slider") {
        setSplit(split + (event.key === "ArrowLeft" ? -5 : 5));
      } else {
        handled = false;
      }
      if (handled) { event.preventDefault(); }
    });

    // --- Buttons and the slider ---------------------------------------------------------------

    root.querySelector("[data-cmp-zoom-in]").addEventListener("click", function () { zoomCentre(view.s * STEP); });
    root.querySelector("[data-cmp-zoom-out]").addEventListener("click", function () { zoomCentre(view.s / STEP); });
    root.querySelector("[data-cmp-zoom-reset]").addEventListener("click", function () {
      view = { s: 1, fx: 0, fy: 0 };
      apply();
    });
    root.querySelectorAll("[data-cmp-mode]").forEach(function (button) {
      button.addEventListener("click", function () { setMode(button.dataset.cmpMode); });
    });
    slider.addEventListener("input", function () { setSplit(Number(slider.value)); });
    var boxes = root.querySelector("[data-cmp-boxes]");
    boxes.addEventListener("change", function () { root.classList.toggle("cmp--no-boxes", !boxes.checked); });
    window.addEventListener("resize", apply);

    // --- Choosing another pair ----------------------------------------------------------------

    function drawBoxes(list) {
      var ns = "http://www.w3.org/2000/svg";
      while (boxLayer.firstChild) { boxLayer.removeChild(boxLayer.firstChild); }
      list.forEach(function (box) {
        var rect = document.createElementNS(ns, "rect");
        rect.setAttribute("class", "cmp-box cmp-box--" + box[4]);
        rect.setAttribute("x", box[0]);
        rect.setAttribute("y", box[1]);
        rect.setAttribute("width", box[2]);
        rect.setAttribute("height", box[3]);
        var title = document.createElementNS(ns, "title");
        title.textContent = box[5];
        rect.appendChild(title);
        boxLayer.appendChild(rect);
      });
    }

    function show(input) {
      var img = images[input.dataset.cmpChoice];
      img.setAttribute("width", input.dataset.width);
      img.setAttribute("height", input.dataset.height);
      img.setAttribute("alt", input.dataset.alt);
      img.dataset.full = input.dataset.full;
      img.setAttribute("src", view.s >= FULL_FROM_SCALE ? input.dataset.full : input.dataset.display);
      if (input.dataset.cmpChoice === "qc") { drawBoxes(JSON.parse(input.dataset.boxes || "[]")); }
    }

    function remember() {
      if (!form || !window.history.replaceState) { return; }
      var query = new URLSearchParams(new FormData(form)).toString();
      window.history.replaceState(null, "", window.location.pathname + "?" + query);
    }

    if (form) {
      form.addEventListener("change", function (event) {
        if (event.target.matches("[data-cmp-choice]")) {
          show(event.target);
          remember();
        }
      });
      form.classList.add("cmp-js");
    }

    root.querySelector("[data-cmp-toolbar]").hidden = false;
    setMode(root.dataset.mode === "slider" ? "slider" : "side");
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-cmp]").forEach(init);
  });
})();
