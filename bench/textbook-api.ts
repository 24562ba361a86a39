/**
 * The peer of `POST /api/orders/:id/provision`: the route a Node developer would write from the
 * Express, mongoose and BullMQ docs, plainly, untuned. Run by bench/enqueue.ts as its own process, on
 * the same MongoDB (the orders collection) and Redis as the product's API.
 */
import { Queue } from 'bullmq';
import express from 'express';
import { Redis } from 'ioredis';
import mongoose from 'mongoose';

const Order = mongoose.model(
  'Order',
  new mongoose.Schema(
    {
      status: String,
      provider: String,
      packageName: String,
      plan: String,
      os: String,
      provisioningStatus: String,
      provisioningError: String,
    },
    { collection: 'orders', timestamps: true },
  ),
);

const connection = new Redis(process.env.REDIS_URL as string, { maxRetriesPerRequest: null });
const queue = new Queue('provision', { connection, prefix: process.env.QUEUE_PREFIX });

const app = express();

app.post('/api/orders/:id/provision', async (req, res) => {
  if (req.headers.authorization !== `Bearer ${process.env.ADMIN_TOKEN}`) {
    res.status(401).json({ error: 'unauthorized' });
    return;
  }
  const order = await Order.findById(req.params.id);
  if (!order) {
    res.status(404).json({ error: 'order not found' });
    return;
  }
  const job = await queue.add('provision', { orderId: order.id }, { deduplication: { id: order.id } });
  await Order.updateOne({ _id: order._id }, { $set: { provisioningStatus: 'queued' } });
  res.status(202).json({ orderId: order.id, jobId: job.id });
});

async function main(): Promise<void> {
  await mongoose.connect(process.env.MONGO_URL as string);
  const port = Number(process.env.PORT);
  const server = app.listen(port, '127.0.0.1', () => console.log(`textbook API listening on http://127.0.0.1:${port}`));
  process.once('SIGTERM', () => {
    server.close();
    void Promise.all([queue.close(), mongoose.disconnect()]).then(() => connection.quit());
  });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
