import { startEmbeddedMongo } from '../../dev/mongo';

/**
 * The embedded MongoDB in a process of its own, so that its (JavaScript) work does not share an event
 * loop with the code being measured. Prints `MONGO <uri>` once listening.
 */
async function main(): Promise<void> {
  const mongo = await startEmbeddedMongo({ port: Number(process.env.MONGO_PORT ?? 0) });
  console.log(`MONGO ${mongo.uri}`);
  const stop = () => void mongo.stop().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
