import type { Pool, PoolClient, QueryConfig } from 'pg';
import { jobTable } from '../../../apps/task-runner/src/jobs/job-table.ts';
import { createTestRunner } from '../../../apps/task-runner/test/support/test-runner.ts';
import { waitFor } from '@repo/testing';

/** One statement as the task-runner's code handed it to `pg`: the query config and its values. */
export interface CapturedStatement {
  text: string;
  /** Set for a named (server-side prepared) statement. */
  name?: string;
  rowMode?: string;
  /** drizzle's per-query type parsers, kept so a replay parses the results the same way. */
  types?: QueryConfig['types'];
  values: unknown[];
}

/** Statements sent together: a transaction on one checked-out client, or one statement on the pool. */
export interface StatementUnit {
  transaction: boolean;
  statements: CapturedStatement[];
}

/** Every statement one ingest-document job issued, and the ids it issued them for. */
export interface JobStatements {
  units: StatementUnit[];
  documentId: string;
  taskId: string;
}

/** A client's `query(config | text, values?, callback?)`, in whichever form pg-pool or drizzle calls it. */
function captured(config: unknown, values: unknown): CapturedStatement {
  if (typeof config === 'string') return { text: config, values: Array.isArray(values) ? values : [] };
  const query = config as QueryConfig & { rowMode?: string };
  const given: unknown[] = Array.isArray(values) ? values : (query.values ?? []);
  return {
    text: query.text,
    ...(query.name ? { name: query.name } : {}),
    ...(query.rowMode ? { rowMode: query.rowMode } : {}),
    ...(query.types ? { types: query.types } : {}),
    values: [...given],
  };
}

const isBegin = (text: string) => /^\s*begin\b/i.test(text);
const isEnd = (text: string) => /^\s*(commit|rollback)\b/i.test(text);

/** Recorded statements, grouped into what runs on one checked-out client. */
function intoUnits(recorded: Array<{ client: number; statement: CapturedStatement }>): StatementUnit[] {
  const units: StatementUnit[] = [];
  const open = new Map<number, StatementUnit>();
  for (const { client, statement } of recorded) {
    const current = open.get(client);
    if (current) {
      current.statements.push(statement);
      if (isEnd(statement.text)) open.delete(client);
    } else if (isBegin(statement.text)) {
      const unit = { transaction: true, statements: [statement] };
      units.push(unit);
      open.set(client, unit);
    } else {
      units.push({ transaction: false, statements: [statement] });
    }
  }
  if (open.size > 0) throw new Error('captured a transaction that never ended');
  return units;
}

/**
 * Runs one ingest-document job through the task-runner's own code — its app factory, job table
 * and job processor, as its tests build it — and records every statement its pool sends while
 * the job runs: the statements of the SQL baseline come from the code, not re-typed by hand.
 * Only the ingest worker runs (the job table filtered to it), so nothing else uses the pool.
 */
export async function captureIngestStatements(content: string): Promise<JobStatements> {
  const t = await createTestRunner({
    jobs: (shared) => jobTable(shared).filter((definition) => definition.name === 'ingest-document'),
  });
  try {
    const recorded: Array<{ client: number; statement: CapturedStatement }> = [];
    let recording = false;
    let clients = 0;
    t.connections.pool.on('connect', (client: PoolClient) => {
      const id = clients++;
      const query = client.query.bind(client) as (...args: unknown[]) => unknown;
      (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
        if (recording) recorded.push({ client: id, statement: captured(args[0], args[1]) });
        return query(...args);
      };
    });
    await t.startLeading();
    await (await t.producer.queue('ingest-document')).pause();
    const { documentId, taskId } = await t.submitDocument(content);
    recording = true;
    await (await t.producer.queue('ingest-document')).resume();
    await waitFor(async () => (await t.task(taskId))?.status === 'succeeded', {
      timeoutMs: 30_000,
      intervalMs: 20,
      what: 'the captured job to succeed',
    });
    recording = false;
    const units = intoUnits(recorded);
    for (const { statements } of units) {
      for (const { text } of statements) {
        if (text.includes(documentId) || text.includes(taskId)) {
          throw new Error(`a statement has an id inlined, so it cannot be replayed for other rows: ${text}`);
        }
      }
    }
    if (units.length === 0) throw new Error('the job issued no statement');
    return { units, documentId, taskId };
  } finally {
    await t.close();
  }
}

/** Round trips and transactions of a job: the Postgres side of its cost. */
export function describeStatements(job: JobStatements): {
  roundTrips: number;
  transactions: number;
  sql: string[];
} {
  const all = job.units.flatMap((unit) => unit.statements);
  return {
    roundTrips: all.length,
    // Every statement outside a transaction commits on its own.
    transactions: job.units.length,
    sql: all.map((statement) => statement.text),
  };
}

/**
 * Issues the captured statements again with plain `pg` for another document and task: the same
 * query configs (text, name, row mode, type parsers), the ids swapped in the values, transactions
 * on one checked-out client. Only the statements: no queue, no splitting, no ORM.
 */
export async function replayJob(
  pool: Pool,
  job: JobStatements,
  documentId: string,
  taskId: string,
): Promise<void> {
  const swap = (value: unknown) =>
    value === job.documentId ? documentId : value === job.taskId ? taskId : value;
  const config = ({ values, ...statement }: CapturedStatement) => ({
    ...statement,
    values: values.map(swap),
  });
  for (const unit of job.units) {
    if (!unit.transaction) {
      await pool.query(config(unit.statements[0]!));
      continue;
    }
    const client = await pool.connect();
    try {
      for (const statement of unit.statements) await client.query(config(statement));
      client.release();
    } catch (error) {
      // A failed statement leaves its transaction open: this client is not given back to the pool.
      client.release(true);
      throw error;
    }
  }
}
