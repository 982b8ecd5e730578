// The QC photo viewer, built on PhotoSwipe 5 (static/vendor/photoswipe, MIT), loaded with its
// stylesheet the first time a photo is about to open.
//
// Pinch, double-tap, the zoom button or + and - zoom up to the full-resolution rendition (the
// browser picks it from the srcset once the photo is shown larger than the display rendition);
// swipes and the arrow keys move between photos; Escape closes and focus goes back where it was.
// The defect boxes are drawn inside the zoomed layer, in fractions of the photo, so they scale
// and pan with it; a tap on a box or on its number in the caption shows what the inspector wrote.
// Without JavaScript each thumbnail is a plain link to its photo.

const config = document.getElementById("qc-lightbox-config");
if (config) setUp(config.dataset);

function setUp(words) {
  let loading = null;

  // The viewer's code and stylesheet, fetched once (as soon as a thumbnail is pointed at).
  function load() {
    if (!loading) {
      const stylesheet = new Promise((resolve, reject) => {
        const link = document.createElement("link");
        link.rel = "stylesheet";
        link.href = words.css;
        link.onload = resolve;
        link.onerror = reject;
        document.head.appendChild(link);
      });
      loading = Promise.all([import(words.module), stylesheet]).then(([module]) => module.default);
      loading.catch(() => { loading = null; });
    }
    return loading;
  }

  const roundOf = (element) => element.closest("[data-qc-round]");

  // What the round's defect list says about the defects on one photo.
  function defectsOn(round, photoId) {
    return Array.from(round.querySelectorAll(`[data-qc-defect][data-photo="${photoId}"]`), (item) => {
      const box = item.dataset.box ? item.dataset.box.split(" ").map(Number) : null;
      return {
        number: item.dataset.qcDefect,
        severity: item.dataset.severity,
        kind: item.querySelector(".qc-defect__kind").textContent.trim(),
        severityLabel: item.querySelector(".qc-severity").textContent.trim(),
        text: item.querySelector(".qc-defect__text").textContent.trim(),
        box,
      };
    });
  }

  function slideOf(link) {
    const thumb = link.querySelector("img");
    const width = Number(link.dataset.fullWidth);
    const displayWidth = Number(link.dataset.displayWidth);
    const slide = {
      src: link.getAttribute("href"),
      width,
      height: Number(link.dataset.fullHeight),
      msrc: thumb.currentSrc || thumb.src,
      alt: thumb.alt,
      element: link,
      full: link.dataset.full,
      caption: link.dataset.caption,
      defects: defectsOn(roundOf(link), link.dataset.qcPhoto),
    };
    if (displayWidth && displayWidth < width) {
      slide.srcset = `${slide.src} ${displayWidth}w, ${slide.full} ${width}w`;
    }
    return slide;
  }

  function boxesShown(round) {
    return !round.classList.contains("qc-round--no-boxes");
  }

  function setBoxesShown(round, shown) {
    round.classList.toggle("qc-round--no-boxes", !shown);
    const toggle = round.querySelector("[data-qc-toggle-boxes]");
    if (toggle) toggle.checked = shown;
  }

  async function open(link, { defect = null, fromThumbnail = true } = {}) {
    let PhotoSwipe;
    try {
      PhotoSwipe = await load();
    } catch {
      window.location.href = link.href; // the viewer could not load: the photo itself, as without JavaScript
      return;
    }
    const round = roundOf(link);
    const links = Array.from(round.querySelectorAll("a[data-qc-photo]"));
    const slides = links.map(slideOf);
    let selected = defect;

    const pswp = new PhotoSwipe({
      dataSource: slides,
      index: links.indexOf(link),
      mainClass: "qc-pswp",
      bgOpacity: 1,
      showHideAnimationType: fromThumbnail ? "zoom" : "fade",
      imageClickAction: "zoom",
      counter: false,
      closeTitle: words.close,
      zoomTitle: words.zoom,
      arrowPrevTitle: words.prev,
      arrowNextTitle: words.next,
      errorMsg: words.error,
      // Room for the top bar and the caption, so neither covers the photo until it is zoomed.
      paddingFn: (viewport, slide) => ({
        top: 56,
        right: 0,
        left: 0,
        bottom: slide.defects.length ? Math.min(152, viewport.y * 0.3) : slide.caption ? 56 : 16,
      }),
    });

    const selectOn = (slide) => {
      const numbers = slide.data.defects.map((d) => d.number);
      if (!numbers.includes(selected)) selected = numbers[0] || null;
    };

    pswp.on("uiRegister", () => {
      pswp.ui.registerElement({
        name: "qc-count",
        order: 5,
        onInit: (element) => {
          element.setAttribute("aria-live", "polite");
          pswp.on("change", () => {
            element.textContent = words.count
              .replace("%(n)s", pswp.currIndex + 1)
              .replace("%(total)s", pswp.getNumItems());
          });
        },
      });
      pswp.ui.registerElement({
        name: "qc-boxes",
        order: 8,
        isButton: true,
        title: words.boxes,
        html: '<svg aria-hidden="true" class="pswp__icn" viewBox="0 0 32 32" width="32" height="32"><path d="M7 9h18v14H7zM9.5 11.5v9h13v-9z" fill-rule="evenodd"/></svg>',
        onInit: (element) => {
          const sync = () => {
            element.setAttribute("aria-pressed", String(boxesShown(round)));
            element.hidden = !pswp.currSlide || !pswp.currSlide.data.defects.some((d) => d.box);
          };
          pswp.on("change", sync);
          pswp.on("qcBoxes", sync);
        },
        onClick: () => {
          setBoxesShown(round, !boxesShown(round));
          pswp.element.classList.toggle("qc-pswp--no-boxes", !boxesShown(round));
          pswp.dispatch("qcBoxes");
        },
      });
      pswp.ui.registerElement({
        name: "qc-download",
        order: 9,
        isButton: true,
        tagName: "a",
        title: words.download,
        html: '<svg aria-hidden="true" class="pswp__icn" viewBox="0 0 32 32" width="32" height="32"><path d="M15 7h2v11.2l4.3-4.3 1.4 1.4-6.7 6.7-6.7-6.7 1.4-1.4 4.3 4.3zM8 23h16v2H8z"/></svg>',
        onInit: (element) => {
          element.setAttribute("download", "");
          pswp.on("change", () => {
            element.href = `${pswp.currSlide.data.full}?download=1`;
          });
        },
      });
      pswp.ui.registerElement({
        name: "qc-caption",
        order: 9,
        appendTo: "root",
        onInit: (element) => {
          const caption = document.createElement("p");
          caption.className = "qc-pswp-caption__text";
          const chips = document.createElement("div");
          chips.className = "qc-pswp-caption__chips";
          chips.setAttribute("role", "group");
          chips.setAttribute("aria-label", words.defects);
          const described = document.createElement("p");
          described.className = "qc-pswp-caption__defect";
          described.setAttribute("aria-live", "polite");
          element.append(caption, chips, described);

          const render = () => {
            const slide = pswp.currSlide;
            if (!slide) return;
            const { defects } = slide.data;
            caption.textContent = slide.data.caption || "";
            caption.hidden = !slide.data.caption;
            chips.replaceChildren(...defects.map((d) => {
              const chip = document.createElement("button");
              chip.type = "button";
              chip.className = `qc-pswp-chip qc-pswp-chip--${d.severity}`;
              chip.dataset.number = d.number;
              chip.setAttribute("aria-pressed", String(d.number === selected));
              const number = document.createElement("span");
              number.className = "qc-pswp-chip__number";
              number.textContent = d.number;
              chip.append(number, ` ${d.kind}`);
              return chip;
            }));
            chips.hidden = defects.length === 0;
            const current = defects.find((d) => d.number === selected);
            described.textContent = current ? `${current.number}. ${current.kind} · ${current.severityLabel}: ${current.text}` : "";
            described.hidden = !current;
            for (const box of slide.container.querySelectorAll(".qc-pswp-box")) {
              box.classList.toggle("qc-pswp-box--selected", box.dataset.number === selected);
            }
          };
          chips.addEventListener("click", (event) => {
            const chip = event.target.closest("button[data-number]");
            if (!chip) return;
            selected = chip.dataset.number;
            pswp.dispatch("qcSelect");
          });
          pswp.on("change", () => { selectOn(pswp.currSlide); render(); });
          pswp.on("qcSelect", render);
        },
      });
    });

    // The boxes live in the slide's zoomed layer, sized like the image at every zoom step.
    pswp.on("slideInit", ({ slide }) => {
      const boxed = slide.data.defects.filter((d) => d.box);
      if (!boxed.length) return;
      const layer = document.createElement("div");
      layer.className = "qc-pswp-boxes";
      layer.setAttribute("aria-hidden", "true");
      for (const d of boxed) {
        const [x, y, w, h] = d.box;
        const box = document.createElement("span");
        box.className = `qc-pswp-box qc-pswp-box--${d.severity}`;
        box.dataset.number = d.number;
        Object.assign(box.style, { left: `${x * 100}%`, top: `${y * 100}%`, width: `${w * 100}%`, height: `${h * 100}%` });
        const number = document.createElement("span");
        number.className = "qc-pswp-box__number";
        number.textContent = d.number;
        box.append(number);
        layer.append(box);
      }
      layer.addEventListener("click", (event) => {
        const box = event.target.closest(".qc-pswp-box");
        if (!box) return;
        selected = box.dataset.number;
        pswp.dispatch("qcSelect");
      });
      slide.container.append(layer);
    });
    pswp.on("imageSizeChange", ({ slide, width, height }) => {
      const layer = slide.container.querySelector(".qc-pswp-boxes");
      if (layer) Object.assign(layer.style, { width: `${width}px`, height: `${height}px` });
    });
    // A tap on a box selects it rather than hiding the controls.
    pswp.on("tapAction", (event) => {
      if (event.originalEvent.target.closest(".qc-pswp-box")) event.preventDefault();
    });

    // + and - zoom by steps around the middle of the screen.
    pswp.on("keydown", (event) => {
      const key = event.originalEvent.key;
      const slide = pswp.currSlide;
      if (!slide || !slide.isZoomable() || !["+", "=", "-", "_"].includes(key)) return;
      event.preventDefault();
      const { initial, max } = slide.zoomLevels;
      const level = key === "+" || key === "=" ? Math.min(max, slide.currZoomLevel * 1.6) : Math.max(initial, slide.currZoomLevel / 1.6);
      slide.zoomTo(level, undefined, pswp.options.zoomAnimationDuration);
    });

    // Busy while it opens: keys (Escape included) work once the opening animation has ended.
    pswp.on("openingAnimationEnd", () => pswp.element.removeAttribute("aria-busy"));

    pswp.init();
    pswp.element.setAttribute("aria-label", words.label);
    pswp.element.setAttribute("aria-modal", "true");
    if (!pswp.opener.isOpen) pswp.element.setAttribute("aria-busy", "true");
    pswp.element.classList.toggle("qc-pswp--no-boxes", !boxesShown(round));
  }

  document.addEventListener("click", (event) => {
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    const link = event.target.closest("a[data-qc-photo]");
    if (link) {
      event.preventDefault();
      link.focus({ preventScroll: true }); // where focus returns when the viewer closes
      open(link);
      return;
    }
    const jump = event.target.closest("[data-qc-show]");
    if (jump) {
      const round = roundOf(jump);
      const target = round && round.querySelector(`a[data-qc-photo="${jump.dataset.qcShow}"]`);
      if (!target) return;
      event.preventDefault();
      open(target, { defect: jump.closest("[data-qc-defect]").dataset.qcDefect, fromThumbnail: false });
    }
  });

  // Fetch the viewer while the finger or pointer is on its way to a photo.
  for (const type of ["pointerover", "touchstart", "focusin"]) {
    document.addEventListener(type, (event) => {
      if (event.target.closest && event.target.closest("a[data-qc-photo], [data-qc-show]")) load().catch(() => {});
    }, { passive: true });
  }

  document.addEventListener("change", (event) => {
    if (event.target.matches("[data-qc-toggle-boxes]")) setBoxesShown(roundOf(event.target), event.target.checked);
  });
}
