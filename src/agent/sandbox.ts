import { existsSync, mkdirSync, realpathSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where the model socket appears inside the sandbox. */
export const SANDBOX_MODEL_SOCKET = '/run/agent/model.sock';

export interface SandboxMounts {
  /** The session's working directory: read-write. */
  cwd: string;
  /** The tenant's CLAUDE_CONFIG_DIR and HOME: read-write. */
  configDir: string;
  homeDir: string;
  /** The model socket on the host. */
  modelSocket: string;
  /** A directory holding the synthetic passwd and group files. */
  etcDir: string;
}

// The project's packages (the agent binary, MCP servers run with this Node): read-only, at the same path.
const nodeModules = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'node_modules');

/** Writes the passwd and group files the sandbox shows (root only; the user namespace maps it). */
export function writeSandboxEtc(dir: string): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'passwd'), 'root:x:0:0:agent:/nonexistent:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n');
  writeFileSync(path.join(dir, 'group'), 'root:x:0:\nnogroup:x:65534:\n');
  return dir;
}

/**
 * The bubblewrap command line that confines one agent: its own user, pid, ipc, uts and network
 * namespaces, no capabilities, the system read-only, and nothing of the host's files but the
 * session's directory, the tenant's agent config and home, and the model socket. Tools the agent
 * starts (Bash, stdio MCP servers) inherit all of it. No secret may appear here: the agent can
 * read its own command line.
 */
export function bubblewrapArgs(command: string, mounts: SandboxMounts): string[] {
  const binary = realpathSync(command);
  const readOnly = (source: string, target = source) => (existsSync(source) ? ['--ro-bind', source, target] : []);
  return [
    '--die-with-parent',
    '--new-session',
    '--unshare-user',
    '--unshare-pid',
    '--unshare-ipc',
    '--unshare-uts',
    '--unshare-cgroup-try',
    '--unshare-net',
    '--disable-userns',
    '--cap-drop',
    'ALL',
    '--ro-bind',
    '/usr',
    '/usr',
    '--symlink',
    'usr/bin',
    '/bin',
    '--symlink',
    'usr/sbin',
    '/sbin',
    '--symlink',
    'usr/lib',
    '/lib',
    ...(existsSync('/lib64') ? ['--symlink', 'usr/lib64', '/lib64'] : []),
    ...readOnly('/etc/ssl'),
    ...readOnly('/etc/ca-certificates'),
    ...readOnly('/etc/alternatives'),
    ...readOnly('/etc/localtime'),
    ...readOnly(path.join(mounts.etcDir, 'passwd'), '/etc/passwd'),
    ...readOnly(path.join(mounts.etcDir, 'group'), '/etc/group'),
    '--proc',
    '/proc',
    '--dev',
    '/dev',
    '--tmpfs',
    '/tmp',
    '--tmpfs',
    '/run',
    '--bind',
    mounts.modelSocket,
    SANDBOX_MODEL_SOCKET,
    ...readOnly(nodeModules),
    ...(binary.startsWith(`${nodeModules}/`) ? [] : ['--ro-bind', binary, binary]),
    '--bind',
    mounts.configDir,
    mounts.configDir,
    '--bind',
    mounts.homeDir,
    mounts.homeDir,
    '--bind',
    mounts.cwd,
    mounts.cwd,
    '--chdir',
    mounts.cwd,
    '--',
    binary,
  ];
}
