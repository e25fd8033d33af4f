/** samplesOverDensity: one panel per q, a rect per grid cell above 0.1% of the peak, a circle per draw; errors name the field. */
import test from "ava";
import { VireoError } from "@vireo/core";
import { toSvg, samplesOverDensity } from "@vireo/plot";

test("samplesOverDensity draws the target's cells and every draw in each panel", async (t) => {
  const x = [-1, 0, 1], y = [-1, 0, 1];
  const density = [0, 1, 0, 1, 4, 1, 0, 1, 0];
  const draws = [[0.1, 0.2, -0.3, 0.4], [0.5, -0.5, 0, 0, 0.2, 0.2]];
  const svg = await toSvg(samplesOverDensity({ x, y, density }, [{ label: "a", draws: draws[0]! }, { label: "b", draws: draws[1]! }]));
  t.true(svg.includes(">a<") && svg.includes(">b<"), "a title per panel");
  const circles = [...svg.matchAll(/<g class="mark-symbol role-mark[^"]*"[^>]*>(.*?)<\/g>/gs)].map((m) => (m[1]!.match(/<path/g) ?? []).length);
  t.deepEqual(circles, [2, 3], "one circle per draw, per panel");
  const cells = [...svg.matchAll(/<g class="mark-rect role-mark[^"]*"[^>]*>(.*?)<\/g>/gs)].map((m) => (m[1]!.match(/<path/g) ?? []).length);
  t.deepEqual(cells, [5, 5], "the five cells above 0.1% of the peak, per panel");
  const e = t.throws(() => samplesOverDensity({ x, y, density: [1, 2] }, [{ label: "a", draws: [0, 0] }]), { instanceOf: VireoError });
  t.regex(e!.message, /samplesOverDensity: grid.density has 2 entries, expected 9/);
  const e2 = t.throws(() => samplesOverDensity({ x, y, density }, [{ label: "a", draws: [0, 0, 1] }]), { instanceOf: VireoError });
  t.regex(e2!.message, /panel 'a'.draws holds 3 numbers, expected \(x, y\) pairs/);
});
