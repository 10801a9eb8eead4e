import type { Page, SdkOptions, SessionTemplate } from '../domain/entities.ts';
import { DomainError } from '../domain/errors.ts';
import { canSee, isAdmin, type Actor } from '../domain/roles.ts';
import type { SessionMode } from '../domain/session-status.ts';
import type { PageRequest, Store } from '../ports/repositories.ts';
import { auditOf } from './audit-service.ts';
import { assertCanWrite, type CreateSessionInput, type SessionTemplateSource } from './session-service.ts';
import type { ToolSecrets } from './tool-secrets.ts';

export interface TemplateInput {
  name: string;
  description?: string | null | undefined;
  category?: string | null | undefined;
  sdk_options?: SdkOptions | undefined;
  default_mode?: SessionMode | undefined;
  is_public?: boolean | undefined;
}

export type TemplateChange = Partial<TemplateInput>;

const templateNotFound = () => new DomainError('TEMPLATE_NOT_FOUND', 'Session template not found');

/**
 * Session templates: private to their owner unless public; a public template is readable by
 * everyone and changeable by its owner (and admins) only.
 */
export class TemplateService implements SessionTemplateSource {
  constructor(
    private readonly store: Store,
    private readonly toolSecrets: ToolSecrets,
  ) {}

  async create(actor: Actor, input: TemplateInput): Promise<SessionTemplate> {
    assertCanWrite(actor);
    const sdkOptions = this.toolSecrets.seal(input.sdk_options ?? {});
    assertNoSharedCredentials(input.is_public ?? false, sdkOptions);
    return this.store.transaction(async (repos) => {
      const template = await repos.templates.insert({
        userId: actor.userId,
        name: input.name,
        description: input.description ?? null,
        category: input.category ?? null,
        sdkOptions,
        defaultMode: input.default_mode ?? 'interactive',
        isPublic: input.is_public ?? false,
      });
      await repos.audit.insert(auditOf(actor, { eventType: 'template.created', category: 'session', resourceType: 'session_template', resourceId: template.id, details: { is_public: template.isPublic } }));
      return template;
    });
  }

  /** The actor's own templates and every public one; admins see all. */
  list(actor: Actor, filter: { category?: string | undefined }, page: PageRequest): Promise<Page<SessionTemplate>> {
    return this.store.templates.listVisible({ ...filter, userId: isAdmin(actor) ? undefined : actor.userId }, page);
  }

  /** A template the actor may see; another user's private template is not found, not forbidden. */
  async get(actor: Actor, id: string): Promise<SessionTemplate> {
    const template = await this.store.templates.findById(id);
    if (!template || !(template.isPublic || canSee(actor, template.userId))) throw templateNotFound();
    return template;
  }

  async update(actor: Actor, id: string, change: TemplateChange): Promise<SessionTemplate> {
    const current = await this.getOwned(actor, id);
    const sdkOptions = change.sdk_options && this.toolSecrets.seal(change.sdk_options, current.sdkOptions);
    assertNoSharedCredentials(change.is_public ?? current.isPublic, sdkOptions ?? current.sdkOptions);
    return this.store.transaction(async (repos) => {
      const template = await repos.templates.update(id, {
        name: change.name,
        description: change.description,
        category: change.category,
        sdkOptions,
        defaultMode: change.default_mode,
        isPublic: change.is_public,
      });
      if (!template) throw templateNotFound();
      await repos.audit.insert(auditOf(actor, { eventType: 'template.updated', category: 'session', resourceType: 'session_template', resourceId: id, details: { fields: Object.keys(change) } }));
      return template;
    });
  }

  async delete(actor: Actor, id: string): Promise<void> {
    await this.getOwned(actor, id);
    await this.store.transaction(async (repos) => {
      if (!(await repos.templates.delete(id))) throw templateNotFound();
      await repos.audit.insert(auditOf(actor, { eventType: 'template.deleted', category: 'session', resourceType: 'session_template', resourceId: id }));
    });
  }

  /**
   * The session a template describes, with the request's values on top: sdk_options merged key by
   * key, the mode from default_mode and the template's name unless the request gives its own.
   */
  async applyTo(actor: Actor, templateId: string, input: CreateSessionInput): Promise<CreateSessionInput> {
    const template = await this.get(actor, templateId);
    return {
      ...input,
      name: input.name ?? template.name,
      mode: input.mode ?? template.defaultMode,
      sdk_options: { ...template.sdkOptions, ...input.sdk_options },
    };
  }

  /** For changes: visible and owned (or an admin); a visible public template of someone else is forbidden. */
  private async getOwned(actor: Actor, id: string): Promise<SessionTemplate> {
    const template = await this.get(actor, id);
    assertCanWrite(actor);
    if (!canSee(actor, template.userId)) throw new DomainError('FORBIDDEN', "Only the template's owner can change it");
    return template;
  }
}

/**
 * A public template is used by everyone, and its sealed credentials would work for them all
 * (another user's database or cluster, unseen but usable): public templates carry none.
 */
function assertNoSharedCredentials(isPublic: boolean, options: SdkOptions): void {
  if (isPublic && (options.database || options.kubernetes)) {
    throw new DomainError('TEMPLATE_CREDENTIALS_PUBLIC', 'A public template cannot carry database or kubernetes credentials: everyone using it would act with them');
  }
}
