import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { newUser, type Client, type TestServer, startWithAdmin } from '../support/server.ts';
import { expectNoSecret, uniqueName } from './support.ts';

let server: TestServer;
let admin: Client;
beforeAll(async () => ({ server, admin } = await startWithAdmin()));
afterAll(() => server.close());

const stdio = (name: string, env: Record<string, string> = {}) => ({ name, server_type: 'stdio', command: 'node', args: ['server.js'], env });

describe('the registry', () => {
  test('a server is created, read, listed, changed and deleted; secrets are masked everywhere and sealed at rest', async () => {
    const alice = await newUser(server.url);
    const secret = `sk-live-${uniqueName('token')}`;
    const headerSecret = `Bearer ${uniqueName('hdr')}`;
    const name = uniqueName();
    const created = await alice.post('/api/v1/mcp-servers', { ...stdio(name, { API_TOKEN: secret, MODE: 'fast-mode' }), description: 'files' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name, server_type: 'stdio', command: 'node', args: ['server.js'], env: { API_TOKEN: '********', MODE: '********' }, is_enabled: true, is_global: false, user_id: alice.userId, last_health: null });
    expectNoSecret(created, secret, 'fast-mode');

    const remote = await alice.post('/api/v1/mcp-servers', { name: uniqueName('web'), server_type: 'http', url: 'https://mcp.example.test/mcp', headers: { Authorization: headerSecret } });
    expect(remote.status).toBe(201);
    expect(remote.body.headers).toEqual({ Authorization: '********' });
    expectNoSecret(remote, headerSecret);

    const read = await alice.get(`/api/v1/mcp-servers/${created.body.id}`);
    expect(read.status).toBe(200);
    expectNoSecret(read, secret);
    const list = await alice.get('/api/v1/mcp-servers');
    expect(list.status).toBe(200);
    expect(list.body).toMatchObject({ skip: 0, limit: 20 });
    // Global servers of other tests may be listed too (a shared PostgreSQL in CI): count only her own.
    expect(list.body.items.filter((s: any) => s.user_id === alice.userId).map((s: any) => s.id).sort()).toEqual([created.body.id, remote.body.id].sort());
    expectNoSecret(list, secret, headerSecret);

    // At rest: the value is in neither column in clear.
    const row = await server.container.store.mcpServers.findById(created.body.id);
    expect(JSON.stringify(row?.config)).not.toContain(secret);
    expect(row?.encryptedSecrets).toMatch(/^v1\./);
    expect(row?.encryptedSecrets).not.toContain(secret);

    // "********" keeps a stored value; a new value replaces it; a key left out is removed.
    const kept = await alice.patch(`/api/v1/mcp-servers/${created.body.id}`, { env: { API_TOKEN: '********', EXTRA: 'x-value' }, is_enabled: false });
    expect(kept.status).toBe(200);
    expect(kept.body).toMatchObject({ is_enabled: false, env: { API_TOKEN: '********', EXTRA: '********' } });
    const renamed = await alice.patch(`/api/v1/mcp-servers/${created.body.id}`, { name: `${name}-2`, is_enabled: true, args: ['other.js'] });
    expect(renamed.body).toMatchObject({ name: `${name}-2`, args: ['other.js'], env: { API_TOKEN: '********', EXTRA: '********' } });
    const resolved = await server.container.mcpServers.resolvedServersFor(alice.userId);
    expect(resolved.find((s) => s.id === created.body.id)).toEqual({
      id: created.body.id,
      name: `${name}-2`,
      scope: 'user',
      config: { type: 'stdio', command: 'node', args: ['other.js'], env: { API_TOKEN: secret, EXTRA: 'x-value' } },
    });
    expect(resolved.find((s) => s.id === remote.body.id)?.config).toEqual({ type: 'http', url: 'https://mcp.example.test/mcp', headers: { Authorization: headerSecret } });

    // Audit rows name what changed, never a value.
    const audit = await alice.get('/api/v1/audit-logs?limit=100');
    const rows = audit.body.items.filter((r: any) => r.resource_type === 'mcp_server');
    expect(rows.map((r: any) => r.event_type)).toEqual(expect.arrayContaining(['mcp_server.created', 'mcp_server.updated']));
    expectNoSecret(audit, secret, headerSecret, 'x-value');
    expect(rows.find((r: any) => r.event_type === 'mcp_server.created' && r.resource_id === created.body.id).details).toMatchObject({ env_keys: ['API_TOKEN', 'MODE'] });

    expect((await alice.delete(`/api/v1/mcp-servers/${created.body.id}`)).status).toBe(204);
    expect((await alice.get(`/api/v1/mcp-servers/${created.body.id}`)).body.error_code).toBe('MCP_SERVER_NOT_FOUND');
    const deleted = await alice.get('/api/v1/audit-logs?event_type=mcp_server.deleted');
    expect(deleted.body.items[0]).toMatchObject({ resource_id: created.body.id, details: { name: `${name}-2` } });
  });

  test("another user's server is 404 for every verb, and absent from their list", async () => {
    const owner = await newUser(server.url);
    const other = await newUser(server.url);
    const created = (await owner.post('/api/v1/mcp-servers', stdio(uniqueName(), { KEY: 'hidden-value' }))).body;
    for (const response of [
      await other.get(`/api/v1/mcp-servers/${created.id}`),
      await other.patch(`/api/v1/mcp-servers/${created.id}`, { is_enabled: false }),
      await other.delete(`/api/v1/mcp-servers/${created.id}`),
      await other.post(`/api/v1/mcp-servers/${created.id}/health-check`),
    ]) {
      expect(response.status).toBe(404);
      expect(response.body.error_code).toBe('MCP_SERVER_NOT_FOUND');
    }
    expect((await other.get('/api/v1/mcp-servers')).body.items.map((s: any) => s.id)).not.toContain(created.id);
    expect((await other.get('/api/v1/mcp-servers/export')).body.mcpServers).toEqual({});
    expect((await owner.get(`/api/v1/mcp-servers/${created.id}`)).body.is_enabled).toBe(true);
  });

  test('global servers: admins create and change them, everyone sees them, a user server of the same name shadows one', async () => {
    const user = await newUser(server.url);
    const name = uniqueName('shared');
    const refused = await user.post('/api/v1/mcp-servers', { ...stdio(name), is_global: true });
    expect(refused.status).toBe(403);
    expect(refused.body.error_code).toBe('FORBIDDEN');

    const global = await admin.post('/api/v1/mcp-servers', { ...stdio(name, { SHARED: 'global-value' }), is_global: true });
    expect(global.status).toBe(201);
    expect(global.body).toMatchObject({ is_global: true, user_id: null });
    expect((await user.get(`/api/v1/mcp-servers/${global.body.id}`)).status).toBe(200);
    expect((await user.get('/api/v1/mcp-servers?limit=100')).body.items.map((s: any) => s.id)).toContain(global.body.id);
    expect((await user.patch(`/api/v1/mcp-servers/${global.body.id}`, { is_enabled: false })).status).toBe(403);
    expect((await user.delete(`/api/v1/mcp-servers/${global.body.id}`)).status).toBe(403);
    expect((await admin.post('/api/v1/mcp-servers', { ...stdio(name), is_global: true })).status).toBe(409);

    expect((await server.container.mcpServers.resolvedServersFor(user.userId)).find((s) => s.name === name)).toMatchObject({ scope: 'global', config: { env: { SHARED: 'global-value' } } });
    const own = await user.post('/api/v1/mcp-servers', stdio(name, { SHARED: 'own-value' }));
    expect(own.status).toBe(201);
    const resolved = (await server.container.mcpServers.resolvedServersFor(user.userId)).filter((s) => s.name === name);
    expect(resolved).toEqual([{ id: own.body.id, name, scope: 'user', config: { type: 'stdio', command: 'node', args: ['server.js'], env: { SHARED: 'own-value' } } }]);

    // A disabled server is not given to agents; the global one is then used again.
    await user.patch(`/api/v1/mcp-servers/${own.body.id}`, { is_enabled: false });
    expect((await server.container.mcpServers.resolvedServersFor(user.userId)).filter((s) => s.name === name).map((s) => s.id)).toEqual([global.body.id]);
    await admin.patch(`/api/v1/mcp-servers/${global.body.id}`, { is_enabled: false });
    expect((await server.container.mcpServers.resolvedServersFor(user.userId)).filter((s) => s.name === name)).toEqual([]);
    expect((await admin.delete(`/api/v1/mcp-servers/${global.body.id}`)).status).toBe(204);
  });

  test('names are unique per owner: 409 on create and on rename', async () => {
    const user = await newUser(server.url);
    const name = uniqueName();
    expect((await user.post('/api/v1/mcp-servers', stdio(name))).status).toBe(201);
    const duplicate = await user.post('/api/v1/mcp-servers', stdio(name));
    expect(duplicate.status).toBe(409);
    expect(duplicate.body.error_code).toBe('MCP_SERVER_NAME_TAKEN');
    const second = (await user.post('/api/v1/mcp-servers', stdio(`${name}-b`))).body;
    const rename = await user.patch(`/api/v1/mcp-servers/${second.id}`, { name });
    expect(rename.status).toBe(409);
    expect(rename.body.error_code).toBe('MCP_SERVER_NAME_TAKEN');
    // Another user may use the same name.
    expect((await (await newUser(server.url)).post('/api/v1/mcp-servers', stdio(name))).status).toBe(201);
  });

  test('a viewer reads but changes nothing', async () => {
    const viewer = await newUser(server.url);
    const global = (await admin.post('/api/v1/mcp-servers', { ...stdio(uniqueName('g')), is_global: true })).body;
    await admin.patch(`/api/v1/admin/users/${viewer.userId}`, { role: 'viewer' });
    expect((await viewer.get('/api/v1/mcp-servers')).status).toBe(200);
    expect((await viewer.get(`/api/v1/mcp-servers/${global.id}`)).status).toBe(200);
    for (const response of [
      await viewer.post('/api/v1/mcp-servers', stdio(uniqueName())),
      await viewer.post('/api/v1/mcp-servers/import', { document: { mcpServers: {} } }),
      await viewer.post(`/api/v1/mcp-servers/${global.id}/health-check`),
    ]) {
      expect(response.status).toBe(403);
    }
    await admin.delete(`/api/v1/mcp-servers/${global.id}`);
  });

  test('bad input is 422, never 500', async () => {
    const user = await newUser(server.url);
    const existing = (await user.post('/api/v1/mcp-servers', stdio(uniqueName()))).body;
    const bodies: unknown[] = [
      {},
      { ...stdio('has space') },
      { ...stdio('a__b') },
      { ...stdio('x'.repeat(65)) },
      { ...stdio(uniqueName()), command: '' },
      { ...stdio(uniqueName()), command: 'node\nrm -rf /' },
      { ...stdio(uniqueName()), command: ' node' },
      { ...stdio(uniqueName()), args: 'not-a-list' },
      { ...stdio(uniqueName()), env: { 'BAD-NAME': 'x' } },
      { ...stdio(uniqueName()), env: { GOOD: 42 } },
      { ...stdio(uniqueName()), env: { GOOD: '********' } },
      { ...stdio(uniqueName()), url: 'https://example.test' },
      { name: uniqueName(), server_type: 'sdk', command: 'x' },
      { name: uniqueName(), server_type: 'ftp', url: 'ftp://example.test' },
      { name: uniqueName(), server_type: 'http', url: 'ftp://example.test/mcp' },
      { name: uniqueName(), server_type: 'sse', url: 'file:///etc/passwd' },
      { name: uniqueName(), server_type: 'http', url: 'not a url' },
      { name: uniqueName(), server_type: 'http' },
      { name: uniqueName(), server_type: 'http', url: 'https://example.test', headers: { 'X-A': 'a\r\nInjected: yes' } },
      { name: uniqueName(), server_type: 'http', url: 'https://example.test', headers: { 'bad header': 'v' } },
      { name: uniqueName(), server_type: 'http', url: 'https://example.test', command: 'node' },
      { ...stdio(uniqueName()), is_global: 'yes' },
    ];
    for (const body of bodies) {
      const response = await user.post('/api/v1/mcp-servers', body);
      expect(response.status, JSON.stringify(body)).toBe(422);
      expect(response.body.error_code).toBe('VALIDATION_ERROR');
    }
    const patches: unknown[] = [{ url: 'https://example.test' }, { server_type: 'http' }, { is_global: true }, { env: { NEW: '********' } }, { name: '' }, { unknown: 1 }];
    for (const patch of patches) {
      const response = await user.patch(`/api/v1/mcp-servers/${existing.id}`, patch);
      expect(response.status, JSON.stringify(patch)).toBe(422);
    }
    expect((await user.get('/api/v1/mcp-servers/not-a-uuid')).status).toBe(422);
    expect((await user.get('/api/v1/mcp-servers/00000000-0000-4000-8000-000000000000')).status).toBe(404);
    expect((await user.raw('POST', '/api/v1/mcp-servers', '{"name":', { 'content-type': 'application/json' })).status).toBe(400);
  });
});
