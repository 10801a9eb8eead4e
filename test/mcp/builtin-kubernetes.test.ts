import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startFakeKubernetes, type FakeKubernetes } from '../support/fake-kubernetes.ts';
import { newUser, startServer, type TestServer } from '../support/server.ts';
import { callTools, everythingShown } from './builtin-tools-support.ts';

// No real cluster is available here: the tools talk to a fake Kubernetes API server
// (test/support/fake-kubernetes.ts) over HTTPS on 127.0.0.1, through the official client.
let fake: FakeKubernetes;
let server: TestServer;
beforeAll(async () => {
  fake = await startFakeKubernetes();
  // 127.0.0.2 stands for a range the operator shuts off (by default: link-local, where cloud metadata answers).
  server = await startServer({ env: { AGENTD_OUTBOUND_DENY: '169.254.0.0/16,127.0.0.2' } });
});
afterAll(async () => {
  await server?.close();
  await fake?.close();
});

test('the agent lists namespaces and pods, describes a pod and reads its log; the API server saw only GETs with the kubeconfig\'s token; the kubeconfig never shows', async () => {
  const user = await newUser(server.url);
  const created = await user.post('/api/v1/sessions', { sdk_options: { builtin_tools: ['kubernetes_readonly'], kubernetes: { kubeconfig: fake.kubeconfig } } });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  expect(created.body.sdk_options.kubernetes).toEqual({ kubeconfig: '****' });
  const seenBefore = fake.requests.length;

  const [namespaces, pods, described, logs, missing] = await callTools(user, created.body.id, [
    ['mcp__kubernetes_readonly__list_namespaces', {}],
    ['mcp__kubernetes_readonly__list_pods', { namespace: 'shop' }],
    ['mcp__kubernetes_readonly__describe_pod', { namespace: 'shop', name: 'web-7d9f-fghij' }],
    ['mcp__kubernetes_readonly__pod_logs', { namespace: 'shop', name: 'web-7d9f-abcde', tail_lines: 3 }],
    ['mcp__kubernetes_readonly__describe_pod', { namespace: 'shop', name: 'no-such-pod' }],
  ]);
  expect(namespaces).toMatchObject({ status: 'success' });
  expect(namespaces!.text.split('\n').map((line) => line.split(/\s+/).slice(0, 2).join(' '))).toEqual(['NAME STATUS', 'default Active', 'kube-system Active', 'shop Active']);
  expect(pods!.text).toMatch(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE$/m);
  expect(pods!.text).toMatch(/^web-7d9f-abcde\s+1\/1\s+Running\s+0\s+\S+\s+10\.244\.1\.17\s+node-a$/m);
  expect(pods!.text).toMatch(/^web-7d9f-fghij\s+0\/1\s+CrashLoopBackOff\s+7\s/m);
  expect(described!.text).toContain('Name:         web-7d9f-fghij');
  expect(described!.text).toContain('Image:     nginx:1.27');
  expect(described!.text).toContain('State:     Waiting (CrashLoopBackOff: back-off restarting failed container)');
  expect(described!.text).toContain('Controlled By: ReplicaSet/web-7d9f');
  expect(logs!.text.trim().split('\n')).toEqual(['2024-05-01T10:00:47Z GET /health 200 line-48', '2024-05-01T10:00:48Z GET /health 200 line-49', '2024-05-01T10:00:49Z GET /health 200 line-50']);
  expect(missing).toMatchObject({ status: 'error', text: 'ERROR: the Kubernetes API answered 404: pods "no-such-pod" not found' });

  const seen = fake.requests.slice(seenBefore);
  expect(seen.map((r) => r.path)).toEqual([
    '/api/v1/namespaces?limit=500',
    '/api/v1/namespaces/shop/pods?limit=500',
    '/api/v1/namespaces/shop/pods/web-7d9f-fghij',
    '/api/v1/namespaces/shop/pods/web-7d9f-abcde/log?limitBytes=262144&tailLines=3',
    '/api/v1/namespaces/shop/pods/no-such-pod',
  ]);
  expect(new Set(seen.map((r) => r.method))).toEqual(new Set(['GET']));
  expect(new Set(seen.map((r) => r.authorization))).toEqual(new Set([`Bearer ${fake.token}`]));

  const shown = JSON.stringify(created.body) + (await everythingShown(user, created.body.id));
  for (const secret of [fake.token, fake.caData.slice(0, 40), 'current-context']) expect(shown).not.toContain(secret);
  expect(JSON.stringify(await server.container.store.sessions.findById(created.body.id))).not.toContain(fake.token);
});

test('a kubeconfig that would run a command or read a file on the server is refused with 422, and nothing reaches the cluster', async () => {
  const user = await newUser(server.url);
  const seenBefore = fake.requests.length;
  const withUser = (user: string) => fake.kubeconfig.replace(`    token: ${fake.token}`, user);
  for (const kubeconfig of [
    withUser('    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: /bin/sh\n      args: ["-c", "touch /tmp/agentd-pwned"]'),
    withUser('    token-file: /proc/self/environ'),
    withUser(`    token: ${fake.token}\n    client-key: /etc/ssl/private/agentd.key`),
    'not: [a kubeconfig',
  ]) {
    const refused = await user.post('/api/v1/sessions', { sdk_options: { builtin_tools: ['kubernetes_readonly'], kubernetes: { kubeconfig } } });
    expect(refused.status).toBe(422);
    expect(refused.body.error_code).toBe('KUBECONFIG_INVALID');
    expect(JSON.stringify(refused.body)).not.toContain(fake.token);
  }
  const wrongContext = await user.post('/api/v1/sessions', { sdk_options: { builtin_tools: ['kubernetes_readonly'], kubernetes: { kubeconfig: fake.kubeconfig, context: 'prod' } } });
  expect(wrongContext.body.error_code).toBe('KUBECONFIG_INVALID');
  expect(fake.requests.length).toBe(seenBefore);
});

test('a template keeps the kubeconfig sealed: shown as ****, kept when the masked form is sent back, and a session from it reaches the cluster', async () => {
  const user = await newUser(server.url);
  const template = await user.post('/api/v1/session-templates', {
    name: `k8s-${randomBytes(3).toString('hex')}`,
    sdk_options: { builtin_tools: ['kubernetes_readonly'], kubernetes: { kubeconfig: fake.kubeconfig } },
  });
  expect(template.status, JSON.stringify(template.body)).toBe(201);
  expect(template.body.sdk_options.kubernetes).toEqual({ kubeconfig: '****' });
  // A client that edits what it was shown and sends it back keeps the stored kubeconfig.
  const changed = await user.patch(`/api/v1/session-templates/${template.body.id}`, { sdk_options: { ...template.body.sdk_options, max_turns: 5 } });
  expect(changed.status, JSON.stringify(changed.body)).toBe(200);
  expect(JSON.stringify(changed.body)).not.toContain(fake.token);

  const session = await user.post('/api/v1/sessions', { template_id: template.body.id });
  expect(session.status, JSON.stringify(session.body)).toBe(201);
  expect(session.body.sdk_options).toMatchObject({ max_turns: 5, kubernetes: { kubeconfig: '****' } });
  const [namespaces] = await callTools(user, session.body.id, [['mcp__kubernetes_readonly__list_namespaces', {}]]);
  expect(namespaces).toMatchObject({ status: 'success', text: expect.stringContaining('kube-system') });
});

test('an API server in a denied address range is never contacted', async () => {
  const user = await newUser(server.url);
  const kubeconfig = fake.kubeconfig.replace(/server: https:\/\/127\.0\.0\.1:/, 'server: https://127.0.0.2:');
  expect(kubeconfig).toContain('https://127.0.0.2:');
  const created = await user.post('/api/v1/sessions', { sdk_options: { builtin_tools: ['kubernetes_readonly'], kubernetes: { kubeconfig } } });
  const seenBefore = fake.requests.length;
  const [namespaces] = await callTools(user, created.body.id, [['mcp__kubernetes_readonly__list_namespaces', {}]]);
  expect(namespaces).toMatchObject({ status: 'error' });
  expect(namespaces!.text).toMatch(/127\.0\.0\.2.*AGENTD_OUTBOUND_DENY/);
  expect(fake.requests.length).toBe(seenBefore);
});
