/**
 * Counts what agentd asks of its embedded database, without touching src/: the PGlite methods
 * drizzle calls (query, exec, transaction, and the query/exec of a transaction's handle) are
 * wrapped on the prototype. Off by default; when off a call costs one extra function frame.
 */
import { performance } from 'node:perf_hooks';
import { PGlite } from '@electric-sql/pglite';

export interface DbCounts {
  /** Statements sent (including BEGIN/COMMIT, which drizzle sends through the transaction). */
  statements: number;
  /** Statements that change rows (INSERT/UPDATE/DELETE). */
  writes: number;
  transactions: number;
  /** Wall time during which at least one database call was in flight. */
  busyMs: number;
  byKind: Map<string, number>;
  /** Time from each statement's call to its answer, summed by kind. */
  msByKind: Map<string, number>;
}

let enabled = false;
let counts = fresh();
let inFlight = 0;
let busySince = 0;

function fresh(): DbCounts {
  return { statements: 0, writes: 0, transactions: 0, busyMs: 0, byKind: new Map(), msByKind: new Map() };
}

function kindOf(sql: string): string {
  const text = sql.trim().replace(/\s+/g, ' ');
  const verb = (text.split(' ')[0] ?? '').toLowerCase();
  if (verb === 'insert') return `insert ${/^insert into "?([\w]+)"?/i.exec(text)?.[1] ?? '?'}`;
  if (verb === 'update') return `update ${/^update "?([\w]+)"?/i.exec(text)?.[1] ?? '?'}`;
  if (verb === 'delete') return `delete ${/^delete from "?([\w]+)"?/i.exec(text)?.[1] ?? '?'}`;
  if (verb === 'select') return `select ${/ from "?([\w]+)"?/i.exec(text)?.[1] ?? ''}`.trim();
  return verb;
}

function note(sql: unknown): string {
  const kind = typeof sql === 'string' ? kindOf(sql) : '?';
  if (!enabled) return kind;
  counts.statements += 1;
  if (/^(insert|update|delete)/.test(kind)) counts.writes += 1;
  counts.byKind.set(kind, (counts.byKind.get(kind) ?? 0) + 1);
  return kind;
}

/** Runs one statement, adding its time to its kind. */
async function statement<T>(sql: unknown, work: () => Promise<T>): Promise<T> {
  if (!enabled) return work();
  const kind = note(sql);
  const started = performance.now();
  try {
    return await work();
  } finally {
    if (enabled) counts.msByKind.set(kind, (counts.msByKind.get(kind) ?? 0) + performance.now() - started);
  }
}

async function timed<T>(work: () => Promise<T>): Promise<T> {
  if (!enabled) return work();
  if (inFlight++ === 0) busySince = performance.now();
  try {
    return await work();
  } finally {
    if (--inFlight === 0 && enabled) counts.busyMs += performance.now() - busySince;
  }
}

type Fn = (...args: any[]) => Promise<any>;

let installed = false;

export function installDbProbe() {
  if (installed) return;
  installed = true;
  const proto = PGlite.prototype as unknown as Record<string, Fn>;
  const query = proto.query!;
  const exec = proto.exec!;
  const transaction = proto.transaction!;
  proto.query = function (this: unknown, sql: string, ...rest: unknown[]) {
    return timed(() => statement(sql, () => query.call(this, sql, ...rest)));
  };
  proto.exec = function (this: unknown, sql: string, ...rest: unknown[]) {
    return timed(() => statement(sql, () => exec.call(this, sql, ...rest)));
  };
  proto.transaction = function (this: unknown, callback: (tx: any) => Promise<unknown>) {
    if (enabled) counts.transactions += 1;
    // BEGIN runs before the callback and COMMIT after it, inside PGlite: timed as the gaps.
    const began = performance.now();
    let bodyStarted = began;
    let bodyEnded = began;
    const wrapped = async (tx: any) => {
      bodyStarted = performance.now();
      const inner = {
        ...tx,
        query: (sql: string, ...rest: unknown[]) => statement(sql, () => tx.query(sql, ...rest)),
        exec: (sql: string, ...rest: unknown[]) => statement(sql, () => tx.exec(sql, ...rest)),
        get closed() {
          return tx.closed as boolean;
        },
      };
      try {
        return await callback(inner);
      } finally {
        bodyEnded = performance.now();
      }
    };
    const counting = enabled;
    return timed(async () => {
      try {
        return await transaction.call(this, wrapped);
      } finally {
        if (counting && enabled) {
          note('begin');
          note('commit');
          counts.msByKind.set('begin', (counts.msByKind.get('begin') ?? 0) + bodyStarted - began);
          counts.msByKind.set('commit', (counts.msByKind.get('commit') ?? 0) + performance.now() - bodyEnded);
        }
      }
    });
  };
}

/** Starts counting from zero. */
export function startCounting() {
  counts = fresh();
  inFlight = 0;
  enabled = true;
}

/** Stops counting and returns what was seen since `startCounting()`. */
export function stopCounting(): DbCounts {
  enabled = false;
  return counts;
}
