import { expect } from 'vitest';
import type { Client } from '../support/server.ts';

export interface ToolOutcome {
  name: string;
  status: string;
  text: string;
  durationMs: number;
}

const textOf = (output: unknown): string => {
  if (typeof output === 'string') return output;
  if (Array.isArray(output)) return output.map((part: { text?: string }) => part.text ?? JSON.stringify(part)).join('\n');
  return JSON.stringify(output);
};

/**
 * Makes the session's agent call the tools in order, in one turn (one `!tool` line each, so the
 * scripted model asks for them one after another), and reads each call's full output as stored.
 */
export async function callTools(user: Client, sessionId: string, calls: [name: string, input: Record<string, unknown>][]): Promise<ToolOutcome[]> {
  const message = calls.map(([name, input]) => `!tool ${name} ${JSON.stringify(input)}`).join('\n');
  const turn = await user.post(`/api/v1/sessions/${sessionId}/query`, { message });
  expect(turn.status, JSON.stringify(turn.body)).toBe(200);
  expect(turn.body.tool_calls).toHaveLength(calls.length);
  const stored = (await user.get(`/api/v1/sessions/${sessionId}/tool-calls?limit=100`)).body.items as { tool_use_id: string; output: unknown; duration_ms: number | null }[];
  return (turn.body.tool_calls as { tool_use_id: string; tool_name: string; status: string }[]).map((call) => {
    const row = stored.find((s) => s.tool_use_id === call.tool_use_id);
    return { name: call.tool_name, status: call.status, text: textOf(row?.output), durationMs: row?.duration_ms ?? -1 };
  });
}

/** Everything a user can read about a session through the API, as one string (to look for secrets in). */
export async function everythingShown(user: Client, sessionId: string): Promise<string> {
  const paths = ['', '/messages?limit=100', '/tool-calls?limit=100', '/permissions?limit=100'];
  const bodies = await Promise.all(paths.map((p) => user.get(`/api/v1/sessions/${sessionId}${p}`)));
  return bodies.map((r) => JSON.stringify(r.body) + JSON.stringify([...r.headers.entries()])).join('\n');
}
