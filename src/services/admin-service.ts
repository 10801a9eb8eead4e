import type { User } from '../domain/entities.ts';
import { DomainError } from '../domain/errors.ts';
import { isAdmin, type Actor, type Role } from '../domain/roles.ts';
import type { PageRequest, SessionFilter, Store } from '../ports/repositories.ts';
import type { WorkspaceStorage } from '../ports/workspace-storage.ts';
import { auditOf } from './audit-service.ts';

export interface UserChange {
  role?: Role | undefined;
  is_active?: boolean | undefined;
  max_concurrent_sessions?: number | undefined;
  max_storage_mb?: number | undefined;
}

/** Operators' view of the whole server. Every method is for admins only. */
export class AdminService {
  constructor(
    private readonly store: Store,
    private readonly storage: WorkspaceStorage,
  ) {}

  async stats(actor: Actor) {
    assertAdmin(actor);
    const [users, sessionsByStatus] = await Promise.all([this.store.users.count(), this.store.sessions.countByStatus()]);
    return {
      users,
      sessions_by_status: sessionsByStatus,
      sessions_total: Object.values(sessionsByStatus).reduce((a, b) => a + b, 0),
      storage_bytes: await this.storage.directorySize(this.storage.root),
    };
  }

  listUsers(actor: Actor, page: PageRequest) {
    assertAdmin(actor);
    return this.store.users.list(page);
  }

  listSessions(actor: Actor, filter: SessionFilter, page: PageRequest) {
    assertAdmin(actor);
    return this.store.sessions.list(filter, page);
  }

  /** Role, activation and limits; an admin cannot demote or disable themself (no lock-out by accident). */
  async updateUser(actor: Actor, userId: string, change: UserChange): Promise<User> {
    assertAdmin(actor);
    if (userId === actor.userId && ((change.role && change.role !== 'admin') || change.is_active === false)) {
      throw new DomainError('FORBIDDEN', 'Admins cannot demote or disable their own account');
    }
    return this.store.transaction(async (repos) => {
      const user = await repos.users.update(userId, {
        role: change.role,
        isActive: change.is_active,
        maxConcurrentSessions: change.max_concurrent_sessions,
        maxStorageMb: change.max_storage_mb,
      });
      if (!user) throw new DomainError('USER_NOT_FOUND', 'User not found');
      await repos.audit.insert(auditOf(actor, { eventType: 'user.updated', category: 'authorization', resourceType: 'user', resourceId: userId, details: { ...change } }));
      return user;
    });
  }
}

function assertAdmin(actor: Actor) {
  if (!isAdmin(actor)) throw new DomainError('FORBIDDEN', 'Admin role required');
}
