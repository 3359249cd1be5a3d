// A pipeline run's page: while it is active, poll its status (REST API) and reload the page
// when the run or one of its steps changes, so statuses, durations and outputs stay current.
(() => {
  const root = document.getElementById("pipeline-run");
  if (!root || root.dataset.active !== "true") return;
  const signature = (run) => [run.status, ...run.steps.map((s) => `${s.status}:${s.cached}`)].join("|");
  let last = null;
  const poll = async () => {
    try {
      const response = await fetch(root.dataset.statusUrl, { credentials: "same-origin" });
      if (response.ok) {
        const run = await response.json();
        const now = signature(run);
        if (last !== null && now !== last) {
          window.location.reload();
          return;
        }
        last = now;
        if (!["queued", "preparing", "running", "collecting"].includes(run.status)) {
          window.location.reload();
          return;
        }
      }
    } catch (error) {
      // The hub is briefly unreachable: try again at the next tick.
    }
    window.setTimeout(poll, 1000);
  };
  poll();
})();
