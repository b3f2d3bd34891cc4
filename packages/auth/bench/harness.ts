/** A tiny timing harness: median ns/op over several rounds, after a warm-up. */
export function measure(
  name: string,
  iterations: number,
  fn: (i: number) => unknown,
): { name: string; nsPerOp: number } {
  for (let i = 0; i < Math.min(iterations, 20_000); i++) fn(i);
  const rounds: number[] = [];
  for (let round = 0; round < 7; round++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) fn(i);
    rounds.push(Number(process.hrtime.bigint() - start) / iterations);
  }
  rounds.sort((a, b) => a - b);
  return { name, nsPerOp: rounds[3]! };
}

export async function measureAsync(
  name: string,
  iterations: number,
  fn: (i: number) => Promise<unknown>,
): Promise<{ name: string; nsPerOp: number }> {
  for (let i = 0; i < Math.min(iterations, 20_000); i++) await fn(i);
  const rounds: number[] = [];
  for (let round = 0; round < 7; round++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) await fn(i);
    rounds.push(Number(process.hrtime.bigint() - start) / iterations);
  }
  rounds.sort((a, b) => a - b);
  return { name, nsPerOp: rounds[3]! };
}

export function report(
  rows: { name: string; nsPerOp: number }[],
  baseline: { name: string; nsPerOp: number },
): void {
  console.log(`baseline: ${baseline.name} = ${baseline.nsPerOp.toFixed(1)} ns/op`);
  for (const row of rows) {
    console.log(
      `${row.name.padEnd(48)} ${row.nsPerOp.toFixed(1).padStart(10)} ns/op  ${(1e9 / row.nsPerOp).toFixed(0).padStart(10)} ops/s  ${(row.nsPerOp / baseline.nsPerOp).toFixed(2)}x baseline`,
    );
  }
}
