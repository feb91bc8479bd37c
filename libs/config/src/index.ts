export { setting, ConfigError, HOST_PORT, type Setting } from './setting';
export { loadConfig, describeConfig, type SettingTree, type ConfigOf, type LoadConfigOptions } from './load-config';
export { commonSettings, postgresSettings, storageSettings } from './common-settings';
