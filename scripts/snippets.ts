/*
 * The documentation's code blocks, found by reading the Markdown (no list kept by hand, so a
 * block added to any doc is checked from then on), and the type check snippets.test.ts runs on
 * them. How a doc writer marks a block is in the comment on `Marker`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

export const root = fileURLToPath(new URL('..', import.meta.url));

/**
 * What an HTML comment on the line before a fence says about the block, e.g.
 * `<!-- snippet: partial; free: checkPassword, changePassword; after -->`:
 *
 * - `partial`: the block is not a whole program. It is checked as far as it can be: with
 *   `after`, as if pasted below the last block of the same file that is not itself `after`
 *   (its imports, types and names in scope; the block's own code in a `{ }` of its own, so it
 *   may declare a name again); `free: a, b` names what the reader's own code provides (typed
 *   `any`). Any other name the block uses and does not define is an error.
 * - `run <scenario>`: the block is also run, against a real Redis, and the test's scenario of
 *   that name exercises it (HTTP requests, Redis contents, exit).
 * - `tested-by <path>`: another test file runs the block (it must exist and name this document).
 *
 * A block with no comment is a whole program: `js` blocks must name a scenario (a JavaScript
 * snippet is only tested by running it); `ts` blocks are type-checked as they stand.
 */
export interface Marker {
  partial: boolean;
  after: boolean;
  free: string[];
  run?: string;
  testedBy?: string;
}

export interface Snippet {
  /** Path from the repo root, e.g. `docs/express.md`. */
  file: string;
  /** Line of the first line of code (1-based) in that file. */
  line: number;
  lang: string;
  code: string;
  marker: Marker;
  /** The raw marker text, for messages. */
  markerText?: string;
}

/** README.md, docs/*.md and packages/* /README.md: the Markdown a user reads. */
export function markdownFiles(): string[] {
  const files = ['README.md'];
  for (const name of readdirSync(join(root, 'docs')).sort()) if (name.endsWith('.md')) files.push(`docs/${name}`);
  for (const pkg of readdirSync(join(root, 'packages')).sort()) {
    try {
      readFileSync(join(root, 'packages', pkg, 'README.md'));
      files.push(`packages/${pkg}/README.md`);
    } catch {
      // a package without a README has nothing to check
    }
  }
  return files;
}

function parseMarker(text: string): Marker {
  const marker: Marker = { partial: false, after: false, free: [] };
  for (const part of text
    .split(';')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const [word, ...rest] = part.split(/[\s:]+/);
    if (word === 'partial') marker.partial = true;
    else if (word === 'after') marker.after = true;
    else if (word === 'free')
      marker.free = part
        .slice(part.indexOf(':') + 1)
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
    else if (word === 'run' && rest[0]) marker.run = rest[0];
    else if (word === 'tested-by' && rest[0]) marker.testedBy = rest[0];
    else throw new Error(`unknown snippet marker "${part}" in <!-- snippet: ${text} -->`);
  }
  return marker;
}

export function snippetsOf(file: string): Snippet[] {
  const lines = readFileSync(join(root, file), 'utf8').split('\n');
  const out: Snippet[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(```+|~~~+)\s*([\w+-]*)/.exec(lines[i]!);
    if (!open) continue;
    const [, indent, fence, lang] = open;
    let end = i + 1;
    while (end < lines.length && !lines[end]!.trimStart().startsWith(fence!)) end++;
    const code = lines
      .slice(i + 1, end)
      .map((l) => (l.startsWith(indent!) ? l.slice(indent!.length) : l))
      .join('\n');
    let before = i - 1;
    while (before >= 0 && lines[before]!.trim() === '') before--;
    const comment = before >= 0 ? /^\s*<!--\s*snippet:\s*(.*?)\s*-->\s*$/.exec(lines[before]!) : null;
    out.push({ file, line: i + 2, lang: lang!.toLowerCase(), code, marker: parseMarker(comment?.[1] ?? ''), markerText: comment?.[1] });
    i = end;
  }
  return out;
}

export const allSnippets = (): Snippet[] => markdownFiles().flatMap(snippetsOf);

export const where = (s: Snippet) => `${s.file}:${s.line}`;

export const isTs = (s: Snippet) => s.lang === 'ts' || s.lang === 'typescript' || s.lang === 'diff';
export const isJs = (s: Snippet) => s.lang === 'js' || s.lang === 'javascript' || s.lang === 'mjs';
export const isShell = (s: Snippet) => s.lang === 'sh' || s.lang === 'bash' || s.lang === 'shell';

/** A diff's new side: what the reader ends up with. */
export function codeOf(s: Snippet): string {
  if (s.lang !== 'diff') return s.code;
  // Removed lines become blank, so that line numbers still match the document.
  return s.code
    .split('\n')
    .map((l) => (l.startsWith('-') ? '' : l.slice(1)))
    .join('\n');
}

/** Bare module names a block imports or requires (`node:` built-ins left out). */
export function importsOf(code: string): string[] {
  const names = new Set<string>();
  for (const m of code.matchAll(/(?:\bfrom\s+|\bimport\s*\(\s*|\brequire\s*\(\s*|^\s*import\s+)['"]([^'"]+)['"]/gm)) {
    const spec = m[1]!;
    if (spec.startsWith('.') || spec.startsWith('node:')) continue;
    names.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!);
  }
  return [...names];
}

// ---------------------------------------------------------------------------------------------
// Type checking: strict + nodenext, as a user's project would, against the workspace build
// (packages resolve through node_modules to each package's dist types) and ioredis 6, the
// version `npm install ioredis` gives. One program per snippet, so that one block's
// `declare module` augmentation cannot make another block pass; parsed library files are shared.

const compilerOptions: ts.CompilerOptions = {
  strict: true,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  target: ts.ScriptTarget.ES2022,
  lib: ['lib.es2023.d.ts'],
  types: ['node'],
  noEmit: true,
  skipLibCheck: true,
  baseUrl: root,
  paths: { ioredis: ['node_modules/ioredis6'] },
  // As a Nest project sets it (docs/nestjs.md): Nest's decorators are TypeScript's legacy ones.
  experimentalDecorators: true,
};

const parsed = new Map<string, ts.SourceFile | undefined>();
const baseHost = ts.createCompilerHost(compilerOptions);

/** Splits a block into what must sit at the top of a module (imports, augmentations) and the rest. */
function split(code: string, file: string): { top: Piece[]; body: Piece[] } {
  const sf = ts.createSourceFile(file, code, ts.ScriptTarget.ES2022, true);
  const top: Piece[] = [];
  const body: Piece[] = [];
  for (const statement of sf.statements) {
    const start = statement.getStart(sf);
    const piece = { text: code.slice(start, statement.end), line: sf.getLineAndCharacterOfPosition(start).line };
    const hoisted = ts.isImportDeclaration(statement) || ts.isModuleDeclaration(statement) || ts.isImportEqualsDeclaration(statement);
    (hoisted ? top : body).push(piece);
  }
  return { top, body };
}

interface Piece {
  text: string;
  /** 0-based line of the piece's start within its block. */
  line: number;
}

/** Builds the checked module text and a map from its lines back to document lines. */
export function composeForCheck(snippet: Snippet, context: Snippet | undefined): { text: string; lines: (string | undefined)[] } {
  const out: string[] = [];
  const lines: (string | undefined)[] = [];
  const emit = (text: string, origin?: Snippet, line?: number) => {
    text.split('\n').forEach((l, i) => {
      out.push(l);
      lines.push(origin && line !== undefined ? `${origin.file}:${origin.line + line + i}` : undefined);
    });
  };
  emit('export {};');
  for (const name of new Set([...(context?.marker.free ?? []), ...snippet.marker.free])) emit(`declare const ${name}: any;`);
  if (!context) {
    emit(codeOf(snippet), snippet, 0);
    return { text: out.join('\n'), lines };
  }
  const ctx = split(codeOf(context), context.file);
  const own = split(codeOf(snippet), snippet.file);
  for (const p of ctx.top) emit(p.text, context, p.line);
  for (const p of own.top) emit(p.text, snippet, p.line);
  for (const p of ctx.body) emit(p.text, context, p.line);
  // In a block of its own, so that it may declare names the context declared too.
  emit('{');
  for (const p of own.body) emit(p.text, snippet, p.line);
  emit('}');
  return { text: out.join('\n'), lines };
}

/**
 * Type errors of snippets checked together in one program, each as
 * "docs/x.md:12: TS2304 Cannot find name 'app'.". Callers put snippets in one program only when
 * no `declare module` of one can reach another that would not see it anyway (see `programKey`).
 */
export function typeErrors(members: { snippet: Snippet; context?: Snippet }[]): Map<Snippet, string[]> {
  const files = new Map<string, { snippet: Snippet; text: string; lines: (string | undefined)[] }>();
  for (const { snippet, context } of members) {
    const name = join(root, '.tmp', 'snippets', `${snippet.file.replace(/[/.]/g, '_')}_${snippet.line}.mts`);
    files.set(name, { snippet, ...composeForCheck(snippet, context) });
  }
  const host: ts.CompilerHost = {
    ...baseHost,
    fileExists: (f) => files.has(f) || baseHost.fileExists(f),
    readFile: (f) => files.get(f)?.text ?? baseHost.readFile(f),
    getSourceFile: (f, languageVersion, onError) => {
      const own = files.get(f);
      if (own) return ts.createSourceFile(f, own.text, languageVersion, true);
      if (!parsed.has(f)) parsed.set(f, baseHost.getSourceFile(f, languageVersion, onError));
      return parsed.get(f);
    },
  };
  const program = ts.createProgram([...files.keys()], compilerOptions, host);
  const result = new Map<Snippet, string[]>();
  for (const [name, { snippet, lines }] of files) {
    const sf = program.getSourceFile(name)!;
    const diagnostics = [...program.getOptionsDiagnostics(), ...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)];
    result.set(
      snippet,
      diagnostics.map((d) => {
        const message = ts.flattenDiagnosticMessageText(d.messageText, '\n');
        const at = d.file && d.start !== undefined ? lines[d.file.getLineAndCharacterOfPosition(d.start).line] : undefined;
        return `${at ?? relative(root, name)}: TS${d.code} ${message}`;
      }),
    );
  }
  return result;
}

/**
 * Which program a snippet is checked in. A `declare module` augmentation reaches every file of
 * its program, so a block that declares one (or pastes below one that does) shares a program
 * only with blocks that see the same declaration anyway: those pasted below the same block.
 * Blocks with no augmentation at all share one program. Fewer programs: the library types
 * (Express, Fastify, ioredis, Node) are checked once per program, which is where the time goes.
 */
export function programKey(snippet: Snippet, context: Snippet | undefined): string {
  const declares = (s: Snippet) => /^\s*declare\s+module\b/m.test(codeOf(s));
  if (declares(snippet)) return where(snippet);
  if (context && declares(context)) return where(context);
  return 'no augmentation';
}

/** A TypeScript block as JavaScript that Node runs (types removed, nothing else changed). */
export function toJavaScript(code: string): string {
  return ts.transpileModule(code, {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: false },
  }).outputText;
}
