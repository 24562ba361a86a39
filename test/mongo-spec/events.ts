import type { CapturedEvent } from './entities';
import { isDoc, type ExpectedEventsForClient } from './format';
import { assertMatches, MatchError, type EntityLookup } from './match';

/**
 * expectEvents for one client: the observed command events, in order, against the expected ones. The
 * command and reply documents are root documents (extra fields such as lsid or $db are allowed).
 */
export function assertEvents(expected: ExpectedEventsForClient, actual: CapturedEvent[], entity: EntityLookup): void {
  if ((expected.eventType ?? 'command') !== 'command') throw new MatchError(`${expected.eventType ?? ''} events are not implemented by this runner`);
  const tooFew = actual.length < expected.events.length;
  const tooMany = !expected.ignoreExtraEvents && actual.length > expected.events.length;
  if (tooFew || tooMany) {
    const names = actual.map((event) => `${event.type}(${event.commandName})`).join(', ');
    throw new MatchError(`${expected.client}: expected ${expected.events.length} events, observed ${actual.length}: ${names}`);
  }
  expected.events.forEach((wanted, index) => {
    const [type, assertions] = Object.entries(wanted)[0] ?? [];
    const event = actual[index] as CapturedEvent;
    const path = `${expected.client} event ${index}`;
    if (event.type !== type) throw new MatchError(`${path}: expected ${String(type)}, observed ${event.type}(${event.commandName})`);
    if (!isDoc(assertions)) return;
    if (assertions.commandName !== undefined && assertions.commandName !== event.commandName) {
      throw new MatchError(`${path}: expected command ${String(assertions.commandName)}, observed ${event.commandName}`);
    }
    if (assertions.databaseName !== undefined && assertions.databaseName !== event.databaseName) {
      throw new MatchError(`${path}: expected database ${String(assertions.databaseName)}, observed ${event.databaseName}`);
    }
    if (assertions.hasServiceId !== undefined && assertions.hasServiceId !== event.hasServiceId) throw new MatchError(`${path}: hasServiceId`);
    if (assertions.hasServerConnectionId !== undefined && assertions.hasServerConnectionId !== event.hasServerConnectionId) {
      throw new MatchError(`${path}: hasServerConnectionId`);
    }
    if (assertions.command !== undefined) assertMatches(assertions.command, event.command, { root: true, entity, path: `${path}.command` });
    if (assertions.reply !== undefined) assertMatches(assertions.reply, event.reply, { root: true, entity, path: `${path}.reply` });
  });
}
