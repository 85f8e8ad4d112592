// The seven reports: how each one's rows become a chart (Chart.js) and a table.
// Rows arrive as objects keyed by the seed query's column names.
"use strict";

(() => {
  const { inr, inrShort, count, percent } = window.crmFormat;
  const COLORS = ["#2f6db5", "#e08a2c", "#3a9a5b", "#c4453c", "#7d5ba6", "#5aa8b8", "#8c8c8c"];
  const MONEY = new Set(["total_amount", "avg_deal_size", "weighted_pipeline", "annual_quota",
    "ytd_revenue", "total_ltv", "forecasted_revenue", "actual_revenue", "variance",
    "actual_cost", "total_revenue", "cost_per_lead", "revenue_per_deal"]);
  const TEXT = new Set(["lead_source", "stage", "rep_code", "rep_name", "account_tier",
    "relationship_status", "health_category", "campaign_name", "campaign_type", "priority",
    "case_status", "forecast_year", "forecast_quarter"]);
  const HEALTH = ["Excellent", "Good", "Fair", "Poor"];
  const PRIORITIES = ["critical", "high", "medium", "low"];

  const label = (name) => name.replaceAll("_", " ").replace(" pct", " %");
  const words = (s) => String(s ?? "—").replaceAll("_", " ");
  const clip = (s, n) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
  const num = (v) => (v === null || v === undefined ? null : Number(v));
  const sum = (rows, key) => rows.reduce((total, r) => total + (num(r[key]) ?? 0), 0);

  function cell(name, value) {
    if (TEXT.has(name)) return words(value);
    if (MONEY.has(name)) return inr(value);
    if (name.endsWith("_pct") || name === "avg_probability") return percent(value);
    if (name.startsWith("avg_")) return value === null ? "—" : Number(value).toFixed(1);
    return count(value);
  }

  const bar = (name, data, i, extra = {}) => ({
    label: name, data, backgroundColor: COLORS[i % COLORS.length], ...extra });

  // y (or x) axis of amounts in lakh/crore; tooltips with the full grouped figure
  const moneyAxis = { ticks: { callback: (v) => inrShort(v) } };
  const moneyTips = { callbacks: { label: (c) => `${c.dataset.label}: ${inr(c.raw)}` } };
  const pctTips = { callbacks: { label: (c) => `${c.dataset.label}: ${percent(c.raw)}` } };

  function grouped(labels, datasets, options = {}) {
    return { type: "bar", data: { labels, datasets }, options };
  }

  const REPORTS = [
    { name: "lead-funnel", title: "Lead funnel by source (last 90 days)",
      chart: (rows) => grouped(rows.map((r) => words(r.lead_source)), [
        bar("total", rows.map((r) => num(r.total_leads)), 0),
        bar("qualified", rows.map((r) => num(r.qualified_leads)), 1),
        bar("converted", rows.map((r) => num(r.converted_leads)), 2)]) },
    { name: "pipeline", title: "Open pipeline by stage, with weighted value",
      chart: (rows) => grouped(rows.map((r) => words(r.stage)), [
        bar("total amount", rows.map((r) => num(r.total_amount)), 0),
        bar("weighted (amount × probability)", rows.map((r) => num(r.weighted_pipeline)), 2)],
        { scales: { y: moneyAxis }, plugins: { tooltip: moneyTips } }) },
    { name: "rep-performance", title: "Rep quota attainment (year to date)",
      chart: (rows) => {
        const reps = rows.filter((r) => r.quota_attainment_pct !== null);
        const values = reps.map((r) => num(r.quota_attainment_pct));
        return grouped(reps.map((r) => r.rep_name), [bar("attainment %", values, 0, {
          backgroundColor: values.map((v) => (v >= 100 ? COLORS[2] : v >= 70 ? COLORS[1] : COLORS[3])),
        })], { plugins: { legend: { display: false }, tooltip: pctTips },
          scales: { x: { ticks: { autoSkip: true, maxRotation: 60, font: { size: 10 } } },
            y: { ticks: { callback: (v) => `${v} %` } } } });
      } },
    { name: "account-health", title: "Active accounts by tier and health",
      chart: (rows) => {
        const tiers = [...new Set(rows.map((r) => r.account_tier))];
        const datasets = HEALTH.map((h, i) => bar(h, tiers.map((t) => sum(
          rows.filter((r) => r.account_tier === t && r.health_category === h), "account_count")),
          [2, 0, 1, 3][i]));
        return grouped(tiers.map(words), datasets,
          { scales: { x: { stacked: true }, y: { stacked: true } } });
      } },
    { name: "forecast-accuracy", title: "Forecast (commit) vs actual by quarter",
      chart: (rows) => {
        const quarters = [...rows].reverse();  // the query lists the newest first
        return grouped(quarters.map((r) => `FY${r.forecast_year} Q${r.forecast_quarter}`), [
          bar("forecast (commit)", quarters.map((r) => num(r.forecasted_revenue)), 0),
          bar("actual", quarters.map((r) => num(r.actual_revenue)), 2)],
          { scales: { y: moneyAxis }, plugins: { tooltip: moneyTips } });
      } },
    { name: "campaign-roi", title: "Completed campaigns: return on investment (best 12)",
      chart: (rows) => {
        // the query lists the best first; all of them are in the table
        const shown = rows.filter((r) => r.roi_pct !== null).slice(0, 12);
        return grouped(shown.map((r) => clip(r.campaign_name, 34)), [bar("ROI %",
          shown.map((r) => num(r.roi_pct)), 4)], { indexAxis: "y",
          plugins: { legend: { display: false }, tooltip: { callbacks: {
            ...pctTips.callbacks, title: (items) => shown[items[0].dataIndex].campaign_name } } },
          scales: { x: { ticks: { callback: (v) => `${v} %` } },
            y: { ticks: { font: { size: 10 } } } } });
      } },
    { name: "case-sla", title: "Cases by priority: SLA met or violated (last 30 days)",
      chart: (rows) => {
        const present = PRIORITIES.filter((p) => rows.some((r) => r.priority === p));
        const of = (p) => rows.filter((r) => r.priority === p);
        const violated = present.map((p) => sum(of(p), "sla_violations"));
        const met = present.map((p, i) => sum(of(p), "case_count") - violated[i]);
        return grouped(present, [bar("within SLA", met, 2), bar("SLA violated", violated, 3)],
          { scales: { x: { stacked: true }, y: { stacked: true } } });
      } },
  ];

  window.crmReports = { REPORTS, cell, label };
})();
