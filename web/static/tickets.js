// Event tickets in the Mini App: the member's tickets (a QR code of a signed token, and the
// short code), and for door staff the event to check in for, Telegram's QR scanner
// (showScanQrPopup) and a field for a typed code. Every text comes from the server and is
// placed with textContent; the QR code is an SVG data: URL made by the server.
"use strict";

const $ = (id) => document.getElementById(id);
const telegram = () => (window.Telegram && window.Telegram.WebApp) || null;

function initData() {
  const app = telegram();
  return (app && app.initData) || new URLSearchParams(location.hash.slice(1)).get("tgWebAppData") || "";
}

async function call(path, body) {
  const answer = await fetch(path, {
    method: "POST",
    headers: { "Authorization": "tma " + initData(), "Content-Type": "application/json" },
    body: JSON.stringify(body || {}),
  });
  return answer.json();
}

function label(labels) {
  for (const node of document.querySelectorAll("[data-label]")) {
    const text = labels[node.dataset.label];
    if (text) node.textContent = text;
  }
}

function showTickets(tickets, labels) {
  const list = $("tickets");
  list.replaceChildren();
  $("none").hidden = tickets.length > 0;
  $("none").textContent = labels.none || "";
  for (const ticket of tickets) {
    const item = document.createElement("li");
    item.className = "ticket";
    item.dataset.event = String(ticket.event);
    const title = document.createElement("strong");
    title.textContent = ticket.title;
    const when = document.createElement("p");
    when.className = "hint";
    when.textContent = [ticket.when, ticket.place].filter(Boolean).join(" · ");
    const qr = document.createElement("img");
    qr.className = "qr";
    qr.alt = ticket.code;
    qr.src = ticket.qr;
    qr.width = 220;
    qr.height = 220;
    const code = document.createElement("p");
    code.className = "code";
    code.textContent = ticket.code;
    item.append(title, when, qr, code);
    list.append(item);
  }
}

async function checkIn(scanned) {
  const event = Number($("door-event").value);
  const answer = await call("/app/api/door", { event, scanned });
  $("door-said").textContent = answer.text || answer.error || "";
  $("door-said").className = answer.ok ? "ok" : "problem";
  const app = telegram();
  if (app && app.HapticFeedback) app.HapticFeedback.notificationOccurred(answer.ok ? "success" : "error");
}

// showScanQrPopup is Bot API 6.4+: an older client's telegram-web-app.js still defines it, and
// throws WebAppMethodUnsupported when called, so the version is what tells.
function canScan() {
  const app = telegram();
  return Boolean(app && typeof app.showScanQrPopup === "function"
    && typeof app.isVersionAtLeast === "function" && app.isVersionAtLeast("6.4"));
}

function scan(labels) {
  const app = telegram();
  if (!canScan()) return;
  app.showScanQrPopup({ text: labels.scan_text || "" }, (text) => {
    checkIn(String(text || ""));
    return true; // closes the scanner: one ticket a scan
  });
}

async function start() {
  const app = telegram();
  if (app && typeof app.ready === "function") app.ready();
  const answer = await call("/app/api/tickets");
  if (!answer.ok) {
    $("problem").hidden = false;
    $("problem").textContent = answer.error || "";
    return;
  }
  const labels = answer.labels || {};
  label(labels);
  showTickets(answer.tickets || [], labels);
  if ((answer.doors || []).length) {
    $("door").hidden = false;
    const select = $("door-event");
    for (const door of answer.doors) {
      const option = document.createElement("option");
      option.value = String(door.id);
      option.textContent = door.title;
      select.append(option);
    }
    $("scan").hidden = !canScan(); // the typed code is the way then
    $("scan").addEventListener("click", () => scan(labels));
    $("check").addEventListener("click", () => checkIn($("code").value.trim()));
  }
}

start();
