import { expect, test } from 'vitest';
import { decide } from '../../src/ratelimit/windows.ts';

const minute = { limit: 5, windowSeconds: 60 };
const hour = { limit: 100, windowSeconds: 3600 };
const at = Date.UTC(2026, 10, 27, 10, 59, 30); // 30 s before the minute ends, 30 s before the hour ends

test('within every limit: the one with the fewest requests left is reported', () => {
  expect(decide([minute, hour], [2, 98], at)).toEqual({ allowed: true, limit: 100, windowSeconds: 3600, remaining: 2, resetSeconds: 30 });
  expect(decide([minute, hour], [4, 10], at)).toMatchObject({ allowed: true, limit: 5, remaining: 1 });
});

test('over a limit: refused, and told to wait for the exceeded window that resets last', () => {
  const later = Date.UTC(2026, 10, 27, 10, 20, 10);
  expect(decide([minute, hour], [6, 10], later)).toEqual({ allowed: false, limit: 5, windowSeconds: 60, remaining: 0, resetSeconds: 50 });
  expect(decide([minute, hour], [6, 101], later)).toEqual({ allowed: false, limit: 100, windowSeconds: 3600, remaining: 0, resetSeconds: 2390 });
  expect(decide([minute], [5], later).allowed).toBe(true);
});
