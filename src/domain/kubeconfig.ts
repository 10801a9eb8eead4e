import { parse } from 'yaml';
import { DomainError } from './errors.ts';

/** The one cluster, user and context a kubeconfig's chosen context names, with inline credentials only. */
export interface KubeconfigSelection {
  context: { name: string; cluster: string; user: string; namespace?: string | undefined };
  cluster: { name: string; server: string; caData?: string | undefined; skipTLSVerify: boolean; tlsServerName?: string | undefined };
  user: { name: string; token?: string | undefined; certData?: string | undefined; keyData?: string | undefined; username?: string | undefined; password?: string | undefined };
}

const invalid = (why: string) => new DomainError('KUBECONFIG_INVALID', `kubernetes.kubeconfig: ${why}`);

/**
 * Keys agentd refuses because the official client would act on agentd's own host: run a command
 * (exec, auth-provider) or read a file (the path forms of tokens, certificates and keys).
 */
const refusedUserKeys: Record<string, string> = {
  exec: 'exec credential plugins run a command on the server',
  'auth-provider': 'auth-provider plugins run commands or refresh tokens on the server',
  'token-file': 'token files are read from the server; give the token inline (token)',
  tokenFile: 'token files are read from the server; give the token inline (token)',
  'client-certificate': 'certificate files are read from the server; use client-certificate-data',
  'client-key': 'key files are read from the server; use client-key-data',
};
const refusedClusterKeys: Record<string, string> = {
  'certificate-authority': 'CA files are read from the server; use certificate-authority-data',
  'proxy-url': 'proxies are not supported',
};
const userKeys = new Set(['token', 'client-certificate-data', 'client-key-data', 'username', 'password', 'extensions']);
const clusterKeys = new Set(['server', 'certificate-authority-data', 'insecure-skip-tls-verify', 'tls-server-name', 'disable-compression', 'extensions']);

/**
 * Reads a kubeconfig (YAML) and picks `context` (default: its current-context). Throws
 * KUBECONFIG_INVALID for text that is not a usable kubeconfig and for anything that would make
 * agentd run a command or read a file.
 */
export function selectKubeconfig(text: string, context?: string): KubeconfigSelection {
  let root: unknown;
  try {
    root = parse(text, { maxAliasCount: 50 });
  } catch (error) {
    throw invalid(`not valid YAML (${error instanceof Error ? error.message.split('\n')[0] : 'parse error'})`);
  }
  if (!isObject(root)) throw invalid('must be a YAML mapping (apiVersion, clusters, users, contexts)');
  const name = context ?? stringOf(root['current-context']);
  if (!name) throw invalid('no context given and no current-context set');
  const ctx = namedEntry(root, 'contexts', 'context', name);
  const clusterName = stringOf(ctx.cluster);
  const userName = stringOf(ctx.user);
  if (!clusterName) throw invalid(`context "${name}" names no cluster`);
  const cluster = namedEntry(root, 'clusters', 'cluster', clusterName);
  const user = userName ? namedEntry(root, 'users', 'user', userName) : {};
  checkKeys(user, `user "${userName}"`, refusedUserKeys, userKeys);
  checkKeys(cluster, `cluster "${clusterName}"`, refusedClusterKeys, clusterKeys);
  const server = stringOf(cluster.server);
  if (!server || !/^https?:\/\/[^\s/]+/i.test(server)) throw invalid(`cluster "${clusterName}" needs an http(s) server URL`);
  return {
    context: { name, cluster: clusterName, user: userName ?? '', namespace: stringOf(ctx.namespace) },
    cluster: { name: clusterName, server, caData: stringOf(cluster['certificate-authority-data']), skipTLSVerify: cluster['insecure-skip-tls-verify'] === true, tlsServerName: stringOf(cluster['tls-server-name']) },
    user: {
      name: userName ?? '',
      token: stringOf(user.token),
      certData: stringOf(user['client-certificate-data']),
      keyData: stringOf(user['client-key-data']),
      username: stringOf(user.username),
      password: stringOf(user.password),
    },
  };
}

function namedEntry(root: Record<string, unknown>, list: string, field: string, name: string): Record<string, unknown> {
  const entries: unknown = root[list];
  const entry: unknown = Array.isArray(entries) ? (entries as unknown[]).find((e) => isObject(e) && e.name === name) : undefined;
  if (!isObject(entry)) throw invalid(`${list}: no entry named "${name}"`);
  const value = entry[field];
  if (!isObject(value)) throw invalid(`${list}: "${name}" has no ${field}`);
  return value;
}

function checkKeys(entry: Record<string, unknown>, what: string, refused: Record<string, string>, known: Set<string>) {
  for (const key of Object.keys(entry)) {
    if (Object.hasOwn(refused, key)) throw invalid(`${what}: ${key} is refused: ${refused[key]}`);
    if (!known.has(key)) throw invalid(`${what}: ${key} is not supported`);
  }
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const stringOf = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);
