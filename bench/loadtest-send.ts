// The loadtest's side of its sender thread (loadtest-sender.ts): deliveries signed here, POSTed and
// timed there, away from this thread, which also serves the app's GitHub requests.
import { createHmac } from "node:crypto";
import { Worker } from "node:worker_threads";
import type { Send, SenderMessage, Sent } from "./loadtest-sender.js";
import type { Delivery } from "./loadtest-burst.js";

/** A delivery's answer, as the sender timed it. */
export interface Answered extends Omit<Sent, "id"> {
  /** The replica it went to, and the event it was. */
  url?: string;
  name?: string;
}

/** A delivery built ahead: where it goes, its event, its body as sent. */
export interface Built {
  url: string;
  name: string;
  body: string;
}

export interface Sender {
  /** Signs `delivery` and sends it to `url` now. */
  send(url: string, delivery: Delivery): Promise<Answered>;
  /** Signs `deliveries` and keeps them in the sender thread; resolves to a function sending the i-th of them. */
  load(deliveries: Built[]): Promise<(index: number) => Promise<Answered>>;
  stop(): Promise<number>;
}

/** Starts the sender thread; `secret` signs every delivery (x-hub-signature-256). */
export function startSender(concurrency: number, secret: string): Sender {
  const worker = new Worker(new URL("./loadtest-sender.js", import.meta.url), { workerData: { concurrency } });
  const waiting = new Map<number, { resolve: (answer: Answered) => void; reject: (error: Error) => void }>();
  const loading = new Map<number, { resolve: () => void; reject: (error: Error) => void }>();
  let next = 0;
  let batches = 0;
  let broken: Error | undefined;
  worker.on("message", (message: Sent | { loaded: number } | { id: number; unknown: true }) => {
    if ("loaded" in message) {
      loading.get(message.loaded)?.resolve();
      loading.delete(message.loaded);
      return;
    }
    if ("unknown" in message) {
      waiting.get(message.id)?.reject(new Error(`the sender holds no delivery ${message.id}: a loadtest bug`));
      waiting.delete(message.id);
      return;
    }
    const { id, ...answer } = message;
    waiting.get(id)?.resolve(answer);
    waiting.delete(id);
  });
  // The thread dying fails whatever waits on it (the run stops and says so), rather than leaving it waiting.
  const fail = (error: Error): void => {
    broken ??= error;
    for (const w of [...waiting.values(), ...loading.values()]) w.reject(error);
    waiting.clear();
    loading.clear();
  };
  worker.on("error", (error) => fail(new Error(`the loadtest's sender thread failed: ${error.message}`)));
  worker.on("exit", (code) => fail(new Error(`the loadtest's sender thread exited (${code})`)));
  const post = (message: SenderMessage): void => worker.postMessage(message);
  const signed = (url: string, name: string, body: string): Send => ({ id: next++, url, name, body, signature: `sha256=${createHmac("sha256", secret).update(body).digest("hex")}` });
  const answer = (id: number, message: SenderMessage): Promise<Answered> =>
    new Promise((resolve, reject) => {
      if (broken) return reject(broken);
      // Sent once each: a second send of one id would leave the first waiting forever.
      if (waiting.has(id)) return reject(new Error(`delivery ${id} is already on its way: a loadtest bug`));
      waiting.set(id, { resolve, reject });
      post(message);
    });
  return {
    send: (url, delivery) => {
      const send = signed(url, delivery.name, JSON.stringify(delivery.payload));
      return answer(send.id, send);
    },
    load: (deliveries) => {
      const [from, batch] = [next, batches++];
      const sends = deliveries.map((d) => signed(d.url, d.name, d.body));
      return new Promise((resolve, reject) => {
        if (broken) return reject(broken);
        const sendOne = (index: number): Promise<Answered> =>
          Number.isInteger(index) && index >= 0 && index < sends.length ? answer(from + index, { go: from + index }) : Promise.reject(new Error(`no delivery ${index} was loaded`));
        loading.set(batch, { resolve: () => resolve(sendOne), reject });
        post({ load: sends, batch });
      });
    },
    stop: () => worker.terminate(),
  };
}
