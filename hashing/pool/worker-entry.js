// Entry point of a fingerprinting worker thread. Node 20 does not pass the main thread's module hooks
// on to worker threads, so tsx's loader is registered again here before the TypeScript worker is loaded;
// this works the same under the CLI (bin/*.js register tsx), under vitest, and in the Docker image.
import { register } from 'tsx/esm/api';

register();
await import('./fingerprint-worker.ts');
