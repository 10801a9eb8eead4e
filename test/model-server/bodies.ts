// Request bodies shaped like the agent binary's: user turns open with
// <system-reminder> blocks, the first of which names the working directory.
export const CWD = '/work/dir';

export function environmentReminder(cwd = CWD): { type: 'text'; text: string } {
  return {
    type: 'text',
    text: `<system-reminder>\n# Environment\n - Primary working directory: ${cwd}\n - Platform: linux\n</system-reminder>`,
  };
}

export function userPrompt(text: string, cwd = CWD): { role: 'user'; content: unknown[] } {
  return { role: 'user', content: [environmentReminder(cwd), { type: 'text', text }] };
}

export function toolUse(name = 'Write', input: unknown = {}): { role: 'assistant'; content: unknown[] } {
  return { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name, input }] };
}

export function toolResult(content: unknown, isError = false): { role: 'user'; content: unknown[] } {
  return { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content, is_error: isError }] };
}

export function requestBody(messages: unknown[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    model: 'claude-sonnet-4-5',
    max_tokens: 32000,
    system: [{ type: 'text', text: 'You are a Claude agent.' }],
    messages,
    stream: true,
    ...extra,
  };
}
