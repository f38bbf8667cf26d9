"use strict";
// Plots with the locally served plotly.js: load profile channels, phase voltages, and the event logs as tables.
const layout = (title, unit) => ({ title: { text: title }, margin: { t: 40, r: 20, b: 50, l: 60 },
  yaxis: { title: { text: unit } }, legend: { orientation: "h" }, paper_bgcolor: "#fff" });

async function loadProfile() {
  const d = await (await fetch("/api/loadprofile")).json();
  const times = d.rows.map((r) => r[0]);
  const traces = [];
  d.columns.forEach((c, i) => {
    if (i < 2) return;
    const unit = d.units[i] || "";
    traces.push({ type: "bar", name: `${c} [${unit}]`, x: times, y: d.rows.map((r) => r[i]) });
  });
  Plotly.react("loadprofile", traces, { ...layout(`${d.rows.length} entries, ${d.capture_period / 60} min`, "energy per interval"), barmode: "group" });
  document.getElementById("loadprofile").dataset.entries = d.rows.length;
}

async function quality() {
  const d = await (await fetch("/api/quality")).json();
  const times = d.rows.map((r) => r[0]);
  const traces = [1, 2, 3].map((i) => ({ type: "scatter", mode: "lines", name: d.columns[i], x: times, y: d.rows.map((r) => r[i]) }));
  Plotly.react("voltage", traces, layout("phase voltages (one sample per tick)", "V"));
  const rows = Object.entries(d.registers).map(([k, v]) => `<tr><td>${k}</td><td>${v}</td></tr>`).join("");
  document.getElementById("quality-registers").innerHTML = rows ? `<table class="events"><tr><th>OBIS</th><th>value</th></tr>${rows}</table>` : "";
}

async function events() {
  const d = await (await fetch("/api/events")).json();
  let html = "";
  for (const [name, log] of Object.entries(d)) {
    const head = log.columns.map((c) => `<th>${c}</th>`).join("");
    const body = log.rows.slice(-50).reverse().map((r) => "<tr>" + r.map((v) => `<td>${v}</td>`).join("") + "</tr>").join("");
    html += `<h3>${name} (${log.obis}, ${log.rows.length} entries)</h3><table class="events"><tr>${head}</tr>${body}</table>`;
  }
  document.getElementById("events").innerHTML = html;
}

function refresh() { loadProfile(); quality(); events(); }
refresh();
setInterval(refresh, 10000);
