// Authoring pages: live preview, image upload into the text, question fields by type.
// Progressive enhancement only: without this file every form still works (the preview
// button posts the form, an upload shows the Markdown line to paste).
(function () {
  "use strict";

  function csrfToken(form) {
    const input = form.querySelector('input[name="csrf_token"]');
    return input ? input.value : "";
  }

  function insertAtCursor(textarea, text) {
    const start = textarea.selectionStart ?? textarea.value.length;
    const end = textarea.selectionEnd ?? start;
    textarea.value = textarea.value.slice(0, start) + text + textarea.value.slice(end);
    textarea.selectionStart = textarea.selectionEnd = start + text.length;
    textarea.focus();
  }

  // -- live preview: rendered and sanitised on the server, debounced ----------------------
  const area = document.querySelector("textarea[data-preview-url]");
  if (area && window.fetch) {
    const form = area.form;
    const target = document.getElementById(area.dataset.previewTarget);
    const kind = form.querySelector('[name="kind"]');
    let timer = null;
    let latest = 0;
    const refresh = () => {
      const body = new FormData();
      body.append("csrf_token", csrfToken(form));
      body.append("course", area.dataset.course);
      if (area.dataset.lesson) body.append("lesson_id", area.dataset.lesson);
      if (kind) body.append("kind", kind.value);
      body.append("body_markdown", area.value);
      const mine = ++latest;
      target.setAttribute("aria-busy", "true");
      fetch(area.dataset.previewUrl, { method: "POST", body, credentials: "same-origin" })
        .then((r) => (r.ok ? r.text() : Promise.reject(r.status)))
        .then((html) => {
          if (mine !== latest) return; // an older answer arriving late
          target.innerHTML = html; // sanitised by the server (nh3 allow-list)
          target.dataset.state = "fresh";
        })
        .catch(() => { target.dataset.state = "error"; })
        .finally(() => { if (mine === latest) target.removeAttribute("aria-busy"); });
    };
    const schedule = () => {
      clearTimeout(timer);
      timer = setTimeout(refresh, 400);
    };
    area.addEventListener("input", schedule);
    if (kind) kind.addEventListener("change", schedule);
    refresh();

    // Warn before leaving with unsaved text.
    let dirty = false;
    form.addEventListener("input", () => { dirty = true; });
    form.addEventListener("submit", () => { dirty = false; });
    window.addEventListener("beforeunload", (event) => {
      if (dirty) {
        event.preventDefault();
        event.returnValue = "";
      }
    });
  }

  // -- image upload: store on the server, insert the Markdown line at the cursor ----------
  document.querySelectorAll("form[data-upload-for]").forEach((form) => {
    form.addEventListener("submit", (event) => {
      const textarea = document.getElementById(form.dataset.uploadFor);
      if (!textarea || !window.fetch) return;
      event.preventDefault();
      const status = form.querySelector(".upload-status");
      status.textContent = form.dataset.busy || "";
      fetch(form.action, {
        method: "POST", body: new FormData(form), credentials: "same-origin",
        headers: { Accept: "application/json" },
      })
        .then((r) => r.json().then((data) => ({ ok: r.ok, data })))
        .then(({ ok, data }) => {
          if (!ok) {
            status.textContent = data.error || form.dataset.failed;
            return;
          }
          insertAtCursor(textarea, "\n" + data.markdown + "\n");
          textarea.dispatchEvent(new Event("input", { bubbles: true }));
          status.textContent = form.dataset.done || "";
          form.reset();
        })
        .catch(() => { status.textContent = form.dataset.failed || ""; });
    });
  });

  // -- question and survey item forms: show the fields of the chosen type -----------------
  document.querySelectorAll("form[data-question-form], form[data-survey-item-form]")
    .forEach((form) => {
      const type = form.querySelector('[name="qtype"], [name="itype"]');
      const apply = () => {
        form.querySelectorAll("[data-for-types]").forEach((el) => {
          el.hidden = !el.dataset.forTypes.split(" ").includes(type.value);
        });
      };
      type.addEventListener("change", apply);
      apply();
    });

  // -- outline: open the folded list that holds the item the address points to ----------
  if (location.hash) {
    const el = document.getElementById(decodeURIComponent(location.hash.slice(1)));
    const folded = el && el.closest("details");
    if (folded) folded.open = true;
  }
})();
