import { hasMaskedPassword, isOwnDatabase, MASK, maskDsn, parseDatabaseDsn, type DatabaseTarget } from '../domain/database-dsn.ts';
import type { DatabaseToolOptions, KubernetesToolOptions, SdkOptions, SealedSecret } from '../domain/entities.ts';
import { DomainError } from '../domain/errors.ts';
import { selectKubeconfig } from '../domain/kubeconfig.ts';
import type { DatabaseToolSettings, KubernetesToolSettings } from '../ports/agent-runtime.ts';
import type { SecretSealer } from '../ports/secrets.ts';

/**
 * The secrets inside sdk_options (the `database` DSN, the `kubernetes` kubeconfig): checked and
 * sealed wherever sdk_options are written (sessions, templates, tasks), shown masked, opened only
 * when an agent starts. A value that is already sealed (a task's or template's options becoming a
 * session's) passes through unchanged; the API never takes one, since its schema wants text.
 */

export const databaseToolDefaults = { statementTimeoutMs: 5000, maxRows: 200 } as const;

/** sdk_options as a response shows them: each secret in its masked form. */
export type ShownSdkOptions = Omit<SdkOptions, 'database' | 'kubernetes'> & {
  database?: Omit<DatabaseToolOptions, 'dsn'> & { dsn: string };
  kubernetes?: Omit<KubernetesToolOptions, 'kubeconfig'> & { kubeconfig: string };
};

const isSealed = (value: string | SealedSecret | undefined): value is SealedSecret => typeof value === 'object';

/**
 * sdk_options as stored. `previous` (an update's stored options) lets a client send back the masked
 * form it was shown to keep the stored secret; a masked value with nothing to keep is refused.
 */
export function sealSdkOptions(sealer: SecretSealer, options: SdkOptions, previous?: SdkOptions): SdkOptions {
  const builtins = options.builtin_tools ?? [];
  if (builtins.includes('database') && !options.database) throw new DomainError('DATABASE_DSN_INVALID', "sdk_options.database.dsn is required with builtin_tools 'database'");
  if (builtins.includes('kubernetes_readonly') && !options.kubernetes) throw new DomainError('KUBECONFIG_INVALID', "sdk_options.kubernetes.kubeconfig is required with builtin_tools 'kubernetes_readonly'");
  const sealed: SdkOptions = { ...options };
  if (options.database) sealed.database = { ...options.database, dsn: sealDsn(sealer, options.database.dsn, previous?.database?.dsn) };
  if (options.kubernetes) sealed.kubernetes = { ...options.kubernetes, kubeconfig: sealKubeconfig(sealer, options.kubernetes, previous?.kubernetes?.kubeconfig) };
  return sealed;
}

/** What a response may show: the DSN without its password, the kubeconfig as `****`. */
export function shownSdkOptions(options: SdkOptions): ShownSdkOptions {
  const { database, kubernetes, ...rest } = options;
  return {
    ...rest,
    ...(database ? { database: { ...database, dsn: isSealed(database.dsn) ? database.dsn.shown : maskDsn(database.dsn) } } : {}),
    ...(kubernetes ? { kubernetes: { ...kubernetes, kubeconfig: MASK } } : {}),
  };
}

/**
 * For sessions, templates and tasks: sealing as above, plus agentd's own database refused
 * (checked again when the agent starts, since DATABASE_URL may have changed meanwhile).
 */
export class ToolSecrets {
  constructor(
    private readonly sealer: SecretSealer,
    /** agentd's DATABASE_URL; undefined with the embedded database, which no DSN reaches. */
    private readonly ownDatabaseUrl: string | undefined,
    private readonly warn: (message: string, details: Record<string, unknown>) => void = () => undefined,
  ) {}

  seal(options: SdkOptions, previous?: SdkOptions): SdkOptions {
    const sealed = sealSdkOptions(this.sealer, options, previous);
    const dsn = sealed.database && this.tryOpen(sealed.database.dsn);
    if (dsn !== undefined && this.isOwnDatabase(dsn)) throw forbidden();
    return sealed;
  }

  /**
   * The enabled built-ins' settings in clear, for the agent's start. One whose secret no longer
   * opens (another AGENTD_SECRETS_KEY) or that now points at agentd's own database is left out.
   */
  open(sessionId: string, options: SdkOptions): { database?: DatabaseToolSettings; kubernetes?: KubernetesToolSettings } {
    const enabled = new Set(options.builtin_tools ?? []);
    const opened: { database?: DatabaseToolSettings; kubernetes?: KubernetesToolSettings } = {};
    if (enabled.has('database') && options.database) {
      const dsn = this.tryOpen(options.database.dsn);
      if (dsn === undefined) this.warn('built-in database tool left out: its DSN cannot be decrypted', { session_id: sessionId });
      else if (this.isOwnDatabase(dsn)) this.warn("built-in database tool left out: its DSN points at agentd's own database", { session_id: sessionId });
      else {
        opened.database = {
          dsn,
          statementTimeoutMs: options.database.statement_timeout_ms ?? databaseToolDefaults.statementTimeoutMs,
          maxRows: options.database.max_rows ?? databaseToolDefaults.maxRows,
        };
      }
    }
    if (enabled.has('kubernetes_readonly') && options.kubernetes) {
      const kubeconfig = this.tryOpen(options.kubernetes.kubeconfig);
      if (kubeconfig === undefined) this.warn('built-in kubernetes_readonly tool left out: its kubeconfig cannot be decrypted', { session_id: sessionId });
      else opened.kubernetes = { kubeconfig, context: options.kubernetes.context };
    }
    return opened;
  }

  private isOwnDatabase(dsn: string): boolean {
    let target: DatabaseTarget;
    try {
      target = parseDatabaseDsn(dsn);
    } catch {
      return false; // checked when it was written; the tool refuses it again
    }
    return isOwnDatabase(target, this.ownDatabaseUrl);
  }

  private tryOpen(value: string | SealedSecret): string | undefined {
    if (!isSealed(value)) return value;
    try {
      return this.sealer.open(value.sealed);
    } catch {
      return undefined;
    }
  }
}

const forbidden = () => new DomainError('DATABASE_DSN_FORBIDDEN', "database.dsn points at agentd's own database; give the DSN of another database");

function sealDsn(sealer: SecretSealer, given: string | SealedSecret, previous: string | SealedSecret | undefined): SealedSecret {
  if (isSealed(given)) return given;
  if (isSealed(previous) && given === previous.shown) return previous;
  if (hasMaskedPassword(given)) throw new DomainError('DATABASE_DSN_INVALID', `database.dsn: "${MASK}" stands for the hidden password; give the real one`);
  parseDatabaseDsn(given);
  return { sealed: sealer.seal(given), shown: maskDsn(given) };
}

function sealKubeconfig(sealer: SecretSealer, options: KubernetesToolOptions, previous: string | SealedSecret | undefined): SealedSecret {
  const given = options.kubeconfig;
  if (isSealed(given)) return given;
  if (given === MASK) {
    if (!isSealed(previous)) throw new DomainError('KUBECONFIG_INVALID', `kubernetes.kubeconfig: "${MASK}" stands for a hidden kubeconfig; give the kubeconfig`);
    // The kept kubeconfig must still fit a context that may have changed.
    let kept: string;
    try {
      kept = sealer.open(previous.sealed);
    } catch {
      throw new DomainError('KUBECONFIG_INVALID', 'kubernetes.kubeconfig: the stored kubeconfig can no longer be read; give it again');
    }
    selectKubeconfig(kept, options.context);
    return previous;
  }
  selectKubeconfig(given, options.context);
  return { sealed: sealer.seal(given), shown: MASK };
}
