import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.ts';
import type { Config } from './config/config.ts';
import { createContainer, type Container } from './container.ts';
import type { DatabaseHandle } from './db/connection.ts';
import { createLogger } from './logger.ts';

export interface RunningServer {
  url: string;
  app: FastifyInstance;
  container: Container;
  /** Closes HTTP first, then the agents, the bus and the database. */
  close(): Promise<void>;
}

/** Wires and starts agentd on the configured host and port (port 0: any free one). */
export async function startAgentd(config: Config, given: { database?: DatabaseHandle | undefined } = {}): Promise<RunningServer> {
  const logger = createLogger(config.LOG_LEVEL);
  const container = await createContainer(config, logger, given.database ? { database: given.database } : {});
  const app = await buildApp(container, logger);
  await app.listen({ port: config.PORT, host: config.HOST });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.PORT;
  return {
    url: `http://${config.HOST}:${port}`,
    app,
    container,
    close: async () => {
      await app.close();
      await container.close();
    },
  };
}
