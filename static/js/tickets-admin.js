// Support desk in the admin: the canned reply picker puts a ready answer into the reply box.
(function () {
  "use strict";

  function insert(textarea, text) {
    var current = textarea.value.replace(/\s+$/, "");
    textarea.value = current ? current + "\n\n" + text : text;
    textarea.focus();
    textarea.setSelectionRange(textarea.value.length, textarea.value.length);
  }

  document.querySelectorAll("select[data-canned-target]").forEach(function (select) {
    select.addEventListener("change", function () {
      var option = select.options[select.selectedIndex];
      var textarea = document.getElementById(select.getAttribute("data-canned-target"));
      if (!option || !option.value || !textarea) return;
      insert(textarea, option.getAttribute("data-body") || "");
      select.value = "";
    });
  });
})();
