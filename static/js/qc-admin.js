// Inspection page in the admin: multi-photo upload with a progress bar, defect boxes drawn by
// dragging on the photo (stored as fractions of the image), and a confirm before a verdict.
(function () {
  "use strict";

  function format(text, values) {
    return text.replace(/%\((\w+)\)s/g, function (_, key) { return values[key]; });
  }

  // The round's photos by id, for drawing boxes (filled from the page, then by the uploader).
  var photos = {};

  // --- Upload ---------------------------------------------------------------------------
  // One file per request, in turn. The page never reloads: a refused file's message stays, with
  // a Dismiss button, until the inspector dismisses it; an accepted photo joins the photo list
  // (and the defects' photo menus) at once, marked "Processing…" until the page is next loaded.

  var upload = document.querySelector("[data-qc-upload]");
  if (upload) {
    var uploadForm = upload.querySelector("form");
    var input = upload.querySelector("input[type=file]");
    var progress = upload.querySelector("[data-qc-progress]");
    var status = upload.querySelector("[data-qc-status]");
    var results = upload.querySelector("[data-qc-results]");
    var csrf = uploadForm.querySelector("[name=csrfmiddlewaretoken]").value;

    var sendOne = function (file, onProgress) {
      return new Promise(function (resolve) {
        var data = new FormData();
        data.append("photo", file, file.name);
        var xhr = new XMLHttpRequest();
        xhr.open("POST", upload.getAttribute("data-url"));
        xhr.setRequestHeader("X-CSRFToken", csrf);
        xhr.setRequestHeader("Accept", "application/json");
        xhr.upload.addEventListener("progress", function (event) {
          if (event.lengthComputable) onProgress(event.loaded);
        });
        xhr.addEventListener("load", function () {
          var body = null;
          try { body = JSON.parse(xhr.responseText); } catch (error) { body = null; }
          var result = body && body.results && body.results[0];
          if (result) {
            if (!result.name) result.name = file.name;
            resolve(result);
          } else resolve({ name: file.name, ok: false, errors: [status.getAttribute("data-failed")] });
        });
        xhr.addEventListener("error", function () {
          resolve({ name: file.name, ok: false, errors: [status.getAttribute("data-failed")] });
        });
        xhr.send(data);
      });
    };

    var listPhoto = function (photo) {
      var table = document.querySelector("#photos-group table");
      if (table && table.tBodies.length) {
        var columns = table.tHead ? table.tHead.rows[0].cells.length : 2;
        var row = document.createElement("tr");
        row.className = "qc-upload__new";
        row.setAttribute("data-qc-new-photo", photo.id);
        var pending = document.createElement("td");
        var label = document.createElement("span");
        label.className = "qc-admin-pending";
        label.textContent = upload.getAttribute("data-processing");
        pending.appendChild(label);
        var about = document.createElement("td");
        about.colSpan = Math.max(1, columns - 1);
        about.textContent = photo.name + " · " + photo.details;
        row.appendChild(pending);
        row.appendChild(about);
        table.tBodies[0].appendChild(row);
      }
      // Defects may point at it right away (boxes wait for the next load: it is not rendered yet).
      document.querySelectorAll("select[name^='defects-'][name$='-photo']").forEach(function (select) {
        var option = document.createElement("option");
        option.value = photo.id;
        option.textContent = photo.label;
        select.appendChild(option);
      });
      photos[String(photo.id)] = { id: photo.id, label: photo.label, src: "" };
    };

    var report = function (result) {
      var item = document.createElement("li");
      if (result.ok) {
        item.className = "qc-upload__ok";
        item.textContent = result.name + " ✓";
      } else {
        item.className = "qc-upload__error";
        var text = document.createElement("span");
        text.textContent = result.name + ": " + result.errors.join(" ");
        var dismiss = document.createElement("button");
        dismiss.type = "button";
        dismiss.className = "qc-upload__dismiss";
        dismiss.setAttribute("data-qc-dismiss", "");
        dismiss.textContent = upload.getAttribute("data-dismiss");
        dismiss.setAttribute("aria-label", format(upload.getAttribute("data-dismiss-label"), { name: result.name }));
        item.appendChild(text);
        item.appendChild(dismiss);
      }
      results.appendChild(item);
    };

    results.addEventListener("click", function (event) {
      var dismiss = event.target.closest("[data-qc-dismiss]");
      if (!dismiss) return;
      var item = dismiss.closest("li");
      var next = item.nextElementSibling || item.previousElementSibling;
      item.remove();
      var focusable = next && next.querySelector("[data-qc-dismiss]");
      (focusable || input).focus();
    });

    uploadForm.addEventListener("submit", function (event) {
      event.preventDefault();
      var files = Array.prototype.slice.call(input.files);
      if (!files.length) return;
      var total = files.reduce(function (sum, file) { return sum + file.size; }, 0) || 1;
      var done = 0;
      var ok = 0;
      // The ticks of the last batch go; refusals stay until dismissed.
      results.querySelectorAll(".qc-upload__ok").forEach(function (item) { item.remove(); });
      progress.hidden = false;
      progress.value = 0;
      uploadForm.querySelector("button[type=submit]").disabled = true;
      var chain = Promise.resolve();
      files.forEach(function (file, i) {
        chain = chain.then(function () {
          status.textContent = format(status.getAttribute("data-uploading"), { n: i + 1, total: files.length });
          return sendOne(file, function (loaded) {
            progress.value = Math.min(100, Math.round(((done + loaded) / total) * 100));
          }).then(function (result) {
            done += file.size;
            progress.value = Math.round((done / total) * 100);
            if (result.ok) {
              ok += 1;
              listPhoto({ id: result.id, name: result.name, label: result.label, details: result.details });
            }
            report(result);
          });
        });
      });
      chain.then(function () {
        uploadForm.querySelector("button[type=submit]").disabled = false;
        input.value = "";
        progress.hidden = true;
        status.textContent = format(status.getAttribute("data-done"), { ok: ok, total: files.length });
      });
    });
    input.addEventListener("change", function () {
      if (input.files.length) uploadForm.requestSubmit();
    });
  }

  // --- Verdict buttons ask first ----------------------------------------------------------

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-qc-confirm]");
    if (button && !window.confirm(button.getAttribute("data-qc-confirm"))) event.preventDefault();
  });

  // --- Defect boxes -------------------------------------------------------------------------

  var panel = document.querySelector("[data-qc-draw]");
  var dataNode = document.getElementById("qc-photos-data");
  if (!panel || !dataNode) return;
  JSON.parse(dataNode.textContent).forEach(function (photo) { photos[String(photo.id)] = photo; });
  var stage = panel.querySelector("[data-qc-draw-stage]");
  var image = panel.querySelector("[data-qc-draw-image]");
  var boxEl = panel.querySelector("[data-qc-draw-box]");
  var message = panel.querySelector("[data-qc-draw-message]");
  var current = null; // the defect row being edited
  var box = null; // {x, y, w, h} fractions
  var start = null;

  function field(row, key) { return row.querySelector("input[data-qc-box='" + key + "']"); }
  function photoSelect(row) { return row.querySelector("select[name$='-photo']"); }
  function readBox(row) {
    var x = field(row, "x");
    if (!x || x.value === "") return null;
    return { x: +x.value, y: +field(row, "y").value, w: +field(row, "w").value, h: +field(row, "h").value };
  }
  function writeBox(row, value) {
    ["x", "y", "w", "h"].forEach(function (key) {
      field(row, key).value = value ? value[key].toFixed(4) : "";
    });
    describe(row);
  }
  function describe(row) {
    var slot = row.querySelector("[data-qc-box-slot]");
    if (!slot) return;
    var value = readBox(row);
    slot.textContent = "";
    var summary = document.createElement("span");
    summary.className = "qc-box-summary";
    summary.textContent = value
      ? Math.round(value.x * 100) + "%, " + Math.round(value.y * 100) + "% · " +
        Math.round(value.w * 100) + "×" + Math.round(value.h * 100) + "%"
      : panel.getAttribute("data-none");
    var draw = document.createElement("button");
    draw.type = "button";
    draw.className = "button";
    draw.setAttribute("data-qc-draw-open", "");
    draw.textContent = panel.getAttribute(value ? "data-redraw" : "data-draw");
    slot.appendChild(summary);
    slot.appendChild(draw);
    if (value) {
      var clear = document.createElement("button");
      clear.type = "button";
      clear.className = "button";
      clear.setAttribute("data-qc-draw-clear", "");
      clear.textContent = panel.getAttribute("data-clear");
      slot.appendChild(clear);
    }
  }
  function rows() {
    return Array.prototype.filter.call(document.querySelectorAll("#defects-group tr.form-row"), function (row) {
      return !row.classList.contains("empty-form") && field(row, "x");
    });
  }
  rows().forEach(describe);
  document.addEventListener("formset:added", function (event) {
    if (event.detail && event.detail.formsetName === "defects") describe(event.target);
  });

  function place(value) {
    if (!value) { boxEl.hidden = true; return; }
    boxEl.hidden = false;
    boxEl.style.left = value.x * 100 + "%";
    boxEl.style.top = value.y * 100 + "%";
    boxEl.style.width = value.w * 100 + "%";
    boxEl.style.height = value.h * 100 + "%";
  }
  function showOthers(photoId) {
    stage.querySelectorAll(".qc-draw__other").forEach(function (el) { el.remove(); });
    rows().forEach(function (row) {
      var select = photoSelect(row);
      var value = readBox(row);
      if (row === current || !value || !select || select.value !== photoId) return;
      var other = document.createElement("div");
      other.className = "qc-draw__other";
      other.style.left = value.x * 100 + "%";
      other.style.top = value.y * 100 + "%";
      other.style.width = value.w * 100 + "%";
      other.style.height = value.h * 100 + "%";
      stage.appendChild(other);
    });
  }
  function openPanel(row) {
    current = row;
    var select = photoSelect(row);
    var photo = select && photos[select.value];
    panel.hidden = false;
    stage.hidden = true;
    if (!photo) { message.textContent = panel.getAttribute("data-needs-photo"); }
    else if (!photo.src) { message.textContent = panel.getAttribute("data-not-ready"); }
    else {
      message.textContent = photo.label;
      stage.hidden = false;
      image.src = photo.src;
      image.width = photo.width;
      image.height = photo.height;
      box = readBox(row);
      place(box);
      showOthers(select.value);
    }
    panel.scrollIntoView({ block: "nearest" });
    panel.querySelector("[data-qc-draw-cancel]").focus({ preventScroll: true });
  }
  function closePanel() {
    panel.hidden = true;
    var row = current;
    current = null;
    start = null;
    if (row) {
      var again = row.querySelector("[data-qc-draw-open]");
      if (again) again.focus();
    }
  }

  document.addEventListener("click", function (event) {
    var opener = event.target.closest("[data-qc-draw-open]");
    if (opener) { openPanel(opener.closest("tr")); return; }
    var clear = event.target.closest("[data-qc-draw-clear]");
    if (clear) {
      var row = clear.closest("tr");
      writeBox(row, null);
      row.querySelector("[data-qc-draw-open]").focus();
    }
  });
  panel.querySelector("[data-qc-draw-cancel]").addEventListener("click", closePanel);
  panel.querySelector("[data-qc-draw-use]").addEventListener("click", function () {
    if (current && box && box.w > 0.005 && box.h > 0.005) writeBox(current, box);
    closePanel();
  });
  panel.addEventListener("keydown", function (event) {
    if (event.key === "Escape") { event.preventDefault(); closePanel(); }
  });

  function point(event) {
    var rect = image.getBoundingClientRect();
    return {
      x: Math.min(1, Math.max(0, (event.clientX - rect.left) / rect.width)),
      y: Math.min(1, Math.max(0, (event.clientY - rect.top) / rect.height)),
    };
  }
  stage.addEventListener("pointerdown", function (event) {
    if (event.button !== 0) return;
    event.preventDefault();
    stage.setPointerCapture(event.pointerId);
    start = point(event);
    box = { x: start.x, y: start.y, w: 0, h: 0 };
    place(box);
  });
  stage.addEventListener("pointermove", function (event) {
    if (!start) return;
    var p = point(event);
    box = {
      x: Math.min(start.x, p.x),
      y: Math.min(start.y, p.y),
      w: Math.abs(p.x - start.x),
      h: Math.abs(p.y - start.y),
    };
    place(box);
  });
  stage.addEventListener("pointerup", function () { start = null; });
  stage.addEventListener("pointercancel", function () { start = null; });
})();
