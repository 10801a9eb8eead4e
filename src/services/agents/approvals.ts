import { randomUUID } from 'node:crypto';
import { DomainError } from '../../domain/errors.ts';

export interface ApprovalOutcome {
  decision: 'allow' | 'deny';
  reason: string;
  decidedBy: string;
}

interface Pending {
  sessionId: string;
  settle: (outcome: ApprovalOutcome) => void;
}

/**
 * Tool calls parked for a human: the first answer wins, and no answer within the timeout
 * denies (fail closed). Lives in the process that runs the turn.
 */
export class ApprovalBroker {
  private readonly pending = new Map<string, Pending>();
  private readonly answered = new Set<string>();

  constructor(private readonly timeoutMs: number) {}

  /** Opens a request; `announce` runs with its id before the wait starts. */
  async request(sessionId: string, signal: AbortSignal, announce: (requestId: string) => Promise<void>): Promise<ApprovalOutcome & { requestId: string }> {
    const requestId = randomUUID();
    let settle!: (outcome: ApprovalOutcome) => void;
    const outcome = new Promise<ApprovalOutcome>((resolve) => (settle = resolve));
    const timer = setTimeout(() => settle({ decision: 'deny', reason: `No answer within ${this.timeoutMs / 1000} s`, decidedBy: 'timeout' }), this.timeoutMs);
    const onAbort = () => settle({ decision: 'deny', reason: 'The turn ended before an answer', decidedBy: 'system' });
    signal.addEventListener('abort', onAbort, { once: true });
    this.pending.set(requestId, { sessionId, settle });
    try {
      await announce(requestId);
      return { ...(await outcome), requestId };
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      this.pending.delete(requestId);
      this.remember(requestId);
    }
  }

  /** Whether the request waits here, in this process. */
  isPending(requestId: string): boolean {
    return this.pending.has(requestId);
  }

  answer(sessionId: string, requestId: string, outcome: ApprovalOutcome): void {
    const pending = this.pending.get(requestId);
    if (!pending || pending.sessionId !== sessionId) {
      if (this.answered.has(requestId)) throw new DomainError('PERMISSION_ALREADY_DECIDED', 'This permission request has already been decided');
      throw new DomainError('PERMISSION_REQUEST_NOT_FOUND', 'No pending permission request with this id');
    }
    this.pending.delete(requestId);
    pending.settle(outcome);
  }

  private remember(requestId: string) {
    this.answered.add(requestId);
    // Enough to tell a late second answer from a wrong id; not a history.
    if (this.answered.size > 10_000) this.answered.delete(this.answered.values().next().value!);
  }

  /** Denies every open request of a session (it is being stopped). */
  denyAll(sessionId: string, reason: string) {
    for (const [id, pending] of this.pending) {
      if (pending.sessionId !== sessionId) continue;
      this.pending.delete(id);
      pending.settle({ decision: 'deny', reason, decidedBy: 'system' });
    }
  }
}
