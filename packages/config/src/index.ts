export {
  FORBIDDEN_KEYS,
  formatConfigPath,
  getConfigValue,
  type PathSegment,
  parseConfigPath,
  setConfigValue,
} from "./config-path";
export { displayConfig, REDACTED } from "./display";
export type { ConfigObject, ConfigValue } from "./document";
export {
  collectReferencedValues,
  type EnvSource,
  envReferences,
  hasEnvReference,
  type MissingVariable,
  type SubstitutionResult,
  substituteEnv,
} from "./env-substitution";
export { type ConfigErrorCode, configErrors } from "./errors";
export {
  type ConfigFileRead,
  type ConfigFileReader,
  createNodeConfigFileReader,
} from "./file-reader";
export { DEFAULT_MAX_INCLUDE_DEPTH, INCLUDE_KEY, MAX_CONFIG_FILE_BYTES } from "./include";
export {
  type LoadConfigOptions,
  type LoadedConfig,
  loadConfig,
  readConfigDocument,
} from "./load";
export { parseConfigText, parseConfigValueText } from "./parse";
export {
  type AgentsConfig,
  type ClawConfig,
  type ClawConfigInput,
  rootConfigSchema,
} from "./root-schema";
export { createAgentsConfigSchema } from "./sections/agents";
export {
  HOOKS_DEFAULT_MAX_BODY_BYTES,
  HOOKS_SESSION_PREFIX,
  type HooksConfig,
  hooksConfigSchema,
} from "./sections/hooks";
export {
  isSafeRedactPattern,
  LOG_LEVELS,
  type LoggingConfig,
  loggingConfigSchema,
  REDACT_MODES,
} from "./sections/logging";
export { type MetaConfig, metaConfigSchema } from "./sections/meta";
export {
  LOCAL_PROVIDER_ID,
  MODEL_APIS,
  type ModelProviderConfig,
  type ModelsConfig,
  modelProviderConfigSchema,
  modelsConfigSchema,
} from "./sections/models";
export {
  isPackageName,
  MAX_PLUGIN_PACKAGES,
  type PluginsConfig,
  pluginsConfigSchema,
} from "./sections/plugins";
export {
  type ConfigIssue,
  defaultConfig,
  type ValidateOptions,
  validateConfig,
} from "./validate";
export {
  BACKUP_COUNT,
  backupPaths,
  CONFIG_FILE_MODE,
  findSecretLiteral,
  updateConfig,
  type WriteConfigOptions,
  writeConfig,
} from "./write";
