/*
 * Admission statistics charts (admissions: statistics page). Reads the data the page wrote with
 * json_script (#admission-chart-data) and draws, with the vendored Chart.js: admissions per year,
 * the median working days spent in each stage, and why cases were stopped.
 * No inline script anywhere (CSP script-src 'self'); the tables beside the charts carry the same
 * numbers for readers without JavaScript.
 */
(function () {
  "use strict";
  var RED = "#b71c1c";
  var BLUE = "#1f4e8c";
  var AMBER = "#d98a00";

  function bar(canvas, series, label, colour, horizontal) {
    if (!canvas || !series.labels.length) { return; }
    new window.Chart(canvas, {
      type: "bar",
      data: { labels: series.labels, datasets: [{ label: label, data: series.values, backgroundColor: colour }] },
      options: {
        indexAxis: horizontal ? "y" : "x",
        responsive: true,
        maintainAspectRatio: true,
        animation: false,
        plugins: { legend: { display: false }, title: { display: true, text: label } }
      }
    });
  }

  function draw() {
    var source = document.getElementById("admission-chart-data");
    if (!source || typeof window.Chart === "undefined") { return; }
    var data = JSON.parse(source.textContent);
    if (!data) { return; }
    bar(document.getElementById("chart-per-year"), data.per_year, "Số kết nạp theo năm", RED, false);
    bar(document.getElementById("chart-stages"), data.stages, "Số ngày làm việc ở mỗi bước (trung vị)", BLUE, true);
    bar(document.getElementById("chart-stops"), data.stops, "Lý do dừng xét, xóa tên", AMBER, true);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
