import { Liquid, UndefinedVariableError, type Template } from 'liquidjs';
import { DomainError, messageOf } from '../domain/errors.ts';
import type { PromptRenderer, PromptTemplateInfo } from '../ports/prompt-renderer.ts';

export interface LiquidRendererLimits {
  /** Longest template accepted, in characters. */
  maxTemplateChars: number;
  /** Wall time one render may take. */
  renderMs: number;
  /** liquidjs's allocation budget for one render (string and array growth). */
  memory: number;
  /** Longest prompt a render may produce, in characters. */
  maxOutputChars: number;
}

const defaultLimits: LiquidRendererLimits = { maxTemplateChars: 100_000, renderMs: 1_000, memory: 20_000_000, maxOutputChars: 500_000 };

/** Tags that load other templates: refused when parsing, so no template can name a file at all. */
const fileTags = ['include', 'render', 'layout'] as const;

/**
 * Prompt templates in Liquid (Jinja-like) syntax. Liquid has no function calls, and with these
 * options it cannot reach prototypes or files, and every render is bounded in time and memory:
 * - `templates: {}` replaces the file system with an empty in-memory map (the default would read
 *   `{% include ".env" %}` from the working directory); the file tags are refused outright too;
 * - `ownPropertyOnly` hides inherited members such as `constructor` and `__proto__`;
 * - `strictVariables` + `lenientIf`: a missing variable is an error naming it, while `{% if x %}`
 *   and `| default:` still work for optional ones; `strictFilters`: an unknown filter does not parse;
 * - `parseLimit`, `renderLimit`, `memoryLimit`: no huge template, endless loop or doubling bomb.
 */
export class LiquidPromptRenderer implements PromptRenderer {
  private readonly engine: Liquid;
  private readonly limits: LiquidRendererLimits;

  constructor(limits: Partial<LiquidRendererLimits> = {}) {
    this.limits = { ...defaultLimits, ...limits };
    this.engine = new Liquid({
      templates: {},
      strictVariables: true,
      lenientIf: true,
      strictFilters: true,
      ownPropertyOnly: true,
      parseLimit: this.limits.maxTemplateChars,
      renderLimit: this.limits.renderMs,
      memoryLimit: this.limits.memory,
    });
    for (const name of fileTags) {
      this.engine.registerTag(name, {
        parse() {
          throw new Error(`the ${name} tag is not available: prompt templates cannot load other templates or files`);
        },
        render: () => '',
      });
    }
  }

  async inspect(template: string): Promise<PromptTemplateInfo> {
    const parsed = this.parse(template);
    return { variables: await this.engine.globalVariables(parsed, { partials: false }) };
  }

  async render(template: string, variables: Readonly<Record<string, unknown>>): Promise<string> {
    const parsed = this.parse(template);
    let output: unknown;
    try {
      output = await this.engine.render(parsed, { ...variables });
    } catch (error) {
      if (error instanceof UndefinedVariableError) {
        const variable = missingVariable(error);
        throw new DomainError('TEMPLATE_VARIABLE_MISSING', `Template variable "${variable}" is missing (${where(error)})`, { variable });
      }
      throw new DomainError('TEMPLATE_RENDER_FAILED', `Template could not be rendered: ${reason(error)}`);
    }
    const prompt = String(output);
    if (prompt.length > this.limits.maxOutputChars) {
      throw new DomainError('TEMPLATE_RENDER_FAILED', `Template could not be rendered: the prompt would exceed ${this.limits.maxOutputChars} characters`);
    }
    return prompt;
  }

  private parse(template: string): Template[] {
    if (template.length > this.limits.maxTemplateChars) {
      throw new DomainError('TEMPLATE_INVALID', `Template is longer than ${this.limits.maxTemplateChars} characters`);
    }
    try {
      return this.engine.parse(template);
    } catch (error) {
      throw new DomainError('TEMPLATE_INVALID', `Template does not parse: ${reason(error)}`);
    }
  }
}

/** liquidjs keeps the missing name on the wrapped error; the message carries it as a fallback. */
function missingVariable(error: UndefinedVariableError): string {
  const original: unknown = error.originalError;
  if (original && typeof original === 'object' && 'variableName' in original && typeof original.variableName === 'string') return original.variableName;
  return /undefined variable: ([^,]+)/.exec(error.message)?.[1] ?? 'unknown';
}

function where(error: Error): string {
  const match = /line:(\d+), col:(\d+)/.exec(error.message);
  return match ? `line ${match[1]}, column ${match[2]}` : 'in the template';
}

/** The engine's message, which names the problem and its line and column, never a stack or a path. */
function reason(error: unknown): string {
  const message = messageOf(error);
  return message.split('\n')[0]!.slice(0, 500);
}
