import { parentPort } from 'node:worker_threads';
import type { ReportDocument } from './document.ts';
import { renderPdf } from './pdf.ts';
import { messageOf } from '../domain/errors.ts';

/** Inside the PDF worker thread: renders each document it is sent and posts the bytes back. */
const port = parentPort;
if (!port) throw new Error('pdf-worker.ts runs as a worker thread');

port.on('message', (job: { id: number; doc: ReportDocument }) => {
  renderPdf(job.doc).then(
    // Copied, not transferred: a small PDF's bytes may sit in Node's shared buffer pool, which newer Node refuses to transfer.
    (bytes) => port.postMessage({ id: job.id, bytes }),
    (error: unknown) => port.postMessage({ id: job.id, error: messageOf(error) }),
  );
});
