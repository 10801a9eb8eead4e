import { randomUUID } from 'node:crypto';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import websocket from '@fastify/websocket';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { registerErrorHandling } from './api/errors.ts';
import { RateGate, ratePolicyOf, registerRateLimits } from './api/rate-limit.ts';
import { registerMetrics } from './api/metrics.ts';
import { adminRoutes } from './api/routes/admin.ts';
import { auditRoutes } from './api/routes/audit.ts';
import { authRoutes } from './api/routes/auth.ts';
import { mcpServerRoutes } from './api/routes/mcp-servers.ts';
import { opsRoutes } from './api/routes/ops.ts';
import { reportRoutes } from './api/routes/reports.ts';
import { sessionRoutes } from './api/routes/sessions.ts';
import { sessionAgentRoutes } from './api/routes/session-agent.ts';
import { sessionTemplateRoutes } from './api/routes/session-templates.ts';
import { taskRoutes } from './api/routes/tasks.ts';
import { taskExecutionRoutes, taskTriggerRoutes } from './api/routes/task-executions.ts';
import { sessionStreamRoute } from './api/ws/session-stream.ts';
import type { Container } from './container.ts';

const requestIdPattern = /^[A-Za-z0-9._:-]{1,64}$/;

export async function buildApp(container: Container, logger: FastifyBaseLogger): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: logger,
    // Behind a reverse proxy, request.ip (rate limits, audit) comes from X-Forwarded-For only for the proxies trusted here.
    trustProxy: container.config.AGENTD_TRUST_PROXY ?? false,
    bodyLimit: 1024 * 1024,
    routerOptions: { ignoreTrailingSlash: true },
    // Keep a caller's request id when it is sane, so logs line up across services.
    genReqId: (request) => {
      const given = request.headers['x-request-id'];
      return typeof given === 'string' && requestIdPattern.test(given) ? given : randomUUID();
    },
  }).withTypeProvider<ZodTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.addHook('onRequest', async (request, reply) => void reply.header('x-request-id', request.id));
  registerErrorHandling(app);
  registerRateLimits(app, new RateGate(container.rateLimiter, ratePolicyOf(container.config)));
  const metrics = registerMetrics(app, () => container.store.sessions.countByStatus());

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'agentd', version: '0.1.0', description: 'Claude agents for teams: sessions, tasks, reports, audit.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
    },
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/api/v1/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  await app.register(opsRoutes(container.readiness, metrics));
  await app.register(authRoutes(container.auth), { prefix: '/api/v1/auth' });
  await app.register(websocket, { options: { maxPayload: 1024 * 1024 } });
  await app.register(sessionRoutes(container.auth, container.sessions), { prefix: '/api/v1/sessions' });
  await app.register(sessionAgentRoutes(container.auth, container.agents, container.events), { prefix: '/api/v1/sessions' });
  await app.register(sessionStreamRoute(container), { prefix: '/api/v1/sessions' });
  await app.register(auditRoutes(container.auth, container.audit), { prefix: '/api/v1/audit-logs' });
  await app.register(adminRoutes(container.auth, container.admin), { prefix: '/api/v1/admin' });
  await app.register(mcpServerRoutes(container.auth, container.mcpServers), { prefix: '/api/v1/mcp-servers' });
  await app.register(sessionTemplateRoutes(container.auth, container.templates), { prefix: '/api/v1/session-templates' });
  await app.register(taskRoutes(container.auth, container.tasks), { prefix: '/api/v1/tasks' });
  await app.register(taskExecutionRoutes(container.auth, container.executions), { prefix: '/api/v1' });
  await app.register(reportRoutes(container.auth, container.reports), { prefix: '/api/v1/reports' });
  await app.register(taskTriggerRoutes(container.executions), { prefix: '/api/v1' });
  return app;
}
