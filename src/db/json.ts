/**
 * PostgreSQL refuses the NUL character in text and jsonb, and agents do print it (binary files,
 * tool output). Stored JSON gets U+FFFD in its place instead of failing the write.
 */
export function storableJson<T>(value: T): T {
  const text = JSON.stringify(value);
  if (text === undefined || !text.includes('\\u0000')) return value;
  return replaceNul(value) as T;
}

function replaceNul(value: unknown): unknown {
  if (typeof value === 'string') return value.replaceAll('\0', '\uFFFD');
  if (Array.isArray(value)) return value.map(replaceNul);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [replaceNul(k), replaceNul(v)]));
  return value;
}
