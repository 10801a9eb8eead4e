import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { openDatabase, type DatabaseHandle } from '../../src/db/connection.ts';
import { createStore } from '../../src/db/store.ts';
import type { Store } from '../../src/ports/repositories.ts';

describe('PGlite', () => transcriptContract(() => openDatabase({})));

const url = process.env.DATABASE_URL;
describe.skipIf(!url)('PostgreSQL', () => transcriptContract(() => openDatabase({ url })));

/** The suites may share one database (CI): every key is a fresh UUID. */
function transcriptContract(open: () => Promise<DatabaseHandle>) {
  let store: Store | undefined;
  beforeAll(async () => {
    store = createStore(await open());
  });
  afterAll(() => store?.close());
  const transcripts = () => {
    if (!store) throw new Error('the store is not open');
    return store.transcripts;
  };
  const line = (type: string, extra: Record<string, unknown> = {}) => ({ type, uuid: randomUUID(), timestamp: new Date().toISOString(), ...extra });

  test('a key never written loads as null', async () => {
    expect(await transcripts().load(randomUUID())).toBeNull();
  });

  test('entries come back equal and in append order, across batches', async () => {
    const key = randomUUID();
    const first = [line('user', { message: { role: 'user', content: 'the code is 4711' } }), { type: 'last-prompt', text: 'no uuid here' }];
    // Strings jsonb would refuse: a NUL a tool printed, the lone half of an emoji cut in two.
    const second = [line('assistant', { message: { content: [{ type: 'text', text: 'a\u0000b \ud83d' }], nested: { z: 1, a: [null, true, 1.5] } } })];
    const third = [line('user'), line('assistant')];
    await transcripts().append(key, first);
    await transcripts().append(key, second);
    await transcripts().append(key, third);
    expect(await transcripts().load(key)).toEqual([...first, ...second, ...third]);
  });

  test('an entry whose uuid is stored under the key is skipped; entries without a uuid are always appended', async () => {
    const key = randomUUID();
    const [a, b] = [line('user'), line('assistant')];
    const marker = { type: 'cost-state', total: 1 };
    await transcripts().append(key, [a, marker]);
    // A retried batch, and a duplicate inside one batch.
    await transcripts().append(key, [a, marker, b, b]);
    expect(await transcripts().load(key)).toEqual([a, marker, marker, b]);
    // The same line under another key is that key's own.
    const other = randomUUID();
    await transcripts().append(other, [a]);
    expect(await transcripts().load(other)).toEqual([a]);
  });

  test('a batch larger than one INSERT keeps its order', async () => {
    const key = randomUUID();
    const entries = Array.from({ length: 2500 }, (_, i) => (i % 3 === 0 ? { type: 'mode', i } : line('user', { i })));
    await transcripts().append(key, entries);
    const loaded = (await transcripts().load(key)) as { i: number }[];
    expect(loaded.map((e) => e.i)).toEqual(entries.map((_, i) => i));
  });

  test('listKeys finds the keys under a prefix, taking it literally; delete removes one key', async () => {
    const session = randomUUID();
    const keys = [`${session}/subagents/agent-1`, `${session}/subagents/agent_2`];
    for (const key of [session, ...keys, `${randomUUID()}/subagents/agent-1`]) await transcripts().append(key, [line('user')]);
    expect(await transcripts().listKeys(`${session}/`)).toEqual(keys);
    expect(await transcripts().listKeys(`${session}/subagents/agent_`)).toEqual([`${session}/subagents/agent_2`]);
    expect(await transcripts().listKeys(`${session.slice(0, 8)}%`)).toEqual([]);

    await transcripts().delete(keys[0]!);
    expect(await transcripts().load(keys[0]!)).toBeNull();
    expect(await transcripts().load(session)).toHaveLength(1);
    expect(await transcripts().listKeys(`${session}/`)).toEqual([keys[1]]);
  });
}
