// The page at `/`: a text box, the language pair, the translation and one attention picture per
// line, from the LibreTranslate API of this same server. Everything is inline: no external resource.
public let webPage = #"""
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>nmt-serve</title>
<style>
  body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 60em; padding: 0 1em; color: #222; }
  textarea { width: 100%; min-height: 6em; font-size: 1.1em; box-sizing: border-box; }
  #translation { white-space: pre-wrap; font-size: 1.2em; min-height: 2em; padding: .5em; background: #f4f6f8; }
  #error { color: #a00; }
  .controls { margin: .6em 0; display: flex; gap: .6em; align-items: center; }
  .attention svg { max-width: 100%; height: auto; margin-top: 1em; }
</style>
</head>
<body>
<h1>nmt-serve</h1>
<form id="form">
  <label for="source">Text</label>
  <textarea id="source" name="q" placeholder="Ein Hund läuft über die Wiese."></textarea>
  <div class="controls">
    <label for="pair">Languages</label>
    <select id="pair"></select>
    <button id="go" type="submit">Translate</button>
    <span id="status"></span>
  </div>
</form>
<div id="translation" aria-live="polite"></div>
<div id="error"></div>
<div id="attention" class="attention"></div>
<script>
"use strict";
const pair = document.getElementById("pair");
const status = document.getElementById("status");
async function languages() {
  const r = await fetch("/languages");
  const list = await r.json();
  const names = {};
  for (const l of list) names[l.code] = l.name;
  for (const l of list) {
    for (const t of l.targets) {
      const o = document.createElement("option");
      o.value = l.code + ":" + t;
      o.textContent = l.name + " → " + (names[t] || t);
      pair.appendChild(o);
    }
  }
}
document.getElementById("form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const [source, target] = pair.value.split(":");
  const q = document.getElementById("source").value;
  const out = document.getElementById("translation");
  document.getElementById("error").textContent = "";
  out.dataset.state = "waiting";
  status.textContent = "translating…";
  try {
    const r = await fetch("/translate", { method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ q, source, target, format: "text", attention: true }) });
    const answer = await r.json();
    if (!r.ok) { throw new Error(answer.error || ("HTTP " + r.status)); }
    out.textContent = answer.translatedText;
    const pictures = document.getElementById("attention");
    pictures.replaceChildren();
    for (const svg of answer.attention || []) {
      if (!svg) continue;
      const doc = new DOMParser().parseFromString(svg, "image/svg+xml");
      pictures.appendChild(document.importNode(doc.documentElement, true));
    }
    status.textContent = "";
    out.dataset.state = "done";
  } catch (e) {
    status.textContent = "";
    document.getElementById("error").textContent = e.message;
    out.dataset.state = "error";
  }
});
languages().catch((e) => { document.getElementById("error").textContent = e.message; });
</script>
</body>
</html>
"""#
