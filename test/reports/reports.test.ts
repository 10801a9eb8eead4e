import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { expectError } from '../platform/support/expect-error.ts';
import { client, newUser, startServer, type Client, type TestServer } from '../support/server.ts';
import { flat, pdfText } from './pdf-text.ts';

const admin = { email: `admin-${randomUUID().slice(0, 8)}@example.test`, password: 'admin-password-123' };
const sessionName = `Ops review ${randomUUID().slice(0, 6)}`;
const tricky = 'Hello <script>alert(1)</script> & "friends" | pipes';

let server: TestServer;
let root: Client;
let alice: Client & { userId: string };
let sessionId: string;

beforeAll(async () => {
  server = await startServer({ env: { AGENTD_ADMIN_EMAIL: admin.email, AGENTD_ADMIN_PASSWORD: admin.password } });
  root = client(server.url, (await client(server.url).post('/api/v1/auth/login', admin)).body.access_token);
  alice = await newUser(server.url, 'alice');
  sessionId = (await alice.post('/api/v1/sessions', { name: sessionName, sdk_options: { allowed_tools: ['Write'] } })).body.id;
  const first = await alice.post(`/api/v1/sessions/${sessionId}/query`, { message: '!tool Write {"file_path":"$CWD/a.txt","content":"left | right"}' });
  expect(first.body.tool_calls).toMatchObject([{ tool_name: 'Write', status: 'success' }]);
  expect((await alice.post(`/api/v1/sessions/${sessionId}/query`, { message: tricky })).body.content).toBe(`echo: ${tricky}`);
});
afterAll(() => server.close());

/** Downloads a report's file as a user would: the bytes and the headers. */
async function download(user: Client, id: string) {
  const response = await fetch(`${server.url}/api/v1/reports/${id}/download`, { headers: { authorization: `Bearer ${user.token}` } });
  return { status: response.status, headers: response.headers, bytes: Buffer.from(await response.arrayBuffer()) };
}

async function generate(user: Client, body: Record<string, unknown>) {
  const created = await user.post('/api/v1/reports', body);
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const file = await download(user, created.body.id);
  expect(file.status).toBe(200);
  return { report: created.body, file };
}

describe('each format carries the session, the conversation, the tool calls and the metrics', () => {
  test('JSON', async () => {
    const { report, file } = await generate(alice, { session_id: sessionId, format: 'json' });
    expect(report).toMatchObject({
      user_id: alice.userId,
      session_id: sessionId,
      execution_id: null,
      format: 'json',
      content_type: 'application/json',
      file_size_bytes: file.bytes.length,
      options: { include_messages: true, include_tool_calls: true, include_metrics: true, title: `Session report: ${sessionName}` },
      download_url: `/api/v1/reports/${report.id}/download`,
    });
    expect(report.file_name).toMatch(new RegExp(`^session-report-ops-review-[a-z0-9]+-${report.id.slice(0, 8)}\\.json$`));
    expect(file.headers.get('content-type')).toBe('application/json');
    expect(file.headers.get('content-disposition')).toBe(`attachment; filename="${report.file_name}"`);

    const doc = JSON.parse(file.bytes.toString('utf8'));
    expect(doc.session).toMatchObject({ id: sessionId, name: sessionName, status: 'active', mode: 'interactive' });
    expect(doc.messages.map((m: any) => m.type)).toEqual(['user', 'assistant', 'tool_result', 'assistant', 'result', 'user', 'assistant', 'result']);
    expect(doc.messages.find((m: any) => m.type === 'user' && m.text === tricky)).toBeDefined();
    expect(doc.tool_calls).toMatchObject([{ name: 'Write', status: 'success', input: { content: 'left | right' } }]);
    const session = (await alice.get(`/api/v1/sessions/${sessionId}`)).body;
    expect(doc.metrics).toMatchObject({ messages: session.total_messages, tool_calls: 1, turns: 2, input_tokens: session.api_input_tokens, cost_usd: session.total_cost_usd });
    expect(doc.metrics.cost_usd).toBeGreaterThan(0);
  });

  test('Markdown', async () => {
    const { file } = await generate(alice, { session_id: sessionId, format: 'markdown', title: 'Weekly | check' });
    expect(file.headers.get('content-type')).toBe('text/markdown; charset=utf-8');
    expect(file.headers.get('content-disposition')).toMatch(/^attachment; filename="weekly-check-[0-9a-f]{8}\.md"$/);
    const markdown = file.bytes.toString('utf8');
    expect(markdown.startsWith('# Weekly \\| check\n')).toBe(true);
    expect(markdown).toContain(`- **Session name:** ${sessionName}`);
    expect(markdown).toContain(`> ${tricky}`);
    // (Stored input keys come back in jsonb's order: shorter keys first.)
    expect(markdown).toMatch(/\n\| Write \| success \| content: left \\\| right, file\\_path: \/\S+\/a\.txt \| File created successfully at: [^|\n]+ \| \d+ ms \| {2}\|\n/);
    expect(markdown).toContain('## Metrics');
  });

  test('HTML', async () => {
    const { file } = await generate(alice, { session_id: sessionId, format: 'html' });
    expect(file.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(file.headers.get('content-security-policy')).toMatch(/^default-src 'none'; style-src 'sha256-[^']+'/);
    expect(file.headers.get('x-content-type-options')).toBe('nosniff');
    const html = file.bytes.toString('utf8');
    expect(html).toContain('Hello &lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;friends&quot; | pipes');
    expect(html.toLowerCase()).not.toContain('<script');
    expect(html).toContain('<meta http-equiv="Content-Security-Policy" content="default-src &#39;none&#39;');
    expect(html).toContain(`<dd>${sessionName}</dd>`);
    expect(html).toMatch(/<td>Write<\/td><td>success<\/td><td>content: left \| right, file_path: [^<]+\/a\.txt<\/td>/);
  });

  test('PDF', async () => {
    const { file } = await generate(alice, { session_id: sessionId, format: 'pdf' });
    expect(file.headers.get('content-type')).toBe('application/pdf');
    expect(file.headers.get('content-disposition')).toMatch(/filename="session-report-ops-review-[a-z0-9-]+\.pdf"$/);
    expect(file.bytes.subarray(0, 5).toString()).toBe('%PDF-');
    const text = flat((await pdfText(file.bytes)).text);
    expect(text).toContain(sessionName);
    expect(text).toContain(tricky);
    expect(text).toContain('Tool call Write: content: left | right');
    expect(text).toContain('Write success content: left | right');
    expect(text).toContain('Tool calls 1');
  });
});

test('the include flags leave parts out', async () => {
  const { file } = await generate(alice, { session_id: sessionId, format: 'markdown', include_messages: false, include_tool_calls: false });
  const markdown = file.bytes.toString('utf8');
  expect(markdown).not.toContain('## Conversation');
  expect(markdown).not.toContain('## Tool calls');
  expect(markdown).not.toContain(tricky);
  expect(markdown).toContain('## Metrics');
  const json = JSON.parse((await generate(alice, { session_id: sessionId, format: 'json', include_metrics: false })).file.bytes.toString('utf8'));
  expect(json).not.toHaveProperty('metrics');
  expect(json.messages.length).toBeGreaterThan(0);
});

test('reports are private: others get 404, admins may read; a viewer cannot create', async () => {
  const bob = await newUser(server.url, 'bob');
  const { report } = await generate(alice, { session_id: sessionId, format: 'markdown' });
  expectError(await bob.post('/api/v1/reports', { session_id: sessionId, format: 'json' }), 404, 'SESSION_NOT_FOUND');
  expectError(await bob.get(`/api/v1/reports/${report.id}`), 404, 'REPORT_NOT_FOUND');
  expect((await download(bob, report.id)).status).toBe(404);
  expectError(await bob.delete(`/api/v1/reports/${report.id}`), 404, 'REPORT_NOT_FOUND');
  expect((await bob.get('/api/v1/reports')).body).toMatchObject({ items: [], total: 0 });

  expect((await root.get(`/api/v1/reports/${report.id}`)).body.user_id).toBe(alice.userId);
  expect((await download(root, report.id)).status).toBe(200);
  const byAdmin = await root.post('/api/v1/reports', { session_id: sessionId, format: 'json' });
  expect(byAdmin.status).toBe(201);
  expect(byAdmin.body.user_id).not.toBe(alice.userId);

  const carol = await newUser(server.url, 'carol');
  const carolsSession = (await carol.post('/api/v1/sessions', { name: 'mine' })).body.id;
  expect((await root.patch(`/api/v1/admin/users/${carol.userId}`, { role: 'viewer' })).status).toBe(200);
  expectError(await carol.post('/api/v1/reports', { session_id: carolsSession, format: 'json' }), 403, 'FORBIDDEN');
});

test('bad input is refused with a stable code, before anything is written', async () => {
  const before = (await alice.get('/api/v1/reports')).body.total;
  const refusals: [Record<string, unknown>, number, string][] = [
    [{ session_id: sessionId, format: 'docx' }, 422, 'VALIDATION_ERROR'],
    [{ session_id: sessionId }, 422, 'VALIDATION_ERROR'],
    [{ format: 'json' }, 422, 'VALIDATION_ERROR'],
    [{ session_id: sessionId, execution_id: randomUUID(), format: 'json' }, 422, 'VALIDATION_ERROR'],
    [{ session_id: 'not-a-uuid', format: 'json' }, 422, 'VALIDATION_ERROR'],
    [{ session_id: sessionId, format: 'json', title: 'x'.repeat(201) }, 422, 'VALIDATION_ERROR'],
    [{ session_id: sessionId, format: 'json', include_messages: 'yes' }, 422, 'VALIDATION_ERROR'],
    [{ session_id: sessionId, format: 'json', colour: 'blue' }, 422, 'VALIDATION_ERROR'],
    [{ session_id: randomUUID(), format: 'json' }, 404, 'SESSION_NOT_FOUND'],
    [{ execution_id: randomUUID(), format: 'json' }, 404, 'EXECUTION_NOT_FOUND'],
  ];
  for (const [body, status, code] of refusals) expectError(await alice.post('/api/v1/reports', body), status, code);
  expectError(await alice.post('/api/v1/reports', '{"format":', { 'content-type': 'application/json' }), 400, 'INVALID_JSON');
  expectError(await alice.get('/api/v1/reports/not-a-uuid'), 422, 'VALIDATION_ERROR');
  expectError(await alice.get(`/api/v1/reports/${randomUUID()}/download`), 404, 'REPORT_NOT_FOUND');
  expectError(await alice.get('/api/v1/reports?limit=0'), 422, 'VALIDATION_ERROR');
  expectError(await client(server.url).get('/api/v1/reports'), 401, 'UNAUTHENTICATED');
  expect((await alice.get('/api/v1/reports')).body.total).toBe(before);
});

test('list pages and filters; DELETE removes the row and the file; both are audited', async () => {
  const dave = await newUser(server.url, 'dave');
  const session = (await dave.post('/api/v1/sessions', { name: 'short' })).body.id;
  const other = (await dave.post('/api/v1/sessions', { name: 'other' })).body.id;
  const a = (await generate(dave, { session_id: session, format: 'markdown' })).report;
  const b = (await generate(dave, { session_id: other, format: 'html' })).report;
  const c = (await generate(dave, { session_id: session, format: 'pdf' })).report;
  expect((await dave.get('/api/v1/reports')).body).toMatchObject({ total: 3, skip: 0, limit: 20, items: [{ id: c.id }, { id: b.id }, { id: a.id }] });
  expect((await dave.get('/api/v1/reports?skip=1&limit=1')).body.items.map((r: any) => r.id)).toEqual([b.id]);
  expect((await dave.get(`/api/v1/reports?session_id=${session}`)).body.items.map((r: any) => r.id)).toEqual([c.id, a.id]);

  const file = path.join(server.dataDir, 'reports', dave.userId, `${a.id}.md`);
  expect(existsSync(file)).toBe(true);
  expect((await dave.delete(`/api/v1/reports/${a.id}`)).status).toBe(204);
  expect(existsSync(file)).toBe(false);
  expectError(await dave.get(`/api/v1/reports/${a.id}`), 404, 'REPORT_NOT_FOUND');
  expectError(await dave.delete(`/api/v1/reports/${a.id}`), 404, 'REPORT_NOT_FOUND');
  expect((await dave.get('/api/v1/reports')).body.total).toBe(2);
  // A file lost on disk is a clean 404, not a broken stream.
  rmSync(path.join(server.dataDir, 'reports', dave.userId, `${b.id}.html`));
  expectError(await dave.get(`/api/v1/reports/${b.id}/download`), 404, 'REPORT_NOT_FOUND');

  const audit = (await dave.get('/api/v1/audit-logs?limit=100')).body.items.filter((row: any) => row.resource_type === 'report');
  expect(audit.filter((row: any) => row.event_type === 'report.generated').map((row: any) => row.resource_id).sort()).toEqual([a.id, b.id, c.id].sort());
  expect(audit.filter((row: any) => row.event_type === 'report.deleted').map((row: any) => row.resource_id)).toEqual([a.id]);
});

test('a task execution has reports: on request, and written by the run itself when the task asks for one', async () => {
  const erin = await newUser(server.url, 'erin');
  const taskName = `nightly-${randomUUID().slice(0, 6)}`;
  const task = (
    await erin.post('/api/v1/tasks', {
      name: taskName,
      prompt_template: '!tool Write {"file_path":"$CWD/{{ file }}","content":"done"}',
      allowed_tools: ['Write'],
      generate_report: true,
      report_format: 'pdf',
    })
  ).body;
  const executionId = (await erin.post(`/api/v1/tasks/${task.id}/execute`, { variables: { file: 'out.txt' } })).body.execution_id;
  // The run writes its report once it has finished: report_id appears then.
  let execution: any;
  for (let i = 0; i < 300 && !execution?.report_id; i++) {
    execution = (await erin.get(`/api/v1/task-executions/${executionId}`)).body;
    await new Promise((r) => setTimeout(r, 100));
  }
  expect(execution).toMatchObject({ status: 'completed', report_id: expect.any(String) });
  const fromRun = (await erin.get(`/api/v1/reports/${execution.report_id}`)).body;
  expect(fromRun).toMatchObject({ user_id: erin.userId, execution_id: executionId, format: 'pdf' });
  const text = flat((await pdfText((await download(erin, fromRun.id)).bytes)).text);
  expect(text).toContain(`Task report: ${taskName}`);
  expect(text).toContain('Write');
  expect(text).toContain('completed');

  const { report, file } = await generate(erin, { execution_id: executionId, format: 'markdown' });
  expect(report).toMatchObject({ execution_id: executionId, session_id: execution.session_id, options: { title: `Task report: ${taskName}` } });
  const markdown = file.bytes.toString('utf8');
  expect(markdown).toContain(`- **Task:** ${taskName}`);
  expect(markdown).toContain('- **Trigger:** manual');
  expect(markdown).toContain('- **Execution status:** completed');
  expect(markdown).toContain('- **Variables:** {"file":"out.txt"}');
  expect(markdown).toMatch(/\| Write \| success \|/);
  expectError(await alice.post('/api/v1/reports', { execution_id: executionId, format: 'json' }), 404, 'EXECUTION_NOT_FOUND');
  const listed = (await erin.get(`/api/v1/reports?execution_id=${executionId}`)).body.items.map((r: any) => r.id);
  expect(listed).toEqual([report.id, fromRun.id]);
});
