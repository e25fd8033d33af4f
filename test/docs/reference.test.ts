/** docs/reference.md is what the code says today (regenerate with `npx -y pnpm@10.34.9 reference`). */
import test from "ava";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../packages/dist.js";
import { referenceMarkdown } from "./reference.js";

test("docs/reference.md lists every node's edges and every family's params() as the code has them", (t) => {
  const generated = referenceMarkdown();
  t.true(generated.includes("### Normal\n") && generated.includes("| `precision` |"));
  t.true(generated.includes("| `mean` | `number` |"));
  t.is(readFileSync(join(ROOT, "docs", "reference.md"), "utf8"), generated, "docs/reference.md is stale: run npx -y pnpm@10.34.9 reference");
});
