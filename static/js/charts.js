// One uPlot chart per metric key; a chart holds one series per run (overlaid when comparing).
window.MLReefCharts = (() => {
  const COLORS = ["#1f6feb", "#d9480f", "#2b8a3e", "#862e9c", "#e67700", "#0b7285", "#c2255c"];
  const widthOf = (element) => Math.max(320, Math.min(720, (element.clientWidth || 640) - 10));

  const chart = (container, key, names) => {
    const box = document.createElement("div");
    box.className = "chart";
    box.dataset.key = key;
    box.dataset.points = "0";
    const title = document.createElement("h3");
    title.textContent = key;
    box.appendChild(title);
    container.appendChild(box);
    const values = names.map(() => new Map());
    const options = {
      width: widthOf(container),
      height: 220,
      scales: { x: { time: false } },
      axes: [{ label: "step" }, {}],
      series: [
        { label: "step" },
        ...names.map((name, index) => ({
          label: name,
          stroke: COLORS[index % COLORS.length],
          spanGaps: true,
          points: { show: true, size: 5 },
        })),
      ],
    };
    const plot = new uPlot(options, [[], ...names.map(() => [])], box);
    let pending = false;
    const redraw = () => {
      pending = false;
      const steps = [...new Set(values.flatMap((map) => [...map.keys()]))].sort((a, b) => a - b);
      plot.setData([steps, ...values.map((map) => steps.map((s) => (map.has(s) ? map.get(s) : null)))]);
      box.dataset.points = String(values.reduce((total, map) => total + map.size, 0));
    };
    return {
      add(index, step, value) {
        values[index].set(step, value);
        if (!pending) {
          pending = true;
          window.requestAnimationFrame(redraw);
        }
      },
      redraw,
    };
  };
  return { chart };
})();
