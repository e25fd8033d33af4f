/**
 * The browser page: fetches Old Faithful, fits the mixture, runs the online stream, and shows the
 * numbers (full precision in data-value attributes, for the test) and two small SVG drawings.
 * Loaded as one bundled script under `script-src 'self'`: no inline code, no eval.
 */
import { fitFaithful, runStream, type Cluster, type StreamStep } from "./fit.js";

const SVG = "http://www.w3.org/2000/svg";

function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

function svg(tag: string, attrs: Record<string, string | number>): SVGElement {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  return e;
}

/** A number cell: rounded for reading, exact (17 significant digits) in data-value for the test. */
function num(v: number, digits: number, name: string): HTMLTableCellElement {
  return el("td", { "data-name": name, "data-value": v.toPrecision(17) }, v.toFixed(digits));
}

/** Scatter of the data with each cluster's 2-standard-deviation ellipse. */
function drawClusters(points: readonly number[], clusters: readonly Cluster[]): SVGElement {
  const W = 420, H = 300, pad = 30;
  const xs = points.filter((_, i) => i % 2 === 0), ys = points.filter((_, i) => i % 2 === 1);
  const [x0, x1, y0, y1] = [Math.min(...xs) - 0.3, Math.max(...xs) + 0.3, Math.min(...ys) - 5, Math.max(...ys) + 5];
  const sx = (x: number) => pad + ((x - x0) / (x1 - x0)) * (W - 2 * pad);
  const sy = (y: number) => H - pad - ((y - y0) / (y1 - y0)) * (H - 2 * pad);
  const root = svg("svg", { width: W, height: H, viewBox: `0 0 ${W} ${H}`, id: "clusters" });
  for (let i = 0; i < xs.length; i++) root.append(svg("circle", { cx: sx(xs[i]!), cy: sy(ys[i]!), r: 2, class: "point" }));
  for (const c of clusters) {
    const [a, b, , d] = c.covariance;
    // Eigen-decomposition of the 2×2 covariance gives the ellipse's axes; drawn as a path in data units.
    const tr = a + d, det = a * d - b * b, disc = Math.sqrt(Math.max(0, (tr * tr) / 4 - det));
    const l1 = tr / 2 + disc, l2 = tr / 2 - disc, angle = Math.atan2(l1 - a, b === 0 ? 1e-300 : b);
    const path: string[] = [];
    for (let t = 0; t <= 64; t++) {
      const u = (2 * Math.PI * t) / 64;
      const ex = 2 * Math.sqrt(l1) * Math.cos(u), ey = 2 * Math.sqrt(Math.max(l2, 0)) * Math.sin(u);
      const px = c.mean[0] + ex * Math.cos(angle) - ey * Math.sin(angle), py = c.mean[1] + ex * Math.sin(angle) + ey * Math.cos(angle);
      path.push(`${t === 0 ? "M" : "L"}${sx(px).toFixed(1)},${sy(py).toFixed(1)}`);
    }
    root.append(svg("path", { d: path.join(""), class: "ellipse" }));
    root.append(svg("circle", { cx: sx(c.mean[0]), cy: sy(c.mean[1]), r: 4, class: "centre" }));
  }
  return root;
}

/** The stream's ELBO figure per step. */
function drawTrace(steps: readonly StreamStep[]): SVGElement {
  const W = 420, H = 160, pad = 30;
  const e = steps.map((s) => s.elbo);
  const [lo, hi] = [Math.min(...e), Math.max(...e)];
  const sx = (i: number) => pad + (i / Math.max(1, steps.length - 1)) * (W - 2 * pad);
  const sy = (v: number) => H - pad - ((v - lo) / (hi - lo || 1)) * (H - 2 * pad);
  const root = svg("svg", { width: W, height: H, viewBox: `0 0 ${W} ${H}`, id: "trace" });
  root.append(svg("path", { d: e.map((v, i) => `${i === 0 ? "M" : "L"}${sx(i).toFixed(1)},${sy(v).toFixed(1)}`).join(""), class: "line" }));
  return root;
}

async function main(): Promise<void> {
  const status = document.getElementById("status")!;
  const csv = await (await fetch("faithful.csv")).text();
  const fit = fitFaithful(csv);
  const table = el("table", { id: "fit" });
  table.append(el("tr", {}, ""));
  table.rows[0]!.append(el("th", {}, "weight"), el("th", {}, "eruptions"), el("th", {}, "waiting"));
  fit.clusters.forEach((c, k) => {
    const row = el("tr");
    row.append(num(c.weight, 3, `weight${k}`), num(c.mean[0], 2, `mean${k}.0`), num(c.mean[1], 1, `mean${k}.1`));
    table.append(row);
  });
  const summary = el("p", {}, `${fit.rows} eruptions, ${fit.sweeps} CAVI sweeps, final ELBO `);
  summary.append(el("span", { "data-name": "elbo", "data-value": fit.elbo.at(-1)!.toPrecision(17) }, fit.elbo.at(-1)!.toFixed(4)));
  document.getElementById("gmm")!.append(summary, table, drawClusters(fit.points, fit.clusters));

  const steps = await runStream();
  const last = steps.at(-1)!;
  const streamSummary = el("p", {}, "online mixture (forgetting 0.7): step ");
  streamSummary.append(el("span", { "data-name": "stream.step", "data-value": String(last.step) }, String(last.step)), document.createTextNode(", ELBO per batch "));
  streamSummary.append(el("span", { "data-name": "stream.elbo", "data-value": last.elbo.toPrecision(17) }, last.elbo.toFixed(2)));
  const means = el("p", {}, "component means: ");
  last.mu.forEach((v, i) => means.append(el("span", { "data-name": `stream.mu${i}`, "data-value": v.toPrecision(17), class: "mu" }, v.toFixed(3))));
  document.getElementById("stream")!.append(streamSummary, means, drawTrace(steps));
  status.textContent = "done";
  status.setAttribute("data-state", "done");
}

main().catch((e: unknown) => {
  const status = document.getElementById("status")!;
  status.textContent = `failed: ${e instanceof Error ? e.message : String(e)}`;
  status.setAttribute("data-state", "failed");
});
