import type pg from 'pg';

/**
 * `COPY ... FROM STDIN` through node-postgres' own protocol hooks (a submittable query: the client
 * hands it the connection on CopyInResponse), so the COPY baseline needs no extra package. Sends
 * `data` in 64 KiB CopyData messages and resolves with the server's row count.
 */
export function copyFromStdin(
  client: pg.Client | pg.PoolClient,
  text: string,
  data: Buffer,
): Promise<number> {
  return new Promise((resolve, reject) => {
    let rows = 0;
    let error: Error | undefined;
    type Conn = {
      query: (t: string) => void;
      sendCopyFromChunk: (b: Buffer) => void;
      endCopyFrom: () => void;
    };
    const submittable = {
      submit(connection: Conn) {
        connection.query(text);
      },
      handleCopyInResponse(connection: Conn) {
        for (let i = 0; i < data.length; i += 65_536)
          connection.sendCopyFromChunk(data.subarray(i, i + 65_536));
        connection.endCopyFrom();
      },
      handleCommandComplete(msg: { text?: string }) {
        rows = Number(/COPY (\d+)/.exec(msg.text ?? '')?.[1] ?? 0);
      },
      handleError(e: Error) {
        error = e;
      },
      handleReadyForQuery() {
        if (error) reject(error);
        else resolve(rows);
      },
      handleRowDescription() {},
      handleDataRow() {},
      handleEmptyQuery() {},
      handlePortalSuspended() {},
      handleCopyData() {},
    };
    (client as unknown as { query: (q: unknown) => void }).query(submittable);
  });
}
