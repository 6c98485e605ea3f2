// Entry point of the video host process (see video-host.ts). A forked process starts without the
// parent's module hooks, so tsx's loader is registered here before the TypeScript module is loaded.
import { register } from 'tsx/esm/api';

register();
await import('./video-host-process.ts');
