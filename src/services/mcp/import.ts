import type { Actor } from '../../domain/roles.ts';
import type { NewMcpServer, Store } from '../../ports/repositories.ts';
import { auditOf } from '../audit-service.ts';
import { DomainError } from '../../domain/errors.ts';
import { MASKED, describeIssue, serverDefinition, serverName } from './definition.ts';
import { DocumentError, definitionOfEntry, serversOfDocument, type DocumentFormat } from './documents.ts';
import { recordOf } from './records.ts';
import type { SecretBox } from './secret-box.ts';

export interface ImportRequest {
  document: string | Record<string, unknown>;
  format?: DocumentFormat | undefined;
  /** Values for `${VAR}` in the document: only these, never the server's own environment. */
  variables?: Record<string, string> | undefined;
  is_global?: boolean | undefined;
}

export interface ImportProblem {
  name: string;
  detail: string;
}

export interface ImportOutcome {
  imported_count: number;
  skipped_count: number;
  imported: string[];
  skipped: string[];
  errors: ImportProblem[];
  warnings: ImportProblem[];
}

/**
 * Every valid entry whose name the owner does not have yet is created, in one transaction with
 * one audit row. A masked secret (as in an export) cannot be stored: that key is left out, with a warning.
 */
export async function importServers(store: Store, box: SecretBox, actor: Actor, request: ImportRequest): Promise<ImportOutcome> {
  let entries: Record<string, unknown>;
  try {
    entries = serversOfDocument(request.document, request.format);
  } catch (error) {
    if (error instanceof DocumentError) throw new DomainError('VALIDATION_ERROR', `Invalid document: ${error.message}`);
    throw error;
  }
  const owner = request.is_global ? null : actor.userId;
  const taken = new Set((await store.mcpServers.listOwned(owner)).map((server) => server.name));
  const outcome: ImportOutcome = { imported_count: 0, skipped_count: 0, imported: [], skipped: [], errors: [], warnings: [] };
  const rows: NewMcpServer[] = [];
  for (const [name, entry] of Object.entries(entries)) {
    const validName = serverName.safeParse(name);
    if (!validName.success) {
      outcome.errors.push({ name, detail: `name: ${describeIssue(validName.error)}` });
    } else if (taken.has(name)) {
      outcome.skipped.push(name);
    } else {
      try {
        const parsed = serverDefinition.safeParse(definitionOfEntry(name, entry, request.variables ?? {}));
        if (!parsed.success) throw new DocumentError(describeIssue(parsed.error));
        const definition = parsed.data;
        const dropMasked = (map: Record<string, string>, kind: string) =>
          Object.fromEntries(
            Object.entries(map).filter(([key, value]) => {
              if (value === MASKED) outcome.warnings.push({ name, detail: `${kind}.${key} was masked in the document and was not imported; set it with PATCH` });
              return value !== MASKED;
            }),
          );
        const unmasked = definition.server_type === 'stdio' ? { ...definition, env: dropMasked(definition.env, 'env') } : { ...definition, headers: dropMasked(definition.headers, 'headers') };
        rows.push(recordOf(box, unmasked, owner));
        taken.add(name);
      } catch (error) {
        if (!(error instanceof DocumentError)) throw error;
        outcome.errors.push({ name, detail: error.message });
      }
    }
  }
  outcome.imported = rows.map((row) => row.name);
  outcome.imported_count = rows.length;
  outcome.skipped_count = outcome.skipped.length;
  await store.transaction(async (repos) => {
    const ids: string[] = [];
    for (const row of rows) ids.push((await repos.mcpServers.insert(row)).id);
    await repos.audit.insert(
      auditOf(actor, {
        eventType: 'mcp_server.imported',
        category: 'tool',
        resourceType: 'mcp_server',
        details: { is_global: owner === null, imported: outcome.imported, ids, skipped: outcome.skipped, failed: outcome.errors.map((e) => e.name) },
      }),
    );
  });
  return outcome;
}
