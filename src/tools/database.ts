import { isIP } from 'node:net';
import pg from 'pg';
import Cursor from 'pg-cursor';
import { isOwnDatabase, ownDatabaseOf, parseDatabaseDsn, type DatabaseTarget } from '../domain/database-dsn.ts';
import { resolveHost, type OutboundPolicy } from '../net/outbound.ts';
import type { DatabaseReader, DatabaseToolSettings, ToolText } from '../ports/agent-runtime.ts';
import { textTable } from './text-table.ts';
import { messageOf } from '../domain/errors.ts';

const listTablesSql = `SELECT table_schema AS schema, table_name AS name, table_type AS type
  FROM information_schema.tables
  WHERE table_schema NOT IN ('pg_catalog', 'information_schema') AND table_schema NOT LIKE 'pg\\_toast%'
  ORDER BY 1, 2`;

// Every value as PostgreSQL's own text (what psql shows), never parsed into JS objects.
const asText = (value: string) => value;
const textTypes = { getTypeParser: (() => asText) as unknown as pg.CustomTypesConfig['getTypeParser'] };

/** A database error or a refusal, as the agent reads it. */
class ToolRefusal extends Error {}

export interface PostgresReaderOptions {
  /** agentd's own DATABASE_URL: a DSN that resolves to it is refused when connecting, too. */
  ownDatabaseUrl: string | undefined;
  /** Which addresses the tool may connect to at all. */
  outbound: OutboundPolicy;
  connectTimeoutMs?: number;
}

/**
 * The `database` built-in: each call opens its own connection, runs ONE statement in a READ ONLY
 * transaction under a statement timeout, reads at most max_rows (+1, to tell that more were cut)
 * through a cursor, and rolls back. The extended protocol refuses a second statement
 * (`COMMIT; INSERT ...`), and the snapshot taken before the user's statement makes
 * `SET TRANSACTION READ WRITE` fail. What the DSN's role may read, it reads: give it a role with
 * only the rights it needs.
 */
export class PostgresReader implements DatabaseReader {
  private readonly connectTimeoutMs: number;

  constructor(
    private readonly settings: DatabaseToolSettings,
    private readonly options: PostgresReaderOptions,
  ) {
    this.connectTimeoutMs = options.connectTimeoutMs ?? 5000;
  }

  query(sql: string): Promise<ToolText> {
    return this.run(sql);
  }

  listTables(): Promise<ToolText> {
    return this.run(listTablesSql);
  }

  private async run(sql: string): Promise<ToolText> {
    let target: DatabaseTarget;
    let address: string;
    try {
      target = parseDatabaseDsn(this.settings.dsn);
      address = await this.addressOf(target);
    } catch (error) {
      return { text: `ERROR: ${messageOf(error)}`, isError: true };
    }
    const { statementTimeoutMs, maxRows } = this.settings;
    const client = new pg.Client({
      host: address,
      port: target.port,
      user: target.user,
      database: target.database,
      // A function, so pg never falls back to agentd's PGPASSWORD or ~/.pgpass.
      password: () => target.password,
      ssl: target.sslmode === 'disable' ? false : { rejectUnauthorized: target.sslmode === 'verify-full', ...(isIP(target.host) ? {} : { servername: target.host }) },
      connectionTimeoutMillis: this.connectTimeoutMs,
      application_name: 'agentd database tool',
      keepAlive: false,
    });
    client.on('error', () => undefined); // a dropped connection fails the running call; nothing else listens
    let connected = false;
    let stopped = false;
    // The server cancels at statement_timeout; this covers a server or network that stops answering.
    const backstop = setTimeout(() => {
      stopped = true;
      void client.end().catch(() => undefined);
    }, this.connectTimeoutMs + statementTimeoutMs + 2000);
    try {
      await client.connect();
      connected = true;
      await client.query('BEGIN TRANSACTION READ ONLY');
      // This query takes the transaction's snapshot: from here on it cannot be made read-write.
      await client.query("SELECT set_config('statement_timeout', $1, true)", [String(statementTimeoutMs)]);
      const result = await readAtMost(client, sql, maxRows + 1);
      return { text: textTable(result.fields, result.rows, { maxRows, command: result.command }), isError: false };
    } catch (error) {
      if (stopped) return { text: `ERROR: no answer from the database within ${this.connectTimeoutMs + statementTimeoutMs + 2000} ms`, isError: true };
      if (!connected) return { text: `ERROR: could not connect to ${target.host}:${target.port}/${target.database}: ${messageOf(error)}`, isError: true };
      return { text: describeDatabaseError(error), isError: true };
    } finally {
      clearTimeout(backstop);
      if (connected && !stopped) await client.query('ROLLBACK').catch(() => undefined);
      await client.end().catch(() => undefined);
    }
  }

  /** The address to connect to, resolved once here so the check below and the connection agree. */
  private async addressOf(target: DatabaseTarget): Promise<string> {
    const addresses = await this.options.outbound.addressesOf(target.host);
    const ownUrl = this.options.ownDatabaseUrl;
    const own = ownUrl ? (await Promise.all(ownDatabaseOf(ownUrl).hosts.filter((h) => h && !h.startsWith('/')).map((h) => resolveHost(h, this.connectTimeoutMs).catch(() => [])))).flat() : [];
    if (isOwnDatabase(target, ownUrl, { target: addresses, own })) throw new ToolRefusal("this DSN points at agentd's own database, which the tool never reaches");
    const first = addresses[0];
    if (!first) throw new ToolRefusal(`could not resolve ${target.host}`);
    return first;
  }
}

/** Runs the statement through a cursor and reads at most `limit` rows: a huge result is never loaded. */
function readAtMost(client: pg.Client, sql: string, limit: number): Promise<{ fields: string[]; rows: (string | null)[][]; command: string | undefined }> {
  const cursor = client.query(new Cursor<(string | null)[]>(sql, undefined, { rowMode: 'array', types: textTypes }));
  return new Promise((resolvePromise, reject) => {
    cursor.read(limit, (error, rows, result) => {
      if (error) {
        reject(error);
        return;
      }
      const fields = result.fields.map((field) => field.name);
      const command = (result as { command?: string | null }).command ?? undefined;
      cursor.close((closeError) => (closeError ? reject(closeError) : resolvePromise({ fields, rows, command })));
    });
  });
}

/** PostgreSQL's own words: the message, then its detail and hint and the SQLSTATE. */
function describeDatabaseError(error: unknown): string {
  if (!(error instanceof pg.DatabaseError)) return `ERROR: ${messageOf(error)}`;
  return [`ERROR: ${error.message}`, error.detail && `DETAIL: ${error.detail}`, error.hint && `HINT: ${error.hint}`, error.code && `SQLSTATE: ${error.code}`].filter(Boolean).join('\n');
}
