// Anthropic Messages API wire shapes: a complete Message (for stream: false),
// the SSE event sequence for the same Message, and error bodies.
import { randomBytes } from 'node:crypto';

export type ContentBlock =
  | { type: 'text'; text: string }
  | { type: 'tool_use'; id: string; name: string; input: unknown };

export interface Usage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
}

export interface Message {
  id: string;
  type: 'message';
  role: 'assistant';
  model: string;
  content: ContentBlock[];
  stop_reason: 'end_turn' | 'tool_use';
  stop_sequence: null;
  usage: Usage;
}

export interface SseEvent {
  event: string;
  data: unknown;
}

export function randomId(prefix: string): string {
  return `${prefix}${randomBytes(12).toString('hex')}`;
}

// Roughly four characters a token, never zero, so clients compute a real cost.
export function tokensFor(chars: number): number {
  return Math.max(1, Math.ceil(chars / 4));
}

export function buildMessage(model: string, block: ContentBlock, inputTokens: number): Message {
  const replyChars = block.type === 'text' ? block.text.length : block.name.length + JSON.stringify(block.input).length;
  return {
    id: randomId('msg_'),
    type: 'message',
    role: 'assistant',
    model,
    content: [block],
    stop_reason: block.type === 'tool_use' ? 'tool_use' : 'end_turn',
    stop_sequence: null,
    usage: {
      input_tokens: inputTokens,
      output_tokens: tokensFor(replyChars),
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
    },
  };
}

// Words keep their trailing whitespace, so the deltas concatenate to the text.
export function splitWords(text: string): string[] {
  const pieces = text.match(/\s*\S+\s*/g) ?? [];
  return pieces.length > 0 ? pieces : [text];
}

// Several input_json_delta pieces, as a real model sends them.
function splitJson(json: string): string[] {
  const size = Math.max(1, Math.ceil(json.length / 3));
  const parts: string[] = [];
  for (let at = 0; at < json.length; at += size) parts.push(json.slice(at, at + size));
  return parts.length > 0 ? parts : [''];
}

/** The full event sequence; the first event is always message_start. */
export function streamEvents(message: Message): SseEvent[] {
  const start = { ...message, content: [], stop_reason: null, usage: { ...message.usage, output_tokens: 1 } };
  const events: SseEvent[] = [{ event: 'message_start', data: { type: 'message_start', message: start } }];
  message.content.forEach((block, index) => events.push(...blockEvents(block, index)));
  events.push(
    {
      event: 'message_delta',
      data: {
        type: 'message_delta',
        delta: { stop_reason: message.stop_reason, stop_sequence: null },
        usage: { output_tokens: message.usage.output_tokens },
      },
    },
    { event: 'message_stop', data: { type: 'message_stop' } },
  );
  return events;
}

function blockEvents(block: ContentBlock, index: number): SseEvent[] {
  const opening = block.type === 'text' ? { type: 'text', text: '' } : { ...block, input: {} };
  const deltas =
    block.type === 'text'
      ? splitWords(block.text).map((text) => ({ type: 'text_delta', text }))
      : splitJson(JSON.stringify(block.input)).map((partial_json) => ({ type: 'input_json_delta', partial_json }));
  return [
    { event: 'content_block_start', data: { type: 'content_block_start', index, content_block: opening } },
    ...deltas.map((delta) => ({ event: 'content_block_delta', data: { type: 'content_block_delta', index, delta } })),
    { event: 'content_block_stop', data: { type: 'content_block_stop', index } },
  ];
}

export function formatSse(event: SseEvent): string {
  return `event: ${event.event}\ndata: ${JSON.stringify(event.data)}\n\n`;
}

const ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  529: 'overloaded_error',
};

export function errorType(status: number): string {
  return ERROR_TYPES[status] ?? (status >= 500 ? 'api_error' : 'invalid_request_error');
}

export function errorBody(status: number, message: string): { type: 'error'; error: { type: string; message: string } } {
  return { type: 'error', error: { type: errorType(status), message } };
}
