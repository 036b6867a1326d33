/* Sortable tables and row filters for the gqap-bench results site; no dependencies.
   A click (or Enter) on a header of a table.sortable sorts its rows by that column:
   numbers by value (a cell's data-v attribute when it has one), text alphabetically,
   empty cells ('-') last in both directions; the header gets aria-sort. An input.filter
   with data-table="ID" hides the rows of table ID that do not contain its text. */
"use strict";
(function () {
  function key(cell) {
    var v = cell.getAttribute("data-v");
    if (v === null) { v = cell.textContent.trim(); }
    if (v === "" || v === "-") { return [2, ""]; }
    var n = Number(v);
    return isNaN(n) ? [1, v.toLowerCase()] : [0, n];
  }
  function sortBy(table, th, index) {
    var dir = th.getAttribute("aria-sort") === "ascending" ? "descending" : "ascending";
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (h) {
      h.removeAttribute("aria-sort");
    });
    th.setAttribute("aria-sort", dir);
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows).map(function (row, i) {
      return { row: row, key: key(row.cells[index]), i: i };
    });
    rows.sort(function (a, b) {
      if (a.key[0] !== b.key[0]) { return a.key[0] - b.key[0]; }
      if (a.key[0] === 2) { return a.i - b.i; }
      var c = a.key[1] < b.key[1] ? -1 : (a.key[1] > b.key[1] ? 1 : 0);
      if (a.key[0] === 0 && b.key[0] === 0) { c = a.key[1] - b.key[1]; }
      return (dir === "ascending" ? c : -c) || a.i - b.i;
    });
    rows.forEach(function (r) { body.appendChild(r.row); });
  }
  Array.prototype.forEach.call(document.querySelectorAll("table.sortable"), function (table) {
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, index) {
      th.tabIndex = 0;
      th.title = "sort by " + th.textContent.trim();
      th.addEventListener("click", function () { sortBy(table, th, index); });
      th.addEventListener("keydown", function (e) {
        if (e.key === "Enter" || e.key === " ") { e.preventDefault(); sortBy(table, th, index); }
      });
    });
  });
  Array.prototype.forEach.call(document.querySelectorAll("input.filter"), function (input) {
    var table = document.getElementById(input.getAttribute("data-table"));
    if (!table) { return; }
    input.addEventListener("input", function () {
      var text = input.value.trim().toLowerCase();
      Array.prototype.forEach.call(table.tBodies[0].rows, function (row) {
        row.hidden = text !== "" && row.textContent.toLowerCase().indexOf(text) < 0;
      });
    });
  });
})();
