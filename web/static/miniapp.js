// The Mini App (会员中心): asks the server with Telegram's signed initData and shows the member
// centre. Every text comes translated and formatted from the server and is placed with
// textContent, never as HTML. initData comes from Telegram.WebApp, or from the launch address
// (#tgWebAppData=…), where Telegram puts it for any page it opens as a Mini App: the page works
// before (or without) telegram-web-app.js, which loads asynchronously.
"use strict";

const root = document.getElementById("app");
const $ = (id) => document.getElementById(id);
let labels = JSON.parse(root.dataset.labels || "{}");
let current = null; // the group shown
let busy = false; // a redemption is being confirmed or sent
const photos = new Map(); // "group:reward" -> a blob: URL, fetched once per page

// -- Telegram --------------------------------------------------------------------------------

const telegram = () => (window.Telegram && window.Telegram.WebApp) || null;

function supports(version) {
  const app = telegram();
  return !!app && (typeof app.isVersionAtLeast !== "function" || app.isVersionAtLeast(version));
}

function launchParam(name) {
  return new URLSearchParams(location.hash.slice(1)).get(name);
}

function initData() {
  const app = telegram();
  return (app && app.initData) || launchParam("tgWebAppData") || "";
}

// Telegram's colours as --tg-theme-* (telegram-web-app.js sets them too; the launch address
// carries them when the script has not loaded). The stylesheet falls back to its own.
function applyTheme() {
  const app = telegram();
  let params = app && app.themeParams;
  if (!params || !Object.keys(params).length) {
    try { params = JSON.parse(launchParam("tgWebAppThemeParams") || "{}"); } catch { params = {}; }
  }
  const style = document.documentElement.style;
  for (const [key, value] of Object.entries(params || {})) {
    if (/^[a-z_]+$/.test(key) && /^#[0-9a-f]{3,8}$/i.test(String(value))) {
      style.setProperty("--tg-theme-" + key.replace(/_/g, "-"), value);
    }
  }
  if (app && app.colorScheme) document.documentElement.dataset.scheme = app.colorScheme;
}

// The height that stays put while the sheet is dragged, and the insets of notches and of
// Telegram's own buttons in full screen.
function applyViewport() {
  const app = telegram();
  if (!app) return;
  const style = document.documentElement.style;
  if (app.viewportStableHeight) {
    style.setProperty("--tg-viewport-stable-height", app.viewportStableHeight + "px");
  }
  for (const [name, inset] of [["safe-area-inset", app.safeAreaInset],
                               ["content-safe-area-inset", app.contentSafeAreaInset]]) {
    for (const side of ["top", "bottom", "left", "right"]) {
      if (inset && typeof inset[side] === "number") style.setProperty(`--tg-${name}-${side}`, inset[side] + "px");
    }
  }
}

let joined = false;
function joinTelegram() {
  const app = telegram();
  if (!app || joined) return;
  joined = true;
  applyTheme();
  applyViewport();
  if (typeof app.onEvent === "function") {
    app.onEvent("themeChanged", applyTheme);
    for (const event of ["viewportChanged", "safeAreaChanged", "contentSafeAreaChanged"]) app.onEvent(event, applyViewport);
  }
  if (typeof app.ready === "function") app.ready();
  if (typeof app.expand === "function") app.expand();
}

function haptic(kind) {
  const app = telegram();
  if (app && app.HapticFeedback && supports("6.1")) app.HapticFeedback.notificationOccurred(kind);
}

// -- talking to fanbot ------------------------------------------------------------------------

async function post(path, body) {
  let response;
  try {
    response = await fetch(path, {
      method: "POST",
      headers: { "Authorization": "tma " + initData(), "Content-Type": "application/json" },
      body: JSON.stringify(body || {}),
    });
  } catch {
    throw new Error(labels.offline);
  }
  if (response.status === 401) throw new Error(labels.failed);
  return response;
}

async function call(path, body) {
  const response = await post(path, body);
  try { return await response.json(); } catch { throw new Error(labels.offline); }
}

// -- drawing ----------------------------------------------------------------------------------

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = text;
  return node;
}

function said(text, ok) {
  const toast = $("said");
  toast.textContent = text;
  toast.className = "toast " + (ok ? "good" : "bad");
  toast.hidden = false;
  clearTimeout(said.timer);
  said.timer = setTimeout(() => { toast.hidden = true; }, 4000);
}

function problem(text) {
  $("problem").hidden = !text;
  $("problem").textContent = text || "";
}

function relabel(next) {
  labels = next;
  for (const node of document.querySelectorAll("[data-label]")) {
    if (labels[node.dataset.label]) node.textContent = labels[node.dataset.label];
  }
  document.title = labels.title;
}

function showHeader(header) {
  $("initial").textContent = header.initial;
  $("name").textContent = header.name;
  $("tier").textContent = header.tier;
  $("balance").textContent = header.balance;
  $("unit").textContent = header.unit;
  $("progress").style.width = Math.round(header.progress * 100) + "%";
  $("next").textContent = header.next;
  $("facts").replaceChildren(...header.facts.map((fact) => el("span", "fact", fact)));
}

function showCalendar(calendar) {
  $("month").textContent = calendar.title;
  $("weekdays").replaceChildren(...calendar.weekdays.map((name) => el("span", "weekday", name)));
  const blanks = Array.from({ length: calendar.offset }, () => el("span", "day blank"));
  $("calendar").replaceChildren(...blanks, ...calendar.days.map((day) => {
    const cell = el("span", "day " + day.state, String(day.day));
    if (day.state === "signed") cell.setAttribute("aria-label", day.day + " ✓");
    return cell;
  }));
  $("signed").textContent = calendar.summary;
}

function showPurchases(purchases, none) {
  $("figures").replaceChildren(...purchases.figures.map((figure) => {
    const tile = el("div", "figure");
    tile.append(el("strong", "", figure.value), el("span", "", figure.label));
    return tile;
  }));
  $("notes").replaceChildren(...purchases.notes.map((note) => el("p", "hint", note)));
  $("orders").replaceChildren(...(purchases.orders.length ? purchases.orders.map((order) => {
    const row = el("li", "row order");
    const top = el("div", "line");
    top.append(el("span", "title", order.title), el("span", "amount", order.amount));
    const under = el("div", "line");
    under.append(el("span", "sub", order.when),
                 el("span", order.pending ? "points pending" : "points", order.points));
    row.append(top, under);
    if (order.number) row.append(el("div", "sub", order.number)); // under its item title: to quote to the shop
    return row;
  }) : [el("li", "hint", none)]));
}

function showRewards(rewards, none) {
  $("rewards").replaceChildren(...(rewards.length ? rewards.map((reward) => {
    const item = el("li", "reward");
    const picture = el("div", "picture", reward.icon);
    if (reward.photo) showPhoto(picture, reward.id);
    const name = el("span", "title", reward.name);
    const price = el("span", "price", reward.price);
    if (reward.was) price.append(" ", el("s", "was", reward.was));
    const button = el("button", "redeem", reward.button);
    button.type = "button";
    button.disabled = !reward.enabled;
    button.dataset.reward = reward.id;
    button.addEventListener("click", () => redeem(reward, button));
    item.append(picture, name, price, el("span", "left", reward.left), button);
    return item;
  }) : [el("li", "hint", none)]));
}

function showPlans(plans) {  // paid membership, after the rewards: Telegram opens the invoice
  for (const plan of plans || []) {
    const item = el("li", "reward");
    const button = el("button", "redeem", plan.button);
    button.type = "button";
    button.addEventListener("click", () => {
      const app = telegram();
      if (app && app.openInvoice) app.openInvoice(plan.link); else window.location.href = plan.link;
    });
    item.append(el("div", "picture", "👑"), el("span", "title", plan.name),
                el("span", "price", plan.price), el("span", "left", ""), button);
    $("rewards").append(item);
  }
}

function showCoupons(coupons, none) {
  $("coupons").replaceChildren(...(coupons.length ? coupons.map((coupon) => {
    const row = el("li", "row coupon");
    const head = el("div", "head");
    head.append(el("span", "title", coupon.icon + " " + coupon.name), el("span", "state " + coupon.tone, coupon.state));
    row.append(head);
    if (coupon.code) {
      const line = el("div", "code-line");
      const code = el("code", "code", coupon.code);
      const button = el("button", "copy quiet", labels.copy);
      button.type = "button";
      button.addEventListener("click", () => copy(coupon.code, button));
      line.append(code, button);
      row.append(line);
    }
    row.append(el("span", "sub", coupon.when));
    return row;
  }) : [el("li", "hint", none)]));
}

function show(page) {
  if (page.labels) relabel(page.labels);
  if (page.language) document.documentElement.lang = page.language;
  const select = $("group");
  select.replaceChildren(...page.groups.map((group) => {
    const option = new Option(group.title, group.id);
    option.selected = !!page.group && group.id === page.group.id;
    return option;
  }));
  select.hidden = page.groups.length < 2;
  if (!page.group) { $("balance").textContent = "—"; problem(page.empty); return; }
  problem("");
  current = page.group.id;
  showHeader(page.header);
  showCalendar(page.calendar);
  showPurchases(page.purchases, page.none);
  showRewards(page.rewards, page.none);
  showPlans(page.plans);
  showCoupons(page.coupons, page.none);
  $("zone").textContent = page.zone;
}

async function showPhoto(picture, reward) {
  const key = current + ":" + reward;
  try {
    if (!photos.has(key)) {
      const response = await post("/app/api/photo", { group: current, reward });
      photos.set(key, response.ok ? URL.createObjectURL(await response.blob()) : null);
    }
  } catch { return; }
  if (!photos.get(key)) return; // no photo: the kind's icon stays
  const image = el("img");
  image.alt = "";
  image.src = photos.get(key);
  picture.replaceChildren(image);
  picture.classList.add("photo");
}

async function load(group) {
  try {
    show(await call("/app/api/me", group ? { group } : {}));
  } catch (error) {
    problem(error.message);
  }
}

// -- acting -----------------------------------------------------------------------------------

// Telegram's own confirmation where the app has it (Bot API 6.2), else a sheet of the page's.
function confirmed(text) {
  return new Promise((resolve) => {
    const app = telegram();
    if (app && typeof app.showConfirm === "function" && supports("6.2")) {
      app.showConfirm(text, (ok) => resolve(!!ok));
      return;
    }
    $("sheet-text").textContent = text;
    $("sheet").hidden = false;
    const answer = (ok) => () => {
      $("sheet").hidden = true;
      $("sheet-ok").onclick = $("sheet-cancel").onclick = $("sheet").onclick = null;
      resolve(ok);
    };
    $("sheet-ok").onclick = answer(true);
    $("sheet-cancel").onclick = answer(false);
    $("sheet").onclick = (event) => { if (event.target === $("sheet")) answer(false)(); };
    $("sheet-ok").focus();
  });
}

async function redeem(reward, button) {
  if (busy) return;
  busy = true;
  // One key per press, made before asking: a request sent again redeems once.
  const key = Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
  try {
    if (!(await confirmed(reward.confirm))) return; // cancelled: nothing is spent
    button.disabled = true;
    const done = await call("/app/api/redeem", { group: current, reward: reward.id, key });
    said(done.text || done.error, done.ok);
    haptic(done.ok ? "success" : "error");
    if (done.ok) await load(current);
  } catch (error) {
    said(error.message, false);
    haptic("error");
  } finally {
    button.disabled = !reward.enabled;
    busy = false;
  }
}

// The clipboard API needs a secure page and the user's gesture; older webviews copy a selection.
function copiedBySelection(text) {
  const area = el("textarea", "offscreen");
  area.value = text;
  area.readOnly = true;
  document.body.append(area);
  area.select();
  let ok = false;
  try { ok = document.execCommand("copy"); } catch { ok = false; }
  area.remove();
  return ok;
}

async function copy(code, button) {
  let ok;
  try {
    await navigator.clipboard.writeText(code);
    ok = true;
  } catch {
    ok = copiedBySelection(code);
  }
  button.textContent = ok ? labels.copied : labels.copy;
  if (ok) setTimeout(() => { button.textContent = labels.copy; }, 2000);
  else said(labels.copy_failed, false);
  haptic(ok ? "success" : "error");
}

$("group").addEventListener("change", (event) => load(Number(event.target.value)));
$("said").addEventListener("click", () => { $("said").hidden = true; });
$("telegram-script").addEventListener("load", joinTelegram);
joinTelegram();
applyTheme();
load(null);
