import { z } from 'zod';

/** What a secret value looks like in every response and export; sent back, it means "keep the stored value". */
export const MASKED = '********';

// eslint-disable-next-line no-control-regex -- control characters are exactly what it refuses
const noControl = /^[^\u0000-\u001f\u007f]*$/;

/** Names become tool prefixes (`mcp__<name>__<tool>`), so `__` inside one would be ambiguous. */
export const serverName = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1-64 letters, digits, "_" or "-"')
  .refine((name) => !name.includes('__'), 'must not contain "__" (it separates server and tool in mcp__<server>__<tool>)');

const command = z
  .string()
  .min(1)
  .max(1024)
  .regex(noControl, 'must not contain control characters')
  .refine((value) => value.trim() === value, 'must not start or end with whitespace');
const args = z.array(z.string().max(8192).regex(noControl, 'must not contain control characters')).max(100);
const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, 'must be a valid environment variable name');
const headerName = z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,128}$/, 'must be a valid HTTP header name');
const limitedMap = <T extends z.ZodType<string>>(key: T, value: z.ZodType<string>) =>
  z.record(key, value).refine((map) => Object.keys(map).length <= 100, 'at most 100 entries');
const env = limitedMap(envName, z.string().max(8192));
const headers = limitedMap(headerName, z.string().max(8192).regex(/^[^\r\n]*$/, 'must not contain line breaks'));
const url = z.url({ protocol: /^https?$/, error: 'must be an http or https URL' }).max(2048);

const common = {
  name: serverName,
  description: z.string().max(2000).nullish(),
  is_enabled: z.boolean().default(true),
};

/** A complete server definition, as created through the API or an import. */
export const serverDefinition = z.discriminatedUnion('server_type', [
  z.strictObject({ ...common, server_type: z.literal('stdio'), command, args: args.default([]), env: env.default({}) }),
  z.strictObject({ ...common, server_type: z.literal('sse'), url, headers: headers.default({}) }),
  z.strictObject({ ...common, server_type: z.literal('http'), url, headers: headers.default({}) }),
]);
export type ServerDefinition = z.infer<typeof serverDefinition>;

/** A definition through the API, which may also ask for a global server (admins only). */
const global = { is_global: z.boolean().default(false) };
export const serverCreation = z.discriminatedUnion('server_type', [
  z.strictObject({ ...common, ...global, server_type: z.literal('stdio'), command, args: args.default([]), env: env.default({}) }),
  z.strictObject({ ...common, ...global, server_type: z.literal('sse'), url, headers: headers.default({}) }),
  z.strictObject({ ...common, ...global, server_type: z.literal('http'), url, headers: headers.default({}) }),
]);

/** A change to an existing server: the fields given replace the stored ones; `env`/`headers` replace the whole map. */
export const serverChange = z.strictObject({
  name: serverName.optional(),
  description: z.string().max(2000).nullable().optional(),
  is_enabled: z.boolean().optional(),
  command: command.optional(),
  args: args.optional(),
  env: env.optional(),
  url: url.optional(),
  headers: headers.optional(),
});
export type ServerChange = z.infer<typeof serverChange>;

/** The first problem of a failed parse, as one readable line. */
export function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid definition';
  const where = issue.path.map(String).join('.');
  return where ? `${where}: ${issue.message}` : issue.message;
}
