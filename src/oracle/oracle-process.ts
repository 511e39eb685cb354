/** Runs the built oracle once and splits its stdout into parsed JSON lines (one process per call). */
import { execFile } from 'node:child_process';
import { buildOracle } from './build.js';
import { KernelLoadError, KernelOracleError } from './oracle-errors.js';

/** Frames are printed as hex: allow well beyond any sample capture, below V8's longest string (~512 MiB). */
const MAX_OUTPUT_BYTES = 1 << 28;

export type OracleLine = Readonly<Record<string, unknown>>;

export interface OracleOutput {
  readonly lines: readonly OracleLine[];
  readonly exitCode: number;
}

/**
 * Runs `oracle ARGS`. Exit 1 with an `{"error","log"}` line is a load failure (KernelLoadError) when
 * `objPath` is given and `tolerateExit1` is not set; any other failure is a KernelOracleError.
 */
export async function runOracle(args: readonly string[], objPath?: string, tolerateExit1 = false): Promise<OracleOutput> {
  const binary = await buildOracle();
  const { stdout, stderr, code } = await new Promise<{ stdout: string; stderr: string; code: number | null }>(
    (resolve, reject) => {
      execFile(binary, [...args], { maxBuffer: MAX_OUTPUT_BYTES, encoding: 'utf8' }, (err, stdout, stderr) => {
        if (err && typeof err.code !== 'number') {
          reject(new KernelOracleError(args, null, err.message));
          return;
        }
        resolve({ stdout, stderr, code: err ? (err.code as number) : 0 });
      });
    },
  );
  const lines: OracleLine[] = [];
  for (const text of stdout.split('\n')) {
    if (text.length === 0) continue;
    try {
      lines.push(JSON.parse(text) as OracleLine);
    } catch {
      throw new KernelOracleError(args, code, `unparsable output line: ${text.slice(0, 200)}`);
    }
  }
  if (code === 0 || (code === 1 && tolerateExit1)) return { lines, exitCode: code };
  const failure = lines.find((l) => typeof l.error === 'string');
  const message = failure ? String(failure.error) : `exit ${code}${stderr ? `: ${stderr.trim()}` : ''}`;
  if (code === 1 && objPath !== undefined && failure && typeof failure.log === 'string') {
    throw new KernelLoadError(objPath, message, failure.log);
  }
  throw new KernelOracleError(args, code, message);
}
