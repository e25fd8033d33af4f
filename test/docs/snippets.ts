/**
 * Code snippets of the Markdown docs, as the docs test runs them. Every ```ts block of a file is
 * one of three kinds, by its info string:
 *   ```ts                   runnable: the file's runnable blocks, in order, form one program (a later
 *                           block may use what an earlier one defined); type-checked, then run.
 *   ```ts excerpt <path>    a quotation of a source file: every line must occur in that file.
 *   ```ts outline           an abridged sketch (bodies elided): must parse as TypeScript.
 */
import { readFileSync } from "node:fs";

export interface Snippet {
  readonly kind: "run" | "excerpt" | "outline";
  /** For excerpts: the quoted file, relative to the repository root. */
  readonly source: string | null;
  readonly code: string;
  /** 1-based line of the opening fence. */
  readonly line: number;
}

export function snippets(markdownPath: string): Snippet[] {
  const text = readFileSync(markdownPath, "utf8");
  const out: Snippet[] = [];
  const fence = /^```(ts|typescript)([^\n]*)\n([\s\S]*?)^```\s*$/gm;
  for (let m = fence.exec(text); m; m = fence.exec(text)) {
    const info = m[2]!.trim().split(/\s+/).filter(Boolean);
    const kind = info[0] === "excerpt" ? "excerpt" : info[0] === "outline" ? "outline" : info.length === 0 ? "run" : null;
    if (kind === null) throw new Error(`${markdownPath}: unknown snippet kind '${info.join(" ")}' (use ts, ts excerpt <path> or ts outline).`);
    if (kind === "excerpt" && !info[1]) throw new Error(`${markdownPath}: an excerpt names its source file: \`\`\`ts excerpt path/to/file.ts`);
    out.push({ kind, source: kind === "excerpt" ? info[1]! : null, code: m[3]!, line: text.slice(0, m.index).split("\n").length });
  }
  return out;
}

/**
 * Joins runnable blocks into one module: import lines are merged per module (so two blocks may
 * both import ModelBuilder), everything else follows in order.
 */
export function program(blocks: readonly Snippet[]): string {
  const imports = new Map<string, { names: Set<string>; types: Set<string> }>();
  const body: string[] = [];
  const single = /^import\s+(type\s+)?\{([^}]*)\}\s+from\s+"([^"]+)";?\s*(\/\/.*)?$/;
  for (const b of blocks) {
    body.push(`// --- block at line ${b.line}`);
    for (const line of b.code.split("\n")) {
      const m = single.exec(line.trim());
      if (!m) {
        if (/^\s*import\s/.test(line)) throw new Error(`line ${b.line}: only single-line named imports are supported in snippets: ${line}`);
        body.push(line);
        continue;
      }
      const entry = imports.get(m[3]!) ?? { names: new Set<string>(), types: new Set<string>() };
      for (const name of m[2]!.split(",").map((s) => s.trim()).filter(Boolean)) {
        if (m[1] || name.startsWith("type ")) entry.types.add(name.replace(/^type\s+/, ""));
        else entry.names.add(name);
      }
      imports.set(m[3]!, entry);
    }
  }
  const head = [...imports].map(([mod, e]) => `import { ${[...e.names, ...[...e.types].filter((t) => !e.names.has(t)).map((t) => `type ${t}`)].join(", ")} } from "${mod}";`);
  return [...head, ...body, "export {};", ""].join("\n");
}
