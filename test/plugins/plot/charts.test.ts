/**
 * One structural snapshot per chart kind (not pixels): the sequence of Vega mark groups with the
 * number of items each draws, and the text the chart shows (titles, axis labels, legends, words).
 * Plus exact checks per kind (one ellipse per cluster, one rect per pixel, …), PNG output, and
 * errors that name the chart and field.
 */
import test, { type ExecutionContext } from "ava";
import { VireoError } from "@vireo/core";
import {
  toSvg, svgToPng, elboTrace, posteriorDensities, clusterEllipses, ellipsePoints, topicWords, tracks, imageGrid, calibration, type TopLevelSpec,
} from "@vireo/plot";

interface Structure {
  readonly marks: string[];
  readonly texts: string[];
}

/** Mark groups in document order as "type/role: items", and every <text> content. */
function structure(svg: string): Structure {
  const marks: string[] = [];
  const re = /<g class="mark-(\w+) role-([\w-]+)[^"]*"[^>]*>/g;
  const starts: { at: number; label: string }[] = [];
  for (let m = re.exec(svg); m; m = re.exec(svg)) starts.push({ at: m.index + m[0].length, label: `${m[1]}/${m[2]}` });
  starts.forEach((s, i) => {
    const body = svg.slice(s.at, i + 1 < starts.length ? starts[i + 1]!.at : svg.length);
    // Drawn items, not the frames' background and foreground outlines.
    const items = (body.match(/<(path|text|circle|line|rect)\b(?![^>]*class="(background|foreground)")/g) ?? []).length;
    marks.push(`${s.label}: ${items}`);
  });
  const texts = [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]!);
  return { marks, texts };
}

/** Items drawn by the mark groups of one type/role (e.g. "line/mark"). */
function count(s: Structure, label: string): number[] {
  return s.marks.filter((m) => m.startsWith(`${label}:`)).map((m) => Number(m.split(": ")[1]));
}

async function check(t: ExecutionContext, spec: TopLevelSpec): Promise<Structure> {
  const svg = await toSvg(spec);
  t.true(svg.startsWith("<svg"));
  const s = structure(svg);
  t.snapshot(s);
  return s;
}

const grid = Array.from({ length: 41 }, (_, i) => -4 + i / 5);
const normalPdf = (m: number, sd: number) => grid.map((x) => Math.exp(-0.5 * ((x - m) / sd) ** 2) / (sd * Math.sqrt(2 * Math.PI)));

test("elboTrace: one line per series, a band only for the Monte Carlo series", async (t) => {
  const e = Array.from({ length: 30 }, (_, i) => -100 + 80 * (1 - Math.exp(-i / 5)));
  const s = await check(t, elboTrace([{ label: "BBVI", elbo: e, standardError: e.map(() => 2) }, { label: "CAVI", elbo: e.map((v) => v + 3) }]));
  // Vega draws one line group per colour: two series, two lines; one band.
  t.deepEqual(count(s, "line/mark"), [1, 1]);
  t.deepEqual(count(s, "area/mark"), [1]);
  t.true(s.texts.includes("BBVI") && s.texts.includes("CAVI") && s.texts.includes("ELBO"));
});

test("posteriorDensities: a panel per curve with its interval area and mean rule", async (t) => {
  const s = await check(t, posteriorDensities([
    { label: "mu", x: grid, density: normalPdf(0.5, 0.6), interval: [-0.676, 1.676], mean: 0.5 },
    { label: "w", x: grid, density: normalPdf(-1, 0.4), interval: [-1.784, -0.216], mean: -1 },
  ]));
  t.deepEqual(count(s, "line/mark"), [1, 1]);
  t.deepEqual(count(s, "area/mark"), [1, 1]);
  t.deepEqual(count(s, "rule/mark"), [1, 1]);
  t.true(s.texts.includes("mu") && s.texts.includes("w"));
});

test("clusterEllipses: one ellipse and one centre per cluster over every data point", async (t) => {
  const pts: number[] = [];
  for (let i = 0; i < 40; i++) pts.push(i % 2 ? 3 + Math.sin(i) : -2 + Math.cos(i), i % 2 ? 1 + Math.cos(i) : -1 + Math.sin(i));
  const clusters = [
    { mean: [-2, -1] as const, covariance: [0.5, 0.1, 0.1, 0.25] as const, weight: 0.4 },
    { mean: [3, 1] as const, covariance: [0.5, 0.3, 0.3, 2] as const, weight: 0.6 },
  ];
  const s = await check(t, clusterEllipses(pts, clusters, { assignment: Array.from({ length: 40 }, (_, i) => i % 2) }));
  t.deepEqual(count(s, "line/mark"), [1, 1]); // one line group per cluster colour
  t.deepEqual(count(s, "symbol/mark").reduce((a, b) => a + b, 0), 40 + 2);
  t.true(s.texts.includes("component 1 (40%)") && s.texts.includes("component 2 (60%)"));
});

test("ellipsePoints: every point lies on the 2-sd contour (v − μ)ᵀ Σ⁻¹ (v − μ) = 4", (t) => {
  const cov = [0.5, 0.3, 0.3, 2] as const, det = 0.5 * 2 - 0.09;
  for (const [x, y] of ellipsePoints([3, 1], cov, 2, 36)) {
    const dx = x - 3, dy = y - 1;
    t.true(Math.abs((cov[3] * dx * dx - 2 * cov[1] * dx * dy + cov[0] * dy * dy) / det - 4) < 1e-12);
  }
});

test("topicWords: the top words of each topic in probability order", async (t) => {
  const vocab = ["love", "marriage", "sister", "money", "house", "letter"];
  const topics = [0.5, 0.2, 0.1, 0.1, 0.05, 0.05, 0.05, 0.05, 0.1, 0.2, 0.2, 0.4];
  const s = await check(t, topicWords(topics, 2, vocab, { top: 3 }));
  t.deepEqual(count(s, "rect/mark"), [6]);
  // Topic 1 then topic 2, rank by rank; ties keep vocabulary order.
  t.deepEqual(s.texts.filter((w) => vocab.includes(w)), ["love", "marriage", "sister", "letter", "money", "house"]);
});

test("tracks: a band, a mean, the truth and the observations per panel", async (t) => {
  const time = Array.from({ length: 20 }, (_, i) => i);
  const s = await check(t, tracks([
    { label: "x", time, mean: time.map((i) => Math.sin(i / 4)), sd: time.map(() => 0.2), truth: time.map((i) => Math.sin(i / 4) + 0.05), observed: time.map((i) => Math.sin(i / 4) + 0.2 * Math.cos(3 * i)) },
    { label: "y", time, mean: time.map((i) => Math.cos(i / 4)), sd: time.map(() => 0.3) },
  ]));
  t.deepEqual(count(s, "area/mark"), [1, 1]);
  t.deepEqual(count(s, "line/mark"), [1, 1, 1]);
  t.deepEqual(count(s, "symbol/mark"), [20]);
});

test("imageGrid: one rect per pixel and a caption per image", async (t) => {
  const images = Array.from({ length: 6 }, (_, n) => Array.from({ length: 16 }, (_, p) => ((p + n) % 16) / 15));
  const s = await check(t, imageGrid(images, 4, 4, { columns: 3, captions: images.map((_, i) => `#${i}`) }));
  t.deepEqual(count(s, "rect/mark"), [6 * 16]);
  t.deepEqual(s.texts.filter((x) => x.startsWith("#")), ["#0", "#1", "#2", "#3", "#4", "#5"]);
});

test("calibration: the diagonal, the series and its whiskers", async (t) => {
  const s = await check(t, calibration([{ label: "coverage", expected: [0.1, 0.5, 0.9], observed: [0.12, 0.48, 0.91], standardError: [0.01, 0.02, 0.01] }]));
  t.deepEqual(count(s, "line/mark"), [1, 1]);
  t.deepEqual(count(s, "rule/mark"), [3]);
});

test("svgToPng: a PNG twice the SVG's size", async (t) => {
  const svg = await toSvg(calibration([{ label: "c", expected: [0.5], observed: [0.5] }]));
  const png = svgToPng(svg, 2);
  t.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const [w, h] = [Number(/width="(\d+)"/.exec(svg)![1]), Number(/height="(\d+)"/.exec(svg)![1])];
  t.is(view.getUint32(16), 2 * w);
  t.is(view.getUint32(20), 2 * h);
});

test("bad data is refused naming the chart and the field", (t) => {
  const e1 = t.throws(() => elboTrace([{ label: "a", elbo: [1, Number.NaN] }]), { instanceOf: VireoError });
  t.regex(e1.message, /elboTrace: series 'a'\.elbo\[1\] is NaN/);
  const e2 = t.throws(() => clusterEllipses([1, 2, 3], []), { instanceOf: VireoError });
  t.regex(e2.message, /clusterEllipses: points holds 3 numbers/);
  const e3 = t.throws(() => clusterEllipses([0, 0], [{ mean: [0, 0], covariance: [1, 2, 2, 1] }]), { instanceOf: VireoError });
  t.regex(e3.message, /not positive definite/);
  const e4 = t.throws(() => imageGrid([[0, 2]], 1, 2), { instanceOf: VireoError });
  t.regex(e4.message, /images\[0\]\[1\] = 2 is outside \[0, 1\]/);
});
