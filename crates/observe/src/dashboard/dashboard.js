// The dashboard page: charts arrive as SVG rendered by pipegen; this script only places them
// and fills in the figures of the last second. It talks to its own server and nothing else.
"use strict";

const na = "n/a";

function text(id, value) {
  document.getElementById(id).textContent = value;
}

function number(value, digits) {
  return value === null || value === undefined ? na : Number(value).toFixed(digits);
}

function bytes(value) {
  if (value === null || value === undefined) return na;
  return (value / (1024 * 1024)).toFixed(1) + " MiB";
}

function setState(state, label) {
  const element = document.getElementById("state");
  element.dataset.state = state;
  element.textContent = label;
}

function placeCharts(charts) {
  const main = document.getElementById("charts");
  for (const chart of charts) {
    let panel = document.getElementById("chart-" + chart.id);
    if (!panel) {
      panel = document.createElement("div");
      panel.className = "panel";
      panel.id = "chart-" + chart.id;
      main.appendChild(panel);
    }
    // The SVG is pipegen's own output, every text in it escaped on the server.
    panel.innerHTML = chart.svg;
  }
}

function showFrame(frame) {
  if (!frame) return;
  text("elapsed", (frame.t_s + 1) + " s / " + frame.planned_s + " s");
  text("phase", frame.phase);
  text("target", frame.target_rate === null ? "max" : frame.target_rate + "/s");
  text("achieved", frame.sent + "/s");
  text("sent", String(frame.sent_total));
  text("consumed", String(frame.consumed_total));
  text("e2e-p99", frame.latency_ms.end_to_end.p99 === null ? na : number(frame.latency_ms.end_to_end.p99, 1) + " ms");
  text("publish-p99", frame.latency_ms.publish.p99 === null ? na : number(frame.latency_ms.publish.p99, 2) + " ms");
  const errors = Object.values(frame.errors).reduce((a, b) => a + b, 0);
  text("errors", String(errors));
  text("cpu", frame.resources.cpu_percent === null ? na : number(frame.resources.cpu_percent, 0) + " %");
  text("memory", bytes(frame.resources.rss_bytes));
  showLookups(frame);
}

// The lookup joins' tables, one row each, since their jobs started. Each number cell says
// which value of the frame it shows.
function showLookups(frame) {
  const rows = [];
  frame.jobs.forEach((job, j) => {
    (job.lookups || []).forEach((lookup, l) => {
      const at = (field) => "/jobs/" + j + "/lookups/" + l + "/" + field;
      const ms = (value) => (value === null ? na : number(value, 2) + " ms");
      const count = (value) => (value === null ? na : String(value));
      rows.push([
        [job.name, null],
        [lookup.table, null],
        [String(lookup.lookups_total), at("lookups_total")],
        [count(lookup.cache_hits_total), at("cache_hits_total")],
        [count(lookup.cache_misses_total), at("cache_misses_total")],
        [ms(lookup.latency_ms.p50), at("latency_ms/p50")],
        [ms(lookup.latency_ms.p99), at("latency_ms/p99")],
        [ms(lookup.latency_ms.max), at("latency_ms/max")],
      ]);
    });
  });
  document.getElementById("lookups").hidden = rows.length === 0;
  const body = document.getElementById("lookup-rows");
  body.replaceChildren(
    ...rows.map((cells) => {
      const row = document.createElement("tr");
      for (const [value, path] of cells) {
        const cell = document.createElement("td");
        cell.textContent = value;
        if (path) cell.dataset.json = path;
        row.appendChild(cell);
      }
      return row;
    }),
  );
}

function showFinished(finished) {
  const failed = finished.status !== "succeeded";
  setState(failed ? "failed" : "finished", "run " + finished.status + (finished.error ? ": " + finished.error : ""));
}

async function start() {
  const response = await fetch("/api/frames");
  const snapshot = await response.json();
  document.title = snapshot.title;
  text("title", snapshot.title);
  placeCharts(snapshot.charts);
  showFrame(snapshot.frames[snapshot.frames.length - 1]);
  if (!snapshot.live) {
    setState("finished", "replay of a finished run");
    return;
  }
  if (snapshot.finished) {
    setState("finished", "run finished");
    return;
  }
  setState("live", "live");
  const events = new EventSource("/api/events");
  events.addEventListener("frame", (event) => {
    const update = JSON.parse(event.data);
    placeCharts(update.charts);
    showFrame(update.frame);
  });
  events.addEventListener("finished", (event) => {
    showFinished(JSON.parse(event.data));
    events.close();
  });
  events.onerror = () => {
    if (document.getElementById("state").dataset.state === "live") {
      setState("disconnected", "disconnected: the run has ended or pipegen stopped");
      events.close();
    }
  };
}

start().catch((error) => setState("failed", "cannot load the dashboard: " + error));
