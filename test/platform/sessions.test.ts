import { stat, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import * as tar from 'tar';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { newUser, startServer, type Client, type TestServer } from '../support/server.ts';
import { expectError } from './support/expect-error.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server.close());

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

async function archiveEntries(file: string): Promise<string[]> {
  const entries: string[] = [];
  await tar.list({ file, onReadEntry: (entry) => void entries.push(entry.path.replace(/^\.\//, '')) });
  return entries;
}

describe('create', () => {
  test('returns the new session and makes its working directory under the data dir', async () => {
    const alice = await newUser(server.url, 'create');
    const created = await alice.post('/api/v1/sessions', { name: 'analysis', mode: 'non_interactive', sdk_options: { max_turns: 3, allowed_tools: ['Read'] } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      id: expect.stringMatching(uuid),
      user_id: alice.userId,
      name: 'analysis',
      mode: 'non_interactive',
      status: 'created',
      sdk_options: { max_turns: 3, allowed_tools: ['Read'] },
      parent_session_id: null,
      is_fork: false,
      total_messages: 0,
      total_cost_usd: 0,
    });
    expect(Date.now() - Date.parse(created.body.created_at)).toBeLessThan(60_000);
    const expectedDir = path.join(path.resolve(server.dataDir), 'sessions', created.body.id);
    expect(created.body.working_directory_path).toBe(expectedDir);
    expect((await stat(expectedDir)).isDirectory()).toBe(true);
  });

  test('defaults: no name, interactive, empty options', async () => {
    const bob = await newUser(server.url, 'defaults');
    const created = await bob.post('/api/v1/sessions');
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: null, mode: 'interactive', sdk_options: {}, status: 'created' });
  });
});

describe('list', () => {
  let carol: Client & { userId: string };
  let ids: { a: string; b: string; c: string };
  beforeAll(async () => {
    carol = await newUser(server.url, 'list');
    const make = async (body: object) => (await carol.post('/api/v1/sessions', body)).body.id as string;
    ids = { a: await make({ name: 'a' }), b: await make({ name: 'b', mode: 'non_interactive' }), c: await make({ name: 'c' }) };
    expect((await carol.delete(`/api/v1/sessions/${ids.c}`)).status).toBe(204);
  });

  test('pages the caller\'s sessions, newest first', async () => {
    const all = await carol.get('/api/v1/sessions');
    expect(all.status).toBe(200);
    expect(all.body).toMatchObject({ total: 3, skip: 0, limit: 20 });
    expect(all.body.items.map((s: any) => s.id)).toEqual([ids.c, ids.b, ids.a]);
    const page = await carol.get('/api/v1/sessions?skip=1&limit=1');
    expect(page.body).toMatchObject({ total: 3, skip: 1, limit: 1 });
    expect(page.body.items.map((s: any) => s.id)).toEqual([ids.b]);
  });

  test('filters by status and by mode', async () => {
    const terminated = await carol.get('/api/v1/sessions?status=terminated');
    expect(terminated.body.total).toBe(1);
    expect(terminated.body.items[0].id).toBe(ids.c);
    const created = await carol.get('/api/v1/sessions?status=created&mode=interactive');
    expect(created.body.items.map((s: any) => s.id)).toEqual([ids.a]);
    const batch = await carol.get('/api/v1/sessions?mode=non_interactive');
    expect(batch.body.items.map((s: any) => s.id)).toEqual([ids.b]);
  });

  test('rejects a limit above 100 and unknown filter values with 422', async () => {
    expectError(await carol.get('/api/v1/sessions?limit=101'), 422, 'VALIDATION_ERROR');
    expectError(await carol.get('/api/v1/sessions?limit=0'), 422, 'VALIDATION_ERROR');
    expectError(await carol.get('/api/v1/sessions?skip=-1'), 422, 'VALIDATION_ERROR');
    expectError(await carol.get('/api/v1/sessions?status=sleeping'), 422, 'VALIDATION_ERROR');
    expect((await carol.get('/api/v1/sessions?limit=100')).status).toBe(200);
  });
});

test('reading a session returns it with its totals', async () => {
  const dan = await newUser(server.url, 'read');
  const created = await dan.post('/api/v1/sessions', { name: 'totals' });
  const read = await dan.get(`/api/v1/sessions/${created.body.id}`);
  expect(read.status).toBe(200);
  expect(read.body).toEqual({ ...created.body, updated_at: expect.any(String) });
  for (const field of ['total_messages', 'total_tool_calls', 'total_cost_usd', 'api_input_tokens', 'api_output_tokens', 'api_cache_creation_tokens', 'api_cache_read_tokens']) {
    expect(read.body[field], field).toBe(0);
  }
});

describe('delete', () => {
  test('terminates the session and archives its working directory', async () => {
    const erin = await newUser(server.url, 'delete');
    const created = (await erin.post('/api/v1/sessions', { name: 'to archive' })).body;
    const dir = created.working_directory_path as string;
    await writeFile(path.join(dir, 'notes.md'), '# findings\n');
    await mkdir(path.join(dir, 'src'));
    await writeFile(path.join(dir, 'src', 'main.py'), 'print("hi")\n');

    const deleted = await erin.delete(`/api/v1/sessions/${created.id}`);
    expect(deleted.status).toBe(204);
    expect(deleted.body).toBeNull();

    const read = await erin.get(`/api/v1/sessions/${created.id}`);
    expect(read.body.status).toBe('terminated');
    expect(read.body.completed_at).not.toBeNull();
    const archive = path.join(server.dataDir, 'archives', `${created.id}.tar.gz`);
    expect(await archiveEntries(archive)).toEqual(expect.arrayContaining(['notes.md', 'src/main.py']));
  });

  test('deleting a terminated session again is 409 INVALID_STATE_TRANSITION', async () => {
    const fay = await newUser(server.url, 'twice');
    const id = (await fay.post('/api/v1/sessions')).body.id;
    expect((await fay.delete(`/api/v1/sessions/${id}`)).status).toBe(204);
    expectError(await fay.delete(`/api/v1/sessions/${id}`), 409, 'INVALID_STATE_TRANSITION');
  });

  test('an unknown session is 404 SESSION_NOT_FOUND', async () => {
    const gil = await newUser(server.url, 'unknown');
    expectError(await gil.get('/api/v1/sessions/00000000-0000-4000-8000-000000000000'), 404, 'SESSION_NOT_FOUND');
    expectError(await gil.delete('/api/v1/sessions/00000000-0000-4000-8000-000000000000'), 404, 'SESSION_NOT_FOUND');
  });
});

test('storage usage counts the bytes of my working directories, archives and reports, not other users\'', async () => {
  const owner = await newUser(server.url);
  const other = await newUser(server.url);
  const kept = (await owner.post('/api/v1/sessions', {})).body;
  const archived = (await owner.post('/api/v1/sessions', {})).body;
  await writeFile(path.join(kept.working_directory_path, 'data.bin'), Buffer.alloc(50_000, 1));
  await writeFile(path.join(archived.working_directory_path, 'more.bin'), Buffer.alloc(10_000, 2));
  expect((await owner.delete(`/api/v1/sessions/${archived.id}`)).status).toBe(204);
  const report = (await owner.post('/api/v1/reports', { session_id: kept.id, format: 'html' })).body;
  const usage = (await owner.get('/api/v1/sessions/storage-usage')).body;
  expect(usage.sessions).toBe(2);
  expect(usage.working_directory_bytes).toBe(60_000);
  expect(usage.archive_bytes).toBeGreaterThan(0);
  expect(usage.report_bytes).toBe(report.file_size_bytes);
  expect(usage.report_bytes).toBeGreaterThan(0);
  expect(usage.total_bytes).toBe(usage.working_directory_bytes + usage.archive_bytes + usage.report_bytes);
  expect(usage.limit_bytes).toBe(10240 * 1024 * 1024);
  expect((await other.get('/api/v1/sessions/storage-usage')).body.total_bytes).toBe(0);
});
