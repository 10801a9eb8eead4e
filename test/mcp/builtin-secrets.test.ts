import os from 'node:os';
import { describe, expect, test } from 'vitest';
import type { SdkOptions, SealedSecret } from '../../src/domain/entities.ts';
import { DomainError } from '../../src/domain/errors.ts';
import { SecretBox } from '../../src/services/mcp/secret-box.ts';
import { sealSdkOptions, ToolSecrets, shownSdkOptions } from '../../src/services/tool-secrets.ts';

const box = new SecretBox('unit-test-key-unit-test-key-unit-test-key');
const dsn = 'postgres://reader:s3cret-pw@db.example.test:5432/shop';
const kubeconfig = (user: string) => `apiVersion: v1
kind: Config
clusters:
- name: c
  cluster:
    server: https://k8s.example.test:6443
    certificate-authority-data: Q0EK
users:
- name: u
  user:
${user}
contexts:
- name: ctx
  context: {cluster: c, user: u}
current-context: ctx
`;
const tokenUser = '    token: tok-123456';

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    if (error instanceof DomainError) return error.code;
    throw error;
  }
  return undefined;
}

describe('sealing sdk_options', () => {
  test('a DSN is stored sealed with a masked form; the sealed value opens to the DSN and passes through a second sealing unchanged', () => {
    const sealed = sealSdkOptions(box, { builtin_tools: ['database'], database: { dsn, max_rows: 10 } });
    const stored = sealed.database!.dsn as SealedSecret;
    expect(stored.shown).toBe('postgres://reader:****@db.example.test:5432/shop');
    expect(JSON.stringify(sealed)).not.toContain('s3cret-pw');
    expect(box.open(stored.sealed)).toBe(dsn);
    expect(sealed.database!.max_rows).toBe(10);
    // A task's or template's options becoming a session's: already sealed, kept as they are.
    expect(sealSdkOptions(box, sealed)).toEqual(sealed);
    expect(shownSdkOptions(sealed).database).toEqual({ dsn: 'postgres://reader:****@db.example.test:5432/shop', max_rows: 10 });
  });

  test('the masked form sent back keeps the stored secret; a mask with nothing stored is refused', () => {
    const first = sealSdkOptions(box, { database: { dsn }, kubernetes: { kubeconfig: kubeconfig(tokenUser) } });
    const shown = shownSdkOptions(first) as SdkOptions;
    expect(shown.kubernetes!.kubeconfig).toBe('****');
    const again = sealSdkOptions(box, shown, first);
    expect(again.database!.dsn).toEqual(first.database!.dsn);
    expect(again.kubernetes!.kubeconfig).toEqual(first.kubernetes!.kubeconfig);
    expect(codeOf(() => sealSdkOptions(box, shown))).toBe('DATABASE_DSN_INVALID');
    expect(codeOf(() => sealSdkOptions(box, { kubernetes: { kubeconfig: '****' } }))).toBe('KUBECONFIG_INVALID');
  });

  test.each([
    ['mysql://u:p@h/db', 'not postgres'],
    ['postgres://u:p@/db?host=/var/run/postgresql', 'a unix socket'],
    ['postgres://u:p@h/db?sslkey=/etc/agentd/key.pem', 'a file of the server'],
    ['postgres://u:p@h/db?options=-c%20default_transaction_read_only%3Doff', 'session options'],
    ['postgres://u:p@h1,h2/db', 'several hosts'],
    ['postgres://:p@h/db', 'no user'],
  ])('a DSN like %s (%s) is refused', (given) => {
    expect(codeOf(() => sealSdkOptions(box, { database: { dsn: given } }))).toBe('DATABASE_DSN_INVALID');
  });

  test('enabling a built-in without its options is refused', () => {
    expect(codeOf(() => sealSdkOptions(box, { builtin_tools: ['database'] }))).toBe('DATABASE_DSN_INVALID');
    expect(codeOf(() => sealSdkOptions(box, { builtin_tools: ['kubernetes_readonly'] }))).toBe('KUBECONFIG_INVALID');
  });

  test.each([
    ['    exec: {apiVersion: client.authentication.k8s.io/v1, command: /bin/sh, args: [-c, "touch /tmp/x"]}', 'an exec plugin'],
    ['    auth-provider: {name: gcp, config: {cmd-path: /bin/sh}}', 'an auth provider'],
    ['    token-file: /var/lib/agentd/secrets', 'a token file'],
    ['    client-certificate: /etc/ssl/cert.pem\n    client-key: /etc/ssl/key.pem', 'certificate files'],
  ])('a kubeconfig whose user has %s (%s) is refused', (user) => {
    expect(codeOf(() => sealSdkOptions(box, { kubernetes: { kubeconfig: kubeconfig(user) } }))).toBe('KUBECONFIG_INVALID');
  });

  test('a kubeconfig must parse and name an existing context', () => {
    expect(codeOf(() => sealSdkOptions(box, { kubernetes: { kubeconfig: 'clusters: [' } }))).toBe('KUBECONFIG_INVALID');
    expect(codeOf(() => sealSdkOptions(box, { kubernetes: { kubeconfig: kubeconfig(tokenUser), context: 'other' } }))).toBe('KUBECONFIG_INVALID');
    expect(codeOf(() => sealSdkOptions(box, { kubernetes: { kubeconfig: kubeconfig(tokenUser), context: 'ctx' } }))).toBeUndefined();
  });
});

describe("agentd's own database", () => {
  const local = new ToolSecrets(box, 'postgres://postgres@127.0.0.1:5432/agentd');
  const own = (target: string) => codeOf(() => local.seal({ database: { dsn: target } }));

  test.each(['127.0.0.1', 'localhost', '[::1]', '127.0.0.2', '0.0.0.0', os.hostname().toLowerCase()])('the same database on %s is refused', (host) => {
    expect(own(`postgres://someone:pw@${host}:5432/agentd`)).toBe('DATABASE_DSN_FORBIDDEN');
  });

  test('another database, another port or another host is allowed', () => {
    expect(own('postgres://postgres@127.0.0.1:5432/other')).toBeUndefined();
    expect(own('postgres://postgres@127.0.0.1:5433/agentd')).toBeUndefined();
    expect(own('postgres://postgres@db.example.test:5432/agentd')).toBeUndefined();
  });

  test('over a unix socket, DATABASE_URL is this machine too; the database defaults to the user name', () => {
    const socket = new ToolSecrets(box, 'postgres://agentd@/agentd?host=/var/run/postgresql');
    expect(codeOf(() => socket.seal({ database: { dsn: 'postgres://agentd:pw@localhost/agentd' } }))).toBe('DATABASE_DSN_FORBIDDEN');
    expect(codeOf(() => local.seal({ database: { dsn: 'postgres://agentd:pw@localhost:5432' } }))).toBe('DATABASE_DSN_FORBIDDEN');
  });

  test('an already sealed DSN (from a template or task) is checked too', () => {
    const sealed = sealSdkOptions(box, { database: { dsn: 'postgres://x:pw@localhost:5432/agentd' } });
    expect(codeOf(() => local.seal(sealed))).toBe('DATABASE_DSN_FORBIDDEN');
  });

  test('when the agent starts, a secret sealed under another key is left out with a warning, never handed over', () => {
    const warnings: string[] = [];
    const other = new ToolSecrets(new SecretBox('another-key-another-key-another-key-0'), undefined, (message) => warnings.push(message));
    const sealed = sealSdkOptions(box, { builtin_tools: ['database', 'kubernetes_readonly'], database: { dsn }, kubernetes: { kubeconfig: kubeconfig(tokenUser) } });
    expect(other.open('s1', sealed)).toEqual({});
    expect(warnings).toHaveLength(2);
    const same = new ToolSecrets(box, undefined);
    expect(same.open('s1', sealed)).toEqual({ database: { dsn, statementTimeoutMs: 5000, maxRows: 200 }, kubernetes: { kubeconfig: kubeconfig(tokenUser), context: undefined } });
  });
});
