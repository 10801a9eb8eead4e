import { DomainError } from './errors.ts';

export const sessionStatuses = [
  'created',
  'connecting',
  'active',
  'processing',
  'waiting',
  'paused',
  'completed',
  'failed',
  'terminated',
  'archived',
] as const;
export type SessionStatus = (typeof sessionStatuses)[number];

export const sessionModes = ['interactive', 'non_interactive'] as const;
export type SessionMode = (typeof sessionModes)[number];

/**
 * The reference's state machine. agentd's additions where it is unclear: resume is allowed
 * from completed (reopens it) and a failed session may reconnect, so an agent failure never
 * leaves a conversation unusable; a session never messaged may be paused or completed (a task
 * run that failed before its turn); a turn that ends while waiting for an approval (interrupt,
 * restart) goes back to active.
 */
const transitions: Record<SessionStatus, readonly SessionStatus[]> = {
  created: ['connecting', 'paused', 'completed', 'terminated'],
  connecting: ['active', 'failed', 'terminated'],
  active: ['processing', 'waiting', 'paused', 'completed', 'failed', 'terminated'],
  processing: ['active', 'waiting', 'completed', 'failed', 'terminated'],
  waiting: ['processing', 'active', 'failed', 'terminated'],
  paused: ['active', 'terminated'],
  completed: ['active', 'archived', 'terminated'],
  failed: ['connecting', 'archived', 'terminated'],
  terminated: ['archived'],
  archived: [],
};

export function canTransition(from: SessionStatus, to: SessionStatus): boolean {
  return transitions[from].includes(to);
}

export function assertTransition(from: SessionStatus, to: SessionStatus): void {
  if (!canTransition(from, to)) {
    throw new DomainError('INVALID_STATE_TRANSITION', `Cannot move a session from ${from} to ${to}`, { from, to });
  }
}

/** Statuses that count against the concurrent-session quota. */
export const liveStatuses: readonly SessionStatus[] = ['created', 'connecting', 'active', 'processing', 'waiting', 'paused'];

/** Statuses in which a new message is accepted. */
export const acceptsMessages = (status: SessionStatus) => status === 'created' || status === 'active';
