const base = require('./jest.config.js');

/** `npm run test:chaos`: only test/chaos, which the default config leaves out (it takes about a minute or two). */
/** @type {import('jest').Config} */
module.exports = {
  ...base,
  testMatch: ['<rootDir>/test/chaos/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/'],
  testTimeout: 170000,
  maxWorkers: 1,
};
