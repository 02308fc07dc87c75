// WHEP signalling relayed by Node on loopback: the receiver POSTs its offer to /whep/stream (as
// to any WHEP server); the sender page long-polls /relay/offer, answers, and POSTs the answer to
// /relay/answer/<id>; the receiver gets it with 201 and a Location to DELETE. Candidates other
// than 127.0.0.1 are cut from both descriptions so that media stays on loopback.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody } from './http';

export interface WhepRelay {
  route(request: IncomingMessage, response: ServerResponse, path: string): boolean;
  /** Resource paths the receiver DELETEd. */
  deleted: string[];
  problems: string[];
}

export function loopbackOnly(sdp: string): string {
  return sdp.split('\r\n').filter((line) => !line.startsWith('a=candidate:') || / 127\.0\.0\.1 /.test(line)).join('\r\n');
}

export function createWhepRelay(): WhepRelay {
  const deleted: string[] = [];
  const problems: string[] = [];
  const offers: Array<{ id: number; sdp: string }> = [];
  const waitingSenders: ServerResponse[] = [];
  const waitingReceivers = new Map<number, ServerResponse>();
  let nextId = 1;

  function deliverOffers(): void {
    while (offers.length > 0 && waitingSenders.length > 0) {
      waitingSenders.shift()!.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(offers.shift()));
    }
  }

  return {
    deleted,
    problems,
    route(request, response, path) {
      if (request.method === 'POST' && path === '/whep/stream') {
        if (request.headers['content-type'] !== 'application/sdp') problems.push(`WHEP offer with Content-Type ${request.headers['content-type']}`);
        void readBody(request, 64 * 1024).then((body) => {
          const id = nextId++;
          waitingReceivers.set(id, response);
          offers.push({ id, sdp: loopbackOnly(body?.toString() ?? '') });
          deliverOffers();
        });
        return true;
      }
      if (request.method === 'GET' && path === '/relay/offer') {
        waitingSenders.push(response);
        deliverOffers();
        return true;
      }
      const answer = /^\/relay\/answer\/(\d+)$/.exec(path);
      if (request.method === 'POST' && answer) {
        void readBody(request, 64 * 1024).then((body) => {
          const receiver = waitingReceivers.get(Number(answer[1]));
          waitingReceivers.delete(Number(answer[1]));
          receiver?.writeHead(201, { 'Content-Type': 'application/sdp', Location: `/whep/resource/${answer[1]}` }).end(loopbackOnly(body?.toString() ?? ''));
          response.writeHead(204).end();
        });
        return true;
      }
      if (request.method === 'DELETE' && path.startsWith('/whep/resource/')) {
        deleted.push(path);
        response.writeHead(200).end();
        return true;
      }
      return false;
    },
  };
}
