import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startModelServer, type ModelServer } from '../../src/model-server/server.ts';
import { requestBody, toolResult, toolUse, userPrompt } from './bodies.ts';

// The wire shapes these tests read, loosely typed: every field is optional.
interface Usage {
  input_tokens?: number;
  output_tokens?: number;
  cache_creation_input_tokens?: number;
  cache_read_input_tokens?: number;
}
interface Block {
  type?: string;
  id?: string;
  name?: string;
  text?: string;
  input?: unknown;
}
interface Message {
  id?: string;
  model?: string;
  content?: Block[];
  usage?: Usage;
}
interface EventData {
  message?: Message;
  content_block?: Block;
  delta?: { type?: string; text?: string; partial_json?: string; stop_reason?: string | null; stop_sequence?: null };
  usage?: Usage;
}
interface Event {
  event: string;
  data: EventData;
}
interface Recorded {
  at?: number;
}

let server: ModelServer;
beforeEach(async () => {
  server = await startModelServer();
});
afterEach(async () => {
  await server.close();
});

function post(body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${server.url}/v1/messages?beta=true`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

// Response.json() is typed unknown; each test names the shape it expects.
async function json<T = Message>(res: Response): Promise<T> {
  return (await res.json()) as T;
}

const decoder = new TextDecoder();
async function readChunk(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<{ done: boolean; text: string }> {
  const { done, value } = await reader.read();
  return { done, text: value ? decoder.decode(value) : '' };
}

function reader(res: Response): ReadableStreamDefaultReader<Uint8Array> {
  return (res.body as ReadableStream<Uint8Array>).getReader();
}

function parseSse(text: string): Event[] {
  return text
    .split('\n\n')
    .filter((chunk) => chunk.trim() !== '')
    .map((chunk) => {
      const event = /^event: (.*)$/m.exec(chunk)?.[1] ?? '';
      const data = /^data: (.*)$/m.exec(chunk)?.[1] ?? 'null';
      return { event, data: JSON.parse(data) as EventData };
    });
}

async function stream(prompt: string): Promise<Event[]> {
  const res = await post(requestBody([userPrompt(prompt)]));
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
  return parseSse(await res.text());
}

describe('scripted model server over HTTP', () => {
  it('streams an echo reply as several text deltas', async () => {
    const events = await stream('hello there, scripted model');
    expect(events.map((e) => e.event)).toEqual([
      'message_start',
      'content_block_start',
      ...Array<string>(5).fill('content_block_delta'), // one per word
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    const start = events[0]?.data.message ?? {};
    expect(start).toMatchObject({ type: 'message', role: 'assistant', model: 'claude-sonnet-4-5', content: [], stop_reason: null });
    expect(start.id).toMatch(/^msg_/);
    expect(start.usage).toMatchObject({ cache_creation_input_tokens: 0, cache_read_input_tokens: 0 });
    expect(start.usage?.input_tokens).toBeGreaterThan(10);
    const text = events.map((e) => (e.data.delta?.type === 'text_delta' ? e.data.delta.text : '')).join('');
    expect(text).toBe('echo: hello there, scripted model');
    const delta = events.find((e) => e.event === 'message_delta')?.data;
    expect(delta?.delta).toEqual({ stop_reason: 'end_turn', stop_sequence: null });
    expect(delta?.usage?.output_tokens).toBeGreaterThan(0);
  });

  it('answers stream: false with a JSON message', async () => {
    const res = await post(requestBody([userPrompt('!text plain json')], { stream: false, model: 'claude-haiku-4-5' }));
    expect(res.status).toBe(200);
    const message = await json(res);
    expect(message).toMatchObject({
      type: 'message',
      role: 'assistant',
      model: 'claude-haiku-4-5',
      content: [{ type: 'text', text: 'plain json' }],
      stop_reason: 'end_turn',
      stop_sequence: null,
    });
    expect(message.usage?.output_tokens).toBeGreaterThan(0);
  });

  it('streams a tool call with its input as JSON deltas', async () => {
    const events = await stream('!tool Write {"file_path":"$CWD/a.txt","content":"hi"}');
    const block = events.find((e) => e.event === 'content_block_start')?.data.content_block;
    expect(block).toMatchObject({ type: 'tool_use', name: 'Write', input: {} });
    expect(block?.id).toMatch(/^toolu_/);
    const parts = events.flatMap((e) => (e.data.delta?.type === 'input_json_delta' ? [e.data.delta.partial_json] : []));
    expect(parts.length).toBeGreaterThan(1);
    expect(JSON.parse(parts.join(''))).toEqual({ file_path: '/work/dir/a.txt', content: 'hi' });
    expect(events.find((e) => e.event === 'message_delta')?.data.delta?.stop_reason).toBe('tool_use');
  });

  it('finishes with "done:" after the tool round', async () => {
    const body = requestBody([userPrompt('!tool Bash {"command":"ls"}'), toolUse('Bash'), toolResult('a.txt')], { stream: false });
    expect((await json(await post(body))).content).toEqual([{ type: 'text', text: 'done: a.txt' }]);
  });

  it.each([
    [500, 'api_error'],
    [400, 'invalid_request_error'],
    [429, 'rate_limit_error'],
    [529, 'overloaded_error'],
  ])('answers !error %i with an Anthropic error body', async (status, type) => {
    const res = await post(requestBody([userPrompt(`!error ${status} boom`)]));
    expect(res.status).toBe(status);
    expect(await json(res)).toEqual({ type: 'error', error: { type, message: 'boom' } });
  });

  it('cuts the stream after message_start and part of a text block', async () => {
    const res = await post(requestBody([userPrompt('!cut')]));
    expect(res.status).toBe(200);
    const body = reader(res);
    let seen = '';
    const failure = await (async () => {
      for (;;) {
        const chunk = await readChunk(body);
        if (chunk.done) return undefined;
        seen += chunk.text;
      }
    })().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(Error);
    expect(seen).toContain('event: message_start');
    expect(seen).not.toContain('message_stop');
    // The non-streaming fallback of a cut step fails too.
    await expect(post(requestBody([userPrompt('!cut')], { stream: false }))).rejects.toThrow();
  });

  it('pauses after message_start for !delay', async () => {
    const began = Date.now();
    const res = await post(requestBody([userPrompt('!delay 300\n!text late')]));
    const body = reader(res);
    expect((await readChunk(body)).text).toContain('message_start');
    expect(Date.now() - began).toBeLessThan(250);
    let rest = '';
    for (let chunk = await readChunk(body); !chunk.done; chunk = await readChunk(body)) rest += chunk.text;
    expect(Date.now() - began).toBeGreaterThanOrEqual(290);
    expect(rest).toContain('"text":"late"');
  });

  it('closes promptly while a reply is still paused', async () => {
    const res = await post(requestBody([userPrompt('!delay 30000\n!text never')]));
    const body = reader(res);
    await readChunk(body);
    const began = Date.now();
    await server.close();
    expect(Date.now() - began).toBeLessThan(1000);
    await expect(readChunk(body)).rejects.toThrow();
  });

  it('records requests, serves them over HTTP and clears them', async () => {
    await (await post(requestBody([userPrompt('!text one')]), { 'x-claude-code-session-id': 'session-1' })).text();
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]).toMatchObject({ sessionId: 'session-1', promptText: '!text one', body: { model: 'claude-sonnet-4-5' } });
    const listed = await json<Recorded[]>(await fetch(`${server.url}/_scripted/requests`));
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({ sessionId: 'session-1', promptText: '!text one' });
    expect(listed[0]?.at).toBeTypeOf('number');
    expect((await fetch(`${server.url}/_scripted/requests`, { method: 'DELETE' })).status).toBe(204);
    expect(server.requests).toHaveLength(0);
    expect(await json(await fetch(`${server.url}/_scripted/requests`))).toEqual([]);
  });

  it('answers unknown routes and bad bodies with Anthropic errors', async () => {
    const missing = await fetch(`${server.url}/v1/models`);
    expect(missing.status).toBe(404);
    expect(await json(missing)).toMatchObject({ type: 'error', error: { type: 'not_found_error' } });
    const bad = await post('{not json');
    expect(bad.status).toBe(400);
    expect(await json(bad)).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
    expect(server.requests).toHaveLength(0);
  });
});
