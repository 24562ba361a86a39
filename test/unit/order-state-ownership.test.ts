import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

/**
 * Every change of an order's provisioning state goes through the order-state module. This fails when
 * any other product file writes the orders collection itself.
 */

const ROOT = join(__dirname, '..', '..');
const OWNER = 'src/order-state/';
const WRITES = /\borders\s*\.\s*(updateOne|updateMany|findOneAndUpdate|findByIdAndUpdate|findOneAndReplace|findOneAndDelete|replaceOne|bulkWrite|insertMany|create|deleteOne|deleteMany)\s*\(|collection\(\s*['"]orders['"]\s*\)|\bOrder\.(updateOne|updateMany|findOneAndUpdate)/;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

/** The writes of orders in `text` (a call may span lines: `orders\n  .findOneAndUpdate(`). */
function writesIn(text: string): string[] {
  return [...text.matchAll(new RegExp(WRITES.source, 'g'))].map((match) => match[0].replace(/\s+/g, ' '));
}

describe('order state has one home', () => {
  it('no product file outside src/order-state writes the orders collection', () => {
    const offenders = ['src', 'workers']
      .flatMap((dir) => sourceFiles(join(ROOT, dir)))
      .map((path) => relative(ROOT, path))
      .filter((path) => !path.startsWith(OWNER))
      .flatMap((path) => writesIn(readFileSync(join(ROOT, path), 'utf8')).map((write) => `${path}: ${write}`));
    expect(offenders).toEqual([]);
  });

  it('the check recognises the writes it is there to catch', () => {
    expect(writesIn("await deps.orders.updateOne({ _id }, { $set: { provisioningStatus: 'queued' } });")).toHaveLength(1);
    expect(writesIn('const taken = await db.orders\n  .findOneAndUpdate(filter, update);')).toHaveLength(1);
    expect(writesIn("connection.collection('orders').updateOne({}, {})")).toHaveLength(1);
    expect(writesIn('const order = await deps.orders.findById(id).lean();')).toHaveLength(0);
  });
});
