import { expect } from 'vitest';
import type { ApiResponse } from '../../support/server.ts';

/** Asserts the one error shape every failure has: {detail, error_code, timestamp, request_id}, nothing internal. */
export function expectError(response: ApiResponse, status: number, code?: string): void {
  const described = `${response.status} ${JSON.stringify(response.body)}`;
  expect(response.status, described).toBe(status);
  expect(response.body, described).toMatchObject({
    detail: expect.any(String),
    error_code: code ?? expect.stringMatching(/^[A-Z_]+$/),
    timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    request_id: expect.any(String),
  });
  const text = JSON.stringify(response.body);
  expect(text, 'an error body leaks internals').not.toMatch(/"stack"|\bat [^\s]+ \(|node_modules|\.ts:\d+/);
}
