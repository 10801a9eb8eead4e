import { randomUUID } from 'node:crypto';
import type { Message, MessageType, Session, TaskExecution, ToolCall } from '../../src/domain/entities.ts';
import type { ReportOptions } from '../../src/domain/report.ts';
import type { PageRequest, Repositories } from '../../src/ports/repositories.ts';

export const at = (second: number) => new Date(Date.UTC(2025, 0, 2, 3, 4, second));

export const allParts: ReportOptions = { include_messages: true, include_tool_calls: true, include_metrics: true, title: 'Weekly <check> | ops' };

export function aSession(overrides: Partial<Session> = {}): Session {
  return {
    id: randomUUID(),
    userId: randomUUID(),
    name: 'Ops review',
    mode: 'interactive',
    status: 'active',
    sdkOptions: {},
    workingDirectoryPath: '/tmp/x',
    parentSessionId: null,
    isFork: false,
    templateId: null,
    agentSessionId: null,
    runnerId: null,
    mcpServers: [],
    totalMessages: 6,
    totalToolCalls: 1,
    totalCostUsd: 0.0123,
    apiInputTokens: 1200,
    apiOutputTokens: 340,
    apiCacheCreationTokens: 50,
    apiCacheReadTokens: 900,
    lastSeq: 0,
    resultData: null,
    errorMessage: null,
    createdAt: at(0),
    updatedAt: at(9),
    startedAt: at(1),
    completedAt: null,
    ...overrides,
  };
}

export function anExecution(overrides: Partial<TaskExecution> = {}): TaskExecution {
  return {
    id: randomUUID(),
    taskId: randomUUID(),
    userId: randomUUID(),
    sessionId: null,
    trigger: 'manual',
    variables: { repo: 'agentd', n: 3 },
    status: 'failed',
    reportId: null,
    costUsd: 0.5,
    durationMs: 61_500,
    errorMessage: 'The agent stopped: error_max_turns',
    runnerId: null,
    scheduledFor: null,
    deliveries: [],
    createdAt: at(0),
    startedAt: at(1),
    completedAt: at(50),
    ...overrides,
  };
}

export function aMessage(sessionId: string, sequenceNumber: number, messageType: MessageType, content: Record<string, unknown>, model: string | null = null): Message {
  return { id: randomUUID(), sessionId, messageType, content, sequenceNumber, model, parentToolUseId: null, createdAt: at(sequenceNumber) };
}

/** One turn with a tool call, then one plain turn, as the turn recorder stores them. */
export function aConversation(sessionId: string): { messages: Message[]; toolCalls: ToolCall[] } {
  const messages = [
    aMessage(sessionId, 1, 'user', { text: 'Write the file' }),
    aMessage(sessionId, 2, 'assistant', { content: [{ type: 'text', text: 'Writing it now.' }, { type: 'tool_use', id: 'toolu_1', name: 'Write', input: { file_path: '/w/a.txt', content: 'left | right' } }] }, 'claude-test-1'),
    aMessage(sessionId, 3, 'tool_result', { tool_use_id: 'toolu_1', content: [{ type: 'text', text: 'File created\nat /w/a.txt' }], is_error: false }),
    aMessage(sessionId, 4, 'result', { subtype: 'success', is_error: false, result: 'Writing it now.', cost_usd: 0.01, duration_ms: 1500, num_turns: 2 }),
    aMessage(sessionId, 5, 'user', { text: 'Say <script>alert(1)</script> & "hi" | ok' }),
    aMessage(sessionId, 6, 'assistant', { content: [{ type: 'text', text: '# Heading from the agent\nSay <script>alert(1)</script> & "hi" | ok' }] }, 'claude-test-1'),
    aMessage(sessionId, 7, 'result', { subtype: 'success', is_error: false, result: 'x', cost_usd: 0.0023, duration_ms: 500, num_turns: 1 }),
    aMessage(sessionId, 8, 'error', { error_code: 'MODEL_ERROR', detail: 'overloaded' }),
  ];
  const toolCalls: ToolCall[] = [
    {
      id: randomUUID(),
      sessionId,
      toolName: 'Write',
      toolUseId: 'toolu_1',
      input: { file_path: '/w/a.txt', content: 'left | right' },
      output: [{ type: 'text', text: 'File created\nat /w/a.txt' }],
      status: 'success',
      permissionDecision: null,
      errorMessage: null,
      durationMs: 42,
      createdAt: at(2),
      completedAt: at(3),
    },
  ];
  return { messages, toolCalls };
}

/** The two repositories the document reads; each counts its calls. Nothing else exists on it. */
export function fakeRepos(data: { messages: Message[]; toolCalls: ToolCall[] }) {
  const calls = { messages: 0, toolCalls: 0 };
  const page = <T>(items: T[], request: PageRequest) => ({ items: items.slice(request.skip, request.skip + request.limit), total: items.length, skip: request.skip, limit: request.limit });
  const repos = {
    messages: {
      list: async (_sessionId: string, request: PageRequest) => {
        calls.messages += 1;
        return page(data.messages, request);
      },
    },
    toolCalls: {
      list: async (_sessionId: string, request: PageRequest) => {
        calls.toolCalls += 1;
        return page(data.toolCalls, request);
      },
    },
  } as unknown as Pick<Repositories, 'messages' | 'toolCalls'>;
  return { repos, calls };
}
