// Inspection page, part 1 of 3: the round's photos.
//
// Photos are dropped anywhere on the page or picked; each file gets its own line with its own
// progress, and a refused file (checked here first: type and size, then again by the server)
// keeps its message until dismissed. An uploaded photo appears at once as a card marked
// "Processing…" and turns into its thumbnail by itself: the page polls a small JSON endpoint
// while any photo is processing. Captions and shots are saved as they are edited, photos are
// reordered by dragging or with the move buttons, and the shot list follows every change.
//
// The other parts (qc-admin-defects.js, qc-admin-page.js) use window.QCAdmin and listen to
// "qc:photos", sent on the document whenever the photos change.
(function () {
  "use strict";

  const configNode = document.getElementById("qc-config");
  if (!configNode) return;
  const config = JSON.parse(configNode.textContent);
  const text = config.text;
  const form = document.getElementById("inspection_form");
  const csrf = form.querySelector("[name=csrfmiddlewaretoken]").value;
  document.body.classList.add("qc-js");

  function format(template, values) {
    return template
      .replace(/%\((\w+)\)s/g, (_, key) => (key in values ? values[key] : ""))
      .replace(/%%/g, "%");
  }

  function urlFor(name, photoId) {
    return config.urls[name].replace("/photos/0/", "/photos/" + photoId + "/");
  }

  // A POST to one of the page's endpoints: {ok, status, body}; never throws.
  function send(url, data, options) {
    const body = new FormData();
    Object.keys(data).forEach((key) => {
      const value = data[key];
      (Array.isArray(value) ? value : [value]).forEach((item) => body.append(key, item == null ? "" : item));
    });
    return fetch(url, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrf, Accept: "application/json" },
      // An edit made just before the verdict still arrives when the page goes.
      keepalive: !!(options && options.keepalive),
    })
      .then((response) =>
        response
          .json()
          .catch(() => null)
          .then((json) => ({ ok: response.ok && !!json && json.ok, status: response.status, body: json }))
      )
      .catch(() => ({ ok: false, status: 0, body: null }));
  }

  function errorOf(result) {
    return result.body && result.body.errors ? result.body.errors.join(" ") : text.connection;
  }

  const QC = (window.QCAdmin = {
    config: config,
    text: text,
    format: format,
    send: send,
    errorOf: errorOf,
    urlFor: urlFor,
    canWork: config.canWork,
    category: config.category,
    photos: [], // in the page's order
    selected: null,
    byId: (id) => QC.photos.find((photo) => String(photo.id) === String(id)) || null,
    number: (photo) => QC.photos.indexOf(photo) + 1,
    shots: () => config.shots[QC.category] || [],
    shotName: (id) => {
      const shot = Object.values(config.shots)
        .flat()
        .find((item) => String(item.id) === String(id));
      return shot ? shot.name : "";
    },
    label: (photo) => {
      const about = photo.caption || (photo.shot ? QC.shotName(photo.shot) : "");
      const values = { number: QC.number(photo), about: about };
      return format(about ? text.photoAbout : text.photo, values);
    },
    changed: () => document.dispatchEvent(new CustomEvent("qc:photos")),
  });

  // --- Cards ------------------------------------------------------------------------------

  const cards = document.querySelector("[data-qc-cards]");
  const cardTemplate = document.querySelector("[data-qc-card-template]");
  const count = document.querySelector("[data-qc-photo-count]");
  const empty = document.querySelector("[data-qc-empty]");
  const deleted = document.createElement("div"); // cards deleted here, their form fields kept
  deleted.hidden = true;
  cards.after(deleted);

  function button(label, className, ariaLabel) {
    const element = document.createElement("button");
    element.type = "button";
    element.className = "qc-tool " + className;
    element.textContent = label;
    if (ariaLabel) element.setAttribute("aria-label", ariaLabel);
    return element;
  }

  function renderMedia(photo) {
    const media = photo.card.querySelector("[data-qc-media]");
    photo.card.classList.remove("qc-card--ready", "qc-card--processing", "qc-card--failed");
    photo.card.classList.add("qc-card--" + photo.state);
    media.textContent = "";
    if (photo.state === "ready") {
      const link = document.createElement("a");
      link.href = photo.full;
      link.target = "_blank";
      link.rel = "noopener";
      link.className = "qc-card__open";
      link.draggable = false; // the card is what is dragged (to reorder), not the link
      const image = document.createElement("img");
      image.draggable = false;
      image.src = photo.thumb;
      image.width = photo.thumbWidth;
      image.height = photo.thumbHeight;
      image.className = "qc-card__thumb";
      image.alt = QC.label(photo);
      link.appendChild(image);
      media.appendChild(link);
    } else if (photo.state === "failed") {
      const box = document.createElement("div");
      box.className = "qc-card__failed";
      box.setAttribute("role", "status");
      const title = document.createElement("strong");
      title.textContent = text.failed + " ";
      const reason = document.createElement("span");
      reason.textContent = photo.error;
      box.append(title, reason);
      if (config.canRetry && QC.canWork) {
        const retry = button(text.retry, "qc-tool--retry");
        retry.addEventListener("click", () => retryRenditions(photo, retry));
        box.appendChild(retry);
      }
      media.appendChild(box);
    } else {
      const pending = document.createElement("span");
      pending.className = "qc-card__pending";
      pending.setAttribute("role", "status");
      pending.textContent = text.processing;
      media.appendChild(pending);
    }
    photo.card.querySelector("[data-qc-details]").textContent = photo.details;
    const defect = photo.card.querySelector(".qc-tool--defect");
    if (defect) defect.hidden = photo.state !== "ready";
  }

  function fillShotMenu(select, value) {
    select.textContent = "";
    const none = document.createElement("option");
    none.value = "";
    none.textContent = text.shotNone;
    select.appendChild(none);
    QC.shots().forEach((shot) => {
      const option = document.createElement("option");
      option.value = shot.id;
      option.textContent = shot.name;
      select.appendChild(option);
    });
    select.value = value && QC.shots().some((shot) => String(shot.id) === String(value)) ? value : "";
  }

  function cardError(photo, message) {
    let note = photo.card.querySelector("[data-qc-card-error]");
    if (!message) {
      if (note) note.remove();
      return;
    }
    if (!note) {
      note = document.createElement("p");
      note.className = "qc-card__error";
      note.setAttribute("data-qc-card-error", "");
      note.setAttribute("role", "alert");
      photo.card.appendChild(note);
    }
    note.textContent = message;
  }

  function attach(photo, card) {
    photo.card = card;
    card.setAttribute("data-qc-card", photo.id);
    card.tabIndex = -1;
    const caption = card.querySelector("[data-qc-caption]");
    const shot = card.querySelector("[data-qc-shot]");
    const tools = card.querySelector("[data-qc-tools]");
    if (caption) caption.value = photo.caption;
    if (shot) fillShotMenu(shot, photo.shot);
    if (QC.canWork && tools) {
      card.draggable = true;
      const earlier = button("◀", "qc-tool--earlier");
      const later = button("▶", "qc-tool--later");
      const defect = button("+ " + text.markDefectShort, "qc-tool--defect");
      earlier.addEventListener("click", () => move(photo, -1, earlier));
      later.addEventListener("click", () => move(photo, 1, later));
      defect.addEventListener("click", () =>
        document.dispatchEvent(new CustomEvent("qc:mark-defect", { detail: { id: photo.id } }))
      );
      tools.append(earlier, later);
      card.querySelector("[data-qc-mark]").appendChild(defect);
      if (config.canDelete) {
        const remove = button("✕", "qc-tool--delete");
        remove.addEventListener("click", () => deletePhoto(photo));
        tools.appendChild(remove);
      }
      if (caption) caption.addEventListener("change", () => describe(photo));
      if (shot) shot.addEventListener("change", () => describe(photo));
    }
    card.addEventListener("click", (event) => {
      if (!event.target.closest("input, select, button, a")) QC.select(photo);
    });
    renderMedia(photo);
  }

  function renumber() {
    QC.photos.forEach((photo, index) => {
      const number = index + 1;
      photo.card.querySelector("[data-qc-number]").textContent = number;
      const position = photo.card.querySelector("[data-qc-position]");
      if (position) position.value = index; // the form posts the same order as was saved
      const label = { number: number };
      const tool = (name) => photo.card.querySelector(".qc-tool--" + name);
      if (tool("earlier")) {
        tool("earlier").setAttribute("aria-label", format(text.moveUp, label));
        tool("earlier").disabled = index === 0;
        tool("later").setAttribute("aria-label", format(text.moveDown, label));
        tool("later").disabled = index === QC.photos.length - 1;
        tool("defect").setAttribute("aria-label", format(text.markDefect, label));
      }
      if (tool("delete")) tool("delete").setAttribute("aria-label", format(text.delete, label));
      const image = photo.card.querySelector("img");
      if (image) image.alt = QC.label(photo);
    });
    count.textContent = QC.photos.length;
    empty.hidden = QC.photos.length > 0;
  }

  function addPhoto(payload) {
    if (QC.byId(payload.id)) return;
    const photo = Object.assign({}, payload);
    const card = cardTemplate.content.firstElementChild.cloneNode(true);
    cards.appendChild(card);
    QC.photos.push(photo);
    attach(photo, card);
  }

  // Returns whether the page shows anything new.
  function update(photo, payload) {
    const before = photo.state + photo.thumb;
    const shot = photo.shot;
    Object.assign(photo, payload);
    if (before !== photo.state + photo.thumb) renderMedia(photo);
    return before !== photo.state + photo.thumb || shot !== photo.shot;
  }

  QC.select = function (photo, options) {
    if (QC.selected && QC.selected.card) QC.selected.card.classList.remove("qc-card--selected");
    QC.selected = photo;
    if (!photo) return;
    photo.card.classList.add("qc-card--selected");
    if (!options || options.focus !== false) photo.card.focus({ preventScroll: true });
    photo.card.scrollIntoView({ block: "nearest" });
  };

  config.photos.forEach((payload) => {
    const card = cards.querySelector("[data-qc-card='" + payload.id + "']");
    if (!card) return;
    const photo = Object.assign({}, payload);
    QC.photos.push(photo);
    attach(photo, card);
  });
  renumber();

  // --- Saving edits -----------------------------------------------------------------------

  function describe(photo) {
    const caption = photo.card.querySelector("[data-qc-caption]");
    const shot = photo.card.querySelector("[data-qc-shot]");
    const data = { caption: caption.value, shot: shot.value };
    photo.caption = data.caption;
    photo.shot = data.shot ? Number(data.shot) : null;
    QC.changed();
    photo.card.classList.add("qc-card--saving");
    return send(urlFor("photo", photo.id), data, { keepalive: true }).then((result) => {
      photo.card.classList.remove("qc-card--saving");
      if (result.ok) {
        update(photo, result.body.photo);
        cardError(photo, "");
      } else {
        cardError(photo, format(text.saveFailed, { error: errorOf(result) }));
      }
      QC.changed();
    });
  }

  function saveOrder() {
    return send(config.urls.order, { photo: QC.photos.map((photo) => photo.id) }, { keepalive: true }).then(
      (result) => {
        if (!result.ok) notice(format(text.saveFailed, { error: errorOf(result) }), true);
      }
    );
  }

  function move(photo, delta, focusAfter) {
    const from = QC.photos.indexOf(photo);
    const to = from + delta;
    if (to < 0 || to >= QC.photos.length) return;
    placeAt(photo, to);
    if (focusAfter) focusAfter.focus();
    saveOrder();
  }

  function placeAt(photo, to) {
    QC.photos.splice(QC.photos.indexOf(photo), 1);
    QC.photos.splice(to, 0, photo);
    QC.photos.forEach((item) => cards.appendChild(item.card));
    renumber();
    QC.changed();
  }

  function deletePhoto(photo) {
    if (!window.confirm(format(text.deleteConfirm, { number: QC.number(photo) }))) return;
    send(urlFor("delete", photo.id), {}).then((result) => {
      if (!result.ok && result.status !== 404) {
        cardError(photo, format(text.saveFailed, { error: errorOf(result) }));
        return;
      }
      // A card the form knows keeps its fields, marked deleted: the form then skips it.
      const deletion = photo.card.querySelector("input[name$='-DELETE']");
      if (deletion) {
        deletion.checked = true;
        deleted.appendChild(photo.card);
      } else {
        photo.card.remove();
      }
      QC.photos.splice(QC.photos.indexOf(photo), 1);
      if (QC.selected === photo) QC.selected = null;
      if (result.body && result.body.message) notice(result.body.message, true);
      renumber();
      QC.changed();
    });
  }

  function retryRenditions(photo, retry) {
    retry.disabled = true;
    send(urlFor("retry", photo.id), {}).then((result) => {
      if (result.ok) {
        update(photo, result.body.photo);
        cardError(photo, "");
        QC.changed();
        poll.soon();
      } else {
        retry.disabled = false;
        cardError(photo, errorOf(result));
      }
    });
  }

  // --- Dragging cards to reorder them -------------------------------------------------------

  let dragged = null;
  cards.addEventListener("dragstart", (event) => {
    const card = event.target.closest && event.target.closest("[data-qc-card]");
    if (!card || !QC.canWork) return;
    dragged = QC.byId(card.getAttribute("data-qc-card"));
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/x-qc-photo", String(dragged.id));
    card.classList.add("qc-card--dragging");
  });
  cards.addEventListener("dragover", (event) => {
    if (!dragged) return;
    const card = event.target.closest("[data-qc-card]");
    if (!card || card === dragged.card) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    const target = QC.byId(card.getAttribute("data-qc-card"));
    const rect = card.getBoundingClientRect();
    const after = event.clientX > rect.left + rect.width / 2;
    let to = QC.photos.indexOf(target) + (after ? 1 : 0);
    if (QC.photos.indexOf(dragged) < to) to -= 1;
    if (QC.photos.indexOf(dragged) !== to) placeAt(dragged, to);
  });
  cards.addEventListener("drop", (event) => {
    if (dragged) event.preventDefault();
  });
  cards.addEventListener("dragend", () => {
    if (!dragged) return;
    dragged.card.classList.remove("qc-card--dragging");
    dragged = null;
    saveOrder();
  });

  // --- Live states ----------------------------------------------------------------------

  const poll = {
    timer: null,
    delay: 1000,
    soon: function () {
      poll.delay = 1000;
      poll.schedule();
    },
    schedule: function () {
      if (poll.timer || !QC.photos.some((photo) => photo.state === "processing")) return;
      poll.timer = window.setTimeout(poll.run, poll.delay);
    },
    run: function () {
      poll.timer = null;
      fetch(config.urls.photos, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then((response) => (response.ok ? response.json() : null))
        .then((body) => {
          if (body && body.photos) {
            let news = false;
            body.photos.forEach((payload) => {
              const photo = QC.byId(payload.id);
              if (photo) news = update(photo, payload) || news;
              else if (QC.canWork) {
                addPhoto(payload); // uploaded from another device meanwhile
                news = true;
              }
            });
            if (news) {
              renumber();
              QC.changed();
            }
          }
          poll.delay = Math.min(poll.delay * 1.5, 5000);
        })
        .catch(() => {
          poll.delay = 5000;
        })
        .then(poll.schedule);
    },
  };
  QC.poll = poll;
  poll.schedule();

  // --- The shot list ----------------------------------------------------------------------

  const shotList = document.querySelector("[data-qc-shot-list]");
  const shotSummary = document.querySelector("[data-qc-shots-summary]");
  const shotCategory = document.querySelector("[data-qc-shots-category]");
  const shotStatus = document.querySelector("[data-qc-shots-status]");

  QC.missingShots = function () {
    return QC.shots().filter((shot) => !coverage(shot).length);
  };

  function coverage(shot) {
    return QC.photos
      .filter((photo) => photo.state !== "failed" && String(photo.shot) === String(shot.id))
      .map((photo) => QC.number(photo));
  }

  function renderShots() {
    shotList.textContent = "";
    QC.shots().forEach((shot) => {
      const numbers = coverage(shot);
      const item = document.createElement("li");
      item.className = "qc-shot " + (numbers.length ? "qc-shot--done" : "qc-shot--missing");
      const mark = document.createElement("span");
      mark.className = "qc-shot__mark";
      mark.setAttribute("aria-hidden", "true");
      mark.textContent = numbers.length ? "✓" : "○";
      const name = document.createElement("span");
      name.className = "qc-shot__name";
      name.textContent = shot.name;
      const where = document.createElement("span");
      where.className = "qc-shot__where";
      where.textContent = numbers.length ? format(text.covered, { numbers: numbers.join(", ") }) : text.missing;
      item.append(mark, name, where);
      if (!numbers.length && QC.canWork && input) {
        const take = button(text.uploadShot, "qc-tool--take");
        take.setAttribute("aria-label", format(text.uploadShotLabel, { shot: shot.name }));
        take.addEventListener("click", () => {
          pendingShot = shot.id;
          input.click();
        });
        item.appendChild(take);
      }
      shotList.appendChild(item);
    });
    const missing = QC.missingShots().length;
    shotSummary.textContent = !QC.shots().length
      ? text.noShots
      : missing
        ? format(missing === 1 ? text.missingOne : text.missingMany, { count: missing })
        : text.missingNone;
    // The same next to Pass and Fail, always in view.
    if (shotStatus) {
      shotStatus.textContent = QC.shots().length ? shotSummary.textContent : "";
      shotStatus.classList.toggle("qc-verdict__shots--done", !missing);
    }
    const categorySelect = form.querySelector("[name=category]");
    if (shotCategory && categorySelect) {
      shotCategory.textContent = categorySelect.options[categorySelect.selectedIndex].textContent;
    }
  }
  document.addEventListener("qc:photos", renderShots);

  // The product category decides the shot list: saved at once, the list follows.
  const categorySelect = form.querySelector("select[name=category]");
  if (categorySelect && QC.canWork) {
    categorySelect.setAttribute("data-qc-autosave", "");
    categorySelect.addEventListener("change", () => {
      const previous = QC.category;
      QC.category = categorySelect.value;
      send(config.urls.category, { category: categorySelect.value }, { keepalive: true }).then((result) => {
        if (result.ok) {
          result.body.photos.forEach((payload) => {
            const photo = QC.byId(payload.id);
            if (photo) update(photo, payload);
          });
        } else {
          QC.category = previous;
          categorySelect.value = previous;
          notice(format(text.saveFailed, { error: errorOf(result) }), true);
        }
        QC.photos.forEach((photo) => {
          const shot = photo.card.querySelector("[data-qc-shot]");
          if (shot) fillShotMenu(shot, photo.shot);
        });
        QC.changed();
      });
    });
  }

  // --- Upload -----------------------------------------------------------------------------
  // One file per request, in turn, each with its own line: progress while it goes, then either
  // gone (the card is there) or its refusal, which stays until dismissed.

  const drop = document.querySelector("[data-qc-drop]");
  const input = document.getElementById("qc-upload-input");
  const uploads = document.querySelector("[data-qc-uploads]");
  let pendingShot = null; // a missing shot clicked in the shot list: the next upload covers it
  let queue = Promise.resolve();

  function humanSize(bytes) {
    // As Django's filesizeformat writes it, so the browser's refusal reads like the server's.
    const units = ["bytes", "KB", "MB", "GB"];
    let size = bytes;
    let unit = 0;
    while (size >= 1024 && unit < units.length - 1) {
      size /= 1024;
      unit += 1;
    }
    return unit === 0 ? size + " " + units[0] : size.toFixed(1) + "\u00a0" + units[unit];
  }

  function refusalOf(file) {
    const extension = (file.name.match(/\.[^.]+$/) || [""])[0].toLowerCase();
    if (!config.accept.extensions.includes(extension)) return text.notImage;
    if (file.size > config.maxBytes) {
      return format(text.tooLarge, { size: humanSize(file.size), limit: config.maxSizeText });
    }
    return null;
  }

  function notice(message, isError) {
    const item = document.createElement("li");
    item.className = isError ? "qc-upload qc-upload--error" : "qc-upload qc-upload--note";
    const textNode = document.createElement("span");
    textNode.className = "qc-upload__text";
    textNode.textContent = message;
    item.appendChild(textNode);
    addDismiss(item, message);
    uploads.appendChild(item);
    return item;
  }

  function addDismiss(item, name) {
    const dismiss = button(text.dismiss, "qc-upload__dismiss");
    dismiss.setAttribute("data-qc-dismiss", "");
    dismiss.setAttribute("aria-label", format(text.dismissLabel, { name: name }));
    item.appendChild(dismiss);
  }

  function refuse(item, name, message) {
    item.className = "qc-upload qc-upload--error";
    item.querySelector(".qc-upload__status").textContent = message;
    const progress = item.querySelector("progress");
    if (progress) progress.remove();
    addDismiss(item, name);
  }

  if (uploads) {
    uploads.addEventListener("click", (event) => {
      const dismiss = event.target.closest("[data-qc-dismiss]");
      if (!dismiss) return;
      const item = dismiss.closest("li");
      const next = item.nextElementSibling || item.previousElementSibling;
      item.remove();
      const focusable = next && next.querySelector("[data-qc-dismiss]");
      (focusable || input).focus();
    });
  }

  function line(file) {
    const item = document.createElement("li");
    item.className = "qc-upload";
    const name = document.createElement("span");
    name.className = "qc-upload__name";
    name.textContent = file.name;
    const progress = document.createElement("progress");
    progress.max = 100;
    progress.value = 0;
    progress.setAttribute("aria-label", file.name);
    const status = document.createElement("span");
    status.className = "qc-upload__status";
    status.textContent = text.waiting;
    item.append(name, progress, status);
    uploads.appendChild(item);
    return item;
  }

  function sendFile(file, item, shot) {
    return new Promise((resolve) => {
      const data = new FormData();
      data.append("photo", file, file.name);
      if (shot) data.append("shot", shot);
      else data.append("next_shot", "1");
      const xhr = new XMLHttpRequest();
      const progress = item.querySelector("progress");
      const status = item.querySelector(".qc-upload__status");
      xhr.open("POST", config.urls.upload);
      xhr.setRequestHeader("X-CSRFToken", csrf);
      xhr.setRequestHeader("Accept", "application/json");
      xhr.upload.addEventListener("progress", (event) => {
        if (!event.lengthComputable) return;
        const percent = Math.round((event.loaded / event.total) * 100);
        progress.value = percent;
        status.textContent = format(text.uploading, { percent: percent });
      });
      xhr.addEventListener("load", () => {
        let body = null;
        try {
          body = JSON.parse(xhr.responseText);
        } catch (error) {
          body = null;
        }
        const result = body && body.results && body.results[0];
        resolve(result || { ok: false, errors: [text.connection] });
      });
      xhr.addEventListener("error", () => resolve({ ok: false, errors: [text.connection] }));
      status.textContent = format(text.uploading, { percent: 0 });
      xhr.send(data);
    });
  }

  QC.upload = function (fileList) {
    const files = Array.prototype.slice.call(fileList);
    if (!files.length) return;
    let shot = pendingShot;
    pendingShot = null;
    uploads.querySelectorAll(".qc-upload--done").forEach((item) => item.remove());
    files.forEach((file) => {
      const refusal = refusalOf(file);
      const item = line(file);
      if (refusal) {
        refuse(item, file.name, refusal);
        return;
      }
      const forShot = shot;
      shot = null; // a clicked shot is covered by the first file; the others take the next ones
      queue = queue.then(() =>
        sendFile(file, item, forShot).then((result) => {
          if (result.ok) {
            item.className = "qc-upload qc-upload--done";
            item.querySelector("progress").value = 100;
            item.querySelector(".qc-upload__status").textContent = text.uploaded + " ✓";
            addPhoto(result.photo);
            renumber();
            QC.changed();
            poll.soon();
          } else {
            refuse(item, file.name, result.errors.join(" "));
          }
        })
      );
    });
    queue = queue.then(() => {
      uploads.querySelectorAll(".qc-upload--done").forEach((item) => item.remove());
    });
  };

  if (input && drop) {
    input.addEventListener("change", () => {
      QC.upload(input.files);
      input.value = "";
    });
    // A file dropped anywhere on the page is uploaded (never opened by the browser instead).
    const hasFiles = (event) => event.dataTransfer && Array.from(event.dataTransfer.types).includes("Files");
    let depth = 0;
    document.addEventListener("dragenter", (event) => {
      if (!hasFiles(event)) return;
      depth += 1;
      drop.classList.add("qc-drop--over");
    });
    document.addEventListener("dragleave", (event) => {
      if (!hasFiles(event)) return;
      depth = Math.max(0, depth - 1);
      if (!depth) drop.classList.remove("qc-drop--over");
    });
    document.addEventListener("dragover", (event) => {
      if (!hasFiles(event)) return;
      event.preventDefault();
      event.dataTransfer.dropEffect = "copy";
    });
    document.addEventListener("drop", (event) => {
      if (!hasFiles(event)) return;
      event.preventDefault();
      depth = 0;
      drop.classList.remove("qc-drop--over");
      if (!document.querySelector("dialog[open]")) QC.upload(event.dataTransfer.files);
    });
  }

  renderShots();
})();
