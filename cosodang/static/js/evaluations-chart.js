/*
 * Rating distribution charts (evaluations: report page). Reads the data the page wrote with
 * json_script (#rating-chart-data) and draws two charts with the vendored Chart.js: the share of
 * each level by organisation (stacked bars, %) and the counts by level across years.
 * No inline script anywhere (CSP script-src 'self').
 */
(function () {
  "use strict";
  var COLOURS = { HTXSNV: "#1b5e20", HTTNV: "#1f4e8c", HTNV: "#d98a00", KHTNV: "#b71c1c" };

  function draw() {
    var source = document.getElementById("rating-chart-data");
    if (!source || typeof window.Chart === "undefined") { return; }
    var data = JSON.parse(source.textContent);
    if (!data) { return; }
    var byOrg = document.getElementById("chart-by-org");
    if (byOrg && data.by_org.labels.length) {
      new window.Chart(byOrg, {
        type: "bar",
        data: {
          labels: data.by_org.labels,
          datasets: data.levels.map(function (level) {
            return { label: level, data: data.by_org.series[level], backgroundColor: COLOURS[level] };
          })
        },
        options: {
          indexAxis: "y",
          responsive: true,
          maintainAspectRatio: true,
          animation: false,
          scales: { x: { stacked: true, max: 100, title: { display: true, text: "%" } }, y: { stacked: true } },
          plugins: { title: { display: true, text: "Tỷ lệ các mức theo tổ chức (%)" } }
        }
      });
    }
    var byYear = document.getElementById("chart-by-year");
    if (byYear && data.by_year.length) {
      new window.Chart(byYear, {
        type: "bar",
        data: {
          labels: data.by_year.map(function (p) { return p.label; }),
          datasets: data.levels.map(function (level) {
            return {
              label: level,
              data: data.by_year.map(function (p) { return p.counts[level]; }),
              backgroundColor: COLOURS[level]
            };
          })
        },
        options: {
          responsive: true,
          maintainAspectRatio: true,
          animation: false,
          plugins: { title: { display: true, text: "Số đảng viên theo mức qua các năm" } }
        }
      });
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
