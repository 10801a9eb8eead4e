/**
 * npx tsx bench/reports.ts: how long ReportService.create takes per format for one session of
 * BENCH_MESSAGES messages (default 200: 50 turns of user, assistant with a tool call, tool
 * result, result), on an embedded PGlite store, files written to a temporary data dir. The time
 * covers reading the session, building the document, rendering (PDF on its worker thread, as in
 * the server) and writing the file. "longest stall" is the longest the main thread's event loop
 * went without running a timer during those reports.
 *
 *   BENCH_MESSAGES=200  messages in the session     BENCH_RUNS=7  reports per format (first one dropped)
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { openDatabase } from '../src/db/connection.ts';
import { createStore } from '../src/db/store.ts';
import { reportFormats } from '../src/domain/entities.ts';
import { systemClock } from '../src/ports/clock.ts';
import { PdfThread } from '../src/reports/pdf-thread.ts';
import { ReportService } from '../src/services/report-service.ts';
import { LocalReportStorage } from '../src/storage/report-files.ts';
import { count, machine, progress } from './common.ts';
import { ms, summarize, table } from './stats.ts';

const MESSAGES = count('BENCH_MESSAGES', 200);
const RUNS = count('BENCH_RUNS', 7);

const prose = (turn: number) =>
  `Turn ${turn}: I looked at the configuration and the failing test. The problem is in src/services/report-service.ts, where the options are read before they are validated. ` +
  'Here is the change I made, and a table of what I checked:\n\n| file | result |\n| --- | --- |\n| a.ts | ok |\n| b.ts | <b>changed</b> |\n';

const dataDir = await mkdtemp(path.join(os.tmpdir(), 'agentd-bench-reports-'));
const store = createStore(await openDatabase({}));
try {
  const user = await store.users.insert({ email: 'bench@example.test', username: 'bench', passwordHash: 'x', role: 'user', maxConcurrentSessions: 5 });
  const session = await store.sessions.insert({ userId: user.id, name: 'bench session', mode: 'interactive', sdkOptions: {}, workingDirectoryPath: path.join(dataDir, 'w') });
  for (let turn = 1; turn <= Math.ceil(MESSAGES / 4); turn++) {
    const toolUseId = `toolu_${turn}`;
    const input = { file_path: `${session.workingDirectoryPath}/src/module-${turn}/file-with-a-long-name-${turn}.ts`, content: `export const value${turn} = ${turn};\n`.repeat(20) };
    await store.messages.insert({ sessionId: session.id, messageType: 'user', content: { text: `Please fix module ${turn} and explain what you did.` } });
    await store.messages.insert({ sessionId: session.id, messageType: 'assistant', content: { content: [{ type: 'text', text: prose(turn) }, { type: 'tool_use', id: toolUseId, name: 'Write', input }] }, model: 'claude-sonnet-4-5' });
    await store.toolCalls.upsertStarted({ sessionId: session.id, toolName: 'Write', toolUseId, input });
    const output = [{ type: 'text', text: `File created successfully at: ${input.file_path}\n${'log line\n'.repeat(100)}` }];
    await store.messages.insert({ sessionId: session.id, messageType: 'tool_result', content: { tool_use_id: toolUseId, content: output, is_error: false } });
    await store.toolCalls.complete(session.id, toolUseId, { status: 'success', output, completedAt: new Date() });
    await store.messages.insert({ sessionId: session.id, messageType: 'result', content: { subtype: 'success', is_error: false, result: prose(turn), cost_usd: 0.01, duration_ms: 1200, num_turns: 2 } });
  }
  await store.sessions.addTotals(session.id, { messages: MESSAGES, toolCalls: MESSAGES / 4, costUsd: MESSAGES / 400, inputTokens: 100_000, outputTokens: 20_000 });

  const pdfThread = new PdfThread();
  const reports = new ReportService(store, new LocalReportStorage(dataDir), systemClock, pdfThread);
  const actor = { userId: user.id, role: 'user' as const };
  const rows: string[][] = [];
  for (const format of reportFormats) {
    const samples: number[] = [];
    let bytes = 0;
    let stall = 0;
    let last = performance.now();
    const ticker = setInterval(() => {
      const now = performance.now();
      stall = Math.max(stall, now - last);
      last = now;
    }, 5);
    for (let run = 0; run < RUNS; run++) {
      const started = performance.now();
      const report = await reports.create(actor, { session_id: session.id, format });
      if (run > 0) samples.push(performance.now() - started);
      bytes = report.fileSizeBytes;
    }
    clearInterval(ticker);
    const s = summarize(samples);
    rows.push([format, String(s.n), ms(s.median), ms(s.p90), ms(s.max), ms(stall), `${Math.round(bytes / 1024)} KiB`]);
    progress(`${format} done`);
  }
  console.log(`Reports of one session: ${MESSAGES} messages, ${MESSAGES / 4} tool calls. ${await machine()}\n`);
  console.log(table(['format', 'n', 'median ms', 'p90 ms', 'max ms', 'longest stall ms', 'file'], rows));
  await pdfThread.close();
} finally {
  await store.close();
  await rm(dataDir, { recursive: true, force: true });
}
