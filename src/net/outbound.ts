import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { messageOf } from '../domain/errors.ts';

/** A host that the outbound policy refuses; the message says which address and why. */
export class OutboundDenied extends Error {}

/**
 * Where agentd itself may connect on a user's behalf (task webhooks, the database and kubernetes
 * tools): every address a host resolves to must lie outside the denied ranges. By default those
 * are the link-local ranges, where cloud metadata services answer with the machine's credentials.
 * The check resolves the name; a DNS answer that changes between the check and the connection is
 * not caught (the database tool connects to the checked address itself).
 */
export class OutboundPolicy {
  private readonly denied = new BlockList();

  constructor(
    /** CIDRs such as `169.254.0.0/16` or `fe80::/10`, or single addresses. */
    readonly deniedRanges: readonly string[],
    private readonly resolveTimeoutMs = 5000,
  ) {
    for (const range of deniedRanges) {
      const [address = '', bits] = range.split('/');
      const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
      if (bits === undefined) this.denied.addAddress(address, family);
      else this.denied.addSubnet(address, Number(bits), family);
    }
  }

  /** The addresses `host` resolves to, all allowed; throws OutboundDenied if one is not, an Error if it does not resolve. */
  async addressesOf(host: string): Promise<string[]> {
    const addresses = await resolveHost(host, this.resolveTimeoutMs);
    for (const address of addresses) {
      const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
      const mapped = family === 'ipv6' && /^::ffff:/i.test(address) ? address.slice(7) : undefined;
      if (this.denied.check(address, family) || (mapped !== undefined && this.denied.check(mapped, 'ipv4'))) {
        throw new OutboundDenied(`${host} (${address}) is in a range agentd does not connect to (AGENTD_OUTBOUND_DENY)`);
      }
    }
    return addresses;
  }
}

/** The addresses a host name resolves to (an address is itself), within `timeoutMs`. */
export async function resolveHost(host: string, timeoutMs: number): Promise<string[]> {
  const bare = host.replace(/^\[(.*)\]$/, '$1');
  if (isIP(bare)) return [bare];
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`could not resolve ${host} within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return (await Promise.race([lookup(bare, { all: true }), timeout])).map((found) => found.address);
  } catch (error) {
    throw new Error(`could not resolve ${host}: ${messageOf(error)}`, { cause: error });
  } finally {
    clearTimeout(timer);
  }
}
