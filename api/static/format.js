// Number formats of the dashboard: INR with Indian digit grouping (lakh, crore).
// The API sends decimals as strings ("12345678.50"); they are grouped from their digits,
// so what is shown is exactly what the read tables hold (rounded to whole rupees).
"use strict";

const LAKH = 1e5;
const CRORE = 1e7;

// "12345678" -> "1,23,45,678": the last three digits, then groups of two.
function groupIndian(digits) {
  const negative = digits.startsWith("-");
  let s = negative ? digits.slice(1) : digits;
  if (s.length > 3) {
    const head = s.slice(0, -3).replace(/\B(?=(\d{2})+(?!\d))/g, ",");
    s = `${head},${s.slice(-3)}`;
  }
  return (negative ? "-" : "") + s;
}

// A decimal string (or number) rounded half away from zero to an integer string.
function wholeDigits(value) {
  const text = String(value).trim();
  const match = /^(-?)(\d+)(?:\.(\d*))?$/.exec(text);
  if (!match) return String(Math.round(Number(value)));
  const [, sign, whole, fraction = ""] = match;
  let digits = whole;
  if (fraction !== "" && fraction[0] >= "5") digits = (BigInt(whole) + 1n).toString();
  return digits === "0" ? "0" : sign + digits.replace(/^0+(?=\d)/, "");
}

// Full amount: "₹1,23,45,678" (negative: "-₹12,000").
function inr(value) {
  if (value === null || value === undefined || value === "") return "—";
  const digits = wholeDigits(value);
  return digits.startsWith("-") ? `-₹${groupIndian(digits.slice(1))}` : `₹${groupIndian(digits)}`;
}

// Short amount for axes and tiles: "₹12.3 cr", "₹4.5 lakh", "₹45,000".
function inrShort(value) {
  if (value === null || value === undefined || value === "") return "—";
  const n = Number(value);
  const sign = n < 0 ? "-" : "";
  const a = Math.abs(n);
  // 99,99,999 is "1 cr", not "100 lakh": decide on the rounded figure
  if (a >= CRORE || Math.round((a / LAKH) * 10) >= 1000) return `${sign}₹${trim(a / CRORE)} cr`;
  if (a >= LAKH) return `${sign}₹${trim(a / LAKH)} lakh`;
  return inr(value);
}

function trim(x) {
  return x >= 100 ? groupIndian(String(Math.round(x))) : x.toFixed(1).replace(/\.0$/, "");
}

// Counts: "1,23,456".
function count(value) {
  if (value === null || value === undefined) return "—";
  return groupIndian(wholeDigits(value));
}

function percent(value) {
  if (value === null || value === undefined) return "—";
  return `${Number(value).toFixed(1)} %`;
}

window.crmFormat = { groupIndian, inr, inrShort, count, percent };
