"use strict";
// The I/O panel: both module lines (inputs as toggle buttons, outputs as lamps), the pulse input and
// the relays, fed by the "io" events of lcd.js's EventSource (/api/stream); pulse_output events flash a lamp.
const ioLog = [];
let ioState = null;

function ioText(id, text) { document.getElementById(id).textContent = text; }

function ioLineItem(line) {
  const li = document.createElement("li");
  li.id = `io-line-${line.line}`;
  li.dataset.role = line.role;
  li.dataset.direction = line.direction;
  const name = `I/O ${line.line}`;
  if (line.direction === "input") {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "io-toggle";
    button.id = `io-input-${line.line}`;
    button.setAttribute("aria-pressed", line.level ? "true" : "false");
    button.setAttribute("aria-label", `${name} ${line.function}: level ${line.level}`);
    button.textContent = line.level ? "high" : "low";
    button.onclick = () => ioWrite(`/api/io/${line.line}`, { level: line.level ? 0 : 1 });
    li.append(button);
  } else if (line.direction === "none") {
    li.setAttribute("aria-label", `${name} not used`);
  } else {
    const lamp = document.createElement("span");
    lamp.className = "lamp" + (line.level ? " on" : "");
    lamp.id = `io-lamp-${line.line}`;
    lamp.setAttribute("role", "img");
    const count = line.role === "pulse_output" ? `, ${line.pulses} pulses` : "";
    lamp.setAttribute("aria-label", `${name} ${line.function}: ${line.level ? "on" : "off"}${count}`);
    li.append(lamp);
  }
  const label = document.createElement("span");
  label.textContent = `${name} · ${line.function}` + (line.role === "pulse_output" ? ` (${line.pulses})` : "");
  li.append(label);
  return li;
}

function ioRender(s) {
  ioState = s;
  ioText("io-module", `${String(s.module.code).padStart(3, "0")} ${s.module.name}`);
  ioText("io-dd", `DD ${String(s.dd.code).padStart(2, "0")} ${s.dd.name} · tariff ${s.tariff}`);
  document.getElementById("io-lines").replaceChildren(...s.lines.map(ioLineItem));
  const pulse = document.getElementById("io-pulse-input");
  pulse.hidden = !s.pulse_input;
  if (s.pulse_input) ioText("io-pulse-count", `${s.pulse_input.count} (${s.pulse_input.value} ${s.pulse_input.value_unit})`);
  document.getElementById("io-relays").replaceChildren(...s.relays.map((r) => {
    const li = document.createElement("li");
    const lamp = document.createElement("span");
    lamp.className = "lamp relay" + (r.connected ? " on" : "");
    lamp.id = `io-relay-${r.relay}`;
    lamp.setAttribute("role", "img");
    lamp.setAttribute("aria-label", `relay ${r.relay}: ${r.state.replaceAll("_", " ")}`);
    li.append(lamp, `relay ${r.relay} · ${r.state.replaceAll("_", " ")} · mode ${r.mode}`);
    return li;
  }));
}

function ioFlash(line) {
  const lamp = document.getElementById(`io-lamp-${line}`);
  if (!lamp) return;
  lamp.classList.remove("pulse");
  void lamp.offsetWidth;
  lamp.classList.add("pulse");
}

function ioEvents(list) {
  for (const e of list) {
    if (e.kind === "pulse_output") ioFlash(e.line);
    const what = e.kind === "pulse_output" ? `I/O ${e.line} ${e.count} pulse(s)`
      : e.kind === "disconnect_control" ? `relay ${e.relay} ${e.trigger}`
      : e.kind === "tariff_changed" ? `tariff ${e.old} → ${e.new}`
      : `I/O ${e.line} ${e.kind.replace("_", " ")} ${e.level ?? e.active ?? ""}`;
    ioLog.unshift(`${e.time.slice(11, 19)} ${what}`);
  }
  ioLog.splice(12);
  document.getElementById("io-log").replaceChildren(...ioLog.map((t) => {
    const li = document.createElement("li");
    li.textContent = t;
    return li;
  }));
}

async function ioWrite(path, body) {
  const token = localStorage.getItem("k351c-token") || document.getElementById("token").value.trim();
  const r = await fetch(path, {
    method: "POST",
    headers: { Authorization: "Bearer " + token, "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  if (r.ok) { ioRender(await r.json()); status(""); }
  else if (r.status === 401) status("write token needed (see k351c serve output)");
  else {
    const detail = (await r.json()).detail;
    status(typeof detail === "string" ? detail : "error " + r.status);
  }
}
document.getElementById("io-pulse").onclick = () => ioWrite("/api/io/pulse", { count: 1 });

fetch("/api/io").then((r) => (r.ok ? r.json() : null)).then((s) => {
  if (s) ioRender(s); else document.getElementById("io-panel").hidden = true;
});
events.addEventListener("io", (e) => {
  const message = JSON.parse(e.data);
  ioRender(message.state);
  ioEvents(message.events);
});
