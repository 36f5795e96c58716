// Audita: small helpers shared by every page (no inline scripts: the CSP forbids them).
"use strict";

window.Audita = window.Audita || {};

Audita.csrf = function () {
  return document.body.getAttribute("data-csrf") || "";
};

// Poll a background job and show its progress in the element's <progress> and .job-state.
Audita.watchJob = function (element, jobId, onDone) {
  const bar = element.querySelector("progress");
  const label = element.querySelector(".job-state");
  function tick() {
    fetch("/api/jobs/" + encodeURIComponent(jobId), {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (job) {
        if (bar) { bar.value = job.progress; }
        if (label) { label.textContent = job.state + " " + (job.label || "") + (job.error ? ": " + job.error : ""); }
        element.setAttribute("data-state", job.state);
        if (job.state === "done" || job.state === "failed") {
          if (onDone) { onDone(job); }
          return;
        }
        window.setTimeout(tick, 700);
      })
      .catch(function () { window.setTimeout(tick, 3000); });
  }
  tick();
};

document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("[data-job]").forEach(function (element) {
    const state = element.querySelector(".job-state");
    if (state && /^(done|failed)/.test(state.textContent.trim())) { return; }
    Audita.watchJob(element, element.getAttribute("data-job"), function (job) {
      if (element.getAttribute("data-reload") === "1" && job.state === "done") { window.location.reload(); }
    });
  });
});
