/** Writes docs/reference.md from the code (run: npx -y pnpm@10.34.9 reference). */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../packages/dist.js";
import { referenceMarkdown } from "./reference.js";

writeFileSync(join(ROOT, "docs", "reference.md"), referenceMarkdown());
console.log("wrote docs/reference.md");
