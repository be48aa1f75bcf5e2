/**
 * The port-53 advice for a real EACCES, produced by binding port 53 as the unprivileged user "nobody" in a
 * child process (switching users needs root, hence an integration test). The advice for conflicts is in
 * electron/engine/setup/diagnose.test.ts.
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { describeBindError } from '../../electron/engine/dns/bind-errors';
import { diagnosePort53 } from '../../electron/engine/setup/diagnose';
import { failureOf, LINUX_BASE } from '../../electron/engine/setup/test-support';

/** The error object a bind of 127.0.0.1:53 gives an unprivileged user, rebuilt from the child's report. */
function eaccesAsNobody(): NodeJS.ErrnoException {
  if (process.getuid?.() !== 0)
    throw new Error(
      'this test creates the unprivileged bind error with setpriv and needs root to switch users',
    );
  const script =
    "const s=require('dgram').createSocket('udp4');" +
    "s.on('error',e=>{process.stdout.write(JSON.stringify({code:e.code,errno:e.errno,syscall:e.syscall,address:e.address,port:e.port,message:e.message}));process.exit(0)});" +
    "s.bind({port:53,address:'127.0.0.1',exclusive:true},()=>{process.stdout.write('{}');process.exit(0)})";
  const out = execFileSync(
    'setpriv',
    ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '-e', script],
    { encoding: 'utf8', timeout: 10_000 },
  );
  const fields = JSON.parse(out) as Partial<NodeJS.ErrnoException>;
  if (!fields.code)
    throw new Error('the unprivileged bind of port 53 worked: is ip_unprivileged_port_start 0?');
  return Object.assign(new Error(fields.message), fields);
}

describe('privilege messages from a real EACCES', () => {
  const err = eaccesAsNobody();

  it('is the error Linux gives an unprivileged bind of port 53', () => {
    expect(err.code).toBe('EACCES');
    expect(err.syscall).toBe('bind');
  });

  it('Linux, serve: the exact setcap command for this node binary first, then the sysctl, and another port', () => {
    const advice = diagnosePort53({ ...LINUX_BASE, failures: [failureOf(err, '127.0.0.1', 53)] });
    expect(advice.map((a) => a.id)).toEqual(['linux-privileged-port', 'other-port']);
    const [permission, other] = advice;
    expect(permission!.severity).toBe('error');
    expect(permission!.text).toContain('Cannot listen on 127.0.0.1:53');
    expect(permission!.text).toContain('net.ipv4.ip_unprivileged_port_start = 1024');
    expect(permission!.commands).toEqual([
      "sudo setcap 'cap_net_bind_service=+ep' /usr/bin/node",
      "echo 'net.ipv4.ip_unprivileged_port_start=53' | sudo tee /etc/sysctl.d/60-dns-witness.conf",
      'sudo sysctl -w net.ipv4.ip_unprivileged_port_start=53',
    ]);
    expect(other!.text).toMatch(/router cannot use DNS Witness/);
    expect(other!.commands[0]).toBe(
      'sudo iptables -t nat -A PREROUTING -p udp --dport 53 -j REDIRECT --to-ports 5353',
    );
  });

  it('Linux, desktop app: the sysctl first; from an AppImage only the sysctl; paths with spaces quoted', () => {
    const failures = [failureOf(err, '192.168.0.23', 53)];
    const electron = diagnosePort53({
      ...LINUX_BASE,
      runtime: 'electron',
      execPath: '/opt/DNS Witness/dns-witness',
      failures,
    });
    expect(electron[0]!.commands[1]).toBe('sudo sysctl -w net.ipv4.ip_unprivileged_port_start=53');
    expect(electron[0]!.commands[2]).toBe(
      "sudo setcap 'cap_net_bind_service=+ep' '/opt/DNS Witness/dns-witness'",
    );
    const appImage = diagnosePort53({ ...LINUX_BASE, runtime: 'electron', appImage: true, failures });
    expect(appImage[0]!.commands.some((c) => c.includes('setcap'))).toBe(false);
  });

  it('macOS and Windows say what their OS needs', () => {
    const failures = [failureOf(err, '192.168.0.23', 53)];
    const mac = diagnosePort53({ ...LINUX_BASE, platform: 'darwin', failures });
    expect(mac[0]).toMatchObject({ id: 'macos-privileged-port', severity: 'error' });
    expect(mac[0]!.text).toContain('0.0.0.0:53');
    expect(mac.map((a) => a.id)).toContain('macos-firewall');
    const win = diagnosePort53({
      ...LINUX_BASE,
      platform: 'win32',
      execPath: 'C:\\Program Files\\DNS Witness\\DNS Witness.exe',
      failures,
    });
    expect(win[0]!.commands[0]).toBe('netsh interface ipv4 show excludedportrange protocol=udp');
    const firewall = win.find((a) => a.id === 'windows-firewall')!;
    expect(firewall.text).toContain('Allow access');
    expect(firewall.commands[0]).toBe(
      'netsh advfirewall firewall add rule name="DNS Witness (DNS UDP)" dir=in action=allow ' +
        'program="C:\\Program Files\\DNS Witness\\DNS Witness.exe" protocol=UDP localport=53 profile=private',
    );
  });

  it('the forwarder’s one-line status for the same error names the binary and the sysctl', () => {
    const line = describeBindError(err, '127.0.0.1', 53, 'udp', '', 'linux', '/usr/bin/node');
    expect(line).toContain('sudo setcap cap_net_bind_service=+ep /usr/bin/node');
    expect(line).toContain('net.ipv4.ip_unprivileged_port_start=53');
  });
});
