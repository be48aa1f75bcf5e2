/**
 * The first-run setup assistant's data: this computer's addresses and whether DNS Witness can answer on port 53
 * there, what stands in the way on this OS (with the exact command), the self-test, the live "first query from
 * your router" check, and what the user changed on the router, so "Stop and restore" can say what to set back.
 */
import { z } from 'zod';
import { ROUTER_BRAND_IDS, type RouterBrand } from './router-guides';

/**
 * Port 53 on one address: `listening` (DNS Witness answers there), `error` (its listener failed, see detail),
 * `free` (not configured, but it could bind), `in-use` (another program holds it), `denied` (needs permission).
 */
export type PortState = 'listening' | 'error' | 'free' | 'in-use' | 'denied' | 'unknown';

/** One address of this computer, as a router would use it. */
export interface LanAddress {
  /** Interface name ("eth0", "Wi-Fi", "en0"). */
  readonly iface: string;
  readonly address: string;
  readonly family: 4 | 6;
  /** The DNS port checked: DNS Witness's own port on this address, else 53. */
  readonly port: number;
  readonly state: PortState;
  /** One line: why, and what to do, when state is not 'listening'. */
  readonly detail: string;
  /** The program holding the port ("systemd-resolve (pid 512)"), "" when none or unknown. */
  readonly holder: string;
}

/** Something in the way of port 53 on this OS, or worth knowing, with the exact commands that fix it. */
export interface SetupAdvice {
  /** Stable id, e.g. "linux-privileged-port", "systemd-resolved", "dnsmasq", "windows-ics", "windows-firewall". */
  readonly id: string;
  readonly severity: 'error' | 'warning' | 'info';
  readonly title: string;
  readonly text: string;
  /** Commands to run as they are (one per entry), in order of preference. */
  readonly commands: readonly string[];
}

/** What the user did on the router, saved so the restore guidance can list exactly what to set back. */
export interface SetupProgress {
  readonly brand: RouterBrand | '';
  /** The router's own (Internet/WAN) DNS now points at this computer. */
  readonly wanChanged: boolean;
  /** The router's DHCP server now gives devices this computer as their DNS. */
  readonly dhcpChanged: boolean;
  /** What the WAN DNS was before, as the user noted it ("" = automatic / from the provider). */
  readonly previousWan: string;
  /** What the DHCP DNS was before ("" = empty, i.e. the router itself). */
  readonly previousDhcp: string;
  /** The assistant was finished or dismissed: it no longer opens by itself. */
  readonly done: boolean;
}

export const NO_PROGRESS: SetupProgress = {
  brand: '',
  wanChanged: false,
  dhcpChanged: false,
  previousWan: '',
  previousDhcp: '',
  done: false,
};

export interface SetupState {
  /** Nothing was saved yet and the assistant was never finished or dismissed: it opens by itself. */
  readonly firstRun: boolean;
  readonly platform: 'linux' | 'darwin' | 'win32' | 'other';
  readonly addresses: readonly LanAddress[];
  readonly advice: readonly SetupAdvice[];
  /** The router's addresses (default gateways, --router, saved). */
  readonly routers: readonly string[];
  /** The router's latest query at or after the request's `since`; null while none arrived. */
  readonly routerQuery: { readonly address: string; readonly ts: number } | null;
  /** A capture is running (queries are recorded). */
  readonly capturing: boolean;
  readonly progress: SetupProgress;
}

/** One query DNS Witness sent to one of its own listeners. */
export interface SelfTestResult {
  readonly address: string;
  readonly port: number;
  readonly ok: boolean;
  /** "NXDOMAIN" (the expected answer for the reserved test name), "SERVFAIL", or "" when nothing came back. */
  readonly rcode: string;
  readonly latencyMs: number;
  /** The upstream that answered, "" when none did. */
  readonly upstream: string;
  /** One line for the user. */
  readonly message: string;
}

export interface SetupStateRequest {
  /** Epoch ms: report the router's queries from this time on (0: any since the engine started). */
  readonly since: number;
  /** false: leave out the addresses and advice (no socket tools run), for a quick first-run check. */
  readonly survey?: boolean;
}

export const setupStateSchema = z
  .object({ since: z.number().finite().nonnegative(), survey: z.boolean().optional() })
  .strict();

const previousSchema = z
  .string()
  .max(200)
  .transform((s) => s.trim())
  .refine((s) => !/\p{Cc}/u.test(s), 'The previous setting cannot contain control characters.');

export const setupProgressSchema = z
  .object({
    brand: z.enum([...ROUTER_BRAND_IDS, '']).optional(),
    wanChanged: z.boolean().optional(),
    dhcpChanged: z.boolean().optional(),
    previousWan: previousSchema.optional(),
    previousDhcp: previousSchema.optional(),
    done: z.boolean().optional(),
  })
  .strict();

export type SetupProgressChange = z.infer<typeof setupProgressSchema>;
