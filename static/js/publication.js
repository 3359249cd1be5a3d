// Live log of a publication over Server-Sent Events. The hub answers the events URL with a
// short-lived link to the stream server, so every (re)connection goes through the hub again,
// resuming after the last line shown (?after=N, like Last-Event-ID).
const STAGES = ["queued", "cloning", "parsing", "building", "pushing", "published"];
const markPipeline = (pipeline, status) => {
  const reached = STAGES.indexOf(status);
  pipeline.querySelectorAll("li").forEach((item, index) => {
    item.classList.toggle("done", reached >= 0 && index < reached);
    item.classList.toggle("current", index === reached);
  });
  pipeline.dataset.status = status;
};
(() => {
  const pipelineNow = document.getElementById("pipeline");
  if (pipelineNow) markPipeline(pipelineNow, pipelineNow.dataset.status);
  const log = document.getElementById("log");
  if (!log || log.dataset.final) return;
  const status = document.getElementById("status");
  const pipeline = document.getElementById("pipeline");
  const failure = document.getElementById("failure");
  const image = document.getElementById("image");
  const atBottom = () => log.scrollTop + log.clientHeight >= log.scrollHeight - 20;
  const addLine = (event) => {
    const line = JSON.parse(event.data);
    if (log.querySelector(`[data-n="${line.number}"]`)) return;
    const follow = atBottom();
    const span = document.createElement("span");
    span.className = "line";
    span.dataset.n = line.number;
    span.textContent = `${line.time.slice(11, 19)} ${line.text}\n`;
    log.appendChild(span);
    if (follow) log.scrollTop = log.scrollHeight;
  };
  const lastShown = () => {
    const last = log.lastElementChild;
    return last ? Number(last.dataset.n) || 0 : 0;
  };
  const show = (data) => {
    status.textContent = data.status;
    status.className = `status ${data.status}`;
    markPipeline(pipeline, data.status);
    if (data.failure_reason) { failure.textContent = data.failure_reason; failure.hidden = false; }
    if (data.status === "published") {
      document.getElementById("pull").textContent = `docker pull ${data.image_reference}`;
      image.hidden = false;
    }
  };
  let ended = false;
  let delay = 1000;
  const connect = () => {
    const url = new URL(log.dataset.events, window.location.href);
    url.searchParams.set("after", lastShown());
    const source = new EventSource(url);
    source.addEventListener("open", () => { delay = 1000; });
    source.addEventListener("line", addLine);
    source.addEventListener("status", (event) => show(JSON.parse(event.data)));
    source.addEventListener("end", (event) => {
      ended = true;
      show(JSON.parse(event.data));
      source.close();
      const cancel = document.getElementById("cancel-form");
      if (cancel) cancel.remove();
    });
    source.addEventListener("error", () => {
      // The stream closed (time limit, server restart, too many streams): come back through
      // the hub for a fresh link, backing off while it keeps failing.
      source.close();
      if (ended) return;
      window.setTimeout(connect, delay);
      delay = Math.min(delay * 2, 30000);
    });
  };
  connect();
})();
