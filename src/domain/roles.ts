export const roles = ['admin', 'user', 'viewer'] as const;
export type Role = (typeof roles)[number];

/** The authenticated caller, as every service sees it. */
export interface Actor {
  readonly userId: string;
  readonly role: Role;
  readonly ip?: string | undefined;
  readonly userAgent?: string | undefined;
}

export const isAdmin = (actor: Actor) => actor.role === 'admin';
export const canWrite = (actor: Actor) => actor.role !== 'viewer';
