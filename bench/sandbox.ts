/**
 * npm run bench:sandbox: what confining agents with bubblewrap (AGENTD_AGENT_SANDBOX=bwrap) costs
 * a user. Two agentd instances in this process, one confined and one not, against one scripted
 * model server; the unconfined one is the baseline measured in the same run. A cold turn
 * includes the agent's start (bwrap, its namespaces, the model socket); a warm turn goes to the
 * model through the socket proxy.
 *
 *   BENCH_WARM=20  warm turns per side      BENCH_COLD=5  cold first turns per side
 */
import { spawnSync } from 'node:child_process';
import { startModelServer } from '../src/model-server/server.ts';
import { Api, migratedDatabase, startAgentd, type Agentd } from './agentd.ts';
import { count, expectEcho, machine, progress } from './common.ts';
import { latencyTable } from './stats.ts';

const N_WARM = count('BENCH_WARM', 20);
const N_COLD = count('BENCH_COLD', 5);
const OPEN = 'unconfined (baseline)';
const CONFINED = 'bwrap';

async function main() {
  if (spawnSync('bwrap', ['--version']).status !== 0) throw new Error('bwrap is not installed (Debian: apt-get install bubblewrap)');
  const model = await startModelServer();
  const seed = await migratedDatabase();
  const servers: Record<string, Agentd> = {
    [OPEN]: await startAgentd(model.url, { seed, env: { AGENTD_AGENT_SANDBOX: 'off' } }),
    [CONFINED]: await startAgentd(model.url, { seed, env: { AGENTD_AGENT_SANDBOX: 'bwrap' } }),
  };
  try {
    const cold: Record<string, number[]> = { [OPEN]: [], [CONFINED]: [] };
    const warm: Record<string, number[]> = { [OPEN]: [], [CONFINED]: [] };
    const apis: Record<string, Api> = {};
    for (const [name, server] of Object.entries(servers)) {
      apis[name] = new Api(server.url);
      await apis[name].signUp();
    }
    // Alternate the sides, so that whatever else the machine does falls on both alike.
    for (let i = 0; i < N_COLD; i++) {
      for (const name of i % 2 === 0 ? [OPEN, CONFINED] : [CONFINED, OPEN]) {
        const api = apis[name]!;
        const session = await api.createSession();
        const turn = await api.query(session, `cold ${i}`);
        expectEcho(turn.content, `cold ${i}`);
        cold[name]!.push(turn.ms);
        await api.call('DELETE', `/api/v1/sessions/${session}`);
      }
      progress(`cold ${i + 1}/${N_COLD}`);
    }
    const sessions: Record<string, string> = { [OPEN]: await apis[OPEN]!.createSession(), [CONFINED]: await apis[CONFINED]!.createSession() };
    for (const name of [OPEN, CONFINED]) await apis[name]!.query(sessions[name]!, 'warm up');
    for (let i = 0; i < N_WARM; i++) {
      for (const name of i % 2 === 0 ? [OPEN, CONFINED] : [CONFINED, OPEN]) {
        const turn = await apis[name]!.query(sessions[name]!, `warm ${i}`);
        expectEcho(turn.content, `warm ${i}`);
        warm[name]!.push(turn.ms);
      }
    }
    console.log(`# Confined agents (AGENTD_AGENT_SANDBOX=bwrap) against unconfined ones, same run\n\n${await machine()}\n`);
    console.log('## Cold first turn (session created, agent started, one reply) over HTTP\n');
    console.log(latencyTable([{ name: OPEN, samples: cold[OPEN]! }, { name: CONFINED, samples: cold[CONFINED]! }], OPEN));
    console.log('\n## Warm turn (live agent, model through the unix socket when confined) over HTTP\n');
    console.log(latencyTable([{ name: OPEN, samples: warm[OPEN]! }, { name: CONFINED, samples: warm[CONFINED]! }], OPEN));
  } finally {
    for (const server of Object.values(servers)) await server.close();
    await model.close();
  }
}

await main();
