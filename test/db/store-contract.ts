import { afterAll, beforeAll } from 'vitest';
import type { DatabaseHandle } from '../../src/db/connection.ts';
import { createStore } from '../../src/db/store.ts';
import type { Store } from '../../src/ports/repositories.ts';
import { auditContract } from './contract/audit.ts';
import { conversationContract } from './contract/conversation.ts';
import { reportsContract } from './contract/reports.ts';
import { sessionEventsContract } from './contract/session-events.ts';
import { sessionsContract } from './contract/sessions.ts';
import { transactionsContract } from './contract/transactions.ts';
import { usersContract } from './contract/users.ts';

/** The repository contract: every implementation of the store must pass it. Call inside a describe. */
export function storeContract(openDatabase: () => Promise<DatabaseHandle>) {
  let store: Store | undefined;
  beforeAll(async () => {
    store = createStore(await openDatabase());
  });
  afterAll(() => store?.close());
  const current = () => {
    if (!store) throw new Error('the store is not open');
    return store;
  };
  usersContract(current);
  sessionsContract(current);
  conversationContract(current);
  sessionEventsContract(current);
  auditContract(current);
  reportsContract(current);
  transactionsContract(current);
}
