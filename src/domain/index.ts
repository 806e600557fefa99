// The shared vocabulary. It imports nothing outside this folder, so workflow code may import its values.
export * from './alert';
export * from './outbox';
export * from './priority';
export * from './severity';
export * from './task';
export * from './containment';
export * from './storm';
export * from './refusal';
export * from './criticality';
