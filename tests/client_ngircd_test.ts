/**
 * The same client scenarios against a real IRC server, ngIRCd: the client
 * speaks plain IRC, not just tertulia's dialect.
 */

import {
  asksForUsername,
  interruptQuits,
  pipedInput,
  takenNickGetsSuffix,
  twoPeopleChat,
} from "./helpers/client_scenarios.ts";
import {
  peerAvailable,
  peerTestOptions,
  startNgircd,
} from "./helpers/peer_servers.ts";

const peers = { ngircd: peerAvailable("ngircd") };

const scenarios: [string, (port: number) => Promise<void>][] = [
  ["two people chat, see each other come and go, and leave", twoPeopleChat],
  ["piped input is delivered, then the client quits at EOF", pipedInput],
  ["SIGINT quits cleanly", interruptQuits],
  ["a taken nick gets a suffix without a terminal", takenNickGetsSuffix],
  ["without --nick it asks Username:", asksForUsername],
];

for (const [name, scenario] of scenarios) {
  Deno.test({
    ...peerTestOptions(`client on ngircd: ${name}`, peers),
    async fn() {
      const ngircd = await startNgircd();
      try {
        await scenario(ngircd.port);
      } finally {
        await ngircd.close();
      }
    },
  });
}
