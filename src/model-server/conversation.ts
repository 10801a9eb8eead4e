// Reads what the scripted model needs out of a Messages API request body:
// the prompt the script comes from, how far the turn has got, the agent's
// working directory and the last tool result. Bodies come from the agent
// binary, so every field is treated as untrusted `unknown`.

type Block = Record<string, unknown>;
interface Message {
  role: string;
  blocks: Block[];
}

const REMINDER = '<system-reminder>';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// Content may be a plain string or an array of blocks; normalise to blocks.
function toBlocks(content: unknown): Block[] {
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  if (!Array.isArray(content)) return [];
  return content.filter(isRecord);
}

function messagesOf(body: unknown): Message[] {
  if (!isRecord(body) || !Array.isArray(body.messages)) return [];
  return body.messages.filter(isRecord).map((m) => ({
    role: typeof m.role === 'string' ? m.role : '',
    blocks: toBlocks(m.content),
  }));
}

// The binary adds <system-reminder> text blocks to user turns, including to
// tool_result turns; those must not count as a new prompt or the script
// would restart after every tool round.
function promptBlocks(message: Message): string[] {
  if (message.role !== 'user') return [];
  return message.blocks
    .filter((b) => b.type === 'text' && typeof b.text === 'string')
    .map((b) => b.text as string)
    .filter((text) => !text.trimStart().startsWith(REMINDER) && text.trim() !== '');
}

function lastPromptIndex(messages: Message[]): number {
  for (let i = messages.length - 1; i >= 0; i--) {
    const message = messages[i];
    if (message && promptBlocks(message).length > 0) return i;
  }
  return -1;
}

export interface Conversation {
  /** Last text block of the last user message that carries prompt text. */
  promptText: string;
  /** Assistant replies since that prompt: the index of the script step to run. */
  stepIndex: number;
  /** Text of the most recent tool_result, '' when there is none. */
  lastToolResult: string;
}

export function readConversation(body: unknown): Conversation {
  const messages = messagesOf(body);
  const at = lastPromptIndex(messages);
  const prompt = at >= 0 ? promptBlocks(messages[at] as Message) : [];
  const stepIndex = messages.slice(at + 1).filter((m) => m.role === 'assistant').length;
  return {
    promptText: prompt[prompt.length - 1] ?? '',
    stepIndex,
    lastToolResult: lastToolResultText(messages),
  };
}

function lastToolResultText(messages: Message[]): string {
  for (let i = messages.length - 1; i >= 0; i--) {
    const blocks = messages[i]?.blocks ?? [];
    for (let j = blocks.length - 1; j >= 0; j--) {
      const block = blocks[j];
      if (block?.type === 'tool_result') return withoutReminders(toBlocks(block.content).map(textOf).join('\n'));
    }
  }
  return '';
}

// The binary appends reminders to tool output too; they are not the tool's result.
function withoutReminders(text: string): string {
  return text.replace(/<system-reminder>[\s\S]*?<\/system-reminder>/g, '').trim();
}

function textOf(block: Block): string {
  return block.type === 'text' && typeof block.text === 'string' ? block.text : '';
}

const CWD_LINE = /^[\s-]*(?:Primary working directory|Working directory):\s*(\S.*?)\s*$/m;

// The binary states the directory as " - Primary working directory: /path"
// inside the first user turn's environment reminder; other prompt presets put
// it in `system`, so both are searched, system first.
export function workingDirectory(body: unknown): string | undefined {
  const texts: string[] = [];
  if (isRecord(body)) texts.push(...toBlocks(body.system).map(textOf));
  for (const message of messagesOf(body)) texts.push(...message.blocks.map(textOf));
  for (const text of texts) {
    const match = CWD_LINE.exec(text);
    if (match?.[1]) return match[1];
  }
  return undefined;
}
