/**
 * The reference generated from the code (docs/reference.md): every registered node type's edges
 * (from the registry: built-in pack and the plugin packs) and every family's params() shape (from
 * the TypeScript declarations of its fromNatural, with their doc comments).
 */
import { join } from "node:path";
import ts from "typescript";
import { createRegistry, type Registry } from "@vireo/runtime";
import { studentTPack, logisticPack } from "@vireo/plugins";
import { ROOT } from "../packages/dist.js";

function registry(): Registry {
  return createRegistry(studentTPack, logisticPack);
}

const cell = (s: string) => s.replace(/\|/g, "\\|").replace(/\n/g, " ");

function nodeSection(r: Registry): string[] {
  const lines = ["## Node types and their edges", "", "Packs: " + r.packs().join(", ") + ".", ""];
  for (const name of r.nodeNames()) {
    const node = r.node(name);
    lines.push(`### ${name}`, "", "| edge | family | notes |", "|---|---|---|");
    for (const e of node.edges) {
      const notes = [e.doc ?? "", e.knownOnly ? "data or constants only" : "", e.allInstances ? "reads every instance" : ""].filter(Boolean).join("; ");
      lines.push(`| \`${e.name}\` | ${cell(e.family)} | ${cell(notes)} |`);
    }
    lines.push("");
  }
  return lines;
}

function familySection(r: Registry): string[] {
  const program = ts.createProgram([join(ROOT, "core", "src", "index.ts")], {
    target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler, strict: true, noEmit: true, skipLibCheck: true, types: [],
  });
  const checker = program.getTypeChecker();
  const index = program.getSourceFile(join(ROOT, "core", "src", "index.ts"))!;
  const exported = new Map(checker.getExportsOfModule(checker.getSymbolAtLocation(index)!).map((s) => [s.name, s]));
  const lines = ["## Families and the shape of `params()`", "", "`posterior.as(Family).params()` returns these fields (dimensioned families are written `Name(d)`).", ""];
  for (const name of r.familyNames()) {
    let fam;
    try {
      fam = r.family(name);
    } catch {
      fam = r.family(`${name}(2)`);
    }
    const cls = exported.get(fam.constructor.name);
    lines.push(`### ${fam.dim === 1 && fam.key === name ? name : `${name}(d)`}`, "");
    if (!cls) {
      lines.push(`(class ${fam.constructor.name} is not exported from @vireo/core)`, "");
      continue;
    }
    const classSym = cls.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(cls) : cls;
    const instance = checker.getDeclaredTypeOfSymbol(classSym);
    const fromNatural = instance.getProperty("fromNatural")!;
    const sig = checker.getTypeOfSymbolAtLocation(fromNatural, index).getCallSignatures()[0]!;
    const params = checker.getReturnTypeOfSignature(sig);
    lines.push(`\`${checker.typeToString(params)}\`${fam.coupledRows ? " (one object for the whole chain)" : ""}`, "", "| field | type | meaning |", "|---|---|---|");
    for (const p of params.getProperties()) {
      const type = checker.typeToString(checker.getTypeOfSymbolAtLocation(p, index)).replace(/<ArrayBufferLike>/g, "");
      const doc = ts.displayPartsToString(p.getDocumentationComment(checker));
      lines.push(`| \`${p.name}\` | \`${cell(type)}\` | ${cell(doc)} |`);
    }
    lines.push("");
  }
  return lines;
}

/** The whole reference page. */
export function referenceMarkdown(): string {
  const r = registry();
  return [
    "# Reference: node edges and posterior parameters",
    "",
    "Generated from the code by `npx -y pnpm@10.34.9 reference` (test/docs/reference.ts); the test suite",
    "fails when this page is out of date.",
    "",
    ...nodeSection(r),
    ...familySection(r),
  ].join("\n");
}
