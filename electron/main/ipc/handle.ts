import { ipcMain } from 'electron';
import type { IpcMainInvokeEvent } from 'electron';
import {
  parseRequestArgs,
  type RequestArgs,
  type RequestChannel,
  type RequestResult,
} from '@shared/contract';
import { isTrustedSender } from './trusted-windows';

/** A request handler: receives arguments that already passed the channel's schema. */
export type RequestHandler<K extends RequestChannel> = (
  args: RequestArgs<K>,
  event: IpcMainInvokeEvent,
) => RequestResult<K> | Promise<RequestResult<K>>;

/**
 * Registers `fn` for `channel`. The renderer's promise rejects, without `fn` running, when the sender is
 * not one of our windows' top frames on app://dns-witness or when the arguments fail the schema.
 */
export function handle<K extends RequestChannel>(channel: K, fn: RequestHandler<K>): void {
  // Re-registering replaces the handler instead of throwing, so setup may run again (macOS re-activation).
  ipcMain.removeHandler(channel);
  ipcMain.handle(channel, async (event, ...args: unknown[]) => {
    if (!isTrustedSender(event)) {
      console.warn(
        `[ipc] refused ${channel} from an untrusted sender (${event.senderFrame?.url ?? 'no frame'})`,
      );
      throw new Error(`${channel}: refused, the sender is not a DNS Witness window`);
    }
    if (args.length > 1) throw new Error(`invalid arguments for ${channel}: expected at most one argument`);
    return fn(parseRequestArgs(channel, args[0]), event);
  });
}
