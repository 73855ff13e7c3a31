// The one model of Fleet: routes and the ACS rule, what the callback accepts, how it reads a request, the version table.
export * from './routes.js';
export * from './rules.js';
export * from './versions.js';
export * from './answers.js';
export * from './jit.js';
