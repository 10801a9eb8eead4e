import { createHash } from 'node:crypto';
import pdfmake from 'pdfmake';
import { describe, expect, test } from 'vitest';
import { buildReportDocument, reportRowLimit } from '../../src/reports/document.ts';
import { htmlReportPolicy, renderHtml } from '../../src/reports/html.ts';
import { renderJson } from '../../src/reports/json.ts';
import { renderMarkdown } from '../../src/reports/markdown.ts';
import { renderPdf } from '../../src/reports/pdf.ts';
import { PdfThread } from '../../src/reports/pdf-thread.ts';
import { aConversation, aMessage, allParts, anExecution, aSession, at, fakeRepos } from './fixtures.ts';
import { flat, pdfText } from './pdf-text.ts';

const session = aSession();
const conversation = aConversation(session.id);
const subject = { session, execution: null, taskName: null };
const fullDocument = () => buildReportDocument(fakeRepos(conversation).repos, subject, allParts, at(59));

describe('the document', () => {
  test('holds the session, the conversation in order, the tool calls and the metrics', async () => {
    const doc = await fullDocument();
    expect(doc.title).toBe('Weekly <check> | ops');
    expect(doc.session).toMatchObject({ id: session.id, name: 'Ops review', status: 'active', mode: 'interactive', model: 'claude-test-1', started_at: at(1).toISOString() });
    expect(doc.execution).toBeNull();
    expect(doc.messages?.map((m) => [m.sequence, m.type])).toEqual([
      [1, 'user'],
      [2, 'assistant'],
      [3, 'tool_result'],
      [4, 'result'],
      [5, 'user'],
      [6, 'assistant'],
      [7, 'result'],
      [8, 'error'],
    ]);
    const [, assistant, toolResult, result, , , , error] = doc.messages!;
    expect(assistant).toMatchObject({ text: 'Writing it now.', tool_uses: [{ tool_use_id: 'toolu_1', name: 'Write', input_summary: 'file_path: /w/a.txt, content: left | right' }] });
    expect(toolResult?.tool_result).toEqual({ tool_use_id: 'toolu_1', tool_name: 'Write', is_error: false, summary: 'File created at /w/a.txt' });
    expect(result?.text).toBe('Turn ended: success, 2 model turns, 1500 ms, $0.010000');
    expect(error?.text).toBe('MODEL_ERROR: overloaded');
    expect(doc.tool_calls).toMatchObject([{ name: 'Write', status: 'success', duration_ms: 42, output_summary: 'File created at /w/a.txt', input: { content: 'left | right' } }]);
    expect(doc.metrics).toEqual({ messages: 6, tool_calls: 1, turns: 2, input_tokens: 1200, output_tokens: 340, cache_creation_tokens: 50, cache_read_tokens: 900, cost_usd: 0.0123, duration_ms: 2000 });
  });

  test('leaves out what the options leave out, without reading it', async () => {
    const { repos, calls } = fakeRepos(conversation);
    const doc = await buildReportDocument(repos, subject, { ...allParts, include_messages: false, include_tool_calls: false, include_metrics: false }, at(59));
    expect(doc).not.toHaveProperty('messages');
    expect(doc).not.toHaveProperty('tool_calls');
    expect(doc).not.toHaveProperty('metrics');
    expect(calls).toEqual({ messages: 0, toolCalls: 0 });
    for (const text of [renderMarkdown(doc), renderHtml(doc)]) {
      expect(text).not.toMatch(/Conversation|Tool calls|Metrics/);
      expect(text).toContain('Ops review');
    }
  });

  test('pages through a long session, and stops at the row limit saying how many it left out', async () => {
    const many = Array.from({ length: reportRowLimit + 7 }, (_, i) => aMessage(session.id, i + 1, 'user', { text: `m${i + 1}` }));
    const { repos, calls } = fakeRepos({ messages: many, toolCalls: [] });
    const doc = await buildReportDocument(repos, subject, allParts, at(59));
    expect(doc.messages).toHaveLength(reportRowLimit);
    expect(doc.messages?.at(-1)?.text).toBe(`m${reportRowLimit}`);
    expect(doc.omitted.messages).toBe(7);
    expect(calls.messages).toBe(reportRowLimit / 500);
    expect(renderMarkdown(doc)).toContain(`7 more messages not listed: a report lists at most ${reportRowLimit}.`);
  });

  test('of an execution whose session is gone: the run, its task and its own cost and time', async () => {
    const execution = anExecution();
    const { repos, calls } = fakeRepos(conversation);
    const doc = await buildReportDocument(repos, { session: null, execution, taskName: 'Nightly audit' }, allParts, at(59));
    expect(doc.execution).toMatchObject({ id: execution.id, task_name: 'Nightly audit', trigger: 'manual', status: 'failed', variables: { repo: 'agentd', n: 3 }, duration_ms: 61_500, error_message: 'The agent stopped: error_max_turns' });
    expect(doc.messages).toEqual([]);
    expect(doc.metrics).toMatchObject({ messages: 0, cost_usd: 0.5, duration_ms: 61_500 });
    expect(calls).toEqual({ messages: 0, toolCalls: 0 });
    const markdown = renderMarkdown(doc);
    expect(markdown).toContain('- **Task:** Nightly audit');
    expect(markdown).toContain('- **Variables:** {"repo":"agentd","n":3}');
    expect(markdown).toContain('- **Execution duration:** 1 min 2 s');
  });
});

describe('JSON', () => {
  test('is the whole document, with the stored content of each message', async () => {
    const doc = await fullDocument();
    const parsed = JSON.parse(renderJson(doc));
    expect(parsed.schema_version).toBe(1);
    expect(parsed.messages[1].content.content[1]).toMatchObject({ type: 'tool_use', name: 'Write' });
    expect(parsed).toMatchObject({ title: doc.title, session: doc.session, metrics: doc.metrics, omitted: { messages: 0, tool_calls: 0 } });
  });
});

describe('Markdown', () => {
  test('has the title, the details, the quoted conversation and a tool call table whose cells cannot break it', async () => {
    const markdown = renderMarkdown(await fullDocument());
    expect(markdown.startsWith('# Weekly \\<check\\> \\| ops\n')).toBe(true);
    expect(markdown).toContain(`- **Session:** ${session.id}`);
    expect(markdown).toContain('- **Model:** claude-test-1');
    // The agent's own heading stays inside its message.
    expect(markdown).toContain('> # Heading from the agent\n> Say <script>alert(1)</script> & "hi" | ok');
    expect(markdown).toContain('- Tool call Write: file\\_path: /w/a.txt, content: left \\| right');
    expect(markdown).toContain('| Tool | Status | Input | Output | Duration | Error |');
    expect(markdown).toContain('| Write | success | file\\_path: /w/a.txt, content: left \\| right | File created at /w/a.txt | 42 ms |  |');
    expect(markdown).toContain('| Cost | $0.0123 |');
    for (const line of markdown.split('\n').filter((l) => l.startsWith('| Write'))) expect(line.split(/(?<!\\)\|/)).toHaveLength(8);
  });
});

describe('HTML', () => {
  test('escapes every supplied string, carries no script, and allows only its own style sheet', async () => {
    const html = renderHtml(await fullDocument());
    expect(html).toContain('<title>Weekly &lt;check&gt; | ops</title>');
    expect(html).toContain('Say &lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;hi&quot; | ok');
    expect(html.toLowerCase()).not.toContain('<script');
    expect(html).not.toMatch(/\son\w+=/i);
    expect(html).toContain(`<meta http-equiv="Content-Security-Policy" content="${htmlReportPolicy.replaceAll("'", '&#39;')}">`);
    expect(htmlReportPolicy).toMatch(/^default-src 'none'; style-src 'sha256-/);
    const style = /<style>([\s\S]*?)<\/style>/.exec(html)![1]!;
    expect(htmlReportPolicy).toContain(`'sha256-${createHash('sha256').update(style).digest('base64')}'`);
    expect(html).toContain('<td>Write</td><td>success</td><td>file_path: /w/a.txt, content: left | right</td>');
  });
});

describe('PDF', () => {
  test('is a PDF whose text extracts: title, details, conversation, tool calls, metrics', async () => {
    const bytes = await renderPdf(await fullDocument());
    expect(Buffer.from(bytes.subarray(0, 5)).toString()).toBe('%PDF-');
    const text = flat((await pdfText(bytes)).text);
    for (const expected of ['Weekly <check> | ops', 'Ops review', session.id, 'Say <script>alert(1)</script> & "hi" | ok', 'Tool call Write: file_path: /w/a.txt', 'Write success', 'Cache read tokens 900', '$0.0123']) {
      expect(text).toContain(expected);
    }
  });

  test('wraps a long unbroken token inside its cell, and writes characters the standard fonts lack as "?"', async () => {
    const token = `${'a1b2c3d4'.repeat(40)}END`;
    const doc = await fullDocument();
    doc.tool_calls![0]!.input_summary = `path: ${token}`;
    doc.messages![0]!.text = `Grüße, naïve café: 日本 🙂 ${token}`;
    const { text, pages } = await pdfText(await renderPdf(doc));
    expect(text.replace(/\s/g, '')).toContain(`path:${token}`);
    expect(text).toContain('Grüße, naïve café: ?? ?');
    // Wrapped, not cut off or overflowing: the token spans several lines of its cell.
    const cellLines = pages.join('\n').split('\n').filter((line) => /^[a-d0-9]+(END)?$/.test(line.trim()) && line.includes('a1b2'));
    expect(cellLines.length).toBeGreaterThan(3);
  });

  test('the renderer refuses to fetch URLs or read local files, whatever a document asks for', async () => {
    await renderPdf(await fullDocument());
    const fetching = pdfmake.createPdf({ content: [{ image: 'logo' }], images: { logo: 'http://127.0.0.1:9/logo.png' }, defaultStyle: { font: 'Helvetica' } });
    await expect(fetching.getBuffer()).rejects.toThrow(/denied/i);
    const reading = pdfmake.createPdf({ content: [{ image: '/etc/passwd' }], defaultStyle: { font: 'Helvetica' } });
    await expect(reading.getBuffer()).rejects.toThrow(/denied/i);
  });
});

describe('the PDF thread', () => {
  test('renders off the main thread, one document after another, and reports a failure as an error', async () => {
    const thread = new PdfThread(60_000);
    try {
      const doc = await fullDocument();
      const [a, b] = await Promise.all([thread.render(doc), thread.render({ ...doc, title: 'Second' })]);
      expect(flat((await pdfText(a)).text)).toContain('Weekly <check> | ops');
      expect(flat((await pdfText(b)).text)).toContain('Second');
      await expect(thread.render({ ...doc, messages: 'not a list' } as never)).rejects.toThrow(/PDF rendering failed/);
      // The thread survives a failed document.
      expect(Buffer.from((await thread.render(doc)).subarray(0, 5)).toString()).toBe('%PDF-');
    } finally {
      await thread.close();
    }
  });

  test('a closed thread fails what is queued, and starts again for the next document', async () => {
    const thread = new PdfThread(60_000);
    const doc = await fullDocument();
    const queued = expect(thread.render(doc)).rejects.toThrow(/closed/);
    await thread.close();
    await queued;
    expect((await thread.render(doc)).byteLength).toBeGreaterThan(1000);
    await thread.close();
  });

  test('a thread that finishes nothing for too long is stopped, and its queue fails instead of waiting forever', async () => {
    // 50 ms is less than the thread needs to start and lay out a document: it counts as stuck.
    const thread = new PdfThread(60_000, 50);
    try {
      const doc = await fullDocument();
      await expect(Promise.all([thread.render(doc), thread.render(doc)])).rejects.toThrow(/no document finished within 50 ms/);
    } finally {
      await thread.close();
    }
  });
});
