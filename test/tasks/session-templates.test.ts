import { stat } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { expectError } from '../platform/support/expect-error.ts';
import { newUser, startServer, type Client, type TestServer } from '../support/server.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server.close());

type User = Client & { userId: string };
const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

async function makeTemplate(owner: Client, body: Record<string, unknown> = {}) {
  const created = await owner.post('/api/v1/session-templates', { name: `tpl-${Math.random().toString(36).slice(2, 8)}`, ...body });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return created.body as { id: string; name: string; usage_count: number };
}

describe('CRUD', () => {
  test('creates with every field and defaults the rest', async () => {
    const alice = await newUser(server.url, 'tpl-crud');
    const full = await alice.post('/api/v1/session-templates', {
      name: 'Code review',
      description: 'Reviews a diff',
      category: 'engineering',
      sdk_options: { model: 'claude-sonnet-4-5', max_turns: 4, allowed_tools: ['Read', 'Grep'] },
      default_mode: 'non_interactive',
      is_public: true,
    });
    expect(full.status).toBe(201);
    expect(full.body).toMatchObject({
      id: expect.stringMatching(uuid),
      user_id: alice.userId,
      name: 'Code review',
      description: 'Reviews a diff',
      category: 'engineering',
      sdk_options: { model: 'claude-sonnet-4-5', max_turns: 4, allowed_tools: ['Read', 'Grep'] },
      default_mode: 'non_interactive',
      is_public: true,
      usage_count: 0,
    });
    const bare = await alice.post('/api/v1/session-templates', { name: 'bare' });
    expect(bare.body).toMatchObject({ description: null, category: null, sdk_options: {}, default_mode: 'interactive', is_public: false, usage_count: 0 });
    expect((await alice.get(`/api/v1/session-templates/${full.body.id}`)).body).toEqual(full.body);
  });

  test('updates and deletes its own', async () => {
    const alice = await newUser(server.url, 'tpl-update');
    const template = await makeTemplate(alice, { sdk_options: { max_turns: 2 } });
    const changed = await alice.patch(`/api/v1/session-templates/${template.id}`, { name: 'renamed', category: 'ops', sdk_options: { max_turns: 9 }, is_public: true });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ name: 'renamed', category: 'ops', sdk_options: { max_turns: 9 }, is_public: true });
    const cleared = await alice.patch(`/api/v1/session-templates/${template.id}`, { category: null });
    expect(cleared.body).toMatchObject({ name: 'renamed', category: null });
    expect((await alice.delete(`/api/v1/session-templates/${template.id}`)).status).toBe(204);
    expectError(await alice.get(`/api/v1/session-templates/${template.id}`), 404, 'TEMPLATE_NOT_FOUND');
    expectError(await alice.delete(`/api/v1/session-templates/${template.id}`), 404, 'TEMPLATE_NOT_FOUND');
  });

  test('bad input is 422, never 500', async () => {
    const alice = await newUser(server.url, 'tpl-bad');
    for (const body of [{}, { name: '' }, { name: 'x', colour: 'red' }, { name: 'x', sdk_options: { cwd: '/etc' } }, { name: 'x', default_mode: 'turbo' }, { name: 'x', is_public: 'yes' }, { name: 'n'.repeat(300) }]) {
      expectError(await alice.post('/api/v1/session-templates', body), 422, 'VALIDATION_ERROR');
    }
    expectError(await alice.get('/api/v1/session-templates/not-a-uuid'), 422, 'VALIDATION_ERROR');
    expectError(await alice.get('/api/v1/session-templates?limit=1000'), 422, 'VALIDATION_ERROR');
    const template = await makeTemplate(alice);
    expectError(await alice.patch(`/api/v1/session-templates/${template.id}`, { usage_count: 1000 }), 422, 'VALIDATION_ERROR');
  });
});

describe('visibility', () => {
  let owner: User;
  let other: User;
  let privateId: string;
  let publicId: string;
  beforeAll(async () => {
    owner = await newUser(server.url, 'tpl-owner');
    other = await newUser(server.url, 'tpl-other');
    privateId = (await makeTemplate(owner, { name: 'private one', category: `cat-${owner.userId}` })).id;
    publicId = (await makeTemplate(owner, { name: 'public one', is_public: true, category: `cat-${owner.userId}` })).id;
  });

  test("another user's private template is not found, for reads and writes", async () => {
    expectError(await other.get(`/api/v1/session-templates/${privateId}`), 404, 'TEMPLATE_NOT_FOUND');
    expectError(await other.patch(`/api/v1/session-templates/${privateId}`, { name: 'mine now' }), 404, 'TEMPLATE_NOT_FOUND');
    expectError(await other.delete(`/api/v1/session-templates/${privateId}`), 404, 'TEMPLATE_NOT_FOUND');
    expect((await owner.get(`/api/v1/session-templates/${privateId}`)).body.name).toBe('private one');
  });

  test('a public template is readable by everyone and changeable by its owner only', async () => {
    expect((await other.get(`/api/v1/session-templates/${publicId}`)).body).toMatchObject({ id: publicId, name: 'public one', is_public: true });
    expectError(await other.patch(`/api/v1/session-templates/${publicId}`, { name: 'hijacked' }), 403, 'FORBIDDEN');
    expectError(await other.delete(`/api/v1/session-templates/${publicId}`), 403, 'FORBIDDEN');
    expect((await owner.get(`/api/v1/session-templates/${publicId}`)).body.name).toBe('public one');
  });

  test('a public template carries no credentials: everyone using it would act with them', async () => {
    const database = { builtin_tools: ['database'], database: { dsn: 'postgres://reader:hunter2-secret@127.0.0.1:5432/warehouse' } };
    expectError(await owner.post('/api/v1/session-templates', { name: 'shared db', is_public: true, sdk_options: database }), 422, 'TEMPLATE_CREDENTIALS_PUBLIC');
    const mine = await makeTemplate(owner, { name: 'my db', sdk_options: database });
    expectError(await owner.patch(`/api/v1/session-templates/${mine.id}`, { is_public: true }), 422, 'TEMPLATE_CREDENTIALS_PUBLIC');
    expectError(await owner.patch(`/api/v1/session-templates/${publicId}`, { sdk_options: database }), 422, 'TEMPLATE_CREDENTIALS_PUBLIC');
    const kept = (await owner.get(`/api/v1/session-templates/${mine.id}`)).body;
    expect(kept).toMatchObject({ is_public: false, sdk_options: { database: { dsn: 'postgres://reader:****@127.0.0.1:5432/warehouse' } } });
    expect((await other.get(`/api/v1/session-templates/${mine.id}`)).status).toBe(404);
  });

  test("lists hold the caller's own and the public ones, filtered by category", async () => {
    const mine = await makeTemplate(other, { name: 'other private', category: `cat-${owner.userId}` });
    const seen = await other.get(`/api/v1/session-templates?category=cat-${owner.userId}`);
    expect(seen.status).toBe(200);
    expect(seen.body).toMatchObject({ total: 2, skip: 0, limit: 20 });
    expect(seen.body.items.map((t: any) => t.id)).toEqual([mine.id, publicId]);
    const ownerView = await owner.get(`/api/v1/session-templates?category=cat-${owner.userId}`);
    expect(ownerView.body.items.map((t: any) => t.id)).toEqual([publicId, privateId]);
    const page = await owner.get(`/api/v1/session-templates?category=cat-${owner.userId}&skip=1&limit=1`);
    expect(page.body).toMatchObject({ total: 2, skip: 1, limit: 1 });
    expect(page.body.items.map((t: any) => t.id)).toEqual([privateId]);
    const all = await other.get('/api/v1/session-templates?limit=100');
    expect(all.body.items.map((t: any) => t.id)).not.toContain(privateId);
  });
});

describe('sessions from a template', () => {
  test('take the template values, and request values override them key by key', async () => {
    const alice = await newUser(server.url, 'tpl-session');
    const template = await makeTemplate(alice, {
      name: 'nightly audit',
      default_mode: 'non_interactive',
      sdk_options: { model: 'claude-haiku-4-5', max_turns: 3, system_prompt: 'Be brief.', allowed_tools: ['Read'] },
    });

    const plain = await alice.post('/api/v1/sessions', { template_id: template.id });
    expect(plain.status, JSON.stringify(plain.body)).toBe(201);
    expect(plain.body).toMatchObject({
      name: 'nightly audit',
      mode: 'non_interactive',
      template_id: template.id,
      sdk_options: { model: 'claude-haiku-4-5', max_turns: 3, system_prompt: 'Be brief.', allowed_tools: ['Read'] },
    });

    const overridden = await alice.post('/api/v1/sessions', { template_id: template.id, name: 'my run', mode: 'interactive', sdk_options: { max_turns: 7, allowed_tools: ['Grep'] } });
    expect(overridden.status).toBe(201);
    expect(overridden.body).toMatchObject({ name: 'my run', mode: 'interactive', template_id: template.id });
    expect(overridden.body.sdk_options).toEqual({ model: 'claude-haiku-4-5', max_turns: 7, system_prompt: 'Be brief.', allowed_tools: ['Grep'] });

    expect((await alice.get(`/api/v1/session-templates/${template.id}`)).body.usage_count).toBe(2);
    const without = await alice.post('/api/v1/sessions', { name: 'no template' });
    expect(without.body.template_id).toBeNull();
  });

  test("another user's public template works and counts; a private one is 404 and creates nothing", async () => {
    const owner = await newUser(server.url, 'tpl-pub-owner');
    const user = await newUser(server.url, 'tpl-pub-user');
    const shared = await makeTemplate(owner, { is_public: true, sdk_options: { max_turns: 5 } });
    const hidden = await makeTemplate(owner);

    const fromShared = await user.post('/api/v1/sessions', { template_id: shared.id });
    expect(fromShared.status).toBe(201);
    expect(fromShared.body).toMatchObject({ user_id: user.userId, sdk_options: { max_turns: 5 } });
    expect((await owner.get(`/api/v1/session-templates/${shared.id}`)).body.usage_count).toBe(1);

    expectError(await user.post('/api/v1/sessions', { template_id: hidden.id }), 404, 'TEMPLATE_NOT_FOUND');
    expectError(await user.post('/api/v1/sessions', { template_id: '00000000-0000-4000-8000-000000000000' }), 404, 'TEMPLATE_NOT_FOUND');
    expectError(await user.post('/api/v1/sessions', { template_id: 'nope' }), 422, 'VALIDATION_ERROR');
    const sessions = await user.get('/api/v1/sessions');
    expect(sessions.body.total).toBe(1);
    expect((await owner.get(`/api/v1/session-templates/${hidden.id}`)).body.usage_count).toBe(0);
  });

  test('concurrent sessions from one template each count', async () => {
    const alice = await newUser(server.url, 'tpl-concurrent');
    const template = await makeTemplate(alice);
    const created = await Promise.all(Array.from({ length: 4 }, () => alice.post('/api/v1/sessions', { template_id: template.id })));
    expect(created.map((r) => r.status)).toEqual([201, 201, 201, 201]);
    expect((await alice.get(`/api/v1/session-templates/${template.id}`)).body.usage_count).toBe(4);
  });

  test('a session refused by the quota does not count as a use', async () => {
    const alice = await newUser(server.url, 'tpl-quota');
    const template = await makeTemplate(alice);
    for (let i = 0; i < 5; i++) expect((await alice.post('/api/v1/sessions', { template_id: template.id })).status).toBe(201);
    const refused = await alice.post('/api/v1/sessions', { template_id: template.id });
    expectError(refused, 429, 'QUOTA_EXCEEDED');
    expect((await alice.get(`/api/v1/session-templates/${template.id}`)).body.usage_count).toBe(5);
    const sessions = await alice.get('/api/v1/sessions');
    expect(sessions.body.total).toBe(5);
    for (const s of sessions.body.items) await stat(path.join(path.resolve(server.dataDir), 'sessions', s.id));
  });

  test('a deleted template leaves its sessions alone and cannot start new ones', async () => {
    const alice = await newUser(server.url, 'tpl-deleted');
    const template = await makeTemplate(alice);
    const session = (await alice.post('/api/v1/sessions', { template_id: template.id })).body;
    expect((await alice.delete(`/api/v1/session-templates/${template.id}`)).status).toBe(204);
    expect((await alice.get(`/api/v1/sessions/${session.id}`)).body).toMatchObject({ id: session.id, template_id: template.id });
    expectError(await alice.post('/api/v1/sessions', { template_id: template.id }), 404, 'TEMPLATE_NOT_FOUND');
  });
});
