/** One event of a session's stream, as clients receive it. `seq` increases per session. */
export interface SessionEvent {
  type: string;
  session_id: string;
  seq: number;
  timestamp: string;
  [field: string]: unknown;
}

export type Unsubscribe = () => Promise<void>;

/** Delivers session events to every subscriber, in this process or (Redis) in others. */
export interface EventBus {
  publish(event: SessionEvent): Promise<void>;
  subscribe(sessionId: string, handler: (event: SessionEvent) => void): Promise<Unsubscribe>;
  close(): Promise<void>;
}
