// Indicator map page: every Kreis (or Land) coloured by its class, read from the query service with the
// API key of this browser tab; d3 draws the boundaries the service serves (no tiles, nothing from outside).
// When the map is drawn, <body data-ready="true" data-shapes="N"> (the headless browser test waits for it).
"use strict";

const KEY_STORAGE = "imon-api-key";
const number = new Intl.NumberFormat("en-GB", { maximumFractionDigits: 1, minimumFractionDigits: 1 });
const signed = new Intl.NumberFormat("en-GB", { maximumFractionDigits: 1, minimumFractionDigits: 1, signDisplay: "exceptZero" });
const SVG = "http://www.w3.org/2000/svg";
const WIDTH = 600;
const HEIGHT = 800;

function apiKey() {
  const fromFragment = new URLSearchParams(location.hash.slice(1)).get("key");
  if (fromFragment) {
    sessionStorage.setItem(KEY_STORAGE, fromFragment);
    history.replaceState(null, "", location.pathname + location.search);  // the key never stays in the address bar
  }
  return sessionStorage.getItem(KEY_STORAGE);
}

async function api(path) {
  const response = await fetch(path, { headers: { Authorization: `Bearer ${apiKey()}` } });
  if (response.status === 401) {
    sessionStorage.removeItem(KEY_STORAGE);
    throw Object.assign(new Error("The API key was not accepted."), { unauthorised: true });
  }
  if (!response.ok) {
    const body = await response.json().catch(() => ({}));
    throw Object.assign(new Error(body.detail || `${response.status} ${response.statusText}`), { status: response.status });
  }
  return response.json();
}

function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name === "text") node.textContent = value;
    else node.setAttribute(name, value);
  }
  node.append(...children);
  return node;
}

function format(value) {
  return value === null || value === undefined ? "–" : number.format(value);
}

// The hatched classes: white ground, lines in the class's colour; referenced as url(#hatch-<id>) by every map on the page
function addPatterns(svg, specials) {
  const angles = { not_published: 45, generated: -45, no_value: 0 };
  const defs = svg.append("defs");
  for (const special of specials) {
    const pattern = defs.append("pattern").attr("id", `hatch-${special.id}`).attr("patternUnits", "userSpaceOnUse")
      .attr("width", 5).attr("height", 5).attr("patternTransform", `rotate(${angles[special.id] ?? 45})`);
    pattern.append("rect").attr("width", 5).attr("height", 5).attr("fill", "#ffffff");
    if (special.id === "no_value") pattern.append("circle").attr("cx", 2.5).attr("cy", 2.5).attr("r", 0.9).attr("fill", special.color);
    else pattern.append("line").attr("x1", 0).attr("y1", 0).attr("x2", 0).attr("y2", 5).attr("stroke", special.color).attr("stroke-width", 1.6);
  }
}

function fillOf(classId, colors) {
  return colors[classId] || `url(#hatch-${classId})`;
}

function swatch(fill) {
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("width", "22");
  svg.setAttribute("height", "14");
  svg.setAttribute("aria-hidden", "true");
  const rect = document.createElementNS(SVG, "rect");
  rect.setAttribute("width", "22");
  rect.setAttribute("height", "14");
  rect.setAttribute("fill", fill);
  svg.append(rect);
  return svg;
}

const state = { indicator: null, level: "kreis", period: null, data: null, byKey: new Map(), paths: null, touched: null };

function mapUrl() {
  const query = new URLSearchParams({ level: state.level });
  if (state.period) query.set("period", state.period);
  return `/api/maps/${encodeURIComponent(state.indicator)}?${query}`;
}

function drawMap(shapes, borders, specials) {
  const container = d3.select("#map");
  container.selectAll("*").remove();
  const svg = container.append("svg").attr("viewBox", `0 0 ${WIDTH} ${HEIGHT}`).attr("role", "img")
    .attr("aria-label", "Map of the regions; the list beside it holds the same regions");
  addPatterns(svg, specials);
  const projection = d3.geoConicConformal().parallels([48.67, 53.67]).rotate([-10.5, 0]).fitSize([WIDTH, HEIGHT], shapes);
  const path = d3.geoPath(projection);
  state.paths = svg.append("g").attr("class", "regions").selectAll("path").data(shapes.features).join("path")
    .attr("class", "region").attr("id", (d) => `region-${d.id}`).attr("data-key", (d) => d.id).attr("d", path)
    .on("pointerenter pointermove", (event, d) => showTooltip(event, d.id))
    .on("pointerleave", hideTooltip)
    .on("click", (event, d) => {
      // a tap shows the tooltip first; a second tap (or a mouse click) opens the profile
      if (event.pointerType === "touch" && state.touched !== d.id) {
        state.touched = d.id;
        showTooltip(event, d.id);
        return;
      }
      location.assign(`/profile/${d.id}`);
    });
  if (borders) {
    svg.append("g").attr("class", "land-borders").selectAll("path").data(borders.features).join("path")
      .attr("class", "land-border").attr("d", path);
  }
  document.body.dataset.shapes = String(shapes.features.length);
}

function tooltipLines(region) {
  const data = state.data;
  const unit = data.unit_label;
  const lines = [];
  if (region.class_id === "no_value") lines.push("No value for this period");
  else if (region.class_id === "not_published") lines.push(`Not published${region.flag ? ` (${region.flag.replace(/_/g, " ")})` : ""}`);
  else lines.push(`${format(region.value)} ${unit}${region.synthetic ? " (generated data, not official)" : ""}`);
  if (region.rank_in_land) {
    lines.push(data.level === "kreis" ? `Rank ${region.rank_in_land} of ${region.ranked_in_land} in its Land (1 = highest)`
      : `Rank ${region.rank_in_land} of ${region.ranked_in_land} Länder (1 = highest)`);
  }
  if (region.change_5y !== null && region.change_5y !== undefined) {
    const points = data.indicator.unit === "pct" ? "percentage points" : unit;
    lines.push(`Change against ${data.period - 5}: ${signed.format(region.change_5y)} ${points}${region.series_break_5y ? " (series break in between)" : ""}`);
  } else {
    lines.push(`Change against ${data.period - 5}: –`);
  }
  return lines;
}

function showTooltip(event, key) {
  const region = state.byKey.get(key);
  if (!region) return;
  const tooltip = document.getElementById("tooltip");
  tooltip.replaceChildren(element("strong", { text: `${region.name} (${region.key})` }),
    ...tooltipLines(region).map((line) => element("div", { text: line })));
  tooltip.hidden = false;
  const box = tooltip.parentElement.getBoundingClientRect();
  const x = Math.min(event.clientX - box.left + 14, box.width - tooltip.offsetWidth - 4);
  tooltip.style.left = `${Math.max(0, x)}px`;
  tooltip.style.top = `${event.clientY - box.top + 14}px`;
}

function hideTooltip() {
  document.getElementById("tooltip").hidden = true;
}

function mark(key, on) {
  const node = document.getElementById(`region-${key}`);
  if (node) node.classList.toggle("marked", on);
}

function applyData(data) {
  state.data = data;
  state.period = data.period;
  state.byKey = new Map(data.regions.map((r) => [r.key, r]));
  const colors = Object.fromEntries(data.classes.map((c) => [c.id, c.color]));
  state.paths.attr("fill", (d) => fillOf((state.byKey.get(d.id) || { class_id: "no_value" }).class_id, colors))
    .attr("data-class", (d) => (state.byKey.get(d.id) || { class_id: "no_value" }).class_id);
  const title = `${data.indicator.indicator_id} · ${data.indicator.name_en}`;
  document.title = `imon · map · ${data.indicator.indicator_id} ${data.period}`;
  document.getElementById("map-title").textContent = title;
  document.getElementById("map-subtitle").textContent =
    `${data.indicator.name_de} · ${data.unit_label} · ${data.period} · ${data.level === "kreis" ? "Kreise" : "Länder"}`;
  // the legend is the caption the service words (service/maps.py map_caption), as in the SVG and the reports
  const caption = data.caption;
  document.getElementById("legend-unit").textContent = caption.unit_line;
  const legend = document.getElementById("legend");
  legend.replaceChildren(
    ...caption.classes.map((c) => element("li", { "data-class": c.id }, swatch(c.color), element("span", { text: `${c.label} (${c.count})` }))),
    ...caption.special.map((s) => element("li", { "data-class": s.id }, swatch(`url(#hatch-${s.id})`), element("span", { text: `${s.label} (${s.count})` }))));
  document.getElementById("classification").textContent = caption.notes.classification;
  document.getElementById("territorial-note").textContent = caption.notes.territorial;
  const coverage = [];
  if (data.without_geometry.length) coverage.push(`Values without a boundary (not on the map): ${data.without_geometry.map((r) => `${r.name} (${r.key})`).join(", ")}.`);
  if (data.without_value.length) coverage.push(`Boundaries without a value in ${data.period}: ${data.without_value.length} (drawn as “no value”).`);
  document.getElementById("coverage-note").textContent = coverage.join(" ") || "Every region with a value has a boundary and every boundary a value.";
  document.getElementById("source-note").textContent = caption.notes.source;
  document.getElementById("boundary-note").textContent = caption.notes.boundary;
  document.getElementById("snapshot").textContent = caption.notes.snapshot;
  const labels = Object.fromEntries([...data.classes, ...data.special_classes].map((c) => [c.id, c.label]));
  const list = document.getElementById("region-list");
  list.replaceChildren(...[...data.regions].sort((a, b) => a.key.localeCompare(b.key)).map((region) => {
    const link = element("a", { href: `/profile/${region.key}`, "data-key": region.key, text: `${region.name} (${region.key})` });
    link.addEventListener("focus", () => mark(region.key, true));
    link.addEventListener("blur", () => mark(region.key, false));
    const value = region.value === null ? labels[region.class_id] : `${format(region.value)} ${data.unit_label}`;
    return element("li", { "data-class": region.class_id }, link, element("span", { class: "value", text: ` ${value}` }));
  }));
  // the slider steps through the periods with data only (e.g. 2020, 2023, 2025 with no 2021, 2022, 2024):
  // its value is the position in data.periods, its aria-valuetext the year
  const slider = document.getElementById("period-slider");
  slider.min = "0";
  slider.max = String(data.periods.length - 1);
  slider.value = String(data.periods.indexOf(data.period));
  slider.disabled = data.periods.length < 2;
  slider.dataset.periods = data.periods.join(",");
  showSliderPeriod();
  document.body.dataset.period = String(data.period);
}

async function fillIndicatorPicker() {
  const select = document.getElementById("indicator-select");
  const { data } = await api("/api/catalog");
  select.replaceChildren(...data.map((entry) => element("option", {
    value: entry.indicator_id, text: `${entry.indicator_id} · ${entry.name_en}`,
    ...(entry.indicator_id === state.indicator ? { selected: "" } : {}),
  })));
  select.disabled = false;
  select.addEventListener("change", () => location.assign(`/map/${encodeURIComponent(select.value)}?level=${state.level}`));
  return data;
}

function readAddress() {
  const match = location.pathname.match(/^\/map\/([^/]+)/);
  const query = new URLSearchParams(location.search);
  state.indicator = match ? decodeURIComponent(match[1]).toUpperCase() : null;
  state.level = query.get("level") === "land" ? "land" : "kreis";
  state.period = query.get("period") ? Number(query.get("period")) : null;
}

function sliderPeriod() {
  return state.data.periods[Number(document.getElementById("period-slider").value)];
}

function showSliderPeriod() {
  const period = String(sliderPeriod());
  document.getElementById("period-slider").setAttribute("aria-valuetext", period);
  document.getElementById("period-output").textContent = period;
}

// A period without data in the address (/map/ARB06?period=2021): the nearest period with data, said so on the page
async function loadRequested() {
  try {
    return await api(mapUrl());
  } catch (error) {
    if (error.status !== 404 || state.period === null) throw error;
    const requested = state.period;
    state.period = null;
    const latest = await api(mapUrl());
    const nearest = latest.periods.reduce((best, p) => (Math.abs(p - requested) < Math.abs(best - requested) ? p : best));
    state.period = nearest;
    const data = nearest === latest.period ? latest : await api(mapUrl());
    const notice = document.getElementById("period-notice");
    notice.textContent = `${data.indicator.indicator_id} has no ${state.level === "kreis" ? "Kreis" : "Land"} values for ${requested}; ` +
      `showing ${nearest}, the nearest period with data (periods with data: ${latest.periods.join(", ")}).`;
    notice.hidden = false;
    document.body.dataset.periodMissing = String(requested);
    history.replaceState(null, "", `/map/${encodeURIComponent(state.indicator)}?level=${state.level}&period=${nearest}`);
    return data;
  }
}

async function showPeriod(period) {
  document.getElementById("period-notice").hidden = true;
  state.period = period;
  document.body.dataset.ready = "false";
  applyData(await api(mapUrl()));
  history.replaceState(null, "", `/map/${encodeURIComponent(state.indicator)}?level=${state.level}&period=${period}`);
  document.body.dataset.ready = "true";
}

async function main() {
  if (!apiKey()) return askForKey();
  readAddress();
  try {
    const catalog = await fillIndicatorPicker();
    if (!state.indicator) state.indicator = catalog[0].indicator_id;
    const levelSelect = document.getElementById("level-select");
    levelSelect.value = state.level;
    levelSelect.addEventListener("change", () => location.assign(`/map/${encodeURIComponent(state.indicator)}?level=${levelSelect.value}`));
    const [data, shapes, borders] = await Promise.all([
      loadRequested(), api(`/api/maps/geometry/${state.level}`),
      state.level === "kreis" ? api("/api/maps/geometry/land") : Promise.resolve(null)]);
    document.getElementById("map-page").hidden = false;
    drawMap(shapes, borders, data.special_classes);
    applyData(data);
    const slider = document.getElementById("period-slider");
    slider.addEventListener("input", showSliderPeriod);
    slider.addEventListener("change", () => showPeriod(sliderPeriod()).catch(showError));
    document.body.dataset.ready = "true";
  } catch (error) {
    showError(error);
  }
}

function showError(error) {
  if (error.unauthorised) return askForKey(error.message);
  const box = document.getElementById("error");
  box.textContent = `Could not load the map: ${error.message}`;
  box.hidden = false;
  document.body.dataset.error = error.message;
}

function askForKey(message = "") {
  const form = document.getElementById("key-form");
  form.hidden = false;
  document.getElementById("key-message").textContent = message;
  form.querySelector("form").addEventListener("submit", (event) => {
    event.preventDefault();
    sessionStorage.setItem(KEY_STORAGE, document.getElementById("key-input").value.trim());
    location.reload();
  }, { once: true });
}

main();
