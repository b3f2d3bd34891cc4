export { createFakeClock, type FakeClock } from "./clock";
export { createSeededRandom } from "./random";
