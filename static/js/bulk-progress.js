// The progress page of a bulk admin action: polls its JSON endpoint until the job is finished.
(function () {
  "use strict";
  var box = document.querySelector("[data-bulk-job]");
  if (!box || !box.hasAttribute("data-bulk-running")) { return; }
  var status = box.querySelector("[data-bulk-status]");
  var bar = box.querySelector("[data-bulk-progress]");
  var problems = box.querySelector("[data-bulk-problems]");

  function format(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_, key) { return String(values[key]); });
  }

  function show(data) {
    bar.max = data.total;
    bar.value = data.done;
    bar.textContent = data.done + " / " + data.total;
    status.textContent = format(data.finished ? box.dataset.finished : box.dataset.running, data);
    problems.replaceChildren.apply(problems, data.problems.map(function (text) {
      var item = document.createElement("li");
      item.textContent = text;
      return item;
    }));
  }

  function poll() {
    fetch(box.dataset.url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.json();
      })
      .then(function (data) {
        show(data);
        if (!data.finished) { window.setTimeout(poll, 1000); }
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }

  window.setTimeout(poll, 500);
})();
