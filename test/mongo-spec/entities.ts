import {
  MongoClient,
  ReadConcern,
  ReadPreference,
  type ReadConcernLevel,
  type TagSet,
  type Collection,
  type CommandFailedEvent,
  type CommandStartedEvent,
  type CommandSucceededEvent,
  type Db,
  type MongoClientOptions,
    type ReadPreferenceMode,
  type WriteConcernSettings,
} from 'mongodb';
import { isDoc, type Doc } from './format';

/** One observed command monitoring event, in the shape expectEvents talks about. */
export interface CapturedEvent {
  type: 'commandStartedEvent' | 'commandSucceededEvent' | 'commandFailedEvent';
  commandName: string;
  databaseName: string;
  command?: Doc;
  reply?: Doc;
  hasServiceId: boolean;
  hasServerConnectionId: boolean;
}

/** Commands whose events the format says to ignore unless `observeSensitiveCommands` is set. */
const SENSITIVE_COMMANDS = new Set([
  'authenticate', 'saslStart', 'saslContinue', 'getnonce', 'createUser', 'updateUser', 'copydbgetnonce', 'copydbsaslstart', 'copydb',
]);

export class ClientEntity {
  readonly events: CapturedEvent[] = [];
  private capturing = true;

  constructor(
    readonly client: MongoClient,
    private readonly observe: Set<string>,
    private readonly ignore: Set<string>,
    private readonly observeSensitive: boolean,
  ) {
    client.on('commandStarted', (event: CommandStartedEvent) => this.record('commandStartedEvent', event, { command: event.command as Doc }));
    client.on('commandSucceeded', (event: CommandSucceededEvent) => this.record('commandSucceededEvent', event, { reply: event.reply as Doc }));
    client.on('commandFailed', (event: CommandFailedEvent) => this.record('commandFailedEvent', event, {}));
  }

  private record(
    type: CapturedEvent['type'],
    event: CommandStartedEvent | CommandSucceededEvent | CommandFailedEvent,
    payload: { command?: Doc; reply?: Doc },
  ): void {
    if (!this.capturing || !this.observe.has(type)) return;
    if (event.commandName === 'configureFailPoint' || this.ignore.has(event.commandName)) return;
    if (!this.observeSensitive && SENSITIVE_COMMANDS.has(event.commandName)) return;
    this.events.push({
      type,
      commandName: event.commandName,
      databaseName: event.databaseName,
      ...payload,
      hasServiceId: event.serviceId !== undefined,
      hasServerConnectionId: event.serverConnectionId !== null && event.serverConnectionId !== undefined,
    });
  }

  /** The format: listeners are disabled once the operations are done (closing sends endSessions). */
  stopCapturing(): void {
    this.capturing = false;
  }
}

type Entity =
  | { kind: 'client'; value: ClientEntity }
  | { kind: 'database'; value: Db }
  | { kind: 'collection'; value: Collection<Doc> }
  | { kind: 'result'; value: unknown };

/** The per-test entity map: created from createEntities, cleared (clients closed) after each test. */
export class EntityMap {
  private readonly entities = new Map<string, Entity>();

  constructor(private readonly uri: string) {}

  async create(definitions: Doc[]): Promise<void> {
    for (const definition of definitions) {
      const [kind, spec] = Object.entries(definition)[0] ?? [];
      if (!kind || !isDoc(spec) || typeof spec.id !== 'string') throw new Error(`malformed entity ${JSON.stringify(definition)}`);
      if (this.entities.has(spec.id)) throw new Error(`duplicate entity ${spec.id}`);
      this.entities.set(spec.id, await this.build(kind, spec));
    }
  }

  private async build(kind: string, spec: Doc): Promise<Entity> {
    switch (kind) {
      case 'client':
        return { kind: 'client', value: await this.buildClient(spec) };
      case 'database': {
        const client = this.client(String(spec.client)).client;
        return { kind: 'database', value: client.db(String(spec.databaseName), collectionOptions(spec.databaseOptions)) };
      }
      case 'collection': {
        const db = this.database(String(spec.database));
        return { kind: 'collection', value: db.collection<Doc>(String(spec.collectionName), collectionOptions(spec.collectionOptions)) };
      }
      default:
        // session, bucket, thread, clientEncryption…: no CRUD test that is run needs them.
        throw new Error(`unsupported entity type ${kind}`);
    }
  }

  private async buildClient(spec: Doc): Promise<ClientEntity> {
    const uriOptions = isDoc(spec.uriOptions) ? spec.uriOptions : {};
    if (spec.serverApi !== undefined) throw new Error('serverApi clients are not supported by this runner');
    const client = new MongoClient(this.uri, { serverSelectionTimeoutMS: 5_000, ...(uriOptions as MongoClientOptions), monitorCommands: true });
    const entity = new ClientEntity(
      client,
      new Set(stringArray(spec.observeEvents)),
      new Set(stringArray(spec.ignoreCommandMonitoringEvents)),
      spec.observeSensitiveCommands === true,
    );
    await client.connect();
    return entity;
  }

  private get(name: string): Entity {
    const entity = this.entities.get(name);
    if (!entity) throw new Error(`no entity named ${name}`);
    return entity;
  }

  client(name: string): ClientEntity {
    const entity = this.get(name);
    if (entity.kind !== 'client') throw new Error(`${name} is a ${entity.kind}, not a client`);
    return entity.value;
  }

  database(name: string): Db {
    const entity = this.get(name);
    if (entity.kind !== 'database') throw new Error(`${name} is a ${entity.kind}, not a database`);
    return entity.value;
  }

  collection(name: string): Collection<Doc> {
    const entity = this.get(name);
    if (entity.kind !== 'collection') throw new Error(`${name} is a ${entity.kind}, not a collection`);
    return entity.value;
  }

  kindOf(name: string): Entity['kind'] {
    return this.get(name).kind;
  }

  /** A BSON value saved with saveResultAsEntity (for `$$matchesEntity`). */
  value(name: string): unknown {
    const entity = this.get(name);
    if (entity.kind !== 'result') throw new Error(`${name} is a ${entity.kind}, not a saved value`);
    return entity.value;
  }

  save(name: string, value: unknown): void {
    if (this.entities.has(name)) throw new Error(`duplicate entity ${name}`);
    this.entities.set(name, { kind: 'result', value });
  }

  clients(): [string, ClientEntity][] {
    return [...this.entities].flatMap(([name, entity]) => (entity.kind === 'client' ? [[name, entity.value] as [string, ClientEntity]] : []));
  }

  async close(): Promise<void> {
    for (const [, client] of this.clients()) {
      client.stopCapturing();
      await client.client.close();
    }
    this.entities.clear();
  }
}

function stringArray(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

/** collectionOrDatabaseOptions: readConcern, readPreference, writeConcern, timeoutMS. */
function collectionOptions(raw: unknown): { readConcern?: ReadConcern; readPreference?: ReadPreference; writeConcern?: WriteConcernSettings; timeoutMS?: number } {
  if (!isDoc(raw)) return {};
  const options: ReturnType<typeof collectionOptions> = {};
  if (isDoc(raw.readConcern)) options.readConcern = new ReadConcern(raw.readConcern.level as ReadConcernLevel);
  if (isDoc(raw.writeConcern)) options.writeConcern = raw.writeConcern as WriteConcernSettings;
  if (isDoc(raw.readPreference)) options.readPreference = readPreference(raw.readPreference);
  if (typeof raw.timeoutMS === 'number') options.timeoutMS = raw.timeoutMS;
  return options;
}

export function readPreference(raw: Doc): ReadPreference {
  const tags = Array.isArray(raw.tagSets) ? (raw.tagSets as TagSet[]) : undefined;
  const maxStalenessSeconds = typeof raw.maxStalenessSeconds === 'number' ? raw.maxStalenessSeconds : undefined;
  return new ReadPreference(String(raw.mode) as ReadPreferenceMode, tags, maxStalenessSeconds === undefined ? {} : { maxStalenessSeconds });
}
