import { rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { openDatabase } from '../../src/db/connection.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    pgliteTemplate: string;
  }
}

/** Migrates one embedded database for the whole run; each test file starts from a copy (~1 s instead of ~5 s). */
export default async function setup(project: TestProject) {
  const file = path.join(os.tmpdir(), `agentd-pglite-template-${process.pid}.tar`);
  if (!process.env.DATABASE_URL) {
    const db = await openDatabase({});
    await writeFile(file, Buffer.from(await (await db.dump!()).arrayBuffer()));
    await db.close();
  }
  project.provide('pgliteTemplate', file);
  return () => rm(file, { force: true });
}
