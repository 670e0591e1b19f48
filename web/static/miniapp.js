// The Mini App: asks the server with Telegram's signed initData and shows the member's card.
// initData comes from Telegram.WebApp, or from the launch address (#tgWebAppData=…), which
// is where Telegram puts it for any page it opens as a Mini App.
"use strict";

const root = document.getElementById("app");
const $ = (id) => document.getElementById(id);

function initData() {
  const app = window.Telegram && window.Telegram.WebApp;
  if (app && app.initData) return app.initData;
  return new URLSearchParams(location.hash.slice(1)).get("tgWebAppData") || "";
}

async function call(path, body) {
  const response = await fetch(path, {
    method: "POST",
    headers: { "Authorization": "tma " + initData(), "Content-Type": "application/json" },
    body: JSON.stringify(body || {}),
  });
  const data = await response.json();
  if (response.status === 401) throw new Error(root.dataset.failed);
  return data;
}

function item(text, className) {
  const li = document.createElement("li");
  li.textContent = text;
  if (className) li.className = className;
  return li;
}

let current = null;

function show(card) {
  const select = $("group");
  select.replaceChildren(...card.groups.map((group) => {
    const option = new Option(group.title, group.id);
    option.selected = card.group && group.id === card.group.id;
    return option;
  }));
  select.hidden = card.groups.length < 2;
  if (!card.group) { $("balance").textContent = "—"; $("problem").hidden = false; $("problem").textContent = card.empty; return; }
  current = card.group.id;
  $("balance").textContent = String(card.balance);
  $("tier").textContent = card.tier || "";
  $("progress").value = card.progress;
  $("to-next").textContent = card.next_tier
    ? root.dataset.toNext.replace("{n}", card.to_next).replace("{tier}", card.next_tier)
    : root.dataset.top;
  $("streak").textContent = "🔥 " + card.streak;
  $("calendar").replaceChildren(...card.calendar.map((day) => {
    const cell = document.createElement("span");
    cell.textContent = day.day;
    cell.className = day.signed ? "day signed" : "day";
    return cell;
  }));
  $("rewards").replaceChildren(...(card.rewards.length ? card.rewards.map((reward) => {
    const li = item(`${reward.icon} ${reward.name} · ${reward.price} ${root.dataset.points}`);
    const button = document.createElement("button");
    const soldOut = reward.left !== null && reward.left <= 0;
    button.textContent = soldOut ? root.dataset.soldOut : root.dataset.redeem;
    button.disabled = soldOut;
    button.dataset.reward = reward.id;
    button.addEventListener("click", () => redeem(reward.id, button));
    li.append(" ", button);
    return li;
  }) : [item(root.dataset.none, "hint")]));
  $("coupons").replaceChildren(...(card.coupons.length ? card.coupons.map((coupon) => {
    const li = item(`${coupon.name} · ${coupon.status}${coupon.expires ? " · " + coupon.expires : ""}`);
    if (coupon.code) { const code = document.createElement("code"); code.textContent = coupon.code; li.append(" ", code); }
    return li;
  }) : [item(root.dataset.none, "hint")]));
}

async function load(group) {
  try {
    show(await call("/app/api/me", group ? { group } : {}));
  } catch (error) {
    $("problem").hidden = false;
    $("problem").textContent = error.message;
  }
}

async function redeem(reward, button) {
  button.disabled = true;
  // One key per press: a retried request redeems once.
  const key = crypto.getRandomValues(new Uint32Array(4)).join("").slice(0, 32);
  try {
    const done = await call("/app/api/redeem", { group: current, reward, key });
    $("said").textContent = done.text || done.error;
    $("said").className = done.ok ? "saved" : "problem";
    await load(current);
  } catch (error) {
    $("said").textContent = error.message;
  } finally {
    button.disabled = false;
  }
}

$("group").addEventListener("change", (event) => load(Number(event.target.value)));
if (window.Telegram && window.Telegram.WebApp) window.Telegram.WebApp.ready();
load(null);
