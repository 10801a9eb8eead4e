import type { Message, MessageType, Session, TaskExecution, ToolCall } from '../domain/entities.ts';
import type { ReportOptions } from '../domain/report.ts';
import type { Repositories } from '../ports/repositories.ts';
import { summarise, textOfBlocks } from './summary.ts';

/**
 * What every format of a report shows, built once from the store. Keys are snake_case: the JSON
 * format writes this object as it is, and the other formats render the same fields.
 */
export interface ReportDocument {
  title: string;
  generated_at: string;
  session: ReportSession | null;
  execution: ReportExecution | null;
  /** Absent when the report leaves the part out. */
  messages?: ReportMessage[];
  tool_calls?: ReportToolCall[];
  metrics?: ReportMetrics;
  /** Rows past the size limit, left out of a very long session. */
  omitted: { messages: number; tool_calls: number };
}

export interface ReportSession {
  id: string;
  name: string | null;
  status: string;
  mode: string;
  model: string | null;
  created_at: string;
  started_at: string | null;
  completed_at: string | null;
  error_message: string | null;
}

export interface ReportExecution {
  id: string;
  task_id: string;
  task_name: string | null;
  trigger: string;
  status: string;
  variables: Record<string, unknown>;
  cost_usd: number;
  duration_ms: number | null;
  error_message: string | null;
  created_at: string;
  started_at: string | null;
  completed_at: string | null;
}

export interface ReportMessage {
  sequence: number;
  type: MessageType;
  created_at: string;
  model: string | null;
  /** Set on a subagent's messages: the tool use that started it. */
  parent_tool_use_id: string | null;
  /** The readable text: what was said, or a one-line account of a result or an error. */
  text: string;
  tool_uses: { tool_use_id: string; name: string; input_summary: string }[];
  tool_result: { tool_use_id: string; tool_name: string | null; is_error: boolean; summary: string } | null;
  /** The message as stored, for machine readers. */
  content: Record<string, unknown>;
}

export interface ReportToolCall {
  tool_use_id: string;
  name: string;
  status: string;
  input_summary: string;
  output_summary: string;
  duration_ms: number | null;
  error: string | null;
  started_at: string;
  completed_at: string | null;
  input: Record<string, unknown>;
  output: unknown;
}

export interface ReportMetrics {
  messages: number;
  tool_calls: number;
  /** Turns the agent finished (result messages). */
  turns: number;
  input_tokens: number;
  output_tokens: number;
  cache_creation_tokens: number;
  cache_read_tokens: number;
  cost_usd: number;
  /** The agent's working time, summed over its turns (for an execution without a session: the run's). */
  duration_ms: number | null;
}

/** What a report is about, already checked for access. */
export interface ReportSubject {
  session: Session | null;
  execution: TaskExecution | null;
  taskName: string | null;
}

/** Past this many messages or tool calls a report stops listing them and says how many it left out. */
export const reportRowLimit = 5000;
const pageSize = 500;
const iso = (date: Date | null) => (date ? date.toISOString() : null);
const textOr = (value: unknown, fallback: string) => (typeof value === 'string' ? value : fallback);

export async function buildReportDocument(
  repos: Pick<Repositories, 'messages' | 'toolCalls'>,
  subject: ReportSubject,
  options: ReportOptions,
  now: Date,
): Promise<ReportDocument> {
  const { session, execution } = subject;
  const needMessages = options.include_messages || options.include_metrics;
  const messages = session && needMessages ? await readAll((page) => repos.messages.list(session.id, page)) : { items: [], total: 0 };
  const toolCalls = session && options.include_tool_calls ? await readAll((page) => repos.toolCalls.list(session.id, page)) : { items: [], total: 0 };
  const document: ReportDocument = {
    title: options.title,
    generated_at: now.toISOString(),
    session: session && sessionFacts(session, messages.items),
    execution: execution && executionFacts(execution, subject.taskName),
    omitted: { messages: 0, tool_calls: 0 },
  };
  if (options.include_messages) {
    document.messages = conversation(messages.items);
    document.omitted.messages = messages.total - messages.items.length;
  }
  if (options.include_tool_calls) {
    document.tool_calls = toolCalls.items.map(toolCallRow);
    document.omitted.tool_calls = toolCalls.total - toolCalls.items.length;
  }
  if (options.include_metrics) document.metrics = metrics(session, execution, messages.items);
  return document;
}

async function readAll<T>(read: (page: { skip: number; limit: number }) => Promise<{ items: T[]; total: number }>): Promise<{ items: T[]; total: number }> {
  const items: T[] = [];
  let total = 0;
  while (items.length < reportRowLimit) {
    const page = await read({ skip: items.length, limit: Math.min(pageSize, reportRowLimit - items.length) });
    items.push(...page.items);
    total = page.total;
    if (page.items.length === 0 || items.length >= page.total) break;
  }
  return { items, total: Math.max(total, items.length) };
}

function sessionFacts(session: Session, messages: Message[]): ReportSession {
  return {
    id: session.id,
    name: session.name,
    status: session.status,
    mode: session.mode,
    // The options name a model only when the user chose one; otherwise the agent's replies do.
    model: session.sdkOptions.model ?? messages.find((m) => m.model)?.model ?? null,
    created_at: session.createdAt.toISOString(),
    started_at: iso(session.startedAt),
    completed_at: iso(session.completedAt),
    error_message: session.errorMessage,
  };
}

function executionFacts(execution: TaskExecution, taskName: string | null): ReportExecution {
  return {
    id: execution.id,
    task_id: execution.taskId,
    task_name: taskName,
    trigger: execution.trigger,
    status: execution.status,
    variables: execution.variables,
    cost_usd: execution.costUsd,
    duration_ms: execution.durationMs,
    error_message: execution.errorMessage,
    created_at: execution.createdAt.toISOString(),
    started_at: iso(execution.startedAt),
    completed_at: iso(execution.completedAt),
  };
}

function conversation(messages: Message[]): ReportMessage[] {
  const toolNames = new Map<string, string>();
  return messages.map((message) => {
    const content = message.content;
    const row: ReportMessage = {
      sequence: message.sequenceNumber,
      type: message.messageType,
      created_at: message.createdAt.toISOString(),
      model: message.model,
      parent_tool_use_id: message.parentToolUseId,
      text: '',
      tool_uses: [],
      tool_result: null,
      content,
    };
    switch (message.messageType) {
      case 'user':
        row.text = typeof content.text === 'string' ? content.text : summarise(content);
        break;
      case 'assistant': {
        const blocks = Array.isArray(content.content) ? (content.content as Record<string, unknown>[]) : [];
        row.text = blocks
          .map((b) => (b.type === 'text' ? textOr(b.text, '') : ''))
          .filter((text) => text !== '')
          .join('\n\n');
        for (const block of blocks.filter((b) => b.type === 'tool_use')) {
          const id = textOr(block.id, '');
          const name = textOr(block.name, 'unknown tool');
          toolNames.set(id, name);
          row.tool_uses.push({ tool_use_id: id, name, input_summary: summarise(block.input) });
        }
        break;
      }
      case 'tool_result': {
        const id = textOr(content.tool_use_id, '');
        row.tool_result = { tool_use_id: id, tool_name: toolNames.get(id) ?? null, is_error: content.is_error === true, summary: summarise(textOfBlocks(content.content)) };
        break;
      }
      case 'result':
        row.text = resultLine(content);
        break;
      case 'error':
        row.text = `${textOr(content.error_code, 'ERROR')}: ${textOr(content.detail, '')}`;
        break;
      case 'system':
        row.text = summarise(content);
        break;
    }
    return row;
  });
}

function resultLine(content: Record<string, unknown>): string {
  const parts = [`Turn ended: ${textOr(content.subtype, 'unknown')}`];
  if (typeof content.num_turns === 'number') parts.push(`${content.num_turns} model turn${content.num_turns === 1 ? '' : 's'}`);
  if (typeof content.duration_ms === 'number') parts.push(`${content.duration_ms} ms`);
  if (typeof content.cost_usd === 'number') parts.push(`$${content.cost_usd.toFixed(6)}`);
  return parts.join(', ');
}

function toolCallRow(call: ToolCall): ReportToolCall {
  return {
    tool_use_id: call.toolUseId,
    name: call.toolName,
    status: call.status,
    input_summary: summarise(call.input),
    output_summary: summarise(textOfBlocks(call.output)),
    duration_ms: call.durationMs,
    error: call.errorMessage,
    started_at: call.createdAt.toISOString(),
    completed_at: iso(call.completedAt),
    input: call.input,
    output: call.output,
  };
}

function metrics(session: Session | null, execution: TaskExecution | null, messages: Message[]): ReportMetrics {
  const results = messages.filter((m) => m.messageType === 'result');
  const agentTime = results.reduce((sum, m) => sum + (typeof m.content.duration_ms === 'number' ? m.content.duration_ms : 0), 0);
  return {
    messages: session?.totalMessages ?? 0,
    tool_calls: session?.totalToolCalls ?? 0,
    turns: results.length,
    input_tokens: session?.apiInputTokens ?? 0,
    output_tokens: session?.apiOutputTokens ?? 0,
    cache_creation_tokens: session?.apiCacheCreationTokens ?? 0,
    cache_read_tokens: session?.apiCacheReadTokens ?? 0,
    cost_usd: session?.totalCostUsd ?? execution?.costUsd ?? 0,
    duration_ms: results.length > 0 ? agentTime : (execution?.durationMs ?? null),
  };
}
