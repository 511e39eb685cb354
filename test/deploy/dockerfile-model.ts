/**
 * A Dockerfile read into stages and instructions (Dockerfile reference: line continuations with `\`,
 * `#` comment lines, ARG before the first FROM usable in FROM, exec form as a JSON array), and the
 * .dockerignore rules (Go filepath.Match patterns plus `**`, `!` re-includes, later rules win, a rule
 * matching a directory covers everything under it).
 */
export interface Instruction {
  readonly keyword: string;
  /** Text after the keyword, continuations joined. */
  readonly args: string;
  readonly line: number;
}

export interface Stage {
  readonly name: string | null;
  /** The base image with build arguments substituted. */
  readonly image: string;
  readonly instructions: readonly Instruction[];
}

export class DockerfileError extends Error {
  constructor(readonly line: number, message: string) {
    super(`Dockerfile:${line}: ${message}`);
    this.name = 'DockerfileError';
  }
}

export function parseInstructions(text: string): Instruction[] {
  const out: Instruction[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const start = i + 1;
    let l = lines[i]!;
    if (/^\s*(#|$)/.test(l)) continue;
    while (/\\\s*$/.test(l) && i + 1 < lines.length) {
      l = l.replace(/\\\s*$/, ' ');
      i++;
      if (!/^\s*#/.test(lines[i]!)) l += lines[i]!.trim();
    }
    const m = /^\s*([A-Za-z]+)\s+(.*)$/.exec(l);
    if (!m) throw new DockerfileError(start, `not an instruction: '${l.trim()}'`);
    out.push({ keyword: m[1]!.toUpperCase(), args: m[2]!.trim(), line: start });
  }
  return out;
}

export function parseStages(text: string): Stage[] {
  const args = new Map<string, string>();
  const stages: { name: string | null; image: string; instructions: Instruction[] }[] = [];
  for (const ins of parseInstructions(text)) {
    if (ins.keyword === 'ARG' && stages.length === 0) {
      const m = /^([A-Za-z_][A-Za-z0-9_]*)(?:=(.*))?$/.exec(ins.args);
      if (!m) throw new DockerfileError(ins.line, `bad ARG '${ins.args}'`);
      args.set(m[1]!, m[2] ?? '');
      continue;
    }
    if (ins.keyword === 'FROM') {
      const m = /^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i.exec(ins.args);
      if (!m) throw new DockerfileError(ins.line, `bad FROM '${ins.args}'`);
      const image = m[1]!.replace(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g, (_, n: string) => {
        if (!args.has(n)) throw new DockerfileError(ins.line, `FROM uses undeclared ARG ${n}`);
        return args.get(n)!;
      });
      stages.push({ name: m[2] ?? null, image, instructions: [] });
      continue;
    }
    if (stages.length === 0) throw new DockerfileError(ins.line, `${ins.keyword} before the first FROM`);
    stages[stages.length - 1]!.instructions.push(ins);
  }
  return stages;
}

/** `["a", "b"]` (exec form) → array; anything else is shell form → null. */
export function execForm(args: string): string[] | null {
  if (!args.startsWith('[')) return null;
  const v = JSON.parse(args) as unknown;
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) return null;
  return v as string[];
}

export interface CopyInstruction {
  readonly from: string | null;
  readonly sources: readonly string[];
  readonly dest: string;
  readonly line: number;
}

export function parseCopy(ins: Instruction): CopyInstruction {
  const words = execForm(ins.args) ?? ins.args.split(/\s+/);
  const flags = words.filter((w) => w.startsWith('--'));
  const paths = words.filter((w) => !w.startsWith('--'));
  if (paths.length < 2) throw new DockerfileError(ins.line, `COPY needs a source and a destination: '${ins.args}'`);
  const from = flags.map((f) => /^--from=(.+)$/.exec(f)?.[1]).find((x) => x !== undefined) ?? null;
  return { from, sources: paths.slice(0, -1), dest: paths[paths.length - 1]!, line: ins.line };
}

/** The variables an ENV instruction sets (`K=V K2="V 2"` form, or the legacy `K V`). */
export function parseEnv(args: string): Map<string, string> {
  const out = new Map<string, string>();
  const pairs = [...args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("(?:[^"\\]|\\.)*"|\S*)/g)];
  if (pairs.length === 0) {
    const m = /^(\S+)\s+(.*)$/.exec(args);
    if (m) out.set(m[1]!, m[2]!);
    return out;
  }
  for (const p of pairs) out.set(p[1]!, p[2]!.startsWith('"') ? (JSON.parse(p[2]!) as string) : p[2]!);
  return out;
}

interface IgnoreRule { readonly negate: boolean; readonly re: RegExp }

function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*' && glob[i + 1] === '*') {
      // `**/` matches zero or more directories; a trailing `**` anything.
      if (glob[i + 2] === '/') { re += '(?:.*/)?'; i += 2; } else { re += '.*'; i += 1; }
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

export function parseDockerignore(text: string): IgnoreRule[] {
  return text.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#')).map((l) => {
    const negate = l.startsWith('!');
    const pattern = (negate ? l.slice(1) : l).replace(/^\/+/, '').replace(/\/+$/, '');
    return { negate, re: globToRegExp(pattern) };
  });
}

/** Whether the build context leaves `path` out (a rule matching any parent directory counts). */
export function isIgnored(rules: readonly IgnoreRule[], path: string): boolean {
  const parts = path.replace(/^\.\//, '').replace(/\/+$/, '').split('/');
  const prefixes = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
  let ignored = false;
  for (const r of rules) if (prefixes.some((p) => r.re.test(p))) ignored = !r.negate;
  return ignored;
}
