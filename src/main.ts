import { ConfigError, loadConfig } from './config/config.ts';
import { startAgentd } from './server.ts';

async function main() {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(2);
    }
    throw error;
  }
  const { app, container } = await startAgentd(config);
  const logger = app.log;

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: no new connections, finishing in-flight requests');
    const deadline = setTimeout(() => {
      logger.error('shutdown timed out; exiting');
      process.exit(1);
    }, config.AGENTD_SHUTDOWN_TIMEOUT_SECONDS * 1000);
    deadline.unref();
    // Running turns may finish (their HTTP requests too) while no new ones start.
    const draining = container.agents.drain(config.AGENTD_SHUTDOWN_TIMEOUT_SECONDS * 1000 * 0.6);
    // Keep-alive connections whose request finishes during the drain would hold the server open
    // for the whole keep-alive timeout; close each as soon as it falls idle.
    const idleCloser = setInterval(() => app.server.closeIdleConnections(), 100);
    await app.close();
    clearInterval(idleCloser);
    await draining;
    await container.close();
    logger.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((error: unknown) => {
  console.error('agentd failed to start:', error);
  process.exit(1);
});
