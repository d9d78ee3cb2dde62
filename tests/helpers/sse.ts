/** A server-sent events client for tests: fetch with a streamed body, parsed into events. */

export interface SseMessage {
  event: string;
  id: string;
  data: unknown;
}

/** Opens the stream and reads its events until `until` returns true for one (or the stream ends, or timeoutMs). */
export async function readSse(url: string, headers: Record<string, string>, until: (message: SseMessage, all: SseMessage[]) => boolean, timeoutMs = 30_000): Promise<SseMessage[]> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  const messages: SseMessage[] = [];
  try {
    const response = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: abort.signal });
    if (!response.ok || !response.body) throw new Error(`${url}: HTTP ${response.status} ${await response.text()}`);
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const message: SseMessage = { event: 'message', id: '', data: undefined };
        let data = '';
        for (const line of block.split('\n')) {
          if (line.startsWith(':')) continue;
          const colon = line.indexOf(':');
          const field = colon < 0 ? line : line.slice(0, colon);
          const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
          if (field === 'event') message.event = value;
          else if (field === 'id') message.id = value;
          else if (field === 'data') data += value;
        }
        if (data === '') continue;
        message.data = JSON.parse(data);
        messages.push(message);
        if (until(message, messages)) return messages;
      }
    }
    return messages;
  } catch (error) {
    if (abort.signal.aborted) throw new Error(`${url}: timed out after ${timeoutMs} ms with ${messages.length} events (${messages.map((m) => m.event).join(', ')})`);
    throw error;
  } finally {
    clearTimeout(timer);
    abort.abort();
  }
}
