import type { Client } from './server.ts';

/** Polls a task execution until it is no longer pending or running, and returns it as the API shows it. */
export async function finishedExecution(user: Client, executionId: string, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const execution = (await user.get(`/api/v1/task-executions/${executionId}`)).body;
    if (!['pending', 'running'].includes(execution.status)) return execution;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`execution ${executionId} did not finish within ${timeoutMs} ms`);
}
