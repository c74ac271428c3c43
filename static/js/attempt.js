// The attempt page: saves answers as the trainee goes, shows the server's clock.
// Progressive enhancement: without this file the form's "Save answers" and "Submit" buttons
// post normally. With it, every change is saved (debounced, and at least every 30 s) to the
// JSON endpoint with the sequence number the server issued (the last accepted save's plus
// one, from the page and from each reply: never one made up here); failed saves are retried with exponential backoff,
// and unsaved answers are kept in localStorage until the server has them.
(function () {
  "use strict";
  const form = document.getElementById("attempt-form");
  if (!form || !window.fetch) return;

  const DEBOUNCE_MS = 1500;
  const HEARTBEAT_MS = 30000;
  const MAX_BACKOFF_MS = 30000;
  const attemptId = form.dataset.attempt;
  const storageKey = "lms-attempt-" + attemptId;
  const status = document.getElementById("save-status");
  const timer = document.getElementById("attempt-timer");
  const seqInput = form.querySelector("input[name=seq]");
  const csrf = form.querySelector("input[name=csrf_token]").value;
  const itemIds = form.querySelector("input[name=items]").value.split(",").filter(Boolean);

  let acked = parseInt(form.dataset.seq, 10) || 0; // the server's last accepted save
  let pending = null; // {seq, body} waiting for the server (resent as is on retry)
  let dirty = false; // answers changed since the pending/last save was built
  let inFlight = false;
  let stopped = false; // stale page or closed attempt: no more saves
  let submitting = false;
  let backoff = 1000;
  let retryTimer = null;
  let debounceTimer = null;

  function show(text, kind) {
    if (!status) return;
    status.textContent = text;
    status.className = "save-status" + (kind ? " is-" + kind : "");
  }

  function answers() {
    const result = {};
    for (const id of itemIds) {
      const fields = form.querySelectorAll('[name="item-' + id + '"]');
      if (!fields.length) continue;
      const first = fields[0];
      if (first.type === "checkbox") {
        const values = Array.from(fields).filter((f) => f.checked).map((f) => f.value);
        result[id] = values.length ? values : null;
      } else if (first.type === "radio") {
        const chosen = Array.from(fields).find((f) => f.checked);
        result[id] = chosen ? chosen.value : null;
      } else {
        result[id] = first.value;
      }
    }
    return result;
  }

  function restore(saved) {
    for (const [id, value] of Object.entries(saved)) {
      const fields = form.querySelectorAll('[name="item-' + id + '"]');
      for (const field of fields) {
        if (field.type === "checkbox") field.checked = Array.isArray(value) && value.includes(field.value);
        else if (field.type === "radio") field.checked = value === field.value;
        else field.value = value == null ? "" : value;
      }
    }
  }

  function remember() {
    try {
      localStorage.setItem(storageKey, JSON.stringify({ base: acked, answers: answers() }));
    } catch (e) { /* storage full or disabled: the server copy is what counts */ }
  }

  function forget() {
    try { localStorage.removeItem(storageKey); } catch (e) { /* ignore */ }
  }

  function schedule(delay) {
    clearTimeout(debounceTimer);
    debounceTimer = setTimeout(save, delay);
  }

  function changed() {
    if (stopped || submitting) return;
    dirty = true;
    remember();
    schedule(DEBOUNCE_MS);
  }

  function retryLater(message) {
    show(message, "error");
    clearTimeout(retryTimer);
    retryTimer = setTimeout(save, backoff);
    backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
  }

  function save() {
    if (stopped || submitting || inFlight) return;
    clearTimeout(retryTimer);
    if (!pending || dirty) {
      const seq = acked + 1; // the number the server issued
      pending = { seq: seq, body: JSON.stringify({ seq: seq, answers: answers() }) };
      dirty = false;
    }
    const sent = pending;
    inFlight = true;
    show(form.dataset.msgSaving, "saving");
    fetch(form.dataset.saveUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf, "Accept": "application/json" },
      body: sent.body,
    })
      .then((response) => {
        const json = (response.headers.get("Content-Type") || "").includes("application/json");
        if (!json) throw new Error("not json");
        return response.json().then((data) => ({ status: response.status, data: data }));
      })
      .then(({ status: code, data }) => {
        inFlight = false;
        if (code === 200 && data.ok) {
          acked = typeof data.seq === "number" ? data.seq : sent.seq;
          if (pending === sent) pending = null;
          seqInput.value = acked + 1;
          backoff = 1000;
          if (typeof data.remaining === "number") syncClock(data.remaining);
          if (dirty) { remember(); schedule(DEBOUNCE_MS); } else { forget(); show(form.dataset.msgSaved, "ok"); }
          return;
        }
        if (code === 409) {
          stopped = true;
          show(data.message, "error");
          if (data.reason === "stale" && data.reload_url && status) {
            const reload = Object.assign(document.createElement("button"), {
              type: "button", className: "primary", textContent: form.dataset.msgReload || "↻",
            });
            reload.addEventListener("click", () => { forget(); window.location.assign(data.reload_url); });
            status.append(" ", reload);
          }
          if (data.reason === "closed" && data.result_url) {
            setTimeout(() => { window.location.assign(data.result_url); }, 3000);
          }
          return;
        }
        retryLater(data.message || form.dataset.msgFailed);
      })
      .catch(() => {
        inFlight = false;
        retryLater(navigator.onLine === false ? form.dataset.msgOffline : form.dataset.msgFailed);
      });
  }

  // -- the server's clock --------------------------------------------------------------
  let endsAt = null;
  function syncClock(remaining) {
    if (!timer) return;
    endsAt = Date.now() + remaining * 1000;
  }
  function format(seconds) {
    const h = Math.floor(seconds / 3600), m = Math.floor((seconds % 3600) / 60), s = seconds % 60;
    const mm = (h ? String(m).padStart(2, "0") : String(m)) + ":" + String(s).padStart(2, "0");
    return h ? h + ":" + mm : mm;
  }
  function tick() {
    if (endsAt === null) return;
    const left = Math.max(0, Math.round((endsAt - Date.now()) / 1000));
    timer.textContent = format(left);
    timer.parentElement.classList.toggle("is-low", left <= 60);
    if (left === 0 && !submitting && !stopped) timeUp();
  }
  function timeUp() {
    show(form.dataset.msgTimeup, "error");
    if (navigator.onLine === false) {
      window.addEventListener("online", timeUp, { once: true });
      return;
    }
    submitting = true;
    seqInput.value = acked + 1;
    form.submit(); // to the finish action, with every answer in the form
  }
  if (timer) {
    syncClock(parseInt(timer.dataset.remaining, 10) || 0);
    tick();
    setInterval(tick, 1000);
  }

  // -- wiring ------------------------------------------------------------------------
  try {
    const stored = JSON.parse(localStorage.getItem(storageKey) || "null");
    if (stored && stored.base === acked && stored.answers) {
      restore(stored.answers); // typed here while offline, never reached the server
      dirty = true;
      schedule(0);
    } else if (stored) {
      forget(); // the server has newer answers than this copy
    }
  } catch (e) { /* ignore */ }

  // -- the answer sheet (答题卡): answered and flagged states, the unanswered count --------
  const flagKey = storageKey + "-flags";
  let flags = {};
  try { flags = JSON.parse(localStorage.getItem(flagKey) || "{}") || {}; } catch (e) { flags = {}; }
  const finishButton = document.getElementById("finish-button");
  const sheetCount = document.getElementById("sheet-count");
  function isAnswered(value) {
    return value !== null && value !== undefined && !(Array.isArray(value) && !value.length) && String(value).trim() !== "";
  }
  function updateSheet() {
    const current = answers();
    let answered = 0;
    for (const id of itemIds) {
      const done = isAnswered(current[id]);
      if (done) answered += 1;
      const cell = form.querySelector('.sheet-cell[data-item="' + id + '"]');
      if (cell) {
        cell.classList.toggle("is-answered", done);
        cell.classList.toggle("is-flagged", !!flags[id]);
      }
    }
    if (sheetCount) {
      sheetCount.textContent = sheetCount.dataset.template.replace("{a}", answered).replace("{t}", itemIds.length);
    }
    if (finishButton) {
      const left = itemIds.length - answered;
      finishButton.dataset.confirm = (left ? finishButton.dataset.confirmUnanswered.replace("{n}", left) + " " : "")
        + finishButton.dataset.confirmBase;
    }
  }
  form.querySelectorAll("input.flag").forEach((box) => {
    box.checked = !!flags[box.dataset.item];
    box.addEventListener("change", (event) => {
      event.stopPropagation(); // a flag is not an answer: nothing to save
      if (box.checked) flags[box.dataset.item] = true; else delete flags[box.dataset.item];
      try { localStorage.setItem(flagKey, JSON.stringify(flags)); } catch (e) { /* ignore */ }
      updateSheet();
    });
  });
  updateSheet();
  form.addEventListener("change", updateSheet);
  form.addEventListener("input", updateSheet);

  form.addEventListener("change", changed);
  form.addEventListener("input", changed);
  // On the document, after app.js's confirmation handler: a declined "Submit?" is prevented.
  document.addEventListener("submit", (event) => {
    if (event.target !== form || event.defaultPrevented) return;
    submitting = true;
    seqInput.value = acked + 1;
  });
  window.addEventListener("online", () => { if (pending || dirty) { backoff = 1000; save(); } });
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "hidden" && (pending || dirty)) save();
  });
  window.addEventListener("beforeunload", (event) => {
    if (!submitting && !stopped && (pending || dirty)) event.preventDefault();
  });
  setInterval(() => { if (!inFlight) { dirty = dirty || !pending; save(); } }, HEARTBEAT_MS);
})();
