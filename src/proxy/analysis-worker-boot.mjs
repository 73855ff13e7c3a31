// Starts the analysis worker from TypeScript source (a checkout run through tsx, or the test suite): registers tsx in this thread, then loads the worker.
import { register } from 'tsx/esm/api';

register();
await import(new URL('./analysis-worker.ts', import.meta.url).href);
