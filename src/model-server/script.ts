/*
Scripted replies: the directive language.

The script is the prompt text: the last text block of the last user message
that carries text (<system-reminder> blocks and tool_result-only messages do
not count). Lines starting with `!` are directives; other lines are plain text.

  (no directives)         one text reply "echo: <the text>" (first 500 chars), end_turn.
  !text <words>           a text reply with those words, end_turn.
  !tool <Name> <json>     a reply calling tool <Name> with that input (stop_reason tool_use).
                          `$CWD` in the json becomes the agent's working directory, e.g.
                          !tool Write {"file_path":"$CWD/a.txt","content":"hi"}
  !delay <ms>             the next reply sends message_start, then pauses <ms> before its
                          content (so an interrupt can land mid-turn). Modifies the next step;
                          a trailing !delay modifies the final reply.
  !error <status> [msg]   the reply is that HTTP status with an Anthropic error body.
  !cut                    the reply starts streaming (message_start and part of a text block),
                          then the socket is destroyed; the non-streaming retry also fails.

Steps run in order, one per model request: the step is the number of assistant
messages after the prompt, so a tool round advances the script and a retry of
the same request repeats the same step (an `!error 500` keeps failing).
When the steps are used up the reply is "done: <first 300 chars of the last
tool_result>", end_turn. Only a `!delay` with plain text echoes the plain lines.
An unknown directive becomes a text step "script error: ..." so typos show.
*/
import { readConversation, workingDirectory } from './conversation.ts';

export type Step =
  | { kind: 'text'; text: string; delayMs: number }
  | { kind: 'tool'; name: string; inputJson: string; delayMs: number }
  | { kind: 'error'; status: number; message: string; delayMs: number }
  | { kind: 'cut'; delayMs: number };

export interface Script {
  steps: Step[];
  /** Delay for the final "done:" reply, from a trailing !delay. */
  finalDelayMs: number;
}

/** The reply a request gets, with tool input already parsed. */
export type Reply =
  | { kind: 'text'; text: string; delayMs: number }
  | { kind: 'tool'; name: string; input: unknown; delayMs: number }
  | { kind: 'error'; status: number; message: string; delayMs: number }
  | { kind: 'cut'; delayMs: number };

export interface Plan {
  promptText: string;
  reply: Reply;
}

const ECHO_LIMIT = 500;
const DONE_LIMIT = 300;

export function parseScript(text: string): Script {
  const steps: Step[] = [];
  const plain: string[] = [];
  let delayMs = 0;
  let sawDirective = false;
  for (const line of text.split(/\r?\n/)) {
    if (!line.startsWith('!')) {
      plain.push(line);
      continue;
    }
    sawDirective = true;
    const [, word = '', rest = ''] = /^!(\S*)\s*(.*)$/s.exec(line) ?? [];
    if (word === 'delay') {
      delayMs = Math.max(0, Number.parseInt(rest, 10) || 0);
      continue;
    }
    steps.push(directiveStep(word, rest.trim(), delayMs));
    delayMs = 0;
  }
  if (!sawDirective) return { steps: [echoStep(text, 0)], finalDelayMs: 0 };
  // A prompt of only !delay and plain text still deserves an echo, delayed.
  if (steps.length === 0) return { steps: [echoStep(plain.join('\n').trim(), delayMs)], finalDelayMs: 0 };
  return { steps, finalDelayMs: delayMs };
}

function echoStep(text: string, delayMs: number): Step {
  return { kind: 'text', text: `echo: ${text.slice(0, ECHO_LIMIT)}`, delayMs };
}

function directiveStep(word: string, rest: string, delayMs: number): Step {
  switch (word) {
    case 'text':
      return { kind: 'text', text: rest, delayMs };
    case 'tool': {
      const [, name = '', inputJson = ''] = /^(\S*)\s*(.*)$/s.exec(rest) ?? [];
      if (!name) return scriptError('!tool needs a tool name', delayMs);
      return { kind: 'tool', name, inputJson: inputJson.trim() || '{}', delayMs };
    }
    case 'error': {
      const [, code = '', message = ''] = /^(\S*)\s*(.*)$/s.exec(rest) ?? [];
      const status = Number.parseInt(code, 10);
      if (!(status >= 400 && status <= 599)) return scriptError(`!error needs a status 400-599, got "${code}"`, delayMs);
      return { kind: 'error', status, message: message.trim() || `scripted error ${status}`, delayMs };
    }
    case 'cut':
      return { kind: 'cut', delayMs };
    default:
      return scriptError(`unknown directive "!${word}"`, delayMs);
  }
}

function scriptError(problem: string, delayMs: number): Step {
  return { kind: 'text', text: `script error: ${problem}`, delayMs };
}

/** Decides the reply to one Messages API request body. */
export function planReply(body: unknown): Plan {
  const conversation = readConversation(body);
  const script = parseScript(conversation.promptText);
  const step = script.steps[conversation.stepIndex];
  const promptText = conversation.promptText;
  if (!step) {
    const text = `done: ${conversation.lastToolResult.slice(0, DONE_LIMIT)}`;
    return { promptText, reply: { kind: 'text', text, delayMs: script.finalDelayMs } };
  }
  if (step.kind !== 'tool') return { promptText, reply: step };
  return { promptText, reply: toolReply(step, workingDirectory(body)) };
}

function toolReply(step: Extract<Step, { kind: 'tool' }>, cwd: string | undefined): Reply {
  // Substitute inside the JSON text, escaped, so any path stays valid JSON.
  const json = cwd === undefined ? step.inputJson : step.inputJson.split('$CWD').join(JSON.stringify(cwd).slice(1, -1));
  let input: unknown;
  try {
    input = JSON.parse(json);
  } catch (error) {
    const text = `script error: !tool ${step.name} input is not JSON (${(error as Error).message})`;
    return { kind: 'text', text, delayMs: step.delayMs };
  }
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return { kind: 'text', text: `script error: !tool ${step.name} input must be a JSON object`, delayMs: step.delayMs };
  }
  return { kind: 'tool', name: step.name, input, delayMs: step.delayMs };
}
