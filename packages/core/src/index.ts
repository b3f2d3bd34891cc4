export { type Clock, systemClock } from "./clock";
export {
  ClawError,
  type ClawErrorOptions,
  defineErrorCodes,
  ERROR_CATEGORIES,
  type ErrorCategory,
  type ErrorCodeOf,
  type ErrorCodeSet,
  isClawError,
} from "./errors";
export { type Random, systemRandom } from "./random";
