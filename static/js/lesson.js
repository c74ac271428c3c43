// Lesson page: counts visible, active reading time and tells the server every 30 s;
// remembers the last heading reached; in "scroll" courses, completes the lesson at its end.
// Without this file the page still works: the complete button is a plain form.
(() => {
  const article = document.getElementById("lesson");
  if (!article || !window.fetch) return;
  const token = document.querySelector('meta[name="csrf-token"]').content;
  const BEAT_MS = 30000;
  // No input for the rule's quiet time: ask "您还在学习吗？" and stop the clock until answered.
  const IDLE_MS = Math.max(1, Number(article.dataset.idleMinutes) || 5) * 60000;
  const view = (crypto.randomUUID ? crypto.randomUUID() : String(Math.random()).slice(2) + Date.now()).replace(/[^A-Za-z0-9_-]/g, "").slice(0, 40);
  let seq = 0;
  let active = 0; // active milliseconds not yet reported
  let lastTick = Date.now();
  let lastInput = Date.now();
  let position = article.dataset.position || "";

  let asking = null; // the idle question while it is shown; the clock stands still meanwhile

  const ask = () => {
    asking = document.createElement("div");
    asking.className = "idle-check";
    asking.setAttribute("role", "alertdialog");
    asking.setAttribute("aria-live", "assertive");
    const question = Object.assign(document.createElement("p"), { textContent: article.dataset.idleQuestion });
    question.className = "idle-question";
    const note = Object.assign(document.createElement("p"), { textContent: article.dataset.idleNote, className: "meta" });
    const button = Object.assign(document.createElement("button"), { type: "button", className: "primary", textContent: article.dataset.idleButton });
    button.addEventListener("click", () => {
      asking.remove();
      asking = null;
      lastInput = Date.now();
      lastTick = Date.now(); // the time spent away is not counted
    });
    asking.append(question, note, button);
    document.body.append(asking);
    button.focus();
  };
  const isActive = () => !asking && document.visibilityState === "visible" && Date.now() - lastInput < IDLE_MS;
  const tick = () => {
    const now = Date.now();
    if (!asking && Date.now() - lastInput >= IDLE_MS) {
      active += Math.max(0, lastInput + IDLE_MS - lastTick); // count up to the moment idleness began
      ask();
    }
    if (isActive()) active += now - lastTick;
    lastTick = now;
  };
  ["scroll", "keydown", "pointerdown", "pointermove", "touchstart", "wheel"].forEach((type) =>
    window.addEventListener(type, () => { if (!asking) lastInput = Date.now(); }, { passive: true }));

  const post = (url, body, keepalive) => fetch(url, {
    method: "POST",
    credentials: "same-origin",
    keepalive: keepalive,
    headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": token },
    body: JSON.stringify(body),
  });

  const beat = (keepalive) => {
    tick();
    const seconds = Math.round(active / 1000);
    if (seconds < 1 && !keepalive) return;
    active -= seconds * 1000;
    seq += 1;
    post(article.dataset.beatUrl, { view, seq, seconds, position }, keepalive).catch(() => {
      active += seconds * 1000; // not counted: try again with the next beat
    });
  };
  setInterval(tick, 1000);
  setInterval(() => beat(false), BEAT_MS);
  document.addEventListener("visibilitychange", () => {
    tick();
    if (document.visibilityState === "hidden") beat(true);
  });

  // Remember the last heading scrolled past, so "continue learning" returns to it.
  const headings = article.querySelectorAll(".prose h2[id], .prose h3[id]");
  if ("IntersectionObserver" in window && headings.length) {
    const seen = new IntersectionObserver((entries) => {
      entries.forEach((entry) => { if (entry.isIntersecting) position = entry.target.id; });
    }, { rootMargin: "0px 0px -70% 0px" });
    headings.forEach((h) => seen.observe(h));
  }

  // Courses that complete lessons by reading to the end.
  const completeUrl = article.dataset.completeUrl;
  const end = document.getElementById("lesson-end");
  if (completeUrl && end && "IntersectionObserver" in window) {
    const watcher = new IntersectionObserver((entries) => {
      if (!entries.some((entry) => entry.isIntersecting)) return;
      watcher.disconnect();
      beat(false);
      post(completeUrl, {}, false).then((response) => {
        if (response.ok) end.querySelector("form")?.replaceWith(Object.assign(document.createElement("p"), {
          className: "done-note", textContent: end.dataset.doneText || "✓",
        }));
      }).catch(() => {});
    });
    watcher.observe(end);
  }
})();
