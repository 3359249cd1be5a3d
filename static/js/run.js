// A run's page: live log and status, and one live chart per metric, over Server-Sent Events.
// The hub answers each events URL with a short-lived link to the stream server, so every
// (re)connection goes through the hub again, resuming after the last event shown (?after=N).
(() => {
  const STAGES = ["queued", "preparing", "running", "collecting", "succeeded"];
  const pipeline = document.getElementById("pipeline");
  const mark = (status) => {
    const reached = STAGES.indexOf(status);
    pipeline.querySelectorAll("li").forEach((item, index) => {
      item.classList.toggle("done", reached >= 0 && index < reached);
      item.classList.toggle("current", index === reached);
    });
    pipeline.dataset.status = status;
  };
  mark(pipeline.dataset.status);

  // Follow one stream: onLine per "line" event, onStatus per state change; reconnect with
  // back-off until the stream says "end".
  const follow = (eventsUrl, lastSeen, onLine, onStatus, onEnd) => {
    let ended = false;
    let delay = 1000;
    const connect = () => {
      const url = new URL(eventsUrl, window.location.href);
      url.searchParams.set("after", lastSeen());
      const source = new EventSource(url);
      source.addEventListener("open", () => { delay = 1000; });
      source.addEventListener("line", onLine);
      source.addEventListener("status", (event) => onStatus(JSON.parse(event.data)));
      source.addEventListener("end", (event) => {
        ended = true;
        source.close();
        onStatus(JSON.parse(event.data));
        onEnd();
      });
      source.addEventListener("error", () => {
        source.close();
        if (ended) return;
        window.setTimeout(connect, delay);
        delay = Math.min(delay * 2, 30000);
      });
    };
    connect();
  };

  const container = document.getElementById("charts");
  const charts = new Map();
  let lastMetric = 0;
  follow(
    container.dataset.events,
    () => lastMetric,
    (event) => {
      const point = JSON.parse(event.data);
      lastMetric = Math.max(lastMetric, Number(event.lastEventId) || 0);
      if (!charts.has(point.key)) {
        charts.set(point.key, window.MLReefCharts.chart(container, point.key, ["value"]));
      }
      charts.get(point.key).add(0, point.step, point.value);
    },
    () => {},
    () => {},
  );

  const log = document.getElementById("log");
  if (log.dataset.final) return;
  const status = document.getElementById("status");
  const failure = document.getElementById("failure");
  const atBottom = () => log.scrollTop + log.clientHeight >= log.scrollHeight - 20;
  const lastShown = () => {
    const last = log.lastElementChild;
    return last ? Number(last.dataset.n) || 0 : 0;
  };
  const addLine = (event) => {
    const line = JSON.parse(event.data);
    if (log.querySelector(`[data-n="${line.number}"]`)) return;
    const stay = atBottom();
    const span = document.createElement("span");
    span.className = "line";
    span.dataset.n = line.number;
    span.textContent = `${line.time.slice(11, 19)} ${line.text}\n`;
    log.appendChild(span);
    if (stay) log.scrollTop = log.scrollHeight;
  };
  const show = (data) => {
    status.textContent = data.status;
    status.className = `status ${data.status}`;
    mark(data.status);
    if (data.failure_reason) { failure.textContent = data.failure_reason; failure.hidden = false; }
  };
  follow(log.dataset.events, lastShown, addLine, show, () => {
    const cancel = document.getElementById("cancel-form");
    if (cancel) cancel.remove();
    // Artifacts are listed once the run ended: show them.
    window.setTimeout(() => window.location.reload(), 1000);
  });
})();
