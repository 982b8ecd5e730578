// The new order's total (unit price × quantity + domestic shipping), shown as the shopper types
// and sent with the form: the server places the order only if it costs what was shown.
(function () {
  "use strict";

  var form = document.querySelector("form[data-order-form]");
  if (!form) return;
  var price = form.querySelector("#id_unit_price");
  var quantity = form.querySelector("#id_quantity");
  var shipping = form.querySelector("#id_domestic_shipping");
  var expected = form.querySelector("#id_expected_total");
  var output = form.querySelector("#order-total");
  var detail = form.querySelector("[data-total-detail]");
  var balanceNote = form.querySelector("[data-total-balance]");
  if (!price || !quantity || !shipping || !expected || !output) return;

  // Amounts in fen (integers), read as the server's MoneyField reads them: digits 0-9, at most
  // two decimals, nothing else. Anything else is not an amount (null).
  function fen(text) {
    var match = /^\s*([0-9]+)(?:\.([0-9]{1,2}))?\s*$/.exec(text);
    if (!match) return null;
    return parseInt(match[1], 10) * 100 + parseInt(((match[2] || "") + "00").slice(0, 2), 10);
  }
  function plain(value) {
    var cents = String(value % 100);
    return Math.floor(value / 100) + "." + (cents.length < 2 ? "0" + cents : cents);
  }
  function yuan(value) {
    return "\u00a5" + plain(value);
  }
  function fill(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_, name) { return values[name]; });
  }

  var balance = fen(form.getAttribute("data-balance") || "");

  function update() {
    var unit = fen(price.value);
    var qty = /^\s*[0-9]+\s*$/.test(quantity.value) ? parseInt(quantity.value, 10) : null;
    var ship = shipping.value.trim() === "" ? null : fen(shipping.value);
    if (unit === null || unit === 0 || qty === null || qty < 1 || ship === null) {
      output.textContent = "\u2014";
      expected.value = "";
      return;
    }
    var total = unit * qty + ship;
    output.textContent = yuan(total);
    expected.value = plain(total);
    if (detail) {
      detail.textContent = fill(form.getAttribute("data-detail"), { qty: qty, price: yuan(unit), shipping: yuan(ship) });
    }
    if (balanceNote && balance !== null) {
      balanceNote.textContent = total <= balance
        ? fill(form.getAttribute("data-after"), { balance: yuan(balance - total) })
        : fill(form.getAttribute("data-short"), { balance: yuan(balance), missing: yuan(total - balance) });
      balanceNote.classList.toggle("order-total__balance--short", total > balance);
    }
  }

  [price, quantity, shipping].forEach(function (input) { input.addEventListener("input", update); });
  update();
})();
