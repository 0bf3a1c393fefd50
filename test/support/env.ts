// Tests log only what goes wrong; a run on the real server is chosen by DATABASE_URL.
process.env.LOG_LEVEL = process.env.LOG_LEVEL ?? 'silent';
