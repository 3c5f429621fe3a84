/* Filter, search, sort and CSV of the story list; all in the page (no network). */
(function () {
  'use strict';
  var source = document.getElementById('rows-data');
  var table = document.getElementById('story-table');
  if (!source || !table) { return; }
  var data = JSON.parse(source.textContent);
  var body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.querySelectorAll('tr.story'));
  var boxes = Array.prototype.slice.call(document.querySelectorAll('#filters input[name=group]'));
  var search = document.getElementById('search');
  var sort = document.getElementById('sort');
  var shown = document.getElementById('shown');
  var empty = document.getElementById('empty');

  function rowData(tr) { return data[Number(tr.getAttribute('data-i'))]; }

  function filter() {
    var on = {};
    boxes.forEach(function (b) { on[b.value] = b.checked; });
    var terms = search.value.toLowerCase().split(/\s+/).filter(Boolean);
    var n = 0;
    rows.forEach(function (tr) {
      var d = rowData(tr);
      var visible = !!on[d.group] && terms.every(function (t) { return d.search.indexOf(t) >= 0; });
      tr.hidden = !visible;
      if (visible) { n += 1; }
    });
    shown.textContent = n + ' of ' + rows.length + ' listed stories shown';
    if (empty) { empty.hidden = n > 0; }
  }

  // Most serious first: the group (flagged, undeclared, informational, ok), then severity.
  var orders = {
    severity: function (a, b) { return a.rank - b.rank || b.severity - a.severity; },
    confidence: function (a, b) { return conf(b) - conf(a) || a.rank - b.rank || b.severity - a.severity; },
    rating: function (a, b) { return b.level - a.level || a.rank - b.rank || b.severity - a.severity; },
    work: function (a, b) { return a.csv.work_id.localeCompare(b.csv.work_id, undefined, { numeric: true }); }
  };
  function conf(d) { return d.csv.confidence === '' ? -1 : Number(d.csv.confidence); }

  function order() {
    var cmp = orders[sort.value] || orders.severity;
    rows.sort(function (x, y) { return cmp(rowData(x), rowData(y)) || rowData(x).i - rowData(y).i; });
    rows.forEach(function (tr) { body.appendChild(tr); });
  }

  var COLUMNS = ['work_id', 'link', 'title', 'fandoms', 'status', 'declared_rating', 'declared_warnings',
    'text_calls_for', 'suggested_changes', 'confidence', 'threshold', 'path'];
  function cell(value) {
    var s = String(value);
    // Quote as RFC 4180; a leading = + - @ is prefixed so spreadsheets do not run it as a formula.
    if (/^[=+\-@\t\r]/.test(s)) { s = "'" + s; }
    return /[",\r\n]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
  }
  function csv() {
    var lines = [COLUMNS.join(',')];
    rows.forEach(function (tr) {
      if (tr.hidden) { return; }
      var d = rowData(tr).csv;
      lines.push(COLUMNS.map(function (c) { return cell(d[c]); }).join(','));
    });
    var blob = new Blob([lines.join('\r\n') + '\r\n'], { type: 'text/csv;charset=utf-8' });
    var a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = 'ficrate-audit.csv';
    document.body.appendChild(a);
    a.click();
    document.body.removeChild(a);
    setTimeout(function () { URL.revokeObjectURL(a.href); }, 0);
  }

  data.forEach(function (d, k) { d.i = k; });
  boxes.forEach(function (b) { b.addEventListener('change', filter); });
  search.addEventListener('input', filter);
  sort.addEventListener('change', order);
  document.getElementById('csv').addEventListener('click', csv);
  order();
  filter();
})();
