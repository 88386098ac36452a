/**
 * The output of a spawned peer (Redis, HAProxy) as text, for its log.
 *
 * @module
 */

/**
 * Hands every chunk `child` writes to stdout and stderr to `onText`;
 * resolves once it has exited and both streams are read to the end.
 */
export async function collectOutput(
  child: Deno.ChildProcess,
  onText: (text: string) => void,
): Promise<void> {
  const drain = async (stream: ReadableStream<Uint8Array>) => {
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      onText(chunk);
    }
  };
  await Promise.all([child.status, drain(child.stdout), drain(child.stderr)]);
}
