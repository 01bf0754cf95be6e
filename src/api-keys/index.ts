export { API_KEY_LENGTH, API_KEY_PREFIX, deriveApiKeySecret } from './api-key-format.js';
export { API_KEY_POLICIES, type ApiKeyPolicy } from './api-keys.constants.js';
export { ApiKeysModule } from './api-keys.module.js';
export { API_KEYS_OPTIONS } from './api-keys.module-definition.js';
export type { ApiKeysModuleOptions } from './api-keys.options.js';
export type { ApiKeyDto, IssuedApiKey } from './api-keys.schemas.js';
export {
  ApiKeysService,
  type ApiKeyIdentity,
  type ApiKeyVerifyStats,
  type IssueApiKeyInput,
} from './api-keys.service.js';
