import { isIP } from 'node:net';
import os from 'node:os';
import { DomainError } from './errors.ts';

export const sslModes = ['disable', 'require', 'verify-full'] as const;

/** A PostgreSQL server and database, as a DSN names it; every value explicit (nothing from the environment). */
export interface DatabaseTarget {
  host: string;
  port: number;
  database: string;
  user: string;
  password: string;
  sslmode: (typeof sslModes)[number];
}

export const MASK = '****';

const invalid = (why: string) => new DomainError('DATABASE_DSN_INVALID', `database.dsn: ${why}`);
// Host names as resolvers take them (underscores included: container names have them).
const hostPattern = /^[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*$/;

/**
 * `postgres[ql]://user[:password]@host[:port][/database][?sslmode=...]`. Only what is needed to
 * reach one database over TCP: no unix sockets, several hosts or other parameters (libpq's
 * `sslkey`/`sslcert`/`options` would read files of agentd's host or change the session).
 */
export function parseDatabaseDsn(dsn: string): DatabaseTarget {
  let url: URL;
  try {
    url = new URL(dsn);
  } catch {
    throw invalid('not a URL (postgres://user:password@host:5432/database)');
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') throw invalid('must be a postgres:// or postgresql:// URL');
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  if (!host) throw invalid('a host is required (unix sockets are not supported)');
  if (isIP(host) === 0 && !hostPattern.test(host)) throw invalid('the host must be one host name or IP address');
  const user = safeDecode(url.username);
  if (!user) throw invalid('a user name is required');
  const path = safeDecode(url.pathname.replace(/^\//, ''));
  if (path.includes('/')) throw invalid('the path must be just the database name');
  let sslmode: DatabaseTarget['sslmode'] = 'disable';
  for (const [key, value] of url.searchParams) {
    if (key !== 'sslmode') throw invalid(`the parameter "${key}" is not supported (only sslmode)`);
    if (!(sslModes as readonly string[]).includes(value)) throw invalid(`sslmode must be one of ${sslModes.join(', ')}`);
    sslmode = value as DatabaseTarget['sslmode'];
  }
  // libpq's defaults: port 5432, the database named like the user.
  return { host: host.toLowerCase(), port: url.port ? Number(url.port) : 5432, database: path || user, user, password: safeDecode(url.password), sslmode };
}

/** The DSN as it may be shown: the password replaced by `****`. */
export function maskDsn(dsn: string): string {
  try {
    const url = new URL(dsn);
    if (url.password) url.password = MASK;
    return url.toString();
  } catch {
    return MASK;
  }
}

/** Whether a DSN's password is the mask (a value copied back from a response). */
export const hasMaskedPassword = (dsn: string) => {
  try {
    return new URL(dsn).password === MASK;
  } catch {
    return false;
  }
};

/**
 * Whether `host` names this machine: loopback names and addresses, the unspecified address, a unix
 * socket (libpq's empty host or a path), this machine's host name and interface addresses.
 */
export function isThisMachine(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  if (h === '' || h.startsWith('/') || h === 'localhost' || h.endsWith('.localhost') || h === os.hostname().toLowerCase()) return true;
  if (h === '::1' || h === '::' || h === '0.0.0.0' || /^(::ffff:)?127\./.test(h) || h === '::ffff:0.0.0.0') return true;
  return Object.values(os.networkInterfaces()).some((addresses) => addresses?.some((a) => a.address.toLowerCase() === h));
}

/**
 * agentd's own database, from DATABASE_URL, with libpq's defaults where it leaves something out.
 * Parsed by hand: libpq also takes forms a WHATWG URL does not (`postgres://user@/db?host=/socket`).
 */
export function ownDatabaseOf(databaseUrl: string): { hosts: string[]; port: number; database: string } {
  const match = /^postgres(?:ql)?:\/\/(?:([^:@/?]*)(?::[^@/?]*)?@)?([^/?]*)(?:\/([^?]*))?(?:\?(.*))?$/i.exec(databaseUrl);
  if (!match) throw new Error('DATABASE_URL is not a postgres:// URL');
  const [, userPart = '', hostPart = '', databasePart = '', query = ''] = match;
  const params = new URLSearchParams(query);
  const hostPort = /^(\[[^\]]*\]|[^:]*)(?::(\d+))?$/.exec(hostPart);
  const host = (hostPort?.[1] ?? hostPart).replace(/^\[|\]$/g, '').toLowerCase();
  const user = decode(userPart) || params.get('user') || process.env.PGUSER || os.userInfo().username;
  return {
    hosts: [host, ...params.getAll('host').map((h) => h.toLowerCase())],
    port: Number(hostPort?.[2] ?? params.get('port') ?? 5432),
    database: decode(databasePart) || params.get('dbname') || user,
  };
}

/**
 * Whether the target is agentd's own database: the same database name and port on the same host,
 * where every name of this machine counts as one host. `resolved` holds the addresses of both
 * hosts when known (so a name that resolves to the same machine counts too).
 */
export function isOwnDatabase(
  target: Pick<DatabaseTarget, 'host' | 'port' | 'database'>,
  databaseUrl: string | undefined,
  resolved: { target: string[]; own: string[] } = { target: [], own: [] },
): boolean {
  if (!databaseUrl) return false;
  const own = ownDatabaseOf(databaseUrl);
  if (own.port !== target.port || own.database !== target.database) return false;
  const ownNames = [...own.hosts, ...resolved.own].map((name) => name.toLowerCase());
  const ownIsLocal = ownNames.some(isThisMachine);
  return [target.host, ...resolved.target].some((name) => ownNames.includes(name.toLowerCase()) || (ownIsLocal && isThisMachine(name)));
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw invalid('bad percent-encoding');
  }
}
