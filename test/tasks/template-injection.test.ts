import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { DomainError } from '../../src/domain/errors.ts';
import { LiquidPromptRenderer } from '../../src/templating/liquid-renderer.ts';
import { newUser, startServer, type ApiResponse, type Client, type TestServer } from '../support/server.ts';

// The server runs in this process: code run by a template would set these.
declare global {
  var __agentdPwned: unknown;
}

const marker = `agentd-secret-${Math.random().toString(36).slice(2)}`;
let secretDir: string;
let secretFile: string;
let pwnedFile: string;
let server: TestServer;
let user: Client;

beforeAll(async () => {
  secretDir = await mkdtemp(path.join(os.tmpdir(), 'agentd-injection-'));
  secretFile = path.join(secretDir, 'secret.txt');
  pwnedFile = path.join(secretDir, 'pwned');
  await writeFile(secretFile, marker);
  server = await startServer();
  user = await newUser(server.url, 'injection');
});
afterAll(async () => {
  await server.close();
  await rm(secretDir, { recursive: true, force: true });
});

const codeRuns = (js: string) => [
  `{{ range.constructor("${js}")() }}`,
  `{{ "a".constructor.constructor("${js}")() }}`,
  `{{ x.constructor.constructor("${js}")() }}`,
  `{{ x['constructor']['constructor']('${js.replaceAll("'", '"')}')() }}`,
];
const setGlobal = 'globalThis.__agentdPwned = process.pid; return process.pid';
const writeFileJs = () => `process.getBuiltinModule('fs').writeFileSync('${pwnedFile}', 'x')`;

/** Everything a harmful render would leave in a response: the pid, a file's secret, a function's source. */
function assertHarmless(response: ApiResponse, started: number) {
  const text = JSON.stringify(response.body);
  expect(response.status, text).toBeLessThan(500);
  expect(text).not.toContain(marker);
  expect(text).not.toMatch(/root:x:0:0|\[native code\]|function\s*\w*\s*\(|claude-agent-sdk|\[object process\]/);
  expect(text).not.toMatch(new RegExp(`(^|[^0-9])${process.pid}([^0-9]|$)`));
  expect(globalThis.__agentdPwned).toBeUndefined();
  expect(existsSync(pwnedFile)).toBe(false);
  expect(Date.now() - started).toBeLessThan(5_000);
}

/** Creates a task with the template and, when that is accepted, renders it. */
async function tryPayload(template: string, variables: Record<string, unknown> = { x: { a: 1 }, range: [1, 2] }) {
  const started = Date.now();
  const created = await user.post('/api/v1/tasks', { name: 'injection', prompt_template: template });
  assertHarmless(created, started);
  if (created.status !== 201) {
    expect(created.status).toBe(422);
    return { stage: 'create' as const, response: created };
  }
  const rendered = await user.post(`/api/v1/tasks/${created.body.id}/render`, { variables });
  assertHarmless(rendered, started);
  return { stage: 'render' as const, response: rendered };
}

describe('through the API: nothing runs, nothing is read, nothing hangs', { timeout: 15_000 }, () => {
  test.each([...codeRuns(setGlobal), ...codeRuns(writeFileJs())])('constructor chain %s is refused at creation', async (template) => {
    const { stage, response } = await tryPayload(template);
    expect(stage).toBe('create');
    expect(response.body.error_code).toBe('TEMPLATE_INVALID');
  });

  test.each([
    '{% include ".env" %}',
    '{% render "/etc/passwd" %}',
    '{% include "package.json" %}',
    '{% layout "package.json" %}',
    '{%- render "../../../../etc/passwd" -%}',
    '{% liquid\n  include ".env"\n%}',
  ])('file tag %s is refused at creation', async (template) => {
    const { stage, response } = await tryPayload(template);
    expect(stage).toBe('create');
    expect(response.body.error_code).toBe('TEMPLATE_INVALID');
    expect(response.body.detail).toMatch(/tag is not available/);
  });

  test('a file tag naming a real file outside the data dir is refused and its content never appears', async () => {
    for (const tag of ['include', 'render', 'layout']) {
      const { stage } = await tryPayload(`{% ${tag} "${secretFile}" %}`);
      expect(stage).toBe('create');
    }
    const viaVariable = await tryPayload('{% include path %}', { path: secretFile });
    expect(viaVariable.stage).toBe('create');
  });

  test.each([
    ['{{ x.__proto__ }}', 'TEMPLATE_VARIABLE_MISSING'],
    ['{{ x.constructor }}', 'TEMPLATE_VARIABLE_MISSING'],
    ['{{ x["__proto__"]["constructor"] }}', 'TEMPLATE_VARIABLE_MISSING'],
    ['{{ x.toString }}', 'TEMPLATE_VARIABLE_MISSING'],
    ['{{ "a".constructor }}', 'TEMPLATE_VARIABLE_MISSING'],
    ['{% liquid echo x.constructor %}', 'TEMPLATE_VARIABLE_MISSING'],
  ])('prototype access %s is refused when rendering', async (template, code) => {
    const { stage, response } = await tryPayload(template);
    expect(stage).toBe('render');
    expect(response.status).toBe(422);
    expect(response.body.error_code).toBe(code);
  });

  test.each(['{{ x | map: "constructor" }}', '{% assign f = x.constructor %}[{{ f }}]', '{{ range | sort: "constructor" | size }}'])(
    'prototype access through filters %s renders nothing of the prototype',
    async (template) => {
      const { stage, response } = await tryPayload(template);
      expect(stage).toBe('render');
      if (response.status === 200) expect(response.body.prompt).toMatch(/^(\[\]|\d*)$/);
      else expect(response.status).toBe(422);
    },
  );

  test.each([
    ['a 1e8 loop', '{% for i in (1..100000000) %}x{% endfor %}'],
    ['a 1e8 table', '{% tablerow i in (1..100000000) %}{{ i }}{% endtablerow %}'],
    ['a string-doubling bomb (append)', '{% assign s = "xxxxxxxxxx" %}{% for i in (1..64) %}{% assign s = s | append: s %}{% endfor %}{{ s }}'],
    ['a string-doubling bomb (capture)', '{% assign s = "x" %}{% for i in (1..64) %}{% capture s %}{{ s }}{{ s }}{% endcapture %}{% endfor %}{{ s | size }}'],
    ['an array-doubling bomb', '{% assign a = "x,y" | split: "," %}{% for i in (1..64) %}{% assign a = a | concat: a %}{% endfor %}{{ a | size }}'],
    ['a billion nested iterations', '{% for a in (1..1000) %}{% for b in (1..1000) %}{% for c in (1..1000) %}x{% endfor %}{% endfor %}{% endfor %}'],
    ['a prompt of millions of characters', '{% for i in (1..200000) %}xxxxxxxxxxxxxxxxxxxx{% endfor %}'],
  ])('%s is stopped with 422 TEMPLATE_RENDER_FAILED within the limits', async (_label, template) => {
    const { stage, response } = await tryPayload(template);
    expect(stage).toBe('render');
    expect(response.status).toBe(422);
    expect(response.body.error_code).toBe('TEMPLATE_RENDER_FAILED');
  });

  test('the server still answers after every payload', async () => {
    expect((await user.get('/api/v1/tasks?limit=1')).status).toBe(200);
  });
});

describe('the renderer on its own', { timeout: 10_000 }, () => {
  const renderer = new LiquidPromptRenderer({ renderMs: 300 });
  const failure = async (template: string, variables: Record<string, unknown> = {}) => {
    try {
      await renderer.render(template, variables);
    } catch (error) {
      expect(error).toBeInstanceOf(DomainError);
      return (error as DomainError).code;
    }
    return 'rendered';
  };

  test('code in any constructor chain never runs', async () => {
    for (const template of [...codeRuns(setGlobal), ...codeRuns(writeFileJs())]) {
      expect(await failure(template, { x: {}, range: [] })).toBe('TEMPLATE_INVALID');
    }
    expect(globalThis.__agentdPwned).toBeUndefined();
    expect(existsSync(pwnedFile)).toBe(false);
  });

  test('the time limit holds', async () => {
    const started = Date.now();
    expect(await failure('{% for a in (1..1000) %}{% for b in (1..1000) %}{% for c in (1..1000) %}x{% endfor %}{% endfor %}{% endfor %}')).toBe('TEMPLATE_RENDER_FAILED');
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  test('a too long template does not parse', async () => {
    expect(await failure('x'.repeat(100_001))).toBe('TEMPLATE_INVALID');
  });

  test('inspect lists the top-level variables, not loop or assigned ones', async () => {
    expect(await renderer.inspect('{% assign n = items | size %}{% for i in items %}{{ i.name }}{{ n }}{% endfor %}{{ user.email }}{% if debug %}{{ debug }}{% endif %}')).toEqual({
      variables: ['items', 'user', 'debug'],
    });
  });
});
