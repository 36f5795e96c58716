// Upload page: drag and drop (or choose) files; each goes up as its own request with a progress
// bar, then its background processing is followed with a second bar.
"use strict";

document.addEventListener("DOMContentLoaded", function () {
  const zone = document.getElementById("dropzone");
  const input = document.getElementById("file-input");
  const form = document.getElementById("upload-form");
  const list = document.getElementById("uploads");
  if (!zone || !list) { return; }
  const limit = parseInt(zone.getAttribute("data-limit"), 10);
  const processBox = document.getElementById("process-box");

  function row(name) {
    const li = document.createElement("li");
    const title = document.createElement("span");
    title.className = "job-title";
    title.textContent = name;
    const bar = document.createElement("progress");
    bar.max = 1;
    bar.value = 0;
    const state = document.createElement("span");
    state.className = "job-state";
    state.textContent = "uploading";
    li.appendChild(title);
    li.appendChild(document.createTextNode(" "));
    li.appendChild(bar);
    li.appendChild(document.createTextNode(" "));
    li.appendChild(state);
    list.appendChild(li);
    return li;
  }

  function send(file) {
    const li = row(file.name);
    const bar = li.querySelector("progress");
    const state = li.querySelector(".job-state");
    li.setAttribute("data-upload", file.name);
    if (file.size > limit) {
      state.textContent = "refused: larger than the upload limit";
      li.setAttribute("data-state", "refused");
      return;
    }
    const xhr = new XMLHttpRequest();
    xhr.open("POST", zone.getAttribute("data-url"));
    xhr.setRequestHeader("X-CSRF-Token", Audita.csrf());
    xhr.setRequestHeader("X-Filename", encodeURIComponent(file.name));
    xhr.setRequestHeader("X-Process", processBox && processBox.checked ? "1" : "0");
    xhr.setRequestHeader("Accept", "application/json");
    xhr.setRequestHeader("Content-Type", "application/octet-stream");
    xhr.upload.addEventListener("progress", function (event) {
      if (event.lengthComputable) { bar.value = event.loaded / event.total; }
    });
    xhr.addEventListener("load", function () {
      let reply = null;
      try { reply = JSON.parse(xhr.responseText); } catch (e) { reply = null; }
      if (xhr.status !== 200 || !reply) {
        state.textContent = "failed: " + ((reply && reply.error) || ("HTTP " + xhr.status));
        li.setAttribute("data-state", "failed");
        return;
      }
      bar.value = 1;
      state.textContent = reply.outcomes.map(function (o) {
        return o.status + (o.message ? " (" + o.message + ")" : "");
      }).join("; ");
      li.setAttribute("data-state", "uploaded");
      reply.jobs.forEach(function (job) {
        const sub = document.createElement("div");
        sub.setAttribute("data-job", job.id);
        const pbar = document.createElement("progress");
        pbar.max = 1;
        pbar.value = 0;
        const pstate = document.createElement("span");
        pstate.className = "job-state";
        pstate.textContent = "processing queued";
        sub.appendChild(document.createTextNode("processing "));
        sub.appendChild(pbar);
        sub.appendChild(document.createTextNode(" "));
        sub.appendChild(pstate);
        li.appendChild(sub);
        Audita.watchJob(sub, job.id, function (done) {
          if (done.state === "done" && done.item_id) {
            const link = document.createElement("a");
            link.href = "/items/" + done.item_id;
            link.textContent = " open";
            sub.appendChild(link);
          }
        });
      });
    });
    xhr.addEventListener("error", function () {
      state.textContent = "failed: connection lost";
      li.setAttribute("data-state", "failed");
    });
    xhr.send(file);
  }

  function sendAll(files) {
    for (let i = 0; i < files.length; i++) { send(files[i]); }
  }

  ["dragenter", "dragover"].forEach(function (name) {
    zone.addEventListener(name, function (event) { event.preventDefault(); zone.classList.add("over"); });
  });
  ["dragleave", "drop"].forEach(function (name) {
    zone.addEventListener(name, function () { zone.classList.remove("over"); });
  });
  zone.addEventListener("drop", function (event) {
    event.preventDefault();
    if (event.dataTransfer && event.dataTransfer.files) { sendAll(event.dataTransfer.files); }
  });
  if (form && input) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      sendAll(input.files);
      input.value = "";
    });
  }
});
