import { reportRowLimit, type ReportDocument, type ReportMessage, type ReportMetrics, type ReportToolCall } from './document.ts';
import { truncate } from './summary.ts';

/** The words the readable formats (Markdown, HTML, PDF) share, so all three say the same thing. */

export type Row = [label: string, value: string];

export const none = '\u2014';

export const formatTime = (iso: string | null) => (iso ? `${iso.replace('T', ' ').replace(/\.\d+Z$|Z$/, '')} UTC` : none);

export function formatDuration(ms: number | null): string {
  if (ms === null) return none;
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

export const formatUsd = (usd: number) => `$${usd.toFixed(usd !== 0 && usd < 0.01 ? 6 : 4)}`;

export function metadataRows(doc: ReportDocument): Row[] {
  const rows: Row[] = [];
  const { session, execution } = doc;
  if (execution) {
    rows.push(
      ['Task', execution.task_name ?? execution.task_id],
      ['Execution', execution.id],
      ['Trigger', execution.trigger],
      ['Execution status', execution.status],
      ['Variables', truncate(JSON.stringify(execution.variables), 2000)],
      ['Execution duration', formatDuration(execution.duration_ms)],
      ['Execution started', formatTime(execution.started_at)],
      ['Execution completed', formatTime(execution.completed_at)],
    );
    if (execution.error_message) rows.push(['Execution error', execution.error_message]);
  }
  if (session) {
    rows.push(
      ['Session', session.id],
      ['Session name', session.name ?? none],
      ['Status', session.status],
      ['Mode', session.mode],
      ['Model', session.model ?? 'server default'],
      ['Created', formatTime(session.created_at)],
      ['Started', formatTime(session.started_at)],
      ['Completed', formatTime(session.completed_at)],
    );
    if (session.error_message) rows.push(['Session error', session.error_message]);
  } else {
    rows.push(['Session', 'none (it was deleted, or the run never started one)']);
  }
  rows.push(['Generated', formatTime(doc.generated_at)]);
  return rows;
}

const roles: Record<ReportMessage['type'], string> = {
  user: 'User',
  assistant: 'Assistant',
  tool_result: 'Tool result',
  result: 'Turn result',
  error: 'Error',
  system: 'System',
};

export function messageHeading(message: ReportMessage): string {
  const parts = [`#${message.sequence} ${roles[message.type]}`, formatTime(message.created_at)];
  if (message.model) parts.push(message.model);
  if (message.parent_tool_use_id) parts.push(`subagent of ${message.parent_tool_use_id}`);
  return parts.join(' \u00b7 ');
}

/** The lines under a message's text: the tools it called, or what a tool returned. */
export function messageNotes(message: ReportMessage): string[] {
  const notes = message.tool_uses.map((use) => `Tool call ${use.name}: ${use.input_summary || none}`);
  const result = message.tool_result;
  if (result) notes.push(`${result.is_error ? 'Error from' : 'Result of'} ${result.tool_name ?? result.tool_use_id}: ${result.summary || none}`);
  return notes;
}

export const toolCallHeaders = ['Tool', 'Status', 'Input', 'Output', 'Duration', 'Error'];

export const toolCallCells = (call: ReportToolCall): string[] => [
  call.name,
  call.status,
  call.input_summary,
  call.output_summary,
  formatDuration(call.duration_ms),
  call.error ? truncate(call.error, 300) : '',
];

export function metricRows(metrics: ReportMetrics): Row[] {
  return [
    ['Messages', String(metrics.messages)],
    ['Tool calls', String(metrics.tool_calls)],
    ['Turns', String(metrics.turns)],
    ['Input tokens', String(metrics.input_tokens)],
    ['Output tokens', String(metrics.output_tokens)],
    ['Cache creation tokens', String(metrics.cache_creation_tokens)],
    ['Cache read tokens', String(metrics.cache_read_tokens)],
    ['Cost', formatUsd(metrics.cost_usd)],
    ['Agent time', formatDuration(metrics.duration_ms)],
  ];
}

export function omittedNote(count: number, what: string): string | undefined {
  return count > 0 ? `${count} more ${what} not listed: a report lists at most ${reportRowLimit}.` : undefined;
}
