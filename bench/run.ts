/**
 * npm run bench: the latency agentd adds to an agent turn, against the same turn through the
 * Agent SDK directly, both measured in this run against one scripted model server; then
 * bench/pool.ts (the agent pool: pre-warming, a cap under many sessions, idle eviction) in a
 * process of its own, so its memory readings start clean.
 *
 *   BENCH_ONLY=turns|pool  run one of the two (default: both, turns first)
 *   BENCH_WARM=25  warm turns per side      BENCH_COLD=4  cold first turns per side
 *   BENCH_LONG=10  warm turns per side with a ~60-word reply (one event per word in agentd)
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { startModelServer, type ModelServer } from '../src/model-server/server.ts';
import type { AgentHandle, ToolGate } from '../src/ports/agent-runtime.ts';
import { Api, startAgentd, StreamClient, type Agentd } from './agentd.ts';
import { closeStep, count, expectEcho, loadAverage, machine, progress, rotate } from './common.ts';
import { installDbProbe, startCounting, stopCounting, type DbCounts } from './db-probe.ts';
import { SdkSession, sdkOptions } from './sdk-direct.ts';
import { latencyTable, ms, summarize, table } from './stats.ts';

const N_WARM = count('BENCH_WARM', 25);
const N_COLD = count('BENCH_COLD', 4);
const N_LONG = count('BENCH_LONG', 10);
const N_PROBE = 10;
const N_PROBE_LONG = 5;
const N_MICRO = 30;

const SDK = 'SDK direct';
const HTTP = 'agentd HTTP POST /query';
const WS = 'agentd WebSocket query';
const RUNTIME = 'agentd runtime only (no HTTP/DB)';

/** Allows everything: a plain text turn calls no tool, so the gate is never asked. */
const openGate: ToolGate = {
  preToolUse: async () => ({ decision: 'allow' }),
  approve: async () => ({ decision: 'allow' }),
  postToolUse: async () => undefined,
};

interface Probe {
  turns: { ms: number; db: DbCounts }[];
  eventTypes: string[];
}

interface Resources {
  model?: ModelServer;
  agentd?: Agentd;
  sdk: SdkSession[];
  streams: StreamClient[];
  handles: AgentHandle[];
  root?: string;
}

async function main(resources: Resources) {
  const began = performance.now();
  progress(`load average at start: ${loadAverage()} (other work on the machine skews every side)`);
  installDbProbe();
  const root = await mkdtemp(path.join(os.tmpdir(), 'agentd-bench-sdk-'));
  resources.root = root;

  // --- set-up (not measured) ---
  const model = await startModelServer();
  resources.model = model;
  let t = performance.now();
  const agentd = await startAgentd(model.url);
  resources.agentd = agentd;
  const setupMs = performance.now() - t;
  progress(`agentd up in ${ms(setupMs, 0)} ms (PGlite init + migrations)`);

  const api = new Api(agentd.url);
  await api.signUp();
  const httpSession = await api.createSession();
  const wsSession = await api.createSession();
  const stream = await StreamClient.open(agentd.url, wsSession, api.accessToken);
  resources.streams.push(stream);
  const sdk = new SdkSession(await sdkOptions(root, path.join(root, 'work'), model.url));
  resources.sdk.push(sdk);
  // agentd's own agent runtime (its SDK options, hooks, spawn and message translation), called
  // directly with a no-op event sink: separates the cost of the runtime from the service layers.
  const runtimeId = randomUUID();
  const runtimeCwd = path.join(root, 'runtime-work');
  await mkdir(runtimeCwd, { recursive: true });
  const handle = await agentd.container.runtime.open({ sessionId: runtimeId, userId: 'bench-runtime', cwd: runtimeCwd, conversation: { kind: 'new', id: runtimeId }, options: {}, mcpServers: {}, builtins: {} }, openGate);
  resources.handles.push(handle);
  const runtimeTurn = async (prompt: string) => {
    const started = performance.now();
    const outcome = await handle.runTurn(prompt, async () => undefined);
    return { ms: performance.now() - started, content: outcome.result.text ?? '' };
  };

  // The first turn of each starts its process; it is the warm-up, not a sample.
  t = performance.now();
  await Promise.all([sdk.turn('warm up'), runtimeTurn('warm up'), api.query(httpSession, 'warm up'), stream.turn('warm up')]);
  progress(`warm-up turns done in ${ms(performance.now() - t, 0)} ms`);

  // --- warm turns: one round = one turn per side, order rotated per round ---
  const warm = new Map<string, number[]>([[SDK, []], [RUNTIME, []], [HTTP, []], [WS, []]]);
  const sides: Record<string, (prompt: string) => Promise<{ ms: number; content: string }>> = {
    [SDK]: (prompt) => sdk.turn(prompt).then((r) => ({ ms: r.ms, content: r.result.subtype === 'success' ? r.result.result : '' })),
    [RUNTIME]: runtimeTurn,
    [HTTP]: (prompt) => api.query(httpSession, prompt),
    [WS]: (prompt) => stream.turn(prompt),
  };
  const runSide = async (side: string, prompt: string): Promise<number> => {
    const turn = await sides[side]!(prompt);
    expectEcho(turn.content, prompt);
    return turn.ms;
  };
  for (let i = 0; i < N_WARM; i++) {
    for (const side of rotate([SDK, RUNTIME, HTTP, WS], i)) warm.get(side)!.push(await runSide(side, `ping ${i}`));
  }
  progress(`${N_WARM} warm rounds done`);

  // --- warm turns with a long reply: the scripted model streams it one word per delta ---
  const words = Array.from({ length: 60 }, (_, k) => `word${k}`).join(' ');
  const long = new Map<string, number[]>([[SDK, []], [RUNTIME, []], [HTTP, []]]);
  for (let i = 0; i < N_LONG; i++) {
    for (const side of rotate([SDK, RUNTIME, HTTP], i)) long.get(side)!.push(await runSide(side, `${words} ${i}`));
  }
  progress(`${N_LONG} long-reply rounds done`);

  // --- cold: the first turn of a new session, which starts a new agent process ---
  const cold = new Map<string, number[]>([[SDK, []], [HTTP, []]]);
  const createMs: number[] = [];
  const coldDb: DbCounts[] = [];
  for (let i = 0; i < N_COLD; i++) {
    for (const side of rotate([SDK, HTTP], i)) {
      const prompt = `cold ${i}`;
      if (side === SDK) {
        const options = await sdkOptions(root, path.join(root, `cold-${i}`), model.url);
        const started = performance.now();
        const session = new SdkSession(options);
        resources.sdk.push(session);
        const turn = await session.turn(prompt);
        cold.get(SDK)!.push(performance.now() - started);
        expectEcho(turn.result.subtype === 'success' ? turn.result.result : '', prompt);
        await session.close();
      } else {
        const created = performance.now();
        const id = await api.createSession();
        createMs.push(performance.now() - created);
        startCounting();
        const turn = await api.query(id, prompt);
        coldDb.push(stopCounting());
        expectEcho(turn.content, prompt);
        cold.get(HTTP)!.push(turn.ms);
        await api.call('DELETE', `/api/v1/sessions/${id}`);
      }
    }
  }
  progress(`${N_COLD} cold rounds done`);

  // --- where agentd's time goes: database work of warm HTTP turns, and the cost of its parts ---
  const probe = async (prompt: (i: number) => string, n: number): Promise<Probe> => {
    const before = (await agentd.container.events.replay(httpSession, 0, 100_000)).at(-1)?.seq ?? 0;
    const turns: Probe['turns'] = [];
    for (let i = 0; i < n; i++) {
      startCounting();
      const turn = await api.query(httpSession, prompt(i));
      turns.push({ ms: turn.ms, db: stopCounting() });
      expectEcho(turn.content, prompt(i));
    }
    const events = await agentd.container.events.replay(httpSession, before, 100_000);
    return { turns, eventTypes: events.map((e) => e.type) };
  };
  const probes = { short: await probe((i) => `probe ${i}`, N_PROBE), long: await probe((i) => `${words} probe ${i}`, N_PROBE_LONG) };

  const scratch = await api.createSession();
  const micro = new Map<string, number[]>([
    ['GET /health (no auth, no DB)', []],
    ['GET /api/v1/sessions/:id (auth + 2 selects)', []],
    ['one session event: events.emit() (txn: update+insert)', []],
    ['one message row: store.messages.insert()', []],
  ]);
  const microDb = new Map<string, DbCounts>();
  const timeIt = async (name: string, work: () => Promise<unknown>) => {
    const samples = micro.get(name)!;
    startCounting();
    for (let i = 0; i < N_MICRO; i++) {
      const started = performance.now();
      await work();
      samples.push(performance.now() - started);
    }
    microDb.set(name, stopCounting());
  };
  const [healthName, getName, emitName, insertName] = [...micro.keys()] as [string, string, string, string];
  await timeIt(healthName, () => api.call('GET', '/health'));
  await timeIt(getName, () => api.call('GET', `/api/v1/sessions/${scratch}`));
  await timeIt(emitName, () => agentd.container.events.emit(scratch, 'bench', { text: 'word ' }));
  await timeIt(insertName, () => agentd.container.store.messages.insert({ sessionId: scratch, messageType: 'user', content: { text: 'bench' } }));
  progress('breakdown done');

  // --- report ---
  const lines: string[] = [];
  const out = (line = '') => lines.push(line);
  out(`agentd benchmark, ${new Date().toISOString()}`);
  out(`machine: ${await machine()}`);
  out(`model: the bundled scripted model server on 127.0.0.1, shared by both sides; agentd on embedded PGlite`);
  out(`set-up (not measured): agentd start ${ms(setupMs, 0)} ms`);
  out();
  out(`Warm turn: a follow-up message to a live agent process ("ping N" -> "echo: ping N", 3 text deltas)`);
  out(`rounds rotate the order of the sides; the ratio is median / median of "${SDK}"`);
  out(latencyTable([...warm].map(([name, samples]) => ({ name, samples })), SDK));
  out();
  out(`Warm turn, long reply (~60 words -> ~60 text deltas), same live processes`);
  out(latencyTable([...long].map(([name, samples]) => ({ name, samples })), SDK));
  out();
  out(`Cold turn: first message of a new session (process start + turn); agentd's session create is timed apart`);
  out(latencyTable([...cold].map(([name, samples]) => ({ name, samples })), SDK));
  const created = summarize(createMs);
  out(`(agentd POST /api/v1/sessions before each cold turn: median ${ms(created.median)} ms, n ${created.n};`);
  const coldStatements = summarize(coldDb.map((d) => d.statements));
  const coldBusy = summarize(coldDb.map((d) => d.busyMs));
  out(` during agentd's cold turn: median ${coldStatements.median} SQL statements, database busy ${ms(coldBusy.median)} ms)`);
  out();

  const warmHttp = summarize(warm.get(HTTP)!).median - summarize(warm.get(SDK)!).median;
  const longHttp = summarize(long.get(HTTP)!).median - summarize(long.get(SDK)!).median;
  out(`agentd's added time per warm turn (median difference): ${ms(warmHttp)} ms short reply, ${ms(longHttp)} ms long reply`);
  out();

  const both = [probes.short, probes.long];
  const med = (p: Probe, pick: (t: Probe['turns'][number]) => number) => summarize(p.turns.map(pick)).median;
  const row = (label: string, pick: (t: Probe['turns'][number]) => number, digits = 1) => [label, ...both.map((p) => ms(med(p, pick), digits))];
  out(`Breakdown: warm HTTP turns with agentd's database calls counted (medians; ${N_PROBE} short, ${N_PROBE_LONG} long)`);
  out(
    table(
      ['per turn', 'short reply', 'long reply'],
      [
        row('turn latency ms', (t) => t.ms),
        row('SQL statements (incl. BEGIN/COMMIT)', (t) => t.db.statements, 0),
        row('  of which writes (INSERT/UPDATE)', (t) => t.db.writes, 0),
        row('transactions', (t) => t.db.transactions, 0),
        row('database busy ms (any call in flight)', (t) => t.db.busyMs),
        row('turn latency minus database busy ms', (t) => t.ms - t.db.busyMs),
        ['session events stored + published', ...both.map((p) => (p.eventTypes.length / p.turns.length).toFixed(1))],
      ],
    ),
  );
  out();
  const types = [...new Set(both.flatMap((p) => p.eventTypes))];
  const perTurn = (p: Probe, type: string) => (p.eventTypes.filter((t) => t === type).length / p.turns.length).toFixed(1);
  out(table(['session events per turn, by type', 'short', 'long'], types.map((type) => [type, ...both.map((p) => perTurn(p, type))])));
  out();
  const kindTotals = (p: Probe) => {
    const kinds = new Map<string, { n: number; ms: number }>();
    for (const { db } of p.turns) {
      for (const [kind, n] of db.byKind) {
        const k = kinds.get(kind) ?? { n: 0, ms: 0 };
        kinds.set(kind, { n: k.n + n, ms: k.ms + (db.msByKind.get(kind) ?? 0) });
      }
    }
    return kinds;
  };
  const shortKinds = kindTotals(probes.short);
  const longKinds = kindTotals(probes.long);
  const cells = (kinds: Map<string, { n: number; ms: number }>, kind: string, turns: number) => {
    const k = kinds.get(kind) ?? { n: 0, ms: 0 };
    return [(k.n / turns).toFixed(1), ms(k.ms / turns, 1), k.n ? ms(k.ms / k.n, 2) : '-'];
  };
  out(
    table(
      ['SQL per turn, by kind', 'short: count', 'ms/turn', 'ms each', 'long: count', 'ms/turn', 'ms each'],
      [...new Set([...shortKinds.keys(), ...longKinds.keys()])]
        .sort((a, b) => (longKinds.get(b)?.ms ?? 0) - (longKinds.get(a)?.ms ?? 0))
        .map((kind) => [kind, ...cells(shortKinds, kind, probes.short.turns.length), ...cells(longKinds, kind, probes.long.turns.length)]),
    ),
  );
  out();
  out(`Parts, timed alone (n ${N_MICRO} each)`);
  out(
    table(
      ['part', 'median ms', 'p90 ms', 'mean ms', 'SQL statements each'],
      [...micro].map(([name, samples]) => {
        const s = summarize(samples);
        return [name, ms(s.median, 2), ms(s.p90, 2), ms(s.mean, 2), ((microDb.get(name)?.statements ?? 0) / N_MICRO).toFixed(1)];
      }),
    ),
  );
  out();
  out(`total bench time ${ms((performance.now() - began) / 1000, 1)} s`);
  process.stdout.write(`${lines.join('\n')}\n`);
}


async function cleanup(resources: Resources) {
  for (const stream of resources.streams) await closeStep('stream', () => stream.close());
  for (const session of resources.sdk) await closeStep('SDK query', () => session.close());
  for (const handle of resources.handles) await closeStep('runtime agent', () => handle.close());
  if (resources.agentd) await closeStep('agentd', () => resources.agentd!.close());
  if (resources.model) await closeStep('model server', () => resources.model!.close());
  if (resources.root) await closeStep('temp dir', () => rm(resources.root!, { recursive: true, force: true }));
}

async function turns() {
  const resources: Resources = { sdk: [], streams: [], handles: [] };
  try {
    await main(resources);
  } catch (error) {
    progress(`failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exitCode = 1;
  } finally {
    await cleanup(resources);
  }
}

/** bench/pool.ts in a fresh Node process (with --expose-gc, for its readings of the server's heap). */
function pool(): Promise<void> {
  const script = fileURLToPath(new URL('./pool.ts', import.meta.url));
  const loader = new URL('../node_modules/tsx/dist/loader.mjs', import.meta.url).href;
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--expose-gc', '--import', loader, script], { stdio: 'inherit' });
    child.once('error', (error) => {
      progress(`could not start bench/pool.ts: ${error.message}`);
      process.exitCode = 1;
      resolve();
    });
    child.once('exit', (code, signal) => {
      if (code !== 0) {
        progress(`bench/pool.ts ended with ${signal ?? `exit code ${code}`}`);
        process.exitCode = 1;
      }
      resolve();
    });
  });
}

const only = process.env.BENCH_ONLY ?? '';
if (!['', 'turns', 'pool'].includes(only)) {
  progress(`BENCH_ONLY=${only}: expected "turns" or "pool" (or unset for both)`);
  process.exitCode = 1;
} else {
  if (only !== 'pool') await turns();
  if (only !== 'turns') {
    if (only === '') process.stdout.write('\n');
    await pool();
  }
}
// Everything is closed; if a handle still lingers, do not hang the terminal.
setTimeout(() => process.exit(), 2000).unref();
