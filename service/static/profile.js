// Region profile page: reads the query service with the API key of this browser tab and draws each
// indicator as a time series (region, Land, Germany, peer group), a peer-group comparison and a table.
// When everything is drawn, <body data-ready="true"> (the headless browser test waits for it).
"use strict";

const COLORS = { region: "#1f5fa8", land: "#e07b00", germany: "#6b7280", peer: "#2e8b57", other: "#c5ccd4" };
const UNITS = { pct: "%", percentage_points: "percentage points", per_1000: "per 1,000 inhabitants" };
const number = new Intl.NumberFormat("en-GB", { maximumFractionDigits: 1, minimumFractionDigits: 1 });
const integer = new Intl.NumberFormat("en-GB", { maximumFractionDigits: 0 });
const KEY_STORAGE = "imon-api-key";
const METHODS = { counts: "from counts", median: "median of the members" };

Chart.defaults.animation = false;
Chart.defaults.font.family = getComputedStyle(document.documentElement).fontFamily;

function apiKey() {
  const fromFragment = new URLSearchParams(location.hash.slice(1)).get("key");
  if (fromFragment) {
    sessionStorage.setItem(KEY_STORAGE, fromFragment);
    history.replaceState(null, "", location.pathname + location.search);  // the key never stays in the address bar
  }
  return sessionStorage.getItem(KEY_STORAGE);
}

async function api(path, { raw = false } = {}) {
  const response = await fetch(path, { headers: { Authorization: `Bearer ${apiKey()}` } });
  if (response.status === 401) {
    sessionStorage.removeItem(KEY_STORAGE);
    throw Object.assign(new Error("The API key was not accepted."), { unauthorised: true });
  }
  if (!response.ok) {
    const body = await response.json().catch(() => ({}));
    throw new Error(body.detail || `${response.status} ${response.statusText}`);
  }
  return raw ? response : response.json();
}

function regionKeyFromPath() {
  const match = location.pathname.match(/^\/profile\/([^/]+)/);
  return match ? decodeURIComponent(match[1]) : null;
}

function shortKey(ags, level) {
  if (level === "deutschland") return "DG";
  if (level === "land") return ags.slice(0, 2);
  if (level === "kreis") return ags.slice(0, 5);
  return ags;
}

function format(value) {
  return value === null || value === undefined ? "–" : number.format(value);
}

function sources(text) {
  return (text || "").replace(/^\[|\]$/g, "").replace(/'/g, "");
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

async function fillRegionPicker(selectedKey) {
  const select = document.getElementById("region-select");
  const { data } = await api("/api/regions?with_data=true");
  const byLand = new Map();
  for (const region of data) {
    if (region.level === "deutschland") continue;
    const land = region.level === "land" ? region.ags : region.land_ags;
    if (!byLand.has(land)) byLand.set(land, []);
    byLand.get(land).push(region);
  }
  select.replaceChildren(element("option", { value: "", text: "Choose a Kreis…" }));
  for (const [, regions] of byLand) {
    const land = regions.find((r) => r.level === "land");
    const group = element("optgroup", { label: land ? land.name : regions[0].land_name || "" });
    for (const region of regions) {
      const key = shortKey(region.ags, region.level);
      const label = region.level === "land" ? `${region.name} (Land)` :
        region.level === "gemeinde" ? `  ${region.name} (Gemeinde ${key})` : `${region.name} (${key})`;
      group.append(element("option", { value: key, text: label, ...(key === selectedKey ? { selected: "" } : {}) }));
    }
    select.append(group);
  }
  select.disabled = false;
  select.addEventListener("change", () => {
    if (select.value) location.assign(`/profile/${encodeURIComponent(select.value)}`);
  });
}

function timeSeriesChart(canvas, indicator, names) {
  const periods = indicator.series.map((row) => row.period);
  const line = (label, key, color, dashed = false) => ({
    label, data: indicator.series.map((row) => row[key]), borderColor: color, backgroundColor: color,
    borderDash: dashed ? [6, 4] : [], pointRadius: 4, spanGaps: true,
  });
  // a series can be partly real and partly generated offline: generated points are hollow triangles
  const region = line(names.region, "value", COLORS.region);
  region.pointStyle = indicator.series.map((row) => (row.is_synthetic ? "triangle" : "circle"));
  region.pointBackgroundColor = indicator.series.map((row) => (row.is_synthetic ? "#ffffff" : COLORS.region));
  const datasets = [region];
  if (names.land) datasets.push(line(names.land, "land_value", COLORS.land));
  datasets.push(line("Germany", "germany_value", COLORS.germany));
  if (indicator.series.some((row) => row.peer_value !== null && row.peer_value !== undefined)) {
    datasets.push(line("Peer group", "peer_value", COLORS.peer, true));
  }
  return new Chart(canvas, {
    type: "line",
    data: { labels: periods, datasets },
    options: {
      maintainAspectRatio: false,
      plugins: { legend: { position: "bottom", labels: { boxWidth: 12 } } },
      scales: { x: { offset: true }, y: { title: { display: true, text: UNITS[indicator.unit] || indicator.unit } } },
    },
  });
}

function peerChart(canvas, indicator, names) {
  const peers = indicator.peers;
  if (peers.length) {
    const latest = indicator.series.filter((row) => row.period === peers[0].period)[0] || {};
    return new Chart(canvas, {
      type: "bar",
      data: {
        labels: peers.map((p) => p.name),
        datasets: [{
          label: `${peers[0].period}: ${names.region} among its peer group`,
          data: peers.map((p) => p.value),
          backgroundColor: peers.map((p) => (p.is_region ? COLORS.region : COLORS.other)),
        }],
      },
      options: {
        maintainAspectRatio: false,
        plugins: {
          legend: { display: false },
          title: { display: true, align: "start", text: `Group value ${format(latest.peer_value)} (${METHODS[latest.peer_method] || "–"})` },
          subtitle: { display: true, align: "start", padding: { bottom: 10 }, text: `${peers.length} Kreise of the group in ${peers[0].period}, this one in blue` },
        },
        scales: { x: { ticks: { display: false }, grid: { display: false } }, y: { beginAtZero: true } },
      },
    });
  }
  // no peer group (Land, Gemeinde): the latest period against Land and Germany
  const row = indicator.series[indicator.series.length - 1] || {};
  const bars = [[names.region, row.value, COLORS.region], [names.land, row.land_value, COLORS.land], ["Germany", row.germany_value, COLORS.germany]]
    .filter(([label]) => label);
  return new Chart(canvas, {
    type: "bar",
    data: { labels: bars.map((b) => b[0]), datasets: [{ data: bars.map((b) => b[1]), backgroundColor: bars.map((b) => b[2]) }] },
    options: { maintainAspectRatio: false, indexAxis: "y", plugins: { legend: { display: false } } },
  });
}

function valueTable(indicator, names) {
  const others = names.otherGroups;
  const withNotes = indicator.series.some((row) => row.flag || row.is_synthetic);
  const note = (row) => [(row.flag || "").replace(/_/g, " "), row.is_synthetic ? "generated offline data, not official" : ""]
    .filter(Boolean).join("; ");
  const groupValue = (row, group) => (row.groups || []).find((g) => g.group_id === group.group_id) || {};
  const header = element("tr", {},
    element("th", { text: "Period" }), element("th", { text: names.region.split(",")[0], class: "key-region" }),
    ...(names.land ? [element("th", { text: names.land })] : []), element("th", { text: "Germany" }),
    element("th", { text: "Peer group" }), ...others.map((g) => element("th", { text: g.group_name })),
    ...(withNotes ? [element("th", { text: "Note" })] : []));
  const rows = indicator.series.map((row) => element("tr", row.is_synthetic ? { class: "synthetic" } : {},
    element("td", { text: String(row.period) }), element("td", { text: format(row.value), class: "key-region" }),
    ...(names.land ? [element("td", { text: format(row.land_value) })] : []), element("td", { text: format(row.germany_value) }),
    element("td", { text: format(row.peer_value), title: METHODS[row.peer_method] || "" }),
    ...others.map((g) => element("td", { text: format(groupValue(row, g).peer_value), title: METHODS[groupValue(row, g).peer_method] || "" })),
    ...(withNotes ? [element("td", { text: note(row), class: "flag" })] : [])));
  return element("div", { class: "table-box" }, element("table", {}, element("thead", {}, header), element("tbody", {}, ...rows)));
}

// what changed in which version (the changelog lines of the indicator's SQL header), so a county sees why a value moved
function versionHistory(indicator) {
  const entries = indicator.changelog || [];
  const summary = element("summary", { text: `Version ${indicator.version}` + (entries.length ? ` · history` : "") });
  const box = element("details", { class: "meta version-history" }, summary);
  if (entries.length) {
    box.append(element("ul", {}, ...entries.map((entry) =>
      element("li", { text: `Version ${entry.version}${entry.date ? ` (${entry.date})` : ""}: ${entry.change}` }))));
  }
  return box;
}

function indicatorCard(indicator, names) {
  const card = element("article", { class: "indicator", id: `indicator-${indicator.indicator_id}`, "data-indicator": indicator.indicator_id });
  card.append(
    element("h2", { text: `${indicator.indicator_id} · ${indicator.name_en}` }),
    element("p", { class: "name-de", text: `${indicator.name_de} · ${UNITS[indicator.unit] || indicator.unit}` }),
  );
  if (!indicator.series.length) {
    card.append(element("p", { class: "no-data", text: "No values for this region." }));
    return { card, draw: () => {} };
  }
  const timeCanvas = element("canvas", { "aria-label": `${indicator.indicator_id} over time`, role: "img" });
  const peerCanvas = element("canvas", { "aria-label": `${indicator.indicator_id} in the peer group`, role: "img" });
  card.append(
    element("div", { class: "charts" },
      element("div", { class: "chart" }, element("h3", { text: "Over time" }), element("div", { class: "canvas-box" }, timeCanvas)),
      element("div", { class: "chart" }, element("h3", { text: indicator.peers.length ? "Peer-group comparison" : "Latest period" }),
        element("div", { class: "canvas-box" }, peerCanvas))),
    valueTable(indicator, names),
    element("div", { class: "locator-box" }),
    element("p", { class: "definition", text: indicator.definition || "" }),
    element("p", { class: "meta", text: `Numerator: ${indicator.numerator || "–"} · Denominator: ${indicator.denominator || "–"}` }),
    element("p", { class: "meta", text: `Sources: ${sources(indicator.sources)} · Reference date: ${indicator.reference_date || "–"}` }),
    ...(indicator.caveats ? [element("p", { class: "meta", text: `Caveats: ${indicator.caveats}` })] : []),
    versionHistory(indicator),
  );
  return { card, draw: () => { timeSeriesChart(timeCanvas, indicator, names); peerChart(peerCanvas, indicator, names); } };
}

async function download(key, formatName) {
  const response = await api(`/api/regions/${encodeURIComponent(key)}/profile?format=${formatName}`, { raw: true });
  const blob = await response.blob();
  const link = element("a", { href: URL.createObjectURL(blob), download: `imon_profile_${key}.${formatName}` });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10000);
}

async function showProfile(key) {
  const profile = await api(`/api/regions/${encodeURIComponent(key)}/profile`);
  const { region, land, peer_group: peerGroup } = profile;
  const names = { region: region.name, land: land ? land.name : null, otherGroups: profile.other_groups || [] };
  document.title = `imon · ${region.name}`;
  document.getElementById("region-name").textContent = region.name;
  const facts = [`${region.level[0].toUpperCase()}${region.level.slice(1)} ${shortKey(region.ags, region.level)}`];
  if (land) facts.push(land.name);
  if (region.population) facts.push(`${integer.format(region.population)} inhabitants`);
  document.getElementById("region-facts").textContent = facts.join(" · ");
  const others = (profile.other_groups || []).map((g) => `${g.group_name} (${g.members.length})`);
  document.getElementById("peer-group").textContent = peerGroup
    ? `Peer group (Vergleichsring): ${peerGroup.group_name}, ${peerGroup.members.length} Kreise including this one.`
      + (others.length ? ` Also compared with: ${others.join(", ")}.` : "")
    : "No peer group at this level; compared with Land and Germany.";
  document.getElementById("snapshot").textContent = `Published snapshot ${profile.snapshot}.`;
  for (const button of document.querySelectorAll("#downloads button")) {
    button.addEventListener("click", () => download(key, button.dataset.format).catch(showError));
  }
  const container = document.getElementById("indicators");
  const cards = profile.indicators.map((indicator) => indicatorCard(indicator, names));
  container.replaceChildren(...cards.map((c) => c.card));
  document.getElementById("profile").hidden = false;
  cards.forEach((c) => c.draw());
  document.body.dataset.indicators = String(cards.length);
  document.body.dataset.charts = String(document.querySelectorAll("canvas").length);
  await drawLocators(key, region).catch((error) => { document.body.dataset.locatorError = error.message; });
}

// A small map per indicator: the Kreise of the region's Land (the Länder for a Land) in the indicator's classes
// of the latest period, the region outlined (service/maps.py classifies; d3 draws the boundaries it serves).
async function drawLocators(key, region) {
  if (region.level === "deutschland") return;
  const level = region.level === "land" ? "land" : "kreis";
  const [locator, shapes] = await Promise.all([
    api(`/api/maps/locator/${encodeURIComponent(key)}`), api(`/api/maps/geometry/${level}`)]);
  const features = level === "land" ? shapes.features : shapes.features.filter((f) => f.id.startsWith(locator.land));
  const [width, height] = [260, 260];
  const projection = d3.geoConicConformal().parallels([48.67, 53.67]).rotate([-10.5, 0])
    .fitSize([width, height], { type: "FeatureCollection", features });
  const path = d3.geoPath(projection);
  const outlines = features.map((f) => [f.id, path(f)]);
  let drawn = 0;
  for (const box of document.querySelectorAll(".indicator .locator-box")) {
    const indicatorId = box.closest(".indicator").dataset.indicator;
    const map = locator.indicators[indicatorId];
    if (!map) continue;
    const fills = map.fills;
    const svg = d3.create("svg").attr("viewBox", `0 0 ${width} ${height}`).attr("class", "locator").attr("role", "img")
      .attr("aria-label", `${indicatorId} ${map.period}: ${region.name} among the regions of ${level === "land" ? "Germany" : "its Land"}`);
    for (const [id, d] of outlines) {
      const classId = map.regions[id] || "no_value";
      svg.append("path").attr("d", d).attr("class", "locator-region").attr("data-key", id)
        .attr("fill", fills[classId] || `url(#hatch-${classId})`);
    }
    const mine = outlines.find(([id]) => id === locator.region);
    if (mine) svg.append("path").attr("d", mine[1]).attr("class", "locator-highlight");
    const link = element("a", { href: `/map/${encodeURIComponent(indicatorId)}?level=${level}&period=${map.period}`, text: "Open the map" });
    box.replaceChildren(element("figure", { class: "locator-figure" }, svg.node(),
      element("figcaption", { text: `${map.period}: ${region.name} outlined, ${level === "land" ? "the Länder" : "the Kreise of its Land"} `
        + `in the classes of the map (${map.classes.map((c) => c.label).join("; ") || "no official values: hatched"}). ` }, link)));
    drawn += 1;
  }
  document.body.dataset.locators = String(drawn);
}

function showError(error) {
  if (error.unauthorised) return askForKey(error.message);
  const box = document.getElementById("error");
  box.textContent = `Could not load the profile: ${error.message}`;
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

async function main() {
  if (!apiKey()) return askForKey();
  const key = regionKeyFromPath();
  try {
    await fillRegionPicker(key);
    if (key) {
      await showProfile(key);
    } else {
      document.getElementById("profile").hidden = false;
      document.getElementById("choose-hint").hidden = false;
      document.querySelector(".region").hidden = true;
    }
    document.body.dataset.ready = "true";
  } catch (error) {
    showError(error);
  }
}

main();
