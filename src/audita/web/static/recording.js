// Recording page: waveform from server-computed peaks, playback position, words highlighted in
// step with playback, click a word (or the waveform) to seek.
"use strict";

document.addEventListener("DOMContentLoaded", function () {
  const player = document.getElementById("player");
  const audio = document.getElementById("audio");
  const canvas = document.getElementById("waveform");
  if (!player || !audio) { return; }
  const words = Array.prototype.slice.call(document.querySelectorAll(".transcript .w"));
  const rows = Array.prototype.slice.call(document.querySelectorAll(".transcript .tx[data-start]"));
  const spans = words.map(function (w) {
    return {el: w, start: parseFloat(w.getAttribute("data-start")), end: parseFloat(w.getAttribute("data-end"))};
  });
  let peaks = null;
  let duration = 0;
  let current = null;
  let currentRow = null;

  function draw() {
    if (!canvas) { return; }
    const ctx = canvas.getContext("2d");
    const w = canvas.width, h = canvas.height, mid = h / 2;
    ctx.clearRect(0, 0, w, h);
    ctx.fillStyle = "#f4f5f7";
    ctx.fillRect(0, 0, w, h);
    const total = duration || audio.duration || 0;
    if (total > 0) {  // transmissions as shaded bands
      ctx.fillStyle = "rgba(60, 110, 180, 0.10)";
      rows.forEach(function (row) {
        const a = parseFloat(row.getAttribute("data-start")) / total * w;
        const b = parseFloat(row.getAttribute("data-end")) / total * w;
        ctx.fillRect(a, 0, Math.max(1, b - a), h);
      });
    }
    if (peaks && peaks.length) {
      const played = total > 0 ? audio.currentTime / total * w : 0;
      for (let x = 0; x < w; x++) {
        const p = peaks[Math.floor(x / w * peaks.length)];
        ctx.fillStyle = x < played ? "#2c5aa0" : "#8a97a8";
        const top = mid - Math.max(0.5, p[1] * mid), bottom = mid - p[0] * mid;
        ctx.fillRect(x, top, 1, Math.max(1, bottom - top));
      }
    }
    if (total > 0) {
      const x = audio.currentTime / total * w;
      ctx.fillStyle = "#d0312d";
      ctx.fillRect(x, 0, 2, h);
    }
  }

  function seek(seconds, play) {
    if (!isFinite(seconds)) { return; }
    audio.currentTime = seconds;
    highlight();
    if (play) {
      const started = audio.play();
      if (started && started.catch) { started.catch(function () {}); }
    }
  }

  function highlight() {
    const t = audio.currentTime;
    let found = null;
    for (let i = 0; i < spans.length; i++) {
      if (t >= spans[i].start && t < spans[i].end) { found = spans[i].el; break; }
    }
    if (found !== current) {
      if (current) { current.classList.remove("playing"); }
      if (found) { found.classList.add("playing"); }
      current = found;
    }
    let row = null;
    for (let i = 0; i < rows.length; i++) {
      const a = parseFloat(rows[i].getAttribute("data-start")), b = parseFloat(rows[i].getAttribute("data-end"));
      if (t >= a && t < b) { row = rows[i]; break; }
    }
    if (row !== currentRow) {
      if (currentRow) { currentRow.classList.remove("active"); }
      if (row) { row.classList.add("active"); }
      currentRow = row;
    }
    draw();
  }

  spans.forEach(function (s) {
    s.el.addEventListener("click", function () { seek(s.start, true); });
  });
  document.querySelectorAll("[data-seek]").forEach(function (link) {
    link.addEventListener("click", function (event) {
      event.preventDefault();
      seek(parseFloat(link.getAttribute("data-seek")), true);
    });
  });
  if (canvas) {
    canvas.addEventListener("click", function (event) {
      const total = duration || audio.duration || 0;
      const box = canvas.getBoundingClientRect();
      if (total > 0) { seek((event.clientX - box.left) / box.width * total, false); }
    });
  }
  audio.addEventListener("timeupdate", highlight);
  audio.addEventListener("seeked", highlight);
  audio.addEventListener("loadedmetadata", draw);
  document.addEventListener("keydown", function (event) {
    const tag = (event.target && event.target.tagName) || "";
    if (event.key === " " && tag !== "INPUT" && tag !== "TEXTAREA" && tag !== "BUTTON" && tag !== "AUDIO") {
      event.preventDefault();
      if (audio.paused) { audio.play(); } else { audio.pause(); }
    }
  });

  // A link such as /items/ID#t=12.34 (search hits) opens the recording at that moment.
  function seekToHash() {
    const wanted = /^#t=(\d+(?:\.\d+)?)$/.exec(window.location.hash);
    if (!wanted) { return; }
    const at = parseFloat(wanted[1]);
    if (audio.readyState >= 1) {
      seek(at, false);
    } else {
      audio.addEventListener("loadedmetadata", function () { seek(at, false); }, {once: true});
    }
  }
  window.addEventListener("hashchange", seekToHash);
  seekToHash();

  fetch(player.getAttribute("data-peaks"), {credentials: "same-origin"})
    .then(function (r) { return r.ok ? r.json() : null; })
    .then(function (data) {
      if (data) { peaks = data.peaks; duration = data.duration; }
      player.setAttribute("data-peaks-loaded", peaks ? String(peaks.length) : "0");
      draw();
    });
  draw();
});
