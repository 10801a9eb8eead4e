import type { Repositories, Store } from '../ports/repositories.ts';
import type { DatabaseHandle, Db } from './connection.ts';
import { auditRepository } from './repositories/audit.ts';
import {
  hookExecutionRepository,
  messageRepository,
  permissionDecisionRepository,
  sessionEventRepository,
  toolCallRepository,
} from './repositories/conversation.ts';
import { mcpServerRepository } from './repositories/mcp-servers.ts';
import { reportRepository } from './repositories/reports.ts';
import { sessionRepository } from './repositories/sessions.ts';
import { taskExecutionRepository } from './repositories/task-executions.ts';
import { taskRepository } from './repositories/tasks.ts';
import { sessionTemplateRepository } from './repositories/templates.ts';
import { transcriptRepository } from './repositories/transcripts.ts';
import { refreshTokenRepository, userRepository } from './repositories/users.ts';

function repositories(db: Db): Repositories {
  return {
    users: userRepository(db),
    refreshTokens: refreshTokenRepository(db),
    sessions: sessionRepository(db),
    messages: messageRepository(db),
    toolCalls: toolCallRepository(db),
    permissionDecisions: permissionDecisionRepository(db),
    hookExecutions: hookExecutionRepository(db),
    sessionEvents: sessionEventRepository(db),
    audit: auditRepository(db),
    transcripts: transcriptRepository(db),
    mcpServers: mcpServerRepository(db),
    templates: sessionTemplateRepository(db),
    tasks: taskRepository(db),
    taskExecutions: taskExecutionRepository(db),
    reports: reportRepository(db),
  };
}

export function createStore(handle: DatabaseHandle): Store {
  return {
    ...repositories(handle.db),
    transaction: (work) => handle.db.transaction((tx) => work(repositories(tx as unknown as Db))),
    ping: () => handle.ping(),
    close: () => handle.close(),
  };
}
