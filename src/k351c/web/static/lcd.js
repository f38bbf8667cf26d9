"use strict";
// Live LCD: server-sent events from /api/stream, the push button, the LED flashing at the meter constant.
const params = new URLSearchParams(location.search);
if (params.get("token")) localStorage.setItem("k351c-token", params.get("token"));
const tokenInput = document.getElementById("token");
tokenInput.value = localStorage.getItem("k351c-token") || "";
document.getElementById("save-token").onclick = () => localStorage.setItem("k351c-token", tokenInput.value.trim());

function field(id, text) {
  const el = document.getElementById(id);
  el.textContent = text;
  el.setAttribute("aria-label", text);
}
function lit(id, on) { document.getElementById(id).classList.toggle("on", !!on); }

function render(s) {
  field("lcd-value", s.value);
  field("lcd-unit", s.unit);
  field("lcd-obis", s.obis);
  field("lcd-text", s.text);
  field("lcd-mode", s.mode === "auto" ? "" : s.mode.toUpperCase());
  document.getElementById("lcd").dataset.reading = s.reading;
  document.getElementById("lcd").dataset.mode = s.mode;
  document.getElementById("serial").textContent = s.serial ? "· " + s.serial : "";
  for (let i = 0; i < 3; i++) {
    const dir = s.directions[i] === "+" ? "→" : s.directions[i] === "-" ? "←" : s.directions[i] === "±" ? "↔" : "";
    lit(`phase-${i + 1}-label`, s.phases[i]);
    lit(`phase-${i + 1}-dir`, dir !== "");
    document.getElementById(`phase-${i + 1}-dir`).textContent = dir;
    const words = `L${i + 1} ${s.phases[i] ? "voltage present" : "no voltage"}` +
      (dir ? (s.directions[i] === "-" ? ", export" : ", import") : "") +
      ((s.overcurrent || []).includes(i + 1) ? ", overcurrent" : "");
    document.getElementById(`phase-${i + 1}`).setAttribute("aria-label", words);
  }
  for (let t = 1; t <= 4; t++) lit(`tariff-${t}`, s.tariffs.includes(t));
  document.getElementById("tariffs").setAttribute("aria-label", s.tariffs.length ? "tariff " + s.tariffs.join(" ") : "no tariff");
  for (let q = 1; q <= 4; q++) lit(`quadrant-${q}`, s.quadrants.includes(q));
  document.getElementById("quadrants").setAttribute("aria-label", s.quadrants.length ? "quadrant " + s.quadrants.join(" ") : "quadrant none");
  lit("error-triangle", s.error); lit("error-mark", s.error);
  document.getElementById("error").setAttribute("aria-label", s.error ? "error: " + (s.error_causes.join(", ") || "all segments") : "no error");
  led(s);
}

function led(s) {
  const el = document.getElementById("led");
  const hz = s.led_hz * (s.rate || 1);
  el.classList.remove("flash", "steady");
  if (s.test || (s.led_on && hz === 0)) {
    el.classList.add("steady");
    el.setAttribute("aria-label", "LED on");
  } else if (hz > 0) {
    el.style.animationDuration = Math.max(1 / hz, 0.05) + "s";
    el.classList.add("flash");
    el.setAttribute("aria-label", `LED flashing ${hz.toFixed(2)} Hz`);
  } else {
    el.setAttribute("aria-label", "LED off");
  }
}

function status(text) { document.getElementById("status").textContent = text; }

async function write(path) {
  const token = localStorage.getItem("k351c-token") || tokenInput.value.trim();
  const r = await fetch(path, { method: "POST", headers: { Authorization: "Bearer " + token } });
  if (r.ok) { render(await r.json()); status(""); } else { status(r.status === 401 ? "write token needed (see k351c serve output)" : "error " + r.status); }
}
document.getElementById("push-button").onclick = () => write("/api/button");
document.getElementById("test-button").onclick = () => write("/api/display-test");
document.addEventListener("keydown", (e) => { if (e.key === " " && e.target === document.body) { e.preventDefault(); write("/api/button"); } });

fetch("/api/lcd").then((r) => r.json()).then(render);
const events = new EventSource("/api/stream");
events.addEventListener("lcd", (e) => render(JSON.parse(e.data)));
events.onerror = () => status("reconnecting…");
events.onopen = () => status("");
