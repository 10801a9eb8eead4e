import { DomainError } from '../domain/errors.ts';

/**
 * A small multipart/form-data reader for one uploaded document plus a few text fields: enough for
 * an import form, without a streaming parser. The whole body is already bounded by the body limit.
 * Returns the fields by name; a file part is returned under its field name with its filename.
 */
export function readMultipart(contentType: string | undefined, body: Buffer): Map<string, { value: string; filename?: string | undefined }> {
  const boundary = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType ?? '');
  const marker = boundary?.[1] ?? boundary?.[2];
  if (!marker) throw new DomainError('VALIDATION_ERROR', 'multipart body without a boundary');
  // latin1 maps bytes 1:1 to characters, so splitting cannot break a UTF-8 sequence.
  const raw = body.toString('latin1');
  const fields = new Map<string, { value: string; filename?: string | undefined }>();
  const parts = raw.split(`--${marker}`);
  for (const part of parts.slice(1)) {
    if (part.startsWith('--')) break;
    const headerEnd = part.indexOf('\r\n\r\n');
    if (headerEnd < 0) throw new DomainError('VALIDATION_ERROR', 'malformed multipart part');
    const headers = part.slice(0, headerEnd);
    const disposition = /content-disposition:[^\r\n]*/i.exec(headers)?.[0] ?? '';
    const name = /\bname="([^"]*)"/i.exec(disposition)?.[1];
    if (!name) continue;
    const filename = /\bfilename="([^"]*)"/i.exec(disposition)?.[1];
    const content = part.slice(headerEnd + 4).replace(/\r\n$/, '');
    fields.set(name, { value: Buffer.from(content, 'latin1').toString('utf8'), filename });
  }
  return fields;
}

/** The import request from a form: `file` (or `document`), and optional `format`, `variables` (JSON), `is_global`. */
export function importRequestOfForm(fields: ReturnType<typeof readMultipart>): Record<string, unknown> {
  const file = fields.get('file') ?? fields.get('document');
  if (!file) throw new DomainError('VALIDATION_ERROR', 'the form needs a "file" part holding the document');
  const request: Record<string, unknown> = { document: file.value };
  const format = fields.get('format')?.value ?? (/\.ya?ml$/i.test(file.filename ?? '') ? 'yaml' : /\.json$/i.test(file.filename ?? '') ? 'json' : undefined);
  if (format !== undefined) request.format = format;
  const variables = fields.get('variables')?.value;
  if (variables !== undefined) {
    try {
      request.variables = JSON.parse(variables);
    } catch {
      throw new DomainError('VALIDATION_ERROR', 'the "variables" field must be a JSON object');
    }
  }
  const global = fields.get('is_global')?.value;
  if (global !== undefined) request.is_global = global === 'true';
  return request;
}
