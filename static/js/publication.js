// Live log of a publication over Server-Sent Events. The hub answers the events URL with a
// short-lived link to the stream server, so every (re)connection goes through the hub again,
// resuming after the last line shown (?after=N, like Last-Event-ID).
const STAGES = ["queued", "cloning", "parsing", "building", "pushing", "published"];
const FINAL = ["published", "failed", "cancelled"];
// Terminal colour codes (ESC [ ... m and other CSI sequences) are dropped from the text.
const ANSI = /\u001b\[[0-?]*[ -/]*[@-~]|\u001b[@-_]/g;
const stripAnsi = (text) => text.replace(ANSI, "");

// Stages before the one reached are done; a failed or cancelled run marks the stage it
// stopped in (the last stage its log lines were written in) as failed.
const markPipeline = (pipeline, status, stoppedIn) => {
  const stopped = status === "failed" || status === "cancelled";
  const reached = STAGES.indexOf(stopped ? stoppedIn : status);
  pipeline.querySelectorAll("li").forEach((item, index) => {
    item.classList.toggle("done", reached >= 0 && index < reached);
    item.classList.toggle("current", !stopped && index === reached);
    item.classList.toggle("failed", stopped && index === reached);
  });
  pipeline.dataset.status = status;
};

// A finished log opens at the failure: the first line written after the run stopped sits at
// the bottom of the box, with the output that led to it above.
const scrollToFailure = (log) => {
  const failed = log.querySelector(".line.failure");
  if (!failed) return;
  log.scrollTop = Math.max(0, failed.offsetTop - log.offsetTop - log.clientHeight + 3 * failed.offsetHeight);
};

(() => {
  const pipeline = document.getElementById("pipeline");
  const log = document.getElementById("log");
  if (pipeline) markPipeline(pipeline, pipeline.dataset.status, pipeline.dataset.stoppedIn);
  if (!log) return;
  if (log.dataset.final) { scrollToFailure(log); return; }
  const status = document.getElementById("status");
  const failure = document.getElementById("failure");
  const failureText = document.getElementById("failure-reason");
  const image = document.getElementById("image");
  let stoppedIn = pipeline ? pipeline.dataset.stoppedIn || "" : "";
  const atBottom = () => log.scrollTop + log.clientHeight >= log.scrollHeight - 20;
  const addLine = (event) => {
    const line = JSON.parse(event.data);
    if (log.querySelector(`[data-n="${line.number}"]`)) return;
    const follow = atBottom();
    const span = document.createElement("span");
    span.className = "line";
    if (FINAL.includes(line.step) && line.step !== "published") span.classList.add("failure");
    else stoppedIn = line.step;
    span.dataset.n = line.number;
    span.textContent = `${line.time.slice(11, 19)} ${stripAnsi(line.text)}\n`;
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
    markPipeline(pipeline, data.status, stoppedIn);
    if (data.failure_reason) { failureText.textContent = data.failure_reason; failure.hidden = false; }
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
      scrollToFailure(log);
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
