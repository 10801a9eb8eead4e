import type { ErrorCode } from '../domain/errors.ts';

/** What one server asks of the server that runs a session's turn. */
export type ControlMessage =
  | { kind: 'permission_answer'; sessionId: string; requestId: string; decision: 'allow' | 'deny'; reason: string; decidedBy: string }
  | { kind: 'interrupt'; sessionId: string };

export type ControlReply = { ok: true } | { ok: false; code: ErrorCode; message: string };

/**
 * Requests between servers, addressed by runner id: a permission answer or an interrupt that
 * reached a server other than the one running the turn is carried to that one.
 */
export interface ControlBus {
  /** Starts taking the messages addressed to this server. */
  serve(handler: (message: ControlMessage) => Promise<ControlReply>): Promise<void>;
  /** The addressed server's reply; undefined when no server of that id listens or it did not answer in time. */
  send(runnerId: string, message: ControlMessage): Promise<ControlReply | undefined>;
  close(): Promise<void>;
}
