// `npm run model-server`: the scripted model server as a standalone process,
// for pointing a local agentd (ANTHROPIC_BASE_URL) at offline, scripted replies.
import { startModelServer } from './server.ts';

const port = Number.parseInt(process.env.MODEL_SERVER_PORT ?? '', 10);
const server = await startModelServer({ port: Number.isNaN(port) ? 8787 : port });
console.log(`model-server: listening on ${server.url} — replies are scripted from the prompt (no real model)`);

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await server.close();
  process.exit(0);
}
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
