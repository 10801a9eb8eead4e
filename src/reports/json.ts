import type { ReportDocument } from './document.ts';

/** Bumped when a field changes meaning or goes away; new fields do not bump it. */
export const reportSchemaVersion = 1;

/** The whole document, machine-readable: stored content of messages and tool calls included. */
export const renderJson = (doc: ReportDocument): string => `${JSON.stringify({ schema_version: reportSchemaVersion, ...doc }, null, 2)}\n`;
