// Progress of a certificate ZIP job: polls its JSON status and updates the page in place.
// Without JavaScript the page refreshes itself (<noscript> meta refresh) or via its reload link.
(() => {
  const box = document.getElementById("certificate-job");
  if (!box || !window.fetch) return;
  const url = box.dataset.statusUrl;
  const bar = box.querySelector("progress");
  const part = (name) => box.querySelector(`[data-job="${name}"]`);

  function show(state) {
    bar.max = state.total || 1;
    bar.value = state.done;
    bar.textContent = `${state.percent}%`;
    part("count").textContent = state.count_text;
    part("message").textContent = state.message;
    const finished = state.status === "done" || state.status === "failed";
    const reload = part("reload");
    if (finished && reload) reload.remove();
    if (state.status === "done") part("download").hidden = false;
    return finished;
  }

  async function poll() {
    try {
      const response = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
      if (response.ok && show(await response.json())) return;
    } catch (error) {
      // A dropped connection on a weak network: try again on the next tick.
    }
    window.setTimeout(poll, 1500);
  }

  if (!part("download").hidden) return;
  window.setTimeout(poll, 1000);
})();
