import { randomUUID } from 'node:crypto';
import type { Session, User } from '../../../src/domain/entities.ts';
import type { NewSession, Store } from '../../../src/ports/repositories.ts';

/** The suites run on one shared database in CI: every row they make has a unique name. */
export const unique = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;

export function aUser(store: Pick<Store, 'users'>, overrides: Partial<Parameters<Store['users']['insert']>[0]> = {}): Promise<User> {
  const name = unique('repo');
  return store.users.insert({ email: `${name}@example.test`, username: name, passwordHash: 'scrypt$not-a-real-hash', role: 'user', maxConcurrentSessions: 5, ...overrides });
}

export function aSession(store: Pick<Store, 'sessions'>, userId: string, overrides: Partial<NewSession> = {}): Promise<Session> {
  const id = randomUUID();
  return store.sessions.insert({ id, userId, name: null, mode: 'interactive', sdkOptions: {}, workingDirectoryPath: `/tmp/agentd-contract/${id}`, ...overrides });
}

export type StoreAccessor = () => Store;

/** Waits past the clock's resolution, so rows made one after another get distinct created_at (PGlite's clock is coarse). */
export const nextInstant = () => new Promise((resolve) => setTimeout(resolve, 5));
