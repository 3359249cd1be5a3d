// Overlaid charts of the compared runs, one per metric key.
(() => {
  const data = JSON.parse(document.getElementById("compare-data").textContent);
  const container = document.getElementById("charts");
  const names = data.runs.map((id) => `run ${id}`);
  data.keys.forEach((key) => {
    const chart = window.MLReefCharts.chart(container, key, names);
    data.runs.forEach((id, index) => {
      (data.series[key][id] || []).forEach(([step, value]) => chart.add(index, step, value));
    });
    chart.redraw();
  });
})();
