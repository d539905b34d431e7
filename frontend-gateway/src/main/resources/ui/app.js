// The gateway's UI: calls the REST API it serves, polls /internal/stats for the live panel and,
// in local mode, moves the canary weight through /admin/traffic. No framework, no network but
// the gateway itself.
"use strict";

const $ = (id) => document.getElementById(id);
const STATS_EVERY_MS = 2000;
const TRACK_ORDER = ["stable", "canary"];
const HEALTH_EVERY_MS = 5000;

function pinHeader() {
  const chosen = document.querySelector("input[name=pin]:checked").value;
  return chosen ? { "x-model-track": chosen } : {};
}

// The API key a person pasted, sent as x-api-key (which the Istio ingress lets through to the
// gateway) on every call; kept in sessionStorage, so it leaves with the tab.
const API_KEY_ITEM = "inference-api-key";

function keyHeader() {
  const key = sessionStorage.getItem(API_KEY_ITEM);
  return key ? { "x-api-key": key } : {};
}

async function callJson(method, path, body, extraHeaders = {}) {
  const response = await fetch(path, {
    method,
    headers: { "content-type": "application/json", ...keyHeader(), ...extraHeaders },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch { /* not JSON: reported below */ }
  if (!response.ok) {
    const message = json && json.error ? `${json.error.status}: ${json.error.message}` : `HTTP ${response.status}`;
    throw new Error(response.status === 401 ? `${message} (paste an API key at the top)` : message);
  }
  return { json, headers: response.headers };
}

function showError(message) {
  const box = $("error");
  box.textContent = message;
  box.hidden = !message;
}

// ---- models --------------------------------------------------------------------------------

let models = [];

async function loadModels() {
  try {
    const { json } = await callJson("GET", "/v1/models");
    models = json.models || [];
    $("model").replaceChildren(...models.map((model) => new Option(model.name, model.name)));
    // The playground opens on a classifier, the platform's first use; any model can be picked.
    const classifier = models.find((model) => taskOf(model, "") === "text-classification");
    if (classifier) {
      $("model").value = classifier.name;
    }
    fillVersions();
  } catch (error) {
    showError(`Could not list the models: ${error.message}`);
  }
}

function selectedModel() {
  return models.find((m) => m.name === $("model").value);
}

function taskOf(model, version) {
  const wanted = version || model.defaultVersion;
  const found = model.versions.find((v) => v.version === wanted);
  return found ? found.task : "";
}

function fillVersions() {
  const model = selectedModel();
  const options = [new Option(`default (${model ? model.defaultVersion : "?"})`, "")];
  (model ? model.versions : []).forEach((v) => options.push(new Option(v.version, v.version)));
  $("version").replaceChildren(...options);
  followTask();
}

// The playground follows the selected model's task: a classifier labels each text, an embedding
// model shows how alike the texts are.
function currentTask() {
  const model = selectedModel();
  return model ? taskOf(model, $("version").value) : "";
}

function followTask() {
  const embedding = currentTask() === "text-embedding";
  $("try-title").textContent = embedding ? "Embed texts" : "Classify reviews";
  $("predict").textContent = embedding ? "Embed" : "Predict";
  $("texts-label").textContent = embedding
    ? "One text per line; the matrix shows how alike each pair is (cosine similarity)."
    : "One review per line; each line is one instance of the batch.";
  $("agreement-heading").textContent = embedding ? "Cosine" : "Same label";
  $("predictions").replaceChildren();
  $("similarity").hidden = true;
  $("comparison").hidden = true;
  $("served").hidden = true;
}

// ---- predict -------------------------------------------------------------------------------

function typedTexts() {
  const instances = $("texts").value.split("\n").map((line) => line.trim()).filter(Boolean);
  if (instances.length === 0) {
    showError("Type at least one text.");
  }
  return instances;
}

function callFor(model, instances, extraHeaders) {
  const method = currentTask() === "text-embedding" ? "embed" : "predict";
  return callJson("POST", `/v1/models/${encodeURIComponent(model)}:${method}`,
    { instances, version: $("version").value }, extraHeaders);
}

async function predict(event) {
  event.preventDefault();
  const instances = typedTexts();
  if (instances.length === 0) {
    return;
  }
  const model = $("model").value || "sentiment";
  const button = $("predict");
  button.disabled = true;
  showError("");
  const started = performance.now();
  try {
    const { json, headers } = await callFor(model, instances, pinHeader());
    renderServed(json, headers, performance.now() - started);
    if (json.embeddings) {
      renderSimilarity(instances, json.embeddings);
    } else {
      renderPredictions(instances, json);
    }
  } catch (error) {
    $("predictions").replaceChildren();
    $("similarity").hidden = true;
    $("served").hidden = true;
    showError(`${callName()} failed: ${error.message}`);
  } finally {
    button.disabled = false;
  }
}

function callName() {
  return currentTask() === "text-embedding" ? "Embedding" : "Prediction";
}

function cosine(a, b) {
  let dot = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    aa += a[i] * a[i];
    bb += b[i] * b[i];
  }
  return aa && bb ? dot / Math.sqrt(aa * bb) : 0;
}

// Every pair of texts, coloured by their cosine similarity: people would rather look than read.
function renderSimilarity(instances, embeddings) {
  $("predictions").replaceChildren();
  const vectors = embeddings.map((embedding) => embedding.values);
  const header = document.createElement("tr");
  header.append(document.createElement("th"));
  instances.forEach((text, i) => {
    const th = document.createElement("th");
    th.scope = "col";
    th.textContent = `${i + 1}`;
    th.title = text;
    header.append(th);
  });
  const rows = instances.map((text, i) => {
    const row = document.createElement("tr");
    const th = document.createElement("th");
    th.scope = "row";
    th.textContent = `${i + 1}. ${text}`;
    row.append(th);
    vectors.forEach((other, j) => {
      const value = cosine(vectors[i], other);
      const td = document.createElement("td");
      td.textContent = value.toFixed(3);
      td.dataset.cosine = value.toFixed(6);
      td.title = `"${instances[i]}" and "${instances[j]}"`;
      // Darker is more alike; below zero stays white.
      td.style.backgroundColor = `rgba(47, 95, 214, ${Math.max(0, value).toFixed(3)})`;
      td.style.color = value > 0.55 ? "white" : "inherit";
      row.append(td);
    });
    return row;
  });
  $("similarity").querySelector("thead").replaceChildren(header);
  $("similarity").querySelector("tbody").replaceChildren(...rows);
  $("similarity").hidden = false;
}

// ---- compare tracks ------------------------------------------------------------------------

// The same texts pinned to each track (x-model-track), side by side: what the shadow comparison
// counts, for texts of one's own choosing.
async function compareTracks() {
  const instances = typedTexts();
  if (instances.length === 0) {
    return;
  }
  const model = $("model").value || "sentiment";
  const button = $("compare");
  button.disabled = true;
  showError("");
  try {
    const answers = await Promise.all(TRACK_ORDER.map((track) =>
      callFor(model, instances, { "x-model-track": track })));
    renderComparison(instances, answers);
  } catch (error) {
    $("comparison").hidden = true;
    showError(`Comparison failed: ${error.message}`);
  } finally {
    button.disabled = false;
  }
}

function renderComparison(instances, answers) {
  answers.forEach(({ json, headers }, i) => {
    const track = TRACK_ORDER[i];
    const served = headers.get("x-model-track") || track;
    const revision = headers.get("x-model-revision");
    $(`${track}-heading`).textContent =
      `${served}: version ${json.modelVersion}${revision ? `, revision ${revision}` : ""}`;
  });
  const rows = instances.map((text, i) => {
    const row = document.createElement("tr");
    const cell = (content, className) => {
      const td = document.createElement("td");
      td.textContent = content;
      if (className) {
        td.className = className;
      }
      return td;
    };
    if (answers[0].json.embeddings) {
      // Vectors have no label to agree on: how closely the two tracks' vectors point the same way.
      const [stable, canary] = answers.map(({ json }) => json.embeddings[i].values);
      row.append(cell(text, "text"), cell(`${stable.length} values`), cell(`${canary.length} values`),
        cell(stable.length === canary.length ? cosine(stable, canary).toFixed(4) : "other dimension", "verdict"));
      return row;
    }
    const [stable, canary] = answers.map(({ json }) => json.predictions[i]);
    const same = stable.label === canary.label;
    row.className = same ? "agree" : "disagree";
    // The label's pill goes inside the cell: a table cell styled as a pill leaves the table's grid.
    const answerCell = (prediction) => {
      const td = cell(` ${prediction.score.toFixed(3)}`);
      const label = document.createElement("span");
      label.className = `label ${prediction.label}`;
      label.textContent = prediction.label;
      td.prepend(label);
      return td;
    };
    row.append(cell(text, "text"), answerCell(stable), answerCell(canary), cell(same ? "yes" : "no", "verdict"));
    return row;
  });
  $("comparison").querySelector("tbody").replaceChildren(...rows);
  $("comparison").hidden = false;
}

function renderServed(response, headers, latencyMs) {
  $("served-version").textContent = response.modelVersion;
  $("served-track").textContent = headers.get("x-model-track") || "unknown";
  $("served-latency").textContent = latencyMs.toFixed(0);
  $("served").hidden = false;
}

function renderPredictions(instances, response) {
  $("similarity").hidden = true;
  const items = response.predictions.map((prediction, i) => {
    const item = document.createElement("li");
    const text = document.createElement("span");
    text.className = "text";
    text.textContent = instances[i];
    const label = document.createElement("span");
    label.className = `label ${prediction.label}`;
    label.textContent = prediction.label;
    const bar = document.createElement("span");
    bar.className = "scorebar";
    const fill = document.createElement("span");
    fill.style.width = `${(prediction.score * 100).toFixed(1)}%`;
    bar.append(fill);
    const value = document.createElement("span");
    value.className = "scorevalue";
    value.textContent = prediction.score.toFixed(3);
    const score = document.createElement("div");
    score.className = "score";
    score.append(label, bar, value);
    item.append(text, score);
    return item;
  });
  $("predictions").replaceChildren(...items);
}

// ---- live traffic --------------------------------------------------------------------------

function orderedTracks(tracks) {
  const rank = (name) => (TRACK_ORDER.includes(name) ? TRACK_ORDER.indexOf(name) : TRACK_ORDER.length);
  return Object.entries(tracks).sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b));
}

async function refreshStats() {
  try {
    const { json } = await callJson("GET", "/internal/stats");
    const tracks = orderedTracks(json.tracks);
    renderSummary(tracks);
    renderShadow(json.shadow);
    drawChart($("rps-chart"), tracks, (p) => p.rps);
    drawChart($("p95-chart"), tracks, (p) => p.p95Ms);
    if (json.mode === "local") {
      $("local-controls").hidden = false;
      const slider = $("canary-weight");
      if (document.activeElement !== slider) {
        slider.value = json.canaryWeight;
        $("canary-weight-value").textContent = `${json.canaryWeight}%`;
      }
    }
  } catch (error) {
    // The panel keeps its last picture; the health dots say when the gateway is gone.
  }
}

function renderSummary(tracks) {
  const cards = tracks.map(([name, track]) => {
    const card = document.createElement("div");
    card.className = `track ${name}`;
    card.innerHTML = `<h4></h4><dl><dt>req/s</dt><dd></dd><dt>p95</dt><dd></dd><dt>errors</dt><dd></dd></dl>`;
    card.querySelector("h4").textContent = name;
    const values = card.querySelectorAll("dd");
    values[0].textContent = track.now.rps.toFixed(1);
    values[1].textContent = `${track.now.p95Ms} ms`;
    values[2].textContent = `${(track.now.errorRate * 100).toFixed(1)}%`;
    return card;
  });
  $("track-summary").replaceChildren(...cards);
}

function renderShadow(shadow) {
  let text;
  if (!shadow || shadow.percent === 0) {
    text = "Shadow comparison off (--shadow-percent 0).";
  } else if (shadow.compared === undefined) {
    text = `Shadowing ${shadow.percent}% of unpinned calls; nothing compared in the last minute.`;
  } else {
    text = `Canary ${shadow.canaryRevision} agrees with stable on ${(shadow.agreement * 100).toFixed(1)}% of `
      + `${shadow.compared} texts in the last minute (shadowing ${shadow.percent}% of unpinned calls).`;
  }
  $("shadow").textContent = text;
}

function drawChart(svg, tracks, valueOf) {
  const width = 600, height = 140, left = 34, bottom = 14, top = 8;
  const series = tracks;
  const max = Math.max(1, ...series.flatMap(([, t]) => t.series.map(valueOf)));
  const ns = "http://www.w3.org/2000/svg";
  const children = [];
  for (const fraction of [0, 0.5, 1]) {
    const y = top + (height - top - bottom) * (1 - fraction);
    const line = document.createElementNS(ns, "line");
    Object.entries({ x1: left, x2: width, y1: y, y2: y, class: "grid-line" }).forEach(([k, v]) => line.setAttribute(k, v));
    const label = document.createElementNS(ns, "text");
    Object.entries({ x: 2, y: y + 3, class: "axis" }).forEach(([k, v]) => label.setAttribute(k, v));
    label.textContent = formatAxis(max * fraction);
    children.push(line, label);
  }
  for (const [name, track] of series) {
    const points = track.series;
    const step = (width - left) / Math.max(1, points.length - 1);
    const polyline = document.createElementNS(ns, "polyline");
    polyline.setAttribute("class", ["stable", "canary"].includes(name) ? name : "other");
    polyline.setAttribute("points", points.map((p, i) =>
      `${(left + i * step).toFixed(1)},${(top + (height - top - bottom) * (1 - valueOf(p) / max)).toFixed(1)}`).join(" "));
    const title = document.createElementNS(ns, "title");
    title.textContent = name;
    polyline.append(title);
    children.push(polyline);
  }
  svg.replaceChildren(...children);
}

function formatAxis(value) {
  return value >= 100 ? value.toFixed(0) : value.toFixed(1);
}

async function refreshHealth() {
  try {
    const response = await fetch("/internal/health");
    const json = await response.json();
    const dots = Object.entries(json.upstreams).map(([name, status]) => {
      const dot = document.createElement("span");
      dot.className = `dot${status === "SERVING" ? " up" : ""}`;
      dot.textContent = `${name}: ${status.toLowerCase().replace("_", " ")}`;
      return dot;
    });
    $("upstreams").replaceChildren(...dots);
  } catch (error) {
    const dot = document.createElement("span");
    dot.className = "dot";
    dot.textContent = "gateway unreachable";
    $("upstreams").replaceChildren(dot);
  }
}

// ---- canary weight -------------------------------------------------------------------------

// One change at a time, in the order made: a slider moved by keyboard fires a change per step,
// and POSTs under way together could land in any order, leaving the split at an earlier step.
let weightChanges = Promise.resolve();

function setCanaryWeight() {
  weightChanges = weightChanges.then(async () => {
    const weight = Number($("canary-weight").value);
    $("canary-weight-value").textContent = `${weight}%`;
    try {
      await callJson("POST", "/admin/traffic", { canaryWeight: weight });
      showError("");
    } catch (error) {
      showError(`Could not change the canary weight: ${error.message}`);
    }
  });
}

// ---- wiring --------------------------------------------------------------------------------

$("predict-form").addEventListener("submit", predict);
$("model").addEventListener("change", fillVersions);
$("version").addEventListener("change", followTask);
$("compare").addEventListener("click", compareTracks);
$("texts").addEventListener("keydown", (event) => {
  if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
    $("predict-form").requestSubmit();
  }
});
$("api-key").value = sessionStorage.getItem(API_KEY_ITEM) || "";
$("key-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const key = $("api-key").value.trim();
  if (key) {
    sessionStorage.setItem(API_KEY_ITEM, key);
  } else {
    sessionStorage.removeItem(API_KEY_ITEM);
  }
  showError("");
  loadModels();
});

$("canary-weight").addEventListener("input", () => {
  $("canary-weight-value").textContent = `${$("canary-weight").value}%`;
});
$("canary-weight").addEventListener("change", setCanaryWeight);

loadModels();
refreshStats();
refreshHealth();
setInterval(refreshStats, STATS_EVERY_MS);
setInterval(refreshHealth, HEALTH_EVERY_MS);
