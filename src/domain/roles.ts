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
/** What the actor may see of a user's things: their own, or anyone's for an admin. Others' are not found. */
export const canSee = (actor: Actor, ownerId: string) => ownerId === actor.userId || isAdmin(actor);
