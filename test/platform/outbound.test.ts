import { expect, test } from 'vitest';
import { OutboundDenied, OutboundPolicy } from '../../src/net/outbound.ts';
import { loadConfig } from '../../src/config/config.ts';

test('by default the link-local ranges (cloud metadata) are refused, in every spelling; other addresses pass', async () => {
  const policy = new OutboundPolicy(loadConfig({}).AGENTD_OUTBOUND_DENY);
  for (const host of ['169.254.169.254', '[::ffff:169.254.169.254]', '::ffff:a9fe:a9fe', 'fe80::1', '[fe80::1]']) {
    await expect(policy.addressesOf(host), host).rejects.toBeInstanceOf(OutboundDenied);
  }
  await expect(policy.addressesOf('169.254.169.254')).rejects.toThrow(/169\.254\.169\.254.*AGENTD_OUTBOUND_DENY/);
  for (const host of ['127.0.0.1', '10.1.2.3', '::1', 'localhost']) expect((await policy.addressesOf(host)).length, host).toBeGreaterThan(0);
});

test('AGENTD_OUTBOUND_DENY takes ranges and single addresses; a bad entry stops start-up naming the variable', async () => {
  const policy = new OutboundPolicy(loadConfig({ AGENTD_OUTBOUND_DENY: '10.0.0.0/8, 127.0.0.2' }).AGENTD_OUTBOUND_DENY);
  await expect(policy.addressesOf('10.200.0.1')).rejects.toBeInstanceOf(OutboundDenied);
  await expect(policy.addressesOf('127.0.0.2')).rejects.toBeInstanceOf(OutboundDenied);
  expect(await policy.addressesOf('127.0.0.1')).toEqual(['127.0.0.1']);
  expect(await policy.addressesOf('169.254.169.254')).toEqual(['169.254.169.254']);
  expect(() => loadConfig({ AGENTD_OUTBOUND_DENY: 'metadata.internal' })).toThrow(/AGENTD_OUTBOUND_DENY/);
});
