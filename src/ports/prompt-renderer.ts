/** What a prompt template needs, known before it is rendered. */
export interface PromptTemplateInfo {
  /** Top-level variables the template reads from its input, in order of first use. */
  variables: string[];
}

/**
 * Renders user-written prompt templates (Jinja-style `{{ var }}`, `{% if %}`, `{% for %}`,
 * filters, `| default:`). Templates come from users and run on the server: an implementation
 * must not execute code, read files or run unbounded.
 *
 * Failures are DomainErrors: TEMPLATE_INVALID (does not parse, or uses a refused tag),
 * TEMPLATE_VARIABLE_MISSING (details.variable names it), TEMPLATE_RENDER_FAILED (a limit hit).
 */
export interface PromptRenderer {
  /** Parses the template; throws TEMPLATE_INVALID with the reason. */
  inspect(template: string): Promise<PromptTemplateInfo>;
  render(template: string, variables: Readonly<Record<string, unknown>>): Promise<string>;
}
