import { randomUUID } from 'node:crypto';
import type { User } from '../../domain/entities.ts';
import { DomainError } from '../../domain/errors.ts';
import type { Actor, Role } from '../../domain/roles.ts';
import type { Clock } from '../../ports/clock.ts';
import type { Store } from '../../ports/repositories.ts';
import { decoyHash, hashPassword, verifyPassword } from './password.ts';
import type { TokenSigner } from './tokens.ts';

export interface TokenPair {
  access_token: string;
  refresh_token: string;
  token_type: 'bearer';
  expires_in: number;
}

export interface Registration {
  email: string;
  username: string;
  password: string;
  full_name?: string | undefined;
}

interface RequestOrigin {
  ip?: string | undefined;
  userAgent?: string | undefined;
}

export class AuthService {
  constructor(
    private readonly store: Store,
    private readonly tokens: TokenSigner,
    private readonly clock: Clock,
    private readonly defaults: { maxConcurrentSessions: number },
  ) {}

  async register(input: Registration, origin: RequestOrigin, role: Role = 'user'): Promise<User> {
    const passwordHash = await hashPassword(input.password);
    return this.store.transaction(async (repos) => {
      if (await repos.users.findByEmail(input.email)) throw new DomainError('EMAIL_TAKEN', 'An account with this email already exists');
      if (await repos.users.findByUsername(input.username)) throw new DomainError('USERNAME_TAKEN', 'This username is taken');
      const user = await repos.users.insert({ email: input.email, username: input.username, fullName: input.full_name ?? null, passwordHash, role, maxConcurrentSessions: this.defaults.maxConcurrentSessions });
      await repos.audit.insert({ eventType: 'user.registered', category: 'authentication', userId: user.id, resourceType: 'user', resourceId: user.id, ...origin, details: { role } });
      return user;
    });
  }

  async login(email: string, password: string, origin: RequestOrigin): Promise<TokenPair> {
    const user = await this.store.users.findByEmail(email);
    const valid = await verifyPassword(password, user?.passwordHash ?? (await decoyHash));
    if (!user || !valid) {
      await this.store.audit.insert({ eventType: 'auth.login_failed', category: 'authentication', userId: user?.id ?? null, ...origin, details: { email, reason: 'bad_credentials' } });
      throw new DomainError('INVALID_CREDENTIALS', 'Incorrect email or password');
    }
    if (!user.isActive) {
      await this.store.audit.insert({ eventType: 'auth.login_failed', category: 'authentication', userId: user.id, ...origin, details: { email, reason: 'disabled' } });
      throw new DomainError('ACCOUNT_DISABLED', 'This account is disabled');
    }
    return this.store.transaction(async (repos) => {
      await repos.users.touchLogin(user.id, this.clock.now());
      await repos.audit.insert({ eventType: 'auth.login', category: 'authentication', userId: user.id, resourceType: 'user', resourceId: user.id, ...origin });
      return this.issue(repos, user, randomUUID());
    });
  }

  /** Rotates a refresh token. Presenting a used one revokes its whole family: someone copied it. */
  async refresh(refreshToken: string): Promise<TokenPair> {
    const claims = await this.tokens.verifyRefresh(refreshToken);
    return this.store.transaction(async (repos) => {
      const consumed = await repos.refreshTokens.consume(claims.tokenId, this.clock.now());
      if (consumed === 'reused') await repos.refreshTokens.revokeFamily(claims.familyId, this.clock.now());
      if (!consumed || consumed === 'reused') {
        // The revocation must survive the rejection, so it is committed outside this error path.
        return undefined;
      }
      const user = await repos.users.findById(consumed.userId);
      if (!user?.isActive) return undefined;
      return this.issue(repos, user, consumed.familyId);
    }).then((pair) => {
      if (!pair) throw new DomainError('INVALID_TOKEN', 'Refresh token is invalid, expired or already used');
      return pair;
    });
  }

  /** Resolves a bearer token to the acting user; disabled or deleted users lose access at once. */
  async authenticate(accessToken: string, origin: RequestOrigin): Promise<Actor> {
    const claims = await this.tokens.verifyAccess(accessToken);
    const user = await this.store.users.findById(claims.userId);
    if (!user) throw new DomainError('INVALID_TOKEN', 'Token is invalid or expired');
    if (!user.isActive) throw new DomainError('ACCOUNT_DISABLED', 'This account is disabled');
    return { userId: user.id, role: user.role, ...origin };
  }

  async me(actor: Actor): Promise<User> {
    const user = await this.store.users.findById(actor.userId);
    if (!user) throw new DomainError('USER_NOT_FOUND', 'User not found');
    return user;
  }

  /** Creates the configured admin on first start; later starts leave the account alone. */
  async bootstrapAdmin(email: string, password: string): Promise<'created' | 'exists'> {
    if (await this.store.users.findByEmail(email)) return 'exists';
    await this.register({ email, username: email.split('@')[0] || 'admin', password }, {}, 'admin');
    return 'created';
  }

  private async issue(repos: Pick<Store, 'refreshTokens'>, user: User, familyId: string): Promise<TokenPair> {
    const tokenId = randomUUID();
    await repos.refreshTokens.insert({
      id: tokenId,
      userId: user.id,
      familyId,
      expiresAt: new Date(this.clock.now().getTime() + this.tokens.refreshTtlSeconds * 1000),
    });
    return {
      access_token: await this.tokens.signAccess({ userId: user.id, role: user.role }),
      refresh_token: await this.tokens.signRefresh({ userId: user.id, tokenId, familyId }),
      token_type: 'bearer',
      expires_in: this.tokens.accessTtlSeconds,
    };
  }
}
