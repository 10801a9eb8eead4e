import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { newUser, startServer, type TestServer } from '../support/server.ts';
import { callTools, everythingShown } from './builtin-tools-support.ts';

// The machine's PostgreSQL (CI has it on 127.0.0.1:5432, trust auth). Not reachable: beforeAll
// fails, and with it every test here; nothing is skipped.
const ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
const dbName = `agentd_dbtool_${randomBytes(4).toString('hex')}`;
// Trust auth ignores the password; it is here to be a secret that must never show.
const password = `pw-${randomBytes(8).toString('hex')}`;
const dsn = `postgres://postgres:${password}@127.0.0.1:5432/${dbName}`;
const shownDsn = `postgres://postgres:****@127.0.0.1:5432/${dbName}`;

let admin: pg.Client;
let server: TestServer;

async function countEmployees(): Promise<number> {
  const client = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:5432/${dbName}` });
  await client.connect();
  try {
    return Number((await client.query<{ n: string }>('select count(*) as n from employees')).rows[0]!.n);
  } finally {
    await client.end();
  }
}

beforeAll(async () => {
  admin = new pg.Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 5000 });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${dbName}`);
  const seed = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:5432/${dbName}` });
  await seed.connect();
  await seed.query(`CREATE TABLE employees (id int PRIMARY KEY, name text NOT NULL, team text, hired date);
    INSERT INTO employees VALUES (1, 'Ada', 'engines', '1843-07-01'), (2, 'Grace', 'compilers', '1944-03-15'), (3, 'Edsger', NULL, '1962-09-01')`);
  await seed.end();
  // 127.0.0.2 stands for a range the operator shuts off (by default: link-local, where cloud metadata answers).
  server = await startServer({ env: { AGENTD_OUTBOUND_DENY: '169.254.0.0/16,127.0.0.2' } });
});

afterAll(async () => {
  await server?.close();
  if (admin) {
    await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
    await admin.end();
  }
});

async function databaseSession(options: Record<string, unknown> = {}) {
  const user = await newUser(server.url);
  const created = await user.post('/api/v1/sessions', { sdk_options: { builtin_tools: ['database'], database: { dsn, ...options } } });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return { user, session: created.body };
}

test('a SELECT through the agent comes back as a text table; list_tables shows the table; agentd\'s own tables are not there; the password never shows', async () => {
  const { user, session } = await databaseSession();
  expect(session.sdk_options.database).toEqual({ dsn: shownDsn });
  expect(JSON.stringify(session)).not.toContain(password);

  const [select, tables, users] = await callTools(user, session.id, [
    ['mcp__database__query', { sql: 'SELECT id, name, team FROM employees ORDER BY id' }],
    ['mcp__database__list_tables', {}],
    ['mcp__database__query', { sql: 'select * from users' }],
  ]);
  expect(select!.status).toBe('success');
  expect(select!.text.split('\n')).toEqual([' id | name   | team', '----+--------+-----------', ' 1  | Ada    | engines', ' 2  | Grace  | compilers', ' 3  | Edsger | NULL', '(3 rows)']);
  expect(tables!.text).toMatch(/public\s+\|\s+employees\s+\|\s+BASE TABLE/);
  expect(users!.status).toBe('error');
  expect(users!.text).toContain('relation "users" does not exist');

  const after = (await user.get(`/api/v1/sessions/${session.id}`)).body;
  expect(after.sdk_options.database).toEqual({ dsn: shownDsn });
  expect(after.mcp_servers).toEqual(expect.arrayContaining([{ name: 'database', type: 'sdk', source: 'builtin', status: 'connected' }]));
  expect(await everythingShown(user, session.id)).not.toContain(password);
  // At rest, too: the stored options hold the DSN sealed.
  const stored = await server.container.store.sessions.findById(session.id);
  expect(JSON.stringify(stored)).not.toContain(password);
});

test('writes are refused, also when smuggled after COMMIT or by making the transaction read-write; the rows stay as they were', async () => {
  const { user, session } = await databaseSession();
  const outcomes = await callTools(user, session.id, [
    ['mcp__database__query', { sql: "INSERT INTO employees VALUES (99, 'Mallory', 'ops', now())" }],
    ['mcp__database__query', { sql: "COMMIT; INSERT INTO employees VALUES (98, 'Mallory', 'ops', now())" }],
    ['mcp__database__query', { sql: 'SET TRANSACTION READ WRITE' }],
    ['mcp__database__query', { sql: 'SET default_transaction_read_only = off' }],
    ['mcp__database__query', { sql: "UPDATE employees SET name = 'Mallory'" }],
    ['mcp__database__query', { sql: 'DROP TABLE employees' }],
  ]);
  const [insert, smuggled, readWrite, sessionDefault, update, drop] = outcomes;
  expect(insert).toMatchObject({ status: 'error', text: expect.stringContaining('cannot execute INSERT in a read-only transaction') });
  expect(smuggled).toMatchObject({ status: 'error', text: expect.stringContaining('cannot insert multiple commands into a prepared statement') });
  expect(readWrite).toMatchObject({ status: 'error', text: expect.stringContaining('transaction read-write mode must be set before any query') });
  // Accepted, but it only touches a connection that closes with the call: the next write still fails.
  expect(sessionDefault!.status).toBe('success');
  expect(update).toMatchObject({ status: 'error', text: expect.stringContaining('read-only transaction') });
  expect(drop).toMatchObject({ status: 'error', text: expect.stringContaining('read-only transaction') });
  expect(await countEmployees()).toBe(3);
});

test('a DSN in a denied address range is refused before any connection, with the reason', async () => {
  const user = await newUser(server.url);
  const created = await user.post('/api/v1/sessions', { sdk_options: { builtin_tools: ['database'], database: { dsn: `postgres://postgres@127.0.0.2:5432/${dbName}` } } });
  const [query] = await callTools(user, created.body.id, [['mcp__database__query', { sql: 'SELECT 1' }]]);
  expect(query!.status).toBe('error');
  expect(query!.text).toMatch(/127\.0\.0\.2.*AGENTD_OUTBOUND_DENY/);
});

test('the row cap cuts a long result while reading and says so; the statement timeout stops a slow query', async () => {
  const { user, session } = await databaseSession({ max_rows: 50, statement_timeout_ms: 1000 });
  const [series, sleep] = await callTools(user, session.id, [
    ['mcp__database__query', { sql: 'SELECT g AS n FROM generate_series(1, 100000) g' }],
    ['mcp__database__query', { sql: 'SELECT pg_sleep(10)' }],
  ]);
  const lines = series!.text.split('\n');
  expect(series!.status).toBe('success');
  expect(lines.slice(0, 3)).toEqual([' n', '----', ' 1']);
  expect(lines).toHaveLength(2 + 50 + 1);
  expect(lines.at(-2)).toBe(' 50');
  expect(lines.at(-1)).toBe('(first 50 rows; more were cut)');
  expect(sleep!.status).toBe('error');
  expect(sleep!.text).toContain('canceling statement due to statement timeout');
  expect(sleep!.durationMs).toBeLessThan(5000);
});

test('a task keeps the DSN sealed: shown masked, and its execution\'s session reaches the database', async () => {
  const user = await newUser(server.url);
  const task = await user.post('/api/v1/tasks', {
    name: `dbtask-${randomBytes(3).toString('hex')}`,
    prompt_template: '!tool mcp__database__query {"sql":"SELECT count(*) AS n FROM employees"}',
    sdk_options: { builtin_tools: ['database'], database: { dsn } },
  });
  expect(task.status, JSON.stringify(task.body)).toBe(201);
  expect(task.body.sdk_options.database).toEqual({ dsn: shownDsn });
  expect(JSON.stringify(task.body)).not.toContain(password);
  const started = await user.post(`/api/v1/tasks/${task.body.id}/execute`, { variables: {} });
  expect(started.status, JSON.stringify(started.body)).toBe(202);
  let execution = started.body;
  for (const deadline = Date.now() + 30_000; ['pending', 'running'].includes(execution.status) && Date.now() < deadline; ) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    execution = (await user.get(`/api/v1/task-executions/${started.body.execution_id ?? started.body.id}`)).body;
  }
  expect(execution.status).toBe('completed');
  const calls = (await user.get(`/api/v1/sessions/${execution.session_id}/tool-calls`)).body.items;
  expect(calls).toMatchObject([{ tool_name: 'mcp__database__query', status: 'success' }]);
  expect(calls[0].output[0].text).toContain('(1 row)');
  expect((await user.get(`/api/v1/sessions/${execution.session_id}`)).body.sdk_options.database).toEqual({ dsn: shownDsn });
});

test('bad database options are refused with 422 and a stable code, never echoing the password', async () => {
  const user = await newUser(server.url);
  const create = (database: unknown, builtin = ['database']) => user.post('/api/v1/sessions', { sdk_options: { builtin_tools: builtin, ...(database ? { database } : {}) } });
  const mysql = await create({ dsn: `mysql://root:${password}@127.0.0.1:3306/app` });
  expect(mysql.status).toBe(422);
  expect(JSON.stringify(mysql.body)).not.toContain(password);
  const fileParam = await create({ dsn: `postgres://postgres:${password}@127.0.0.1:5432/${dbName}?sslkey=/etc/ssl/private/key.pem` });
  expect(fileParam.status).toBe(422);
  expect(fileParam.body.error_code).toBe('DATABASE_DSN_INVALID');
  expect(JSON.stringify(fileParam.body)).not.toContain(password);
  const masked = await create({ dsn: shownDsn });
  expect(masked.body.error_code).toBe('DATABASE_DSN_INVALID');
  expect((await create(undefined)).body.error_code).toBe('DATABASE_DSN_INVALID');
  expect((await create({ dsn, max_rows: 5001 })).status).toBe(422);
  expect((await create({ dsn, statement_timeout_ms: 60_001 })).status).toBe(422);
});

// With the embedded database (no DATABASE_URL) agentd's own database is not reachable over TCP at all.
test.runIf(Boolean(process.env.DATABASE_URL))("a session, template or task whose DSN is agentd's own DATABASE_URL is refused", async () => {
  const own = new URL(process.env.DATABASE_URL!);
  const user = await newUser(server.url);
  for (const host of [own.host, `localhost:${own.port || 5432}`]) {
    const ownDsn = `postgres://${own.username || 'postgres'}:whatever@${host}${own.pathname}`;
    const refused = await user.post('/api/v1/sessions', { sdk_options: { builtin_tools: ['database'], database: { dsn: ownDsn } } });
    expect(refused.status).toBe(422);
    expect(refused.body.error_code).toBe('DATABASE_DSN_FORBIDDEN');
  }
  // Templates and tasks are refused when written, not when a session is made from them.
  const options = { builtin_tools: ['database'], database: { dsn: process.env.DATABASE_URL } };
  for (const [path, body] of [
    ['/api/v1/session-templates', { name: `own-${randomBytes(3).toString('hex')}`, sdk_options: options }],
    ['/api/v1/tasks', { name: `own-${randomBytes(3).toString('hex')}`, prompt_template: 'x', sdk_options: options }],
  ] as const) {
    const refused = await user.post(path, body);
    expect(refused.status).toBe(422);
    expect(refused.body.error_code).toBe('DATABASE_DSN_FORBIDDEN');
  }
});
