/** copy(): a dense row-major copy of any strided view, checked against element-by-element get(). */
import test from "ava";
import { array, copy, isDenseRowMajor } from "@vireo/core";

function expectSame(t: import("ava").ExecutionContext, view: ReturnType<typeof array>): void {
  const c = copy(view);
  t.deepEqual(c.shape, view.shape);
  t.true(isDenseRowMajor(c));
  const [m, n, p] = [view.shape[0]!, view.shape[1] ?? 1, view.shape[2] ?? 1];
  let k = 0;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      for (let l = 0; l < p; l++) {
        const want = view.dimension === 1 ? view.get(i) : view.dimension === 2 ? view.get(i, j) : view.get(i, j, l);
        t.is(c.data[k++], want);
      }
    }
  }
}

test("copy: transposed, reversed, stepped and offset views equal their elements read one by one", (t) => {
  const base = array(Float64Array.from({ length: 60 }, (_, i) => i * 1.5 - 7), [3, 4, 5]);
  expectSame(t, base);
  expectSame(t, base.transpose(2, 0, 1));
  expectSame(t, base.step(-1, 2, -2));
  expectSame(t, base.hi(2, 3, 4).lo(1, 1, 1));
  const m = array(Float64Array.from({ length: 12 }, (_, i) => i), [3, 4]);
  expectSame(t, m.transpose(1, 0));
  expectSame(t, m.pick(null, 2));
  t.is(copy(array(new Float64Array(0), [0, 3])).size, 0);
});

test("copy: the copy does not share the buffer", (t) => {
  const a = array([1, 2, 3, 4], [2, 2]);
  const c = copy(a);
  c.data[0] = 99;
  t.is(a.get(0, 0), 1);
});
