// Profiles: input = a request's features and both models' scores; output = a map feature -> cell on its
// outcome row, counted per minute x segment value by the store (profile_1m). Exactly once because it
// travels in the outcome row's fenced, deduplicated insert.
export * from './profile.ts';
export { profileOptionsOf, ProfilesConfigSchema, type ProfilesConfig } from './config.ts';
