import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type FakeModelServer, openAiText, startFakeModelServer } from "../agent/fake-model-server";
import { createHarness, deliver, type Harness } from "../agent/harness";

const SECRET = "tok_5e4d3c2b1a0f9e8d7c6b5a49382716";
const open = { memory: { dmPolicy: "open", allowFrom: ["*"], groupPolicy: "open" } };

let h: Harness | undefined;
let fake: FakeModelServer;
beforeAll(async () => {
  fake = await startFakeModelServer();
});
afterAll(() => fake.close());
afterEach(async () => {
  await h?.cleanup();
  h = undefined;
});

describe("streamed chat.delta redaction", () => {
  it("a configured secret split across two streamed chunks never reaches the delta events", async () => {
    h = await createHarness({
      secrets: [SECRET],
      config: {
        channels: open,
        agents: { defaults: { model: "fake/gpt-test" } },
        models: {
          providers: {
            fake: { api: "openai-completions", baseUrl: `${fake.baseUrl}/v1`, maxRetries: 0 },
          },
        },
      },
    });
    fake.reset();
    const pieces = [
      "the key is ",
      SECRET.slice(0, 14),
      SECRET.slice(14),
      " and that is all, friend.",
    ];
    fake.enqueue(openAiText(pieces));
    const { result } = await deliver(h, h.message("ivy", "tell me"));
    const deltas = h.events
      .filter((e) => e.type === "chat.delta")
      .map((e) => (e as { text: string }).text);
    const streamed = deltas.join("");
    expect(streamed).not.toContain(SECRET);
    expect(streamed).not.toContain(SECRET.slice(14));
    expect(streamed).not.toContain(SECRET.slice(0, 14));
    // The stream adds up to the redacted final text.
    expect(streamed).toBe(result.text);
    expect(result.text).toContain("the key is tok_***2716 and that is all");
  });
});
