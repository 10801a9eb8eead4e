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
 * leaves a conversation unusable.
 */
const transitions: Record<SessionStatus, readonly SessionStatus[]> = {
  created: ['connecting', 'terminated'],
  connecting: ['active', 'failed', 'terminated'],
  active: ['processing', 'waiting', 'paused', 'completed', 'failed', 'terminated'],
  processing: ['active', 'waiting', 'completed', 'failed', 'terminated'],
  waiting: ['processing', 'failed', 'terminated'],
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
