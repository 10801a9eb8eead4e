import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { SessionEvent } from '../../ports/event-bus.ts';
import type { AgentSessionService } from '../../services/agents/agent-session-service.ts';
import type { AuthService } from '../../services/auth/auth-service.ts';
import type { SessionEventLog } from '../../services/session-events.ts';
import { requireAuth } from '../auth-guard.ts';
import type { Page } from '../../domain/entities.ts';
import type { Actor } from '../../domain/roles.ts';
import type { PageRequest } from '../../ports/repositories.ts';
import { presentHookExecution, presentMessage, presentPage, presentPermissionDecision, presentSession, presentToolCall } from '../presenters.ts';
import { errorResponses, idParams, pageOf, pageQuery, sessionSchema } from '../schemas.ts';

const turnSchema = z.object({
  session_id: z.uuid(),
  message_id: z.uuid().nullable(),
  content: z.string(),
  is_error: z.boolean(),
  stop_reason: z.string(),
  tool_calls: z.array(z.object({ tool_use_id: z.string(), tool_name: z.string(), tool_input: z.record(z.string(), z.unknown()), status: z.string() })),
  metrics: z.object({
    duration_ms: z.number(),
    num_turns: z.number(),
    input_tokens: z.number(),
    output_tokens: z.number(),
    cache_creation_tokens: z.number(),
    cache_read_tokens: z.number(),
    cost_usd: z.number(),
  }),
});

const security = [{ bearer: [] }];
const loose = z.record(z.string(), z.unknown());

export function sessionAgentRoutes(auth: AuthService, agents: AgentSessionService, events: SessionEventLog): FastifyPluginAsyncZod {
  return async (app) => {
    app.addHook('preHandler', requireAuth(auth));

    app.post('/:id/query', {
      schema: {
        tags: ['agent'],
        summary: 'Send a message and wait for the turn (or stream it as server-sent events with Accept: text/event-stream)',
        security,
        params: idParams,
        body: z.strictObject({ message: z.string().min(1).max(200_000) }),
        response: { 200: turnSchema, ...errorResponses },
      },
      handler: async (request, reply) => {
        if (!request.headers.accept?.includes('text/event-stream')) return agents.sendMessage(request.actor, request.params.id, request.body.message);
        return streamTurn(reply, events, request.params.id, () => agents.sendMessage(request.actor, request.params.id, request.body.message));
      },
    });

    app.post('/:id/interrupt', {
      schema: { tags: ['agent'], summary: 'End the running turn; the session keeps working', security, params: idParams, response: { 200: sessionSchema, ...errorResponses } },
      handler: async (request) => presentSession(await agents.interrupt(request.actor, request.params.id)),
    });

    app.post('/:id/pause', {
      schema: { tags: ['agent'], summary: 'Pause: keep the conversation, release the agent process', security, params: idParams, response: { 200: sessionSchema, ...errorResponses } },
      handler: async (request) => presentSession(await agents.pause(request.actor, request.params.id)),
    });

    app.post('/:id/resume', {
      schema: {
        tags: ['agent'],
        summary: 'Resume a paused or completed session (fork: true resumes into a new fork)',
        security,
        params: idParams,
        body: z.strictObject({ fork: z.boolean().optional() }).default({}),
        response: { 200: sessionSchema, 201: sessionSchema, ...errorResponses },
      },
      handler: async (request, reply) => {
        const session = await agents.resume(request.actor, request.params.id, request.body);
        return reply.status(request.body.fork ? 201 : 200).send(presentSession(session));
      },
    });

    app.post('/:id/fork', {
      schema: {
        tags: ['agent'],
        summary: 'Fork: a new session with the conversation and a copy of the working directory',
        security,
        params: idParams,
        body: z.strictObject({ name: z.string().min(1).max(200).optional() }).default({}),
        response: { 201: sessionSchema, ...errorResponses },
      },
      handler: async (request, reply) => reply.status(201).send(presentSession(await agents.fork(request.actor, request.params.id, request.body))),
    });

    app.post('/:id/permissions/:request_id', {
      schema: {
        tags: ['agent'],
        summary: 'Answer a permission request of a waiting turn (first answer wins; viewers cannot answer)',
        security,
        params: idParams.extend({ request_id: z.uuid({ error: 'must be a UUID' }) }),
        body: z.strictObject({ decision: z.enum(['allow', 'deny']), message: z.string().max(2000).optional() }),
        response: { 200: z.object({ request_id: z.string(), decision: z.enum(['allow', 'deny']), decided_by: z.string() }), ...errorResponses },
      },
      handler: async (request) => agents.answerPermission(request.actor, request.params.id, request.params.request_id, request.body),
    });

    const listing = <T>(path: string, summary: string, list: (actor: Actor, id: string, page: PageRequest) => Promise<Page<T>>, present: (item: T) => Record<string, unknown>) =>
      app.get(path, {
        schema: { tags: ['agent'], summary, security, params: idParams, querystring: pageQuery, response: { 200: pageOf(loose), ...errorResponses } },
        handler: async (request) => {
          const { skip, limit } = request.query;
          return presentPage(await list(request.actor, request.params.id, { skip, limit }), present);
        },
      });
    listing('/:id/messages', 'Messages of the session, in order', (a, id, p) => agents.listMessages(a, id, p), presentMessage);
    listing('/:id/tool-calls', 'Tool calls with input, output, status and duration', (a, id, p) => agents.listToolCalls(a, id, p), presentToolCall);
    listing('/:id/permissions', 'Permission decisions taken for the session', (a, id, p) => agents.listPermissionDecisions(a, id, p), presentPermissionDecision);
    listing('/:id/hooks', 'Hook executions (PreToolUse, PostToolUse)', (a, id, p) => agents.listHookExecutions(a, id, p), presentHookExecution);
  };
}

/**
 * Streams a turn as server-sent events. The HTTP response starts only with the turn's first
 * event, so a refused turn (busy, not found) still gets its ordinary error status.
 */
async function streamTurn(reply: FastifyReply, events: SessionEventLog, sessionId: string, run: () => Promise<unknown>) {
  let started = false;
  const write = (event: SessionEvent) => {
    if (!started) {
      started = true;
      reply.hijack();
      reply.raw.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-request-id': String(reply.request.id) });
    }
    reply.raw.write(`id: ${event.seq}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
  };
  const unsubscribe = await events.subscribe(sessionId, write);
  try {
    await run();
  } catch (error) {
    if (!started) throw error;
    // The error already went out as an `error` event of the stream.
  } finally {
    await unsubscribe();
  }
  reply.raw.end();
  return reply;
}
