import type { AuditEntry } from '../domain/entities.ts';
import type { Actor } from '../domain/roles.ts';
import type { AuditFilter, AuditRepository, PageRequest } from '../ports/repositories.ts';
import { isAdmin } from '../domain/roles.ts';

/** Builds an audit entry from the actor of a request. */
export function auditOf(actor: Pick<Actor, 'userId' | 'ip' | 'userAgent'>, entry: Omit<AuditEntry, 'userId' | 'ip' | 'userAgent'>): AuditEntry {
  return { ...entry, userId: actor.userId, ip: actor.ip, userAgent: actor.userAgent };
}

export class AuditService {
  constructor(private readonly audit: AuditRepository) {}

  /** A user reads their own trail; an admin reads everyone's. */
  list(actor: Actor, filter: AuditFilter, page: PageRequest) {
    return this.audit.list(isAdmin(actor) ? filter : { ...filter, userId: actor.userId }, page);
  }
}
