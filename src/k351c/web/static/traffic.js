// Live traffic view: polls /api/traffic with the filters and appends one row per frame.
(function () {
  "use strict";
  const form = document.getElementById("traffic-filter");
  const rows = document.getElementById("traffic-rows");
  const state = document.getElementById("traffic-state");
  const download = document.getElementById("traffic-download");
  const MAX_ROWS = 1000;
  let last = 0;

  function filters() {
    const params = new URLSearchParams();
    for (const name of ["connection", "listener", "service"]) {
      const value = form.elements[name].value.trim();
      if (value) params.set(name, value);
    }
    return params;
  }

  function apduOf(decoded) {
    let apdu = decoded && decoded.apdu;
    while (apdu && apdu.deciphered) apdu = apdu.deciphered;
    return apdu || {};
  }

  function cell(text) {
    const td = document.createElement("td");
    td.textContent = text === undefined || text === null ? "" : String(text);
    return td;
  }

  function row(record) {
    const decoded = record.decoded || {};
    const apdu = apduOf(decoded);
    const target = apdu.attribute || apdu.method || {};
    const frame = decoded.hdlc ? "HDLC " + decoded.hdlc.type : (decoded.message || decoded.type || decoded.frame || "");
    const detail = apdu.refusal ? "refused: " + apdu.refusal
      : (record.faults ? "fault: " + record.faults.join(", ") : (apdu.result !== undefined ? JSON.stringify(apdu.result) : ""));
    const tr = document.createElement("tr");
    tr.className = record.direction;
    for (const text of [record.seq, record.time, record.listener, record.connection, record.direction, frame,
      (apdu.service || "") + (apdu.invoke_id !== undefined ? " #" + apdu.invoke_id : ""),
      target.obis ? target.class_id + "/" + target.obis + "/" + (target.attribute || target.method) : "",
      String(detail).slice(0, 120)]) {
      tr.appendChild(cell(text));
    }
    tr.title = JSON.stringify(decoded, null, 1);
    return tr;
  }

  async function poll() {
    if (!form.elements.paused.checked) {
      const params = filters();
      params.set("after", last);
      try {
        const response = await fetch("/api/traffic?" + params.toString());
        const data = await response.json();
        state.textContent = data.tracing ? "Tracing: " + data.last + " frames so far." : "Not tracing: start the meter with --trace FILE.";
        for (const record of data.records) rows.appendChild(row(record));
        while (rows.children.length > MAX_ROWS) rows.removeChild(rows.firstChild);
        last = data.last;
      } catch (error) {
        state.textContent = "Connection to the meter lost: " + error;
      }
    }
    setTimeout(poll, 1000);
  }

  form.addEventListener("input", function () {
    last = 0;
    rows.textContent = "";
    download.href = "/api/traffic.jsonl?" + filters().toString();
  });
  poll();
})();
