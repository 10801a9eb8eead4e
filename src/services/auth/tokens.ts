import { randomUUID } from 'node:crypto';
import { jwtVerify, SignJWT } from 'jose';
import { DomainError } from '../../domain/errors.ts';
import { roles, type Role } from '../../domain/roles.ts';

export interface TokenSettings {
  secret: string;
  accessTtlSeconds: number;
  refreshTtlSeconds: number;
}

export interface AccessClaims {
  userId: string;
  role: Role;
}

export interface RefreshClaims {
  userId: string;
  tokenId: string;
  familyId: string;
}

const issuer = 'agentd';

/** Signs and checks JWTs. Access tokens are short-lived; refresh tokens carry an id the database tracks. */
export class TokenSigner {
  private readonly key: Uint8Array;

  constructor(private readonly settings: TokenSettings) {
    this.key = new TextEncoder().encode(settings.secret);
  }

  get accessTtlSeconds() {
    return this.settings.accessTtlSeconds;
  }

  get refreshTtlSeconds() {
    return this.settings.refreshTtlSeconds;
  }

  signAccess(claims: AccessClaims): Promise<string> {
    return new SignJWT({ role: claims.role, typ: 'access' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(claims.userId)
      .setIssuer(issuer)
      .setIssuedAt()
      .setJti(randomUUID())
      .setExpirationTime(`${this.settings.accessTtlSeconds}s`)
      .sign(this.key);
  }

  signRefresh(claims: RefreshClaims): Promise<string> {
    return new SignJWT({ typ: 'refresh', fam: claims.familyId })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(claims.userId)
      .setIssuer(issuer)
      .setIssuedAt()
      .setJti(claims.tokenId)
      .setExpirationTime(`${this.settings.refreshTtlSeconds}s`)
      .sign(this.key);
  }

  async verifyAccess(token: string): Promise<AccessClaims> {
    const payload = await this.verify(token, 'access');
    const role = payload.role;
    if (typeof role !== 'string' || !roles.includes(role as Role)) throw invalidToken();
    return { userId: payload.sub!, role: role as Role };
  }

  async verifyRefresh(token: string): Promise<RefreshClaims> {
    const payload = await this.verify(token, 'refresh');
    if (typeof payload.fam !== 'string' || !payload.jti) throw invalidToken();
    return { userId: payload.sub!, tokenId: payload.jti, familyId: payload.fam };
  }

  private async verify(token: string, type: 'access' | 'refresh') {
    try {
      const { payload } = await jwtVerify(token, this.key, { issuer, algorithms: ['HS256'] });
      if (payload.typ !== type || !payload.sub) throw invalidToken();
      return payload;
    } catch {
      throw invalidToken();
    }
  }
}

const invalidToken = () => new DomainError('INVALID_TOKEN', 'Token is invalid or expired');
