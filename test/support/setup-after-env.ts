// Keep the logs of the code under test out of the jest output unless asked for.
process.env.LOG_LEVEL ??= 'silent';
