// Inspection page, part 2 of 3: defects and their boxes.
//
// A defect is marked from its photo ("+ Defect" on a card, or b) or from its row: a dialog that
// fills the screen shows the photo, where the box is drawn, moved (drag it) and resized (drag a
// corner; the arrow keys move it, Shift + arrows resize it), with the defect's kind, severity
// and description beside it and "Use this box" always in view. The dialog writes into the
// defect's row of the form; the form saves it. Boxes are fractions of the photo (0..1).
(function () {
  "use strict";

  const QC = window.QCAdmin;
  const dialog = document.querySelector("[data-qc-draw]");
  const group = document.getElementById("defects-group");
  if (!QC || !group) return;
  const text = QC.text;
  const format = QC.format;
  const MIN = 0.01; // the smallest box side, as a fraction of the photo

  // --- Rows of the defects table ------------------------------------------------------------

  function rows() {
    return Array.from(group.querySelectorAll("tr.form-row")).filter(
      (row) => !row.classList.contains("empty-form") && row.querySelector("input[data-qc-box='x']")
    );
  }
  const field = (row, key) => row.querySelector("input[data-qc-box='" + key + "']");
  const select = (row, name) => row.querySelector("[name$='-" + name + "']");

  function readBox(row) {
    if (field(row, "x").value === "") return null;
    const box = {};
    ["x", "y", "w", "h"].forEach((key) => {
      box[key] = parseFloat(field(row, key).value);
    });
    return Object.values(box).some(isNaN) ? null : box;
  }

  function writeBox(row, box) {
    ["x", "y", "w", "h"].forEach((key) => {
      const input = field(row, key);
      input.value = box ? box[key].toFixed(4) : "";
      input.dispatchEvent(new Event("change", { bubbles: true }));
    });
  }

  function setValue(element, value) {
    if (!element || element.value === value) return;
    element.value = value;
    element.dispatchEvent(new Event("change", { bubbles: true }));
  }

  function placeBox(element, box) {
    element.style.left = box.x * 100 + "%";
    element.style.top = box.y * 100 + "%";
    element.style.width = box.w * 100 + "%";
    element.style.height = box.h * 100 + "%";
  }

  // Every row's photo menu names the photos as the page does ("Photo 3 · Front"); the empty
  // row that "Add another Defect" copies too.
  let menuSignature = "";
  function refreshMenus() {
    const signature = QC.photos.map((photo) => photo.id + ":" + QC.label(photo)).join("|");
    const menus = group.querySelectorAll("select[name$='-photo']");
    if (signature !== menuSignature) {
      menuSignature = signature;
      menus.forEach((menu) => {
        const value = menu.value;
        menu.textContent = "";
        const none = document.createElement("option");
        none.value = "";
        none.textContent = text.photoNone;
        menu.appendChild(none);
        QC.photos.forEach((photo) => {
          const option = document.createElement("option");
          option.value = photo.id;
          option.textContent = QC.label(photo);
          menu.appendChild(option);
        });
        menu.value = QC.byId(value) ? value : "";
      });
    }
    // A row whose photo was deleted keeps its defect, without the box.
    rows().forEach((row) => {
      const menu = select(row, "photo");
      if (readBox(row) && !QC.byId(menu.value)) writeBox(row, null);
      describe(row);
    });
  }

  // The box cell of a row: the photo with its box, and the buttons.
  function describe(row) {
    const slot = row.querySelector("[data-qc-box-slot]");
    if (!slot) return;
    const box = readBox(row);
    const photo = QC.byId(select(row, "photo").value);
    slot.textContent = "";
    const preview = document.createElement("button");
    preview.type = "button";
    preview.className = "qc-box-preview";
    preview.setAttribute("data-qc-draw-open", "");
    if (photo && photo.state === "ready") {
      const frame = document.createElement("span");
      frame.className = "qc-box-preview__frame";
      const image = document.createElement("img");
      image.src = photo.thumb;
      image.alt = "";
      frame.appendChild(image);
      if (box) {
        const mark = document.createElement("span");
        mark.className = "qc-box-preview__box";
        placeBox(mark, box);
        frame.appendChild(mark);
      }
      preview.appendChild(frame);
    }
    const caption = document.createElement("span");
    caption.className = "qc-box-preview__label";
    caption.textContent = QC.canWork ? (box ? text.edit : text.draw) : box ? "" : text.noBox;
    preview.appendChild(caption);
    preview.setAttribute(
      "aria-label",
      (box ? text.edit : text.draw) + (photo ? " · " + QC.label(photo) : "")
    );
    preview.disabled = !QC.canWork;
    slot.appendChild(preview);
    if (box && QC.canWork) {
      const clear = document.createElement("button");
      clear.type = "button";
      clear.className = "qc-tool";
      clear.setAttribute("data-qc-draw-clear", "");
      clear.textContent = text.clear;
      slot.appendChild(clear);
    }
  }

  group.addEventListener("click", (event) => {
    const opener = event.target.closest("[data-qc-draw-open]");
    if (opener) {
      open(opener.closest("tr"), { isNew: false });
      return;
    }
    const clear = event.target.closest("[data-qc-draw-clear]");
    if (clear) {
      const row = clear.closest("tr");
      writeBox(row, null);
      describe(row);
      row.querySelector("[data-qc-draw-open]").focus();
    }
  });
  group.addEventListener("change", (event) => {
    if (event.target.matches("select[name$='-photo']")) {
      const row = event.target.closest("tr");
      if (readBox(row)) writeBox(row, null); // a box belongs to the photo it was drawn on
      describe(row);
    }
  });
  document.addEventListener("formset:added", (event) => {
    if (event.detail && event.detail.formsetName === "defects") {
      menuSignature = "";
      refreshMenus();
    }
  });
  document.addEventListener("qc:photos", refreshMenus);
  refreshMenus();

  if (!dialog || !QC.canWork) return;

  // --- The dialog ---------------------------------------------------------------------------

  const strip = dialog.querySelector("[data-qc-draw-strip]");
  const stage = dialog.querySelector("[data-qc-draw-stage]");
  const image = dialog.querySelector("[data-qc-draw-image]");
  const boxElement = dialog.querySelector("[data-qc-draw-box]");
  const others = dialog.querySelector("[data-qc-draw-others]");
  const message = dialog.querySelector("[data-qc-draw-message]");
  const error = dialog.querySelector("[data-qc-draw-error]");
  const description = dialog.querySelector("[data-qc-draw-description]");
  const removeButton = dialog.querySelector("[data-qc-draw-remove]");
  const placeButton = dialog.querySelector("[data-qc-draw-place]");
  const kinds = Array.from(dialog.querySelectorAll("[data-qc-draw-kind]"));
  const severities = Array.from(dialog.querySelectorAll("[data-qc-draw-severity]"));
  let state = null; // {row, isNew, photo, box, opener}

  function addRow() {
    const add = group.querySelector(".add-row a");
    add.click(); // Django's inlines.js adds the row (and sends formset:added)
    const all = rows();
    return all[all.length - 1];
  }

  function showPhoto() {
    const photo = state.photo;
    strip.querySelectorAll("button").forEach((thumb) => {
      thumb.setAttribute("aria-pressed", String(!!photo && thumb.value === String(photo.id)));
    });
    stage.hidden = true;
    placeButton.hidden = true;
    others.textContent = "";
    if (!photo) {
      message.textContent = text.needsPhoto;
      return;
    }
    if (photo.state !== "ready") {
      message.textContent = text.notReady;
      return;
    }
    message.textContent = "";
    stage.hidden = false;
    image.src = photo.display;
    image.alt = QC.label(photo);
    fit();
    rows().forEach((row) => {
      const box = readBox(row);
      if (row === state.row || !box || select(row, "photo").value !== String(photo.id)) return;
      const other = document.createElement("div");
      other.className = "qc-draw__other";
      placeBox(other, box);
      others.appendChild(other);
    });
    render();
  }

  // The photo as large as the dialog allows, whatever its size: the whole of it in view.
  const canvas = dialog.querySelector("[data-qc-draw-canvas]");
  function fit() {
    if (!state || !state.photo || stage.hidden) return;
    const style = window.getComputedStyle(canvas);
    const width = canvas.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    const height = canvas.clientHeight - parseFloat(style.paddingTop) - parseFloat(style.paddingBottom);
    const scale = Math.min(width / state.photo.width, height / state.photo.height);
    image.style.width = Math.floor(state.photo.width * scale) + "px";
    image.style.height = Math.floor(state.photo.height * scale) + "px";
  }
  window.addEventListener("resize", fit);

  function fillStrip() {
    strip.textContent = "";
    QC.photos.forEach((photo) => {
      const thumb = document.createElement("button");
      thumb.type = "button";
      thumb.value = photo.id;
      thumb.className = "qc-draw__thumb";
      thumb.setAttribute("aria-label", QC.label(photo));
      thumb.title = QC.label(photo);
      if (photo.state === "ready") {
        const picture = document.createElement("img");
        picture.src = photo.thumb;
        picture.alt = "";
        thumb.appendChild(picture);
      }
      const number = document.createElement("span");
      number.textContent = QC.number(photo);
      thumb.appendChild(number);
      strip.appendChild(thumb);
    });
  }

  strip.addEventListener("click", (event) => {
    const thumb = event.target.closest("button");
    if (!thumb || !state) return;
    const photo = QC.byId(thumb.value);
    if (photo !== state.photo) {
      state.photo = photo;
      state.box = null;
      showPhoto();
    }
  });

  function render() {
    const box = state && state.box;
    boxElement.hidden = !box;
    removeButton.hidden = !box;
    placeButton.hidden = !!box || stage.hidden;
    if (!box) return;
    placeBox(boxElement, box);
    boxElement.setAttribute(
      "aria-label",
      format(text.boxLabel, {
        x: Math.round(box.x * 100),
        y: Math.round(box.y * 100),
        w: Math.round(box.w * 100),
        h: Math.round(box.h * 100),
      })
    );
  }

  function open(row, options) {
    const photo = options.photo || QC.byId(select(row, "photo").value);
    state = {
      row: row,
      isNew: options.isNew,
      photo: photo,
      box: photo && String(photo.id) === select(row, "photo").value ? readBox(row) : null,
      opener: options.opener || document.activeElement,
    };
    fillStrip();
    const kind = select(row, "kind").value;
    kinds.forEach((radio) => {
      radio.checked = radio.value === kind;
    });
    const severity = select(row, "severity").value || "major";
    severities.forEach((radio) => {
      radio.checked = radio.value === severity;
    });
    description.value = select(row, "description").value;
    error.textContent = "";
    dialog.returnValue = "";
    dialog.showModal();
    showPhoto();
    // A new defect: the inspector draws with the mouse, then types, so the description waits
    // for the words. A box already drawn: it has the focus, for the arrow keys.
    (state.box ? boxElement : description).focus();
  }

  document.addEventListener("qc:mark-defect", (event) => {
    const photo = QC.byId(event.detail.id);
    if (!photo) return;
    const opener = document.activeElement;
    const row = addRow();
    setValue(select(row, "photo"), String(photo.id));
    open(row, { isNew: true, photo: photo, opener: opener });
  });

  function problem() {
    if (!state.photo) return text.needsPhoto;
    if (!state.box) return text.needsBox;
    if (!kinds.some((radio) => radio.checked)) return text.needsKind;
    if (!description.value.trim()) return text.needsDescription;
    return "";
  }

  dialog.addEventListener("submit", (event) => {
    const action = event.submitter ? event.submitter.value : "use";
    if (action !== "use") return;
    const refused = problem();
    if (refused) {
      event.preventDefault();
      error.textContent = refused;
    }
  });

  dialog.addEventListener("close", () => {
    const row = state.row;
    if (dialog.returnValue === "use") {
      setValue(select(row, "photo"), String(state.photo.id));
      setValue(select(row, "kind"), kinds.find((radio) => radio.checked).value);
      setValue(select(row, "severity"), severities.find((radio) => radio.checked).value);
      setValue(select(row, "description"), description.value.trim());
      writeBox(row, state.box);
    } else if (dialog.returnValue === "remove") {
      writeBox(row, null);
    } else if (state.isNew) {
      const remove = row.querySelector(".inline-deletelink");
      if (remove) remove.click(); // nothing was marked: no empty row is left behind
    }
    if (row.isConnected) describe(row);
    const back = state.opener && state.opener.isConnected ? state.opener : row.querySelector("[data-qc-draw-open]");
    state = null;
    if (back) back.focus();
  });

  removeButton.addEventListener("click", () => dialog.close("remove"));
  // Without a mouse: a box in the middle, for the arrow keys to move and resize.
  placeButton.addEventListener("click", () => {
    state.box = { x: 0.35, y: 0.35, w: 0.3, h: 0.3 };
    render();
    boxElement.focus();
  });

  description.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      dialog.querySelector("[data-qc-draw-use]").click();
    }
  });

  // --- Drawing, moving and resizing with the pointer ----------------------------------------

  let gesture = null; // {mode: "draw" | "move" | "resize", ...}
  const clamp = (value, low, high) => Math.min(high, Math.max(low, value));

  function point(event) {
    const rect = image.getBoundingClientRect();
    return {
      x: clamp((event.clientX - rect.left) / rect.width, 0, 1),
      y: clamp((event.clientY - rect.top) / rect.height, 0, 1),
    };
  }

  function fromCorners(a, b) {
    return { x: Math.min(a.x, b.x), y: Math.min(a.y, b.y), w: Math.abs(b.x - a.x), h: Math.abs(b.y - a.y) };
  }

  stage.addEventListener("pointerdown", (event) => {
    if (event.button !== 0 || !state) return;
    event.preventDefault();
    stage.setPointerCapture(event.pointerId);
    const at = point(event);
    const handle = event.target.closest("[data-handle]");
    const box = state.box;
    if (handle && box) {
      const corner = handle.getAttribute("data-handle");
      // The corner opposite the one held stays put.
      const anchor = {
        x: corner.includes("w") ? box.x + box.w : box.x,
        y: corner.includes("n") ? box.y + box.h : box.y,
      };
      gesture = { mode: "resize", anchor: anchor };
    } else if (event.target.closest("[data-qc-draw-box]") && box) {
      gesture = { mode: "move", offset: { x: at.x - box.x, y: at.y - box.y } };
    } else {
      gesture = { mode: "draw", anchor: at };
      state.box = { x: at.x, y: at.y, w: 0, h: 0 };
    }
    render();
  });

  stage.addEventListener("pointermove", (event) => {
    if (!gesture || !state) return;
    const at = point(event);
    if (gesture.mode === "move") {
      const box = state.box;
      state.box = {
        x: clamp(at.x - gesture.offset.x, 0, 1 - box.w),
        y: clamp(at.y - gesture.offset.y, 0, 1 - box.h),
        w: box.w,
        h: box.h,
      };
    } else {
      state.box = fromCorners(gesture.anchor, at);
    }
    render();
  });

  function endGesture() {
    if (!gesture || !state) return;
    gesture = null;
    if (state.box && (state.box.w < MIN || state.box.h < MIN)) state.box = null; // a click, not a box
    render();
    if (state.box && !description.value) description.focus();
  }
  stage.addEventListener("pointerup", endGesture);
  stage.addEventListener("pointercancel", endGesture);

  // Arrow keys move the box by 1 % of the photo; with Shift they resize it.
  boxElement.addEventListener("keydown", (event) => {
    const steps = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
    if (!state || !state.box || !(event.key in steps)) return;
    event.preventDefault();
    const [dx, dy] = steps[event.key].map((step) => step * MIN);
    const box = Object.assign({}, state.box);
    if (event.shiftKey) {
      box.w = clamp(box.w + dx, MIN, 1 - box.x);
      box.h = clamp(box.h + dy, MIN, 1 - box.y);
    } else {
      box.x = clamp(box.x + dx, 0, 1 - box.w);
      box.y = clamp(box.y + dy, 0, 1 - box.h);
    }
    state.box = box;
    render();
  });
})();
