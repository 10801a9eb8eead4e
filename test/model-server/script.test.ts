import { describe, expect, it } from 'vitest';
import { readConversation, workingDirectory } from '../../src/model-server/conversation.ts';
import { parseScript, planReply } from '../../src/model-server/script.ts';
import { requestBody, toolResult, toolUse, userPrompt } from './bodies.ts';

describe('parseScript', () => {
  it('echoes a prompt without directives, at most 500 characters', () => {
    expect(parseScript('hello there').steps).toEqual([{ kind: 'text', text: 'echo: hello there', delayMs: 0 }]);
    const long = parseScript('x'.repeat(800)).steps[0];
    expect(long).toMatchObject({ kind: 'text', text: `echo: ${'x'.repeat(500)}` });
  });

  it('reads each directive as one step, in order', () => {
    const script = parseScript(
      ['!text hello you', 'some plain words', '!tool Write {"a": 1}', '!error 529 busy now', '!cut'].join('\n'),
    );
    expect(script.steps).toEqual([
      { kind: 'text', text: 'hello you', delayMs: 0 },
      { kind: 'tool', name: 'Write', inputJson: '{"a": 1}', delayMs: 0 },
      { kind: 'error', status: 529, message: 'busy now', delayMs: 0 },
      { kind: 'cut', delayMs: 0 },
    ]);
  });

  it('applies !delay to the next step only, and a trailing !delay to the final reply', () => {
    const script = parseScript('!delay 250\n!tool Bash {}\n!text after\n!delay 40');
    expect(script.steps.map((s) => s.delayMs)).toEqual([250, 0]);
    expect(script.finalDelayMs).toBe(40);
  });

  it('echoes the plain lines when the only directive is !delay', () => {
    expect(parseScript('!delay 100\nwait for me').steps).toEqual([{ kind: 'text', text: 'echo: wait for me', delayMs: 100 }]);
  });

  it('gives defaults and visible script errors for bad directives', () => {
    expect(parseScript('!error 500').steps[0]).toEqual({ kind: 'error', status: 500, message: 'scripted error 500', delayMs: 0 });
    expect(parseScript('!tool Read').steps[0]).toMatchObject({ kind: 'tool', inputJson: '{}' });
    expect(parseScript('!error abc').steps[0]).toEqual({ kind: 'text', text: 'script error: !error needs a status 400-599, got "abc"', delayMs: 0 });
    expect(parseScript('!tool').steps[0]).toEqual({ kind: 'text', text: 'script error: !tool needs a tool name', delayMs: 0 });
    expect(parseScript('!bogus 1').steps[0]).toMatchObject({ kind: 'text', text: 'script error: unknown directive "!bogus"' });
  });
});

describe('readConversation', () => {
  it('reads the last non-reminder text block and counts assistant replies after it', () => {
    const body = requestBody([userPrompt('!tool Write {}\n!text end'), toolUse(), toolResult('ok')]);
    expect(readConversation(body)).toEqual({ promptText: '!tool Write {}\n!text end', stepIndex: 1, lastToolResult: 'ok' });
  });

  it('does not take reminders appended to a tool_result turn for a new prompt', () => {
    const result = toolResult('ok');
    result.content.push({ type: 'text', text: '<system-reminder>\nsomething changed\n</system-reminder>' });
    const body = requestBody([userPrompt('!tool A {}\n!tool B {}'), toolUse(), result]);
    expect(readConversation(body)).toMatchObject({ promptText: '!tool A {}\n!tool B {}', stepIndex: 1 });
  });

  it('takes the newest prompt when an interrupted one is merged with it', () => {
    const merged = userPrompt('!delay 5000\n!text slow');
    merged.content.push({ type: 'text', text: '[Request interrupted by user]' }, { type: 'text', text: '!text second' });
    expect(readConversation(requestBody([merged]))).toMatchObject({ promptText: '!text second', stepIndex: 0 });
  });

  it('accepts string content and skips role:system entries', () => {
    const body = requestBody([
      { role: 'user', content: 'first' },
      { role: 'assistant', content: 'echo: first' },
      { role: 'system', content: 'compacted' },
      { role: 'user', content: 'second' },
    ]);
    expect(readConversation(body)).toMatchObject({ promptText: 'second', stepIndex: 0 });
  });

  it('reads tool_result text from blocks without the binary reminders', () => {
    const blocks = [
      { type: 'text', text: 'line one' },
      { type: 'image', source: {} },
      { type: 'text', text: 'line two\n<system-reminder>\nnoise\n</system-reminder>' },
    ];
    expect(readConversation(requestBody([userPrompt('!tool X {}'), toolUse(), toolResult(blocks)])).lastToolResult).toBe(
      'line one\n\nline two',
    );
  });

  it('tolerates malformed bodies', () => {
    expect(readConversation(undefined)).toEqual({ promptText: '', stepIndex: 0, lastToolResult: '' });
    expect(readConversation({ messages: [null, 3, { role: 'user', content: 7 }] })).toMatchObject({ promptText: '' });
  });
});

describe('workingDirectory', () => {
  it('finds the directory in the environment reminder or in the system prompt', () => {
    expect(workingDirectory(requestBody([userPrompt('hi', '/tmp/a b')]))).toBe('/tmp/a b');
    expect(workingDirectory({ system: 'Intro\nWorking directory: /srv/x\nmore', messages: [] })).toBe('/srv/x');
    expect(workingDirectory({ messages: [{ role: 'user', content: 'hi' }] })).toBeUndefined();
  });
});

describe('planReply', () => {
  const prompt = '!text one\n!tool Write {"file_path":"$CWD/a.txt","content":"hi"}';

  it('runs the step matching the number of assistant replies', () => {
    expect(planReply(requestBody([userPrompt(prompt)])).reply).toEqual({ kind: 'text', text: 'one', delayMs: 0 });
    const second = planReply(requestBody([userPrompt(prompt), { role: 'assistant', content: [{ type: 'text', text: 'one' }] }]));
    expect(second).toEqual({
      promptText: prompt,
      reply: { kind: 'tool', name: 'Write', input: { file_path: '/work/dir/a.txt', content: 'hi' }, delayMs: 0 },
    });
  });

  it('escapes $CWD so the input stays valid JSON', () => {
    const body = requestBody([userPrompt('!tool Read {"file_path":"$CWD/f"}', '/tmp/q"uote\\dir')]);
    expect(planReply(body).reply).toMatchObject({ input: { file_path: '/tmp/q"uote\\dir/f' } });
  });

  it('answers "done:" with the last tool result once the steps are used up', () => {
    const body = requestBody([userPrompt('!tool Bash {}'), toolUse('Bash'), toolResult(`${'r'.repeat(400)}`, true)]);
    expect(planReply(body).reply).toEqual({ kind: 'text', text: `done: ${'r'.repeat(300)}`, delayMs: 0 });
  });

  it('keeps answering the same step for a retried request', () => {
    const body = requestBody([userPrompt('!error 500 boom')]);
    expect(planReply(body).reply).toEqual(planReply(body).reply);
    expect(planReply(body).reply).toMatchObject({ kind: 'error', status: 500, message: 'boom' });
  });

  it('turns tool input that is not a JSON object into a visible script error', () => {
    const reply = planReply(requestBody([userPrompt('!tool Write {nope')])).reply;
    expect(reply.kind === 'text' && reply.text).toMatch(/^script error: !tool Write input is not JSON/);
    expect(planReply(requestBody([userPrompt('!tool Write [1]')])).reply).toMatchObject({ kind: 'text' });
  });
});
