/** Where a verb writes: stdout for results (text, or one JSON value with --json), stderr for errors. */
export interface CliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

export type VerbRunner = (args: string[], io: CliIo) => Promise<number>;

/** Prints a verb's result: the JSON value with --json, else the text (one trailing newline). */
export function printResult(io: CliIo, json: boolean, value: unknown, text: string): void {
  io.stdout.write(json ? `${JSON.stringify(value)}\n` : text.endsWith('\n') ? text : `${text}\n`);
}
