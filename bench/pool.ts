/**
 * The agent pool under load: what pre-warming saves on a new session's first message, how many
 * sessions a cap on live agent processes serves and at what memory, and what an idle session
 * costs once its agent is evicted. Run by `npm run bench` after bench/run.ts (in a process of its
 * own), alone with `BENCH_ONLY=pool npm run bench`, or with `npx tsx bench/pool.ts`.
 *
 *   BENCH_FIRST=5           new sessions per side in the first-message comparison
 *   BENCH_THINK_MS=1500     pause between creating a session and sending its first message
 *   BENCH_POOL_SESSIONS=12  BENCH_POOL_CAP=4  BENCH_POOL_ROUNDS=3   the capped pool
 *   BENCH_IDLE_SESSIONS=6   BENCH_IDLE_SECONDS=2                    idle eviction
 *   BENCH_BUDGET_GIB=4      the memory budget the measured per-agent memory is divided into
 *
 * Every agentd here is in this process (as bench/agentd.ts starts it) with its own embedded
 * database, loaded from one migrated dump; all share one scripted model server on 127.0.0.1.
 */
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { loadConfig } from '../src/config/config.ts';
import { startModelServer, type ModelServer } from '../src/model-server/server.ts';
import { Api, ApiError, migratedDatabase, startAgentd, StreamClient, type Agentd } from './agentd.ts';
import { closeStep, count, expectEcho, loadAverage, machine, progress, rotate, sleep } from './common.ts';
import { agentChildren, mib, MemorySampler, type MemorySample, type MemoryTotals } from './memory.ts';
import { latencyTable, ms, ratio, summarize, table } from './stats.ts';

const N_FIRST = count('BENCH_FIRST', 5);
const THINK_MS = count('BENCH_THINK_MS', 1500);
const PREWARM = 2;
const POOL_SESSIONS = count('BENCH_POOL_SESSIONS', 12);
const POOL_CAP = count('BENCH_POOL_CAP', 4);
const POOL_ROUNDS = count('BENCH_POOL_ROUNDS', 3);
const IDLE_SESSIONS = count('BENCH_IDLE_SESSIONS', 6);
const IDLE_SECONDS = count('BENCH_IDLE_SECONDS', 2);
const BUDGET_GIB = count('BENCH_BUDGET_GIB', 4);

interface Resources {
  model?: ModelServer;
  agentds: Set<Agentd>;
  streams: Set<StreamClient>;
}

interface Instance {
  agentd: Agentd;
  api: Api;
}

/** With --expose-gc (bench/run.ts passes it) the server's heap is read after a full collection. */
const collect = () => (globalThis as { gc?: () => void }).gc?.();

function serverMemory() {
  collect();
  const usage = process.memoryUsage();
  return { rssKb: usage.rss / 1024, heapKb: usage.heapUsed / 1024 };
}

async function waitFor(what: string, done: () => boolean, timeoutMs: number): Promise<number> {
  const started = performance.now();
  while (!done()) {
    if (performance.now() - started > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(20);
  }
  return performance.now() - started;
}

/** During one turn: when the first of `before`'s pids exited and when a new pid appeared (ms from now, NaN if not). */
function watchPids(livePids: () => number[], before: ReadonlySet<number>) {
  const started = performance.now();
  let goneMs = NaN;
  let spawnedMs = NaN;
  const look = () => {
    const now = livePids();
    if (Number.isNaN(goneMs) && [...before].some((pid) => !now.includes(pid))) goneMs = performance.now() - started;
    if (Number.isNaN(spawnedMs) && now.some((pid) => !before.has(pid))) spawnedMs = performance.now() - started;
  };
  const timer = setInterval(look, 5);
  return {
    stop: () => {
      clearInterval(timer);
      look();
      return { goneMs, spawnedMs };
    },
  };
}

// --- 1. time to first event of a new session, with and without pre-warming ---

interface FirstMessage {
  createMs: number;
  firstDeltaMs: number;
  resultMs: number;
  /** Agent processes live in that agentd when the first message was sent. */
  liveAtSend: number;
}

interface Side {
  label: string;
  instance: Instance;
  samples: FirstMessage[];
}

async function firstMessage(side: Side, prompt: string, resources: Resources): Promise<FirstMessage> {
  const { agentd, api } = side.instance;
  const started = performance.now();
  const id = await api.createSession();
  const created = performance.now();
  // A client opens the session's stream as it shows the new session, then the user types.
  const stream = await StreamClient.open(agentd.url, id, api.accessToken);
  resources.streams.add(stream);
  try {
    await sleep(THINK_MS - (performance.now() - created));
    const liveAtSend = agentd.container.runtime.livePids().length;
    const turn = await stream.turn(prompt);
    expectEcho(turn.content, prompt);
    return { createMs: created - started, firstDeltaMs: turn.firstDeltaMs, resultMs: turn.ms, liveAtSend };
  } finally {
    resources.streams.delete(stream);
    await stream.close();
    await api.call('DELETE', `/api/v1/sessions/${id}`);
  }
}

async function prewarmPart(start: (env: Record<string, string>) => Promise<Instance>, stop: (i: Instance) => Promise<void>, resources: Resources) {
  const sides: Side[] = [
    { label: 'without pre-warming (AGENTD_PREWARM_AGENTS=0)', instance: await start({ AGENTD_PREWARM_AGENTS: '0' }), samples: [] },
    { label: `with pre-warming (AGENTD_PREWARM_AGENTS=${PREWARM})`, instance: await start({ AGENTD_PREWARM_AGENTS: String(PREWARM) }), samples: [] },
  ];
  // One session per side first, not counted: the first agent of a user also creates their dirs.
  for (const side of sides) await firstMessage(side, 'warm up', resources);
  for (let i = 0; i < N_FIRST; i++) {
    for (const side of rotate(sides, i)) side.samples.push(await firstMessage(side, `ping ${i}`, resources));
  }
  for (const side of sides) await stop(side.instance);
  progress(`first messages done: ${N_FIRST} per side`);

  const [base, warm] = sides as [Side, Side];
  const median = (side: Side, pick: (s: FirstMessage) => number) => summarize(side.samples.map(pick)).median;
  const p90 = (side: Side, pick: (s: FirstMessage) => number) => summarize(side.samples.map(pick)).p90;
  const rows = sides.map((side) => [
    side.label,
    String(side.samples.length),
    ms(median(side, (s) => s.createMs)),
    ms(median(side, (s) => s.firstDeltaMs)),
    ms(p90(side, (s) => s.firstDeltaMs)),
    side === base ? '1.00x (base)' : ratio(median(side, (s) => s.firstDeltaMs), median(base, (s) => s.firstDeltaMs)),
    ms(median(side, (s) => s.resultMs)),
    ms(p90(side, (s) => s.resultMs)),
    side === base ? '1.00x (base)' : ratio(median(side, (s) => s.resultMs), median(base, (s) => s.resultMs)),
    side.samples.map((s) => s.liveAtSend).join(' '),
  ]);
  const saved = median(base, (s) => s.resultMs) - median(warm, (s) => s.resultMs);
  return [
    `1. First message of a NEW session: POST /sessions, open its WebSocket, ${ms(THINK_MS / 1000, 1)} s "think time", then {"type":"query","message":"ping N"};`,
    `   times from sending the frame. Two agentd instances, alternating, ${N_FIRST} sessions each (+1 warm-up each, not counted); ratio = median / median without pre-warming`,
    table(
      ['side', 'n', 'create ms', 'first text_delta ms', 'p90', 'vs base', 'result ms', 'p90', 'vs base', 'agents live at send'],
      rows,
    ),
    `(pre-warming saves ${ms(saved, 0)} ms of the first turn's median; "agents live at send" is per sample: the pre-warmed agent of the session, if any)`,
  ].join('\n');
}

// --- 2. many sessions under a cap: who gets served, at what memory and latency ---

type TurnKind = 'hit' | 'resume' | 'new';
type MemoryFields = Pick<MemoryTotals, 'rssKb' | 'pssKb' | 'privateKb' | 'privateDirtyKb'>;

async function poolPart(start: (env: Record<string, string>) => Promise<Instance>, stop: (i: Instance) => Promise<void>) {
  const { agentd, api } = await start({
    AGENTD_MAX_LIVE_AGENTS: String(POOL_CAP),
    AGENTD_AGENT_QUEUE_SIZE: String(POOL_SESSIONS * 2),
    AGENTD_AGENT_QUEUE_WAIT_SECONDS: '120',
    AGENTD_PREWARM_AGENTS: '0',
  });
  const livePids = () => agentd.container.runtime.livePids();
  const ids: string[] = [];
  for (let i = 0; i < POOL_SESSIONS; i++) ids.push(await api.createSession());
  const sampler = new MemorySampler(livePids);
  const turns: { kind: TurnKind; ms: number; goneMs: number; spawnedMs: number }[] = [];
  const failures: string[] = [];
  const served = new Set<string>();
  const began = performance.now();
  // Round robin; each visit is a message and its follow-up: with more sessions than slots the
  // first finds its agent evicted (LRU), the follow-up finds it live.
  for (let round = 0; round < POOL_ROUNDS; round++) {
    for (const [s, id] of ids.entries()) {
      for (const m of [0, 1]) {
        const prompt = `s${s} r${round} m${m}`;
        const watch = watchPids(livePids, new Set(livePids()));
        try {
          const turn = await api.query(id, prompt);
          expectEcho(turn.content, prompt);
          // A pid that was not there before: this turn started an agent process.
          const { goneMs, spawnedMs } = watch.stop();
          turns.push({ kind: Number.isNaN(spawnedMs) ? 'hit' : round === 0 && m === 0 ? 'new' : 'resume', ms: turn.ms, goneMs, spawnedMs });
          served.add(id);
        } catch (error) {
          watch.stop();
          failures.push(`${prompt}: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
    }
    progress(`pool round ${round + 1}/${POOL_ROUNDS} done`);
  }
  const sequentialS = (performance.now() - began) / 1000;
  const sequentialMaxLive = sampler.maxLive;
  const sequentialMaxChildren = sampler.maxChildren;

  // Then every session at once: the cap holds them to POOL_CAP processes, the rest wait in the queue.
  const burst = new MemorySampler(livePids, 250);
  const burstStarted = performance.now();
  const burstTurns = await Promise.allSettled(
    ids.map(async (id, s) => {
      const prompt = `s${s} burst`;
      const turn = await api.query(id, prompt);
      expectEcho(turn.content, prompt);
      return turn.ms;
    }),
  );
  const burstS = (performance.now() - burstStarted) / 1000;
  await burst.stop();
  await sampler.stop();
  const burstMs = burstTurns.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const refused = burstTurns.filter((r) => r.status === 'rejected' && r.reason instanceof ApiError && r.reason.message.includes(' 503 ')).length;
  for (const r of burstTurns) if (r.status === 'rejected') failures.push(`burst: ${r.reason instanceof Error ? r.reason.message : String(r.reason)}`);
  await stop({ agentd, api });
  progress(`pool done: ${turns.length} sequential turns, burst of ${ids.length} in ${ms(burstS, 1)} s`);

  const of = (kind: TurnKind) => turns.filter((t) => t.kind === kind).map((t) => t.ms);
  const HIT = 'hit: its agent was live';
  const lines: string[] = [];
  const out = (line = '') => lines.push(line);
  out(`2. Many sessions under a cap: ${POOL_SESSIONS} sessions, AGENTD_MAX_LIVE_AGENTS=${POOL_CAP}, ${POOL_ROUNDS} rounds round robin over HTTP POST /query;`);
  out(`   each visit is a message and its follow-up (with ${POOL_SESSIONS} sessions on ${POOL_CAP} slots, LRU has evicted the agent by the next visit);`);
  out(`   a turn is classed by whether an agent pid appeared during it; ratio = median / median of "${HIT}"`);
  out(
    latencyTable(
      [
        { name: HIT, samples: of('hit') },
        { name: 'resume: evicted agent restarted from transcript', samples: of('resume') },
        { name: 'new: first message (cold start)', samples: of('new') },
        { name: `burst: all ${POOL_SESSIONS} sessions at once (queued)`, samples: burstMs },
      ],
      HIT,
    ),
  );
  out();
  const startedTurns = (kind: TurnKind) => turns.filter((t) => t.kind === kind);
  const breakdown = (kind: TurnKind, label: string) => {
    const list = startedTurns(kind);
    const evicting = list.filter((t) => !Number.isNaN(t.goneMs));
    const med = (pick: (t: (typeof list)[number]) => number, from = list) => ms(summarize(from.map(pick)).median, 0);
    return [label, String(list.length), String(evicting.length), med((t) => t.goneMs, evicting), med((t) => t.spawnedMs), med((t) => t.ms - t.spawnedMs), med((t) => t.ms)];
  };
  out(`Where a turn that starts an agent spends its time (medians, ms from the request; pids polled every 5 ms)`);
  out(
    table(
      ['turn', 'n', 'evicted one', 'LRU victim exited', 'new agent spawned', 'spawn to answer', 'whole turn'],
      [breakdown('resume', 'resume'), breakdown('new', 'new')],
    ),
  );
  out();
  out(
    table(
      ['', `sequential (${POOL_ROUNDS} rounds)`, `burst (all ${POOL_SESSIONS} at once)`],
      [
        [`sessions served (of ${POOL_SESSIONS})`, String(served.size), String(burstMs.length)],
        ['turns answered / failed', `${turns.length} / ${failures.filter((f) => !f.startsWith('burst')).length}`, `${burstMs.length} / ${burstTurns.length - burstMs.length}`],
        ['refused with 503 (AGENT_CAPACITY)', String(failures.filter((f) => !f.startsWith('burst') && f.includes(' 503 ')).length), String(refused)],
        ['wall time s', ms(sequentialS, 1), ms(burstS, 1)],
        [`max live agents (livePids every 25 ms; cap ${POOL_CAP})`, String(sequentialMaxLive), String(burst.maxLive)],
        ['max agent processes in /proc (children)', String(sequentialMaxChildren), String(burst.maxChildren)],
      ],
    ),
  );
  out();

  // Memory: every process's highest reading; the budget arithmetic uses the median process.
  const peaks = [...sampler.peakByPid.values()];
  const perProcess = (pick: (m: MemoryFields) => number) => summarize(peaks.map(pick));
  const peak = sampler.peak();
  const medianOf = (pick: (m: MemoryFields) => number) => perProcess(pick).median;
  const memoryRow = (label: string, m: MemoryFields | undefined, extra: string) => [
    label,
    m ? mib(m.rssKb) : '-',
    m ? mib(m.pssKb) : '-',
    m ? mib(m.privateKb) : '-',
    m ? mib(m.privateDirtyKb) : '-',
    extra,
  ];
  const medianProcess = { rssKb: medianOf((m) => m.rssKb), pssKb: medianOf((m) => m.pssKb), privateKb: medianOf((m) => m.privateKb), privateDirtyKb: medianOf((m) => m.privateDirtyKb) };
  const maxProcess = { rssKb: perProcess((m) => m.rssKb).max, pssKb: perProcess((m) => m.pssKb).max, privateKb: perProcess((m) => m.privateKb).max, privateDirtyKb: perProcess((m) => m.privateDirtyKb).max };
  out(`Agent memory, sampled every 0.5 s during the sequential rounds and the burst (${sampler.samples.length} samples, ${peaks.length} agent processes seen)`);
  out(
    table(
      ['agent memory MiB', 'RSS', 'PSS', 'private', 'private dirty (anon)', 'note'],
      [
        memoryRow('peak total of the live agents', peak, peak ? `${peak.processes} live at ${ms(peak.atMs / 1000, 1)} s` : ''),
        memoryRow('one agent: median of per-process peaks', medianProcess, ''),
        memoryRow('one agent: largest per-process peak', maxProcess, ''),
      ],
    ),
  );
  out();
  const budgetKb = BUDGET_GIB * 1024 * 1024;
  const fit = (perAgentKb: number, onceKb = 0) => (perAgentKb > 0 ? String(Math.max(0, Math.floor((budgetKb - onceKb) / perAgentKb))) : '-');
  const sharedOnce = medianProcess.rssKb - medianProcess.privateDirtyKb;
  const defaultCap = loadConfig({}).AGENTD_MAX_LIVE_AGENTS;
  out(`Live agents that fit in ${BUDGET_GIB} GiB on this machine, from the median agent above`);
  out(
    table(
      ['counting each agent as', 'MiB each', `agents in ${BUDGET_GIB} GiB`],
      [
        ['RSS (shared pages counted in every agent)', mib(medianProcess.rssKb), fit(medianProcess.rssKb)],
        ['PSS (shared pages split among the agents)', mib(medianProcess.pssKb), fit(medianProcess.pssKb)],
        ['private (clean + dirty)', mib(medianProcess.privateKb), fit(medianProcess.privateKb)],
        [`private dirty, the rest (${mib(sharedOnce, 0)} MiB: the binary) once`, mib(medianProcess.privateDirtyKb), fit(medianProcess.privateDirtyKb, sharedOnce)],
      ],
    ),
  );
  out(`(agentd's default AGENTD_MAX_LIVE_AGENTS here: ${defaultCap} = half of ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB at 250 MB per agent, at most 32)`);
  if (failures.length) out(`failures: ${failures.slice(0, 5).join('; ')}${failures.length > 5 ? ` (+${failures.length - 5} more)` : ''}`);
  return lines.join('\n');
}

// --- 3. what an idle session costs once its agent is evicted ---

async function idlePart(start: (env: Record<string, string>) => Promise<Instance>, stop: (i: Instance) => Promise<void>, model: ModelServer) {
  const { agentd, api } = await start({ AGENTD_AGENT_IDLE_SECONDS: String(IDLE_SECONDS), AGENTD_PREWARM_AGENTS: '0' });
  const livePids = () => agentd.container.runtime.livePids();
  const ids: string[] = [];
  for (let i = 0; i < IDLE_SESSIONS; i++) ids.push(await api.createSession());
  model.requests.length = 0;
  const sampler = new MemorySampler(livePids, 100);
  const empty = await sampler.sampleNow();
  const serverEmpty = serverMemory();

  // All at once, so that every agent is live when the last turn ends (one by one, the first
  // ones would be evicted before the last one finished).
  await Promise.all(
    ids.map(async (id, s) => {
      const turn = await api.query(id, `idle ${s}`);
      expectEcho(turn.content, `idle ${s}`);
    }),
  );
  const lastTurnEnded = performance.now();
  const atEnd = await sampler.sampleNow();
  const serverLive = serverMemory();
  // Under load the turns end seconds apart, and the first agents may be idle long enough to go
  // before the last turn ends: then the base is the last sample (every 0.1 s) with the most agents.
  const most = Math.max(...sampler.samples.map((m) => m.processes));
  const live = atEnd.processes === most ? atEnd : sampler.samples.filter((m) => m.processes === most).at(-1)!;
  const liveLabel =
    live === atEnd ? 'right after one turn each (base)' : `all ${most} live, ${ms((atEnd.atMs - live.atMs) / 1000, 1)} s before the last turn ended (base)`;
  await waitFor('idle eviction', () => livePids().length === 0, 60_000);
  const evictedMs = performance.now() - lastTurnEnded;
  const gone = await sampler.sampleNow();
  const children = (await agentChildren()).length;
  await sampler.stop();
  const serverGone = serverMemory();
  progress(`idle eviction: ${live.processes} agents gone ${ms(evictedMs / 1000, 1)} s after the last turn`);

  // The next message to an evicted session resumes its conversation from the stored transcript.
  model.requests.length = 0;
  const resumed = await api.query(ids[0]!, 'after idle');
  expectEcho(resumed.content, 'after idle');
  const replayed = model.requests.filter((r) => r.sessionId === ids[0]).some((r) => JSON.stringify(r.body.messages).includes('idle 0'));
  const liveAfterResume = livePids().length;
  model.requests.length = 0;
  await stop({ agentd, api });

  const sweepS = Math.max(1, Math.min(IDLE_SECONDS / 4, 30));
  const row = (label: string, m: MemorySample, server: { rssKb: number; heapKb: number }) => [
    label,
    String(m.processes),
    mib(m.rssKb),
    mib(m.pssKb),
    mib(m.privateKb),
    mib(m.pssKb / IDLE_SESSIONS),
    mib(server.rssKb),
    mib(server.heapKb),
    m === live ? '1.00x (base)' : ratio(m.pssKb, live.pssKb).replace('-', '0.00x'),
  ];
  return [
    `3. Memory per idle session: ${IDLE_SESSIONS} sessions, one turn each (all at once), AGENTD_AGENT_IDLE_SECONDS=${IDLE_SECONDS} (sweep every ${ms(sweepS, 0)} s);`,
    `   "server" is this whole Node process (agentd + the scripted model server + the bench client)${(globalThis as { gc?: unknown }).gc ? ', heap read after a full GC' : ''}; ratio = agent PSS / agent PSS right after the turns`,
    table(
      ['state', 'live agents', 'agent RSS MiB', 'PSS MiB', 'private MiB', 'PSS per session MiB', 'server RSS MiB', 'server heap MiB', 'agent PSS vs base'],
      [
        row('sessions created, no message yet', empty, serverEmpty),
        row(liveLabel, live, serverLive),
        row(`after idle eviction (${ms(evictedMs / 1000, 1)} s after the last turn)`, gone, serverGone),
      ],
    ),
    `(when the last turn ended ${atEnd.processes} of ${IDLE_SESSIONS} agents were live; after eviction: ${children} agent processes of this server left in /proc; the next message to an evicted session took ${ms(resumed.ms, 0)} ms,` +
      ` ${replayed ? 'its earlier turn was replayed to the model' : 'its earlier turn was NOT in the model request'}, live agents then: ${liveAfterResume})`,
  ].join('\n');
}

async function main(resources: Resources) {
  const began = performance.now();
  progress(`pool bench; load average at start: ${loadAverage()}`);
  const model = await startModelServer();
  resources.model = model;
  let t = performance.now();
  const seed = await migratedDatabase();
  const seedMs = performance.now() - t;
  const startMs: number[] = [];
  const start = async (env: Record<string, string>): Promise<Instance> => {
    const started = performance.now();
    const agentd = await startAgentd(model.url, { env, seed });
    resources.agentds.add(agentd);
    const api = new Api(agentd.url);
    await api.signUp();
    startMs.push(performance.now() - started);
    return { agentd, api };
  };
  const stop = async ({ agentd }: Instance) => {
    resources.agentds.delete(agentd);
    await agentd.close();
  };

  // The idle part runs first, so that the server's own memory is read before the other parts grow it.
  t = performance.now();
  const idle = await idlePart(start, stop, model);
  progress(`idle part: ${ms((performance.now() - t) / 1000, 1)} s`);
  t = performance.now();
  const first = await prewarmPart(start, stop, resources);
  progress(`first-message part: ${ms((performance.now() - t) / 1000, 1)} s`);
  t = performance.now();
  const pool = await poolPart(start, stop);
  progress(`pool part: ${ms((performance.now() - t) / 1000, 1)} s`);

  // Every agentd is closed now: none of their agent processes may be left.
  const leftover = (await agentChildren()).length;

  const lines = [
    `agentd pool benchmark, ${new Date().toISOString()}`,
    `machine: ${await machine()}`,
    `model: the bundled scripted model server on 127.0.0.1; each agentd in this process, embedded PGlite in a temp data dir`,
    `set-up (not measured): migrated database ${ms(seedMs, 0)} ms, each agentd start from it: median ${ms(summarize(startMs).median, 0)} ms`,
    '',
    first,
    '',
    pool,
    '',
    idle,
    '',
    `agent processes of this process left after every agentd was closed: ${leftover}`,
    `total pool bench time ${ms((performance.now() - began) / 1000, 1)} s`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

const resources: Resources = { agentds: new Set(), streams: new Set() };
try {
  await main(resources);
} catch (error) {
  progress(`failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exitCode = 1;
} finally {
  for (const stream of resources.streams) await closeStep('stream', () => stream.close());
  for (const agentd of resources.agentds) await closeStep('agentd', () => agentd.close());
  if (resources.model) await closeStep('model server', () => resources.model!.close());
  setTimeout(() => process.exit(), 2000).unref();
}
