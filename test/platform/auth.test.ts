import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { client, newUser, startWithAdmin, updateUser, type Client, type TestServer } from '../support/server.ts';
import { expectError } from './support/expect-error.ts';

let server: TestServer;
let admin: Client;
beforeAll(async () => {
  ({ server, admin } = await startWithAdmin());
});
afterAll(() => server.close());

const anonymous = () => client(server.url);
const uniqueName = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;

describe('register', () => {
  test('two users register with role user', async () => {
    const [first, second] = [uniqueName('ann'), uniqueName('bob')];
    const a = await anonymous().post('/api/v1/auth/register', { email: `${first}@example.test`, username: first, password: 'correct horse battery', full_name: 'Ann' });
    const b = await anonymous().post('/api/v1/auth/register', { email: `${second}@example.test`, username: second, password: 'correct horse battery' });
    expect(a.status).toBe(201);
    expect(b.status).toBe(201);
    expect(a.body).toMatchObject({ email: `${first}@example.test`, username: first, full_name: 'Ann', role: 'user', is_active: true, last_login_at: null });
    expect(b.body.role).toBe('user');
    expect(a.body.id).not.toBe(b.body.id);
    expect(a.body).not.toHaveProperty('password_hash');
    expect(JSON.stringify(a.body)).not.toContain('correct horse');
  });

  test('an email already taken, in any case, is 409 EMAIL_TAKEN', async () => {
    const name = uniqueName('dup');
    const first = await anonymous().post('/api/v1/auth/register', { email: `${name}@example.test`, username: name, password: 'correct horse battery' });
    expect(first.status).toBe(201);
    const again = await anonymous().post('/api/v1/auth/register', { email: `${name.toUpperCase()}@EXAMPLE.test`, username: `${name}-2`, password: 'correct horse battery' });
    expectError(again, 409, 'EMAIL_TAKEN');
  });

  test('racing registrations of one email: exactly one wins, the others get 409', async () => {
    const name = uniqueName('race');
    const attempts = await Promise.all(
      Array.from({ length: 5 }, (_, i) => anonymous().post('/api/v1/auth/register', { email: `${name}@example.test`, username: `${name}-${i}`, password: 'correct horse battery' })),
    );
    expect(attempts.filter((r) => r.status === 201)).toHaveLength(1);
    for (const lost of attempts.filter((r) => r.status !== 201)) expectError(lost, 409, 'EMAIL_TAKEN');
  });

  test('a username already taken is 409 USERNAME_TAKEN', async () => {
    const name = uniqueName('same');
    expect((await anonymous().post('/api/v1/auth/register', { email: `${name}@example.test`, username: name, password: 'correct horse battery' })).status).toBe(201);
    const again = await anonymous().post('/api/v1/auth/register', { email: `${name}-2@example.test`, username: name.toUpperCase(), password: 'correct horse battery' });
    expectError(again, 409, 'USERNAME_TAKEN');
  });
});

describe('login', () => {
  test('returns a bearer token pair that opens /me', async () => {
    const user = await newUser(server.url, 'login');
    const login = await anonymous().post('/api/v1/auth/login', { email: user.email.toUpperCase(), password: user.password });
    expect(login.status).toBe(200);
    expect(login.body).toEqual({ access_token: expect.any(String), refresh_token: expect.any(String), token_type: 'bearer', expires_in: 900 });
    const me = await client(server.url, login.body.access_token).get('/api/v1/auth/me');
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ id: user.userId, email: user.email, role: 'user', is_active: true });
    expect(me.body.last_login_at).not.toBeNull();
  });

  test('a wrong password or an unknown email is 401 INVALID_CREDENTIALS', async () => {
    const user = await newUser(server.url, 'badpw');
    expectError(await anonymous().post('/api/v1/auth/login', { email: user.email, password: 'not the password' }), 401, 'INVALID_CREDENTIALS');
    expectError(await anonymous().post('/api/v1/auth/login', { email: `${uniqueName('ghost')}@example.test`, password: user.password }), 401, 'INVALID_CREDENTIALS');
  });

  test('a disabled account cannot log in, and its live token stops working', async () => {
    const user = await newUser(server.url, 'disabled');
    await updateUser(admin, user.userId, { is_active: false });
    expectError(await anonymous().post('/api/v1/auth/login', { email: user.email, password: user.password }), 403, 'ACCOUNT_DISABLED');
    expectError(await user.get('/api/v1/auth/me'), 403, 'ACCOUNT_DISABLED');
  });
});

describe('refresh', () => {
  const login = async () => {
    const user = await newUser(server.url, 'refresh');
    const pair = await anonymous().post('/api/v1/auth/login', { email: user.email, password: user.password });
    return { user, pair: pair.body };
  };

  test('rotates: the new pair works and the old refresh token is spent', async () => {
    const { user, pair } = await login();
    const rotated = await anonymous().post('/api/v1/auth/refresh', { refresh_token: pair.refresh_token });
    expect(rotated.status).toBe(200);
    expect(rotated.body).toMatchObject({ token_type: 'bearer', expires_in: 900 });
    expect(rotated.body.refresh_token).not.toBe(pair.refresh_token);
    const me = await client(server.url, rotated.body.access_token).get('/api/v1/auth/me');
    expect(me.body.id).toBe(user.userId);
    const again = await anonymous().post('/api/v1/auth/refresh', { refresh_token: rotated.body.refresh_token });
    expect(again.status).toBe(200);
  });

  test('reusing a spent refresh token is 401 and revokes the newer token of its family', async () => {
    const { pair } = await login();
    const rotated = await anonymous().post('/api/v1/auth/refresh', { refresh_token: pair.refresh_token });
    expect(rotated.status).toBe(200);
    expectError(await anonymous().post('/api/v1/auth/refresh', { refresh_token: pair.refresh_token }), 401, 'INVALID_TOKEN');
    expectError(await anonymous().post('/api/v1/auth/refresh', { refresh_token: rotated.body.refresh_token }), 401, 'INVALID_TOKEN');
  });

  test('another login family is untouched by a reuse', async () => {
    const { user, pair } = await login();
    const other = (await anonymous().post('/api/v1/auth/login', { email: user.email, password: user.password })).body;
    await anonymous().post('/api/v1/auth/refresh', { refresh_token: pair.refresh_token });
    await anonymous().post('/api/v1/auth/refresh', { refresh_token: pair.refresh_token });
    expect((await anonymous().post('/api/v1/auth/refresh', { refresh_token: other.refresh_token })).status).toBe(200);
  });

  test('an access token is not a refresh token', async () => {
    const { pair } = await login();
    expectError(await anonymous().post('/api/v1/auth/refresh', { refresh_token: pair.access_token }), 401, 'INVALID_TOKEN');
    expectError(await client(server.url, pair.refresh_token).get('/api/v1/auth/me'), 401, 'INVALID_TOKEN');
  });
});

test('/me without a token is 401 UNAUTHENTICATED', async () => {
  expectError(await anonymous().get('/api/v1/auth/me'), 401, 'UNAUTHENTICATED');
});
