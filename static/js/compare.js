// Overlaid charts of the compared runs, one per metric key.
(() => {
  const container = document.getElementById("charts");
  const data = JSON.parse(container.dataset.chart);
  const names = data.runs.map((id) => `run ${id}`);
  data.keys.forEach((key) => {
    const chart = window.MLReefCharts.chart(container, key, names);
    data.runs.forEach((id, index) => {
      (data.series[key][id] || []).forEach(([step, value]) => chart.add(index, step, value));
    });
    chart.redraw();
  });
})();
