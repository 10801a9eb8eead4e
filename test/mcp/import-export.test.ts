import YAML from 'yaml';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { newUser, type Client, type TestServer, startWithAdmin } from '../support/server.ts';
import { expectNoSecret, uniqueName } from './support.ts';

let server: TestServer;
let admin: Client;
beforeAll(async () => ({ server, admin } = await startWithAdmin()));
afterAll(() => server.close());

test('a JSON document imports with ${VAR} and ${VAR:-default} from the request only; bad entries are reported, existing names skipped', async () => {
  const user = await newUser(server.url);
  const existing = uniqueName('existing');
  await user.post('/api/v1/mcp-servers', { name: existing, server_type: 'stdio', command: 'node' });
  const document = {
    mcpServers: {
      files: { command: 'npx', args: ['-y', 'files-server', '${ROOT:-/srv}'], env: { API_KEY: '${API_KEY}' } },
      remote: { type: 'http', url: 'https://${HOST}/mcp', headers: { Authorization: 'Bearer ${TOKEN}' }, description: 'remote tools' },
      events: { type: 'sse', url: 'https://events.example.test/sse', enabled: false, timeout: 30 },
      [existing]: { command: 'node' },
      leaky: { command: 'node', env: { STOLEN: '${PATH}', HOME_DIR: '${HOME:-none}' } },
      'bad name': { command: 'node' },
      neither: { args: ['x'] },
      badurl: { type: 'http', url: 'ftp://example.test' },
    },
  };
  const variables = { API_KEY: 'key-from-variables', HOST: 'mcp.example.test', TOKEN: 'token-from-variables' };
  const imported = await user.post('/api/v1/mcp-servers/import', { document, variables });
  expect(imported.status).toBe(200);
  expect(imported.body).toMatchObject({ imported_count: 3, skipped_count: 1, imported: ['files', 'remote', 'events'], skipped: [existing], warnings: [] });
  expect(imported.body.errors.map((e: any) => e.name).sort()).toEqual(['bad name', 'badurl', 'leaky', 'neither']);
  // The server's own environment is never a source of values.
  expect(imported.body.errors.find((e: any) => e.name === 'leaky').detail).toBe('undefined variables without a default: PATH');
  expectNoSecret(imported, 'key-from-variables', 'token-from-variables');

  const resolved = await server.container.mcpServers.resolvedServersFor(user.userId);
  expect(resolved.find((s) => s.name === 'files')?.config).toEqual({ type: 'stdio', command: 'npx', args: ['-y', 'files-server', '/srv'], env: { API_KEY: 'key-from-variables' } });
  expect(resolved.find((s) => s.name === 'remote')?.config).toEqual({ type: 'http', url: 'https://mcp.example.test/mcp', headers: { Authorization: 'Bearer token-from-variables' } });
  expect(resolved.find((s) => s.name === 'events')).toBeUndefined();
  const list = await user.get('/api/v1/mcp-servers');
  expect(list.body.items.find((s: any) => s.name === 'events')).toMatchObject({ server_type: 'sse', is_enabled: false });
  expectNoSecret(list, 'key-from-variables', 'token-from-variables');

  const audit = await user.get('/api/v1/audit-logs?event_type=mcp_server.imported');
  expect(audit.body.items[0].details).toMatchObject({ imported: ['files', 'remote', 'events'], skipped: [existing] });
  expectNoSecret(audit, 'key-from-variables', 'token-from-variables', 'mcp.example.test');
});

test('export gives back a document that imports again, in JSON and in YAML; masked secrets are not imported as values', async () => {
  const alice = await newUser(server.url);
  const document = {
    mcpServers: {
      plain: { type: 'stdio', command: 'node', args: ['server.js', '--port', '0'], env: {} },
      secretive: { type: 'stdio', command: 'python3', args: ['-m', 'srv'], env: { SECRET: 'alice-secret-value' } },
      web: { type: 'http', url: 'https://web.example.test/mcp', headers: { 'X-Api-Key': 'alice-header-secret' }, description: 'the web' },
      off: { type: 'sse', url: 'https://sse.example.test/sse', headers: {}, enabled: false },
    },
  };
  expect((await alice.post('/api/v1/mcp-servers/import', { document })).body.imported_count).toBe(4);

  const json = await alice.get('/api/v1/mcp-servers/export?format=json');
  expect(json.status).toBe(200);
  expect(json.headers.get('content-type')).toMatch(/application\/json/);
  expectNoSecret(json, 'alice-secret-value', 'alice-header-secret');
  expect(json.body.mcpServers.secretive.env).toEqual({ SECRET: '********' });
  expect(json.body.mcpServers.plain).toEqual(document.mcpServers.plain);
  expect(json.body.mcpServers.off).toEqual(document.mcpServers.off);
  expect(json.body.mcpServers.web).toEqual({ ...document.mcpServers.web, headers: { 'X-Api-Key': '********' } });

  const yaml = await alice.get('/api/v1/mcp-servers/export?format=yaml');
  expect(yaml.status).toBe(200);
  expect(yaml.headers.get('content-type')).toMatch(/application\/yaml/);
  expect(typeof yaml.body).toBe('string');
  expect(YAML.parse(yaml.body)).toEqual(json.body);
  expectNoSecret(yaml, 'alice-secret-value', 'alice-header-secret');

  // Round trip through YAML text into another account: same document, masked keys left for the user to set.
  const bob = await newUser(server.url);
  const again = await bob.post('/api/v1/mcp-servers/import', { document: yaml.body, format: 'yaml' });
  expect(again.body).toMatchObject({ imported_count: 4, skipped_count: 0, errors: [] });
  expect(again.body.warnings.map((w: any) => `${w.name}:${w.detail.split(' ')[0]}`).sort()).toEqual(['secretive:env.SECRET', 'web:headers.X-Api-Key']);
  const bobs = (await bob.get('/api/v1/mcp-servers/export')).body;
  expect(bobs.mcpServers.plain).toEqual(json.body.mcpServers.plain);
  expect(bobs.mcpServers.off).toEqual(json.body.mcpServers.off);
  expect(bobs.mcpServers.secretive).toEqual({ ...json.body.mcpServers.secretive, env: {} });
  const bobResolved = await server.container.mcpServers.resolvedServersFor(bob.userId);
  expect(JSON.stringify(bobResolved)).not.toContain('********');

  // JSON text (format guessed) into a third account; importing twice skips everything.
  const carol = await newUser(server.url);
  expect((await carol.post('/api/v1/mcp-servers/import', { document: JSON.stringify(json.body) })).body.imported_count).toBe(4);
  expect((await carol.post('/api/v1/mcp-servers/import', { document: json.body })).body).toMatchObject({ imported_count: 0, skipped_count: 4 });
});

test('a YAML file uploaded as multipart form data imports', async () => {
  const user = await newUser(server.url);
  const yaml = ['mcpServers:', '  uploaded:', '    command: node', '    args: ["srv.js", "${DIR:-/data}"]', '    env:', '      KEY: "${KEY}"', ''].join('\n');
  const form = new FormData();
  form.append('file', new Blob([yaml], { type: 'application/yaml' }), 'mcp.yaml');
  form.append('variables', JSON.stringify({ KEY: 'uploaded-secret' }));
  const response = await fetch(`${server.url}/api/v1/mcp-servers/import`, { method: 'POST', headers: { authorization: `Bearer ${user.token}` }, body: form });
  const body = (await response.json()) as any;
  expect(response.status).toBe(200);
  expect(body).toMatchObject({ imported_count: 1, imported: ['uploaded'], errors: [] });
  const resolved = (await server.container.mcpServers.resolvedServersFor(user.userId)).find((s) => s.name === 'uploaded');
  expect(resolved?.config).toEqual({ type: 'stdio', command: 'node', args: ['srv.js', '/data'], env: { KEY: 'uploaded-secret' } });

  const noFile = new FormData();
  noFile.append('format', 'yaml');
  const refused = await fetch(`${server.url}/api/v1/mcp-servers/import`, { method: 'POST', headers: { authorization: `Bearer ${user.token}` }, body: noFile });
  expect(refused.status).toBe(422);
});

test('global imports and exports are for admins; broken documents are 422', async () => {
  const user = await newUser(server.url);
  const name = uniqueName('global');
  const document = { mcpServers: { [name]: { command: 'node', env: { SHARED_KEY: 'global-import-secret' } } } };
  expect((await user.post('/api/v1/mcp-servers/import', { document, is_global: true })).status).toBe(403);
  const imported = await admin.post('/api/v1/mcp-servers/import', { document, is_global: true });
  expect(imported.body.imported_count).toBe(1);
  const globals = await user.get('/api/v1/mcp-servers/export?scope=global');
  expect(globals.body.mcpServers[name]).toEqual({ type: 'stdio', command: 'node', args: [], env: { SHARED_KEY: '********' } });
  expect((await user.get('/api/v1/mcp-servers/export')).body.mcpServers[name]).toBeUndefined();
  const global = (await admin.get('/api/v1/mcp-servers?limit=100')).body.items.find((s: any) => s.name === name && s.is_global);
  expect((await admin.delete(`/api/v1/mcp-servers/${global.id}`)).status).toBe(204);

  for (const body of [
    { document: 'mcpServers: [unclosed', format: 'yaml' },
    { document: '{"mcpServers": ', format: 'json' },
    { document: '{"servers": {}}' },
    { document: '- a\n- b\n' },
    { document: 'mcpServers:\n  loop: &a\n    command: node\n    args: [*a]\n' },
    { document: `a: &a [x, x, x, x, x, x, x, x, x]\n${Array.from({ length: 12 }, (_, i) => `l${i}: &l${i} [${Array(9).fill(i ? `*l${i - 1}` : '*a').join(', ')}]`).join('\n')}\nmcpServers: {}\n` },
    { document: { mcpServers: 'nope' } },
    { document: { mcpServers: Object.fromEntries(Array.from({ length: 201 }, (_, i) => [`s${i}`, { command: 'node' }])) } },
    { document: '' },
    { document: { mcpServers: {} }, variables: { 'not-a-name': 'x' } },
    { document: { mcpServers: {} }, format: 'toml' },
    {},
  ]) {
    const response = await user.post('/api/v1/mcp-servers/import', body);
    expect(response.status, JSON.stringify(body).slice(0, 80)).toBe(422);
    expect(response.body.error_code).toBe('VALIDATION_ERROR');
  }
  expect((await user.get('/api/v1/mcp-servers/export?format=xml')).status).toBe(422);
});
