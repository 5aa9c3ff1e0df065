// Draws the supervision dashboard's charts from the JSON the page embeds (#dashboard-data).
// Labels arrive translated from the server; this file only lays them out.
(function () {
  "use strict";
  var source = document.getElementById("dashboard-data");
  if (!source || typeof Chart === "undefined") {
    return;
  }
  var d = JSON.parse(source.textContent);
  var palette = ["#1f5fbf", "#d9822b", "#1f7a4d", "#b3261e", "#6a3fb5", "#0f8b8d", "#8a6d00", "#5d6677"];
  var base = { responsive: true, maintainAspectRatio: false, animation: false };

  function draw(id, config) {
    var canvas = document.getElementById(id);
    if (canvas) {
      new Chart(canvas, config);
    }
  }

  function pairs(rows) {
    return { labels: rows.map(function (r) { return r[0]; }), values: rows.map(function (r) { return r[1]; }) };
  }

  // Money arrives as one dataset per currency, labelled with its code: amounts are never added across currencies.
  function colored(datasets, offset) {
    return datasets.map(function (set, i) {
      return { label: set.label, data: set.data, backgroundColor: palette[(i + offset) % palette.length], borderColor: palette[(i + offset) % palette.length] };
    });
  }

  draw("chart-stages", {
    type: "bar",
    data: {
      labels: d.stages.labels,
      datasets: [{ label: d.stages.casesLabel, data: d.stages.cases, backgroundColor: palette[0], yAxisID: "y" }].concat(
        colored(d.stages.amounts, 1).map(function (set) { set.yAxisID = "y1"; return set; })
      ),
    },
    options: Object.assign({}, base, {
      scales: { y: { beginAtZero: true, position: "left" }, y1: { beginAtZero: true, position: "right", grid: { drawOnChartArea: false } } },
    }),
  });

  draw("chart-rolls", {
    type: "line",
    data: {
      labels: d.months,
      datasets: d.rolls.map(function (roll, i) {
        return { label: roll.label, data: roll.data, borderColor: palette[i % palette.length], spanGaps: true };
      }),
    },
    options: Object.assign({}, base, { scales: { y: { beginAtZero: true, suggestedMax: 100 } } }),
  });

  draw("chart-rates", {
    type: "line",
    data: {
      labels: d.months,
      datasets: [
        { label: d.rates.cureLabel, data: d.rates.cure, borderColor: palette[2], spanGaps: true },
        { label: d.rates.promiseLabel, data: d.rates.promise, borderColor: palette[0], spanGaps: true },
        { label: d.rates.rpcLabel, data: d.rates.rpc, borderColor: palette[1], spanGaps: true },
      ],
    },
    options: Object.assign({}, base, { scales: { y: { beginAtZero: true, suggestedMax: 100 } } }),
  });

  draw("chart-recovered", {
    type: "bar",
    data: { labels: d.months, datasets: colored(d.recovered.byMonth, 2) },
    options: Object.assign({}, base, { scales: { y: { beginAtZero: true } } }),
  });

  draw("chart-channel", {
    type: "bar",
    data: { labels: d.recovered.channel.labels, datasets: colored(d.recovered.channel.datasets, 2) },
    options: Object.assign({}, base, { scales: { y: { beginAtZero: true } } }),
  });

  draw("chart-collector", {
    type: "bar",
    data: { labels: d.recovered.holders.labels, datasets: colored(d.recovered.holders.datasets, 0) },
    options: Object.assign({}, base, { indexAxis: "y", scales: { x: { beginAtZero: true } } }),
  });

  var blocks = pairs(d.blocks.byRule);
  draw("chart-blocks", {
    type: "bar",
    data: { labels: blocks.labels, datasets: [{ label: d.blocks.label, data: blocks.values, backgroundColor: palette[3] }] },
    options: Object.assign({}, base, { indexAxis: "y", scales: { x: { beginAtZero: true, ticks: { precision: 0 } } } }),
  });

  draw("chart-trends", {
    type: "line",
    data: {
      labels: d.months,
      datasets: [
        { label: d.blocks.contactsLabel, data: d.blocks.contactsByMonth, borderColor: palette[0] },
        { label: d.blocks.label, data: d.blocks.byMonth, borderColor: palette[3] },
      ],
    },
    options: Object.assign({}, base, { scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } }),
  });
  document.documentElement.dataset.chartsReady = "true";
})();
