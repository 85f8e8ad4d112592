// The dashboard: fetch the seven reports and the live figures from the API, draw them.
// A key (if the server wants one) is kept in sessionStorage and sent as X-API-Key.
"use strict";

(() => {
  const { REPORTS, cell, label } = window.crmReports;
  const { count } = window.crmFormat;
  const STATUS_EVERY_MS = 5000;
  const REPORTS_EVERY_MS = 60000;
  const KEY = "crm-api-key";
  let failing = null;  // "reports" or "status": what the error shown is about
  const charts = {};  // report name -> Chart (window.crmDashboard.charts, for tests)
  const $ = (id) => document.getElementById(id);

  Chart.defaults.animation = false;  // figures, not a show: draw at once
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;

  class Unauthorised extends Error {}

  async function get(path) {
    const key = sessionStorage.getItem(KEY);
    const response = await fetch(path, { headers: key ? { "X-API-Key": key } : {} });
    if (response.status === 401) throw new Unauthorised(path);
    if (!response.ok) throw new Error(`${path}: HTTP ${response.status}${await reason(response)}`);
    return response.json();
  }

  // FastAPI's 422 says why (e.g. an as-of day in the future): show it, not just the code
  async function reason(response) {
    try {
      const detail = (await response.json()).detail;
      return Array.isArray(detail) ? ` (${detail.map((d) => d.msg).join("; ")})` : "";
    } catch {
      return "";
    }
  }

  // The day the reports are read as of ("" = live): the page's own ?as_of=, so a link to a
  // past day can be shared; a past day's reports do not change, so they are not polled.
  const asOf = () => $("as-of-date").value;

  function setAsOf(day) {
    $("as-of-date").value = day;
    $("to-now").hidden = !day;
    document.body.classList.toggle("past", Boolean(day));
    const url = new URL(window.location.href);
    if (day) url.searchParams.set("as_of", day); else url.searchParams.delete("as_of");
    window.history.replaceState(null, "", url);
  }

  function showError(error) {
    if (error instanceof Unauthorised) {
      $("key-form").hidden = false;
      document.body.dataset.state = "needs-key";
      return;
    }
    $("error").textContent = `Could not load: ${error.message}`;
    $("error").hidden = false;
    document.body.dataset.state = "error";
  }

  function card(spec) {
    let section = document.getElementById(`report-${spec.name}`);
    if (section) return section;
    section = document.createElement("section");
    section.className = "card";
    section.id = `report-${spec.name}`;
    section.innerHTML = `<h2></h2><div class="chart"><canvas></canvas></div>
      <p class="empty" hidden>No rows yet.</p>
      <div class="table"><table><thead></thead><tbody></tbody></table></div>`;
    section.querySelector("h2").textContent = spec.title;
    section.querySelector("canvas").setAttribute("aria-label", spec.title);
    $("reports").append(section);
    return section;
  }

  function table(section, columns, rows) {
    const head = document.createElement("tr");
    for (const c of columns) {
      const th = document.createElement("th");
      th.textContent = label(c);
      head.append(th);
    }
    section.querySelector("thead").replaceChildren(head);
    section.querySelector("tbody").replaceChildren(...rows.map((row) => {
      const tr = document.createElement("tr");
      for (const c of columns) {
        const td = document.createElement("td");
        td.textContent = cell(c, row[c]);
        if (typeof row[c] !== "string" || /^-?\d/.test(row[c])) td.className = "n";
        tr.append(td);
      }
      return tr;
    }));
  }

  function draw(spec, report) {
    const section = card(spec);
    const rows = report.rows.map((r) => Object.fromEntries(report.columns.map((c, i) => [c, r[i]])));
    section.querySelector(".empty").hidden = rows.length > 0;
    table(section, report.columns, rows);
    const config = spec.chart(rows);
    charts[spec.name]?.destroy();
    charts[spec.name] = new Chart(section.querySelector("canvas"), config);
  }

  async function loadReports() {
    const day = asOf();
    const query = day ? `?as_of=${encodeURIComponent(day)}` : "";
    const reports = await Promise.all(REPORTS.map((s) => get(`/v1/reports/${s.name}${query}`)));
    REPORTS.forEach((spec, i) => draw(spec, reports[i]));
    $("as-of").textContent = day ? `reports as they stood at the end of ${day} (UTC)`
      : `reports as of ${new Date().toLocaleString("en-IN")}`;
  }

  async function loadStatus() {
    const s = await get("/v1/status");
    $("events_per_s").textContent = s.events_per_s === null ? "measuring…"
      : s.events_per_s.toLocaleString("en-IN", { maximumFractionDigits: 1 });
    for (const name of ["events", "core_lag", "projector_lag", "dead_letters"]) {
      $(name).textContent = count(s[name]);
    }
    $("dead_letters").classList.toggle("alarm", s.dead_letters > 0);
    $("projector_lag").classList.toggle("warn", s.projector_lag > 0);
  }

  async function load() {
    $("error").hidden = true;
    failing = null;
    document.body.dataset.state = "loading";
    try {
      await Promise.all([loadReports(), loadStatus()]);
      $("key-form").hidden = true;
      document.body.dataset.state = "ready";
    } catch (error) {
      failing = "reports";
      showError(error);
    }
  }

  // polls go on after a failed one (a restarted server, a slow query) and clear the
  // error once one of the same kind succeeds (a live figure does not clear a refused
  // report); they wait while the page asks for a key
  const poll = (f, kind) => () => {
    const state = document.body.dataset.state;
    if (document.visibilityState !== "visible" || !["ready", "error"].includes(state)) return;
    f().then(() => {
      if (failing !== null && failing !== kind) return;
      failing = null;
      $("error").hidden = true;
      document.body.dataset.state = "ready";
    }).catch((error) => {
      failing = failing || kind;
      showError(error);
    });
  };

  $("key-form").addEventListener("submit", (event) => {
    event.preventDefault();
    sessionStorage.setItem(KEY, $("key").value.trim());
    $("key").value = "";
    load();
  });
  $("refresh").addEventListener("click", load);
  $("as-of-date").addEventListener("change", () => {
    setAsOf($("as-of-date").value);
    load();
  });
  $("to-now").addEventListener("click", () => {
    setAsOf("");
    load();
  });
  $("as-of-date").max = new Date().toISOString().slice(0, 10);
  setAsOf(new URL(window.location.href).searchParams.get("as_of") || "");
  setInterval(poll(loadStatus, "status"), STATUS_EVERY_MS);
  setInterval(() => asOf() || poll(loadReports, "reports")(), REPORTS_EVERY_MS);
  window.crmDashboard = { charts, load };
  load();
})();
