// Recomputes a draw's winners in the browser, with WebCrypto, from what the page publishes:
// the seed, its commitment, the entrant list (downloaded) and its SHA-256, and the rerolls.
// The steps are services/draws.py's, which the README spells out.
"use strict";

const hex = (buffer) => [...new Uint8Array(buffer)].map((b) => b.toString(16).padStart(2, "0")).join("");
const bytesOf = (hexText) => new Uint8Array(hexText.match(/../g).map((pair) => parseInt(pair, 16)));
const SPACE = 1n << 256n;

async function chooseWinners(key, entrants, count, counter, exclude) {
  const pool = [...new Set(entrants)].filter((user) => !exclude.has(user)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const winners = [];
  while (pool.length && winners.length < count) {
    const message = new Uint8Array(8);
    new DataView(message.buffer).setBigUint64(0, BigInt(counter));
    counter += 1;
    const value = BigInt("0x" + hex(await crypto.subtle.sign("HMAC", key, message)));
    const size = BigInt(pool.length);
    if (value >= SPACE - (SPACE % size)) continue; // would favour the first entries
    winners.push(pool.splice(Number(value % size), 1)[0]);
  }
  return [winners, counter];
}

async function replay(seed, entrants, count, rerolls) {
  const key = await crypto.subtle.importKey("raw", bytesOf(seed), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  let [current, counter] = await chooseWinners(key, entrants, count, 0, new Set());
  const ever = new Set(current);
  for (const replaced of rerolls) {
    let picks;
    [picks, counter] = await chooseWinners(key, entrants, replaced.length, counter, ever);
    if (picks.length < replaced.length) break;
    replaced.forEach((old, i) => { current[current.indexOf(BigInt(old))] = picks[i]; });
    picks.forEach((pick) => ever.add(pick));
  }
  return current;
}

async function verify() {
  const verdict = document.getElementById("verdict");
  if (!window.crypto || !crypto.subtle) { verdict.textContent = verdict.dataset.noapi; return; }
  const published = JSON.parse(document.getElementById("published").textContent);
  const problems = [];
  const commitment = hex(await crypto.subtle.digest("SHA-256", bytesOf(published.seed)));
  if (commitment !== published.commitment) problems.push("sha256(seed) ≠ commitment");
  const response = await fetch(document.getElementById("entrants-link").href, { cache: "no-store" });
  const list = await response.arrayBuffer();
  if (hex(await crypto.subtle.digest("SHA-256", list)) !== published.entrants_sha256) problems.push("sha256(entrants.txt) ≠ the published hash");
  const entrants = new TextDecoder().decode(list).split("\n").filter(Boolean).map((line) => BigInt(line));
  const rerolls = published.rerolls.map((row) => row.map((user) => BigInt(user)));
  const winners = await replay(published.seed, entrants, published.winners, rerolls);
  const expected = published.winner_ids.map(String).join(",");
  if (winners.map(String).join(",") !== expected) problems.push("winners " + winners.join(", ") + " ≠ " + published.winner_ids.join(", "));
  verdict.textContent = problems.length ? verdict.dataset.bad + " " + problems.join("; ") : verdict.dataset.ok;
  verdict.className = problems.length ? "problem" : "saved";
}

document.getElementById("verify").addEventListener("click", () => {
  verify().catch((error) => { document.getElementById("verdict").textContent = String(error); });
});
