import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';

/**
 * A fake Kubernetes API server: no real cluster is available here, so this serves the few core/v1
 * read endpoints the kubernetes_readonly tools use, with the JSON shapes a real API server sends
 * (NamespaceList, PodList, Pod, Status, plain-text logs). HTTPS on 127.0.0.1 with a throwaway
 * self-signed certificate (made with openssl), a bearer token check, and every request recorded.
 */
export interface FakeKubernetes {
  url: string;
  token: string;
  /** A kubeconfig for this server: its CA, the token inline, one context. */
  kubeconfig: string;
  caData: string;
  requests: { method: string; path: string; authorization: string | undefined }[];
  close(): Promise<void>;
}

const created = '2024-05-01T10:00:00Z';

const namespaces = ['default', 'kube-system', 'shop'].map((name) => ({
  metadata: { name, uid: `ns-${name}`, resourceVersion: '100', creationTimestamp: created, labels: { 'kubernetes.io/metadata.name': name } },
  spec: { finalizers: ['kubernetes'] },
  status: { phase: 'Active' },
}));

function pod(name: string, phase: 'Running' | 'Pending', waitingReason?: string) {
  const running = phase === 'Running' && !waitingReason;
  return {
    metadata: {
      name,
      namespace: 'shop',
      uid: `pod-${name}`,
      resourceVersion: '4242',
      creationTimestamp: created,
      labels: { app: 'web', 'pod-template-hash': '7d9f' },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-7d9f', uid: 'rs-1', controller: true, blockOwnerDeletion: true }],
    },
    spec: {
      containers: [{ name: 'web', image: 'nginx:1.27', ports: [{ containerPort: 8080, protocol: 'TCP' }], resources: {}, imagePullPolicy: 'IfNotPresent' }],
      nodeName: 'node-a',
      restartPolicy: 'Always',
      serviceAccountName: 'default',
      volumes: [{ name: 'kube-api-access-x1', projected: { sources: [] } }],
    },
    status: {
      phase,
      hostIP: '10.0.0.5',
      podIP: running ? '10.244.1.17' : undefined,
      startTime: created,
      conditions: [
        { type: 'PodScheduled', status: 'True', lastTransitionTime: created },
        { type: 'Ready', status: running ? 'True' : 'False', lastTransitionTime: created },
      ],
      containerStatuses: [
        {
          name: 'web',
          image: 'nginx:1.27',
          imageID: 'docker.io/library/nginx@sha256:abc',
          containerID: running ? 'containerd://0123' : undefined,
          ready: running,
          started: running,
          restartCount: running ? 0 : 7,
          state: running ? { running: { startedAt: created } } : { waiting: { reason: waitingReason ?? 'ContainerCreating', message: 'back-off restarting failed container' } },
        },
      ],
    },
  };
}

const pods = [pod('web-7d9f-abcde', 'Running'), pod('web-7d9f-fghij', 'Running', 'CrashLoopBackOff')];
const logLines = Array.from({ length: 50 }, (_, i) => `2024-05-01T10:00:${String(i).padStart(2, '0')}Z GET /health 200 line-${i + 1}`);

const status = (code: number, reason: string, message: string) => ({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code });

export async function startFakeKubernetes(): Promise<FakeKubernetes> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fake-k8s-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  const cert = readFileSync(path.join(dir, 'cert.pem'));
  const key = readFileSync(path.join(dir, 'key.pem'));
  rmSync(dir, { recursive: true, force: true });
  const token = `fake-sa-token-${randomBytes(16).toString('hex')}`;
  const requests: FakeKubernetes['requests'] = [];

  const json = (res: ServerResponse, code: number, body: unknown) => {
    res.writeHead(code, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'https://127.0.0.1');
    requests.push({ method: req.method ?? '', path: url.pathname + url.search, authorization: req.headers.authorization });
    if (req.headers.authorization !== `Bearer ${token}`) return json(res, 401, status(401, 'Unauthorized', 'Unauthorized'));
    if (req.method !== 'GET') return json(res, 405, status(405, 'MethodNotAllowed', `the fake serves GET only, not ${req.method}`));
    const parts = url.pathname.split('/').filter(Boolean); // api, v1, namespaces, ns, pods, name, log
    if (parts.length === 3 && url.pathname === '/api/v1/namespaces') return json(res, 200, { kind: 'NamespaceList', apiVersion: 'v1', metadata: { resourceVersion: '100' }, items: namespaces });
    if (parts[0] === 'api' && parts[1] === 'v1' && parts[2] === 'namespaces' && parts[4] === 'pods') {
      const ns = parts[3] ?? '';
      const inNamespace = ns === 'shop' ? pods : [];
      if (parts.length === 5) return json(res, 200, { kind: 'PodList', apiVersion: 'v1', metadata: { resourceVersion: '4242' }, items: inNamespace });
      const found = inNamespace.find((p) => p.metadata.name === parts[5]);
      if (!found) return json(res, 404, status(404, 'NotFound', `pods "${parts[5]}" not found`));
      if (parts.length === 6) return json(res, 200, { kind: 'Pod', apiVersion: 'v1', ...found });
      if (parts.length === 7 && parts[6] === 'log') {
        const tail = Number(url.searchParams.get('tailLines') ?? logLines.length);
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end(logLines.slice(-tail).join('\n') + '\n');
        return;
      }
    }
    return json(res, 404, status(404, 'NotFound', 'the server could not find the requested resource'));
  };

  const server = createServer({ cert, key }, handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const caData = cert.toString('base64');
  const kubeconfig = [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: fake',
    '  cluster:',
    `    server: ${url}`,
    `    certificate-authority-data: ${caData}`,
    'users:',
    '- name: reader',
    '  user:',
    `    token: ${token}`,
    'contexts:',
    '- name: fake-reader',
    '  context:',
    '    cluster: fake',
    '    user: reader',
    '    namespace: shop',
    'current-context: fake-reader',
    '',
  ].join('\n');
  return {
    url,
    token,
    kubeconfig,
    caData,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
