// Draws the analytics page's charts with the vendored Chart.js (chart.umd.min.js, loaded
// before this file on that page only). Each <canvas data-chart data-table> is drawn from the
// accessible table beside it (numbers in its cells' data-value), so the chart, the table and
// the CSV show the same figures. Runs on load and after every htmx swap of the report; charts
// of a swapped-out report are destroyed first. Colours come from the stylesheet's tokens.
(function () {
  "use strict";

  function token(name) {
    return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  }

  function readTable(id) {
    var table = document.getElementById(id);
    if (!table) return null;
    var labels = [];
    var columns = Array.prototype.map.call(table.tHead.rows[0].cells, function (th) {
      return { label: th.textContent.trim(), values: [] };
    });
    Array.prototype.forEach.call(table.tBodies[0].rows, function (row) {
      labels.push(row.cells[0].textContent.trim());
      for (var i = 1; i < row.cells.length; i++) {
        var raw = row.cells[i].getAttribute("data-value");
        columns[i].values.push(raw === null || raw === "" ? null : Number(raw));
      }
    });
    return { labels: labels, columns: columns };
  }

  var MOVEMENT_COLOURS = ["--c-success", "--c-info", "--c-brand", "--c-warning-line", "--c-danger"];

  var builders = {
    // Stacked bars of the five movements (columns 2–6), the MRR at each end as a line.
    mrr: function (data) {
      var datasets = data.columns.slice(2, 7).map(function (column, i) {
        return {
          type: "bar", label: column.label, data: column.values,
          backgroundColor: token(MOVEMENT_COLOURS[i]), stack: "movements", order: 2,
        };
      });
      var end = data.columns[7];
      datasets.push({
        type: "line", label: end.label, data: end.values, yAxisID: "mrr",
        borderColor: token("--c-ink"), backgroundColor: token("--c-ink"), order: 1,
      });
      return {
        type: "bar", data: { labels: data.labels, datasets: datasets },
        options: { scales: { x: { stacked: true }, y: { stacked: true, title: { display: true, text: "Movement" } },
                             mrr: { position: "right", grid: { drawOnChartArea: false }, title: { display: true, text: "MRR" } } } },
      };
    },
    revenue: function (data) {
      return {
        type: "bar",
        data: { labels: data.labels, datasets: [{ label: "Net", data: data.columns[3].values, backgroundColor: token("--c-brand") }] },
      };
    },
    "add-ons": function (data) {
      return {
        type: "bar",
        data: { labels: data.labels, datasets: [{ label: "Net", data: data.columns[3].values, backgroundColor: token("--c-accent") }] },
        options: { indexAxis: "y" },
      };
    },
    funnel: function (data) {
      var colours = ["--c-brand", "--c-info", "--c-success"];
      return {
        type: "line",
        data: {
          labels: data.labels,
          datasets: data.columns.slice(1, 4).map(function (column, i) {
            return { label: column.label, data: column.values, borderColor: token(colours[i]), backgroundColor: token(colours[i]) };
          }),
        },
      };
    },
  };

  function draw(root) {
    if (!window.Chart) return;
    root.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      var existing = window.Chart.getChart(canvas);
      if (existing) existing.destroy();
      var data = readTable(canvas.getAttribute("data-table"));
      var build = builders[canvas.getAttribute("data-chart")];
      if (!data || !build) return;
      var config = build(data);
      config.options = Object.assign({ responsive: true, maintainAspectRatio: false, animation: false }, config.options);
      new window.Chart(canvas, config);
    });
  }

  // Charts of a report about to be swapped out are destroyed, so none leaks.
  document.addEventListener("htmx:beforeSwap", function (event) {
    event.detail.target.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      var chart = window.Chart && window.Chart.getChart(canvas);
      if (chart) chart.destroy();
    });
  });
  document.addEventListener("htmx:afterSettle", function (event) { draw(event.detail.target); });
  document.addEventListener("DOMContentLoaded", function () { draw(document); });
})();
