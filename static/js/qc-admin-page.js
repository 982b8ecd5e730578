// Inspection page, part 3 of 3: the rest of the page.
//
// Measurements show their difference and whether it is beyond tolerance as they are typed;
// Pass and Fail ask first, in a dialog that lists the required shots still missing; keyboard
// shortcuts (listed with ?) never fire while typing in a field; leaving with unsaved changes
// asks first.
(function () {
  "use strict";

  const QC = window.QCAdmin;
  if (!QC) return;
  const text = QC.text;
  const format = QC.format;
  const form = document.getElementById("inspection_form");

  // --- Measurements -------------------------------------------------------------------------

  const measurements = document.getElementById("measurements-group");

  function number(input) {
    const value = input ? input.value.trim().replace(",", ".") : "";
    return value === "" || isNaN(Number(value)) ? null : Number(value);
  }

  function difference(row) {
    const output = row.querySelector("[data-qc-diff]");
    if (!output) return;
    const listed = number(row.querySelector("[data-qc-measure='listed']"));
    const measured = number(row.querySelector("[data-qc-measure='measured']"));
    const unit = (row.querySelector("[data-qc-measure='unit']") || { value: "" }).value.trim();
    const flag = row.querySelector("[data-qc-off]");
    let shown = "";
    let off = false;
    if (listed !== null && measured !== null) {
      const delta = Math.round((measured - listed) * 100) / 100;
      const sign = delta > 0 ? "+" : delta < 0 ? "−" : "±";
      const amount = sign + String(Math.abs(delta));
      if (listed === 0) {
        shown = amount + " " + unit;
        off = delta !== 0;
      } else {
        const percent = (Math.abs(measured - listed) / Math.abs(listed)) * 100;
        off = percent > QC.config.tolerance;
        // Rounded half up, as the server writes it.
        const rounded = (Math.round(percent * 10 + 1e-9) / 10).toFixed(1);
        shown = format(text.difference, { difference: amount, unit: unit, percent: sign + rounded });
      }
    }
    output.textContent = shown;
    output.classList.toggle("qc-diff--off", off);
    if (flag) {
      flag.textContent = off ? text.off : shown ? format(text.within, { tolerance: QC.config.tolerance }) : "";
      flag.classList.toggle("qc-diff__ok", !off);
      flag.title = off ? format(text.offTitle, { tolerance: QC.config.tolerance }) : "";
    }
  }

  if (measurements) {
    measurements.addEventListener("input", (event) => {
      const row = event.target.closest("tr.form-row");
      if (row) difference(row);
    });
    measurements.querySelectorAll("tr.form-row").forEach(difference);
    document.addEventListener("formset:added", (event) => {
      if (!event.detail || event.detail.formsetName !== "measurements") return;
      const name = event.target.querySelector("[data-qc-measure='name']");
      if (name) name.focus();
    });
  }

  // --- Unsaved changes ----------------------------------------------------------------------
  // Photos, captions, shots and the category are saved as they change; the rest is saved with
  // the form (Save, or a verdict).

  let dirty = false;
  let leaving = false;
  function markDirty(event) {
    const target = event.target;
    if (target.closest("[data-qc-photos]") || target.hasAttribute("data-qc-autosave")) return;
    if (target.hasAttribute("data-qc-missing-ok")) return;
    dirty = true;
  }
  form.addEventListener("input", markDirty);
  form.addEventListener("change", markDirty);
  document.addEventListener("formset:added", () => (dirty = true));
  document.addEventListener("formset:removed", () => (dirty = true));
  form.addEventListener("submit", () => (leaving = true));
  window.addEventListener("beforeunload", (event) => {
    if (!dirty || leaving) return;
    event.preventDefault();
    event.returnValue = text.unsaved;
  });

  // Enter in a one-line field does not send the whole form (it would press the first button).
  form.addEventListener("keydown", (event) => {
    const target = event.target;
    if (event.key !== "Enter" || !target.matches("input:not([type=submit]):not([type=button])")) return;
    event.preventDefault();
    if (target.matches("[data-qc-caption]")) target.blur(); // and so saved
  });

  // --- Pass / Fail ask first ----------------------------------------------------------------

  const confirm = document.querySelector("[data-qc-confirm]");
  const missingOk = form.querySelector("[data-qc-missing-ok]");
  const missingRow = form.querySelector("[data-qc-missing-row]");
  if (missingRow) missingRow.hidden = true; // the dialog asks instead

  function askVerdict(button) {
    const verdict = button.getAttribute("data-qc-verdict-button");
    const missing = QC.missingShots();
    confirm.querySelector("[data-qc-confirm-title]").textContent = button.textContent.trim() + "?";
    confirm.querySelector("[data-qc-confirm-text]").textContent =
      verdict === "pass" ? text.confirmPass : text.confirmFail;
    const block = confirm.querySelector("[data-qc-confirm-missing]");
    const list = confirm.querySelector("[data-qc-confirm-list]");
    block.hidden = !missing.length;
    list.textContent = "";
    missing.forEach((shot) => {
      const item = document.createElement("li");
      item.textContent = shot.name;
      list.appendChild(item);
    });
    const ok = confirm.querySelector("[data-qc-confirm-ok]");
    ok.textContent = button.textContent.trim() + (missing.length ? " · " + text.completeAnyway : "");
    ok.classList.toggle("qc-fail", verdict === "fail");
    ok.classList.toggle("qc-pass", verdict === "pass");
    confirm.returnValue = "";
    confirm.onclose = () => {
      if (confirm.returnValue !== "confirm") return;
      if (missingOk) missingOk.checked = missing.length > 0;
      form.requestSubmit(button); // no click event: not asked again
    };
    confirm.showModal();
    ok.focus();
  }

  form.addEventListener("click", (event) => {
    const button = event.target.closest("[data-qc-verdict-button]");
    if (!button || !confirm) return;
    event.preventDefault();
    askVerdict(button);
  });

  // --- Keyboard shortcuts ---------------------------------------------------------------------

  const shortcuts = document.querySelector("[data-qc-shortcuts]");
  const shortcutsButton = document.querySelector("[data-qc-shortcuts-open]");
  if (shortcutsButton && shortcuts) {
    shortcutsButton.hidden = false;
    shortcutsButton.addEventListener("click", () => shortcuts.showModal());
  }

  function typing(target) {
    return target.closest("input, textarea, select, [contenteditable=''], [contenteditable='true']") !== null;
  }

  function step(delta) {
    if (!QC.photos.length) return;
    const index = QC.selected ? QC.photos.indexOf(QC.selected) : delta > 0 ? -1 : QC.photos.length;
    QC.select(QC.photos[Math.min(QC.photos.length - 1, Math.max(0, index + delta))]);
  }

  const actions = {
    "?": () => shortcuts && shortcuts.showModal(),
    ArrowRight: () => step(1),
    j: () => step(1),
    ArrowLeft: () => step(-1),
    k: () => step(-1),
    b: () => {
      const photo = QC.selected || QC.photos.find((item) => item.state === "ready");
      if (photo) document.dispatchEvent(new CustomEvent("qc:mark-defect", { detail: { id: photo.id } }));
    },
    u: () => {
      const input = document.getElementById("qc-upload-input");
      if (input) input.click();
    },
    m: () => {
      const add = measurements && measurements.querySelector(".add-row a");
      if (add) add.click();
    },
    w: () => {
      const weight = form.querySelector("[name=weight_grams]");
      if (weight) weight.focus();
    },
    p: () => {
      const pass = form.querySelector("[data-qc-verdict-button='pass']");
      if (pass) pass.click();
    },
    f: () => {
      const fail = form.querySelector("[data-qc-verdict-button='fail']");
      if (fail) fail.click();
    },
  };

  document.addEventListener("keydown", (event) => {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    if (typing(event.target) || document.querySelector("dialog[open]")) return;
    const action = actions[event.key];
    if (!action || !QC.canWork) return;
    event.preventDefault();
    action();
  });
})();
