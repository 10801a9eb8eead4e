import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AuthService } from '../../services/auth/auth-service.ts';
import type { McpServerService } from '../../services/mcp-server-service.ts';
import { serverChange, serverCreation } from '../../services/mcp/definition.ts';
import { requireAuth } from '../auth-guard.ts';
import { importRequestOfForm, readMultipart } from '../multipart.ts';
import { presentMcpHealth, presentMcpServer, presentPage } from '../presenters.ts';
import { errorResponses, idParams, pageOf, pageQuery } from '../schemas.ts';

const security = [{ bearer: [] }];
const tags = ['mcp-servers'];
const secretMap = z.record(z.string(), z.string()).describe('values are always "********"');

const healthSchema = z.object({
  status: z.enum(['healthy', 'unhealthy']),
  latency_ms: z.number(),
  tools: z.array(z.string()),
  error: z.string().optional(),
  checked_at: z.string(),
});

const mcpServerSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  description: z.string().nullable(),
  server_type: z.enum(['stdio', 'sse', 'http']),
  user_id: z.uuid().nullable(),
  is_global: z.boolean(),
  is_enabled: z.boolean(),
  command: z.string().optional(),
  args: z.array(z.string()).optional(),
  env: secretMap.optional(),
  url: z.string().optional(),
  headers: secretMap.optional(),
  last_health: healthSchema.nullable(),
  created_at: z.string(),
  updated_at: z.string(),
});

const importBody = z.strictObject({
  document: z.union([z.string().min(1), z.record(z.string(), z.unknown())]).describe('{"mcpServers": {...}} as JSON or YAML text, or as an object'),
  format: z.enum(['json', 'yaml']).optional().describe('guessed from the text when absent'),
  variables: z
    .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a variable name'), z.string().max(8192))
    .refine((map) => Object.keys(map).length <= 200, 'at most 200 variables')
    .optional()
    .describe('values for ${VAR} and ${VAR:-default}; nothing comes from the server environment'),
  is_global: z.boolean().default(false),
});

const problem = z.object({ name: z.string(), detail: z.string() });
const importResult = z.object({
  imported_count: z.number().int(),
  skipped_count: z.number().int(),
  imported: z.array(z.string()),
  skipped: z.array(z.string()),
  errors: z.array(problem),
  warnings: z.array(problem),
});

const exportDocument = z.object({ mcpServers: z.record(z.string(), z.record(z.string(), z.unknown())) });

export function mcpServerRoutes(auth: AuthService, servers: McpServerService): FastifyPluginAsyncZod {
  return async (app) => {
    app.addHook('preHandler', requireAuth(auth));
    // The import also takes an uploaded file; this parser lives in this plugin's scope only.
    app.addContentTypeParser('multipart/form-data', { parseAs: 'buffer' }, (request, body, done) => {
      try {
        done(null, importRequestOfForm(readMultipart(request.headers['content-type'], body as Buffer)));
      } catch (error) {
        done(error as Error, undefined);
      }
    });

    app.post('', {
      schema: { tags, summary: 'Register an MCP server (global: admins only)', security, body: serverCreation, response: { 201: mcpServerSchema, ...errorResponses } },
      handler: async (request, reply) => reply.status(201).send(presentMcpServer(await servers.create(request.actor, request.body))),
    });

    app.get('', {
      schema: { tags, summary: 'List your MCP servers and the global ones', security, querystring: pageQuery, response: { 200: pageOf(mcpServerSchema), ...errorResponses } },
      handler: async (request) => presentPage(await servers.list(request.actor, request.query), presentMcpServer),
    });

    app.post('/import', {
      schema: {
        tags,
        summary: 'Import a {"mcpServers": {...}} document (JSON or YAML; JSON body or multipart "file"); existing names are skipped',
        security,
        body: importBody,
        response: { 200: importResult, ...errorResponses },
      },
      handler: async (request) => servers.importDocument(request.actor, request.body),
    });

    app.get('/export', {
      schema: {
        tags,
        summary: 'Export your MCP servers (or the global ones) as a document that imports again; secrets masked',
        security,
        querystring: z.object({ format: z.enum(['json', 'yaml']).default('json'), scope: z.enum(['own', 'global']).default('own') }),
        response: { 200: z.union([exportDocument, z.string()]), ...errorResponses },
      },
      handler: async (request, reply) => {
        const exported = await servers.exportDocument(request.actor, request.query);
        if (request.query.format === 'json') return exported.document;
        return reply.type('application/yaml; charset=utf-8').send(exported.text);
      },
    });

    app.get('/:id', {
      schema: { tags, summary: 'Read an MCP server (secrets masked)', security, params: idParams, response: { 200: mcpServerSchema, ...errorResponses } },
      handler: async (request) => presentMcpServer(await servers.get(request.actor, request.params.id)),
    });

    app.patch('/:id', {
      schema: {
        tags,
        summary: 'Change an MCP server; in env/headers, "********" keeps the stored value',
        security,
        params: idParams,
        body: serverChange,
        response: { 200: mcpServerSchema, ...errorResponses },
      },
      handler: async (request) => presentMcpServer(await servers.update(request.actor, request.params.id, request.body)),
    });

    app.delete('/:id', {
      schema: { tags, summary: 'Delete an MCP server', security, params: idParams, response: { 204: z.null(), ...errorResponses } },
      handler: async (request, reply) => {
        await servers.delete(request.actor, request.params.id);
        return reply.status(204).send(null);
      },
    });

    app.post('/:id/health-check', {
      schema: { tags, summary: 'Connect, list the tools, disconnect (under a timeout); the result is stored on the server', security, params: idParams, response: { 200: healthSchema, ...errorResponses } },
      handler: async (request) => presentMcpHealth(await servers.healthCheck(request.actor, request.params.id)),
    });
  };
}
