import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { LoadPlan, StepResult } from './load-plan.ts';

const LOAD_CLIENT = fileURLToPath(new URL('./load-client.ts', import.meta.url));

/**
 * Runs a plan in the load client (src/load-client.ts), a process of its own, and returns one result
 * per step. The plan goes in on stdin (it can outgrow a command-line argument: a path per
 * conversation), the results come back as one JSON line on stdout. `timeoutS` bounds the whole plan.
 */
export async function runLoad(plan: LoadPlan, timeoutS: number): Promise<StepResult[]> {
  const child = spawn(process.execPath, [LOAD_CLIENT], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutS * 1_000);
  const exit = new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', resolve);
  });
  child.stdin.end(JSON.stringify(plan));
  const code = await exit.finally(() => clearTimeout(timer));
  if (code !== 0) throw new Error(`the load client exited with ${code}: ${stderr.slice(-4_000)}`);
  return JSON.parse(stdout) as StepResult[];
}
